import fc from 'fast-check';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import { activeCorridor, type ExampleCorridor } from '../support/example-corridor';
import { startTestNode, type TestNode } from '../support/node-harness';

/**
 * Random and hostile bodies against every mutating endpoint the node documents in its OpenAPI: wrong types,
 * floats, huge strings, deep nesting, unknown fields, tampered credentials. The node must never answer 5xx,
 * never crash, and must store nothing for a refused request.
 */
const RUNS_PER_ENDPOINT = Number(process.env.HOSTILE_RUNS ?? 0) || undefined;
const TOTAL_RUNS = 5000;

describe('hostile request bodies', () => {
  let node: TestNode;
  let corridor: ExampleCorridor;
  let store: EventStore;
  const ID = 'org.example.pk-ae.hostile';

  beforeAll(async () => {
    node = await startTestNode();
    store = node.app.get<EventStore>(EVENT_STORE);
    corridor = await activeCorridor(node, ID);
  });
  afterAll(async () => node?.close());

  async function eventCount(): Promise<number> {
    return (await store.readAll()).length;
  }

  it(`never answers 5xx and stores nothing when it refuses (${TOTAL_RUNS} requests over all mutating endpoints)`, async () => {
    const doc = (await node.api('GET', '/docs/openapi.json')).body;
    const endpoints: string[] = Object.entries<any>(doc.paths)
      .filter(([, ops]) => ops.post || ops.put || ops.patch)
      .map(([path]) => path);
    expect(endpoints.length).toBeGreaterThanOrEqual(9);
    const runs = RUNS_PER_ENDPOINT ?? Math.ceil(TOTAL_RUNS / endpoints.length);

    const tampered = { ...corridor.definition, issuanceDate: '2031-01-01T00:00:00Z' };
    const credentialish = fc.constantFrom<unknown>(corridor.definition, tampered, corridor.agreements[0], { ...corridor.agreements[1], proof: { type: 'MsezEd25519Signature2025', jws: 'AAAA' } });
    const leaf = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant('1e308'),
      credentialish,
      fc.array(credentialish, { maxLength: 3 }),
    );
    const fieldNames = fc.constantFrom('corridor_id', 'trust_anchors', 'evidence', 'authorization', 'transition', 'kind', 'payload', 'amount', 'currency', 'deadline', '__proto__', 'constructor', 'extra');
    const object = fc.dictionary(fieldNames, fc.oneof(leaf, fc.dictionary(fieldNames, leaf, { maxKeys: 4 })), { maxKeys: 5 });
    const bodyText = fc.oneof(
      object.map((o) => JSON.stringify(o)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      object.map((o) => JSON.stringify(o).replace(/\d+/, '1.5')), // a float somewhere
      fc.integer({ min: 600, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n)), // deep nesting
      fc.constant(JSON.stringify({ corridor_id: 'x'.repeat(400_000) })), // beyond the body limit
      fc.string({ maxLength: 200 }), // not JSON at all
    );
    const target = fc.constantFrom(ID, 'no.such.corridor', 'did:key:z6MkNOPE', '%2e%2e', 'a'.repeat(300));

    let before = await eventCount();
    for (const template of endpoints) {
      await fc.assert(
        fc.asyncProperty(bodyText, target, async (text, id) => {
          const path = template.replace(/\{[^}]+\}/g, encodeURIComponent(id));
          const r = await node.api('POST', path, text);
          expect({ path, status: r.status, body: r.text.slice(0, 300) }).toEqual({ path, status: expect.any(Number), body: expect.any(String) });
          if (r.status >= 500) throw new Error(`${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
          const after = await eventCount();
          if (r.status >= 400) {
            expect(r.headers.get('content-type')).toContain('application/problem+json');
            expect(r.body.type).toMatch(/^https:\/\/corridor-ledger\.dev\/problems\/[a-z0-9-]+$/);
            if (after !== before) throw new Error(`${path} refused with ${r.status} but stored ${after - before} event(s)`);
          }
          before = after;
        }),
        { numRuns: runs, endOnFailure: true },
      );
    }
    // The node is still healthy and its corridor intact.
    expect((await node.api('GET', '/health/ready')).status).toBe(200);
    expect((await node.api('GET', `/corridors/${ID}`)).body.state).toEqual(expect.any(String));
  }, 300_000);
});
