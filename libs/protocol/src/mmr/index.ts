/**
 * Merkle Mountain Range of the MSEZ reference (`tools/mmr.py`), byte-compatible, with inclusion proofs (peak list
 * bound to size) and consistency proofs between two sizes. Specification: spec/mmr.md.
 */
export type {
  MmrPeak,
  MmrRoot,
  MmrPathStep,
  MmrInclusionProof,
  MmrConsistencyProof,
  MmrVerifyResult,
  MmrNodeLookup,
} from './types';
export { MMR_CONSISTENCY_PROOF_TYPE } from './types';
export {
  MMR_HASH_BYTES,
  normalizeMmrHex,
  mmrHashFromHex,
  mmrLeafHash,
  mmrNodeHash,
  mmrLeafHashBytes,
  mmrNodeHashBytes,
} from './hash';
export type { MmrPeakSlot } from './shape';
export {
  MMR_MAX_SIZE,
  mmrPeakPlan,
  mmrPeakHeights,
  mmrPeakPositions,
  mmrFindPeakForLeaf,
  mmrNodeCount,
  mmrLeafPosition,
  mmrNodePosition,
} from './shape';
export type { MmrPeaksFailure } from './peaks';
export { buildPeaks, bagPeaks, appendPeaks, mmrRootFromNextRoots, verifyMmrPeaks } from './peaks';
export type { MmrAccumulatorOptions, MmrNodeSink } from './accumulator';
export { MmrAccumulator } from './accumulator';
export type { MmrInclusionFailure, MmrInclusionPlan } from './inclusion';
export {
  MMR_INCLUSION_FAILURES,
  planInclusionProof,
  buildInclusionProof,
  buildInclusionProofFromNodes,
  verifyInclusionProof,
} from './inclusion';
export type { MmrConsistencyFailure, MmrConsistencyPlan, MmrConsistencyTrust } from './consistency';
export {
  MMR_CONSISTENCY_FAILURES,
  planConsistencyProof,
  buildConsistencyProof,
  buildConsistencyProofFromNodes,
  verifyConsistencyProof,
} from './consistency';
export { MmrNodeLog } from './node-log';
