import { createHash } from 'node:crypto';
import type { JsonObject } from '../json/json-value';
import { Ed25519KeyPair } from '../keys/ed25519';
import { addProof } from '../proofs/proof';
import { corridorAgreementSummary, definitionPayloadSha256 } from './agreement';
import { corridorGenesis, expectedLawpackDigestSet, expectedRulesetDigestSet } from './genesis';
import type { CorridorModule } from './module';
import { corridorTransitionTypeRegistryDigest } from './transition-types';

/** Agreement evaluation on small synthetic modules: both patterns, commitments, thresholds, lawpack domains. */
const seed = (tag: string) => createHash('sha256').update(tag).digest();
const A = Ed25519KeyPair.fromSeed(seed('agreement-unit-a'));
const B = Ed25519KeyPair.fromSeed(seed('agreement-unit-b'));
const C = Ed25519KeyPair.fromSeed(seed('agreement-unit-c'));
const CORRIDOR = 'org.example.agreement';
const d = (c: string) => c.repeat(64);

const definition = addProof(
  {
    id: 'urn:def',
    issuer: A.did,
    credentialSubject: { corridor_id: CORRIDOR, lawpack_compatibility: { required_domains: ['civil'] } },
  },
  A,
  { created: '2025-01-01T00:00:00Z' },
);
const participants = [
  { id: A.did, role: 'zone' },
  { id: B.did, role: 'zone' },
];
const subject = (extra: JsonObject): JsonObject => ({
  corridor_id: CORRIDOR,
  definition_payload_sha256: definitionPayloadSha256(definition),
  participants,
  activation: { thresholds: [{ role: 'zone', required: 2, of: 2 }] },
  ...extra,
});
const partyVc = (key: Ed25519KeyPair, extra: JsonObject = {}) =>
  addProof({ issuer: key.did, credentialSubject: subject({ party: { id: key.did, role: 'zone' }, pinned_lawpacks: [{ domain: 'civil', lawpack_digest_sha256: key === A ? d('a') : d('b') }], ...extra }) }, key, { created: '2025-01-01T00:00:00Z' });

function moduleOf(agreements: Record<string, JsonObject>, manifest: JsonObject = {}): CorridorModule {
  return {
    manifest: { corridor_id: CORRIDOR, definition_vc_path: 'def.json', agreement_vc_path: Object.keys(agreements), ...manifest },
    definitionVc: definition,
    agreementVcs: agreements,
    trustAnchors: { trust_anchors: [A, B].map((k) => ({ identifier: `${k.did}#key-1`, allowed_attestations: ['corridor_agreement'] })) },
    rulesetDescriptors: { 'msez.corridor.verification.v1': { v: 1 }, 'msez.corridor.state-transition.v2': { v: 2 } },
  };
}

