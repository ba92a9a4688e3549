/**
 * Child process of the crash test: appends receipts to a few corridor streams as fast as it can — several
 * appends in flight per stream, signed in a worker thread, committed by the store's writer thread — and prints one
 * line per acknowledged receipt (`ACK <stream> <sequence> <next_root>`). The parent kills it with SIGKILL at random
 * moments. stdout is a pipe, which Node writes synchronously on Linux: a printed line was acknowledged first.
 */
import { Ed25519KeyPair, sha256Hex } from '@corridor/protocol';
import { NO_STREAM, ReceiptChainWriter, SqliteEventStore, corridorChainProfile, type ExpectedRevision } from '@corridor/ledger';

const [dbPath, streamsArg] = process.argv.slice(2);
const STREAMS = Number(streamsArg ?? 3);
const IN_FLIGHT_PER_STREAM = 4;

async function main(): Promise<void> {
  const store = SqliteEventStore.open({ path: dbPath!, durability: 'full' });
  const writer = new ReceiptChainWriter(store, Ed25519KeyPair.fromSeed(Buffer.alloc(32, 9), 'crash'), { signingWorkers: 1 });
  const lanes = await Promise.all(
    Array.from({ length: STREAMS }, async (_, s) => {
      const id = `crash-${s}`;
      const head = await writer.head(`corridor-${id}`);
      return {
        stream: `corridor-${id}`,
        profile: corridorChainProfile({ corridorId: id, genesisRoot: sha256Hex(`crash genesis ${s}`), lawpackDigestSet: [], rulesetDigestSet: [sha256Hex('ruleset')] }),
        next: head ? head.revision + 1 : 0,
      };
    }),
  );
  process.stdout.write('READY\n');
  const run = async (lane: (typeof lanes)[number]) => {
    for (;;) {
      const n = 1 + Math.floor(Math.random() * 3);
      const first = lane.next;
      lane.next += n;
      const expected: ExpectedRevision = first === 0 ? NO_STREAM : first - 1;
      const events = Array.from({ length: n }, (_, i) => ({
        type: 'trade.invoice.issued.v1',
        data: { invoice: `INV-${lane.stream}-${first + i}`, amount: `${first + i}.00` },
        at: new Date(Date.UTC(2026, 0, 1) + (first + i) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      }));
      const result = await writer.append(lane.stream, lane.profile, events, expected);
      process.stdout.write(result.receipts.map((r) => `ACK ${lane.stream} ${String(r.sequence)} ${String(r.next_root)}\n`).join(''));
    }
  };
  await Promise.all(lanes.flatMap((lane) => Array.from({ length: IN_FLIGHT_PER_STREAM }, () => run(lane))));
}

main().catch((e: unknown) => {
  process.stderr.write(`append-child failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
