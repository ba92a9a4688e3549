import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { Ed25519KeyPair } from '@corridor/protocol';
import { freePort, waitFor } from './infra';
import { spawnManaged, type ManagedProcess } from './infra/process';
import { apiClient, TEST_OPERATOR_TOKEN, withOperatorToken, type ApiFn, type Caller } from './api-client';

/** Runs the node's TypeScript sources in a plain Node process, as jest does (SWC on load). */
const TS_REGISTER = resolve(__dirname, '..', '..', 'libs', 'ledger', 'worker', 'ts-register.js');
const NODE_MAIN = resolve(__dirname, '..', '..', 'apps', 'node', 'src', 'main.ts');

/** A node running as its own OS process (its own SQLite files and key), restartable on the same data. */
export interface NodeProcess {
  readonly jurisdiction: string;
  readonly key: Ed25519KeyPair;
  readonly did: string;
  readonly url: string;
  readonly dataDir: string;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** The operator token `api` sends (configured in CORRIDOR_OPERATOR_TOKENS; null: none configured). */
  readonly operatorToken: string | null;
  /** Calls the node as its operator; `headers.authorization` overrides (`''`: no credentials). */
  api: ApiFn;
  /** The same as another principal: `as('anonymous')`, `as({ token })`, `as({ key })` (requests signed with the key). */
  as(caller: Caller): { api: ApiFn };
  start(extraEnv?: Record<string, string>): Promise<void>;
  /** SIGKILL: no shutdown hook runs. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  running(): boolean;
}

export interface NodeProcessOptions {
  jurisdiction: string;
  /** Key seed (tests are reproducible). */
  seed: string;
  env?: Record<string, string>;
  /** The operator token configured and sent by `api` (default: the test operator token; null: none). */
  operatorToken?: string | null;
}

/**
 * Prepares a node process: a data folder with the node's key file, and a fixed loopback port, so that its did and
 * URL are known before it starts (its peers are configured with both).
 */
export async function prepareNodeProcess(options: NodeProcessOptions): Promise<NodeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `corridor-${options.jurisdiction.toLowerCase()}-`));
  const key = Ed25519KeyPair.fromSeed(createHash('sha256').update(options.seed).digest(), `${options.jurisdiction.toLowerCase()}-node`);
  mkdirSync(dataDir, { recursive: true });
  const keyFile = join(dataDir, 'node.jwk');
  writeFileSync(keyFile, JSON.stringify(key.toJwk({ includePrivate: true })), { mode: 0o600 });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: ManagedProcess | undefined;
  let out = '';
  let lastEnv: Record<string, string> = {};

  const operatorToken = options.operatorToken === undefined ? TEST_OPERATOR_TOKEN : options.operatorToken;
  const api = apiClient(() => url, 'operator', operatorToken, { timeoutMs: 30_000 });

  const node: NodeProcess = {
    jurisdiction: options.jurisdiction,
    key,
    did: key.did,
    url,
    dataDir,
    output: () => out.slice(-20_000),
    operatorToken,
    api,
    as: (caller: Caller) => ({ api: apiClient(() => url, caller, operatorToken, { timeoutMs: 30_000 }) }),
    running: () => proc !== undefined && proc.exitStatus() === undefined,
    /** Starts the process; `extraEnv` is kept for restarts that give none. */
    async start(extraEnv?: Record<string, string>) {
      if (node.running()) throw new Error(`node ${options.jurisdiction} is already running`);
      if (extraEnv) lastEnv = extraEnv;
      proc = spawnManaged(`node-${options.jurisdiction}`, process.execPath, ['-r', TS_REGISTER, NODE_MAIN], {
        env: {
          ...process.env,
          CORRIDOR_JURISDICTION: options.jurisdiction,
          CORRIDOR_DATA_DIR: dataDir,
          CORRIDOR_NODE_KEY: keyFile,
          CORRIDOR_HTTP_HOST: '127.0.0.1',
          CORRIDOR_HTTP_PORT: String(port),
          ...withOperatorToken({ ...(options.env ?? {}), ...lastEnv }, operatorToken),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      proc.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      proc.child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(
        async () => {
          if (!node.running()) throw new Error(`node ${options.jurisdiction} exited: ${out}`);
          try {
            return (await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1000) })).ok;
          } catch {
            return false;
          }
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `node ${options.jurisdiction} to start` },
      );
    },
    async kill() {
      if (!proc) return;
      proc.child.kill('SIGKILL');
      await proc.exited;
    },
    async stop() {
      if (!proc) return;
      await proc.stop(10_000);
    },
  };
  return node;
}

/** The two nodes' peer settings: each knows the other's did and URL. */
export function peerEnv(self: NodeProcess, others: NodeProcess[]): Record<string, string> {
  return { CORRIDOR_PEERS: others.filter((o) => o !== self).map((o) => `${o.did}=${o.url}`).join(',') };
}