describe('agreement summary', () => {
  it('party-specific: both parties agree, thresholds met, lawpacks pinned', () => {
    const { errors, summary } = corridorAgreementSummary(moduleOf({ 'a.json': partyVc(A), 'b.json': partyVc(B) }));
    expect(errors).toEqual([]);
    expect(summary.activated).toBe(true);
    expect(summary.agreement_pattern).toBe('party-specific');
    expect(summary.thresholds).toEqual([{ role: 'zone', required: 2, of: 2, participants: 2, signed: 2, satisfied: true }]);
    expect(expectedLawpackDigestSet(moduleOf({ 'a.json': partyVc(A), 'b.json': partyVc(B) }))).toEqual([d('a'), d('b')]);
  });

  it('a party that does not agree blocks activation', () => {
    const { errors, summary } = corridorAgreementSummary(moduleOf({ 'a.json': partyVc(A), 'b.json': partyVc(B, { commitment: 'withdraw' }) }));
    expect(summary.activated).toBe(false);
    expect(summary.blocked_parties).toEqual([{ id: B.did, commitment: 'withdraw', path: 'b.json' }]);
    expect(errors).toContain(`agreement: party ${B.did} commitment 'withdraw' blocks activation (accept_commitments=['agree'])`);
    expect(summary.thresholds![0]).toMatchObject({ signed: 1, satisfied: false });
  });

  it('a party credential must be signed by its party; a party appears once', () => {
    const forged = addProof({ issuer: B.did, credentialSubject: subject({ party: { id: B.did, role: 'zone' } }) }, C, { created: '2025-01-01T00:00:00Z' });
    const { errors } = corridorAgreementSummary(moduleOf({ 'a.json': partyVc(A), 'b.json': forged }));
    expect(errors).toContain(`b.json: party ${B.did} did not sign this agreement VC`);
    expect(errors).toContain(`b.json: signer ${C.did} is not authorized for corridor_agreement in trust-anchors.yaml`);
    const twice = corridorAgreementSummary(moduleOf({ 'a.json': partyVc(A), 'a2.json': partyVc(A) }));
    expect(twice.errors).toContain(`agreement: duplicate party ${A.did} across agreement_vc_path (status lock violation); include only one current VC per party`);
  });

  it('multi-signer: one subject signed by both; no lawpacks pinned by parties', () => {
    let vc: JsonObject = { issuer: A.did, credentialSubject: subject({}) };
    vc = addProof(vc, A, { created: '2025-01-01T00:00:00Z' });
    vc = addProof(vc, B, { created: '2025-01-01T00:00:00Z' });
    const m = moduleOf({ 'ab.json': vc });
    const { errors, summary } = corridorAgreementSummary(m);
    expect(errors).toEqual([]);
    expect(summary.agreement_pattern).toBe('multi-signer');
    expect(summary.activated).toBe(true);
    expect(expectedLawpackDigestSet(m)).toEqual([]);
  });

  it("threshold 'of' must match the participants; required domains must be pinned", () => {
    const noCivil = addProof({ issuer: B.did, credentialSubject: subject({ party: { id: B.did, role: 'zone' }, activation: { thresholds: [{ role: 'zone', required: 2, of: 3 }] } }) }, B);
    const { errors } = corridorAgreementSummary(moduleOf({ 'a.json': partyVc(A, { activation: { thresholds: [{ role: 'zone', required: 2, of: 3 }] } }), 'b.json': noCivil }));
    expect(errors).toContain("agreement: threshold 'of' mismatch for role 'zone' (of=3 vs participants=2)");
    expect(errors).toContain(`lawpacks: party ${B.did} missing pinned lawpack for required domain 'civil'`);
  });

  it('missing trust anchors or agreement files are reported', () => {
    const m = moduleOf({ 'a.json': partyVc(A) });
    expect(corridorAgreementSummary({ ...m, trustAnchors: undefined }).errors).toEqual(['Missing trust-anchors.yaml']);
    const gone = moduleOf({});
    gone.manifest.agreement_vc_path = ['gone.json'];
    expect(corridorAgreementSummary(gone).errors).toContain('Missing gone.json');
  });

  it('a corridor without agreement has an empty agreement_set_sha256 in its genesis', () => {
    const m = moduleOf({});
    expect(corridorAgreementSummary(m)).toEqual({ errors: [], summary: { corridor_id: CORRIDOR, has_agreement: false, agreement_paths: [], activated: false } });
    const g = corridorGenesis(m);
    expect(g.agreement_set_sha256).toBe('');
    expect(g.lawpack_digest_set).toEqual([]);
    expect(g.ruleset_digest_set).toEqual(expectedRulesetDigestSet(m));
  });

  it('a module without one of its ruleset descriptors is refused', () => {
    const m = moduleOf({});
    expect(() => expectedRulesetDigestSet({ ...m, rulesetDescriptors: {} })).toThrow(/ruleset_id not found/);
  });

  it('the pinned transition-type registry: from a lock, from a registry document, or none', () => {
    const m = moduleOf({});
    expect(corridorTransitionTypeRegistryDigest(m)).toBeNull();
    const registry: JsonObject = { version: 1, transition_types: [{ kind: 'b' }, { kind: 'a', schema_digest_sha256: d('C') }] };
    const fromRegistry = corridorTransitionTypeRegistryDigest({ ...m, transitionTypeRegistry: registry });
    // Keys already in canonical order, so JSON.stringify gives the canonical bytes.
    const snapshot: JsonObject = { registry_version: 1, tag: 'msez.transition-types.registry.snapshot.v1', transition_types: [{ kind: 'a', schema_digest_sha256: d('c') }, { kind: 'b' }] };
    const fromLock = corridorTransitionTypeRegistryDigest({ ...m, transitionTypeRegistryLock: { snapshot } });
    expect(fromRegistry).toBe(fromLock);
    expect(fromLock).toBe(createHash('sha256').update(JSON.stringify(snapshot)).digest('hex'));
  });
});
