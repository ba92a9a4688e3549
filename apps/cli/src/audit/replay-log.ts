import { randomUUID } from 'node:crypto';
import { CORRIDOR_EVENTS } from '@corridor/compliance';
import { eventIdFromDigest, NO_STREAM, SqliteEventStore, type EventStore, type EventToAppend } from '@corridor/ledger';
import { canonicalize, isDigest, isJsonObject, type JsonObject } from '@corridor/protocol';

/** One chain fetched from a node or read from a bundle: its stream name and receipts in sequence order. */
export interface FetchedChain {
  stream: string;
  receipts: readonly JsonObject[];
}

/**
 * Order of streams whose receipts carry the same timestamp: what caused something comes first. A corridor's
 * lifecycle precedes everything done under it; sagas and disputes precede the corridor transitions the node records
 * for them (an enforced ruling lands in the corridor's state channel after the dispute's ruling).
 */
function rank(stream: string): number {
  if (stream.startsWith('corridor_lifecycle-')) return 0;
  if (stream.startsWith('watcher_bond-')) return 1;
  if (stream.startsWith('migration-') || stream.startsWith('dispute-')) return 2;
  if (stream.startsWith('corridor-')) return 3;
  return 4;
}

/** The stored event type of a receipt: the state channel stores `corridor.transition-recorded.v1`, other chains the transition's kind. */
export function storedEventType(stream: string, receipt: JsonObject): string {
  if (stream.startsWith('corridor-')) return CORRIDOR_EVENTS.transitionRecorded;
  const t = receipt.transition;
  return isJsonObject(t) && typeof t.kind === 'string' ? t.kind : 'unknown';
}

interface Head {
  chain: number;
  index: number;
  key: string;
}

function keyOf(chain: FetchedChain, index: number, chainIndex: number): string {
  const r = chain.receipts[index]!;
  const ts = typeof r.timestamp === 'string' ? r.timestamp : '';
  return `${ts}\u0000${rank(chain.stream)}\u0000${chain.stream}\u0000${String(chainIndex).padStart(9, '0')}`;
}

/**
 * Rebuilds a global log in memory from chains read separately: a merge by receipt time that keeps every chain's own
 * order (projections require each stream's sequences gapless and in order), causes before effects at equal times
 * (see `rank`). The node's global commit order is not served over HTTP; for the read models this order gives the
 * same result wherever one stream's events depend on another's (spec/auditor-bundles.md §6).
 */
export async function memoryLedger(chains: readonly FetchedChain[]): Promise<EventStore> {
  const store = SqliteEventStore.open({ path: ':memory:', durability: 'normal' });
  const heap: Head[] = [];
  const push = (h: Head) => {
    heap.push(h);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]!.key <= heap[i]!.key) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  };
  const pop = (): Head => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]!.key < heap[m]!.key) m = l;
        if (r < heap.length && heap[r]!.key < heap[m]!.key) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  };
  chains.forEach((c, i) => {
    if (c.receipts.length > 0) push({ chain: i, index: 0, key: keyOf(c, 0, i) });
  });
  // Consecutive receipts of one stream go in one append.
  let batchStream: string | undefined;
  let batch: EventToAppend[] = [];
  const revisions = new Map<string, number>();
  const ids = new Set<string>();
  const flush = async () => {
    if (batchStream === undefined || batch.length === 0) return;
    const last = revisions.get(batchStream);
    const r = await store.append(batchStream, batch, last === undefined ? NO_STREAM : last);
    revisions.set(batchStream, r.nextExpectedRevision);
    batch = [];
  };
  while (heap.length > 0) {
    const h = pop();
    const chain = chains[h.chain]!;
    const receipt = chain.receipts[h.index]!;
    if (chain.stream !== batchStream) {
      await flush();
      batchStream = chain.stream;
    }
    let id = isDigest(receipt.next_root) ? eventIdFromDigest(receipt.next_root) : randomUUID();
    if (ids.has(id)) id = randomUUID();
    ids.add(id);
    batch.push({
      id,
      type: storedEventType(chain.stream, receipt),
      data: canonicalize(receipt),
    });
    if (batch.length >= 500) await flush();
    if (h.index + 1 < chain.receipts.length) push({ chain: h.chain, index: h.index + 1, key: keyOf(chain, h.index + 1, h.chain) });
  }
  await flush();
  return store;
}
