import { addProof, baseDid, digestOf, isJsonObject, verifyProofs, withoutKeys, type Ed25519KeyPair, type JsonObject } from '@corridor/protocol';

export const PROPOSAL_TYPE = 'CorridorTransitionProposal';

/**
 * A transition a node that is not the corridor's sequencer asks the sequencer to order. Signed by the proposing
 * node; its id (the digest of the unsigned proposal) makes a redelivered proposal land once.
 */
export interface TransitionProposal extends JsonObject {
  type: typeof PROPOSAL_TYPE;
  corridor_id: string;
  proposer: string;
  proposed_at: string;
  /** The transition as the proposer's client gave it ({kind, payload} or an envelope). */
  transition: JsonObject;
  /** Makes two otherwise identical proposals two transitions. */
  nonce: string;
}

export function buildProposal(input: { corridor_id: string; proposed_at: string; transition: JsonObject; nonce: string }, key: Ed25519KeyPair, created: string): JsonObject {
  const unsigned: JsonObject = { type: PROPOSAL_TYPE, corridor_id: input.corridor_id, proposer: key.did, proposed_at: input.proposed_at, transition: input.transition, nonce: input.nonce };
  return addProof(unsigned, key, { created });
}

export function proposalId(proposal: JsonObject): string {
  return digestOf(withoutKeys(proposal, 'proof') as JsonObject);
}

/** Shape, corridor, proposer among the allowed nodes, and the proposer's own proof. */
export function verifyProposal(proposal: unknown, corridorId: string, allowedProposers: ReadonlySet<string>): { ok: true; proposal: TransitionProposal; id: string } | { ok: false; detail: string } {
  if (!isJsonObject(proposal)) return { ok: false, detail: 'a proposal must be a JSON object' };
  if (proposal.type !== PROPOSAL_TYPE) return { ok: false, detail: `proposal type must be ${PROPOSAL_TYPE}` };
  if (proposal.corridor_id !== corridorId) return { ok: false, detail: `the proposal names corridor ${JSON.stringify(proposal.corridor_id)}, not ${corridorId}` };
  if (typeof proposal.proposer !== 'string' || !allowedProposers.has(proposal.proposer)) {
    return { ok: false, detail: `proposer ${JSON.stringify(proposal.proposer)} is not a node of this corridor` };
  }
  if (typeof proposal.proposed_at !== 'string' || typeof proposal.nonce !== 'string' || !isJsonObject(proposal.transition)) {
    return { ok: false, detail: 'a proposal needs proposed_at, nonce (strings) and transition (object)' };
  }
  const results = verifyProofs(proposal);
  const byProposer = results.find((r) => r.ok && baseDid(r.verificationMethod) === proposal.proposer);
  if (!byProposer) return { ok: false, detail: `the proposal carries no valid proof by its proposer ${proposal.proposer}` };
  return { ok: true, proposal: proposal as TransitionProposal, id: proposalId(proposal) };
}
