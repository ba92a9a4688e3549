export * from './types';
export {
  groupCandidates,
  loadForkResolutions,
  selectCanonicalChain,
  forkPoints,
  isCanonicalText,
  sortByPath,
  verifiedSigners,
  type Candidate,
  type CandidateIndex,
  type ReceiptRow,
  type ForkResolutionMap,
} from './common';
export * from './verify';
export * from './checkpoint';
export * from './inclusion-proof';
export * from './forks';
