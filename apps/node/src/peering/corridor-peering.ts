import { isJsonObject, type JsonObject } from '@corridor/protocol';
import { stateChannelStream, type CorridorView } from '../corridors/corridor-aggregate';

/** How this node takes part in a shared corridor (spec/peering.md §1). */
export interface CorridorPeering {
  readonly corridorId: string;
  readonly stream: string;
  readonly self: string;
  /** The node that orders the chain and signs each receipt first. */
  readonly sequencer: string;
  readonly isSequencer: boolean;
  /** Every node whose proof a receipt needs (the agreement's receipt-signing participants). */
  readonly signers: readonly string[];
  /** The other nodes of the corridor. */
  readonly peers: readonly string[];
}

/**
 * A corridor is shared when its agreement names a sequencer and this node is one of its receipt signers; any
 * other corridor is this node's alone (it orders and signs everything, as before peering).
 */
export function corridorPeering(view: CorridorView, self: string): CorridorPeering | null {
  const corridorId = view.state.corridor_id;
  if (!corridorId || view.agreementVcs.length === 0) return null;
  let sequencer: string | undefined;
  const signers = new Set<string>();
  for (const vc of view.agreementVcs) {
    const subject = isJsonObject(vc.credentialSubject) ? vc.credentialSubject : {};
    const channel = isJsonObject(subject.state_channel) ? subject.state_channel : {};
    if (typeof channel.sequencer === 'string') sequencer = channel.sequencer;
    const roles = new Set(receiptRoles(subject, channel));
    for (const p of Array.isArray(subject.participants) ? subject.participants : []) {
      if (isJsonObject(p) && typeof p.id === 'string' && typeof p.role === 'string' && roles.has(p.role)) signers.add(p.id);
    }
  }
  if (!sequencer || !signers.has(self)) return null;
  signers.add(sequencer);
  const all = [...signers].sort();
  return { corridorId, stream: stateChannelStream(corridorId), self, sequencer, isSequencer: sequencer === self, signers: all, peers: all.filter((d) => d !== self) };
}

/** Roles whose participants sign receipts: the receipt-signing thresholds', else the activation thresholds'. */
function receiptRoles(subject: JsonObject, channel: JsonObject): string[] {
  const fromThresholds = (v: unknown): string[] =>
    Array.isArray(v) ? v.flatMap((t) => (isJsonObject(t) && typeof t.role === 'string' ? [t.role] : [])) : [];
  const signing = isJsonObject(channel.receipt_signing) ? fromThresholds(channel.receipt_signing.thresholds) : [];
  if (signing.length > 0) return signing;
  return isJsonObject(subject.activation) ? fromThresholds(subject.activation.thresholds) : [];
}
