import { aggregateGenesis, RECEIPT_CHAINS } from '@corridor/domain';
import {
  addProof,
  buildWatcherAttestationCredential,
  computeNextRoot,
  digestOf,
  Ed25519KeyPair,
  mmrRootFromNextRoots,
  sha256Hex,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyProofs,
  withoutKeys,
  type JsonObject,
} from '@corridor/protocol';
import { Clock } from '../../apps/node/src/aggregates/clock';
import { schemaErrors } from '../../libs/domain/src/testing/schemas';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, type ApiAnswer, type TestNode } from '../support/node-harness';

const PROBLEM = 'https://corridor-ledger.dev/problems/';
const DAY = 24 * 3600_000;
const utc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const watcherKey = (name: string) => Ed25519KeyPair.fromSeed(Buffer.from(sha256Hex(`watcher e2e: ${name}`), 'hex'));

function expectProblem(r: ApiAnswer<any>, status: number, slug: string): void {
  expect([r.status, r.body?.type]).toEqual([status, PROBLEM + slug]);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
}

/** An attestation by `watcher` of `checkpoint`'s head, or of the same height with another final state root. */
function attestation(watcher: Ed25519KeyPair, corridorId: string, checkpoint: JsonObject, finalStateRoot = checkpoint.final_state_root as string): JsonObject {
  const { proof: _p, ...unsigned } = checkpoint;
  const ck = finalStateRoot === checkpoint.final_state_root ? checkpoint : { ...unsigned, final_state_root: finalStateRoot };
  const at = utc(Date.now());
  const vc = buildWatcherAttestationCredential({ corridor_id: corridorId, checkpoint: ck, checkpoint_uri: `checkpoints/${ck.receipt_count}.json`, issuer: watcher.did, observed_at: at, issuanceDate: at });
  return addProof(vc, watcher, { created: at });
}

