import * as crypto from 'node:crypto';
import canonicalizeRfc8785 from 'canonicalize';

/**
 * Independent recomputations from the specification (spec/compliance-tensor.md), using node's crypto and the
 * `canonicalize` package (RFC 8785) rather than anything of the library under test.
 */
export const sha = (s: string): string => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
export const canon = (v: unknown): string => canonicalizeRfc8785(v) as string;
export const digest = (v: unknown): string => sha(canon(v));

export const SPEC_DOMAINS = [
  'aml', 'kyc', 'sanctions', 'tax', 'securities', 'corporate', 'custody', 'data_privacy', 'licensing', 'banking',
  'payments', 'clearing', 'settlement', 'digital_assets', 'employment', 'immigration', 'ip', 'consumer_protection', 'arbitration', 'trade',
];
export const SPEC_STATES = ['non_compliant', 'pending', 'not_applicable', 'exempt', 'compliant'];

export interface OracleAttestation {
  digest: string;
  issuer_did: string;
  issued_at: string;
  expires_at: string | null;
  state: string;
  revoked: boolean;
}

export interface OracleCell {
  subject: string;
  jurisdiction: string;
  domain: string;
  attestations: readonly OracleAttestation[];
}

/** §5: cell digests, 4096 buckets by key digest, the commitment document. */
export function oracleCommitment(cells: readonly Readonly<OracleCell>[]): string {
  const entries = cells.map((c) => {
    const cell = {
      subject: c.subject,
      jurisdiction: c.jurisdiction,
      domain: c.domain,
      attestations: [...c.attestations]
        .sort((a, b) => (a.digest < b.digest ? -1 : 1))
        .map((a) => ({ digest: a.digest, issuer_did: a.issuer_did, issued_at: a.issued_at, expires_at: a.expires_at, state: a.state, revoked: a.revoked })),
    };
    return [sha(canon([c.subject, c.jurisdiction, c.domain])), sha(canon(cell))] as [string, string];
  });
  entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const buckets = new Map<string, [string, string][]>();
  for (const e of entries) {
    const b = e[0].slice(0, 3);
    if (!buckets.has(b)) buckets.set(b, []);
    buckets.get(b)!.push(e);
  }
  const list = [...buckets.keys()].sort().map((b) => [b, sha(canon(buckets.get(b)))]);
  return sha(canon({ type: 'CorridorComplianceTensorCommitment', version: 1, domains: SPEC_DOMAINS, states: SPEC_STATES, cell_count: cells.length, buckets: list }));
}
