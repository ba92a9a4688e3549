import * as path from 'node:path';
import {
  addProof,
  buildCheckpoint,
  buildWatcherAttestationCredential,
  Ed25519KeyPair,
  mmrRootFromNextRoots,
  sha256Hex,
  type JsonObject,
} from '@corridor/protocol';
import { migrationSagaDecider, watcherBondDecider, type Decider, type DomainCommand, type DomainEvent, type Versioned } from '@corridor/domain';
import { createProjections, type ProjectionHost, type ProjectionQueries, type ProjectionStore } from '@corridor/compliance';
import { BACKENDS } from './stores';
import { digest } from './oracle';
import { recordTransition, tempDir, TestLedger } from './support';

const CORRIDOR = 'corridor:pk-ae-trade-01';
const CORRIDOR_STREAM = 'corridor-pk-ae-trade-01';
const LIFECYCLE_STREAM = 'corridor_lifecycle-pk-ae-trade-01';
const watchers = [1, 2, 3].map((i) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(40 + i)));
const day = (n: number, h = 0) => new Date(Date.UTC(2025, 0, 1 + n, h)).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Runs commands through a real decider of the domain library and appends the events it decides. */
async function drive<C extends DomainCommand, E extends DomainEvent, S extends Versioned>(ledger: TestLedger, stream: string, decider: Decider<C, E, S>, commands: C[]): Promise<E[]> {
  let state = decider.initialState();
  const all: E[] = [];
  for (const c of commands) {
    const events = decider.decide(c, state);
    for (const e of events) {
      await ledger.append(stream, e.type, e.data as unknown as JsonObject);
      state = decider.evolve(state, e);
      all.push(e);
    }
  }
  return all;
}

const cmd = <T extends string>(type: T, at: string, data: object) => ({ type, at, data }) as never;

