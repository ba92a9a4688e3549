import type { Doc, GenerationReader, IndexValues } from '../store/port';
import type { LedgerRecord } from './ledger-record';

/** A collection of a projection: its documents and how to index them. */
export interface CollectionDefinition {
  /** Index values of a document (field → values); omitted: the collection has no index. */
  readonly index?: (doc: Doc, key: string) => IndexValues;
}

/**
 * A projection: a named read model folded from the global log. The framework feeds it every event of the
 * streams it folds, in global order, each exactly once and gap-checked per stream, and commits its writes
 * together with its checkpoint.
 */
export interface ProjectionDefinition {
  /** Identifier (`[a-z][a-z0-9_]*`): names the store's tables and keys. */
  readonly name: string;
  readonly collections: Readonly<Record<string, CollectionDefinition>>;
  /**
   * Stream-name prefixes of the streams it folds; omitted: every stream. Only stream filters exist (never
   * event-type filters): every event of a folded stream reaches the gap check, so a missing sequence can never
   * pass for a filtered one.
   */
  readonly streamPrefixes?: readonly string[];
  /**
   * Opens the projection on a generation: `reader` shows what is committed there (empty for a new
   * generation). Called on every (re)start; whatever the handler keeps in memory must be rebuilt from `reader`.
   */
  open(reader: GenerationReader): Promise<ProjectionHandler>;
}

export interface ProjectionHandler {
  /**
   * Folds one record into the read model through `tx`. Throwing (or rejecting) stops the projection at this
   * record. Return nothing for records the projection ignores: the framework awaits only a returned promise.
   */
  fold(record: LedgerRecord, tx: FoldContext): Promise<void> | void;
  /**
   * Called before each commit, after the batch's last fold: a projection that keeps work in memory during a
   * batch (e.g. a value recomputed at every event but only committed once) writes it through `tx` here. Throwing
   * stops the projection and commits nothing of the batch.
   */
  beforeCommit?(tx: FoldContext): Promise<void> | void;
  /** Metadata committed with each batch (e.g. the tensor commitment), after the batch's records were folded. */
  meta?(): Record<string, string>;
}

/**
 * Read-your-writes access to the projection's documents inside the batch being folded. Writes become visible to
 * readers only when the batch commits (with the checkpoint, atomically).
 */
export interface FoldContext {
  get<T extends Doc = Doc>(collection: string, key: string): Promise<T | undefined>;
  /**
   * Puts a document. `json`, when given, is a JSON text of `doc` the caller has already built (the tensor has the
   * canonical text of a cell, for its digest): the store writes it instead of serializing `doc` again. It must
   * parse to a value deep-equal to `doc` (key order may differ), and `doc` must not be changed in place afterwards.
   */
  put(collection: string, key: string, doc: Doc, json?: string): void;
  /**
   * Puts a document the caller knows did not exist before this batch (the projection keeps its own proof of
   * that, e.g. the tensor's commitment index), so the writer need not read the store to find old index values.
   */
  create(collection: string, key: string, doc: Doc, json?: string): void;
  delete(collection: string, key: string): void;
  /** Keys whose document has `value` in index `field`, including this batch's uncommitted writes. */
  keysBy(collection: string, field: string, value: string): Promise<string[]>;
}
