import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { corridor as corridorDomain } from '@corridor/domain';
import {
  addProof,
  baseDid,
  buildForkAlarmCredential,
  canonicalize,
  digestOf,
  isJsonObject,
  proofList,
  utcSeconds,
  verifyProofs,
  withoutKeys,
  type Ed25519KeyPair,
  type JsonObject,
} from '@corridor/protocol';
import {
  buildProposal,
  checkInboundReceipt,
  cosign,
  type InboundReceiptContext,
  verifyCosignature,
  verifyProposal,
  type PeerDelivery,
  type PeerMessage,
  type PeerTransport,
} from '@corridor/peering';
import { InvalidAppendError } from '@corridor/ledger';
import { AggregateStore, type CommandOutcome } from '../aggregates/aggregate-store';
import { Clock } from '../aggregates/clock';
import { ChainReader } from '../chains/chain-reader';
import type { NodeConfig } from '../config/node-config';
import { CorridorAggregate, lifecycleStream, type CorridorView } from '../corridors/corridor-aggregate';
import { NODE_CONFIG, NODE_KEY, PEERING_STORE } from '../infrastructure/tokens';
import { corridorPeering, isRetiredKey, type CorridorPeering } from './corridor-peering';
import { problem } from '../http/problem';
import { PeerCatchUp } from './peer-catch-up';
import { PEER_TRANSPORT } from './peer-transport.provider';
import type { PeeringStore } from './peering.store';
import { PeeringLedger } from './peering-ledger';
import { activeContext, cosignSpan, inContext, noteRefusal, peerReceiveSpan, startPeerSend, verifySpan, type TraceContext } from '../telemetry/peer-telemetry';
import { PeerInbox, type InboxEntry } from './peer-inbox';

const T = corridorDomain.CORRIDOR_EVENT_TYPES;

type ReceiptMessage = Extract<PeerMessage, { kind: 'receipt' }>;
type CosignatureMessage = Extract<PeerMessage, { kind: 'cosignature' }>;
type ProposalMessage = Extract<PeerMessage, { kind: 'proposal' }>;

/** Kinds whose consecutive messages are worked through as one batch (the others one at a time). */
const BATCHED_KINDS: ReadonlySet<PeerMessage['kind']> = new Set(['receipt', 'cosignature', 'proposal']);

/** The roots of a receipt this node holds at an incoming receipt's sequence. */
type StoredRoots = { prev_root: string; next_root: string };
/** What the inbound receipt check needs of the chain's profile. */
type ChainProfileFacts = Pick<InboundReceiptContext, 'receiptType' | 'genesisRoot' | 'lawpackDigestSet' | 'rulesetDigestSet'>;

/** An inbound message waiting in its corridor's inbox, with the trace it arrived in. */
interface Inbound {
  message: PeerMessage;
  delivery: PeerDelivery;
  trace: TraceContext;
}

/** What a non-sequencer node answers when a transition becomes a proposal. */
export interface ProposalAnswer {
  status: 'proposed';
  corridor_id: string;
  proposal_id: string;
  sequencer: string;
}

/**
 * The peering protocol of spec/peering.md on this node: sends what it sequences, co-signs what it receives, turns
 * its clients' transitions into proposals when another node sequences, co-signs checkpoints, catches up over HTTP,
 * and halts a corridor on equivocation. Every inbound message is checked on its own; a refused one is counted by
 * reason, logged, and stores nothing.
 */
