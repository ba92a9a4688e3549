/**
 * The corridor lifecycle, read from governance data (`@corridor/governance/corridor.lifecycle.state-machine.json`)
 * and checked against what this code can enforce. Nothing about states or edges is written in code: the decider
 * asks this table, so the file is the single source of truth.
 */

export interface LifecycleRule {
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly requiresEvidenceTypes: readonly string[];
  /** Role of the trust anchor that must sign the lifecycle-transition credential, or null. */
  readonly authorization: string | null;
}

export interface LifecycleTable {
  readonly states: readonly string[];
  readonly initialState: string;
  readonly terminalStates: readonly string[];
  readonly acceptsTransitionsIn: readonly string[];
  readonly rules: readonly LifecycleRule[];
  /** The rule for taking `kind` out of `from`, if the file lists one. */
  ruleFor(from: string, kind: string): LifecycleRule | undefined;
  /** The states `kind` may be taken from (for refusal messages). */
  fromStatesOf(kind: string): string[];
}

/** What the code knows how to enforce; a file asking for anything else is refused at load. */
export interface LifecycleCapabilities {
  readonly kinds: readonly string[];
  readonly evidenceTypes: readonly string[];
  readonly authorizations: readonly string[];
}

/** Validates a lifecycle document and builds the table; throws an Error naming the first problem. */
export function loadLifecycle(doc: unknown, can: LifecycleCapabilities): LifecycleTable {
  const bad = (why: string): never => {
    throw new Error(`corridor lifecycle governance file: ${why}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return bad('must be a JSON object');
  const d = doc as Record<string, unknown>;
  const names = (v: unknown, field: string): string[] => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) return bad(`${field} must be a list of names`);
    if (new Set(v).size !== v.length) return bad(`${field} lists a name twice`);
    return v as string[];
  };
  const states = names(d.states, 'states');
  if (states.length === 0) bad('states is empty');
  const known = (s: unknown, field: string): string => {
    if (typeof s !== 'string' || !states.includes(s)) return bad(`${field} ${JSON.stringify(s)} is not one of the states`);
    return s;
  };
  const initialState = known(d.initial_state, 'initial_state');
  const terminalStates = names(d.terminal_states, 'terminal_states').map((s) => known(s, 'terminal state'));
  const acceptsTransitionsIn = names(d.accepts_transitions_in, 'accepts_transitions_in').map((s) => known(s, 'accepts_transitions_in'));
  if (!Array.isArray(d.transitions)) return bad('transitions must be a list');

  const rules: LifecycleRule[] = d.transitions.map((t: unknown, i: number) => {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) return bad(`transitions[${i}] must be an object`);
    const r = t as Record<string, unknown>;
    if (typeof r.kind !== 'string' || !can.kinds.includes(r.kind)) {
      return bad(`transitions[${i}].kind ${JSON.stringify(r.kind)} has no command in this node (known: ${can.kinds.join(', ')})`);
    }
    const evidence = names(r.requires_evidence_vc_types ?? [], `transitions[${i}].requires_evidence_vc_types`);
    for (const type of evidence) {
      if (!can.evidenceTypes.includes(type)) bad(`transitions[${i}] requires evidence ${type}, which this node cannot check`);
    }
    const authorization = r.authorization ?? null;
    if (authorization !== null && (typeof authorization !== 'string' || !can.authorizations.includes(authorization))) {
      bad(`transitions[${i}].authorization ${JSON.stringify(authorization)} is not one this node enforces (${can.authorizations.join(', ')})`);
    }
    return {
      kind: r.kind,
      from: known(r.from, `transitions[${i}].from`),
      to: known(r.to, `transitions[${i}].to`),
      requiresEvidenceTypes: evidence,
      authorization: authorization as string | null,
    };
  });

  const seen = new Set<string>();
  for (const r of rules) {
    const key = `${r.from}\u0000${r.kind}`;
    if (seen.has(key)) bad(`${r.kind} from ${r.from} is listed twice`);
    seen.add(key);
    if (terminalStates.includes(r.from)) bad(`${r.from} is terminal but has the outgoing transition ${r.kind}`);
  }
  for (const kind of can.kinds) {
    if (!rules.some((r) => r.kind === kind)) bad(`no transition of kind ${kind}, which this node has a command for`);
  }

  return {
    states,
    initialState,
    terminalStates,
    acceptsTransitionsIn,
    rules,
    ruleFor: (from, kind) => rules.find((r) => r.from === from && r.kind === kind),
    fromStatesOf: (kind) => rules.filter((r) => r.kind === kind).map((r) => r.from),
  };
}
