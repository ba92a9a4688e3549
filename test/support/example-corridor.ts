import { buildExampleCorridor, type ExampleCorridor } from '../../apps/cli/src/example-corridor';
import type { TestNode } from './node-harness';

export { buildExampleCorridor, type ExampleCorridor };

/** Creates, submits and activates an example corridor on a node; returns the package used. */
export async function activeCorridor(node: TestNode, corridorId: string, seed = corridorId): Promise<ExampleCorridor> {
  const c = buildExampleCorridor({ corridorId, seed, issuedAt: '2026-01-01T00:00:00Z' });
  for (const [path, body] of [
    ['/corridors', c.requests.create],
    [`/corridors/${corridorId}/submit`, c.requests.submit],
    [`/corridors/${corridorId}/activate`, c.requests.activate],
  ] as const) {
    const r = await node.api('POST', path, body);
    if (r.status !== 201) throw new Error(`${path} answered ${r.status}: ${r.text}`);
  }
  return c;
}
