import assert from 'node:assert/strict';
import type { Decider, DomainCommand, DomainEvent, Versioned } from '../shared/decider';
import { DomainError, type DomainProblem } from '../shared/domain-error';

/** The expected refusal of a command: its problem slug and, optionally, what its reason must say. */
export interface Refusal {
  readonly refused: DomainProblem;
  readonly reason?: RegExp | string;
}

export function refused(problem: DomainProblem, reason?: RegExp | string): Refusal {
  return reason === undefined ? { refused: problem } : { refused: problem, reason };
}

function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'refused' in x;
}

/**
 * Given/when/then over a decider, so a spec reads like the specification:
 *
 *   given([created, submitted]).when(activate).then([activated])
 *   given([created]).when(halt).then(refused('transition-not-allowed', /DRAFT/))
 *
 * `then` also folds the history and the new events through `evolve`, so an event the decider emits but `evolve`
 * cannot apply fails the spec. It returns the state after the new events for further assertions.
 */
export function specFor<C extends DomainCommand, E extends DomainEvent, S extends Versioned>(decider: Decider<C, E, S>) {
  return {
    given(history: readonly E[]) {
      const before = history.reduce((s, e) => decider.evolve(s, e), decider.initialState());
      assert.equal(before.version, history.length, 'version must count the events of the history');
      return {
        when(command: C) {
          return {
            then(expected: readonly E[] | Refusal): S {
              let emitted: E[];
              try {
                emitted = decider.decide(command, before);
              } catch (e) {
                if (!(e instanceof DomainError)) throw e;
                if (!isRefusal(expected)) assert.fail(`expected events, but ${command.type} was refused: ${e.message}`);
                assert.equal(e.problem, expected.refused, `refusal reason was: ${e.reason}`);
                if (typeof expected.reason === 'string') assert.ok(e.reason.includes(expected.reason), `reason "${e.reason}" does not mention "${expected.reason}"`);
                else if (expected.reason !== undefined) assert.match(e.reason, expected.reason);
                return before;
              }
              if (isRefusal(expected)) {
                assert.fail(`expected refusal ${expected.refused}, but ${command.type} emitted ${emitted.map((e) => e.type).join(', ') || 'nothing'}`);
              }
              assert.deepStrictEqual(emitted, expected);
              const after = emitted.reduce((s, e) => decider.evolve(s, e), before);
              assert.equal(after.version, history.length + emitted.length);
              return after;
            },
          };
        },
      };
    },
  };
}
