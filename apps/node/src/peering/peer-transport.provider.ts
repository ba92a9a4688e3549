import type { Provider } from '@nestjs/common';
import { HttpPeerTransport, KafkaPeerTransport, type PeerTransport } from '@corridor/peering';
import type { Ed25519KeyPair } from '@corridor/protocol';
import type { NodeConfig } from '../config/node-config';
import { NODE_CONFIG, NODE_KEY } from '../infrastructure/tokens';

export const PEER_TRANSPORT = Symbol.for('corridor-ledger.PeerTransport');

/**
 * The transport between peer nodes: HTTP push by default, Kafka when configured (HTTP still serves catch-up). HTTP
 * deliveries are signed with the node key: the receiving node authenticates them as a peer's (spec/security.md).
 * Both hand over many messages at once (HTTP batches, Kafka fetched batches), which the node works through together.
 */
export const peerTransportProvider: Provider = {
  provide: PEER_TRANSPORT,
  inject: [NODE_CONFIG, NODE_KEY],
  useFactory: (config: NodeConfig, key: Ed25519KeyPair): PeerTransport =>
    config.peerTransport === 'kafka'
      ? new KafkaPeerTransport({ brokers: config.kafkaBrokers!.split(','), clientId: `corridor-node-${config.jurisdiction.toLowerCase()}`, selfDid: key.did, batchDelivery: true, consumer: { maxWaitTimeInMs: config.kafkaMaxWaitMs } })
      : new HttpPeerTransport({ selfDid: key.did, signer: key, peers: config.peerDirectory, retry: { initialMs: 200, maxMs: Math.max(1000, config.peerSyncIntervalMs) } }),
};
