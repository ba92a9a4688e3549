import { createHash } from 'node:crypto';
import type { JsonObject } from '../json/json-value';
import { Ed25519KeyPair } from '../keys/ed25519';
import { addProof } from '../proofs/proof';
import { headCommitmentDigest } from '../receipts/commitments';
import { compareWatcherAttestations, parseDurationToSeconds, parseIsoTimestamp, watcherQuorumPolicy } from './compare';
import type { CorridorModule } from '../corridor/module';

const seed = (tag: string) => createHash('sha256').update(tag).digest();
const watchers = [0, 1, 2, 3, 4].map((i) => Ed25519KeyPair.fromSeed(seed(`compare-unit-${i}`)));
const CORRIDOR = 'org.example.watch';
const d = (c: string) => c.repeat(64);
const NOW = new Date('2025-01-02T02:30:00Z');

function attestation(key: Ed25519KeyPair, head: { count: number; root: string }, observed_at = '2025-01-02T02:00:00Z', extra: JsonObject = {}): JsonObject {
  const subject: JsonObject = {
    corridor_id: CORRIDOR,
    genesis_root: d('1'),
    checkpoint_digest_sha256: d('0'),
    receipt_count: head.count,
    final_state_root: head.root,
    mmr_root: d('9'),
    observed_at,
    head_commitment_digest_sha256: headCommitmentDigest({ corridor_id: CORRIDOR, genesis_root: d('1'), receipt_count: head.count, final_state_root: head.root, mmr_root: d('9') }),
    ...extra,
  };
  const vc = {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    type: ['VerifiableCredential', 'MSEZCorridorWatcherAttestationCredential'],
    issuer: key.did,
    issuanceDate: observed_at,
    credentialSubject: subject,
  };
  return addProof(vc, key, { created: '2025-01-02T02:00:00Z' });
}
const src = (vcs: JsonObject[]) => vcs.map((value, i) => ({ path: `w${i}.json`, value }));
const H = { count: 10, root: d('a') };

describe('watcher compare', () => {
  it('K/N thresholds count distinct watchers, not attestations', () => {
    const same = [attestation(watchers[0], H), attestation(watchers[0], H, '2025-01-02T02:10:00Z'), attestation(watchers[1], H)];
    const r = compareWatcherAttestations({ corridor_id: CORRIDOR, attestations: src(same), now: NOW, threshold: '3/5' });
    expect(r.report.quorum).toMatchObject({ threshold: '3/5', required: 3, of: 5, agreeing_watchers: 2, reached: false, finality_level: 'checkpoint_signed' });
    expect(r.exit_code).toBe(0);
    expect(compareWatcherAttestations({ corridor_id: CORRIDOR, attestations: src(same), now: NOW, threshold: '3/5', require_quorum: true }).exit_code).toBe(1);
    const three = [...same, attestation(watchers[2], H)];
    expect(compareWatcherAttestations({ corridor_id: CORRIDOR, attestations: src(three), now: NOW, threshold: '3/5' }).report.quorum.reached).toBe(true);
  });

  it('an allow-list sets N and keeps out other signers', () => {
    const vcs = [attestation(watchers[0], H), attestation(watchers[1], H), attestation(watchers[4], H)];
    const r = compareWatcherAttestations({ corridor_id: CORRIDOR, attestations: src(vcs), now: NOW, allowed_watchers: watchers.slice(0, 4).map((w) => `${w.did}#k`) });
    expect(r.report.summary.valid_attestations).toBe(2);
    expect(r.report.warnings).toEqual([expect.stringMatching(/^w2\.json: signer\(s\) .* not authorized/)]);
    expect(r.report.quorum).toMatchObject({ required: 3, of: 4, agreeing_watchers: 2, reached: false });
  });

  it('unreadable observed_at is stale; no fresh attestation means receipt_signed', () => {
    const r = compareWatcherAttestations({ corridor_id: CORRIDOR, attestations: src([attestation(watchers[0], H, 'yesterday')]), now: NOW });
    expect(r.report.attestations[0]).toMatchObject({ stale: true, staleness_seconds: 0 });
    expect(r.report.quorum.finality_level).toBe('receipt_signed');
    expect(r.report.divergences.map((x) => x.type)).toEqual(['no_fresh_attestations']);
  });

  it('a wrong stated head digest is replaced by the recomputed one, with a warning', () => {
    const vc = attestation(watchers[0], H, undefined, { head_commitment_digest_sha256: d('e') });
    const r = compareWatcherAttestations({ corridor_id: CORRIDOR, attestations: src([vc]), now: NOW });
    expect(r.report.warnings).toEqual(['w0.json: head_commitment_digest_sha256 does not match computed value; using computed']);
    const recomputed = headCommitmentDigest({ corridor_id: CORRIDOR, genesis_root: d('1'), receipt_count: 10, final_state_root: d('a'), mmr_root: d('9') });
    expect(r.report.attestations[0].head_commitment_digest_sha256).toBe(recomputed);
    expect(r.report.quorum.agreed_head).toMatchObject({ head_commitment_digest_sha256: recomputed });
  });

  it('one head attested with different checkpoint digests is an informational divergence', () => {
    const vcs = [attestation(watchers[0], H), attestation(watchers[1], H, undefined, { checkpoint_digest_sha256: d('f') })];
    const r = compareWatcherAttestations({ corridor_id: CORRIDOR, attestations: src(vcs), now: NOW });
    expect(r.report.divergences.map((x) => [x.type, x.severity])).toEqual([['checkpoint_digest_divergence', 'info']]);
  });

  it('nothing valid: exit 2', () => {
    const r = compareWatcherAttestations({ corridor_id: CORRIDOR, attestations: [{ path: 'x.json', text: '{' }], now: NOW });
    expect(r.exit_code).toBe(2);
    expect(r.report.errors).toEqual(['no valid watcher attestations found']);
  });
});

