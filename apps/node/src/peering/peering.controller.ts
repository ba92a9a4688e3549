import { Body, Controller, Get, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { acceptTraceparent, decodeCloudEvent, PeerMessageFormatError } from '@corridor/peering';
import { canonicalize, type JsonObject } from '@corridor/protocol';
import { ProblemException } from '../http/problem';
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
  async message(@Body() body: JsonObject, @Headers() headers: Record<string, string>): Promise<{ accepted: true }> {
    let event;
    try {
      event = decodeCloudEvent(canonicalize(body ?? null));
    } catch (e) {
      if (e instanceof PeerMessageFormatError) throw new ProblemException(400, 'invalid-peer-message', 'Invalid peer message', e.message);
      throw e;
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
