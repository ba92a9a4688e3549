import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { corridorChainProfile, ReceiptChainWriter, SqliteEventStore } from '@corridor/ledger';
import { makeTransitionEnvelope, parseJsonText, type Ed25519KeyPair, type JsonObject, type TransitionEnvelope } from '@corridor/protocol';

/**
 * A dishonest node, for tests only: with the node stopped, rewrites its copy of a corridor's state channel from
 * `fromSequence` on — the old receipts are deleted behind the ledger's back and forged ones, validly signed with
 * the node's key, take their place (as many, so the head does not even move back). What every watcher must catch.
 */
export async function rewriteStateChannel(dataDir: string, corridorId: string, fromSequence: number, key: Ed25519KeyPair): Promise<{ replaced: number }> {
  const file = join(dataDir, 'ledger.sqlite');
  const stream = `corridor-${corridorId}`;
  const db = new Database(file);
  let first: JsonObject;
  let count: number;
  try {
    const rows = db.prepare('SELECT revision, data FROM events WHERE stream = ? ORDER BY revision').all(stream) as { revision: number; data: string }[];
    if (rows.length <= fromSequence) throw new Error(`${stream} holds ${rows.length} receipts: nothing to rewrite from ${fromSequence}`);
    first = parseJsonText(rows[0]!.data) as JsonObject;
    count = rows.length;
    db.transaction(() => {
      db.prepare('DELETE FROM events WHERE stream = ? AND revision >= ?').run(stream, fromSequence);
      const last = db.prepare('SELECT MAX(position) AS p FROM events WHERE stream = ?').get(stream) as { p: number | null };
      db.prepare('UPDATE streams SET revision = ?, position = ? WHERE stream = ?').run(fromSequence - 1, last.p ?? 0, stream);
    })();
  } finally {
    db.close();
  }
  const store = SqliteEventStore.open({ path: file, durability: 'full' });
  const writer = new ReceiptChainWriter(store, key, { signingWorkers: 0 });
  try {
    const profile = {
      ...corridorChainProfile({
        corridorId,
        genesisRoot: first.prev_root as string,
        lawpackDigestSet: first.lawpack_digest_set as string[],
        rulesetDigestSet: first.ruleset_digest_set as string[],
      }),
      toTransition: (e: { data: unknown }) => (e.data as { transition: TransitionEnvelope }).transition,
    };
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const events = Array.from({ length: count - fromSequence }, (_, i) => ({
      type: 'corridor.transition-recorded.v1',
      at,
      data: {
        corridor_id: corridorId,
        at,
        ordinal: fromSequence + i + 1,
        transition: makeTransitionEnvelope({ kind: 'trade.invoice.issued.v1', payload: { invoice: `FORGED-${fromSequence + i}`, amount: '1.00', currency: 'USD' } }) as unknown as JsonObject,
      },
    }));
    await writer.append(stream, profile, events, fromSequence - 1);
  } finally {
    await writer.close();
    await store.close();
  }
  // The node's own read models folded the old receipts and would refuse the rewritten stream (a gap): a dishonest
  // node throws them away too, and rebuilds them from its forged log.
  rmSync(join(dataDir, 'projections.sqlite'), { force: true });
  rmSync(join(dataDir, 'projections.sqlite-wal'), { force: true });
  rmSync(join(dataDir, 'projections.sqlite-shm'), { force: true });
  return { replaced: count - fromSequence };
}