describe.each(BACKENDS.map((b) => [b().name, b] as const))('read models on %s', (_name, backendOf) => {
  const backend = backendOf();
  let tmp: ReturnType<typeof tempDir>;
  let ledger: TestLedger;
  let store: ProjectionStore;
  let host: ProjectionHost;
  let queries: ProjectionQueries;
  const corridorRoots: string[] = [];

  async function lifecycle(type: string, data: JsonObject): Promise<void> {
    await ledger.append(LIFECYCLE_STREAM, type, data);
  }

  /** A transition in the corridor's state channel, as the node records it; keeps the chain's next_roots. */
  async function transition(ordinal: number, at: string, payload: JsonObject, signed = true): Promise<void> {
    await recordTransition(ledger, CORRIDOR_STREAM, CORRIDOR, ordinal, at, 'trade.invoice.issued.v1', payload, { signed });
    const last = await ledger.events.readLast(CORRIDOR_STREAM);
    corridorRoots.push(JSON.parse(last!.data).next_root);
  }

  beforeAll(async () => {
    await backend.setup();
    tmp = tempDir();
    ledger = TestLedger.open(path.join(tmp.dir, 'ledger.db'));
    store = await backend.open();
    ({ host, queries } = createProjections({ events: ledger.events, store }));
    await host.start();
    await host.caughtUp();
  });

  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await ledger?.close();
    tmp?.cleanup();
    await backend.teardown();
  });

  async function settle(): Promise<void> {
    const all = await ledger.events.readAll();
    if (all.length > 0) await host.waitFor(all[all.length - 1]!.position);
  }

  it('tracks watchers: bonds, stake, slashes and reputation (events decided by the domain library)', async () => {
    for (const [i, w] of watchers.entries()) {
      const commands = [cmd('PostBond', day(0), { watcher_id: w.did, bond_id: `bond-${i}`, amount: '1000.50', currency: 'USDC', corridor_ids: [CORRIDOR] })];
      for (let k = 0; k < 25 * (i + 1); k++) commands.push(cmd('RecordAttestation', day(1), { watcher_id: w.did, corridor_id: CORRIDOR, attestation_digest_sha256: sha256Hex(`att-${i}-${k}`) }));
      if (i === 2) {
        commands.push(cmd('SlashBond', day(65), { watcher_id: w.did, offence: 'availability', evidence: { incident_id: 'inc-1', corridor_id: CORRIDOR, evidence_digest_sha256: sha256Hex('bundle') } }));
      }
      await drive(ledger, `watcher-${i}`, watcherBondDecider, commands);
    }
    await settle();
    const w0 = (await queries.watcher(watchers[0]!.did)).data!;
    // 50 + min(30, ⌊25/10⌋ = 2) + min(20, ⌊1 day / 30⌋ = 0) − 0
    expect(w0).toMatchObject({ status: 'ACTIVE', bond_id: 'bond-0', collateral: '1000.5', remaining: '1000.5', slashed: '0', attestation_count: 25, reputation: 52, tier: 'novice' });
    const w2 = (await queries.watcher(watchers[2]!.did)).data!;
    expect(w2.slashes).toHaveLength(1);
    expect(w2.slashes[0]).toMatchObject({ offence: 'availability', incident: 'availability:inc-1', at: day(65) });
    // the slashing schedule of governance/watcher-slashing.json decides the amount; the registry must be consistent with it
    expect(Number(w2.remaining) + Number(w2.slashes[0]!.amount)).toBeCloseTo(1000.5, 9);
    expect(w2.slashed).toBe(w2.slashes[0]!.amount);
    // 50 + min(30, ⌊75/10⌋ = 7) + min(20, ⌊65 days / 30⌋ = 2) − 25 × 1
    expect(w2.reputation).toBe(34);
    const list = await queries.watchers({ corridor: CORRIDOR });
    expect(list.data.items.map((w) => w.watcher_id).sort()).toEqual(watchers.map((w) => w.did).sort());
    expect(list.read.projection).toBe('watcher_registry');
    const stake = await queries.stake(CORRIDOR);
    expect(stake.data.active_watchers).toBe(3);
    // Independent exact sum: amounts as integers of 10^-18 units.
    const units = (a: string) => {
      const [whole, frac = ''] = a.split('.');
      return BigInt(whole!) * 10n ** 18n + BigInt(frac.padEnd(18, '0'));
    };
    const remaining = [w0.remaining, (await queries.watcher(watchers[1]!.did)).data!.remaining, w2.remaining];
    expect(units(stake.data.by_currency.USDC!)).toBe(remaining.map(units).reduce((x, y) => x + y, 0n));
    expect(units(stake.data.by_currency.USDC!)).toBeLessThan(units('3001.5'));
  });

  it('reports corridor status, MMR root and finality up the ladder', async () => {
    await lifecycle('corridor.created.v1', { corridor_id: CORRIDOR, at: day(0), state: 'DRAFT', trust_anchors: [] });
    await lifecycle('corridor.submitted.v1', { corridor_id: CORRIDOR, at: day(1), transition: 'submit', from_state: 'DRAFT', to_state: 'PENDING', evidence: [], authorization: null, facts: {} });
    await settle();
    let s = (await queries.corridor(CORRIDOR)).data!;
    expect(s).toMatchObject({ state: 'PENDING', since: day(1), head: null, receipt_count: 0, mmr: null, finality: 'proposed' });
    expect(s.lifecycle).toMatchObject({ stream: LIFECYCLE_STREAM, sequence: 1, signed: true });
    await lifecycle('corridor.activated.v1', { corridor_id: CORRIDOR, at: day(2), transition: 'activate', from_state: 'PENDING', to_state: 'ACTIVE', evidence: [], authorization: null, facts: {} });
    for (const n of [1, 2, 3, 4]) await transition(n, day(3), { invoice: `INV-${n}` });
    await settle();
    s = (await queries.corridor(CORRIDOR)).data!;
    expect(s).toMatchObject({ corridor_id: CORRIDOR, stream: CORRIDOR_STREAM, state: 'ACTIVE', since: day(2), receipt_count: 4, transitions_recorded: 4, finality: 'receipt_signed' });
    expect(s.lifecycle).toMatchObject({ stream: LIFECYCLE_STREAM, sequence: 2 });
    expect(s.head).toMatchObject({ sequence: 3, next_root: corridorRoots[3], signed: true });
    expect(s.mmr).toMatchObject({ size: 4, root: mmrRootFromNextRoots(corridorRoots).root });
    expect(s.watchers).toEqual({ bonded: 3, quorum: 2 });

    // A signed checkpoint of exactly this head.
    const checkpoint = buildCheckpoint({
      corridor_id: CORRIDOR, timestamp: day(3, 1), genesis_root: sha256Hex('genesis'), final_state_root: corridorRoots[3]!, receipt_count: 4,
      lawpack_digest_set: [], ruleset_digest_set: [], mmr: { size: 4, root: mmrRootFromNextRoots(corridorRoots).root, peaks: mmrRootFromNextRoots(corridorRoots).peaks },
    });
    await ledger.append(`checkpoints-${CORRIDOR_STREAM}`, 'corridor.checkpoint-signed.v1', addProof(checkpoint, watchers[0]!, { created: day(3, 1) }), { plain: true });
    await settle();
    s = (await queries.corridor(CORRIDOR)).data!;
    expect(s.finality).toBe('checkpoint_signed');
    expect(s.latest_signed_checkpoint).toMatchObject({ receipt_count: 4, final_state_root: corridorRoots[3], proofs: 1, digest: digest(checkpoint) });

    // One attestation of three bonded watchers is no quorum; two are.
    const attest = async (w: Ed25519KeyPair) => {
      const vc = buildWatcherAttestationCredential({ corridor_id: CORRIDOR, checkpoint, checkpoint_uri: 'checkpoints/4.json', issuer: w.did, observed_at: day(3, 2), issuanceDate: day(3, 2), id: `urn:test:${w.did}` });
      await ledger.append(`attestations-${CORRIDOR_STREAM}`, 'watcher.attestation.v1', addProof(vc, w, { created: day(3, 2) }), { plain: true });
      await settle();
    };
    await attest(watchers[0]!);
    expect((await queries.corridor(CORRIDOR)).data!.finality).toBe('checkpoint_signed');
    const outsider = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(99));
    await attest(outsider);
    expect((await queries.corridor(CORRIDOR)).data!.finality).toBe('checkpoint_signed');
    await attest(watchers[1]!);
    s = (await queries.corridor(CORRIDOR)).data!;
    expect(s.finality).toBe('watcher_quorum');
    expect(s.quorum_head).toEqual({ receipt_count: 4, final_state_root: corridorRoots[3], watchers: [watchers[0]!.did, watchers[1]!.did].sort() });

    // A new unsigned receipt: the new head is only proposed.
    await transition(5, day(4), { invoice: 'INV-5' }, false);
    await settle();
    const r = await queries.corridor(CORRIDOR);
    expect(r.data).toMatchObject({ finality: 'proposed', receipt_count: 5 });
    expect(r.data!.mmr!.root).toBe(mmrRootFromNextRoots(corridorRoots).root);
    expect(r.tensor?.commitment).toMatch(/^[0-9a-f]{64}$/);
    expect((await queries.corridors({ state: 'ACTIVE' })).data.items.map((c) => c.corridor_id)).toEqual([CORRIDOR]);
    expect(await queries.corridor('corridor:none').then((x) => x.data)).toBeNull();
  });

  it('keeps the migration board (events decided by the domain library)', async () => {
    const start = (id: string, deadline: string) =>
      cmd('StartMigration', day(10), { migration_id: id, corridor_id: CORRIDOR, corridor_genesis_root: 'e'.repeat(64), asset_id: `asset-${id}`, source_jurisdiction: 'pk', destination_jurisdiction: 'ae', deadline });
    await drive(ledger, 'saga-a', migrationSagaDecider, [
      start('mig-a', day(20)),
      cmd('AdvanceMigration', day(11), { migration_id: 'mig-a', from_phase: 'initiated', evidence_digest_sha256: sha256Hex('a0') }),
      cmd('AdvanceMigration', day(11, 1), { migration_id: 'mig-a', from_phase: 'compliance_check', evidence_digest_sha256: sha256Hex('a1') }),
    ]);
    await drive(ledger, 'saga-b', migrationSagaDecider, [
      start('mig-b', day(15)),
      cmd('CancelMigration', day(12), { migration_id: 'mig-b', reason: 'parties withdrew' }),
      cmd('CompleteCompensationStep', day(12, 1), { migration_id: 'mig-b', step: 'release_fee_holds', evidence_digest_sha256: sha256Hex('b0') }),
    ]);
    await drive(ledger, 'saga-c', migrationSagaDecider, [start('mig-c', day(13))]);
    await settle();
    const a = (await queries.migration('mig-a')).data!;
    expect(a).toMatchObject({ phase: 'attestation_gathering', asset_id: 'asset-mig-a', deadline: day(20), source_jurisdiction: 'pk', destination_jurisdiction: 'ae', ended_at: null });
    expect(a.steps.map((s) => [s.phase, s.to])).toEqual([['initiated', 'compliance_check'], ['compliance_check', 'attestation_gathering']]);
    const b = (await queries.migration('mig-b')).data!;
    expect(b.phase).toBe('cancelled');
    expect(b.compensation).toMatchObject({ trigger: 'cancelled', reason: 'parties withdrew', done: ['release_fee_holds'] });
    const board = await queries.openMigrationsByDeadline(day(14));
    expect(board.data.items.map((m) => [m.migration_id, m.overdue])).toEqual([['mig-c', true], ['mig-a', false]]);
    expect(board.as_of).toBe(day(14));
    expect(board.tensor?.commitment).toMatch(/^[0-9a-f]{64}$/);
    expect((await queries.migrations({ open: true })).data.items.map((m) => m.migration_id)).toEqual(['mig-a', 'mig-c']);
    expect((await queries.migrations({ asset: 'asset-mig-b' })).data.items.map((m) => m.phase)).toEqual(['cancelled']);
    // The saga's passed compliance check reached the tensor (spec/compliance-tensor.md §6.4).
    const trade = await queries.tensor.cell({ subject: 'asset-mig-a', jurisdiction: 'ae', domain: 'trade' }, day(14));
    expect(trade.data).toMatchObject({ state: 'compliant', standing: [sha256Hex('a1')] });
    expect((await queries.tensor.cell({ subject: 'asset-mig-a', jurisdiction: 'ae', domain: 'trade' }, day(20))).data.state).toBe('non_compliant');
  });

  it('keeps the dispute docket', async () => {
    const base = { dispute_id: 'd-1' };
    const events: [string, JsonObject][] = [
      ['dispute.filed.v1', { ...base, at: day(30), corridor_id: CORRIDOR, corridor_genesis_root: 'e'.repeat(64), corridor_head_commitment_sha256: 'f'.repeat(64), claimant: 'did:key:claimant', respondent: 'did:key:respondent', filing_digest_sha256: sha256Hex('filing') }],
      ['dispute.review-started.v1', { ...base, at: day(31), case_reference: 'DIFC-LCIA-1', arbitrator: 'did:key:arbitrator' }],
      ['dispute.escrow-funded.v1', { ...base, at: day(31, 1), escrow_id: 'esc-1', escrow_type: 'security_deposit', amount: '500', currency: 'USD', funded_by: 'did:key:respondent' }],
      ['dispute.evidence-collection-opened.v1', { ...base, at: day(32), procedural_order_digest_sha256: sha256Hex('order'), evidence_deadline: day(40) }],
    ];
    for (const [type, data] of events) await ledger.append('dispute-d-1', type, data);
    await ledger.append('dispute-d-2', 'dispute.filed.v1', { dispute_id: 'd-2', at: day(30), corridor_id: CORRIDOR, corridor_genesis_root: 'e'.repeat(64), corridor_head_commitment_sha256: 'f'.repeat(64), claimant: 'did:key:other', respondent: 'did:key:claimant', filing_digest_sha256: sha256Hex('filing-2') });
    await ledger.append('dispute-d-2', 'dispute.dismissed.v1', { dispute_id: 'd-2', at: day(31), dismissal_order_digest_sha256: sha256Hex('dismissal'), reason: 'out of time' });
    await settle();
    const d1 = (await queries.dispute('d-1')).data!;
    expect(d1).toMatchObject({
      status: 'EVIDENCE_COLLECTION', corridor_id: CORRIDOR, claimant: 'did:key:claimant', respondent: 'did:key:respondent', arbitrator: 'did:key:arbitrator',
      case_reference: 'DIFC-LCIA-1', next_deadline: { what: 'evidence_deadline', at: day(40) },
    });
    expect(d1.escrows['esc-1']).toMatchObject({ status: 'funded', amount: '500' });
    const d2 = (await queries.dispute('d-2')).data!;
    expect(d2).toMatchObject({ status: 'DISMISSED', next_deadline: null, outcome: { status: 'DISMISSED', reason: 'out of time' } });
    expect((await queries.disputes({ open: true })).data.items.map((d) => d.dispute_id)).toEqual(['d-1']);
    expect((await queries.disputes({ party: 'did:key:claimant' })).data.items.map((d) => d.dispute_id)).toEqual(['d-1', 'd-2']);
    expect((await queries.disputes({ status: 'DISMISSED' })).data.items.map((d) => d.dispute_id)).toEqual(['d-2']);
  });

  it('commits every projection up to the same log position', async () => {
    await settle();
    const positions = host.projections.map((p) => p.position);
    expect(new Set(positions.map((p) => `${p!.commit}`)).size).toBe(1);
    expect(host.projections.map((p) => p.state)).toEqual(['running', 'running', 'running', 'running', 'running']);
  });
});
