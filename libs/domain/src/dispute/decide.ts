import { refuse } from '../shared/domain-error';
import { formatAmount, parseAmount, requireCurrency } from '../shared/decimal';
import { requireDidKey, requireDigest, requireOneOf, requireSameId, requireText } from '../shared/fields';
import { compareTimestamps, requireCommandTime, requireTimestamp } from '../shared/time';
import type { DisputeCommand, FileDispute, ForfeitEscrow, FundEscrow, ReleaseEscrow } from './commands';
import { DISPUTE_EVENT_TYPES as E, RULING_ENFORCEMENT_KIND, type DisputeEvent } from './events';
import { readCorridorHead, verifyConsent, verifyEvidenceItems, verifyRuling } from './evidence';
import type { DisputeState, Escrow } from './state';
import { DISMISSABLE, ESCROW_CONDITIONS, ESCROW_CONDITION_NAMES, ESCROW_TYPES, FINAL, SETTLEABLE, type DisputeStatus } from './status';

type Dispute = DisputeState & { dispute_id: string; corridor_id: string; claimant: string; respondent: string; status: DisputeStatus };

export function decideDispute(command: DisputeCommand, state: DisputeState): DisputeEvent[] {
  const at = requireCommandTime(command.at, state.updated_at);
  if (command.type === 'FileDispute') return file(command, state, at);
  if (state.dispute_id === null) refuse('not-found', `the dispute does not exist yet; ${command.type} needs FileDispute first`);
  const d = state as Dispute;
  requireSameId(command.data?.dispute_id, d.dispute_id, 'dispute_id');
  const base = { dispute_id: d.dispute_id, at };
  const requireStatus = (allowed: readonly DisputeStatus[], what: string) => {
    if (!allowed.includes(d.status)) refuse('transition-not-allowed', `dispute ${d.dispute_id} is ${d.status}; ${what} is possible only in ${allowed.join(', ')}`);
  };

  switch (command.type) {
    case 'BeginReview':
      requireStatus(['FILED'], 'review');
      return [{ type: E.reviewStarted, data: { ...base, case_reference: requireText(command.data.case_reference, 'case_reference'), arbitrator: requireDidKey(command.data.arbitrator, 'arbitrator') } }];
    case 'OpenEvidenceCollection': {
      requireStatus(['UNDER_REVIEW'], 'opening evidence collection');
      const order = requireDigest(command.data.procedural_order_digest_sha256, 'procedural_order_digest_sha256');
      requireTimestamp(command.data.evidence_deadline, 'evidence_deadline');
      if (compareTimestamps(command.data.evidence_deadline, at) <= 0) refuse('invalid-command', `evidence_deadline ${command.data.evidence_deadline} must be after ${at}`);
      return [{ type: E.evidenceCollectionOpened, data: { ...base, procedural_order_digest_sha256: order, evidence_deadline: command.data.evidence_deadline } }];
    }
    case 'SubmitEvidence': {
      requireStatus(['EVIDENCE_COLLECTION'], 'submitting evidence');
      if (compareTimestamps(at, d.evidence_deadline!) >= 0) refuse('deadline-passed', `evidence was due before ${d.evidence_deadline}`);
      const packageId = requireText(command.data.package_id, 'package_id');
      if (d.evidence_packages.includes(packageId)) refuse('already-exists', `evidence package ${packageId} was already submitted`);
      const party = requireParty(d, command.data.submitted_by, 'submitted_by');
      const head = readCorridorHead(command.data.corridor_head);
      const items = verifyEvidenceItems(command.data.items, head);
      return [{ type: E.evidenceSubmitted, data: { ...base, package_id: packageId, submitted_by: party, corridor_head: head, items } }];
    }
    case 'ScheduleHearing': {
      requireStatus(['EVIDENCE_COLLECTION'], 'scheduling the hearing');
      requireTimestamp(command.data.hearing_at, 'hearing_at');
      if (compareTimestamps(command.data.hearing_at, at) < 0) refuse('invalid-command', `hearing_at ${command.data.hearing_at} is in the past`);
      return [{ type: E.hearingScheduled, data: { ...base, hearing_at: command.data.hearing_at } }];
    }
    case 'IssueRuling': {
      requireStatus(['HEARING'], 'a ruling');
      const ruling = verifyRuling(command.data.ruling, d.dispute_id, d.corridor_id, d.arbitrator!);
      return [{ type: E.rulingIssued, data: { ...base, ruling: ruling.record, disposition: ruling.disposition, orders: ruling.orders, appeal_deadline: ruling.appeal_deadline } }];
    }
    case 'EnforceRuling': {
      requireStatus(['DECIDED'], 'enforcement');
      const ruling = d.ruling!;
      if (ruling.appeal_deadline !== null && compareTimestamps(at, ruling.appeal_deadline) < 0) {
        refuse('appeal-period-running', `the ruling may be appealed until ${ruling.appeal_deadline}; it cannot be enforced at ${at}`);
      }
      return [
        {
          type: E.rulingEnforced,
          data: {
            ...base,
            ruling_digest_sha256: ruling.digest_sha256,
            corridor_transition: {
              corridor_id: d.corridor_id,
              kind: RULING_ENFORCEMENT_KIND,
              payload: { dispute_id: d.dispute_id, ruling_digest_sha256: ruling.digest_sha256, disposition: ruling.disposition, orders: ruling.orders, enforced_at: at },
            },
          },
        },
      ];
    }
    case 'CloseDispute': {
      requireStatus(['ENFORCED'], 'closing');
      const held = d.escrows.filter((e) => e.status === 'funded').map((e) => e.escrow_id);
      if (held.length > 0) refuse('escrow-outstanding', `escrow ${held.join(', ')} is still funded; release or forfeit it before closing`);
      return [{ type: E.closed, data: { ...base, final_report_digest_sha256: requireDigest(command.data.final_report_digest_sha256, 'final_report_digest_sha256') } }];
    }
    case 'ConsentToSettlement': {
      requireStatus(SETTLEABLE, 'settlement');
      const party = requireParty(d, command.data.party, 'party');
      if (d.consents.some((c) => c.party === party)) refuse('already-consented', `${party} already consented to settle`);
      const { record, agreement } = verifyConsent(command.data.consent, d.dispute_id, party);
      const other = d.consents[0];
      if (other !== undefined && other.settlement_agreement_sha256 !== agreement) {
        refuse('invalid-evidence', `${other.party} consented to settlement agreement ${other.settlement_agreement_sha256}; this consent is to ${agreement}`);
      }
      const consented: DisputeEvent = { type: E.settlementConsented, data: { ...base, party, settlement_agreement_sha256: agreement, consent: record } };
      if (other === undefined) return [consented];
      return [consented, { type: E.settled, data: { ...base, settlement_agreement_sha256: agreement, parties: [other.party, party] } }];
    }
    case 'DismissDispute':
      requireStatus(DISMISSABLE, 'dismissal');
      return [
        {
          type: E.dismissed,
          data: { ...base, dismissal_order_digest_sha256: requireDigest(command.data.dismissal_order_digest_sha256, 'dismissal_order_digest_sha256'), reason: requireText(command.data.reason, 'reason') },
        },
      ];
    case 'FundEscrow':
      return fund(command, d, base);
    case 'ReleaseEscrow':
    case 'ForfeitEscrow':
      return settleEscrow(command, d, base);
    default:
      return refuse('invalid-command', `unknown dispute command ${JSON.stringify((command as { type: unknown }).type)}`);
  }
}

