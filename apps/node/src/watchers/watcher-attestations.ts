import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DomainError } from '@corridor/domain';
import {
  baseDid,
  DEFAULT_MAX_STALENESS_SECONDS,
  digestOf,
  isJsonObject,
  parseIsoTimestamp,
  verifyProofs,
  watcherQuorumPolicy,
  type JsonObject,
} from '@corridor/protocol';
import { AggregateStore } from '../aggregates/aggregate-store';
import { Clock } from '../aggregates/clock';
import { ChainReader } from '../chains/chain-reader';
import { CorridorAggregate, corridorModuleOf, stateChannelStream, type CorridorView } from '../corridors/corridor-aggregate';
import { problem, ProblemException } from '../http/problem';
import { ProjectionRuntime } from '../projections/projection-runtime';
import { WatcherBondAggregate } from '../watcher-bonds/watcher-bond-aggregate';
import { ATTESTATION_STORE } from './tokens';
import type { AttestationStore, StoredAttestation } from './attestation.store';
import { quorumHead, requiredWatchers } from './watcher-quorum';

export const WATCHER_ATTESTATION_CREDENTIAL = 'MSEZCorridorWatcherAttestationCredential';
const HEX64 = /^[0-9a-f]{64}$/;
/** How far ahead of the node's clock an attestation's observed_at may be. */
const MAX_AHEAD_SECONDS = 300;

/**
 * Watcher attestations on this node (spec/watchers.md): each is verified on its own — signature, a bond covering
 * the corridor, freshness, the head being this node's chain at that height — recorded in the watcher's bond chain,
 * and counted towards the corridor's watcher quorum; reaching a higher quorum head is a receipt in the corridor's
 * lifecycle chain. A watcher that signs two heads at one height is slashed with both attestations as evidence.
 */
