import fc from 'fast-check';
import { digestOf } from '@corridor/protocol';
import { DomainError } from '../shared/domain-error';
import { addSeconds } from '../shared/time';
import { minute } from '../testing/corridor-fixtures';
import { HEAD, RECEIPTS, arbitrator, claimant, consentCredential, digest, disputeCommand, fileDispute, proofOf, respondent, rulingCredential } from '../testing/dispute-fixtures';
import type { DisputeCommand } from './commands';
import { disputeDecider } from './decider';
import { DISMISSABLE, DISPUTE_STATUSES, ESCROW_CONDITION_NAMES, FINAL, SETTLEABLE } from './status';
import type { DisputeState } from './state';

const KINDS = ['file', 'review', 'open', 'submit', 'hearing', 'rule', 'enforce', 'close', 'consent-claimant', 'consent-respondent', 'dismiss', 'fund', 'release', 'forfeit'] as const;
type Step = { kind: (typeof KINDS)[number] | 'forward'; escrow: number; condition: (typeof ESCROW_CONDITION_NAMES)[number] };

/** The command that moves a dispute along its main path, so runs get past the first states. */
const FORWARD: Record<string, (typeof KINDS)[number]> = {
  FILED: 'review',
  UNDER_REVIEW: 'open',
  EVIDENCE_COLLECTION: 'hearing',
  HEARING: 'rule',
  DECIDED: 'enforce',
  ENFORCED: 'close',
};

function build(s: Step, at: string, state: DisputeState): DisputeCommand {
  if (s.kind === 'forward') return build({ ...s, kind: FORWARD[state.status ?? ''] ?? 'file' }, at, state);
  const c = (type: string, data: object = {}) => disputeCommand(type, at, data) as DisputeCommand;
  switch (s.kind) {
    case 'file':
      return fileDispute(at) as DisputeCommand;
    case 'review':
      return c('BeginReview', { case_reference: 'CASE-1', arbitrator: arbitrator.did });
    case 'open':
      return c('OpenEvidenceCollection', { procedural_order_digest_sha256: digest('order'), evidence_deadline: addSeconds(at, 3 * 3600) });
    case 'submit':
      return c('SubmitEvidence', { package_id: `EP-${at}`, submitted_by: claimant.did, corridor_head: HEAD, items: [{ receipt_next_root: RECEIPTS[2], inclusion_proof: proofOf(2) }] });
    case 'hearing':
      return c('ScheduleHearing', { hearing_at: addSeconds(at, 3600) });
    case 'rule':
      return c('IssueRuling', { ruling: rulingCredential() });
    case 'enforce':
      return c('EnforceRuling');
    case 'close':
      return c('CloseDispute', { final_report_digest_sha256: digest('report') });
    case 'consent-claimant':
      return c('ConsentToSettlement', { party: claimant.did, consent: consentCredential(claimant) });
    case 'consent-respondent':
      return c('ConsentToSettlement', { party: respondent.did, consent: consentCredential(respondent) });
    case 'dismiss':
      return c('DismissDispute', { dismissal_order_digest_sha256: digest('dismissal'), reason: 'no case' });
    case 'fund':
      return c('FundEscrow', { escrow_id: `ESC-${s.escrow}`, escrow_type: 'security_deposit', amount: '100', currency: 'USD', funded_by: respondent.did });
    case 'release':
      return c('ReleaseEscrow', { escrow_id: `ESC-${s.escrow}`, to: claimant.did, condition: s.condition, order_digest_sha256: digest('order') });
    case 'forfeit':
      return c('ForfeitEscrow', { escrow_id: `ESC-${s.escrow}`, condition: s.condition, order_digest_sha256: digest('order') });
  }
}

describe('dispute properties', () => {
  it('random command sequences respect the dispute rules and never make evolve throw', () => {
    const kind = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KINDS) }, { weight: 2, arbitrary: fc.constant('forward' as const) });
    const step: fc.Arbitrary<Step> = fc.record({ kind, escrow: fc.integer({ min: 1, max: 3 }), condition: fc.constantFrom(...ESCROW_CONDITION_NAMES) });
    const reached = new Set<string | null>();
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 50 }), (steps) => {
        let state: DisputeState = disputeDecider.initialState();
        let now = minute(0);
        for (const s of [{ kind: 'file', escrow: 1, condition: 'institution_order' } as Step, ...steps]) {
          now = addSeconds(now, 600);
          let events;
          try {
            events = disputeDecider.decide(build(s, now, state), state);
          } catch (e) {
            if (e instanceof DomainError) continue;
            throw e;
          }
          for (const event of events) {
            digestOf(event.data);
            const before = state;
            state = disputeDecider.evolve(state, event);
            expect(DISPUTE_STATUSES).toContain(state.status);
            reached.add(state.status);
            if (before.status !== state.status && before.status !== null) expect(FINAL).not.toContain(before.status);
            if (event.type === 'dispute.settled.v1') expect(SETTLEABLE).toContain(before.status);
            if (event.type === 'dispute.dismissed.v1') expect(DISMISSABLE).toContain(before.status);
            if (event.type === 'dispute.closed.v1') expect(before.escrows.filter((e) => e.status === 'funded')).toEqual([]);
            if (event.type === 'dispute.escrow-released.v1' || event.type === 'dispute.escrow-forfeited.v1') {
              expect(before.escrows.find((e) => e.escrow_id === event.data.escrow_id)?.status).toBe('funded');
            }
            // An escrow, once released or forfeited, never changes again.
            for (const e of before.escrows.filter((x) => x.status !== 'funded')) expect(state.escrows).toContainEqual(e);
          }
        }
      }),
      { numRuns: 200 },
    );
    expect([...reached].sort()).toEqual([...DISPUTE_STATUSES].sort());
  });
});
