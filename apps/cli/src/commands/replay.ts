import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { COMPLIANCE_TENSOR, createProjections, defaultProjections, ProjectionQueries, SqliteProjectionStore, type TensorStamp } from '@corridor/compliance';
import { SqliteEventStore, type GlobalPosition } from '@corridor/ledger';
import { printJson } from '../cli-io';
import { CliProblem } from '../cli-problem';
import type { Command } from './command';

function position(p: GlobalPosition | undefined): string | null {
  return p === undefined ? null : `${p.commit}/${p.prepare}`;
}

/** The live node's tensor commitment from its projection store, if it has one. */
async function liveCommitment(file: string): Promise<TensorStamp | null> {
  if (!existsSync(file)) return null;
  const store = SqliteProjectionStore.open({ path: file, readonly: true });
  try {
    return await new ProjectionQueries(store).tensor.commitment();
  } catch {
    return null;
  } finally {
    await store.close();
  }
}

/**
 * `corridor replay --data DIR`: an auditor's replay. Folds the node's whole ledger (DIR/ledger.sqlite) into every
 * projection from scratch, in a scratch store (nothing of the node is written), prints each projection's events,
 * checkpoint, metadata and row counts and the rebuilt tensor commitment, and compares it with the commitment the
 * node's own projection store (DIR/projections.sqlite) holds. Exit 0 when they agree (or the node has none), 1
 * when they differ. Run it on a stopped node, or on a copy of its data folder.
 */
export const replayCommand: Command = {
  words: ['replay'],
  usage: 'corridor replay --data DIR [--ledger FILE]',
  summary: "rebuild every projection from a node's ledger offline; print row counts and the tensor commitment, compared with the node's",
  options: { data: { type: 'string' }, ledger: { type: 'string' } },
  async run({ values }, io) {
    if (typeof values.data !== 'string' || values.data === '') throw new CliProblem('usage', 'Invalid command line', 'replay needs --data DIR (the node data folder)');
    const dataDir = resolve(values.data);
    const ledgerFile = typeof values.ledger === 'string' ? resolve(values.ledger) : resolve(dataDir, 'ledger.sqlite');
    if (!existsSync(ledgerFile)) throw new CliProblem('not-found', 'Not found', `no ledger at ${ledgerFile}`);
    const events = SqliteEventStore.open({ path: ledgerFile, durability: 'normal' });
    const store = SqliteProjectionStore.open({ path: ':memory:' });
    try {
      const { host, queries } = createProjections({ events, store });
      await host.start();
      await host.caughtUp();
      await host.stop();
      const projections = [];
      for (const d of defaultProjections()) {
        const { active } = await store.generations(d.name);
        const reader = store.reader(d.name, active!);
        const cp = await reader.checkpoint();
        const rows: Record<string, number> = {};
        for (const c of Object.keys(d.collections)) rows[c] = await reader.count(c);
        projections.push({ projection: d.name, events: cp.events, position: position(cp.position), meta: cp.meta, rows });
      }
      const tensor = await queries.tensor.commitment();
      const live = await liveCommitment(resolve(dataDir, 'projections.sqlite'));
      const matches = live === null ? null : live.commitment === tensor.commitment;
      printJson(io, {
        ledger: ledgerFile,
        projections,
        tensor: { projection: COMPLIANCE_TENSOR, commitment: tensor.commitment, cell_count: tensor.cell_count, events: tensor.events, position: tensor.position },
        live: live === null ? null : { commitment: live.commitment, cell_count: live.cell_count, events: live.events, position: live.position, generation: live.generation },
        matches,
      });
      return matches === false ? 1 : 0;
    } finally {
      await store.close();
      await events.close();
    }
  },
};

export const REPLAY_COMMANDS: Command[] = [replayCommand];
