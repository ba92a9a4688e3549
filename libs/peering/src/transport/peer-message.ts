import type { JsonObject } from '@corridor/protocol';

/**
 * What peer nodes say to each other about a corridor. Every message verifies on its own — a receipt by the
 * sequencer's proof and its chain continuity, a proposal and a co-signature by their proofs, credentials by theirs —
 * so any transport may carry it and none is trusted for anything but delivery (spec/peering.md).
 */
export type PeerMessage =
  /** A receipt of the corridor's shared chain, signed by the sequencer (and possibly co-signed already). */
  | { kind: 'receipt'; corridor_id: string; receipt: JsonObject }
  /** A transition a non-sequencer node asks the sequencer to order: a signed `CorridorTransitionProposal`. */
  | { kind: 'proposal'; corridor_id: string; proposal: JsonObject }
  /** A peer's proof over the receipt at `sequence` (whose chain digest is `next_root`). */
  | { kind: 'cosignature'; corridor_id: string; sequence: number; next_root: string; proof: JsonObject }
  /** A checkpoint of the shared chain carrying the proofs of the zones that signed it so far. */
  | { kind: 'checkpoint'; corridor_id: string; checkpoint: JsonObject }
  /** A fork-alarm credential: the corridor halts on every node that verifies it. */
  | { kind: 'fork-alarm'; corridor_id: string; credential: JsonObject }
  /** A fork-resolution credential: the corridor resumes on every node that verifies it. */
  | { kind: 'fork-resolution'; corridor_id: string; credential: JsonObject };

export type PeerMessageKind = PeerMessage['kind'];

export const PEER_MESSAGE_KINDS: readonly PeerMessageKind[] = ['receipt', 'proposal', 'cosignature', 'checkpoint', 'fork-alarm', 'fork-resolution'];

/** Delivery facts a transport knows about a message; never evidence of anything. */
export interface PeerDelivery {
  /** The sending node's did:key, as the envelope states it (checked by the receiver against the corridor's anchors). */
  readonly source: string;
  /** W3C trace context carried with the message, when there is one. */
  readonly traceparent?: string;
  /** The CloudEvent id (a receipt's next_root; the SHA-256 of the message otherwise). */
  readonly id: string;
}

/**
 * A message handler. The transport acknowledges a message (commits a Kafka offset, answers an HTTP push) only once
 * the returned promise resolves — i.e. after the durable append. A handler that rejects asks for redelivery.
 */
export type PeerMessageHandler = (message: PeerMessage, delivery: PeerDelivery) => Promise<void>;

/** How a node reaches the other nodes of its corridors. */
export interface PeerTransport {
  /** A short name for logs and health ("http", "kafka"). */
  readonly name: string;
  /** Starts receiving; `handler` sees every message from other nodes (never this node's own). */
  start(handler: PeerMessageHandler): Promise<void>;
  /**
   * Sends a message to the corridor's other nodes (`to`: their did:keys). Resolves once the transport has taken
   * it durably (Kafka: acknowledged by the broker; HTTP: queued for delivery with retries).
   */
  publish(message: PeerMessage, options: { to: readonly string[]; traceparent?: string }): Promise<void>;
  /** True when the transport can currently deliver (for readiness). */
  healthy(): boolean;
  stop(): Promise<void>;
}

/** The peer nodes a node knows: did:key → base URL of its HTTP API. */
export type PeerDirectory = ReadonlyMap<string, string>;