describe('durations, timestamps, policy', () => {
  it.each([
    ['3600', 3600],
    ['15m', 900],
    ['2h', 7200],
    ['7d', 604800],
    ['P1D', 86400],
    ['PT1H30M', 5400],
    ['', 0],
    ['soon', 0],
  ])('duration %j = %i s', (text, seconds) => {
    expect(parseDurationToSeconds(text)).toBe(seconds);
  });

  it.each([
    ['2025-01-02T02:00:00Z', Date.UTC(2025, 0, 2, 2)],
    ['2025-01-02T02:00:00', Date.UTC(2025, 0, 2, 2)],
    ['2025-01-02T07:30:00+05:30', Date.UTC(2025, 0, 2, 2)],
    ['2025-01-02 02:00:00.250Z', Date.UTC(2025, 0, 2, 2, 0, 0, 250)],
    ['2025-02-30T00:00:00Z', undefined],
    ['not a date', undefined],
  ])('timestamp %j', (text, ms) => {
    expect(parseIsoTimestamp(text)).toBe(ms);
  });

  it('the watcher quorum policy comes from the agreements', () => {
    const agreement = (wq: JsonObject): JsonObject => ({ credentialSubject: { state_channel: { watcher_quorum: wq } } });
    const module = (vcs: JsonObject[]): CorridorModule => ({
      manifest: { agreement_vc_path: vcs.map((_v, i) => `a${i}.json`) },
      definitionVc: {},
      agreementVcs: Object.fromEntries(vcs.map((v, i) => [`a${i}.json`, v])),
      rulesetDescriptors: {},
    });
    expect(watcherQuorumPolicy(module([agreement({ mode: 'required', required: 2, of: 3, max_staleness: '15m' })]))).toEqual({
      policy: { mode: 'required', threshold: '2/3', max_staleness_seconds: 900 },
      warnings: [],
    });
    const two = watcherQuorumPolicy(module([agreement({ threshold: 'majority' }), agreement({ threshold: '2/2' })]));
    expect(two.policy.threshold).toBe('majority');
    expect(two.warnings).toHaveLength(1);
    const r = compareWatcherAttestations({ corridor_id: CORRIDOR, attestations: src([attestation(watchers[0], H)]), now: NOW, policy: { mode: 'required', threshold: '2/3' } });
    expect(r.report.quorum).toMatchObject({ threshold: '2/3', require_quorum: true, reached: false });
    expect(r.exit_code).toBe(1);
  });
});
