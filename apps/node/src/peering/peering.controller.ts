import { Body, Controller, Get, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { acceptTraceparent, checkCloudEvent, checkCloudEventBatch, PeerMessageFormatError, type PeerCloudEvent } from '@corridor/peering';
import type { JsonObject, JsonValue } from '@corridor/protocol';
import { ProblemException } from '../http/problem';
import { principalOf } from '../security/roles';
import { PeeringService } from './peering.service';

/**
 * The HTTP side of peering: peers push CloudEvents here (the embedded transport), and operators read the
 * counters of what was accepted and refused. Catch-up reads are the public chain reads (`/corridors/{id}/receipts`).
 */
@ApiTags('peering')
@Controller('peering')
export class PeeringController {
  constructor(private readonly peering: PeeringService) {}

  @Post('messages')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Peer messages: one CloudEvent (structured JSON) or a batch (application/cloudevents-batch+json); accepted once their effect is durable',
    description: 'Every message verifies on its own (spec/peering.md); a refused one is counted and stores nothing. A batch is checked whole before any of it is handled, and acknowledged whole.',
  })
  async message(@Body() body: JsonValue, @Headers() headers: Record<string, string>, @Req() req: Request): Promise<{ accepted: number }> {
    let events: PeerCloudEvent[];
    try {
      events = Array.isArray(body) ? checkCloudEventBatch(body) : [checkCloudEvent(body ?? null)];
    } catch (e) {
      if (e instanceof PeerMessageFormatError) throw new ProblemException(400, 'invalid-peer-message', 'Invalid peer message', e.message);
      throw e;
    }
    // The envelope's source must be the node that signed the request: a peer speaks only for itself.
    const signer = principalOf(req);
    const foreign = signer?.role === 'peer' ? events.find((e) => e.source !== signer.name) : undefined;
    if (foreign) {
      throw new ProblemException(403, 'source-mismatch', 'Source mismatch', `the message says it comes from ${foreign.source}, but the request is signed by ${signer!.name}`);
    }
    const header = acceptTraceparent(headers.traceparent);
    // Handed over in order without waiting, so the node works through a batch together (PeeringService's inbox).
    await Promise.all(events.map((e) => this.peering.receive(e.data, { source: e.source, id: e.id, traceparent: e.traceparent ?? header })));
    return { accepted: events.length };
  }

  @Get('status')
  @ApiOperation({ summary: "This node's peering: transport, peers, shared corridors and message counters by outcome" })
  status(): JsonObject {
    return this.peering.status();
  }
}
