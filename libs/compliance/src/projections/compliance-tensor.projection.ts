import { digestOf, sha256Hex } from '@corridor/protocol';
import { isHexDigest } from '../tensor/hex';
import {
  canonicalCellText,
  cellKeyText,
  isCanonicalCell,
  parseCellKeyText,
  requireAttestation,
  withAttestation,
  withRevocation,
  type Attestation,
  type CellKey,
  type TensorCell,
} from '../tensor/cell';
import { TensorCommitmentIndex } from '../tensor/commitment';
import { formatTimestamp, normalizeTimestamp } from '../tensor/time';
import type { Doc } from '../store/port';
import type { FoldContext, ProjectionDefinition } from './definition';
import {
  ARBITRATION_ENFORCEMENT_FAMILY,
  COMPLIANCE_ATTESTATION_FAMILY,
  CORRIDOR_EVENTS,
  DISPUTE_EVENTS,
  LICENCE_FAMILY,
  MIGRATION_EVENTS,
  SANCTIONS_FAMILY,
} from './event-types';
import type { LedgerRecord } from './ledger-record';
import { mapCorridorTransition, type CellAttestation } from './tensor-mapping';

export const COMPLIANCE_TENSOR = 'compliance_tensor';

/** Issuer of the attestations the node derives from migration sagas' compliance checks. */
export const MIGRATION_CHECK_ISSUER = 'urn:corridor-ledger:migration-saga';
/** The domain a saga's compliance check speaks for (the asset crossing the border). */
export const MIGRATION_CHECK_DOMAIN = 'trade';
export const RULING_ENFORCEMENT_TYPE = 'CorridorRulingEnforcement';

/** Corridor transition families the tensor reads. */
const MAPPED_FAMILIES = [COMPLIANCE_ATTESTATION_FAMILY, SANCTIONS_FAMILY, LICENCE_FAMILY, ARBITRATION_ENFORCEMENT_FAMILY];
/** Aggregate events the tensor reads. */
const FOLDED_TYPES: ReadonlySet<string> = new Set([
  MIGRATION_EVENTS.started,
  MIGRATION_EVENTS.phaseAdvanced,
  MIGRATION_EVENTS.completed,
  MIGRATION_EVENTS.compensationStarted,
  DISPUTE_EVENTS.reviewStarted,
  DISPUTE_EVENTS.rulingIssued,
  DISPUTE_EVENTS.rulingEnforced,
]);

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The time a record happened: the receipt's timestamp, else the domain event's `at`, else when it was stored. */
export function recordTime(record: LedgerRecord): string {
  const fromReceipt = record.receipt ? normalizeTimestamp(record.receipt.timestamp) : null;
  if (fromReceipt) return fromReceipt;
  const at = isObject(record.data) ? normalizeTimestamp(record.data.at) : null;
  return at ?? formatTimestamp(record.recordedAt.getTime());
}

/**
 * The transition a record carries for the corridor, if any: the envelope of `corridor.transition-recorded.v1`
 * (inside the event data, or the receipt's own envelope on a state channel), or a receipt recording an event named
 * after a mapped transition kind.
 */
export function corridorTransitionOf(record: LedgerRecord): { kind: string; payload: unknown; digest: string } | undefined {
  const data = record.data;
  if (isObject(data) && isObject(data.transition) && (record.type === CORRIDOR_EVENTS.transitionRecorded || record.receipt !== undefined)) {
    const t = data.transition;
    if (typeof t.kind !== 'string') return undefined;
    return { kind: t.kind, payload: t.payload, digest: isHexDigest(t.payload_sha256) ? t.payload_sha256 : digestOf(t.payload ?? null) };
  }
  const kind = record.receipt?.transition_kind;
  if (kind && kind === record.type && MAPPED_FAMILIES.some((f) => kind.startsWith(f))) {
    return { kind, payload: data, digest: record.receipt!.payload_sha256 ?? digestOf(data ?? null) };
  }
  return undefined;
}

/** Digest of a ruling-enforcement attestation: the same from the dispute's event and the corridor's transition. */
export function enforcementDigest(rulingDigest: string, enforcedAt: string): string {
  return digestOf({ type: RULING_ENFORCEMENT_TYPE, ruling_digest_sha256: rulingDigest, enforced_at: enforcedAt });
}