describe('watcher bonds over HTTP', () => {
  let node: TestNode;
  const corridorId = 'org.example.pk-ae.watched';
  const otherCorridor = 'org.example.kz-sg.watched';
  /** The node's clock runs `shift` ms ahead of real time; only ever moved forward. */
  let shift = 0;
  let checkpoint: JsonObject;

  beforeAll(async () => {
    node = await startTestNode();
    jest.spyOn(node.app.get(Clock), 'now').mockImplementation(() => new Date(Date.now() + shift));
    await activeCorridor(node, corridorId);
    for (let i = 0; i < 3; i++) await node.api('POST', `/corridors/${corridorId}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${i}` } } });
    checkpoint = (await node.api('GET', `/corridors/${corridorId}/checkpoint`)).body;
  });
  afterAll(async () => node?.close());

  const post = (watcher: Ed25519KeyPair, extra: Record<string, unknown> = {}) =>
    node.api('POST', '/watcher-bonds', { watcher_id: watcher.did, bond_id: 'bond-1', amount: '1000.50', currency: 'USDC', corridor_ids: [corridorId, otherCorridor], ...extra });

  it('posts, attests, is slashed, topped up, unbonds and withdraws; a collusion ban is for ever', async () => {
    const watcher = watcherKey('happy');
    const id = watcher.did;
    const base = `/watcher-bonds/${id}`;
    const posted = await post(watcher);
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({ aggregate: 'watcher-bond', id, receipts: [{ stream: `watcher_bond-${id}` }] });
    const first = posted.body.receipts[0].receipt;
    expect(first).toMatchObject({ type: 'MSEZWatcherBondReceipt', watcher_id: id, sequence: 0, transition: { kind: 'watcher-bond.posted.v1', payload: { amount: '1000.5', currency: 'USDC' } } });
    expect(first).not.toHaveProperty('corridor_id');
    expect(first.prev_root).toBe(aggregateGenesis(RECEIPT_CHAINS['watcher-bond'], { subject_id: id }).genesis_root);

    const honest = attestation(watcher, corridorId, checkpoint);
    const attested = await node.api('POST', `${base}/attestations`, { corridor_id: corridorId, attestation_digest_sha256: digestOf(withoutKeys(honest, 'proof')) });
    expect(attested.status).toBe(201);
    expect(attested.body.receipts[0].receipt.transition.payload.attestation_count).toBe(1);

    // Availability: 1 % of the collateral (1000.5), exactly.
    const missed = await node.api('POST', `${base}/slash`, { offence: 'availability', evidence: { incident_id: 'A-1', corridor_id: corridorId, evidence_digest_sha256: sha256Hex('missed') } });
    expect(missed.status).toBe(201);
    expect(missed.body.receipts[0].receipt.transition.payload).toMatchObject({ incident: 'availability:A-1', basis_points: 100, amount: '10.005', collateral: '1000.5', remaining: '990.495' });
    const topped = await node.api('POST', `${base}/top-up`, { amount: '9.505' });
    expect(topped.body.receipts[0].receipt.transition.payload).toMatchObject({ amount: '9.505', collateral: '1010.005', remaining: '1000' });

    // Equivocation is proven by the node: two attestations of one height with different roots, both signed by the watcher.
    const forked = attestation(watcher, corridorId, checkpoint, 'e'.repeat(64));
    const equivocated = await node.api('POST', `${base}/slash`, { offence: 'equivocation', evidence: { attestations: [honest, forked] } });
    expect(equivocated.status).toBe(201);
    expect(equivocated.body.receipts[0].receipt.transition.payload).toMatchObject({
      incident: `equivocation:${corridorId}:${checkpoint.receipt_count}`,
      amount: '1000',
      remaining: '0',
      evidence: { kind: 'conflicting-attestations', corridor_id: corridorId, receipt_count: checkpoint.receipt_count },
    });
    expect((await node.api('GET', base)).body).toMatchObject({ status: 'SLASHED', bond: { collateral: '1010.005', slashed: '1010.005', remaining: '0' } });
    expectProblem(await node.api('POST', `${base}/attestations`, { corridor_id: corridorId, attestation_digest_sha256: sha256Hex('x') }), 409, 'transition-not-allowed');
    expect((await node.api('POST', `${base}/top-up`, { amount: '500' })).status).toBe(201);
    expect((await node.api('GET', base)).body).toMatchObject({ status: 'ACTIVE', bond: { remaining: '500' } });

    const unbonding = await node.api('POST', `${base}/unbond`);
    expect(unbonding.status).toBe(201);
    const { at, unlock_at } = unbonding.body.receipts[0].receipt.transition.payload;
    expect(Date.parse(unlock_at) - Date.parse(at)).toBe(7 * DAY);
    expectProblem(await node.api('POST', `${base}/withdraw`), 409, 'still-locked');
    shift += Date.parse(unlock_at) - Date.now() + 1000;
    const withdrawn = await node.api('POST', `${base}/withdraw`);
    expect(withdrawn.body.receipts[0].receipt.transition).toMatchObject({ kind: 'watcher-bond.withdrawn.v1', payload: { amount: '500', currency: 'USDC' } });
    expect((await node.api('GET', base)).body).toMatchObject({ status: 'NONE', bond: null, bond_ids: ['bond-1'], slashed_incidents: ['availability:A-1', `equivocation:${corridorId}:${checkpoint.receipt_count}`] });

    // A bond id is never reused; a new bond may be posted. Collusion bans the watcher for good.
    expectProblem(await post(watcher), 409, 'already-exists');
    expect((await post(watcher, { bond_id: 'bond-2', amount: '200' })).status).toBe(201);
    const colluded = await node.api('POST', `${base}/slash`, { offence: 'collusion', evidence: { incident_id: 'C-1', corridor_id: otherCorridor, evidence_digest_sha256: sha256Hex('tribunal finding') } });
    expect(colluded.body.receipts.map((r: any) => r.receipt.transition.kind)).toEqual(['watcher-bond.slashed.v1', 'watcher-bond.banned.v1']);
    expect((await node.api('GET', base)).body).toMatchObject({ status: 'BANNED', ban: { offence: 'collusion', incident: 'collusion:C-1' } });
    expectProblem(await post(watcher, { bond_id: 'bond-3' }), 409, 'watcher-banned');

    // The bond chain: linked, sealed, signed, schema-valid; provable and checkpointed like any chain.
    const receipts = (await node.api('GET', `${base}/receipts`)).body.receipts as JsonObject[];
    expect(receipts.map((r) => (r.transition as JsonObject).kind)).toEqual([
      'watcher-bond.posted.v1',
      'watcher-bond.attestation-recorded.v1',
      'watcher-bond.slashed.v1',
      'watcher-bond.topped-up.v1',
      'watcher-bond.slashed.v1',
      'watcher-bond.topped-up.v1',
      'watcher-bond.unbonding-started.v1',
      'watcher-bond.withdrawn.v1',
      'watcher-bond.posted.v1',
      'watcher-bond.slashed.v1',
      'watcher-bond.banned.v1',
    ]);
    let prev = first.prev_root;
    for (const r of receipts) {
      expect(r.prev_root).toBe(prev);
      expect(computeNextRoot(r)).toBe(r.next_root);
      expect(verifyProofs(r).map((p) => p.ok)).toEqual([true]);
      expect(schemaErrors('watcher-bond.receipt.schema.json', r)).toEqual([]);
      prev = r.next_root as string;
    }
    const roots = receipts.map((r) => r.next_root as string);
    const proof = (await node.api('GET', `${base}/receipts/4/proof`)).body;
    expect(verifyInclusionProof(proof)).toEqual({ valid: true });
    const cp = (await node.api('GET', `${base}/checkpoint`)).body;
    expect(cp).toMatchObject({ receipt_count: 11, final_state_root: roots[10], mmr: { root: mmrRootFromNextRoots(roots).root } });
    const cp5 = (await node.api('GET', `${base}/checkpoints/5`)).body;
    const consistency = (await node.api('GET', `${base}/consistency?from=5&to=11`)).body;
    expect(verifyConsistencyProof(consistency, { oldSize: 5, oldRoot: cp5.mmr.root, newSize: 11, newRoot: cp.mmr.root }).valid).toBe(true);
  });

  it('refuses malformed amounts, offences outside the rules and moves the bond status does not allow', async () => {
    const watcher = watcherKey('refusals');
    const base = `/watcher-bonds/${watcher.did}`;
    // Before any bond: not found.
    expectProblem(await node.api('GET', base), 404, 'not-found');
    expectProblem(await node.api('POST', `${base}/top-up`, { amount: '1' }), 404, 'not-found');
    expectProblem(await node.api('POST', `${base}/unbond`), 404, 'not-found');
    // Posting: amounts are decimal strings, currencies codes, scope non-empty, the watcher a did:key, no stray fields.
    expectProblem(await post(watcher, { amount: 1000 }), 400, 'invalid-request');
    expectProblem(await post(watcher, { amount: '1e3' }), 422, 'invalid-amount');
    expectProblem(await post(watcher, { amount: '-5' }), 422, 'invalid-amount');
    expectProblem(await post(watcher, { amount: '0' }), 422, 'invalid-amount');
    expectProblem(await post(watcher, { amount: '1.0000000000000000001' }), 422, 'invalid-amount');
    expectProblem(await post(watcher, { currency: 'usd' }), 422, 'invalid-amount');
    expectProblem(await post(watcher, { corridor_ids: [] }), 400, 'invalid-command');
    expectProblem(await post(watcher, { corridor_ids: [corridorId, corridorId] }), 400, 'invalid-command');
    expectProblem(await post(watcher, { watcher_id: 'watcher-7' }), 400, 'invalid-request');
    expectProblem(await post(watcher, { stake: '5' }), 400, 'invalid-request');
    expectProblem(await node.api('POST', '/watcher-bonds', '{"watcher_id":"x","amount":1.5}'), 400, 'float-not-allowed');
    expect((await node.api('GET', `${base}/receipts`)).body.receipts).toEqual([]);

    expect((await post(watcher)).status).toBe(201);
    expectProblem(await post(watcher, { bond_id: 'bond-9' }), 409, 'transition-not-allowed');
    // Attestations: only for corridors in scope, with a digest.
    expectProblem(await node.api('POST', `${base}/attestations`, { corridor_id: 'org.example.elsewhere', attestation_digest_sha256: sha256Hex('a') }), 422, 'out-of-scope');
    expectProblem(await node.api('POST', `${base}/attestations`, { corridor_id: corridorId, attestation_digest_sha256: 'not-a-digest' }), 400, 'invalid-command');
    // Slashing: a priced offence, with evidence that proves it, once per incident.
    expectProblem(await node.api('POST', `${base}/slash`, { offence: 'rudeness', evidence: {} }), 400, 'invalid-request');
    expectProblem(await node.api('POST', `${base}/slash`, { offence: 'liveness' }), 422, 'evidence-missing');
    expectProblem(await node.api('POST', `${base}/slash`, { offence: 'liveness', evidence: { incident_id: 'L-1', corridor_id: corridorId } }), 422, 'invalid-evidence');
    expectProblem(await node.api('POST', `${base}/slash`, { offence: 'liveness', evidence: { incident_id: 'L-1', corridor_id: 'org.example.elsewhere', evidence_digest_sha256: sha256Hex('l') } }), 422, 'out-of-scope');
    const honest = attestation(watcher, corridorId, checkpoint);
    const impostor = watcherKey('impostor');
    expectProblem(await node.api('POST', `${base}/slash`, { offence: 'equivocation', evidence: { attestations: [honest, attestation(impostor, corridorId, checkpoint, 'e'.repeat(64))] } }), 422, 'invalid-evidence');
    expectProblem(await node.api('POST', `${base}/slash`, { offence: 'equivocation', evidence: { attestations: [honest, attestation(watcher, corridorId, checkpoint)] } }), 422, 'invalid-evidence');
    expectProblem(await node.api('POST', `${base}/slash`, { offence: 'equivocation', evidence: { attestations: [honest] } }), 422, 'invalid-evidence');
    const liveness = { offence: 'liveness', evidence: { incident_id: 'L-1', corridor_id: corridorId, evidence_digest_sha256: sha256Hex('l') } };
    expect((await node.api('POST', `${base}/slash`, liveness)).status).toBe(201);
    expectProblem(await node.api('POST', `${base}/slash`, liveness), 409, 'already-slashed');
    // Withdrawal needs unbonding first; unbonding takes no body; a bond being unbonded takes no top-up.
    expectProblem(await node.api('POST', `${base}/withdraw`), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/unbond`, { unlock_at: '2020-01-01T00:00:00Z' }), 400, 'invalid-request');
    expect((await node.api('POST', `${base}/unbond`)).status).toBe(201);
    expectProblem(await node.api('POST', `${base}/top-up`, { amount: '10' }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/unbond`), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/withdraw`), 409, 'still-locked');
    // Misbehaviour before the unlock is still punishable.
    expect((await node.api('POST', `${base}/slash`, { offence: 'false_attestation', evidence: { incident_id: 'F-1', corridor_id: corridorId, evidence_digest_sha256: sha256Hex('f') } })).status).toBe(201);
    expect((await node.api('GET', base)).body).toMatchObject({ status: 'UNBONDING', bond: { collateral: '1000.5', slashed: '600.3', remaining: '400.2' } });
    expect((await node.api('GET', `${base}/receipts`)).body.receipts).toHaveLength(4);
  });
});
