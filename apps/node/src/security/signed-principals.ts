import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Ed25519KeyPair } from '@corridor/protocol';
import { AggregateStore } from '../aggregates/aggregate-store';
import type { NodeConfig } from '../config/node-config';
import { CorridorAggregate, type CorridorView } from '../corridors/corridor-aggregate';
import { NODE_CONFIG, NODE_KEY, PEERING_STORE } from '../infrastructure/tokens';
import { corridorPeering } from '../peering/corridor-peering';
import type { PeeringStore } from '../peering/peering.store';
import { ProjectionRuntime } from '../projections/projection-runtime';
import type { Role } from './roles';

/** Bond statuses in which a watcher holds a bond on this node (slashed to zero, banned or withdrawn: no longer). */
const BONDED = new Set(['ACTIVE', 'UNBONDING']);
const WATCHER_BOND = 'watcher-bond';

/**
 * Which did:keys may sign requests to this node, and as what — kept in memory so that a signed request costs a Map
 * lookup and one signature verification:
 *
 * - **peer**: a did in CORRIDOR_PEERS, or a receipt signer of a corridor this node shares (spec/peering.md §1);
 * - **watcher**: a did holding a watcher bond on this node (`watcher_bond-<did>` ACTIVE or UNBONDING).
 *
 * Filled at start (shared corridors from the peering store, bonds from the watcher registry projection) and kept
 * current from every append the node makes or receives.
 */
@Injectable()
export class SignedPrincipals implements OnApplicationBootstrap {
  private readonly logger = new Logger('Security');
  private readonly configuredPeers: ReadonlySet<string>;
  private readonly corridorSigners = new Map<string, ReadonlySet<string>>();
  /** What each corridor's signers were computed from: skipped while unchanged (most appends are transitions). */
  private readonly corridorBasis = new Map<string, { agreements: unknown; rotations: unknown }>();
  private corridorPeers = new Set<string>();
  private readonly watchers = new Set<string>();
  /** Watchers whose bond changed since start: the registry read at start must not override what appends said. */
  private readonly touched = new Set<string>();

  constructor(
    @Inject(NODE_CONFIG) config: NodeConfig,
    @Inject(NODE_KEY) private readonly key: Ed25519KeyPair,
    @Inject(PEERING_STORE) private readonly peeringStore: PeeringStore,
    private readonly store: AggregateStore,
    private readonly corridors: CorridorAggregate,
    private readonly projections: ProjectionRuntime,
  ) {
    this.configuredPeers = new Set([...config.peerDirectory.keys()].filter((d) => d !== key.did));
    store.onAppended((outcome) => {
      if (outcome.aggregate === this.corridors.name) this.corridorChanged(outcome.id, outcome.view as CorridorView);
      else if (outcome.aggregate === WATCHER_BOND) {
        const state = outcome.view.state as { watcher_id?: string | null; status?: string };
        const did = state.watcher_id ?? outcome.id;
        this.touched.add(did);
        if (BONDED.has(state.status ?? '')) this.watchers.add(did);
        else this.watchers.delete(did);
      }
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const { corridor_id } of this.peeringStore.corridors()) {
      try {
        this.corridorChanged(corridor_id, await this.store.load(this.corridors, corridor_id));
      } catch (e) {
        this.logger.warn(`peers of corridor ${corridor_id} unknown: ${(e as Error).message}`);
      }
    }
    try {
      for (const status of BONDED) {
        let after: string | undefined;
        do {
          const page = (await this.projections.queries.watchers({ status }, { after, limit: 1000 })).data;
          for (const w of page.items) if (!this.touched.has(w.watcher_id)) this.watchers.add(w.watcher_id);
          after = page.next ?? undefined;
        } while (after !== undefined);
      }
    } catch (e) {
      this.logger.error(`bonded watchers could not be read from the watcher registry (${(e as Error).message}); watchers are recognised from their next bond change`);
    }
    this.logger.log(`signed requests: ${this.configuredPeers.size + this.corridorPeers.size} peer(s), ${this.watchers.size} bonded watcher(s)`);
  }

  /** The roles a did may act in (empty: not a principal of this node). */
  rolesOf(did: string): Role[] {
    const roles: Role[] = [];
    if (this.configuredPeers.has(did) || this.corridorPeers.has(did)) roles.push('peer');
    if (this.watchers.has(did)) roles.push('watcher');
    return roles;
  }

  private corridorChanged(corridorId: string, view: CorridorView): void {
    const basis = { agreements: view.agreementVcs, rotations: (view.state as { key_rotations?: unknown }).key_rotations };
    const seen = this.corridorBasis.get(corridorId);
    if (seen && seen.agreements === basis.agreements && seen.rotations === basis.rotations) return;
    this.corridorBasis.set(corridorId, basis);
    const p = corridorPeering(view, this.key.did);
    const before = this.corridorSigners.get(corridorId);
    const now = p ? new Set(p.peers) : undefined;
    if (!now && !before) return;
    if (now && before && now.size === before.size && [...now].every((d) => before.has(d))) return;
    if (now) this.corridorSigners.set(corridorId, now);
    else this.corridorSigners.delete(corridorId);
    const all = new Set<string>();
    for (const signers of this.corridorSigners.values()) for (const d of signers) all.add(d);
    this.corridorPeers = all;
  }
}