function file(command: FileDispute, state: DisputeState, at: string): DisputeEvent[] {
  if (state.dispute_id !== null) refuse('already-exists', `dispute ${state.dispute_id} already exists (${state.status})`);
  const c = command.data ?? ({} as FileDispute['data']);
  const claimant = requireDidKey(c.claimant, 'claimant');
  const respondent = requireDidKey(c.respondent, 'respondent');
  if (claimant === respondent) refuse('invalid-command', 'claimant and respondent are the same party');
  return [
    {
      type: E.filed,
      data: {
        dispute_id: requireText(c.dispute_id, 'dispute_id'),
        at,
        corridor_id: requireText(c.corridor_id, 'corridor_id'),
        corridor_genesis_root: requireDigest(c.corridor_genesis_root, 'corridor_genesis_root'),
        corridor_head_commitment_sha256: requireDigest(c.corridor_head_commitment_sha256, 'corridor_head_commitment_sha256'),
        claimant,
        respondent,
        filing_digest_sha256: requireDigest(c.filing_digest_sha256, 'filing_digest_sha256'),
      },
    },
  ];
}

function requireParty(d: Dispute, value: unknown, field: string): string {
  if (value !== d.claimant && value !== d.respondent) {
    refuse('invalid-command', `${field} ${JSON.stringify(value ?? null)} is neither the claimant nor the respondent of dispute ${d.dispute_id}`);
  }
  return value as string;
}

