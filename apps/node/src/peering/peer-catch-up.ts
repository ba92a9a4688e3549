import { Inject, Injectable } from '@nestjs/common';
import { PeerCatchUpClient } from '@corridor/peering';
import type { Ed25519KeyPair, JsonObject } from '@corridor/protocol';
import { NODE_KEY } from '../infrastructure/tokens';

/**
 * HTTP catch-up from a peer node's chain reads (`GET /corridors/{id}/receipts?after=`). Every request is signed with
 * this node's key, which the peer authenticates as one of its peers (spec/security.md).
 */
@Injectable()
export class PeerCatchUp {
  private readonly client: PeerCatchUpClient;

  constructor(@Inject(NODE_KEY) key: Ed25519KeyPair) {
    this.client = new PeerCatchUpClient({ signer: key });
  }

  receipts(baseUrl: string, corridorId: string, after: number, limit: number): Promise<JsonObject[]> {
    return this.client.fetchReceipts(baseUrl, corridorId, after, limit);
  }
}
