import type { JsonObject } from '@corridor/protocol';
import { DomainError } from '../shared/domain-error';
import {
  CORRIDOR_ID,
  agreementCredential,
  definitionCredential,
  forkAlarmCredential,
  forkResolutionCredential,
  lifecycleAuthorization,
  minute,
  trustAnchorsDocument,
} from '../testing/corridor-fixtures';
import { LIFECYCLE_COMMAND_KINDS, type CorridorCommand, type LifecycleCommandType } from './commands';
import { corridorDecider } from './decider';
import { AUTHORIZATION_ROLES, EVIDENCE_CHECKS } from './evidence';
import { CORRIDOR_LIFECYCLE } from './governance';
import { loadLifecycle } from './lifecycle';
import type { CorridorState } from './state';

/** The governance file, read here independently of the code under test. */
const file = require('@corridor/governance/corridor.lifecycle.state-machine.json') as {
  states: string[];
  initial_state: string;
  terminal_states: string[];
  accepts_transitions_in: string[];
  transitions: { kind: string; from: string; to: string; requires_evidence_vc_types?: string[]; authorization?: string }[];
};

const COMMAND_OF_KIND = Object.fromEntries(Object.entries(LIFECYCLE_COMMAND_KINDS).map(([command, kind]) => [kind, command])) as Record<string, LifecycleCommandType>;

/** A command of `kind` against `state`, carrying the evidence and authorization the kind needs. */
function lifecycleCommand(kind: string, state: CorridorState, at: string): CorridorCommand {
  const edge = file.transitions.find((t) => t.kind === kind && t.from === state.lifecycle);
  const evidence: Record<string, JsonObject[]> = {
    submit: [definitionCredential()],
    activate: [agreementCredential()],
    halt: [forkAlarmCredential()],
    resume_from_halt: [forkResolutionCredential()],
  };
  return {
    type: COMMAND_OF_KIND[kind]!,
    at,
    data: {
      corridor_id: CORRIDOR_ID,
      evidence: evidence[kind] ?? [],
      authorization: lifecycleAuthorization(state.lifecycle!, edge?.to ?? 'DEPRECATED', at),
    },
  } as CorridorCommand;
}

/** Drives a fresh corridor into `target` along the file's own edges (breadth-first from the initial state). */
function corridorIn(target: string): CorridorState {
  const paths = new Map<string, string[]>([[file.initial_state, []]]);
  const queue = [file.initial_state];
  while (queue.length > 0) {
    const s = queue.shift()!;
    for (const t of file.transitions.filter((x) => x.from === s && !paths.has(x.to))) {
      paths.set(t.to, [...paths.get(s)!, t.kind]);
      queue.push(t.to);
    }
  }
  const path = paths.get(target);
  if (path === undefined) throw new Error(`${target} is unreachable in the governance file`);
  let state = corridorDecider.initialState();
  const apply = (command: CorridorCommand) => {
    for (const e of corridorDecider.decide(command, state)) state = corridorDecider.evolve(state, e);
  };
  apply({ type: 'CreateCorridor', at: minute(0), data: { corridor_id: CORRIDOR_ID, trust_anchors: trustAnchorsDocument() } });
  path.forEach((kind, i) => apply(lifecycleCommand(kind, state, minute(i + 1))));
  expect(state.lifecycle).toBe(target);
  return state;
}

