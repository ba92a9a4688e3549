export const PRINCIPAL_DIRECTORY = Symbol.for('corridor-ledger.PrincipalDirectory');
export const AUDIT_TRAIL = Symbol.for('corridor-ledger.AuditTrailStore');
