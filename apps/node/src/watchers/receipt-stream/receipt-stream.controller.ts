import { Controller, Get, Headers, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { canonicalize, digestOf } from '@corridor/protocol';
import { ChainReader } from '../../chains/chain-reader';
import { stateChannelStream } from '../../corridors/corridor-aggregate';
import { problem } from '../../http/problem';
import { HeadNotifier } from './head-notifier';

const PAGE = 200;
const KEEP_ALIVE_MS = 15_000;
/** While caught up, how often the head's checkpoint is looked at again (co-signatures arrive after receipts). */
const CHECKPOINT_POLL_MS = 1_000;

/**
 * Server-Sent Events of a corridor's state channel for watchers and other subscribers (spec/watchers.md §1).
 * Each subscriber has its own cursor into the store, so a slow one is held by TCP back-pressure (the writer waits
 * for `drain`) and never buffers on the node or slows it down; a reconnect resumes after `Last-Event-ID`.
 */
@ApiTags('watchers')
@Controller('corridors/:id/stream')
export class ReceiptStreamController {
  constructor(
    private readonly chains: ChainReader,
    private readonly heads: HeadNotifier,
  ) {}

  @Get()
  @ApiOperation({
    summary: "Receipts and checkpoints of the corridor's state channel as Server-Sent Events",
    description: '`event: receipt` (id = sequence) for every receipt after `Last-Event-ID` (or `?after=`), then `event: checkpoint` whenever the head checkpoint changes; `: keep-alive` comments.',
  })
  async stream(@Param('id') id: string, @Query('after') after: string | undefined, @Headers('last-event-id') lastEventId: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const from = lastEventId ?? after ?? '-1';
    if (!/^(-1|\d{1,15})$/.test(from)) throw problem.badRequest('invalid-cursor', 'Invalid cursor', `Last-Event-ID / after must be a receipt sequence (or -1), not ${JSON.stringify(from)}`);
    const stream = stateChannelStream(id);
    if (!(await this.chains.head(stream))) throw problem.notFound('state channel of corridor', id);
    let cursor = Number(from);
    let closed = false;
    req.on('close', () => (closed = true));
    res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const write = async (chunk: string) => {
      if (!res.write(chunk)) await new Promise<void>((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
    };
    let lastCheckpoint = '';
    let idleSince = Date.now();
    try {
      while (!closed) {
        const page = await this.chains.receipts(stream, cursor, PAGE);
        for (const r of page.receipts) {
          if (closed) break;
          await write(`event: receipt\nid: ${String(r.sequence)}\ndata: ${canonicalize(r)}\n\n`);
          cursor = r.sequence as number;
        }
        if (page.receipts.length === PAGE) continue;
        // Caught up: the head's checkpoint (co-signed when it is), when it changed; then wait for the next append.
        const checkpoint = await this.chains.checkpoint(stream);
        if ((checkpoint.receipt_count as number) === cursor + 1) {
          const digest = digestOf(checkpoint);
          if (digest !== lastCheckpoint) {
            await write(`event: checkpoint\ndata: ${canonicalize(checkpoint)}\n\n`);
            lastCheckpoint = digest;
          }
        }
        if (Date.now() - idleSince >= KEEP_ALIVE_MS) {
          await write(': keep-alive\n\n');
          idleSince = Date.now();
        }
        if (page.receipts.length === 0) await this.heads.next(id, CHECKPOINT_POLL_MS);
        else idleSince = Date.now();
      }
    } finally {
      res.end();
    }
  }
}