describe('the corridor decider enforces exactly the governance lifecycle file', () => {
  it('loads the same states, initial state, terminal states and edges as the file lists', () => {
    expect(CORRIDOR_LIFECYCLE.states).toEqual(file.states);
    expect(CORRIDOR_LIFECYCLE.initialState).toBe(file.initial_state);
    expect(CORRIDOR_LIFECYCLE.terminalStates).toEqual(file.terminal_states);
    expect(CORRIDOR_LIFECYCLE.acceptsTransitionsIn).toEqual(file.accepts_transitions_in);
    expect(CORRIDOR_LIFECYCLE.rules.map((r) => ({ kind: r.kind, from: r.from, to: r.to, evidence: r.requiresEvidenceTypes, authorization: r.authorization }))).toEqual(
      file.transitions.map((t) => ({ kind: t.kind, from: t.from, to: t.to, evidence: t.requires_evidence_vc_types ?? [], authorization: t.authorization ?? null })),
    );
  });

  it('is the v2 lifecycle: six states, DRAFT initial, DEPRECATED terminal, nine transitions', () => {
    expect(file.states).toEqual(['DRAFT', 'PENDING', 'ACTIVE', 'HALTED', 'SUSPENDED', 'DEPRECATED']);
    expect(file.transitions.map((t) => `${t.from}→${t.to}`)).toEqual([
      'DRAFT→PENDING',
      'PENDING→ACTIVE',
      'ACTIVE→HALTED',
      'ACTIVE→SUSPENDED',
      'HALTED→ACTIVE',
      'SUSPENDED→ACTIVE',
      'ACTIVE→DEPRECATED',
      'HALTED→DEPRECATED',
      'SUSPENDED→DEPRECATED',
    ]);
  });

  it('creates corridors in the initial state of the file', () => {
    const [created] = corridorDecider.decide(
      { type: 'CreateCorridor', at: minute(0), data: { corridor_id: CORRIDOR_ID, trust_anchors: trustAnchorsDocument() } },
      corridorDecider.initialState(),
    );
    expect(created!.data).toMatchObject({ state: file.initial_state });
  });

  const pairs = file.states.flatMap((state) => Object.values(LIFECYCLE_COMMAND_KINDS).map((kind) => [state, kind] as const));

  it.each(pairs)('in %s, %s is allowed if and only if the file lists it, and lands where the file says', (stateName, kind) => {
    const state = corridorIn(stateName);
    const edge = file.transitions.find((t) => t.from === stateName && t.kind === kind);
    const command = lifecycleCommand(kind, state, minute(30));
    if (edge === undefined) {
      expect(() => corridorDecider.decide(command, state)).toThrow(expect.objectContaining({ problem: 'transition-not-allowed' }) as DomainError);
    } else {
      const events = corridorDecider.decide(command, state);
      const after = events.reduce(corridorDecider.evolve, state);
      expect(after.lifecycle).toBe(edge.to);
      expect(events.map((e) => e.data)).toEqual([expect.objectContaining({ transition: kind, from_state: edge.from, to_state: edge.to })]);
    }
  });

  it.each(file.states)('in %s, transitions are recorded if and only if the file accepts them there', (stateName) => {
    const state = corridorIn(stateName);
    const record = () =>
      corridorDecider.decide({ type: 'RecordCorridorTransition', at: minute(30), data: { corridor_id: CORRIDOR_ID, transition: { kind: 'trade.order.placed.v1', payload: {} } } }, state);
    if (file.accepts_transitions_in.includes(stateName)) expect(record()).toHaveLength(1);
    else expect(record).toThrow(expect.objectContaining({ problem: 'corridor-not-active' }) as DomainError);
  });
});

describe('loading a lifecycle file the code cannot enforce fails at start-up', () => {
  const can = { kinds: Object.values(LIFECYCLE_COMMAND_KINDS), evidenceTypes: Object.keys(EVIDENCE_CHECKS), authorizations: AUTHORIZATION_ROLES };
  const copy = () => JSON.parse(JSON.stringify(file)) as typeof file;

  it('loads the shipped file', () => {
    expect(() => loadLifecycle(copy(), can)).not.toThrow();
  });

  it.each<[string, (doc: ReturnType<typeof copy>) => void, RegExp]>([
    ['a kind without a command', (d) => d.transitions.push({ kind: 'merge', from: 'ACTIVE', to: 'DEPRECATED' }), /"merge" has no command/],
    ['a command without a kind', (d) => (d.transitions = d.transitions.filter((t) => t.kind !== 'halt')), /no transition of kind halt/],
    ['evidence the node cannot check', (d) => (d.transitions[0]!.requires_evidence_vc_types = ['MSEZLawpackCredential']), /cannot check/],
    ['an authorization role the node does not enforce', (d) => (d.transitions[3]!.authorization = 'regulator'), /"regulator" is not one this node enforces/],
    ['the same kind twice from one state', (d) => d.transitions.push({ ...d.transitions[0]! }), /submit from DRAFT is listed twice/],
    ['an edge out of a terminal state', (d) => d.transitions.push({ kind: 'submit', from: 'DEPRECATED', to: 'DRAFT' }), /DEPRECATED is terminal/],
    ['an edge to an unknown state', (d) => (d.transitions[0]!.to = 'LIVE'), /"LIVE" is not one of the states/],
    ['an initial state that is not a state', (d) => (d.initial_state = 'PROPOSED'), /initial_state "PROPOSED"/],
    ['a state listed twice', (d) => d.states.push('ACTIVE'), /states lists a name twice/],
  ])('refuses %s', (_what, mutate, message) => {
    const doc = copy();
    mutate(doc);
    expect(() => loadLifecycle(doc, can)).toThrow(message);
  });
});
