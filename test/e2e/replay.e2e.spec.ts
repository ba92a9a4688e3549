import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli-harness';
import { startRedis, type RedisServer } from '../support/infra';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, type TestNode } from '../support/node-harness';
import { accessEnv, bearer, eventually, recordAttestations, TOKENS, projectionsCaughtUp } from './regulator-fixture';

const HEX64 = /^[0-9a-f]{64}$/;
const PROJECTIONS = ['compliance_tensor', 'corridor_status', 'dispute_docket', 'migration_board', 'watcher_registry'];

describe('auditor replay: rebuilt projections equal the live ones', () => {
  let node: TestNode;
  const id = 'org.example.pk-ae.replay';
  const adm = bearer(TOKENS.admin);
  const reg = bearer(TOKENS.regulator);

  beforeAll(async () => {
    node = await startTestNode({ env: accessEnv() });
    await activeCorridor(node, id);
    await recordAttestations(node, id, 'entity:replay-co');
    await recordAttestations(node, id, 'entity:second-co');
  });
  afterAll(async () => node?.close());

  it('rebuilds the tensor side by side via the admin endpoint and swaps, with the same commitment', async () => {
    await projectionsCaughtUp(node, reg);
    const live = await eventually(
      () => node.api('GET', '/regulator/tensor/commitment', undefined, reg),
      (r) => r.status === 200 && r.body.cell_count === 6,
    );
    expect(live.body.generation).toBe(1);

    expect((await node.api('POST', '/admin/projections/compliance_tensor/rebuild', undefined, { authorization: '' })).status).toBe(401);
    expect((await node.api('POST', '/admin/projections/compliance_tensor/rebuild', undefined, reg)).status).toBe(403);
    expect((await node.api('POST', '/admin/projections/nope/rebuild', undefined, adm)).status).toBe(404);

    const rebuilt = await node.api('POST', '/admin/projections/compliance_tensor/rebuild', undefined, adm);
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.body.tensor.equal).toBe(true);
    expect(rebuilt.body.tensor.previous.commitment).toBe(live.body.commitment);
    expect(rebuilt.body.tensor.rebuilt.commitment).toBe(live.body.commitment);
    expect(rebuilt.body.projections).toHaveLength(1);
    expect(rebuilt.body.projections[0]).toMatchObject({ projection: 'compliance_tensor', previous: { generation: 1 }, rebuilt: { generation: 2 } });

    // Readers now read the rebuilt generation, with the same commitment.
    const after = await node.api('GET', '/regulator/tensor/commitment', undefined, reg);
    expect(after.body).toMatchObject({ generation: 2, commitment: live.body.commitment, cell_count: 6 });

    // The rebuilt projection keeps folding live events.
    await node.api('POST', `/corridors/${id}/transitions`, {
      transition: { kind: 'compliance.attestation.issued.v1', payload: { subject: 'entity:third-co', jurisdiction: 'PK', domain: 'tax', state: 'exempt', issuer_did: 'did:example:fbr' } },
    });
    const grown = await eventually(
      () => node.api('GET', '/regulator/tensor/commitment', undefined, reg),
      (r) => r.body.cell_count === 7,
    );
    expect(grown.body.generation).toBe(2);
    expect(grown.body.commitment).not.toBe(live.body.commitment);

    // Every projection at once.
    const all = await node.api('POST', '/admin/projections/all/rebuild', undefined, adm);
    expect(all.status).toBe(200);
    expect(all.body.projections.map((p: any) => p.projection).sort()).toEqual(PROJECTIONS);
    expect(all.body.tensor.equal).toBe(true);
    expect(all.body.tensor.rebuilt.commitment).toBe(grown.body.commitment);
    const corridor = await node.api('GET', `/regulator/corridors/${id}`, undefined, reg);
    expect(corridor.body.data.receipt_count).toBe(9);
    expect(corridor.body.read.generation).toBe(2);

    // Rebuilds are on the audit trail with the operator's name.
    const trail = await node.api('GET', '/audit/trail?principal=ops', undefined, bearer(TOKENS.auditor));
    expect(trail.body.items.filter((e: any) => e.method === 'POST' && e.status === 200).map((e: any) => e.path)).toEqual(['/admin/projections/compliance_tensor/rebuild', '/admin/projections/all/rebuild']);
  });

  it('`corridor replay` rebuilds every projection offline from the ledger and matches the live commitment', async () => {
    const live = (await node.api('GET', '/regulator/tensor/commitment', undefined, reg)).body;
    const corridors = (await node.api('GET', '/regulator/corridors', undefined, reg)).body;
    await node.close();

    const run = await runCli(['replay', '--data', node.dataDir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.json();
    expect(out.matches).toBe(true);
    expect(out.tensor.commitment).toMatch(HEX64);
    expect(out.tensor.commitment).toBe(live.commitment);
    expect(out.tensor.cell_count).toBe(7);
    expect(out.live.commitment).toBe(live.commitment);
    expect(out.projections.map((p: any) => p.projection).sort()).toEqual(PROJECTIONS);
    const status = out.projections.find((p: any) => p.projection === 'corridor_status');
    expect(status.rows.corridors).toBe(corridors.data.items.length);
    const tensor = out.projections.find((p: any) => p.projection === 'compliance_tensor');
    expect(tensor.rows.cells).toBe(7);
    expect(tensor.meta.commitment).toBe(live.commitment);

    // Restart the node on the same data: it resumes, and the replay still agrees.
    node = await startTestNode({ dataDir: node.dataDir, env: accessEnv() });
    const resumed = await node.api('GET', '/regulator/tensor/commitment', undefined, reg);
    expect(resumed.body.commitment).toBe(live.commitment);

    const missing = await runCli(['replay', '--data', `${node.dataDir}-missing`]);
    expect(missing.code).toBe(2);
    expect(missing.problem().type).toContain('not-found');
  });
});

describe('projections in Redis (scaled read side)', () => {
  let redis: RedisServer;
  let node: TestNode;
  const id = 'org.example.pk-ae.redis';
  const reg = bearer(TOKENS.regulator);
  const prefix = `test:${process.pid}:${Date.now()}`;
  const redisEnv = () => ({ ...accessEnv(), CORRIDOR_PROJECTION_STORE: 'redis', REDIS_URL: redis.url, CORRIDOR_REDIS_PREFIX: prefix });

  beforeAll(async () => {
    redis = await startRedis();
    node = await startTestNode({ env: redisEnv() });
    await activeCorridor(node, id);
    await recordAttestations(node, id, 'entity:redis-co');
  }, 60_000);
  afterAll(async () => {
    await node?.close();
    await redis?.stop();
  });

  it('serves the regulator API from Redis; rebuild and offline replay give the same commitment', async () => {
    await projectionsCaughtUp(node, reg);
    const live = await eventually(
      () => node.api('GET', '/regulator/tensor/commitment', undefined, reg),
      (r) => r.status === 200 && r.body.cell_count === 3,
    );
    expect((await node.api('GET', '/regulator/projections', undefined, reg)).body.backend).toBe('redis');
    expect(existsSync(join(node.dataDir, 'projections.sqlite'))).toBe(false);
    const rebuilt = await node.api('POST', '/admin/projections/all/rebuild', undefined, bearer(TOKENS.admin));
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.body.tensor).toMatchObject({ equal: true, rebuilt: { commitment: live.body.commitment, generation: 2 } });
    await node.close();
    const run = await runCli(['replay', '--data', node.dataDir]);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ tensor: { commitment: live.body.commitment, cell_count: 3 }, live: null, matches: null });
    // A restarted node resumes from the Redis checkpoints.
    node = await startTestNode({ dataDir: node.dataDir, env: redisEnv() });
    expect((await node.api('GET', '/regulator/tensor/commitment', undefined, reg)).body).toMatchObject({ commitment: live.body.commitment, generation: 2 });
  }, 60_000);
});
