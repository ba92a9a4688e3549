import fc from 'fast-check';
import { canonicalize, type JsonObject } from '@corridor/protocol';
import { canonicalJson } from '../http/canonical-json';
import { commandAnswer } from './command-outcome.dto';
import type { OutcomeReceipt } from './aggregate-store';

const outcomeOf = (aggregate: string, id: string, receipts: OutcomeReceipt[]) => ({ aggregate, id, receipts, view: { state: null, revisions: {} } });

describe('commandAnswer', () => {
  it('answers byte for byte what canonicalize makes of it, from the receipts as stored', () => {
    const value = fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer(), fc.bigInt(), fc.boolean(), fc.constant(null), fc.array(fc.string({ unit: 'grapheme' })));
    const receipt = fc.dictionary(fc.string({ unit: 'grapheme' }), fc.oneof(value, fc.dictionary(fc.string(), value)), { maxKeys: 8 }) as fc.Arbitrary<JsonObject>;
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), fc.array(fc.tuple(fc.string(), receipt), { maxLength: 4 }), (aggregate, id, list) => {
        const receipts = list.map(([stream, r]) => ({ stream, receipt: r, text: canonicalize(r) }));
        const answer = commandAnswer(outcomeOf(aggregate, id, receipts));
        const expected = canonicalize({ aggregate, id, receipts: list.map(([stream, r]) => ({ stream, receipt: r })) });
        expect(canonicalJson(answer)).toBe(expected);
        expect(canonicalize(answer)).toBe(expected);
      }),
    );
  });

  it('is frozen with its text, and serialised afresh when a receipt text is unknown or for a copy', () => {
    const receipt = { sequence: 0, z: 'b', a: 'a' };
    const answer = commandAnswer(outcomeOf('corridor', 'x', [{ stream: 's', receipt, text: canonicalize(receipt) }]));
    expect(Object.isFrozen(answer) && Object.isFrozen(answer.receipts) && Object.isFrozen(answer.receipts[0])).toBe(true);
    const unknown = commandAnswer(outcomeOf('corridor', 'x', [{ stream: 's', receipt }]));
    expect(canonicalJson(unknown)).toBe(canonicalJson(answer));
    expect(canonicalJson({ ...answer, id: 'y' })).toBe(canonicalize({ aggregate: 'corridor', id: 'y', receipts: [{ stream: 's', receipt }] }));
  });
});
