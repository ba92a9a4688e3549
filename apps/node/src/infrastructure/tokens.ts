/** DI tokens of the node's ports and singletons (ports of libs/ledger export their own, e.g. EVENT_STORE). */
export const NODE_CONFIG = Symbol.for('corridor-ledger.NodeConfig');
export const NODE_KEY = Symbol.for('corridor-ledger.NodeKey');
export const CHAIN_WRITER = Symbol.for('corridor-ledger.ReceiptChainWriter');
export const IDEMPOTENCY_STORE = Symbol.for('corridor-ledger.IdempotencyStore');
export const PEERING_STORE = Symbol.for('corridor-ledger.PeeringStore');
