import { aggregateGenesis, RECEIPT_CHAINS } from '@corridor/domain';
import {
  addProof,
  computeNextRoot,
  Ed25519KeyPair,
  headCommitmentDigest,
  mmrRootFromNextRoots,
  sha256Hex,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyProofs,
  type JsonObject,
} from '@corridor/protocol';
import { Clock } from '../../apps/node/src/aggregates/clock';
import { schemaErrors } from '../../libs/domain/src/testing/schemas';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, type ApiAnswer, type TestNode } from '../support/node-harness';

const PROBLEM = 'https://corridor-ledger.dev/problems/';
const DAY = 24 * 3600_000;
const utc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const key = (name: string) => Ed25519KeyPair.fromSeed(Buffer.from(sha256Hex(`dispute e2e: ${name}`), 'hex'));
const digest = (what: string) => sha256Hex(`document: ${what}`);

const claimant = key('claimant');
const respondent = key('respondent');
const arbitrator = key('arbitrator');
const outsider = key('outsider');

function expectProblem(r: ApiAnswer<any>, status: number, slug: string): void {
  expect([r.status, r.body?.type]).toEqual([status, PROBLEM + slug]);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`condition not reached within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function credential(types: string[], subject: JsonObject, signer: Ed25519KeyPair): JsonObject {
  const at = '2026-01-01T00:00:00Z';
  return addProof(
    { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential', ...types], issuer: signer.did, issuanceDate: at, credentialSubject: subject },
    signer,
    { created: at },
  );
}

const ruling = (disputeId: string, corridorId: string, signer = arbitrator, appealDeadline?: string) =>
  credential(
    ['MSEZArbitrationRulingCredential'],
    {
      dispute_id: disputeId,
      corridor_id: corridorId,
      ruling: { disposition: 'claim_upheld', orders: [{ order: 'pay', from: respondent.did, to: claimant.did, amount: '25000', currency: 'USD' }] },
      ...(appealDeadline ? { appeal_deadline: appealDeadline } : {}),
    },
    signer,
  );

const consent = (disputeId: string, party: Ed25519KeyPair, agreement: string) =>
  credential(['MSEZDisputeSettlementConsentCredential'], { dispute_id: disputeId, settlement_agreement_sha256: agreement }, party);

describe('disputes over HTTP', () => {
  let node: TestNode;
  const corridorId = 'org.example.pk-ae.disputed';
  /** The node's clock runs `shift` ms ahead of real time; only ever moved forward. */
  let shift = 0;
  const now = () => Date.now() + shift;

  beforeAll(async () => {
    node = await startTestNode();
    jest.spyOn(node.app.get(Clock), 'now').mockImplementation(() => new Date(now()));
    await activeCorridor(node, corridorId);
    for (let i = 0; i < 5; i++) {
      await node.api('POST', `/corridors/${corridorId}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${i}`, amount: '1250.00', currency: 'USD' } } });
    }
  });
  afterAll(async () => node?.close());

  const file = (id: string, extra: Record<string, unknown> = {}) =>
    node.api('POST', '/disputes', { dispute_id: id, corridor_id: corridorId, claimant: claimant.did, respondent: respondent.did, filing_digest_sha256: digest(`claim ${id}`), ...extra });

  const stateChannel = async () => (await node.api('GET', `/corridors/${corridorId}`)).body.state_channel;

  it('runs a dispute from filing to a closed, enforced ruling; the enforcement lands in the corridor', async () => {
    const id = 'dsp-ruled';
    const base = `/disputes/${id}`;
    const channel = await stateChannel();
    const filed = await file(id);
    expect(filed.status).toBe(201);
    const first = filed.body.receipts[0].receipt;
    expect(first).toMatchObject({ type: 'MSEZDisputeReceipt', dispute_id: id, corridor_id: corridorId, sequence: 0 });
    // Facts the node filled from its own corridor chain: the instance (genesis) and the head the claim is about.
    expect(first.transition.payload).toMatchObject({
      corridor_genesis_root: channel.genesis_root,
      corridor_head_commitment_sha256: headCommitmentDigest({
        corridor_id: corridorId,
        genesis_root: channel.genesis_root,
        receipt_count: channel.head.mmr.size,
        final_state_root: channel.head.next_root,
        mmr_root: channel.head.mmr.root,
      }),
    });
    expect(first.prev_root).toBe(aggregateGenesis(RECEIPT_CHAINS.dispute, { subject_id: id, corridor_id: corridorId, corridor_genesis_root: channel.genesis_root }).genesis_root);

    expect((await node.api('POST', `${base}/escrows`, { escrow_id: 'fee-1', escrow_type: 'filing_fee', amount: '500.00', currency: 'USD', funded_by: claimant.did })).status).toBe(201);
    expect((await node.api('POST', `${base}/review`, { case_reference: 'ICC-2026-0042', arbitrator: arbitrator.did })).status).toBe(201);
    const deadline = utc(now() + DAY);
    expect((await node.api('POST', `${base}/evidence-collection`, { procedural_order_digest_sha256: digest('PO-1'), evidence_deadline: deadline })).status).toBe(201);

    // Evidence cites corridor receipts with inclusion proofs at the node's current head.
    const cited = (await node.api('GET', `/corridors/${corridorId}/receipts/1`)).body;
    const proof = (await node.api('GET', `/corridors/${corridorId}/receipts/1/proof`)).body;
    const head = (await stateChannel()).head;
    const submitted = await node.api('POST', `${base}/evidence`, {
      package_id: 'pkg-claimant-1',
      submitted_by: claimant.did,
      items: [{ receipt_next_root: cited.next_root, inclusion_proof: proof, description: 'invoice INV-1 as recorded' }],
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body.receipts[0].receipt.transition.payload).toMatchObject({
      corridor_head: { mmr_size: head.mmr.size, mmr_root: head.mmr.root },
      items: [{ receipt_next_root: cited.next_root, leaf_index: 1, description: 'invoice INV-1 as recorded' }],
    });

    expect((await node.api('POST', `${base}/hearing`, { hearing_at: utc(now() + 2 * DAY) })).status).toBe(201);
    const appealDeadline = utc(now() + 3 * DAY);
    const ruled = await node.api('POST', `${base}/ruling`, { ruling: ruling(id, corridorId, arbitrator, appealDeadline) });
    expect(ruled.status).toBe(201);
    expect(ruled.body.receipts[0].receipt.transition.payload).toMatchObject({ disposition: 'claim_upheld', appeal_deadline: appealDeadline, ruling: { signers: [arbitrator.did] } });
    expectProblem(await node.api('POST', `${base}/enforce`), 409, 'appeal-period-running');
    shift += 3 * DAY + 1000;
    expectProblem(await node.api('POST', `${base}/enforce`, { force: true }), 400, 'invalid-request');
    const enforced = await node.api('POST', `${base}/enforce`);
    expect(enforced.status).toBe(201);
    const asked = enforced.body.receipts[0].receipt.transition.payload.corridor_transition;
    expect(asked).toMatchObject({ corridor_id: corridorId, kind: 'arbitration.enforcement.ruling.v1', payload: { dispute_id: id, disposition: 'claim_upheld' } });

    // The process manager records the enforcement in the corridor's state channel, exactly as the dispute asked.
    const recorded = await eventually(
      async () => ((await node.api('GET', `/corridors/${corridorId}/receipts?limit=1000`)).body.receipts as JsonObject[]).filter((r) => String((r.transition as JsonObject).kind).startsWith('arbitration.enforcement.')),
      (rs) => rs.length === 1,
    );
    const corridorReceipt = recorded[0]!;
    expect(corridorReceipt).toMatchObject({ type: 'MSEZCorridorStateReceipt', corridor_id: corridorId, transition: { kind: 'arbitration.enforcement.ruling.v1', payload: asked.payload } });
    expect(schemaErrors('dispute.enforcement-transition.schema.json', (corridorReceipt.transition as JsonObject).payload)).toEqual([]);
    expect(verifyProofs(corridorReceipt).map((p) => p.ok)).toEqual([true]);
    // …and that corridor receipt can be cited and proven in turn.
    const enforcementProof = (await node.api('GET', `/corridors/${corridorId}/receipts/${corridorReceipt.sequence}/proof`)).body;
    expect(verifyInclusionProof(enforcementProof)).toEqual({ valid: true });
    expect(enforcementProof.receipt_next_root).toBe(corridorReceipt.next_root);

    // Closing waits for the escrow; released on the enforced ruling, the dispute closes.
    expectProblem(await node.api('POST', `${base}/close`, { final_report_digest_sha256: digest('final report') }), 409, 'escrow-outstanding');
    const released = await node.api('POST', `${base}/escrows/fee-1/release`, { to: claimant.did, condition: 'ruling_enforced' });
    expect(released.body.receipts[0].receipt.transition.payload).toMatchObject({ escrow_id: 'fee-1', to: claimant.did, amount: '500', currency: 'USD', condition: 'ruling_enforced', order_digest_sha256: null });
    expect((await node.api('POST', `${base}/close`, { final_report_digest_sha256: digest('final report') })).status).toBe(201);
    const closed = (await node.api('GET', base)).body;
    expect(closed).toMatchObject({
      dispute_id: id,
      corridor_id: corridorId,
      status: 'CLOSED',
      claimant: claimant.did,
      respondent: respondent.did,
      arbitrator: arbitrator.did,
      evidence_packages: ['pkg-claimant-1'],
      ruling: { disposition: 'claim_upheld', appeal_deadline: appealDeadline },
      escrows: [{ escrow_id: 'fee-1', status: 'released' }],
    });

    // The dispute chain: linked, sealed, signed, schema-valid, provable.
    const receipts = (await node.api('GET', `${base}/receipts`)).body.receipts as JsonObject[];
    expect(receipts.map((r) => (r.transition as JsonObject).kind)).toEqual([
      'dispute.filed.v1',
      'dispute.escrow-funded.v1',
      'dispute.review-started.v1',
      'dispute.evidence-collection-opened.v1',
      'dispute.evidence-submitted.v1',
      'dispute.hearing-scheduled.v1',
      'dispute.ruling-issued.v1',
      'dispute.ruling-enforced.v1',
      'dispute.escrow-released.v1',
      'dispute.closed.v1',
    ]);
    let prev = first.prev_root;
    for (const r of receipts) {
      expect(r.prev_root).toBe(prev);
      expect(computeNextRoot(r)).toBe(r.next_root);
      expect(verifyProofs(r).map((p) => p.ok)).toEqual([true]);
      expect(schemaErrors('dispute.receipt.schema.json', r)).toEqual([]);
      prev = r.next_root as string;
    }
    const roots = receipts.map((r) => r.next_root as string);
    expect(verifyInclusionProof((await node.api('GET', `${base}/receipts/7/proof`)).body)).toEqual({ valid: true });
    const cp = (await node.api('GET', `${base}/checkpoint`)).body;
    expect(cp).toMatchObject({ receipt_count: 10, final_state_root: roots[9], mmr: { root: mmrRootFromNextRoots(roots).root } });
    const cp6 = (await node.api('GET', `${base}/checkpoints/6`)).body;
    expect(verifyConsistencyProof((await node.api('GET', `${base}/consistency?from=6`)).body, { oldSize: 6, oldRoot: cp6.mmr.root, newSize: 10, newRoot: cp.mmr.root }).valid).toBe(true);
    // A closed dispute moves no more.
    expectProblem(await node.api('POST', `${base}/enforce`), 409, 'transition-not-allowed');
  });

  it('settles on both parties’ consent to one agreement; escrow follows the settlement', async () => {
    const id = 'dsp-settled';
    const base = `/disputes/${id}`;
    expect((await file(id)).status).toBe(201);
    expect((await node.api('POST', `${base}/escrows`, { escrow_id: 'dep-1', escrow_type: 'security_deposit', amount: '1000', currency: 'USD', funded_by: respondent.did })).status).toBe(201);
    const agreement = digest('settlement agreement v2');
    const one = await node.api('POST', `${base}/settlement-consents`, { party: claimant.did, consent: consent(id, claimant, agreement) });
    expect(one.body.receipts.map((r: any) => r.receipt.transition.kind)).toEqual(['dispute.settlement-consented.v1']);
    expectProblem(await node.api('POST', `${base}/settlement-consents`, { party: claimant.did, consent: consent(id, claimant, agreement) }), 409, 'already-consented');
    expectProblem(await node.api('POST', `${base}/settlement-consents`, { party: respondent.did, consent: consent(id, respondent, digest('another agreement')) }), 422, 'invalid-evidence');
    expectProblem(await node.api('POST', `${base}/settlement-consents`, { party: respondent.did, consent: consent(id, outsider, agreement) }), 422, 'invalid-evidence');
    expectProblem(await node.api('POST', `${base}/settlement-consents`, { party: respondent.did }), 422, 'evidence-missing');
    expectProblem(await node.api('POST', `${base}/settlement-consents`, { party: outsider.did, consent: consent(id, outsider, agreement) }), 400, 'invalid-command');
    const two = await node.api('POST', `${base}/settlement-consents`, { party: respondent.did, consent: consent(id, respondent, agreement) });
    expect(two.body.receipts.map((r: any) => r.receipt.transition.kind)).toEqual(['dispute.settlement-consented.v1', 'dispute.settled.v1']);
    expect((await node.api('GET', base)).body).toMatchObject({ status: 'SETTLED', consents: [{ party: claimant.did }, { party: respondent.did }] });
    // Settled is final: no new escrow, no review; held escrow goes back on the settlement, once.
    expectProblem(await node.api('POST', `${base}/escrows`, { escrow_id: 'dep-2', escrow_type: 'security_deposit', amount: '1', currency: 'USD', funded_by: respondent.did }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/review`, { case_reference: 'X', arbitrator: arbitrator.did }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/escrows/dep-1/release`, { to: respondent.did, condition: 'ruling_enforced' }), 409, 'transition-not-allowed');
    expect((await node.api('POST', `${base}/escrows/dep-1/release`, { to: respondent.did, condition: 'settlement_agreed' })).status).toBe(201);
    expectProblem(await node.api('POST', `${base}/escrows/dep-1/forfeit`, { condition: 'settlement_agreed' }), 409, 'transition-not-allowed');
    // Nothing of a settlement is recorded in the corridor.
    const kinds = ((await node.api('GET', `/corridors/${corridorId}/receipts?limit=1000`)).body.receipts as JsonObject[]).map((r) => (r.transition as JsonObject).payload as JsonObject);
    expect(kinds.filter((p) => p.dispute_id === id)).toEqual([]);
  });

  it('dismisses early; escrow is forfeited by order or on the dismissal', async () => {
    const id = 'dsp-dismissed';
    const base = `/disputes/${id}`;
    expect((await file(id)).status).toBe(201);
    for (const escrow of ['bond-a', 'bond-b']) {
      expect((await node.api('POST', `${base}/escrows`, { escrow_id: escrow, escrow_type: 'appeal_bond', amount: '75.5', currency: 'USDC', funded_by: claimant.did })).status).toBe(201);
    }
    expectProblem(await node.api('POST', `${base}/escrows`, { escrow_id: 'bond-a', escrow_type: 'appeal_bond', amount: '1', currency: 'USDC', funded_by: claimant.did }), 409, 'already-exists');
    expectProblem(await node.api('POST', `${base}/escrows/bond-a/forfeit`, { condition: 'institution_order' }), 422, 'evidence-missing');
    const byOrder = await node.api('POST', `${base}/escrows/bond-a/forfeit`, { condition: 'institution_order', order_digest_sha256: digest('order 17') });
    expect(byOrder.body.receipts[0].receipt.transition.payload).toMatchObject({ escrow_id: 'bond-a', amount: '75.5', condition: 'institution_order', order_digest_sha256: digest('order 17') });
    expectProblem(await node.api('POST', `${base}/escrows/bond-b/forfeit`, { condition: 'dispute_dismissed' }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/escrows/nope/forfeit`, { condition: 'institution_order', order_digest_sha256: digest('o') }), 400, 'invalid-command');
    expect((await node.api('POST', `${base}/review`, { case_reference: 'ICC-2026-0043', arbitrator: arbitrator.did })).status).toBe(201);
    expect((await node.api('POST', `${base}/dismiss`, { dismissal_order_digest_sha256: digest('dismissal'), reason: 'outside the tribunal’s jurisdiction' })).status).toBe(201);
    expect((await node.api('POST', `${base}/escrows/bond-b/forfeit`, { condition: 'dispute_dismissed' })).status).toBe(201);
    expect((await node.api('GET', base)).body).toMatchObject({ status: 'DISMISSED', escrows: [{ escrow_id: 'bond-a', status: 'forfeited' }, { escrow_id: 'bond-b', status: 'forfeited' }] });
    expectProblem(await node.api('POST', `${base}/dismiss`, { dismissal_order_digest_sha256: digest('again'), reason: 'r' }), 409, 'transition-not-allowed');
  });

  it('refuses filings, evidence and rulings that do not hold, and records nothing for them', async () => {
    // Filing: a corridor of this node with a state channel, two distinct did:key parties, digests, no stray fields.
    expectProblem(await file('dsp-x', { corridor_id: 'org.example.nowhere' }), 404, 'not-found');
    const draft = 'org.example.pk-ae.not-yet';
    const c = await node.api('GET', `/corridors/${corridorId}`);
    expect((await node.api('POST', '/corridors', { corridor_id: draft, trust_anchors: { trust_anchors: c.body.trust_anchors.map((a: any) => ({ identifier: a.did, allowed_attestations: a.allowed_attestations })) } })).status).toBe(201);
    expectProblem(await file('dsp-x', { corridor_id: draft }), 409, 'corridor-not-active');
    expectProblem(await file('dsp-x', { respondent: claimant.did }), 400, 'invalid-command');
    expectProblem(await file('dsp-x', { claimant: 'alice' }), 400, 'invalid-command');
    expectProblem(await file('dsp-x', { filing_digest_sha256: 'abc' }), 400, 'invalid-command');
    expectProblem(await file('dsp-x', { corridor_genesis_root: 'f'.repeat(64) }), 400, 'invalid-request');
    expectProblem(await file('Bad Id'), 400, 'invalid-request');
    expectProblem(await node.api('GET', '/disputes/dsp-x'), 404, 'not-found');
    expect((await node.api('GET', '/disputes/dsp-x/receipts')).body.receipts).toEqual([]);
    expectProblem(await node.api('POST', '/disputes/dsp-x/review', { case_reference: 'X', arbitrator: arbitrator.did }), 404, 'not-found');
    expectProblem(await node.api('POST', '/disputes/dsp-x/evidence', { package_id: 'p', submitted_by: claimant.did, items: [] }), 404, 'not-found');

    const id = 'dsp-refused';
    const base = `/disputes/${id}`;
    expect((await file(id)).status).toBe(201);
    expectProblem(await file(id), 409, 'already-exists');
    // Out of order: no evidence, hearing, ruling or enforcement before their time.
    expectProblem(await node.api('POST', `${base}/evidence-collection`, { procedural_order_digest_sha256: digest('PO'), evidence_deadline: utc(now() + DAY) }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/ruling`, { ruling: ruling(id, corridorId) }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/enforce`), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/close`, { final_report_digest_sha256: digest('r') }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `${base}/review`, { case_reference: 'ICC-9', arbitrator: 'the chair' }), 400, 'invalid-command');
    expect((await node.api('POST', `${base}/review`, { case_reference: 'ICC-9', arbitrator: arbitrator.did })).status).toBe(201);
    expectProblem(await node.api('POST', `${base}/evidence-collection`, { procedural_order_digest_sha256: digest('PO'), evidence_deadline: utc(now() - 1000) }), 400, 'invalid-command');
    const deadline = utc(now() + DAY);
    expect((await node.api('POST', `${base}/evidence-collection`, { procedural_order_digest_sha256: digest('PO'), evidence_deadline: deadline })).status).toBe(201);
    expectProblem(await node.api('POST', `${base}/dismiss`, { dismissal_order_digest_sha256: digest('d'), reason: 'late' }), 409, 'transition-not-allowed');

    // Evidence: proofs must verify, be for the cited receipt and lead to the node's current corridor head.
    const cited = (await node.api('GET', `/corridors/${corridorId}/receipts/2`)).body;
    const other = (await node.api('GET', `/corridors/${corridorId}/receipts/3`)).body;
    const proof = (await node.api('GET', `/corridors/${corridorId}/receipts/2/proof`)).body;
    const olderProof = (await node.api('GET', `/corridors/${corridorId}/receipts/2/proof?size=4`)).body;
    expect(verifyInclusionProof(olderProof)).toEqual({ valid: true });
    const submit = (items: unknown[], extra: Record<string, unknown> = {}) => node.api('POST', `${base}/evidence`, { package_id: 'pkg-1', submitted_by: respondent.did, items, ...extra });
    expectProblem(await submit([]), 422, 'evidence-missing');
    expectProblem(await submit([{ receipt_next_root: cited.next_root }]), 422, 'evidence-missing');
    expectProblem(await submit([{ receipt_next_root: other.next_root, inclusion_proof: proof }]), 422, 'invalid-evidence');
    expectProblem(await submit([{ receipt_next_root: cited.next_root, inclusion_proof: olderProof }]), 422, 'invalid-evidence');
    expectProblem(await submit([{ receipt_next_root: cited.next_root, inclusion_proof: { ...proof, root: 'a'.repeat(64) } }]), 422, 'invalid-evidence');
    expectProblem(await submit([{ receipt_next_root: cited.next_root, inclusion_proof: proof, page: 3 }]), 400, 'invalid-request');
    expectProblem(await submit([{ receipt_next_root: cited.next_root, inclusion_proof: proof }], { submitted_by: outsider.did }), 400, 'invalid-command');
    expectProblem(await submit([{ receipt_next_root: cited.next_root, inclusion_proof: proof }], { corridor_head: { mmr_size: 1, mmr_root: 'a'.repeat(64) } }), 400, 'invalid-request');
    expect((await submit([{ receipt_next_root: cited.next_root, inclusion_proof: proof }])).status).toBe(201);
    expectProblem(await submit([{ receipt_next_root: cited.next_root, inclusion_proof: proof }]), 409, 'already-exists');

    // Rulings: only from the appointed arbitrator, about this dispute, and only after the hearing is scheduled.
    expectProblem(await node.api('POST', `${base}/hearing`, { hearing_at: utc(now() - DAY) }), 400, 'invalid-command');
    expect((await node.api('POST', `${base}/hearing`, { hearing_at: utc(now() + 2 * DAY) })).status).toBe(201);
    expectProblem(await node.api('POST', `${base}/ruling`, {}), 422, 'evidence-missing');
    expectProblem(await node.api('POST', `${base}/ruling`, { ruling: ruling(id, corridorId, outsider) }), 422, 'invalid-evidence');
    expectProblem(await node.api('POST', `${base}/ruling`, { ruling: ruling('dsp-ruled', corridorId) }), 422, 'invalid-evidence');
    const tampered = { ...ruling(id, corridorId), issuanceDate: '2030-01-01T00:00:00Z' };
    expectProblem(await node.api('POST', `${base}/ruling`, { ruling: tampered }), 422, 'invalid-evidence');
    expect((await node.api('POST', `${base}/ruling`, { ruling: ruling(id, corridorId) })).status).toBe(201);
    // Decided: settlement is too late.
    const agreement = digest('late settlement');
    expectProblem(await node.api('POST', `${base}/settlement-consents`, { party: claimant.did, consent: consent(id, claimant, agreement) }), 409, 'transition-not-allowed');
    expect((await node.api('GET', `${base}/receipts`)).body.receipts).toHaveLength(6);
  });

  it('refuses evidence after the evidence deadline', async () => {
    const id = 'dsp-late';
    const base = `/disputes/${id}`;
    expect((await file(id)).status).toBe(201);
    expect((await node.api('POST', `${base}/review`, { case_reference: 'ICC-10', arbitrator: arbitrator.did })).status).toBe(201);
    const deadline = utc(now() + DAY);
    expect((await node.api('POST', `${base}/evidence-collection`, { procedural_order_digest_sha256: digest('PO'), evidence_deadline: deadline })).status).toBe(201);
    shift += DAY + 1000;
    const cited = (await node.api('GET', `/corridors/${corridorId}/receipts/0`)).body;
    const proof = (await node.api('GET', `/corridors/${corridorId}/receipts/0/proof`)).body;
    expectProblem(await node.api('POST', `${base}/evidence`, { package_id: 'late', submitted_by: claimant.did, items: [{ receipt_next_root: cited.next_root, inclusion_proof: proof }] }), 409, 'deadline-passed');
  });
});