@Injectable()
export class WatcherAttestations implements OnApplicationShutdown {
  private readonly lanes = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(ATTESTATION_STORE) private readonly store: AttestationStore,
    private readonly aggregates: AggregateStore,
    private readonly corridors: CorridorAggregate,
    private readonly bonds: WatcherBondAggregate,
    private readonly chains: ChainReader,
    private readonly clock: Clock,
    private readonly projections: ProjectionRuntime,
  ) {}

  onApplicationShutdown(): void {
    this.store.close();
  }

  /** One attestation at a time per corridor: quorum is decided on a settled view. */
  submit(corridorId: string, attestation: JsonObject): Promise<JsonObject> {
    const previous = this.lanes.get(corridorId) ?? Promise.resolve();
    const run = previous.then(
      () => this.submitNow(corridorId, attestation),
      () => this.submitNow(corridorId, attestation),
    );
    const tail = run.catch(() => undefined);
    this.lanes.set(corridorId, tail);
    void tail.then(() => this.lanes.get(corridorId) === tail && this.lanes.delete(corridorId));
    return run;
  }

  private async submitNow(corridorId: string, attestation: JsonObject): Promise<JsonObject> {
    const corridor = await this.aggregates.load(this.corridors, corridorId);
    if (corridor.state.corridor_id === null) throw problem.notFound('corridor', corridorId);
    if (!corridor.stateChannel) throw problem.conflict('corridor-not-active', 'Corridor not active', `corridor ${corridorId} has no state channel yet (${corridor.state.lifecycle})`);
    const claim = readAttestation(attestation, corridorId);
    await this.requireBond(claim.watcher, corridorId);
    this.requireFresh(claim.observedAt, corridor);

    const digest = digestOf(attestation);
    const earlier = this.store.at(corridorId, claim.watcher, claim.receiptCount);
    if (earlier && earlier.final_state_root !== claim.finalStateRoot) return this.slashEquivocation(corridorId, claim.watcher, earlier, attestation);

    const matches = await this.matchesOwnChain(corridorId, claim);
    const counted = earlier?.matches === true;
    if (!counted) {
      this.store.put(corridorId, { watcher: claim.watcher, receipt_count: claim.receiptCount, final_state_root: claim.finalStateRoot, digest, matches: matches === true, credential: attestation });
    }
    if (matches !== true) throw problem.conflict('head-mismatch', 'Head mismatch', matches);
    if (!counted) {
      await this.aggregates.execute(this.bonds, claim.watcher, {
        type: 'RecordAttestation',
        at: this.clock.nowUtc(),
        data: { watcher_id: claim.watcher, corridor_id: corridorId, attestation_digest_sha256: digest, attestation },
      });
    }
    const quorum = await this.advanceQuorum(corridorId);
    return { accepted: true, duplicate: counted, attestation_digest_sha256: digest, quorum };
  }

  private async requireBond(watcher: string, corridorId: string): Promise<void> {
    const bond = (await this.aggregates.load(this.bonds, watcher)).state;
    if (bond.status !== 'ACTIVE' || !bond.bond || !bond.bond.corridor_ids.includes(corridorId)) {
      throw new ProblemException(403, 'watcher-not-bonded', 'Watcher not bonded', `watcher ${watcher} has no ACTIVE bond covering corridor ${corridorId} (its bond is ${bond.status ?? 'absent'})`);
    }
  }

  private requireFresh(observedAt: string, corridor: CorridorView): void {
    const policy = watcherQuorumPolicy(corridorModuleOf(corridor.state, corridor.agreementVcs)).policy;
    const maxAge = policy.max_staleness_seconds ?? DEFAULT_MAX_STALENESS_SECONDS;
    const ms = parseIsoTimestamp(observedAt);
    const at = ms === undefined ? undefined : ms / 1000;
    const now = Date.parse(this.clock.nowUtc()) / 1000;
    if (at === undefined) throw problem.unprocessable('invalid-attestation', 'Invalid attestation', `observed_at ${JSON.stringify(observedAt)} is not an RFC 3339 time`);
    if (now - at > maxAge) throw problem.unprocessable('stale-attestation', 'Stale attestation', `observed_at ${observedAt} is older than the corridor's ${maxAge} s staleness bound`);
    if (at - now > MAX_AHEAD_SECONDS) throw problem.unprocessable('stale-attestation', 'Attestation from the future', `observed_at ${observedAt} is ahead of this node's clock by more than ${MAX_AHEAD_SECONDS} s`);
  }

  /** true, or why the attested head is not this node's chain at that height. */
  private async matchesOwnChain(corridorId: string, claim: AttestationClaim): Promise<true | string> {
    const stream = stateChannelStream(corridorId);
    const head = await this.chains.head(stream);
    const size = head ? head.mmr.size : 0;
    if (size < claim.receiptCount) return `this node holds ${size} receipts of corridor ${corridorId}; the attestation is of ${claim.receiptCount} (try again once it has caught up)`;
    const own = await this.chains.ownCheckpoint(stream, claim.receiptCount);
    const mmr = own.mmr as JsonObject;
    const differs = [
      ['final_state_root', own.final_state_root, claim.finalStateRoot],
      ['mmr_root', mmr.root, claim.mmrRoot],
      ['genesis_root', own.genesis_root, claim.genesisRoot],
    ].filter(([, mine, theirs]) => mine !== theirs);
    if (differs.length === 0) return true;
    return `the attested head at ${claim.receiptCount} receipts is not this node's chain: ${differs.map(([f, mine, theirs]) => `${String(f)} ${String(theirs)} (this node: ${String(mine)})`).join('; ')}`;
  }

  private async slashEquivocation(corridorId: string, watcher: string, earlier: StoredAttestation, attestation: JsonObject): Promise<never> {
    let slash: JsonObject | undefined;
    try {
      const outcome = await this.aggregates.execute(this.bonds, watcher, {
        type: 'SlashBond',
        at: this.clock.nowUtc(),
        data: { watcher_id: watcher, offence: 'equivocation', evidence: { attestations: [earlier.credential, attestation] } },
      });
      slash = outcome.receipts[0]?.receipt;
    } catch (e) {
      // Already slashed for this incident (a redelivery): still an equivocation, already paid for.
      if (!(e instanceof DomainError && e.problem === 'already-slashed')) throw e;
    }
    throw problem.conflict(
      'watcher-equivocation',
      'Watcher equivocation',
      `watcher ${watcher} attested ${earlier.final_state_root} and now another head at ${earlier.receipt_count} receipts of corridor ${corridorId}; its bond is slashed`,
      slash ? { slash_receipt: slash } : {},
    );
  }

  /** Records a higher quorum head when the attestations now reach one; returns the corridor's quorum state. */
  private async advanceQuorum(corridorId: string): Promise<JsonObject> {
    const corridor = await this.aggregates.load(this.corridors, corridorId);
    const policy = watcherQuorumPolicy(corridorModuleOf(corridor.state, corridor.agreementVcs)).policy;
    const bonded = await this.bondedWatchers(corridorId);
    const active: StoredAttestation[] = [];
    for (const a of this.store.latestMatching(corridorId)) {
      const bond = (await this.aggregates.load(this.bonds, a.watcher)).state;
      if (bond.status === 'ACTIVE' && bond.bond?.corridor_ids.includes(corridorId)) active.push(a);
    }
    const required = requiredWatchers(policy.threshold, Math.max(bonded, active.length));
    const head = quorumHead(active, required);
    let recorded = corridor.state.watcher_quorum;
    if (head && (!recorded || head.receipt_count > recorded.receipt_count)) {
      const cp = await this.chains.ownCheckpoint(stateChannelStream(corridorId), head.receipt_count);
      try {
        const outcome = await this.aggregates.execute(this.corridors, corridorId, {
          type: 'RecordWatcherQuorum',
          at: this.clock.nowUtc(),
          data: {
            corridor_id: corridorId,
            quorum: {
              receipt_count: head.receipt_count,
              final_state_root: cp.final_state_root,
              mmr_root: (cp.mmr as JsonObject).root,
              required,
              watchers: head.voters.map((v) => v.watcher),
              attestation_digests: head.voters.map((v) => v.digest),
            },
          },
        });
        recorded = outcome.view.state.watcher_quorum;
      } catch (e) {
        if (!(e instanceof DomainError && e.problem === 'stale-quorum')) throw e;
      }
    }
    return { required, bonded, attesting: active.length, head: recorded ? { receipt_count: recorded.receipt_count, final_state_root: recorded.final_state_root, watchers: recorded.watchers } : null };
  }

  /** Watchers whose ACTIVE bond covers the corridor, as the watcher registry read model counts them. */
  private async bondedWatchers(corridorId: string): Promise<number> {
    try {
      const status = await this.projections.queries.corridor(corridorId);
      return status.data?.watchers.bonded ?? 0;
    } catch {
      return 0;
    }
  }
}

