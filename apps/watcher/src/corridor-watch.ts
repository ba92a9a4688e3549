import {
  addProof,
  baseDid,
  buildForkAlarmCredential,
  buildWatcherAttestationCredential,
  canonicalize,
  isJsonObject,
  parseJsonText,
  sha256Hex,
  utcSeconds,
  type Ed25519KeyPair,
  type JsonObject,
} from '@corridor/protocol';
import { Backoff } from './backoff';
import type { WatcherConfig } from './config';
import type { WatcherLogger } from './log';
import { describeAnswer, type NodeAnswer } from './net/node-client';
import type { StoredAlarm, StoredAttestation, StoredDelivery, WatcherStore } from './store';
import type { NodeHandle, Subscription } from './subscription';
import { verifyAttestedConsistency, type CheckpointOutcome } from './verify/checkpoint-verifier';
import type { SignerPolicy } from './verify/proofs';
import { KEY_ROTATED_EVENT, SignerSchedule, verifyKeyRotation, type KeyRotation } from './verify/signers';
import { verifyStandaloneReceipt, type CorridorFacts } from './verify/receipt-verifier';

const baseDidOf = (v: unknown): string => (typeof v === 'string' ? baseDid(v) : '');

/** What every corridor shares: configuration, durable store, key, nodes, logger and the batching of writes. */
export interface WatcherContext {
  config: WatcherConfig;
  store: WatcherStore;
  key: Ed25519KeyPair;
  did: string;
  nodes: Map<string, NodeHandle>;
  log: WatcherLogger;
  /** A receipt or cursor was staged: writes the batch when it is full, else soon. */
  staged(): void;
  /** Writes the staged batch now. */
  flush(): void;
}

/** Why the watcher raised an alarm. */
export type AlarmReason = 'nodes-disagree' | 'node-rewrote-receipt' | 'node-rewrote-history';

/** A fork alarm as the health report shows it. */
export interface AlarmSummary {
  id: string;
  sequence: number;
  prev_root: string;
  next_roots: [string, string];
  reason: string;
  raised_at: string;
  deliveries: { node: string; status: string; detail: string | null }[];
}

/**
 * One corridor across every configured node: the facts and signer set pinned on first sight, the receipts first
 * verified at each sequence (the reference every node's copy is compared with), the attestations made and their
 * delivery, and the fork alarms.
 */
