import { mmrHashFromInput } from './hash';
import type { MmrNodeLookup } from './types';

/** Reads one node hash through a lookup; throws when the store does not have it. */
export function readNode(getNode: MmrNodeLookup, position: number): Buffer {
  const v = getNode(position);
  if (v === null || v === undefined) throw new Error(`MMR node at position ${position} is missing from the node store`);
  return mmrHashFromInput(v, `MMR node at position ${position}`);
}
