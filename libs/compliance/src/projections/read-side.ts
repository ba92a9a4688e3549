import type { GlobalPosition } from '@corridor/ledger';
import { samePosition, type Checkpoint, type GenerationReader, type ProjectionStore } from '../store/port';

/** The projection has no active generation yet (the node never started it). */
export class ProjectionNotReadyError extends Error {
  constructor(readonly projection: string) {
    super(`projection ${projection} has no active generation yet`);
    this.name = 'ProjectionNotReadyError';
  }
}

/** Where a query result comes from: which generation, at which checkpoint. */
export interface ReadStamp {
  readonly projection: string;
  readonly generation: number;
  /** `commit/prepare` of the last event the read model reflects; null before the first. */
  readonly position: string | null;
  readonly events: number;
}

export interface Snapshot<T> {
  readonly value: T;
  readonly checkpoint: Checkpoint;
  readonly stamp: ReadStamp;
}

const ATTEMPTS = 20;

/**
 * Runs a multi-step read against the active generation of a projection and makes it a consistent snapshot:
 * the checkpoint (and the active generation) are read before and after; if a commit or a swap happened in
 * between, the read is repeated. A read that raced a dropped generation is repeated too.
 */
export async function readSnapshot<T>(store: ProjectionStore, projection: string, read: (reader: GenerationReader, checkpoint: Checkpoint) => Promise<T>): Promise<Snapshot<T>> {
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const { active } = await store.generations(projection);
    if (active === undefined) throw new ProjectionNotReadyError(projection);
    const reader = store.reader(projection, active);
    try {
      const before = await reader.checkpoint();
      const value = await read(reader, before);
      const [after, gens] = await Promise.all([reader.checkpoint(), store.generations(projection)]);
      if (gens.active === active && samePosition(before.position, after.position)) {
        return { value, checkpoint: before, stamp: stampOf(projection, active, before) };
      }
    } catch (e) {
      lastError = e;
      const gens = await store.generations(projection);
      if (gens.active === active) throw e;
    }
  }
  throw new Error(`projection ${projection}: no consistent read after ${ATTEMPTS} attempts${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}

export function stampOf(projection: string, generation: number, cp: Checkpoint): ReadStamp {
  return { projection, generation, position: cp.position ? positionString(cp.position) : null, events: cp.events };
}

function positionString(p: GlobalPosition): string {
  return `${p.commit}/${p.prepare}`;
}
