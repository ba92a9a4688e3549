import { Body, Controller, Get, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { acceptTraceparent, decodeCloudEvent, PeerMessageFormatError } from '@corridor/peering';
import { canonicalize, type JsonObject } from '@corridor/protocol';
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
  @ApiOperation({ summary: 'A peer message (CloudEvents structured JSON); accepted once its effect is durable', description: 'Every message verifies on its own (spec/peering.md); a refused one is counted and stores nothing.' })
  async message(@Body() body: JsonObject, @Headers() headers: Record<string, string>, @Req() req: Request): Promise<{ accepted: true }> {
    let event;
    try {
      event = decodeCloudEvent(canonicalize(body ?? null));
    } catch (e) {
      if (e instanceof PeerMessageFormatError) throw new ProblemException(400, 'invalid-peer-message', 'Invalid peer message', e.message);
      throw e;
    }
    // The envelope's source must be the node that signed the request: a peer speaks only for itself.
    const signer = principalOf(req);
    if (signer?.role === 'peer' && signer.name !== event.source) {
      throw new ProblemException(403, 'source-mismatch', 'Source mismatch', `the message says it comes from ${event.source}, but the request is signed by ${signer.name}`);
    }
    await this.peering.receive(event.data, { source: event.source, id: event.id, traceparent: acceptTraceparent(headers.traceparent) });
    return { accepted: true };
  }

  @Get('status')
  @ApiOperation({ summary: "This node's peering: transport, peers, shared corridors and message counters by outcome" })
  status(): JsonObject {
    return this.peering.status();
  }
}
