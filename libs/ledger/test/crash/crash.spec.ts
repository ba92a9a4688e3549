/**
 * Crash test: a child process appends receipts continuously and is killed with SIGKILL at random moments, again and
 * again. After every kill, every receipt the child acknowledged must be stored, each chain must verify end to end
 * with the protocol, and the MMR root the ledger resumes from must equal a recomputation from scratch.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mmrRootFromNextRoots, sha256Hex, verifyCorridorChain } from '@corridor/protocol';
import { ReceiptChainWriter, SqliteEventStore } from '@corridor/ledger';
import { NODE_KEY, tempDir } from '../support/chain-fixtures';

const KILLS = 24;
const STREAMS = 3;
const CHILD = path.join(__dirname, 'append-child.ts');
const TS_REGISTER = path.resolve(__dirname, '..', '..', 'worker', 'ts-register.js');

interface Acked {
  /** stream → sequence → next_root */
  byStream: Map<string, Map<number, string>>;
  count: number;
}

/** Starts the child, lets it append for a random while after it is ready, kills it with SIGKILL. */
function runAndKill(dbPath: string, acked: Acked): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', TS_REGISTER, CHILD, dbPath, String(STREAMS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    let stderr = '';

    const failTimer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child did not become ready: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'READY') {
          clearTimeout(failTimer);
          setTimeout(() => child.kill('SIGKILL'), 20 + Math.floor(Math.random() * 300));
          continue;
        }
        const [tag, stream, seq, nextRoot] = line.split(' ');
        if (tag !== 'ACK') continue;
        const m = acked.byStream.get(stream!) ?? new Map<number, string>();
        acked.byStream.set(stream!, m);
        m.set(Number(seq), nextRoot!);
        acked.count++;
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(failTimer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the child exited by itself (code ${code}): ${stderr}`));
    });
  });
}

function expectations(s: number) {
  return {
    corridor_id: `crash-${s}`,
    genesis_root: sha256Hex(`crash genesis ${s}`),
    lawpack_digest_set: [],
    ruleset_digest_set: [sha256Hex('ruleset')],
    transition_type_registry_digest_sha256: null,
  };
}

const sources = (events: readonly { revision: number; data: string }[]) =>
  events.map((e) => ({ path: `r/${String(e.revision).padStart(8, '0')}`, text: e.data }));

describe('crash safety of the SQLite event store and the chain writer', () => {
  it(`keeps every acknowledged receipt and a verifiable chain across ${KILLS} kill -9`, async () => {
    const dir = tempDir('ledger-crash-');
    const dbPath = path.join(dir, 'ledger.sqlite');
    const acked: Acked = { byStream: new Map(), count: 0 };
    /** The receipts verified after earlier kills, by stream: they must never change. */
    const verified = new Map<string, string[]>();
    try {
      for (let round = 0; round < KILLS; round++) {
        await runAndKill(dbPath, acked);
        // After the kill: read the file as a restarted node would.
        const store = SqliteEventStore.open({ path: dbPath, writerThread: false });
        try {
          const writer = new ReceiptChainWriter(store, NODE_KEY);
          for (let s = 0; s < STREAMS; s++) {
            const stream = `corridor-crash-${s}`;
            const events = await store.read(stream);
            const receipts = events.map((e) => JSON.parse(e.data) as { sequence: number; next_root: string });
            // Gapless, no duplicates: revision = sequence = index.
            receipts.forEach((r, i) => {
              expect(events[i]!.revision).toBe(i);
              expect(r.sequence).toBe(i);
            });
            expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
            // Every acknowledged receipt is there, unchanged.
            for (const [seq, nextRoot] of acked.byStream.get(stream) ?? []) expect(receipts[seq]?.next_root).toBe(nextRoot);
            if (events.length === 0) continue;

            // End to end with the protocol alone: the receipts verified after earlier kills are byte for byte the
            // same, and the chain from there on verifies (canonical bytes, schema, next_root, signatures, links)
            // from a checkpoint of that verified prefix; from genesis when there is none.
            const before = verified.get(stream) ?? [];
            expect(events.slice(0, before.length).map((e) => e.data)).toEqual(before);
            if (events.length === before.length) continue; // nothing new on this stream since the last kill
            const fromCheckpoint = before.length > 0 ? { value: await writer.checkpoint(stream, { height: before.length }) } : undefined;
            const verification = verifyCorridorChain(expectations(s), sources(events.slice(before.length)), { checkCanonicalBytes: true, fromCheckpoint });
            expect(verification.errors).toEqual([]);
            expect(verification.result!.receipt_count).toBe(events.length);
            verified.set(stream, events.map((e) => e.data));

            // The MMR the ledger resumes from equals a recomputation from scratch over every next_root.
            const scratch = mmrRootFromNextRoots(receipts.map((r) => r.next_root));
            expect((await writer.head(stream))!.mmr).toEqual({ size: scratch.size, root: scratch.root, peaks: scratch.peaks });
            expect(verification.result!.mmr.root).toBe(scratch.root);
          }
        } finally {
          await store.close();
        }
      }
      // The child made progress between kills (the test would prove nothing on an empty ledger).
      expect(acked.count).toBeGreaterThan(KILLS * 5);

      // Finally each whole chain, from genesis, in one verification.
      const store = SqliteEventStore.open({ path: dbPath, writerThread: false });
      try {
        for (let s = 0; s < STREAMS; s++) {
          const events = await store.read(`corridor-crash-${s}`);
          const full = verifyCorridorChain(expectations(s), sources(events), { checkCanonicalBytes: true });
          expect(full.errors).toEqual([]);
          expect(full.result!.receipt_count).toBe(events.length);
        }
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