export class CorridorWatch {
  readonly facts: CorridorFacts;
  /** The pinned signers (original keys and the key rotations verified since). */
  signers: SignerSchedule | null = null;
  readonly subscriptions: Subscription[] = [];
  /** Highest sequence stored or staged. */
  maxSequence: number;
  private lastAttested: StoredAttestation | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly deliveryTimers = new Map<string, NodeJS.Timeout>();
  private readonly deliveryBackoff = new Map<string, Backoff>();
  private readonly delivering = new Set<string>();
  private readonly investigating = new Set<string>();
  private readonly alarmTimers = new Map<string, NodeJS.Timeout>();
  private readonly alarmBackoff = new Map<string, Backoff>();
  /** What each node answered (its quorum) when it accepted the latest attestation. */
  readonly accepted = new Map<string, { size: number; quorum: unknown }>();
  private closed = false;
  private alarmCount: number;
  /** Work in flight (deliveries, halts, investigations, polls): awaited by `close`. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    readonly id: string,
    readonly ctx: WatcherContext,
  ) {
    const row = ctx.store.corridor(id);
    this.facts = {
      corridorId: id,
      genesisRoot: row?.genesis_root ?? null,
      lawpackDigestSet: row?.lawpack_digest_set ?? null,
      rulesetDigestSet: row?.ruleset_digest_set ?? null,
    };
    if (row?.sequencer && row.signers) {
      this.signers = new SignerSchedule(row.sequencer, JSON.parse(row.signers) as string[], row.peered === 1, row.rotations ? (JSON.parse(row.rotations) as KeyRotation[]) : []);
    }
    this.maxSequence = ctx.store.maxStoredSequence(id);
    this.lastAttested = ctx.store.lastAttestation(id);
    this.alarmCount = ctx.store.alarms(id).length;
  }

  get alarmed(): boolean {
    return this.alarmCount > 0;
  }

  attestedSize(): number {
    return this.lastAttested?.size ?? 0;
  }

  lastAttestation(): StoredAttestation | undefined {
    return this.lastAttested;
  }

  /** Resumes what a previous run left undelivered. */
  resume(): void {
    for (const d of this.ctx.store.deliveries(this.id)) if (d.status === 'pending') this.scheduleDelivery(d.node, 0);
    for (const a of this.ctx.store.alarms(this.id)) {
      for (const d of this.ctx.store.alarmDeliveries(a.id)) if (d.status === 'pending') this.scheduleHalt(a.id, d.node, 0);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs async work the corridor must wait for before its store closes. */
  track<T>(work: () => Promise<T>): void {
    if (this.closed) return;
    const p: Promise<unknown> = work().catch((e) => this.log('task-error', { error: (e as Error).message }));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.deliveryTimers.values()) clearTimeout(t);
    for (const t of this.alarmTimers.values()) clearTimeout(t);
    await this.queue.catch(() => {});
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private log(event: string, fields: Record<string, unknown> = {}): void {
    this.ctx.log({ event, corridor: this.id, ...fields });
  }

  // ---- facts and signers ----

  /**
   * Pins the signer set on first sight; afterwards a node must report the pinned set as the verified key rotations
   * leave it. A set that differs is explained by rotations the watcher reads from that node's lifecycle chain and
   * verifies (each credential signed by the new key and by the previous key or another signer). Returns why the
   * node's set is refused, or null.
   */
  async pinSigners(reported: SignerPolicy, sub: Subscription): Promise<string | null> {
    if (this.signers !== null && this.signers.sameAs(reported)) return null;
    const pinned = this.signers;
    if (pinned !== null && !pinned.peered && !reported.peered) return this.mismatch(reported);
    let events: unknown[];
    try {
      events = reported.peered ? await this.rotationEvents(sub) : [];
    } catch (e) {
      return `key-rotations: cannot read the node's key rotations: ${(e as Error).message}`;
    }
    if (this.signers !== pinned) return this.signers!.sameAs(reported) ? null : this.mismatch(reported); // pinned meanwhile
    const claimed = events.map((e) => (isJsonObject(e) && isJsonObject(e.rotation) ? e.rotation : {}));
    const known = pinned?.rotations ?? [];
    for (let i = 0; i < known.length; i++) {
      const c = claimed[i] as JsonObject | undefined;
      if (!c || baseDidOf(c.previous_key) !== known[i]!.previous_key || baseDidOf(c.new_key) !== known[i]!.new_key || c.effective_from_sequence !== known[i]!.effective_from_sequence) {
        return `key-rotations: the node's rotations do not include rotation ${i} the watcher verified (${known[i]!.previous_key} → ${known[i]!.new_key})`;
      }
    }
    // Start from the pinned keys, or (first sight) from the reported keys with every claimed rotation undone.
    let schedule = pinned ?? SignerSchedule.fromCurrent(reported, claimed.map((c) => ({ previous_key: baseDidOf(c.previous_key), new_key: baseDidOf(c.new_key), effective_from_sequence: c.effective_from_sequence as number })));
    if (pinned === null) schedule = new SignerSchedule(schedule.sequencer, schedule.signers, schedule.peered);
    const added: KeyRotation[] = [];
    for (let i = known.length; i < events.length; i++) {
      const v = verifyKeyRotation(events[i], this.id, schedule.current());
      if (!v.ok) return `key-rotation-unverified: ${v.detail}`;
      schedule = schedule.with([v.rotation]);
      added.push(v.rotation);
    }
    if (!schedule.sameAs(reported)) return this.mismatch(reported, schedule);
    this.signers = schedule;
    for (const s of this.subscriptions) if (s.verifier) s.verifier.signers = schedule;
    this.persistFacts();
    const current = schedule.current();
    this.log(pinned === null ? 'signers-pinned' : 'signers-rotated', { node: sub.node.url, sequencer: current.sequencer, signers: [...current.signers].sort(), peered: current.peered, rotations: added });
    return null;
  }

  private mismatch(reported: SignerPolicy, schedule = this.signers): string {
    const a = schedule!.current();
    return `signer-set-mismatch: the node reports sequencer ${reported.sequencer} and signers [${[...reported.signers].sort().join(', ')}]; the watcher verified ${a.sequencer} and [${[...a.signers].sort().join(', ')}]`;
  }

  /** The node's `corridor.signer-key-rotated.v1` events, in order, from its lifecycle chain (none when it has none). */
  private async rotationEvents(sub: Subscription): Promise<unknown[]> {
    const out: unknown[] = [];
    let after = -1;
    for (;;) {
      const a = await sub.node.client.get(`/corridors/${encodeURIComponent(this.id)}/lifecycle/receipts?after=${after}&limit=1000`);
      if (a.status === 404 && after === -1) return out;
      if (a.status !== 200 || !isJsonObject(a.json) || !Array.isArray(a.json.receipts)) throw new Error(`GET lifecycle receipts: ${describeAnswer(a)}`);
      const page = a.json.receipts;
      for (const r of page) {
        if (!isJsonObject(r) || !isJsonObject(r.transition)) continue;
        if (r.transition.kind === KEY_ROTATED_EVENT) out.push(r.transition.payload);
        if (typeof r.sequence === 'number') after = Math.max(after, r.sequence);
      }
      if (page.length < 1000) return out;
    }
  }

  persistFacts(): void {
    const p = this.signers;
    this.ctx.store.putCorridor({
      corridor_id: this.id,
      genesis_root: this.facts.genesisRoot,
      lawpack_digest_set: this.facts.lawpackDigestSet,
      ruleset_digest_set: this.facts.rulesetDigestSet,
      sequencer: p ? p.sequencer : null,
      signers: p ? JSON.stringify([...p.signers].sort()) : null,
      peered: p ? (p.peered ? 1 : 0) : null,
      rotations: p ? JSON.stringify(p.rotations) : null,
    });
  }

  // ---- attestations ----

  /** A checkpoint verified against a node's chain: attested when it is higher than the last attested one. */
  offerCheckpoint(sub: Subscription, ck: JsonObject, outcome: Extract<CheckpointOutcome, { ok: true }>): void {
    if (this.closed) return;
    this.queue = this.queue.then(() => this.attest(sub, ck, outcome)).catch((e) => this.log('attest-error', { error: (e as Error).message }));
  }

  private async attest(sub: Subscription, ck: JsonObject, v: Extract<CheckpointOutcome, { ok: true }>): Promise<void> {
    if (this.closed || this.alarmed) return;
    const last = this.lastAttested;
    if (last && v.size <= last.size) {
      const same = this.ctx.store.attestationAt(this.id, v.size);
      if (same && (same.final_state_root !== v.finalStateRoot || same.mmr_root !== v.mmrRoot)) {
        // Cannot happen for a chain verified from genesis; never attest a second head at one height.
        this.log('attest-refused', { size: v.size, detail: 'a different head was attested at this height before' });
      }
      return;
    }
    if (last) {
      // Append-only since the last attested checkpoint, shown by the node: else it rewrote history.
      let a: NodeAnswer;
      try {
        a = await sub.node.client.get(`/corridors/${encodeURIComponent(this.id)}/consistency?from=${last.size}&to=${v.size}`);
        if (this.closed) return;
      } catch (e) {
        sub.problem = `consistency ${last.size}→${v.size}: ${(e as Error).message}`;
        return;
      }
      const c = a.status === 200 ? verifyAttestedConsistency(a.json, { size: last.size, mmrRoot: last.mmr_root }, { size: v.size, mmrRoot: v.mmrRoot }) : { ok: false as const, check: 'consistency-failed' as const, detail: describeAnswer(a) };
      if (!c.ok) {
        sub.problem = `${c.check}: ${c.detail}`;
        this.log('consistency-failed', { node: sub.node.url, from: last.size, to: v.size, detail: c.detail });
        if (a.status === 200) await this.investigate(sub, v.size - 1, `${c.check}: ${c.detail}`);
        return;
      }
    }
    // Never attest beyond what is durable: the receipts and cursor up to this height are written first.
    this.ctx.flush();
    const now = utcSeconds(new Date());
    const unsigned = buildWatcherAttestationCredential({
      corridor_id: this.id,
      checkpoint: ck,
      checkpoint_uri: `corridors/${this.id}/checkpoints/${v.size}`,
      issuer: this.ctx.did,
      observed_at: now,
      issuanceDate: now,
      no_fork_observed: true,
    });
    const attestation = addProof(unsigned, this.ctx.key, { created: now });
    const subject = attestation.credentialSubject as JsonObject;
    const row: StoredAttestation = {
      corridor_id: this.id,
      size: v.size,
      mmr_root: v.mmrRoot,
      final_state_root: v.finalStateRoot,
      head_digest: subject.head_commitment_digest_sha256 as string,
      checkpoint_digest: v.digest,
      checkpoint: canonicalize(ck),
      attestation: canonicalize(attestation),
      created_at: now,
    };
    const nodes = this.ctx.config.nodes;
    this.ctx.store.putAttestation(row, nodes);
    this.lastAttested = row;
    this.log('attested', { size: v.size, mmr_root: v.mmrRoot, checkpoint_digest: v.digest, from_node: sub.node.url });
    for (const node of nodes) {
      this.deliveryBackoff.get(node)?.reset();
      this.scheduleDelivery(node, 0);
    }
  }

  /** Signs the attested checkpoint again with a fresh observed_at (same head, so never an equivocation). */
  private refresh(att: StoredAttestation): void {
    const latest = this.ctx.store.attestationAt(this.id, att.size);
    if (!latest || Date.parse(latest.created_at) > Date.now() - 60_000) return; // refreshed a moment ago
    const now = utcSeconds(new Date());
    const ck = parseJsonText(att.checkpoint) as JsonObject;
    const attestation = addProof(
      buildWatcherAttestationCredential({ corridor_id: this.id, checkpoint: ck, checkpoint_uri: `corridors/${this.id}/checkpoints/${att.size}`, issuer: this.ctx.did, observed_at: now, issuanceDate: now, no_fork_observed: !this.alarmed }),
      this.ctx.key,
      { created: now },
    );
    this.ctx.store.refreshAttestation(this.id, att.size, canonicalize(attestation), now);
    if (this.lastAttested?.size === att.size) this.lastAttested = this.ctx.store.attestationAt(this.id, att.size);
    this.log('attestation-refreshed', { size: att.size });
  }

  /** Re-sends a pending attestation to a node now (its subscription saw progress). */
  retryDeliveries(node: string): void {
    if (this.closed) return;
    const d = this.ctx.store.deliveries(this.id).find((x) => x.node === node);
    if (d && d.status === 'pending' && !this.delivering.has(node)) this.scheduleDelivery(node, 0);
  }

  private scheduleDelivery(node: string, delay: number): void {
    if (this.closed) return;
    const t = this.deliveryTimers.get(node);
    if (t) clearTimeout(t);
    const timer = setTimeout(() => {
      this.deliveryTimers.delete(node);
      this.track(() => this.deliver(node));
    }, delay);
    timer.unref();
    this.deliveryTimers.set(node, timer);
  }

  private async deliver(node: string): Promise<void> {
    if (this.closed || this.delivering.has(node)) return;
    const d = this.ctx.store.deliveries(this.id).find((x) => x.node === node);
    if (!d || d.status !== 'pending') return;
    const att = this.ctx.store.attestationAt(this.id, d.size);
    const handle = this.ctx.nodes.get(node);
    if (!att || !handle) return;
    const sub = this.subscriptions.find((s) => s.node.url === node);
    let backoff = this.deliveryBackoff.get(node);
    if (!backoff) this.deliveryBackoff.set(node, (backoff = new Backoff(Math.max(this.ctx.config.minBackoffMs, 200), this.ctx.config.maxBackoffMs)));
    if (sub?.state === 'not-served') {
      this.scheduleDelivery(node, Math.max(backoff.next(), this.ctx.config.pollIntervalMs));
      return;
    }
    this.delivering.add(node);
    const update = (status: StoredDelivery['status'], detail: string | null, answer: string | null) => {
      this.ctx.store.putDelivery({ ...d, status, detail, answer, attempts: d.attempts + 1, updated_at: utcSeconds(new Date()) });
    };
    try {
      // The store stays open until this tracked delivery settles: record the answer even while closing.
      const a = await handle.client.post(`/corridors/${encodeURIComponent(this.id)}/attestations`, `{"attestation":${att.attestation}}`);
      const current = this.ctx.store.deliveries(this.id).find((x) => x.node === node);
      if (current && current.size !== d.size) return; // superseded by a newer attestation meanwhile
      if (a.status === 201 || a.status === 200) {
        update('accepted', null, a.text.slice(0, 4000));
        backoff.reset();
        const body = isJsonObject(a.json) ? a.json : {};
        this.accepted.set(node, { size: d.size, quorum: body.quorum ?? null });
        this.log('attestation-accepted', { node, size: d.size, quorum: body.quorum ?? null });
        return;
      }
      if (a.status === 422 && a.problem === 'stale-attestation') {
        // Waited too long for the node (behind, or no bond): the same head, observed again now.
        this.refresh(att);
        update('pending', describeAnswer(a), null);
        this.scheduleDelivery(node, backoff.next());
        return;
      }
      const permanent = a.status === 409 ? a.problem !== 'head-mismatch' : a.status >= 400 && a.status < 500 && a.status !== 403 && a.status !== 404 && a.status !== 429;
      if (permanent) {
        update('refused', describeAnswer(a), a.text.slice(0, 4000));
        this.log('attestation-refused', { node, size: d.size, answer: describeAnswer(a) });
        return;
      }
      // head-mismatch (the node is behind), no bond yet (403), not served yet, overloaded: later.
      update('pending', describeAnswer(a), null);
      this.scheduleDelivery(node, backoff.next());
    } catch (e) {
      update('pending', (e as Error).message, null);
      this.scheduleDelivery(node, backoff.next());
    } finally {
      this.delivering.delete(node);
      const current = this.closed ? undefined : this.ctx.store.deliveries(this.id).find((x) => x.node === node);
      if (current && current.status === 'pending' && current.size !== d.size) this.scheduleDelivery(node, 0);
    }
  }
  // ---- forks ----

  /**
   * A node's chain is not the one the watcher verified (a prev_root that does not continue it, a checkpoint or a
   * consistency proof that contradicts it, a head behind it): find the first receipt at or below `hi` where the
   * node's copy differs from the one verified, by bisection (receipts are hash-linked, so the copies agree up to a
   * point and differ after it). Two genuine receipts at one (sequence, prev_root) are a fork: alarm.
   */
  async investigate(sub: Subscription, hi: number, why: string): Promise<void> {
    const key = sub.node.url;
    if (this.investigating.has(key) || this.closed) return;
    this.investigating.add(key);
    try {
      this.ctx.flush();
      hi = Math.min(hi, this.ctx.store.maxStoredSequence(this.id));
      if (hi < 0) return;
      const fetch = async (seq: number): Promise<{ text: string; nextRoot: string } | null> => {
        const a = await sub.node.client.get(`/corridors/${encodeURIComponent(this.id)}/receipts/${seq}`);
        if (a.status === 404) return null;
        if (a.status !== 200 || !isJsonObject(a.json) || typeof a.json.next_root !== 'string') throw new Error(`GET receipt ${seq}: ${describeAnswer(a)}`);
        return { text: a.text, nextRoot: a.json.next_root };
      };
      const differs = async (seq: number): Promise<boolean> => {
        const got = await fetch(seq);
        if (this.closed) throw new Error('the watcher is closing');
        return got === null || got.nextRoot !== this.ctx.store.receiptRoots(this.id, seq)!.next_root;
      };
      if (!(await differs(hi))) {
        sub.problem = `${why}; yet the node serves the receipts the watcher verified up to ${hi}`;
        this.log('investigated', { node: key, hi, found: false, why });
        return;
      }
      let lo = 0;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (await differs(mid)) hi = mid;
        else lo = mid + 1;
      }
      const got = await fetch(lo);
      if (this.closed) return;
      const held = this.ctx.store.receipt(this.id, lo)!;
      if (got === null) {
        sub.problem = `${why}; the node no longer serves receipt ${lo} (it lost receipts the watcher verified)`;
        this.log('investigated', { node: key, sequence: lo, found: false, why: sub.problem });
        return;
      }
      const served = verifyStandaloneReceipt(got.text, this.facts, this.signers!);
      if (!served.ok) {
        sub.problem = `${why}; the node serves receipt ${lo} that does not verify: ${served.check}: ${served.detail}`;
        sub.diverge(sub.problem);
        this.log('investigated', { node: key, sequence: lo, found: false, why: sub.problem });
        return;
      }
      if (served.receipt.prevRoot !== held.prev_root) {
        sub.problem = `${why}; receipt ${lo} differs but does not share its prev_root with the verified one`;
        this.log('investigated', { node: key, sequence: lo, found: false, why: sub.problem });
        return;
      }
      sub.diverge(`${why}; the node rewrote receipt ${lo}`);
      this.raiseForkAlarm(lo, 'node-rewrote-history', { body: held.body, source: held.source }, { body: served.receipt.canonical, source: key });
    } catch (e) {
      if (this.closed) return;
      sub.problem = `${why}; investigation failed: ${(e as Error).message}`;
      this.log('investigation-error', { node: key, error: (e as Error).message });
    } finally {
      this.investigating.delete(key);
    }
  }

  /**
   * Two genuine receipts at one (sequence, prev_root): builds the fork-alarm credential from their canonical bytes,
   * signs it, records it once (durably) and sends it as halt evidence to every node.
   */
  raiseForkAlarm(sequence: number, reason: AlarmReason, a: { body: string; source: string }, b: { body: string; source: string }): void {
    const ra = parseJsonText(a.body) as JsonObject;
    const rb = parseJsonText(b.body) as JsonObject;
    const roots = [ra.next_root as string, rb.next_root as string].sort();
    const id = sha256Hex(`${this.id}\u0000${sequence}\u0000${ra.prev_root as string}\u0000${roots[0]}\u0000${roots[1]}`);
    if (this.ctx.store.alarm(id)) return;
    const now = utcSeconds(new Date());
    const uri = (source: string) => `${source}/corridors/${encodeURIComponent(this.id)}/receipts/${sequence}`;
    let credential: JsonObject;
    try {
      const unsigned = buildForkAlarmCredential({
        corridor_id: this.id,
        receipt_a: { bytes: Buffer.from(a.body, 'utf8'), uri: uri(a.source) },
        receipt_b: { bytes: Buffer.from(b.body, 'utf8'), uri: uri(b.source) },
        issuer: this.ctx.did,
        issuanceDate: now,
        detected_at: now,
      });
      credential = addProof(unsigned, this.ctx.key, { created: now });
    } catch (e) {
      this.log('alarm-error', { sequence, error: (e as Error).message });
      return;
    }
    const alarm: StoredAlarm = {
      id,
      corridor_id: this.id,
      sequence,
      prev_root: ra.prev_root as string,
      next_root_a: ra.next_root as string,
      next_root_b: rb.next_root as string,
      credential: canonicalize(credential),
      receipt_a: a.body,
      receipt_b: b.body,
      reason,
      created_at: now,
    };
    this.ctx.flush();
    if (!this.ctx.store.putAlarm(alarm, this.ctx.config.nodes)) return;
    this.alarmCount += 1;
    this.log('fork-alarm', { id, sequence, prev_root: alarm.prev_root, next_roots: [alarm.next_root_a, alarm.next_root_b], reason, sources: [a.source, b.source] });
    for (const node of this.ctx.config.nodes) this.scheduleHalt(id, node, 0);
  }

  private scheduleHalt(alarmId: string, node: string, delay: number): void {
    if (this.closed) return;
    const key = `${alarmId}\u0000${node}`;
    const t = this.alarmTimers.get(key);
    if (t) clearTimeout(t);
    const timer = setTimeout(() => {
      this.alarmTimers.delete(key);
      this.track(() => this.sendHalt(alarmId, node));
    }, delay);
    timer.unref();
    this.alarmTimers.set(key, timer);
  }

  private async sendHalt(alarmId: string, node: string): Promise<void> {
    const alarm = this.ctx.store.alarm(alarmId);
    const d = this.ctx.store.alarmDeliveries(alarmId).find((x) => x.node === node);
    const handle = this.ctx.nodes.get(node);
    if (!alarm || !d || d.status !== 'pending' || !handle || this.closed) return;
    const key = `${alarmId}\u0000${node}`;
    let backoff = this.alarmBackoff.get(key);
    if (!backoff) this.alarmBackoff.set(key, (backoff = new Backoff(Math.max(this.ctx.config.minBackoffMs, 200), this.ctx.config.maxBackoffMs)));
    try {
      const a = await handle.client.post(`/corridors/${encodeURIComponent(this.id)}/halt`, `{"evidence":[${alarm.credential}]}`);
      if (a.status === 201 || a.status === 200) {
        this.ctx.store.putAlarmDelivery({ ...d, status: 'accepted', detail: null, attempts: d.attempts + 1 });
        this.log('halt-accepted', { node, alarm: alarmId });
        return;
      }
      if (a.status >= 400 && a.status < 500 && a.status !== 429) {
        // Already halted, not served there, or refused: nothing a retry changes.
        this.ctx.store.putAlarmDelivery({ ...d, status: 'refused', detail: describeAnswer(a), attempts: d.attempts + 1 });
        this.log('halt-refused', { node, alarm: alarmId, answer: describeAnswer(a) });
        return;
      }
      this.ctx.store.putAlarmDelivery({ ...d, detail: describeAnswer(a), attempts: d.attempts + 1 });
    } catch (e) {
      this.ctx.store.putAlarmDelivery({ ...d, detail: (e as Error).message, attempts: d.attempts + 1 });
    }
    this.scheduleHalt(alarmId, node, backoff.next());
  }

  alarmSummaries(): AlarmSummary[] {
    return this.ctx.store.alarms(this.id).map((a) => ({
      id: a.id,
      sequence: a.sequence,
      prev_root: a.prev_root,
      next_roots: [a.next_root_a, a.next_root_b],
      reason: a.reason,
      raised_at: a.created_at,
      deliveries: this.ctx.store.alarmDeliveries(a.id).map((d) => ({ node: d.node, status: d.status, detail: d.detail })),
    }));
  }
}