interface RulingDoc {
  [k: string]: Doc;
  dispute_id: string;
  arbitrator: string;
  cells: string[];
}

/**
 * The compliance-tensor projection (spec/compliance-tensor.md §6 for the event → cell mapping).
 *
 * Collections: `cells` (key: canonical cell key text; the canonical cell; indexed by subject, jurisdiction,
 * domain and every attestation digest), `cell_digests` (cell key → cell digest, to reload the commitment
 * quickly), `revocations` (every revoked digest, so a revocation recorded before its attestation still
 * applies), `migrations` and `disputes`/`rulings` (what later saga and dispute events need), `rejections`
 * (transitions of a mapped family that could not be mapped, with the reason). Metadata: `commitment`,
 * `cell_count`, `rejections`.
 */
export function complianceTensorProjection(): ProjectionDefinition {
  return {
    name: COMPLIANCE_TENSOR,
    collections: {
      cells: {
        index: (doc) => {
          const c = doc as unknown as TensorCell;
          return { subject: [c.subject], jurisdiction: [c.jurisdiction], domain: [c.domain], digest: c.attestations.map((a) => a.digest) };
        },
      },
      cell_digests: {},
      revocations: {},
      migrations: {},
      disputes: {},
      rulings: {},
      rejections: { index: () => ({ all: ['*'] }) },
    },
    async open(reader) {
      const index = new TensorCommitmentIndex();
      // Key digest of every cell there is (committed or in this batch), by key text: a key it lacks is a new
      // cell, and an update does not hash the key again.
      const keyDigests = new Map<string, string>();
      for (const [key, digest] of await reader.entries('cell_digests')) {
        const keyDigest = sha256Hex(key);
        keyDigests.set(key, keyDigest);
        index.set(keyDigest, digest as string);
      }
      // Revocations are few: all of them stay in memory, so attesting never reads the store for one.
      const revokedDigests = new Set((await reader.entries('revocations')).map(([k]) => k));
      const cp = await reader.checkpoint();
      let rejections = Number(cp.meta.rejections ?? '0');
      if (cp.meta.commitment !== undefined && cp.meta.commitment !== index.commitment()) {
        throw new Error(
          `${COMPLIANCE_TENSOR} generation ${reader.generation}: the stored cell digests give commitment ${index.commitment()}, the checkpoint says ${cp.meta.commitment}`,
        );
      }

      const attest = async (tx: FoldContext, { key, attestation }: CellAttestation) => {
        const text = cellKeyText(key);
        const known = keyDigests.get(text);
        const a: Attestation = revokedDigests.has(attestation.digest) ? { ...attestation, revoked: true } : attestation;
        const current = known !== undefined ? ((await tx.get('cells', text)) as unknown as TensorCell | undefined) : undefined;
        const { cell, changed } = withAttestation(current, key, a);
        if (!changed) return;
        if (known !== undefined) put(tx, text, known, cell, false);
        else {
          const keyDigest = sha256Hex(text);
          keyDigests.set(text, keyDigest);
          put(tx, text, keyDigest, cell, true);
        }
      };
      const revoke = async (tx: FoldContext, digest: string, record: LedgerRecord) => {
        if (!revokedDigests.has(digest)) {
          revokedDigests.add(digest);
          tx.put('revocations', digest, { digest, stream: record.stream, sequence: record.sequence, at: recordTime(record) });
        }
        for (const text of await tx.keysBy('cells', 'digest', digest)) {
          const r = withRevocation((await tx.get('cells', text)) as unknown as TensorCell, digest);
          if (r.changed) put(tx, text, keyDigests.get(text) ?? sha256Hex(text), r.cell, false);
        }
      };
      const put = (tx: FoldContext, text: string, keyDigest: string, cell: TensorCell, created: boolean) => {
        const canonical = canonicalCellText(cell);
        const d = sha256Hex(canonical);
        // The canonical text hashed for the digest is also the cell's JSON (cells are canonical): the store writes
        // it as is instead of serializing the cell again.
        const json = isCanonicalCell(cell) ? canonical : undefined;
        if (created) tx.create('cells', text, cell as unknown as Doc, json);
        else tx.put('cells', text, cell as unknown as Doc, json);
        tx.put('cell_digests', text, d, '"' + d + '"');
        index.set(keyDigest, d);
      };
      const rejected = (tx: FoldContext, record: LedgerRecord, kind: string, reason: string) => {
        rejections++;
        tx.put('rejections', `${record.stream}#${String(record.sequence).padStart(12, '0')}`, {
          stream: record.stream,
          sequence: record.sequence,
          position: `${record.position.commit}/${record.position.prepare}`,
          type: record.type,
          kind,
          reason,
        });
      };

      return {
        meta: () => ({ commitment: index.commitment(), cell_count: String(index.cellCount), rejections: String(rejections) }),
        fold(record, tx) {
          const transition = corridorTransitionOf(record);
          if (transition) {
            if (!MAPPED_FAMILIES.some((f) => transition.kind.startsWith(f))) return undefined;
            return foldTransition(record, tx, transition);
          }
          return FOLDED_TYPES.has(record.type) ? foldEvent(record, tx) : undefined;
        },
      };

      async function foldTransition(record: LedgerRecord, tx: FoldContext, transition: { kind: string; payload: unknown; digest: string }) {
        if (transition.kind.startsWith(ARBITRATION_ENFORCEMENT_FAMILY)) {
          await enforceRuling(tx, record, transition.kind, transition.payload);
          return;
        }
        const input = mapCorridorTransition({ ...transition, recordedAt: recordTime(record) });
        if (input.kind === 'rejected') rejected(tx, record, transition.kind, input.reason);
        else if (input.kind === 'cells') {
          for (const a of input.attest) await attest(tx, a);
          for (const d of input.revoke) await revoke(tx, d, record);
        }
      }

      async function foldEvent(record: LedgerRecord, tx: FoldContext) {
        const data = isObject(record.data) ? record.data : {};
        switch (record.type) {
          case MIGRATION_EVENTS.started: {
            tx.put('migrations', String(data.migration_id), {
              asset_id: String(data.asset_id),
              source_jurisdiction: String(data.source_jurisdiction),
              destination_jurisdiction: String(data.destination_jurisdiction),
              deadline: String(data.deadline),
            });
            return;
          }
          case MIGRATION_EVENTS.phaseAdvanced:
          case MIGRATION_EVENTS.completed: {
            if (data.from_phase !== 'compliance_check') return;
            await migrationCheck(tx, record, data, 'compliant');
            return;
          }
          case MIGRATION_EVENTS.compensationStarted: {
            if (data.trigger !== 'failed' || data.reached_phase !== 'compliance_check') return;
            await migrationCheck(tx, record, data, 'non_compliant');
            return;
          }
          case DISPUTE_EVENTS.reviewStarted: {
            tx.put('disputes', String(data.dispute_id), { arbitrator: String(data.arbitrator) });
            return;
          }
          case DISPUTE_EVENTS.rulingIssued: {
            await issueRuling(tx, record, data);
            return;
          }
          case DISPUTE_EVENTS.rulingEnforced: {
            const ct = isObject(data.corridor_transition) ? data.corridor_transition : {};
            await enforceRuling(tx, record, String(ct.kind ?? DISPUTE_EVENTS.rulingEnforced), ct.payload);
            return;
          }
          default:
            return;
        }
      }

      async function migrationCheck(tx: FoldContext, record: LedgerRecord, data: Obj, state: 'compliant' | 'non_compliant') {
        const m = (await tx.get('migrations', String(data.migration_id))) as Obj | undefined;
        if (!m) {
          rejected(tx, record, record.type, `migration ${String(data.migration_id)} was never started in this log`);
          return;
        }
        const at = normalizeTimestamp(data.at) ?? recordTime(record);
        const digest = state === 'compliant' && isHexDigest(data.evidence_digest_sha256) ? data.evidence_digest_sha256 : record.digest;
        const deadline = normalizeTimestamp(m.deadline);
        const attestation = requireAttestation({
          digest,
          issuer_did: MIGRATION_CHECK_ISSUER,
          issued_at: at,
          // A passed check clears the asset for this migration, until its deadline.
          expires_at: state === 'compliant' ? deadline : null,
          state,
          revoked: false,
        });
        for (const jurisdiction of new Set([String(m.source_jurisdiction), String(m.destination_jurisdiction)])) {
          await attest(tx, { key: { subject: String(m.asset_id), jurisdiction, domain: MIGRATION_CHECK_DOMAIN } as CellKey, attestation });
        }
      }

      async function issueRuling(tx: FoldContext, record: LedgerRecord, data: Obj) {
        const ruling = isObject(data.ruling) ? data.ruling : {};
        const rulingDigest = ruling.digest_sha256;
        if (!isHexDigest(rulingDigest)) {
          rejected(tx, record, record.type, 'the ruling record carries no digest_sha256');
          return;
        }
        const dispute = (await tx.get('disputes', String(data.dispute_id))) as Obj | undefined;
        const credential = isObject(ruling.credential) ? ruling.credential : {};
        const signers = Array.isArray(ruling.signers) ? ruling.signers.filter((s): s is string => typeof s === 'string') : [];
        const arbitrator = typeof dispute?.arbitrator === 'string' ? dispute.arbitrator : (signers[0] ?? (typeof credential.issuer === 'string' ? credential.issuer : undefined));
        if (arbitrator === undefined) {
          rejected(tx, record, record.type, 'no arbitrator is known for the ruling');
          return;
        }
        const subject = isObject(credential.credentialSubject) ? credential.credentialSubject : {};
        const orders = Array.isArray(data.orders) ? data.orders : [];
        const at = normalizeTimestamp(data.at) ?? recordTime(record);
        const keys: string[] = [];
        const problems: string[] = [];
        orders.forEach((order, i) => {
          if (!isObject(order) || typeof order.obligor !== 'string' || order.obligor === '') return;
          const jurisdiction = typeof order.jurisdiction === 'string' ? order.jurisdiction : typeof subject.jurisdiction === 'string' ? subject.jurisdiction : undefined;
          if (jurisdiction === undefined) {
            problems.push(`order ${i} (obligor ${order.obligor}) names no jurisdiction, nor does the ruling`);
            return;
          }
          keys.push(cellKeyText({ subject: order.obligor, jurisdiction, domain: 'arbitration' }));
        });
        if (problems.length > 0) rejected(tx, record, record.type, problems.join('; '));
        const unique = [...new Set(keys)];
        // An issued ruling leaves each obligor's obligation outstanding: pending until enforced.
        const attestation = requireAttestation({ digest: rulingDigest, issuer_did: arbitrator, issued_at: at, expires_at: null, state: 'pending', revoked: false });
        for (const text of unique) await attest(tx, { key: parseCellKeyText(text), attestation });
        const doc: RulingDoc = { dispute_id: String(data.dispute_id), arbitrator, cells: unique };
        tx.put('rulings', rulingDigest, doc);
      }

      async function enforceRuling(tx: FoldContext, record: LedgerRecord, kind: string, payload: unknown) {
        const p = isObject(payload) ? payload : {};
        const rulingDigest = p.ruling_digest_sha256;
        const enforcedAt = normalizeTimestamp(p.enforced_at);
        if (!isHexDigest(rulingDigest) || enforcedAt === null) {
          rejected(tx, record, kind, 'an enforcement names ruling_digest_sha256 and enforced_at');
          return;
        }
        const ruling = (await tx.get('rulings', rulingDigest)) as RulingDoc | undefined;
        if (!ruling) {
          rejected(tx, record, kind, `ruling ${rulingDigest} is not known to this log`);
          return;
        }
        const attestation = requireAttestation({
          digest: enforcementDigest(rulingDigest, enforcedAt),
          issuer_did: ruling.arbitrator,
          issued_at: enforcedAt,
          expires_at: null,
          state: 'compliant',
          revoked: false,
        });
        for (const text of ruling.cells) await attest(tx, { key: parseCellKeyText(text), attestation });
      }
    },
  };
}
