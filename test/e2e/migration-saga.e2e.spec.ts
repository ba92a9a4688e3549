import { aggregateGenesis, RECEIPT_CHAINS } from '@corridor/domain';
import { addProof, computeNextRoot, mmrRootFromNextRoots, sha256Hex, verifyConsistencyProof, verifyInclusionProof, verifyProofs, type JsonObject } from '@corridor/protocol';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import { Clock } from '../../apps/node/src/aggregates/clock';
import { schemaErrors } from '../../libs/domain/src/testing/schemas';
import { activeCorridor, type ExampleCorridor } from '../support/example-corridor';
import { startTestNode, type ApiAnswer, type TestNode } from '../support/node-harness';

const PROBLEM = 'https://corridor-ledger.dev/problems/';
const FORWARD = ['initiated', 'compliance_check', 'attestation_gathering', 'source_lock', 'transit', 'destination_verification', 'destination_unlock'];
const evidence = (what: string) => sha256Hex(`evidence: ${what}`);
const utc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function expectProblem(r: ApiAnswer<any>, status: number, slug: string): void {
  expect([r.status, r.body?.type]).toEqual([status, PROBLEM + slug]);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
}

/** Polls until `ok` holds (the process manager and the scheduler work after the answer). */
async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`condition not reached within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const corridorTransitions = async (node: TestNode, corridorId: string, kind: string) =>
  ((await node.api('GET', `/corridors/${corridorId}/receipts?limit=1000`)).body.receipts as JsonObject[]).map((r) => r.transition as JsonObject).filter((t) => t.kind === kind);

function startBody(id: string, corridorId: string, deadline: string, extra: Record<string, unknown> = {}) {
  return { migration_id: id, corridor_id: corridorId, asset_id: `asset:${id}`, source_jurisdiction: 'PK', destination_jurisdiction: 'AE', deadline, ...extra };
}

/** A zone authority's signed "move the corridor from → to" (suspend, resume). */
function lifecycleAuthorization(c: ExampleCorridor, from: string, to: string): JsonObject {
  const at = utc(Date.now());
  const zone = c.zones[0]!.key;
  return addProof(
    {
      '@context': ['https://www.w3.org/2018/credentials/v1'],
      type: ['VerifiableCredential', 'MSEZCorridorLifecycleTransitionCredential'],
      issuer: zone.did,
      issuanceDate: at,
      credentialSubject: { corridor_id: c.corridorId, from_state: from, to_state: to, transitioned_at: at, reason: 'scheduled maintenance' },
    },
    zone,
    { created: at },
  );
}

describe('migration sagas over HTTP', () => {
  let node: TestNode;
  let corridor: ExampleCorridor;
  const corridorId = 'org.example.pk-ae.sagas';
  /** The node's clock runs `shift` ms ahead of real time; only ever moved forward, so no chain goes back in time. */
  let shift = 0;
  const now = () => Date.now() + shift;

  beforeAll(async () => {
    // A long interval: the scheduler runs once at start-up, so refusals around deadlines are the tests' to provoke.
    node = await startTestNode({ env: { CORRIDOR_SCHEDULER_INTERVAL_MS: '3600000' } });
    jest.spyOn(node.app.get(Clock), 'now').mockImplementation(() => new Date(now()));
    corridor = await activeCorridor(node, corridorId);
  });
  afterAll(async () => node?.close());

  it('runs a migration through every phase to completed; each step lands in the corridor', async () => {
    const id = 'mig-happy';
    const deadline = utc(now() + 30 * 24 * 3600_000);
    const started = await node.api('POST', '/migrations', startBody(id, corridorId, deadline));
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ aggregate: 'migration', id, receipts: [{ stream: `migration-${id}` }] });
    const first = started.body.receipts[0].receipt;
    const genesisOfCorridor = (await node.api('GET', `/corridors/${corridorId}`)).body.state_channel.genesis_root;
    expect(first).toMatchObject({ type: 'MSEZMigrationSagaReceipt', migration_id: id, corridor_id: corridorId, sequence: 0 });
    expect(first.transition.payload).toMatchObject({ corridor_genesis_root: genesisOfCorridor, phase: 'initiated', deadline });
    // The chain starts from the saga's genesis, bound to this corridor instance.
    const chain = RECEIPT_CHAINS['migration-saga'];
    expect(first.prev_root).toBe(aggregateGenesis(chain, { subject_id: id, corridor_id: corridorId, corridor_genesis_root: genesisOfCorridor }).genesis_root);

    for (const phase of FORWARD) {
      const r = await node.api('POST', `/migrations/${id}/advance`, { from_phase: phase, evidence_digest_sha256: evidence(`${id}/${phase}`) });
      expect([phase, r.status]).toEqual([phase, 201]);
      expect(r.body.receipts[0].receipt.transition.kind).toBe(phase === 'destination_unlock' ? 'migration-saga.completed.v1' : 'migration-saga.phase-advanced.v1');
    }
    const saga = (await node.api('GET', `/migrations/${id}`)).body;
    expect(saga).toMatchObject({ migration_id: id, corridor_id: corridorId, corridor_genesis_root: genesisOfCorridor, phase: 'completed', deadline, compensation: null, scheduler: { do: 'nothing' } });
    expect(saga.chain).toMatchObject({ stream: `migration-${id}`, sequence: 7 });

    // The saga chain: linked, sealed, signed by the node, every receipt valid against the saga receipt schema.
    const receipts = (await node.api('GET', `/migrations/${id}/receipts`)).body.receipts as JsonObject[];
    expect(receipts).toHaveLength(8);
    let prev = first.prev_root;
    for (const r of receipts) {
      expect(r.prev_root).toBe(prev);
      expect(computeNextRoot(r)).toBe(r.next_root);
      expect(verifyProofs(r).map((p) => p.ok)).toEqual([true]);
      expect(schemaErrors('migration-saga.receipt.schema.json', r)).toEqual([]);
      prev = r.next_root as string;
    }
    const roots = receipts.map((r) => r.next_root as string);
    const proof = await node.api('GET', `/migrations/${id}/receipts/3/proof`);
    expect(verifyInclusionProof(proof.body)).toEqual({ valid: true });
    expect(proof.body.root).toBe(mmrRootFromNextRoots(roots).root);
    expect((await node.api('GET', `/migrations/${id}/receipts/5`)).body).toEqual(receipts[5]);
    const cp = await node.api('GET', `/migrations/${id}/checkpoint`);
    expect(cp.body).toMatchObject({ receipt_count: 8, genesis_root: first.prev_root, final_state_root: roots[7], mmr: { root: mmrRootFromNextRoots(roots).root } });
    expect(verifyProofs(cp.body).map((p) => p.ok)).toEqual([true]);
    const cp4 = await node.api('GET', `/migrations/${id}/checkpoints/4`);
    const consistency = await node.api('GET', `/migrations/${id}/consistency?from=4`);
    expect(verifyConsistencyProof(consistency.body, { oldSize: 4, oldRoot: cp4.body.mmr.root, newSize: 8, newRoot: cp.body.mmr.root }).valid).toBe(true);

    // Every completed phase is recorded once in the corridor's state channel, as its payload schema says.
    const steps = await eventually(
      () => corridorTransitions(node, corridorId, 'migration.step.completed.v1'),
      (t) => t.filter((x) => (x.payload as JsonObject).migration_id === id).length === FORWARD.length,
    );
    const mine = steps.filter((t) => (t.payload as JsonObject).migration_id === id);
    expect(mine.map((t) => (t.payload as JsonObject).step)).toEqual(FORWARD);
    for (const t of mine) {
      expect(schemaErrors('migration-saga.step-transition.schema.json', t.payload)).toEqual([]);
      expect(t.payload).toEqual({ migration_id: id, asset_id: `asset:${id}`, step: (t.payload as JsonObject).step, evidence_digest_sha256: evidence(`${id}/${(t.payload as JsonObject).step}`) });
    }
    // The saga receipt asking for the transition carries the same payload as the corridor receipt recording it.
    expect((receipts[1]!.transition as any).payload.corridor_transition).toEqual({ corridor_id: corridorId, kind: 'migration.step.completed.v1', payload: mine[0]!.payload });

    // A finished saga moves no more.
    expectProblem(await node.api('POST', `/migrations/${id}/advance`, { from_phase: 'initiated', evidence_digest_sha256: evidence('x') }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `/migrations/${id}/fail`, { reason: 'too late' }), 409, 'transition-not-allowed');
  });

  it('refuses what the saga rules and the node forbid, and records nothing for it', async () => {
    const id = 'mig-refusals';
    const deadline = utc(now() + 30 * 24 * 3600_000);
    // Corridors: unknown, and one that is not ACTIVE.
    expectProblem(await node.api('POST', '/migrations', startBody(id, 'org.example.nowhere', deadline)), 404, 'not-found');
    const draft = 'org.example.pk-ae.draft';
    expect((await node.api('POST', '/corridors', { corridor_id: draft, trust_anchors: corridor.trustAnchors })).status).toBe(201);
    expectProblem(await node.api('POST', '/migrations', startBody(id, draft, deadline)), 409, 'corridor-not-active');
    // Bodies: unknown field, missing field, bad id, a number for a text field, a deadline that is not after now.
    expectProblem(await node.api('POST', '/migrations', startBody(id, corridorId, deadline, { corridor_genesis_root: 'f'.repeat(64) })), 400, 'invalid-request');
    const { deadline: _d, ...noDeadline } = startBody(id, corridorId, deadline);
    expectProblem(await node.api('POST', '/migrations', noDeadline), 400, 'invalid-request');
    expectProblem(await node.api('POST', '/migrations', startBody('Not An Id', corridorId, deadline)), 400, 'invalid-request');
    expectProblem(await node.api('POST', '/migrations', startBody(id, corridorId, deadline, { asset_id: 42 })), 400, 'invalid-request');
    expectProblem(await node.api('POST', '/migrations', startBody(id, corridorId, utc(now() - 60_000))), 400, 'invalid-command');
    expectProblem(await node.api('POST', '/migrations', startBody(id, corridorId, 'tomorrow')), 400, 'invalid-command');
    expectProblem(await node.api('POST', '/migrations', startBody(id, corridorId, deadline, { destination_jurisdiction: 'PK' })), 400, 'invalid-command');
    // Nothing was recorded for any of them.
    expectProblem(await node.api('GET', `/migrations/${id}`), 404, 'not-found');
    expect((await node.api('GET', `/migrations/${id}/receipts`)).body).toEqual({ stream: `migration-${id}`, receipts: [], head: null });

    // Commands on a saga that does not exist.
    expectProblem(await node.api('POST', `/migrations/${id}/advance`, { from_phase: 'initiated', evidence_digest_sha256: evidence('a') }), 404, 'not-found');
    expectProblem(await node.api('POST', `/migrations/${id}/cancel`, { reason: 'r' }), 404, 'not-found');

    expect((await node.api('POST', '/migrations', startBody(id, corridorId, deadline))).status).toBe(201);
    expectProblem(await node.api('POST', '/migrations', startBody(id, corridorId, deadline)), 409, 'already-exists');
    // Advancing: the named phase must be the current one, with the evidence digest of the phase.
    expectProblem(await node.api('POST', `/migrations/${id}/advance`, { from_phase: 'transit', evidence_digest_sha256: evidence('a') }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `/migrations/${id}/advance`, { from_phase: 'somewhere', evidence_digest_sha256: evidence('a') }), 400, 'invalid-request');
    expectProblem(await node.api('POST', `/migrations/${id}/advance`, { from_phase: 'initiated' }), 422, 'evidence-missing');
    expectProblem(await node.api('POST', `/migrations/${id}/advance`, { from_phase: 'initiated', evidence_digest_sha256: 'ABC' }), 422, 'invalid-evidence');
    // Nothing to compensate or resolve yet; expiry waits for the deadline; expire takes no body.
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/complete-step`, { step: 'release_fee_holds', evidence_digest_sha256: evidence('b') }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/fail-step`, { step: 'release_fee_holds', error: 'e' }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/resolve`, { operator: 'op', resolution: 'retry', note: 'n' }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `/migrations/${id}/expire`), 409, 'deadline-not-reached');
    expectProblem(await node.api('POST', `/migrations/${id}/expire`, { now: 'please' }), 400, 'invalid-request');
    expect((await node.api('GET', `/migrations/${id}/receipts`)).body.receipts).toHaveLength(1);

    // Past source_lock the asset is on its way: cancellation is refused, failure starts compensation.
    for (const phase of FORWARD.slice(0, 4)) expect((await node.api('POST', `/migrations/${id}/advance`, { from_phase: phase, evidence_digest_sha256: evidence(phase) })).status).toBe(201);
    expectProblem(await node.api('POST', `/migrations/${id}/cancel`, { reason: 'changed our minds' }), 409, 'transition-not-allowed');
    const failed = await node.api('POST', `/migrations/${id}/fail`, { reason: 'destination registry refused the asset' });
    expect(failed.status).toBe(201);
    expect(failed.body.receipts[0].receipt.transition.payload).toMatchObject({
      trigger: 'failed',
      reached_phase: 'transit',
      plan: ['recall_from_transit', 'unlock_source', 'void_attestations', 'release_fee_holds'],
    });
    expect((await node.api('GET', `/migrations/${id}`)).body.scheduler).toEqual({ do: 'attempt-compensation-step', step: 'recall_from_transit', attempt: 1 });
    // Steps run in plan order; a step outside the plan is refused; a failed attempt waits for its retry time.
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/complete-step`, { step: 'unlock_source', evidence_digest_sha256: evidence('u') }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/complete-step`, { step: 'burn_the_asset', evidence_digest_sha256: evidence('u') }), 400, 'invalid-command');
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/complete-step`, { step: 'recall_from_transit' }), 422, 'evidence-missing');
    const attempt1 = await node.api('POST', `/migrations/${id}/compensation/fail-step`, { step: 'recall_from_transit', error: 'carrier unreachable' });
    expect(attempt1.status).toBe(201);
    const retryAt = attempt1.body.receipts[0].receipt.transition.payload.retry_at;
    expect(Date.parse(retryAt) - Date.parse(attempt1.body.receipts[0].receipt.timestamp)).toBe(30_000);
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/complete-step`, { step: 'recall_from_transit', evidence_digest_sha256: evidence('r') }), 409, 'retry-not-due');
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/fail-step`, { step: 'recall_from_transit', error: 'again' }), 409, 'retry-not-due');
    expect((await node.api('GET', `/migrations/${id}`)).body.scheduler).toEqual({ do: 'wait', until: retryAt, then: 'attempt-compensation-step' });
    // Nothing compensated yet, so nothing of it is in the corridor.
    expect((await corridorTransitions(node, corridorId, 'migration.step.compensated.v1')).filter((t) => (t.payload as JsonObject).migration_id === id)).toEqual([]);
  });

  it('refuses to advance past the deadline; expiry then starts compensation', async () => {
    const id = 'mig-late';
    const deadline = utc(now() + 2000);
    expect((await node.api('POST', '/migrations', startBody(id, corridorId, deadline))).status).toBe(201);
    await eventually(async () => now(), (t) => t >= Date.parse(deadline) + 100, 5000);
    expectProblem(await node.api('POST', `/migrations/${id}/advance`, { from_phase: 'initiated', evidence_digest_sha256: evidence('late') }), 409, 'deadline-passed');
    const expired = await node.api('POST', `/migrations/${id}/expire`);
    expect(expired.status).toBe(201);
    expect(expired.body.receipts[0].receipt.transition).toMatchObject({ kind: 'migration-saga.compensation-started.v1', payload: { trigger: 'expired', reached_phase: 'initiated', plan: ['release_fee_holds'] } });
    expectProblem(await node.api('POST', `/migrations/${id}/expire`), 409, 'transition-not-allowed');
  });

  it('cancels before transit, undoes the held fees and ends cancelled; the undone step lands in the corridor', async () => {
    const id = 'mig-cancel';
    expect((await node.api('POST', '/migrations', startBody(id, corridorId, utc(now() + 30 * 24 * 3600_000)))).status).toBe(201);
    expect((await node.api('POST', `/migrations/${id}/advance`, { from_phase: 'initiated', evidence_digest_sha256: evidence('kyc') })).status).toBe(201);
    const cancelled = await node.api('POST', `/migrations/${id}/cancel`, { reason: 'the buyer withdrew' });
    expect(cancelled.status).toBe(201);
    expect(cancelled.body.receipts[0].receipt.transition.payload).toMatchObject({ trigger: 'cancelled', reached_phase: 'compliance_check', plan: ['release_fee_holds'] });
    const done = await node.api('POST', `/migrations/${id}/compensation/complete-step`, { step: 'release_fee_holds', evidence_digest_sha256: evidence('fees released') });
    expect(done.body.receipts.map((r: any) => r.receipt.transition.kind)).toEqual(['migration-saga.compensation-step-completed.v1', 'migration-saga.cancelled.v1']);
    expect((await node.api('GET', `/migrations/${id}`)).body).toMatchObject({ phase: 'cancelled', scheduler: { do: 'nothing' } });
    // A repeated report of an undone step is a no-op: accepted, nothing appended.
    const again = await node.api('POST', `/migrations/${id}/compensation/complete-step`, { step: 'release_fee_holds', evidence_digest_sha256: evidence('fees released') });
    expect([again.status, again.body.receipts]).toEqual([201, []]);
    const undone = await eventually(
      async () => (await corridorTransitions(node, corridorId, 'migration.step.compensated.v1')).filter((t) => (t.payload as JsonObject).migration_id === id),
      (t) => t.length === 1,
    );
    expect(undone[0]!.payload).toEqual({ migration_id: id, asset_id: `asset:${id}`, step: 'release_fee_holds', evidence_digest_sha256: evidence('fees released') });
  });

  it('honours Idempotency-Key on saga commands: one saga receipt, one corridor transition, and the key stays with the saga', async () => {
    const id = 'mig-idempotent';
    expect((await node.api('POST', '/migrations', startBody(id, corridorId, utc(now() + 30 * 24 * 3600_000)))).status).toBe(201);
    const body = { from_phase: 'initiated', evidence_digest_sha256: evidence('kyc once') };
    const first = await node.api('POST', `/migrations/${id}/advance`, body, { 'idempotency-key': 'advance-mig-idempotent-1' });
    const again = await node.api('POST', `/migrations/${id}/advance`, body, { 'idempotency-key': 'advance-mig-idempotent-1' });
    expect([first.status, again.status, again.text]).toEqual([201, 201, first.text]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await node.api('GET', `/migrations/${id}/receipts`)).body.receipts).toHaveLength(2);
    const mine = async () => (await corridorTransitions(node, corridorId, 'migration.step.completed.v1')).filter((t) => (t.payload as JsonObject).migration_id === id);
    await eventually(mine, (t) => t.length === 1);
    // The key marks the saga's event only: the corridor transition the node recorded for it is the node's own act.
    const store = node.app.get<EventStore>(EVENT_STORE);
    const sagaEvents = await store.read(`migration-${id}`);
    expect(sagaEvents.map((e) => e.metadata?.idempotency_key ?? null)).toEqual([null, 'advance-mig-idempotent-1']);
    const corridorEvents = await store.read(`corridor-${corridorId}`);
    expect(corridorEvents.filter((e) => e.metadata?.idempotency_key !== undefined)).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(await mine()).toHaveLength(1);
  });

  it('escalates a step after the last failed attempt; an operator resolves it and compensation finishes', async () => {
    const id = 'mig-escalated';
    expect((await node.api('POST', '/migrations', startBody(id, corridorId, utc(now() + 365 * 24 * 3600_000)))).status).toBe(201);
    expect((await node.api('POST', `/migrations/${id}/fail`, { reason: 'sanctions hit on the buyer' })).status).toBe(201);
    // Five failed attempts, each at its retry time (the node's clock is moved past it).
    let last: any;
    for (let attempt = 1; attempt <= 5; attempt++) {
      last = await node.api('POST', `/migrations/${id}/compensation/fail-step`, { step: 'release_fee_holds', error: `fee ledger unavailable (${attempt})` });
      expect([attempt, last.status]).toEqual([attempt, 201]);
      const retryAt = last.body.receipts[0].receipt.transition.payload.retry_at;
      if (retryAt !== null) shift += Date.parse(retryAt) - now() + 1000;
    }
    expect(last.body.receipts.map((r: any) => r.receipt.transition.kind)).toEqual(['migration-saga.compensation-step-failed.v1', 'migration-saga.compensation-escalated.v1']);
    const stuck = (await node.api('GET', `/migrations/${id}`)).body;
    expect(stuck).toMatchObject({ phase: 'compensation_failed', scheduler: { do: 'await-operator', step: 'release_fee_holds', failures: 5, last_error: 'fee ledger unavailable (5)' } });
    // Only an operator moves it on.
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/complete-step`, { step: 'release_fee_holds', evidence_digest_sha256: evidence('f') }), 409, 'transition-not-allowed');
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/resolve`, { operator: 'operator:alice', resolution: 'compensated_manually', note: 'by hand' }), 422, 'evidence-missing');
    expectProblem(await node.api('POST', `/migrations/${id}/compensation/resolve`, { operator: 'operator:alice', resolution: 'shrug', note: 'n' }), 400, 'invalid-request');
    const retried = await node.api('POST', `/migrations/${id}/compensation/resolve`, { operator: 'operator:alice', resolution: 'retry', note: 'ledger is back' });
    expect(retried.status).toBe(201);
    expect((await node.api('GET', `/migrations/${id}`)).body).toMatchObject({ phase: 'compensating', scheduler: { do: 'attempt-compensation-step', step: 'release_fee_holds', attempt: 1 } });
    expect((await node.api('POST', `/migrations/${id}/compensation/fail-step`, { step: 'release_fee_holds', error: 'still down' })).status).toBe(201);
    shift += 31_000;
    for (let attempt = 2; attempt <= 5; attempt++) {
      const r = await node.api('POST', `/migrations/${id}/compensation/fail-step`, { step: 'release_fee_holds', error: 'down again' });
      const retryAt = r.body.receipts[0].receipt.transition.payload.retry_at;
      if (retryAt !== null) shift += Date.parse(retryAt) - now() + 1000;
    }
    const manual = await node.api('POST', `/migrations/${id}/compensation/resolve`, {
      operator: 'operator:bob',
      resolution: 'compensated_manually',
      note: 'fee hold released in the fee ledger by hand, ticket OPS-112',
      evidence_digest_sha256: evidence('manual release'),
    });
    expect(manual.body.receipts.map((r: any) => r.receipt.transition.kind)).toEqual([
      'migration-saga.compensation-failure-resolved.v1',
      'migration-saga.compensation-step-completed.v1',
      'migration-saga.compensated.v1',
    ]);
    expect(manual.body.receipts[1].receipt.transition.payload).toMatchObject({ step: 'release_fee_holds', operator: 'operator:bob', attempt: 6 });
    expect((await node.api('GET', `/migrations/${id}`)).body.phase).toBe('compensated');
    await eventually(
      async () => (await corridorTransitions(node, corridorId, 'migration.step.compensated.v1')).filter((t) => (t.payload as JsonObject).migration_id === id),
      (t) => t.length === 1,
    );
  });
});

describe('the saga deadline scheduler across a restart', () => {
  it('expires a saga whose deadline passed while the node was down, and records steps the corridor could not take before', async () => {
    const corridorId = 'org.example.pk-ae.scheduler';
    const first = await startTestNode({ env: { CORRIDOR_SCHEDULER_INTERVAL_MS: '100' } });
    let second: TestNode | undefined;
    try {
      const c = await activeCorridor(first, corridorId);
      const deadline = utc(Date.now() + 4000);
      expect((await first.api('POST', '/migrations', startBody('mig-sleeper', corridorId, deadline))).status).toBe(201);
      // A second saga advances while its corridor is suspended: the saga records the step, the corridor cannot yet.
      expect((await first.api('POST', '/migrations', startBody('mig-waiting', corridorId, utc(Date.now() + 3600_000)))).status).toBe(201);
      expect((await first.api('POST', `/corridors/${corridorId}/suspend`, { authorization: lifecycleAuthorization(c, 'ACTIVE', 'SUSPENDED') })).status).toBe(201);
      expect((await first.api('POST', '/migrations/mig-waiting/advance', { from_phase: 'initiated', evidence_digest_sha256: evidence('kyc done') })).status).toBe(201);
      expect((await first.api('GET', '/migrations/mig-sleeper')).body.phase).toBe('initiated');
      await first.close();

      // The node is down past the deadline.
      await eventually(async () => Date.now(), (t) => t >= Date.parse(deadline) + 1000, 10_000);
      second = await startTestNode({ dataDir: first.dataDir, env: { CORRIDOR_SCHEDULER_INTERVAL_MS: '100' } });
      const node = second;
      const expired = await eventually(
        async () => (await node.api('GET', '/migrations/mig-sleeper')).body,
        (s) => s.phase !== 'initiated',
      );
      expect(expired).toMatchObject({
        phase: 'compensating',
        compensation: { trigger: 'expired', reason: `deadline ${deadline} passed in initiated`, plan: ['release_fee_holds'], done: [] },
        scheduler: { do: 'attempt-compensation-step', step: 'release_fee_holds', attempt: 1 },
      });
      const sagaReceipts = (await node.api('GET', '/migrations/mig-sleeper/receipts')).body.receipts;
      expect(sagaReceipts.map((r: any) => r.transition.kind)).toEqual(['migration-saga.started.v1', 'migration-saga.compensation-started.v1']);
      expect(Date.parse(sagaReceipts[1].timestamp)).toBeGreaterThanOrEqual(Date.parse(deadline));
      // The scheduler's work list names the due step.
      const open = await eventually(
        async () => (await node.api('GET', '/migrations')).body,
        (b) => b.migrations.some((m: any) => m.migration_id === 'mig-sleeper' && m.instruction.do === 'attempt-compensation-step'),
      );
      expect(open.migrations.find((m: any) => m.migration_id === 'mig-sleeper')).toEqual({
        migration_id: 'mig-sleeper',
        phase: 'compensating',
        deadline,
        instruction: { do: 'attempt-compensation-step', step: 'release_fee_holds', attempt: 1 },
      });

      // The step the suspended corridor could not take is recorded once it is active again.
      expect(await corridorTransitions(node, corridorId, 'migration.step.completed.v1')).toEqual([]);
      expect((await node.api('POST', `/corridors/${corridorId}/resume`, { authorization: lifecycleAuthorization(c, 'SUSPENDED', 'ACTIVE') })).status).toBe(201);
      const recorded = await eventually(() => corridorTransitions(node, corridorId, 'migration.step.completed.v1'), (t) => t.length > 0);
      expect(recorded.map((t) => t.payload)).toEqual([{ migration_id: 'mig-waiting', asset_id: 'asset:mig-waiting', step: 'initiated', evidence_digest_sha256: evidence('kyc done') }]);

      // The expired saga is compensated once its step is reported undone.
      const undone = await node.api('POST', '/migrations/mig-sleeper/compensation/complete-step', { step: 'release_fee_holds', evidence_digest_sha256: evidence('fees released') });
      expect(undone.body.receipts.map((r: any) => r.receipt.transition.kind)).toEqual(['migration-saga.compensation-step-completed.v1', 'migration-saga.compensated.v1']);
      expect((await node.api('GET', '/migrations/mig-sleeper')).body).toMatchObject({ phase: 'compensated', scheduler: { do: 'nothing' } });
      await eventually(() => corridorTransitions(node, corridorId, 'migration.step.compensated.v1'), (t) => t.length === 1);
      await eventually(async () => (await node.api('GET', '/migrations')).body.migrations.map((m: any) => m.migration_id), (ids) => !ids.includes('mig-sleeper'));
      // Several scheduler passes later, still exactly one corridor record of each step.
      await new Promise((r) => setTimeout(r, 300));
      expect(await corridorTransitions(node, corridorId, 'migration.step.completed.v1')).toHaveLength(1);
      expect(await corridorTransitions(node, corridorId, 'migration.step.compensated.v1')).toHaveLength(1);
    } finally {
      await second?.close();
      if (!second) await first.close().catch(() => undefined);
    }
  });
});
