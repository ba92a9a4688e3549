/**
 * A domain event: a stable, versioned `type` (e.g. `corridor.submitted.v1`, never a class name, so renaming code
 * never renames history) and plain canonical-JSON `data` (strings, safe integers, booleans, null, arrays and
 * objects; never a fraction), because every event becomes the payload of a signed receipt.
 */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  readonly type: Type;
  readonly data: Data;
}

/**
 * A command. `at` is the time the node decided to act (UTC, whole seconds, `YYYY-MM-DDTHH:MM:SSZ`): deciders
 * never read a clock, so the same command on the same history always yields the same events.
 */
export interface DomainCommand<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly at: string;
  readonly data: Data;
}

/** Every aggregate state counts the events folded into it: the stream revision a command handler appends after. */
export interface Versioned {
  readonly version: number;
}

/**
 * The decider pattern (as in Emmett): `decide` turns a command and the current state into new events or throws a
 * `DomainError`; `evolve` folds one event into the state; both are pure.
 */
export interface Decider<C extends DomainCommand, E extends DomainEvent, S extends Versioned> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  initialState(): S;
}

/** One explicit handler per event type; the compiler refuses a missing one. */
export type EvolveHandlers<S, E extends DomainEvent> = {
  readonly [T in E['type']]: (state: S, event: Extract<E, { type: T }>) => S;
};

/**
 * Builds `evolve` from per-event handlers and counts the version. An event type without a handler is corruption
 * of the stream (or a newer writer), never something to skip silently: skipping would fork the state.
 */
export function evolveWith<S extends Versioned, E extends DomainEvent>(aggregate: string, handlers: EvolveHandlers<S, E>) {
  return (state: S, event: E): S => {
    if (!Object.prototype.hasOwnProperty.call(handlers, event.type)) {
      throw new Error(`${aggregate}: no evolve handler for event type ${JSON.stringify(event.type)}`);
    }
    const handler = handlers[event.type as E['type']] as (s: S, e: E) => S;
    return { ...handler(state, event), version: state.version + 1 };
  };
}

/** Folds a history into a state (rehydration). */
export function rehydrate<C extends DomainCommand, E extends DomainEvent, S extends Versioned>(
  decider: Decider<C, E, S>,
  events: readonly E[],
): S {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