function fund(command: FundEscrow, d: Dispute, base: { dispute_id: string; at: string }): DisputeEvent[] {
  if (FINAL.includes(d.status)) refuse('transition-not-allowed', `dispute ${d.dispute_id} is ${d.status}; escrow can no longer be funded`);
  const escrowId = requireText(command.data.escrow_id, 'escrow_id');
  if (d.escrows.some((e) => e.escrow_id === escrowId)) refuse('already-exists', `escrow ${escrowId} already exists`);
  return [
    {
      type: E.escrowFunded,
      data: {
        ...base,
        escrow_id: escrowId,
        escrow_type: requireOneOf(command.data.escrow_type, ESCROW_TYPES, 'escrow_type'),
        amount: formatAmount(parseAmount(command.data.amount, 'amount')),
        currency: requireCurrency(command.data.currency, 'currency'),
        funded_by: requireParty(d, command.data.funded_by, 'funded_by'),
      },
    },
  ];
}

/** Release or forfeit: only funded escrow, and only for a reason that holds in the dispute's current state. */
function settleEscrow(command: ReleaseEscrow | ForfeitEscrow, d: Dispute, base: { dispute_id: string; at: string }): DisputeEvent[] {
  const escrowId = requireText(command.data.escrow_id, 'escrow_id');
  const escrow: Escrow | undefined = d.escrows.find((e) => e.escrow_id === escrowId);
  if (escrow === undefined) refuse('invalid-command', `dispute ${d.dispute_id} has no escrow ${escrowId}`);
  const verb = command.type === 'ReleaseEscrow' ? 'released' : 'forfeited';
  if (escrow.status !== 'funded') refuse('transition-not-allowed', `escrow ${escrowId} is ${escrow.status}; only funded escrow can be ${verb}`);
  const condition = requireOneOf(command.data.condition, ESCROW_CONDITION_NAMES, 'condition');
  const holdsIn: readonly DisputeStatus[] = ESCROW_CONDITIONS[condition];
  if (!holdsIn.includes(d.status)) refuse('transition-not-allowed', `dispute ${d.dispute_id} is ${d.status}; ${condition} holds only in ${holdsIn.join(', ')}`);
  let order: string | null = null;
  if (condition === 'institution_order') {
    if (command.data.order_digest_sha256 === undefined) refuse('evidence-missing', 'an institution order must be evidenced by order_digest_sha256');
    order = requireDigest(command.data.order_digest_sha256, 'order_digest_sha256', 'invalid-evidence');
  }
  const common = { ...base, escrow_id: escrowId, amount: escrow.amount, currency: escrow.currency, condition, order_digest_sha256: order };
  if (command.type === 'ForfeitEscrow') return [{ type: E.escrowForfeited, data: common }];
  return [{ type: E.escrowReleased, data: { ...common, to: requireParty(d, command.data.to, 'to') } }];
}
