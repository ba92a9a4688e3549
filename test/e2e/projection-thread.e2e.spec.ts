import { isMainThread } from 'node:worker_threads';
import { EVENT_STORE, type EventStore, type GlobalPosition } from '@corridor/ledger';
import { ProjectionRuntime } from '../../apps/node/src/projections/projection-runtime';
import { ProjectionThread } from '../../apps/node/src/projections/projection-thread';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, type TestNode } from '../support/node-harness';

const PROJECTIONS = ['compliance_tensor', 'corridor_status', 'dispute_docket', 'migration_board', 'watcher_registry'];

/**
 * With the embedded SQLite ledger, the projections fold on a thread of their own that tails the ledger file; the
 * node's event loop keeps a mirror of their state (readiness, lag, status answers, waitFor) and reads the store.
 */
describe('projections on their own thread', () => {
  let node: TestNode | undefined;
  const ID = 'org.example.pk-ae.projection-thread';

  afterEach(async () => {
    await node?.close();
    node = undefined;
  });

  async function head(n: TestNode): Promise<GlobalPosition> {
    const all = await n.app.get<EventStore>(EVENT_STORE).readAll();
    return all[all.length - 1]!.position;
  }

  it('folds every command into the store, reports its state and lag, and resumes from its checkpoints after a restart', async () => {
    node = await startTestNode();
    const runtime = node.app.get(ProjectionRuntime);
    expect(isMainThread).toBe(true);
    expect(runtime.onOwnThread).toBe(true);
    expect(runtime.host).toBeInstanceOf(ProjectionThread);
    expect(runtime.status().map((p) => [p.projection, p.state]).sort()).toEqual(PROJECTIONS.map((p) => [p, 'running']));

    await activeCorridor(node, ID);
    for (let i = 0; i < 25; i++) {
      const r = await node.api('POST', `/corridors/${ID}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${i}`, amount: '10.00', currency: 'USD' } } });
      expect(r.status).toBe(201);
    }
    const h = await head(node);
    // waitFor settles on the thread's reports: every projection has committed the head.
    await runtime.host.waitFor(h);
    for (const p of runtime.host.projections) expect(p.position).toEqual(h);
    const corridor = (await runtime.queries.corridor(ID)).data;
    expect(corridor).toMatchObject({ corridor_id: ID, state: 'ACTIVE', receipt_count: 25, transitions_recorded: 25, head: { sequence: 24 } });

    const ready = await node.api('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.projections).toMatchObject({ status: 'up', lag: Object.fromEntries(PROJECTIONS.map((p) => [p, 0])) });
    const events = Object.fromEntries(runtime.host.projections.map((p) => [p.name, p.events]));

    // Restart on the same data: the projections start at their checkpoints, with nothing to fold again.
    const dataDir = node.dataDir;
    await node.close();
    node = await startTestNode({ dataDir });
    const again = node.app.get(ProjectionRuntime);
    expect(Object.fromEntries(again.host.projections.map((p) => [p.name, p.events]))).toEqual(events);
    for (const p of again.host.projections) expect(p.position).toEqual(h);
  }, 60_000);

  it('mirrors a projection stopped on the thread, and the thread ends with the node', async () => {
    node = await startTestNode();
    const runtime = node.app.get(ProjectionRuntime);
    const one = runtime.host.projection('migration_board');
    await one.stop();
    expect(one.state).toBe('stopped');
    await expect(one.done).resolves.toBeUndefined();
    expect(runtime.status().find((p) => p.projection === 'migration_board')?.state).toBe('stopped');
    expect(runtime.status().filter((p) => p.state === 'running')).toHaveLength(PROJECTIONS.length - 1);
    const thread = runtime.host as ProjectionThread;
    await node.close();
    node = undefined;
    // Closed: requests are refused instead of hanging.
    await expect(thread.rebuild(['corridor_status'])).rejects.toThrow(/projection thread/);
  }, 60_000);
});