@Injectable()
export class PeeringService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Peering');
  /** One inbound/sync task at a time per corridor: the chain is extended in order. */
  private readonly lanes = new Map<string, Promise<unknown>>();
  /** Receipts that arrived ahead of the head, by corridor and sequence, waiting for the gap to be filled. */
  private readonly buffered = new Map<string, Map<number, JsonObject>>();
  private readonly counters = new Map<string, number>();
  private readonly lastCheckpoint = new Map<string, { size: number; at: number }>();
  /** Corridors being synced; true when another sync was asked for meanwhile. */
  private readonly syncing = new Map<string, boolean>();
  /** When each outbox proposal was last sent, by corridor (re-sends are spaced out). */
  private readonly lastSent = new Map<string, Map<string, number>>();
  /** When pushed receipts (co-signer) or co-signatures (sequencer) last came in, by corridor: see syncAll. */
  private readonly lastPushed = new Map<string, number>();
  /** Inbound messages, micro-batched per corridor; each drain runs in the corridor's lane. */
  private readonly inbox = new PeerInbox<Inbound>(
    (corridorId, entries) => this.drainInbox(corridorId, entries),
    (corridorId, work) => void this.inLane(corridorId, work),
  );
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(NODE_KEY) private readonly key: Ed25519KeyPair,
    @Inject(PEERING_STORE) private readonly peeringStore: PeeringStore,
    @Inject(PEER_TRANSPORT) private readonly transport: PeerTransport,
    private readonly store: AggregateStore,
    private readonly corridors: CorridorAggregate,
    private readonly chains: ChainReader,
    private readonly clock: Clock,
    private readonly ledger: PeeringLedger,
    private readonly catchUp: PeerCatchUp,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.store.onAppended((outcome, origin) => this.afterAppend(outcome as CommandOutcome<CorridorView>, origin));
    await this.transport.start((message, delivery) => this.receive(message, delivery));
    void this.syncAll(false);
    this.timer = setInterval(() => void this.syncAll(true), this.config.peerSyncIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.transport.stop();
  }

  /** Counters of accepted and refused messages, by kind and reason (GET /peering/status). */
  status(): JsonObject {
    return {
      node: this.key.did,
      transport: this.transport.name,
      transport_healthy: this.transport.healthy(),
      peers: Object.fromEntries(this.config.peerDirectory),
      corridors: this.peeringStore.corridors().map((c) => c.corridor_id),
      counters: Object.fromEntries([...this.counters].sort()),
    };
  }

  /** The corridor's peering, or null when this node keeps it alone. */
  async peeringOf(corridorId: string): Promise<CorridorPeering | null> {
    return corridorPeering(await this.store.load(this.corridors, corridorId), this.key.did);
  }

  /**
   * Refuses to sign for a corridor whose key this node's key was rotated away from: from the rotation's sequence
   * only the new key signs, so the node must be restarted with it (spec/security.md §Keys).
   */
  async requireCurrentKey(corridorId: string): Promise<void> {
    const view = await this.store.load(this.corridors, corridorId);
    if (isRetiredKey(view, this.key.did)) {
      const r = view.state.key_rotations.find((k) => k.previous_key === this.key.did)!;
      throw problem.conflict('signing-key-retired', 'Signing key retired', `this node's key ${this.key.did} was rotated to ${r.new_key} for corridor ${corridorId} from sequence ${r.effective_from_sequence}: restart the node with the new key (CORRIDOR_NODE_KEY)`);
    }
  }

  /** Finality facts of a shared corridor for its readers (GET /corridors/{id}). */
  finality(p: CorridorPeering): JsonObject {
    const cosigners = p.signers.filter((s) => s !== p.sequencer);
    const signedUpTo = cosigners.length === 0 ? null : Math.min(...cosigners.map((s) => this.peeringStore.cosignedUpToAny(p.stream, p.keysOf(s))));
    const cp = this.peeringStore.latestCheckpoint(p.stream, p.signers.length);
    return {
      sequencer: p.sequencer,
      is_sequencer: p.isSequencer,
      signers: [...p.signers],
      receipt_signed_up_to: signedUpTo,
      checkpoint_signed: cp ? { receipt_count: cp.receipt_count ?? null, mmr_root: isJsonObject(cp.mmr) ? (cp.mmr.root ?? null) : null } : null,
    };
  }

  /**
   * A client's transition on a corridor another node sequences: checked here as the sequencer would check it,
   * then sent as a signed proposal (kept until a receipt carries it, and re-sent until then).
   */
  async propose(p: CorridorPeering, transition: JsonObject): Promise<ProposalAnswer> {
    const at = this.clock.nowUtc();
    const { events } = await this.store.dryRun(this.corridors, p.corridorId, { type: 'RecordCorridorTransition', at, data: { corridor_id: p.corridorId, transition } });
    const envelope = (events[0]!.data as unknown as corridorDomain.TransitionRecordedData).transition;
    // The same transition still waiting for its receipt is the same proposal (a client or process-manager retry).
    const pending = this.peeringStore.pendingProposalOf(p.corridorId, digestOf(envelope));
    if (pending) return { status: 'proposed', corridor_id: p.corridorId, proposal_id: pending, sequencer: p.sequencer };
    const proposal = buildProposal({ corridor_id: p.corridorId, proposed_at: at, transition, nonce: randomUUID() }, this.key, utcSeconds(new Date(Date.parse(at))));
    const id = digestOf(withoutKeys(proposal, 'proof') as JsonObject);
    await this.peeringStore.recordSentProposal(id, p.corridorId, proposal, digestOf(envelope));
    this.count('proposal.sent');
    const sent = this.lastSent.get(p.corridorId) ?? new Map<string, number>();
    this.lastSent.set(p.corridorId, sent.set(id, Date.now()));
    await this.send({ kind: 'proposal', corridor_id: p.corridorId, proposal }, [p.sequencer]);
    return { status: 'proposed', corridor_id: p.corridorId, proposal_id: id, sequencer: p.sequencer };
  }

  /**
   * Entry point of every transport. Resolves once the message's effect is durable (or it was refused). Messages of
   * one corridor are micro-batched (see PeerInbox): whatever arrived together is worked through together.
   */
  receive(message: PeerMessage, delivery: PeerDelivery): Promise<void> {
    return peerReceiveSpan(this.key.did, this.transport, message, delivery, () =>
      this.inbox.put(message.corridor_id, { message, delivery, trace: activeContext() }),
    );
  }

  /**
   * One drain of a corridor's inbox, in arrival order: a run of receipts (on the co-signer) is checked and appended as
   * one batch, a run of co-signatures stored in one transaction, proposals applied together; anything else one by
   * one. The work runs in the trace of the first message (each message still has its own `peer.receive` span).
   */
  private drainInbox(corridorId: string, entries: readonly InboxEntry<Inbound>[]): Promise<void> {
    return inContext(entries[0]!.message.trace, async () => {
      let i = 0;
      while (i < entries.length) {
        const p = await this.peeringOf(corridorId);
        const entry = entries[i]!;
        const { message, delivery } = entry.message;
        if (!p || !p.peers.includes(delivery.source)) {
          if (!p) this.refuse(message.kind, 'unknown-corridor', `corridor ${corridorId} is not shared with this node`);
          else this.refuse(message.kind, 'unknown-peer', `${delivery.source} is not a node of corridor ${p.corridorId}`);
          entry.resolve();
          i++;
          continue;
        }
        // The run of messages of this kind from known peers that starts here (receipts, co-signatures, proposals).
        let j = i + 1;
        if (BATCHED_KINDS.has(message.kind)) while (j < entries.length && entries[j]!.message.message.kind === message.kind && p.peers.includes(entries[j]!.message.delivery.source)) j++;
        const run = entries.slice(i, j);
        i = j;
        try {
          await this.handleRun(p, run.map((e) => e.message.message));
        } catch (e) {
          for (const r of run) r.reject(e);
          continue;
        }
        for (const r of run) r.resolve();
      }
    });
  }

  /** A run of messages of one kind: one piece of work for receipts, co-signatures and proposals, else one by one. */
  private async handleRun(p: CorridorPeering, messages: readonly PeerMessage[]): Promise<void> {
    const first = messages[0]!;
    switch (first.kind) {
      case 'receipt':
        await this.acceptReceiptPage(p, messages.map((m) => (m as ReceiptMessage).receipt));
        if (!p.isSequencer) this.lastPushed.set(p.corridorId, Date.now());
        return;
      case 'cosignature':
        await this.acceptCosignatures(p, messages as CosignatureMessage[]);
        this.lastPushed.set(p.corridorId, Date.now());
        return;
      case 'proposal':
        return this.acceptProposals(p, messages.map((m) => (m as ProposalMessage).proposal));
      case 'checkpoint':
        return this.acceptCheckpoint(p, first.checkpoint);
      case 'fork-alarm':
        return this.acceptForkCredential(p, 'halt', first.credential);
      case 'fork-resolution':
        return this.acceptForkCredential(p, 'resume', first.credential);
    }
  }

  // ---- receipts ----

  private async acceptReceipt(p: CorridorPeering, receipt: JsonObject): Promise<void> {
    if (p.isSequencer) return this.harvestProofs(p, receipt);
    const view = await this.store.load(this.corridors, p.corridorId);
    const profile = this.corridors.profile(p.corridorId, p.stream, view);
    const head = await this.chains.head(p.stream);
    const seq = typeof receipt.sequence === 'number' ? receipt.sequence : -1;
    const stored = head && seq >= 0 && seq <= head.revision ? await this.chains.storedReceipt(p.stream, seq) : undefined;
    if (stored && stored.next_root === receipt.next_root) {
      // A receipt this node holds (a push after a pull, a redelivery): next_root commits to the whole receipt, so
      // there is nothing to verify again; only proofs it carries beyond the held ones are looked at.
      this.count('receipt.duplicate');
      return this.harvestProofs(p, receipt);
    }
    const verdict = this.checkReceipt(p, profile, receipt, head ? { sequence: head.revision, nextRoot: head.nextRoot } : null, new Date(), stored as StoredRoots | undefined);
    switch (verdict.verdict) {
      case 'reject':
        return this.refuse('receipt', verdict.reason, verdict.detail);
      case 'duplicate': // held already: answered above, before any verification
        return;
      case 'gap': {
        this.count('receipt.buffered');
        const buffer = this.buffered.get(p.corridorId) ?? new Map<number, JsonObject>();
        if (buffer.size < 10_000) buffer.set(verdict.sequence, receipt);
        this.buffered.set(p.corridorId, buffer);
        void this.syncCorridor(p.corridorId); // fetch the missing range; the buffer drains behind it
        return;
      }
      case 'fork':
        return this.raiseFork(p, stored!, receipt);
      case 'append':
        return this.appendReceived(p, [receipt]);
    }
  }

  /** The inbound checks of a receipt of the shared chain (spec/peering.md §4), in a `peer.verify` span. */
  private checkReceipt(p: CorridorPeering, profile: ChainProfileFacts, receipt: JsonObject, head: { sequence: number; nextRoot: string } | null, now: Date, stored?: StoredRoots) {
    const seq = typeof receipt.sequence === 'number' ? receipt.sequence : -1;
    return verifySpan(this.key.did, { corridorId: p.corridorId, kind: 'receipt', sequence: seq }, () =>
      checkInboundReceipt(receipt, {
        corridorId: p.corridorId,
        sequencerDid: p.keyAt(p.sequencer, seq),
        receiptType: profile.receiptType,
        genesisRoot: profile.genesisRoot,
        lawpackDigestSet: profile.lawpackDigestSet,
        rulesetDigestSet: profile.rulesetDigestSet,
        head,
        stored,
        now,
        maxSkewSeconds: this.config.peerMaxSkewSeconds,
      }),
    );
  }

  /** Appends receipts that passed the inbound checks, co-signs them, and drains the buffer behind them. */
  private async appendReceived(p: CorridorPeering, receipts: JsonObject[]): Promise<void> {
    const asSequenced = receipts.map((r) => ({ ...(withoutKeys(r, 'proof') as JsonObject), proof: proofList(r)[0] as JsonObject }));
    const importing = this.store.importReceived(this.corridors, p.corridorId, p.stream, asSequenced, (view) => {
      if (view.state.lifecycle !== 'ACTIVE') {
        throw new PeeringRefusal('not-active', `corridor ${p.corridorId} is ${view.state.lifecycle}: no receipt is accepted until it is ACTIVE again`);
      }
    });
    // The co-signatures are computed while the append is under way (with a writer thread, during its fsync, when this
    // thread would otherwise wait); they are stored and sent only once the receipts are durable, and thrown away if
    // the append is refused.
    let proofs: JsonObject[] | undefined;
    try {
      proofs = receipts.map((r) => this.cosignatureOf(r));
    } catch {
      proofs = undefined; // signed again below, where a failure is reported as it happens
    }
    try {
      await importing;
    } catch (e) {
      if (e instanceof PeeringRefusal) return this.refuse('receipt', e.reason, e.message);
      // The ledger's own checks refused it: it will never be accepted, so it is dropped, not redelivered.
      if (e instanceof InvalidAppendError) return this.refuse('receipt', 'refused-by-ledger', e.message);
      throw e;
    }
    this.count('receipt.appended', receipts.length);
    // Other signers' proofs the receipts already carry (a receipt pulled from the sequencer is served co-signed).
    for (const r of receipts) if (proofList(r).length > 1) await this.harvestProofs(p, r);
    // One transaction for the batch's co-signatures and settled proposals: one commit, not two per receipt.
    this.peeringStore.transaction(() => {
      for (const r of receipts) {
        if (isJsonObject(r.transition)) this.peeringStore.settleSentByTransition(p.corridorId, digestOf(r.transition), r.sequence as number);
      }
    });
    await this.cosignHeldBatch(p, receipts, proofs);
    const buffer = this.buffered.get(p.corridorId);
    const last = receipts[receipts.length - 1]!.sequence as number;
    const next = buffer?.get(last + 1);
    if (buffer) for (const s of [...buffer.keys()]) if (s <= last + 1) buffer.delete(s);
    if (next) await this.acceptReceipt(p, next);
  }

  /**
   * This node's co-signature of a receipt it holds, sent to the peers. Dated with the receipt's own time (to the
   * second), so co-signing again — after a crash between the append and the co-signature — gives the same bytes.
   */
  private cosignHeld(p: CorridorPeering, receipt: JsonObject, precomputed?: JsonObject): Promise<void> {
    return cosignSpan({ corridorId: p.corridorId, sequence: receipt.sequence as number }, async () => {
      const proof = precomputed ?? this.cosignatureOf(receipt);
      this.peeringStore.addCosignature(p.stream, receipt.sequence as number, this.key.did, receipt.next_root as string, proof);
      await this.send({ kind: 'cosignature', corridor_id: p.corridorId, sequence: receipt.sequence as number, next_root: receipt.next_root as string, proof }, p.peers);
    });
  }

  /** This node's co-signature of a receipt, dated with the receipt's own time (see cosignHeld). */
  private cosignatureOf(receipt: JsonObject): JsonObject {
    return cosign(receipt, this.key, utcSeconds(new Date(Date.parse(receipt.timestamp as string)))) as unknown as JsonObject;
  }

  /**
   * `cosignHeld` for consecutive receipts just appended, their co-signatures stored in one transaction
   * (`precomputed`: the co-signatures made while the append committed).
   */
  private async cosignHeldBatch(p: CorridorPeering, receipts: readonly JsonObject[], precomputed?: readonly JsonObject[]): Promise<void> {
    if (receipts.length === 1) return this.cosignHeld(p, receipts[0]!, precomputed?.[0]);
    return cosignSpan({ corridorId: p.corridorId, sequence: receipts[0]!.sequence as number }, async () => {
      const proofs = precomputed ?? receipts.map((r) => this.cosignatureOf(r));
      this.peeringStore.transaction(() => {
        receipts.forEach((r, i) => this.peeringStore.addCosignature(p.stream, r.sequence as number, this.key.did, r.next_root as string, proofs[i]!));
      });
      for (const [i, r] of receipts.entries()) {
        await this.send({ kind: 'cosignature', corridor_id: p.corridorId, sequence: r.sequence as number, next_root: r.next_root as string, proof: proofs[i]! }, p.peers);
      }
    });
  }

  /**
   * A page of receipts pulled from the sequencer: the run that continues the head is checked in memory, receipt by
   * receipt, and appended as one batch (one commit); anything else goes through the one-by-one path.
   */
  private async acceptReceiptPage(p: CorridorPeering, page: readonly JsonObject[]): Promise<void> {
    if (p.isSequencer || page.length === 0) {
      for (const r of page) await this.acceptReceipt(p, r);
      return;
    }
    const view = await this.store.load(this.corridors, p.corridorId);
    if (view.state.lifecycle !== 'ACTIVE') {
      for (const r of page) await this.acceptReceipt(p, r);
      return;
    }
    const profile = this.corridors.profile(p.corridorId, p.stream, view);
    const start = await this.chains.head(p.stream);
    let head = start ? { sequence: start.revision, nextRoot: start.nextRoot } : null;
    // Receipts already held (a pull overlapping pushes): acknowledged without verifying again (see acceptReceipt).
    const headSeq = head ? head.sequence : -1;
    const held = await this.heldReceipts(p, page.map((r) => r.sequence as number).filter((s) => typeof s === 'number' && s <= headSeq));
    const isHeld = (r: JsonObject) => typeof r.sequence === 'number' && held.get(r.sequence)?.next_root === r.next_root;
    const known = page.filter(isHeld);
    if (known.length > 0) {
      this.count('receipt.duplicate', known.length);
      for (const r of known) if (proofList(r).length > 1) await this.harvestProofs(p, r);
      page = page.filter((r) => !isHeld(r));
    }
    const run: JsonObject[] = [];
    const now = new Date();
    let i = 0;
    for (; i < page.length; i++) {
      const r = page[i]!;
      const seq = typeof r.sequence === 'number' ? r.sequence : -1;
      const verdict = this.checkReceipt(p, profile, r, head, now);
      if (verdict.verdict !== 'append') break;
      run.push(r);
      head = { sequence: seq, nextRoot: r.next_root as string };
    }
    if (run.length > 0) await this.appendReceived(p, run);
    for (; i < page.length; i++) await this.acceptReceipt(p, page[i]!);
  }

  /** Proofs beyond the sequencer's on a receipt this node holds: kept when they verify and come from a signer. */
  private async harvestProofs(p: CorridorPeering, receipt: JsonObject): Promise<void> {
    const seq = receipt.sequence;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return this.refuse('receipt', 'malformed', 'sequence must be a non-negative integer');
    const held = await this.chains.storedReceipt(p.stream, seq).catch(() => undefined);
    if (!held || held.next_root !== receipt.next_root) return; // not held (yet), or another branch: nothing to merge
    const allowed = new Set(p.signers.filter((s) => s !== p.sequencer).map((s) => p.keyAt(s, seq)));
    for (const proof of proofList(receipt).slice(p.isSequencer ? 0 : 1)) {
      // A signer's co-signature already held needs no second look (a co-signature is one per signer and receipt).
      const vm = isJsonObject(proof) && typeof proof.verificationMethod === 'string' ? baseDid(proof.verificationMethod) : '';
      if (vm && this.peeringStore.hasCosignature(p.stream, seq, vm)) continue;
      const check = verifyCosignature(held, proof, allowed);
      if (check.ok) this.peeringStore.addCosignature(p.stream, seq, check.signer, held.next_root as string, proof as JsonObject);
    }
  }

  /** Peers' co-signatures of receipts this node holds: each verified, the good ones stored in one transaction. */
  private async acceptCosignatures(p: CorridorPeering, messages: readonly CosignatureMessage[]): Promise<void> {
    const held = await this.heldReceipts(p, messages.map((m) => m.sequence));
    const accepted: Array<{ sequence: number; signer: string; nextRoot: string; proof: JsonObject }> = [];
    for (const { sequence, next_root: nextRoot, proof } of messages) {
      const receipt = held.get(sequence);
      if (!receipt) {
        this.refuse('cosignature', 'unknown-receipt', `no receipt ${sequence} is held yet (catch-up will bring the co-signature again)`);
        continue;
      }
      if (receipt.next_root !== nextRoot) {
        this.refuse('cosignature', 'other-branch', `co-signature of ${nextRoot} at ${sequence}, but this chain holds ${String(receipt.next_root)}`);
        continue;
      }
      const check = verifySpan(this.key.did, { corridorId: p.corridorId, kind: 'cosignature', sequence }, () =>
        verifyCosignature(receipt, proof, new Set(p.signers.filter((s) => s !== p.sequencer).map((s) => p.keyAt(s, sequence)))),
      );
      if (!check.ok) {
        this.refuse('cosignature', 'bad-signature', check.detail);
        continue;
      }
      accepted.push({ sequence, signer: check.signer, nextRoot, proof });
    }
    if (accepted.length === 0) return;
    this.peeringStore.transaction(() => {
      for (const a of accepted) this.peeringStore.addCosignature(p.stream, a.sequence, a.signer, a.nextRoot, a.proof);
    });
    this.count('cosignature.accepted', accepted.length);
  }

  /** The held receipts at these sequences (one range read when they are close together, as a batch's are). */
  private async heldReceipts(p: CorridorPeering, sequences: readonly number[]): Promise<Map<number, JsonObject>> {
    const wanted = [...new Set(sequences.filter((s) => Number.isSafeInteger(s) && s >= 0))];
    const held = new Map<number, JsonObject>();
    if (wanted.length === 0) return held;
    const lo = Math.min(...wanted);
    const hi = Math.max(...wanted);
    if (hi - lo < 2 * wanted.length + 64) {
      const receipts = await this.chains.storedReceipts(p.stream, lo, hi - lo + 1).catch(() => [] as JsonObject[]);
      for (const r of receipts) held.set(r.sequence as number, r);
    } else {
      for (const s of wanted) {
        const r = await this.chains.storedReceipt(p.stream, s).catch(() => undefined);
        if (r) held.set(s, r);
      }
    }
    return held;
  }

  // ---- proposals (sequencer side) ----

  /**
   * Proposals from a peer, in arrival order: each checked and recorded as applied, then all submitted to the corridor
   * together — the aggregate store orders them as submitted and commits them as a group, not one fsync each.
   */
  private async acceptProposals(p: CorridorPeering, proposals: readonly JsonObject[]): Promise<void> {
    if (!p.isSequencer) {
      for (const _ of proposals) this.refuse('proposal', 'not-sequencer', `this node does not sequence corridor ${p.corridorId}`);
      return;
    }
    const toApply: Array<{ id: string; transition: JsonObject; proposal: JsonObject }> = [];
    const ids = new Set<string>();
    for (const proposal of proposals) {
      const check = verifyProposal(proposal, p.corridorId, new Set(p.peers));
      if (!check.ok) {
        this.refuse('proposal', 'bad-proposal', check.detail);
        continue;
      }
      const known = this.peeringStore.proposal(check.id);
      const inDoubt = known !== undefined && known.sequence == null;
      if (ids.has(check.id) || known?.sequence != null || (inDoubt && (await this.ledger.findTransition(p.stream, proposal.transition as JsonObject, check.proposal.proposed_at)))) {
        this.count('proposal.duplicate');
        continue;
      }
      ids.add(check.id);
      toApply.push({ id: check.id, transition: check.proposal.transition as JsonObject, proposal });
    }
    if (toApply.length === 0) return;
    this.peeringStore.recordAppliedProposals(p.corridorId, toApply);
    const outcomes = await Promise.allSettled(
      toApply.map(({ transition }) =>
        this.store.execute(this.corridors, p.corridorId, { type: 'RecordCorridorTransition', at: this.clock.nowUtc(), data: { corridor_id: p.corridorId, transition } }),
      ),
    );
    this.peeringStore.transaction(() => {
      outcomes.forEach((o, k) => {
        const { id } = toApply[k]!;
        if (o.status === 'rejected') {
          this.peeringStore.forgetProposal(id);
          return;
        }
        const receipt = o.value.receipts.find((r) => r.stream === p.stream);
        if (receipt) this.peeringStore.settleProposal(id, receipt.receipt.sequence as number);
      });
    });
    outcomes.forEach((o) => {
      if (o.status === 'fulfilled') this.count('proposal.applied');
      else this.refuse('proposal', 'refused-by-corridor', (o.reason as Error).message);
    });
  }

  // ---- checkpoints ----

  /** The sequencer's checkpoint policy: every N receipts, or T ms after the last one when receipts arrived since. */
  private async maybeCheckpoint(p: CorridorPeering, force = false): Promise<void> {
    const head = await this.chains.head(p.stream);
    if (!head) return;
    const last = this.lastCheckpoint.get(p.corridorId) ?? { size: this.ledger.latestCheckpointSize(p.stream), at: 0 };
    const due = head.mmr.size - last.size >= this.config.checkpointEvery || (head.mmr.size > last.size && (force || Date.now() - last.at >= this.config.checkpointIntervalMs));
    if (!due) return;
    const size = head.mmr.size;
    this.lastCheckpoint.set(p.corridorId, { size, at: Date.now() });
    const checkpoint = await this.chains.ownCheckpoint(p.stream, size);
    this.peeringStore.putCheckpoint(p.stream, size, checkpoint, 1);
    this.count('checkpoint.signed');
    await this.send({ kind: 'checkpoint', corridor_id: p.corridorId, checkpoint }, p.peers);
  }

  /** A peer's checkpoint: it must be exactly this node's checkpoint at that size; proofs from signers are merged. */
  private async acceptCheckpoint(p: CorridorPeering, checkpoint: JsonObject): Promise<void> {
    const size = checkpoint.receipt_count;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) return this.refuse('checkpoint', 'malformed', 'receipt_count must be a positive integer');
    const head = await this.chains.head(p.stream);
    if (!head || head.mmr.size < size) return this.refuse('checkpoint', 'ahead', `checkpoint of ${size} receipts, this node holds ${head?.mmr.size ?? 0} (it will be re-sent)`);
    const own = await this.chains.ownCheckpoint(p.stream, size);
    if (canonicalize(withoutKeys(own, 'proof')) !== canonicalize(withoutKeys(checkpoint, 'proof'))) {
      return this.refuse('checkpoint', 'mismatch', `the peer's checkpoint of ${size} receipts is not this node's (different roots): a fork`);
    }
    const before = this.peeringStore.checkpointAt(p.stream, size);
    const proofs = [...proofList(own), ...proofList(checkpoint), ...(before ? proofList(before) : [])] as JsonObject[];
    const merged = this.ledger.mergeCheckpointProofs(own, proofs, new Set(p.signers));
    this.peeringStore.putCheckpoint(p.stream, size, merged.checkpoint, merged.signers);
    this.count('checkpoint.accepted');
    const theirs = new Set(proofList(checkpoint).map((x) => (isJsonObject(x) ? String(x.verificationMethod) : '')));
    if (![...theirs].some((vm) => vm.startsWith(this.key.did))) {
      await this.send({ kind: 'checkpoint', corridor_id: p.corridorId, checkpoint: merged.checkpoint }, p.peers);
    }
  }

  // ---- forks ----

  /** Equivocation: two genuine receipts at one (sequence, prev_root). Alarm, halt here, tell the peers. */
  private async raiseFork(p: CorridorPeering, held: JsonObject, incoming: JsonObject): Promise<void> {
    this.count('fork.detected');
    const now = utcSeconds(new Date());
    const unsigned = buildForkAlarmCredential({
      corridor_id: p.corridorId,
      receipt_a: { bytes: Buffer.from(canonicalize(held)), uri: `${p.stream}/receipts/${String(held.sequence)}` },
      receipt_b: { bytes: Buffer.from(canonicalize(incoming)), uri: `peer:${p.sequencer}/receipts/${String(incoming.sequence)}` },
      issuer: this.key.did,
      issuanceDate: now,
      detected_at: now,
    });
    const alarm = addProof(unsigned, this.key, { created: now });
    this.log.warn(`fork on corridor ${p.corridorId} at sequence ${String(held.sequence)}: ${String(held.next_root)} vs ${String(incoming.next_root)}; halting`);
    await this.lifecycle(p, 'halt', alarm);
    await this.send({ kind: 'fork-alarm', corridor_id: p.corridorId, credential: alarm }, p.peers);
  }

  private async acceptForkCredential(p: CorridorPeering, move: 'halt' | 'resume', credential: JsonObject): Promise<void> {
    const signers = verifyProofs(credential).filter((r) => r.ok).map((r) => r.verificationMethod.split('#')[0]!);
    if (!signers.some((s) => p.signers.includes(s))) {
      return this.refuse(move === 'halt' ? 'fork-alarm' : 'fork-resolution', 'unknown-signer', 'the credential carries no valid proof by a node of the corridor');
    }
    const view = await this.store.load(this.corridors, p.corridorId);
    if (move === 'halt' && view.state.lifecycle !== 'ACTIVE') return this.count('fork-alarm.already-halted');
    if (move === 'resume' && view.state.lifecycle !== 'HALTED') return this.count('fork-resolution.not-halted');
    await this.lifecycle(p, move, credential);
  }

  private async lifecycle(p: CorridorPeering, move: 'halt' | 'resume', credential: JsonObject): Promise<void> {
    try {
      await this.store.execute(this.corridors, p.corridorId, {
        type: move === 'halt' ? 'HaltCorridor' : 'ResumeCorridorFromHalt',
        at: this.clock.nowUtc(),
        data: { corridor_id: p.corridorId, evidence: [credential] },
      });
      this.count(move === 'halt' ? 'corridor.halted' : 'corridor.resumed');
    } catch (e) {
      this.refuse(move === 'halt' ? 'fork-alarm' : 'fork-resolution', 'refused-by-corridor', (e as Error).message);
    }
  }

  // ---- after every append on this node ----

  private afterAppend(outcome: CommandOutcome<CorridorView>, origin: 'local' | 'peer'): void {
    if (outcome.aggregate !== this.corridors.name || this.stopping) return;
    const p = corridorPeering(outcome.view, this.key.did);
    if (!p) return;
    this.peeringStore.registerCorridor(p.corridorId);
    if (origin !== 'local') return;
    for (const { stream, receipt } of outcome.receipts) {
      if (stream === p.stream && p.isSequencer) {
        void this.send({ kind: 'receipt', corridor_id: p.corridorId, receipt }, p.peers).then(() => this.maybeCheckpoint(p));
      } else if (stream === lifecycleStream(p.corridorId)) {
        // A halt or a resume decided here (by an operator, or by this node on equivocation) is told to the peers.
        const kind = isJsonObject(receipt.transition) ? receipt.transition.kind : undefined;
        const credential = this.ledger.evidenceOf(receipt);
        if (kind === T.halted && credential) void this.send({ kind: 'fork-alarm', corridor_id: p.corridorId, credential }, p.peers);
        if (kind === T.resumedFromHalt && credential) void this.send({ kind: 'fork-resolution', corridor_id: p.corridorId, credential }, p.peers);
      }
    }
  }

  // ---- catch-up ----

  /**
   * The periodic (and startup) sync of every shared corridor. On the timer, a corridor whose peer messages are
   * flowing — pushed receipts appended (co-signer) or co-signatures accepted (sequencer) within the last period, and
   * no gap waiting — skips the pull: pages pulled then would only repeat what the pushes bring. A gap, a restart or
   * a silent peer still pulls.
   */
  private async syncAll(timer = false): Promise<void> {
    if (this.stopping) return;
    for (const { corridor_id } of this.peeringStore.corridors()) {
      const flowing = timer && Date.now() - (this.lastPushed.get(corridor_id) ?? 0) < this.config.peerSyncIntervalMs && !this.buffered.get(corridor_id)?.size;
      await this.syncCorridor(corridor_id, !flowing).catch((e) => this.log.warn(`sync of ${corridor_id}: ${(e as Error).message}`));
    }
  }

  /**
   * Pulls what this node lacks: a non-sequencer fetches the receipts after its head from the sequencer and re-sends
   * its unanswered proposals; the sequencer fetches its peers' co-signatures and re-sends a checkpoint not yet
   * co-signed. Runs at startup, on a timer and after a gap, so a node that was away converges by itself.
   */
  async syncCorridor(corridorId: string, pull = true): Promise<void> {
    // One sync per corridor at a time; a request during one runs once more after it (a gap seen meanwhile).
    if (this.syncing.has(corridorId)) {
      this.syncing.set(corridorId, true);
      return;
    }
    this.syncing.set(corridorId, false);
    try {
      let again = false;
      do {
        this.syncing.set(corridorId, false);
        await this.syncOnce(corridorId, pull || again);
        again = this.syncing.get(corridorId) === true;
      } while (again && !this.stopping);
    } finally {
      this.syncing.delete(corridorId);
    }
  }

  private async syncOnce(corridorId: string, pull: boolean): Promise<void> {
    const p = await this.peeringOf(corridorId);
    if (!p || this.stopping) return;
    if (!p.isSequencer) {
      const url = this.config.peerDirectory.get(p.sequencer);
      if (url && pull) {
        for (let guard = 0; guard < 100; guard++) {
          const head = await this.chains.head(p.stream);
          const after = head ? head.revision : -1;
          const page = await this.catchUp.receipts(url, corridorId, after, 500);
          if (page.length === 0) break;
          await this.inLane(corridorId, async () => {
            await this.acceptReceiptPage(p, page);
          });
          const now = await this.chains.head(p.stream);
          if ((now ? now.revision : -1) === after) break; // nothing appended (refused, halted or a fork): stop here
        }
      }
      // Receipts held but not co-signed (the node stopped between the two): co-sign them now.
      const head = await this.chains.head(p.stream);
      const signed = this.peeringStore.cosignedUpToAny(p.stream, p.keysOf(this.key.did));
      if (head && signed < head.revision) {
        const missing = await this.chains.storedReceipts(p.stream, signed + 1, Math.min(500, head.revision - signed));
        await this.inLane(corridorId, async () => {
          for (const r of missing) if (!this.peeringStore.hasCosignature(p.stream, r.sequence as number, this.key.did)) await this.cosignHeld(p, r);
        });
      }
      // Unanswered proposals go again, each at most every few sync periods (the sequencer applies each once).
      const resendAfter = Math.max(5_000, 5 * this.config.peerSyncIntervalMs);
      const sentBefore = this.lastSent.get(corridorId) ?? new Map<string, number>();
      const stillPending = new Map<string, number>();
      for (const proposal of this.peeringStore.pendingProposals(corridorId, 200)) {
        const id = digestOf(withoutKeys(proposal, 'proof') as JsonObject);
        const last = sentBefore.get(id) ?? 0;
        stillPending.set(id, last);
        if (Date.now() - last < resendAfter) continue;
        if (last !== 0) this.count('proposal.resent');
        stillPending.set(id, Date.now());
        await this.send({ kind: 'proposal', corridor_id: corridorId, proposal }, [p.sequencer]);
      }
      this.lastSent.set(corridorId, stillPending); // settled proposals drop out
      return;
    }
    const head = await this.chains.head(p.stream);
    if (!head) return;
    for (const peer of pull ? p.peers : []) {
      const url = this.config.peerDirectory.get(peer);
      if (!url) continue;
      let after = this.peeringStore.cosignedUpToAny(p.stream, p.keysOf(peer));
      while (after < head.revision) {
        const page = await this.catchUp.receipts(url, corridorId, after, 500);
        if (page.length === 0) break;
        await this.inLane(corridorId, async () => {
          for (const r of page) await this.harvestProofs(p, r);
        });
        const next = this.peeringStore.cosignedUpToAny(p.stream, p.keysOf(peer));
        if (next === after) break;
        after = next;
      }
    }
    await this.inLane(corridorId, () => this.maybeCheckpoint(p, false));
    const latest = this.peeringStore.latestCheckpoint(p.stream);
    if (latest && proofList(latest).length < p.signers.length) {
      await this.send({ kind: 'checkpoint', corridor_id: corridorId, checkpoint: latest }, p.peers);
    }
  }

  // ---- plumbing ----

  private inLane<T>(corridorId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.lanes.get(corridorId) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.lanes.set(corridorId, tail);
    void tail.then(() => this.lanes.get(corridorId) === tail && this.lanes.delete(corridorId));
    return run;
  }

  /**
   * Hands a message to the transport without waiting for delivery: a transport that is down (Kafka waiting out an
   * outage) must not hold up appends or catch-up. Nothing is lost if it never arrives: receipts and co-signatures
   * are pulled by catch-up, proposals stay in the outbox, checkpoints are re-sent until co-signed.
   */
  private async send(message: PeerMessage, to: readonly string[]): Promise<void> {
    if (to.length === 0) return;
    const traced = startPeerSend(this.key.did, this.transport, message, to); // a `peer.send` span; its traceparent travels
    this.transport.publish(message, { to, traceparent: traced.traceparent }).then(
      () => {
        traced.done();
        this.count(`sent.${message.kind}`);
      },
      (e: unknown) => {
        traced.done(e);
        this.count(`send-failed.${message.kind}`);
        this.log.warn(`sending ${message.kind} of ${message.corridor_id}: ${(e as Error).message}`);
      },
    );
  }

  private count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  private refuse(kind: string, reason: string, detail: string): void {
    this.count(`rejected.${kind}.${reason}`);
    noteRefusal(kind, reason);
    this.log.warn(JSON.stringify({ event: 'peer-message-rejected', kind, reason, detail }));
  }
}

/** A received receipt the corridor cannot take in its current state. */
class PeeringRefusal extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