interface AttestationClaim {
  watcher: string;
  receiptCount: number;
  finalStateRoot: string;
  mmrRoot: string;
  genesisRoot: string;
  observedAt: string;
}

/** The attestation's shape, type, corridor and signer; every failure names what is wrong. */
function readAttestation(vc: JsonObject, corridorId: string): AttestationClaim {
  const bad = (detail: string) => problem.unprocessable('invalid-attestation', 'Invalid attestation', detail);
  const types = Array.isArray(vc.type) ? vc.type : [vc.type];
  if (!types.includes(WATCHER_ATTESTATION_CREDENTIAL)) throw bad(`the credential's type must include ${WATCHER_ATTESTATION_CREDENTIAL}`);
  const s = vc.credentialSubject;
  if (!isJsonObject(s)) throw bad('the credential has no credentialSubject object');
  if (s.corridor_id !== corridorId) throw bad(`the attestation is about corridor ${JSON.stringify(s.corridor_id)}, not ${corridorId}`);
  const count = s.receipt_count;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) throw bad('credentialSubject.receipt_count must be a positive integer');
  for (const f of ['final_state_root', 'mmr_root', 'genesis_root'] as const) {
    if (typeof s[f] !== 'string' || !HEX64.test(s[f] as string)) throw bad(`credentialSubject.${f} must be 64 lowercase hex`);
  }
  if (typeof s.observed_at !== 'string') throw bad('credentialSubject.observed_at must be an RFC 3339 time');
  const issuer = typeof vc.issuer === 'string' ? vc.issuer : isJsonObject(vc.issuer) && typeof vc.issuer.id === 'string' ? vc.issuer.id : '';
  const signers = verifyProofs(vc).filter((r) => r.ok).map((r) => baseDid(r.verificationMethod));
  if (signers.length === 0) throw bad('the attestation carries no valid proof');
  if (!signers.includes(baseDid(issuer))) throw bad(`the attestation is not signed by its issuer ${issuer || '(none)'}`);
  return { watcher: baseDid(issuer), receiptCount: count, finalStateRoot: s.final_state_root as string, mmrRoot: s.mmr_root as string, genesisRoot: s.genesis_root as string, observedAt: s.observed_at };
}
