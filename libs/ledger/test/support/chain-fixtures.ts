/** Shared fixtures of the chain tests: a node key, a corridor profile, events, and verification by the protocol alone. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Ed25519KeyPair,
  mmrRootFromNextRoots,
  sha256Hex,
  verifyCorridorChain,
  type ChainExpectations,
  type ChainVerification,
  type JsonObject,
} from '@corridor/protocol';
import { corridorChainProfile, type ChainEvent, type ChainProfile, type EventStore } from '@corridor/ledger';

export const NODE_KEY = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 7), 'node-1');
export const GENESIS = sha256Hex('test corridor genesis');
export const LAWPACKS = [sha256Hex('lawpack-b'), sha256Hex('lawpack-a')];
export const RULESETS = [sha256Hex('ruleset-1')];

export function profileFor(corridorId: string): ChainProfile {
  return corridorChainProfile({ corridorId, genesisRoot: GENESIS, lawpackDigestSet: LAWPACKS, rulesetDigestSet: RULESETS });
}

export function expectationsFor(corridorId: string): ChainExpectations {
  return {
    corridor_id: corridorId,
    genesis_root: GENESIS,
    lawpack_digest_set: [...LAWPACKS].sort(),
    ruleset_digest_set: [...RULESETS],
    transition_type_registry_digest_sha256: null,
  };
}

const T0 = Date.UTC(2026, 0, 1);

/** A domain event; `n` makes it unique and fixes its time (whole seconds, as the chain requires). */
export function chainEvent(n: number, data: JsonObject = {}): ChainEvent {
  return {
    type: 'trade.invoice.issued.v1',
    data: { invoice: `INV-${n}`, amount: `${(n % 997) + 1}.00`, currency: 'USD', ...data },
    at: new Date(T0 + n * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/**
 * Verifies a stream's stored receipts with nothing but the protocol: canonical bytes, schema, next_root, digest
 * sets, signatures, the prev_root links from genesis, and the MMR over the whole chain.
 */
export async function verifyStoredChain(store: EventStore, stream: string, corridorId: string): Promise<ChainVerification> {
  const events = await store.read(stream);
  const sources = events.map((e) => ({ path: `receipts/${String(e.revision).padStart(10, '0')}.json`, text: e.data }));
  return verifyCorridorChain(expectationsFor(corridorId), sources, { checkCanonicalBytes: true });
}

/** The MMR root recomputed from scratch over the receipts' next_roots. */
export function recomputedRoot(receipts: readonly JsonObject[]): string {
  return mmrRootFromNextRoots(receipts.map((r) => r.next_root as string)).root;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
