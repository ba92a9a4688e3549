import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type RunningNode } from '../../apps/node/src/bootstrap';
import { loadConfig } from '../../apps/node/src/config/node-config';
import { apiClient, TEST_OPERATOR_TOKEN, withOperatorToken, type ApiFn, type Caller } from './api-client';

export type { ApiAnswer, ApiFn, Caller } from './api-client';
export { TEST_OPERATOR_TOKEN } from './api-client';

export interface TestNode extends RunningNode {
  dataDir: string;
  /** The operator token `api` sends (null: the node was started without one). */
  operatorToken: string | null;
  /** Calls the node as its operator; `headers.authorization` overrides (`''`: no credentials). */
  api: ApiFn;
  /** The same, as another principal: `node.as('anonymous')`, `node.as({ token })`, `node.as({ key })` (signed). */
  as(caller: Caller): { api: ApiFn };
}

/**
 * Starts a real node (embedded SQLite, HTTP on a free loopback port) in this process. It is configured with the
 * test operator token (added to any CORRIDOR_OPERATOR_TOKENS in `env`), which `api` sends; `operatorToken: null`
 * configures none (the node then generates its own, spec/security.md).
 */
export async function startTestNode(options: { dataDir?: string; jurisdiction?: string; env?: Record<string, string>; operatorToken?: string | null } = {}): Promise<TestNode> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'corridor-node-'));
  const operatorToken = options.operatorToken === undefined ? TEST_OPERATOR_TOKEN : options.operatorToken;
  const env = withOperatorToken(options.env ?? {}, operatorToken);
  const config = loadConfig({ CORRIDOR_DATA_DIR: dataDir, CORRIDOR_HTTP_PORT: '0', CORRIDOR_JURISDICTION: options.jurisdiction ?? 'PK', ...env });
  const node = await startNode(config, { logger: false });
  const base = () => node.url;
  return {
    ...node,
    dataDir,
    operatorToken,
    api: apiClient(base, 'operator', operatorToken),
    as: (caller: Caller) => ({ api: apiClient(base, caller, operatorToken) }),
  };
}
