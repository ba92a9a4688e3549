import fc from 'fast-check';
import { digestOf, type JsonObject } from '@corridor/protocol';
import { DomainError } from '../shared/domain-error';
import { tamperSignature } from '../testing';
import {
  CORRIDOR_ID,
  agreementCredential,
  definitionCredential,
  forkAlarmCredential,
  forkResolutionCredential,
  lifecycleAuthorization,
  minute,
  outsider,
  trustAnchorsDocument,
} from '../testing/corridor-fixtures';
import { LIFECYCLE_COMMAND_KINDS, type CorridorCommand, type LifecycleCommandType } from './commands';
import { corridorDecider } from './decider';
import type { CorridorState } from './state';

const file = require('@corridor/governance/corridor.lifecycle.state-machine.json') as {
  states: string[];
  transitions: { kind: string; from: string; to: string }[];
};

const LIFECYCLE_COMMANDS = Object.keys(LIFECYCLE_COMMAND_KINDS) as LifecycleCommandType[];
const COMMANDS: CorridorCommand['type'][] = ['CreateCorridor', ...LIFECYCLE_COMMANDS, 'RecordCorridorTransition'];
const VARIANTS = ['valid', 'no-evidence', 'outsider-signed', 'tampered', 'other-corridor'] as const;
type Step = { command: CorridorCommand['type']; variant: (typeof VARIANTS)[number] } | { walk: number };

const COMMAND_OF_KIND = Object.fromEntries(LIFECYCLE_COMMANDS.map((c) => [LIFECYCLE_COMMAND_KINDS[c], c])) as Record<string, LifecycleCommandType>;

/**
 * Builds the command a step describes against the current state, so "valid" steps really are valid. A `walk`
 * step takes one of the edges the file lists out of the current state (or creates the corridor), so runs get deep
 * into the lifecycle instead of bouncing off its first state.
 */
function build(step: Step, state: CorridorState, at: string): CorridorCommand {
  if ('walk' in step) {
    const edges = file.transitions.filter((t) => t.from === state.lifecycle);
    const command = state.lifecycle === null || edges.length === 0 ? 'CreateCorridor' : COMMAND_OF_KIND[edges[step.walk % edges.length]!.kind]!;
    return build({ command, variant: 'valid' }, state, at);
  }
  const corridor_id = step.variant === 'other-corridor' ? 'corridor:other' : CORRIDOR_ID;
  if (step.command === 'CreateCorridor') return { type: 'CreateCorridor', at, data: { corridor_id, trust_anchors: trustAnchorsDocument() } };
  if (step.command === 'RecordCorridorTransition') {
    return { type: 'RecordCorridorTransition', at, data: { corridor_id, transition: { kind: 'trade.order.placed.v1', payload: { at } } } };
  }
  const kind = LIFECYCLE_COMMAND_KINDS[step.command as LifecycleCommandType];
  const to = file.transitions.find((t) => t.kind === kind && t.from === state.lifecycle)?.to ?? 'DEPRECATED';
  const evidenceByKind: Record<string, () => JsonObject> = {
    submit: () => definitionCredential(),
    activate: () => agreementCredential(),
    halt: () => forkAlarmCredential(),
    resume_from_halt: () => forkResolutionCredential(),
  };
  const signer = step.variant === 'outsider-signed' ? outsider : undefined;
  let evidence = evidenceByKind[kind] ? [evidenceByKind[kind]()] : [];
  let authorization: JsonObject | undefined = lifecycleAuthorization(state.lifecycle ?? 'DRAFT', to, at, signer);
  if (step.variant === 'tampered') {
    evidence = evidence.map(tamperSignature);
    authorization = tamperSignature(authorization);
  }
  if (step.variant === 'no-evidence') {
    evidence = [];
    authorization = undefined;
  }
  return { type: step.command, at, data: { corridor_id, evidence, ...(authorization ? { authorization } : {}) } } as CorridorCommand;
}

describe('corridor properties', () => {
  it('random command sequences only ever take edges of the governance file, never leave its states, and never make evolve throw', () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ command: fc.constantFrom(...COMMANDS), variant: fc.constantFrom(...VARIANTS) }),
      fc.record({ walk: fc.nat() }),
    );
    const reached = new Set<string | null>();
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 30 }), (steps) => {
        let state = corridorDecider.initialState();
        steps.forEach((s, i) => {
          let events;
          try {
            events = corridorDecider.decide(build(s, state, minute(i)), state);
          } catch (e) {
            if (e instanceof DomainError) return;
            throw e;
          }
          for (const event of events) {
            const data = event.data as { transition?: unknown; from_state?: string; to_state?: string };
            if (typeof data.transition === 'string') {
              expect(data.from_state).toBe(state.lifecycle);
              expect(file.transitions).toContainEqual({ kind: data.transition, from: data.from_state, to: data.to_state, ...pick(file, data) });
            }
            // Every event must be canonical JSON: it becomes a receipt payload.
            digestOf(event.data);
            state = corridorDecider.evolve(state, event);
            expect(file.states).toContain(state.lifecycle);
            reached.add(state.lifecycle);
          }
        });
        // A fork stays open only while halted, or for ever once a halted corridor is deprecated unresolved.
        if (state.lifecycle !== 'HALTED' && state.lifecycle !== 'DEPRECATED') expect(state.open_fork).toBeNull();
      }),
      { numRuns: 60 },
    );
    // The runs must have explored the whole lifecycle, or the property says little.
    expect([...reached].sort()).toEqual([...file.states].sort());
  });
});

/** The file's own edge record (with its description and evidence), for an exact containment check. */
function pick(doc: typeof file, data: { transition?: unknown; from_state?: string }): object {
  const edge = doc.transitions.find((t) => t.kind === data.transition && t.from === data.from_state);
  if (edge === undefined) return { missing: true };
  const { kind: _k, from: _f, to: _t, ...rest } = edge;
  return rest;
}
