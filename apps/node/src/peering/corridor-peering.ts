import { corridor as corridorDomain } from '@corridor/domain';
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
  /** The key that signed (or signs) for a participant at a sequence, after key rotations (spec/security.md §Keys). */
  keyAt(participantKey: string, sequence: number): string;
  /** Every key a participant has had, the current one last. */
  keysOf(participantKey: string): string[];
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
  if (!sequencer) return null;
  // The agreement names the original keys; rotations replace them from a sequence on.
  const rotations = view.state.key_rotations;
  const current = (did: string) => keyAtSequence(rotations, did, Number.MAX_SAFE_INTEGER);
  const original = [...signers, sequencer];
  const all = [...new Set(original.map(current))].sort();
  if (!all.includes(self)) return null;
  return {
    corridorId,
    stream: stateChannelStream(corridorId),
    self,
    sequencer: current(sequencer),
    isSequencer: current(sequencer) === self,
    signers: all,
    peers: all.filter((d) => d !== self),
    keyAt: (key, sequence) => keyAtSequence(rotations, originalKey(rotations, key), sequence),
    keysOf: (key) => {
      const keys = [originalKey(rotations, key)];
      for (const r of rotations) if (r.previous_key === keys[keys.length - 1]) keys.push(r.new_key);
      return keys;
    },
  };
}

/**
 * Whether `self` is a key the corridor has rotated away from: such a node must not sign for the corridor any more
 * (it is restarted with the new key).
 */
export function isRetiredKey(view: CorridorView, self: string): boolean {
  return view.state.key_rotations.some((r) => r.previous_key === self);
}

const { keyAtSequence, originalKey } = corridorDomain;

/** Roles whose participants sign receipts: the receipt-signing thresholds', else the activation thresholds'. */
function receiptRoles(subject: JsonObject, channel: JsonObject): string[] {
  const fromThresholds = (v: unknown): string[] =>
    Array.isArray(v) ? v.flatMap((t) => (isJsonObject(t) && typeof t.role === 'string' ? [t.role] : [])) : [];
  const signing = isJsonObject(channel.receipt_signing) ? fromThresholds(channel.receipt_signing.thresholds) : [];
  if (signing.length > 0) return signing;
  return isJsonObject(subject.activation) ? fromThresholds(subject.activation.thresholds) : [];
}
