import { createHash } from 'node:crypto';
import type { TestNode } from '../support/node-harness';

export const TOKENS = { regulator: 'reg-token-7f3a9c', auditor: 'aud-token-51be02', admin: 'adm-token-c0ffee' };

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** Node settings granting one regulator (sbp), one auditor (audit-office) and one operator (ops). */
export function accessEnv(): Record<string, string> {
  return {
    CORRIDOR_REGULATOR_TOKENS: JSON.stringify({ sbp: sha(TOKENS.regulator) }),
    CORRIDOR_AUDITOR_TOKENS: JSON.stringify({ 'audit-office': sha(TOKENS.auditor) }),
    CORRIDOR_ADMIN_TOKENS: JSON.stringify({ ops: sha(TOKENS.admin) }),
  };
}

/** The same maps, as the config fields the principal directory reads. */
export function accessEnvConfig(): { regulatorTokens: string; auditorTokens: string; adminTokens: string } {
  const env = accessEnv();
  return { regulatorTokens: env.CORRIDOR_REGULATOR_TOKENS!, auditorTokens: env.CORRIDOR_AUDITOR_TOKENS!, adminTokens: env.CORRIDOR_ADMIN_TOKENS! };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const DIGEST_A = 'a'.repeat(64);
export const DIGEST_B = 'b'.repeat(64);
export const DIGEST_C = 'c'.repeat(64);

/** Records compliance attestations on an ACTIVE corridor: one valid (AML), one expired (KYC), one revoked (sanctions). */
export async function recordAttestations(node: TestNode, corridorId: string, entity = 'entity:acme-pk'): Promise<void> {
  const transitions = [
    { kind: 'compliance.attestation.issued.v1', payload: { subject: entity, jurisdiction: 'PK', domain: 'aml', state: 'compliant', issuer_did: 'did:example:sbp', issued_at: '2026-01-10T00:00:00Z', attestation_digest_sha256: DIGEST_A } },
    { kind: 'compliance.attestation.issued.v1', payload: { subject: entity, jurisdiction: 'PK', domain: 'kyc', state: 'compliant', issuer_did: 'did:example:sbp', issued_at: '2025-01-01T00:00:00Z', expires_at: '2025-06-01T00:00:00Z', attestation_digest_sha256: DIGEST_B } },
    { kind: 'compliance.attestation.issued.v1', payload: { subject: entity, jurisdiction: 'AE', domain: 'sanctions', state: 'compliant', issuer_did: 'did:example:cbuae', issued_at: '2026-02-01T00:00:00Z', attestation_digest_sha256: DIGEST_C } },
    { kind: 'compliance.attestation.revoked.v1', payload: { attestation_digest_sha256: DIGEST_C } },
  ];
  for (const transition of transitions) {
    const r = await node.api('POST', `/corridors/${corridorId}/transitions`, { transition });
    if (r.status !== 201) throw new Error(`transition ${transition.kind} answered ${r.status}: ${r.text}`);
  }
}

/** Polls until `check` holds (the projections fold the log asynchronously, within a turn or two). */
export async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until every projection has folded the whole global log as it stands now. A cell count alone is not
 * enough: a later event (a revocation, say) changes the commitment without adding a cell.
 */
export async function projectionsCaughtUp(node: TestNode, headers: Record<string, string>): Promise<void> {
  const { EVENT_STORE } = await import('@corridor/ledger');
  const all = await node.app.get(EVENT_STORE).readAll();
  const last = all[all.length - 1];
  if (!last) return;
  const head = `${last.position.commit}/${last.position.prepare}`;
  await eventually(
    () => node.api('GET', '/regulator/projections', undefined, headers),
    (r) => r.status === 200 && r.body.projections.every((p: { position: string | null }) => p.position === head),
  );
}
