import { Injectable } from '@nestjs/common';
import { PeerCatchUpClient } from '@corridor/peering';
import type { JsonObject } from '@corridor/protocol';

/** HTTP catch-up from a peer node's public chain reads (`GET /corridors/{id}/receipts?after=`). */
@Injectable()
export class PeerCatchUp {
  private readonly client = new PeerCatchUpClient();

  receipts(baseUrl: string, corridorId: string, after: number, limit: number): Promise<JsonObject[]> {
    return this.client.fetchReceipts(baseUrl, corridorId, after, limit);
  }
}
