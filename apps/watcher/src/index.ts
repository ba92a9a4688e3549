/** The watcher daemon as a library: start it in-process (`startWatcher`), or use its verifier alone. */
export { startWatcher, type RunningWatcher, type HealthReport, type SubscriptionHealth, type CorridorHealth, type StartWatcherOptions, type WatcherConfigInput } from './watcher';
export { loadWatcherConfig, completeWatcherConfig, normalizeNodeUrl, WatcherConfigError, WATCHER_DEFAULTS, type WatcherConfig } from './config';
export { loadOrCreateWatcherKey } from './key';
export { stdoutLogger, silentLogger, type WatcherLogger, type LogEntry } from './log';
export { SseParser, openSseStream, type SseEvent } from './net/sse';
export { WatcherStore } from './store';
export { signerPolicy, verifyDocumentProofs, type SignerPolicy } from './verify/proofs';
export { SignerSchedule, verifyKeyRotation, KEY_ROTATION_CREDENTIAL, KEY_ROTATED_EVENT, type KeyRotation } from './verify/signers';
export {
  ChainVerifier,
  verifyStandaloneReceipt,
  parseReceiptText,
  RECEIPT_CHECKS,
  CORRIDOR_RECEIPT_TYPE,
  type ReceiptCheck,
  type ReceiptOutcome,
  type VerifiedReceipt,
  type CorridorFacts,
  type ChainHead,
  type Signers,
} from './verify/receipt-verifier';
export {
  verifyCheckpointAgainstHead,
  verifyCheckpointBelowHead,
  verifyAttestedConsistency,
  checkCheckpointShape,
  CHECKPOINT_CHECKS,
  type CheckpointCheck,
  type CheckpointOutcome,
  type OwnHead,
} from './verify/checkpoint-verifier';
