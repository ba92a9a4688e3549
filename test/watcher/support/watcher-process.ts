import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '../../support/infra';
import { spawnManaged, type ExitStatus, type ManagedProcess } from '../../support/infra/process';

/** Runs the watcher's TypeScript sources in a plain Node process, as jest does (SWC on load). */
const TS_REGISTER = resolve(__dirname, '..', '..', '..', 'libs', 'ledger', 'worker', 'ts-register.js');
const WATCHER_MAIN = resolve(__dirname, '..', '..', '..', 'apps', 'watcher', 'src', 'main.ts');

/** The watcher daemon as its own OS process: restartable on the same data folder and key. */
export interface WatcherProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly keyFile: string;
  /** The watcher's did:key (known once started). */
  did: string;
  output(): string;
  start(): Promise<void>;
  /** SIGTERM and wait (a clean stop); resolves with the exit status. */
  stop(): Promise<ExitStatus | undefined>;
  /** SIGKILL: no shutdown hook runs. */
  kill(): Promise<void>;
  health(): Promise<{ status: number; body: any }>;
}

export interface WatcherProcessOptions {
  nodes: string[];
  corridors: string[];
  dataDir?: string;
  env?: Record<string, string>;
}

export async function prepareWatcherProcess(options: WatcherProcessOptions): Promise<WatcherProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'corridor-watcher-'));
  const keyFile = join(dataDir, 'watcher.jwk');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: ManagedProcess | undefined;
  let out = '';
  const w: WatcherProcess = {
    url,
    dataDir,
    keyFile,
    did: '',
    output: () => out.slice(-20_000),
    async start() {
      proc = spawnManaged('watcher', process.execPath, ['-r', TS_REGISTER, WATCHER_MAIN], {
        env: {
          ...process.env,
          WATCHER_NODES: options.nodes.join(','),
          WATCHER_CORRIDORS: options.corridors.join(','),
          WATCHER_DATA_DIR: dataDir,
          WATCHER_KEY: keyFile,
          WATCHER_HTTP_PORT: String(port),
          WATCHER_MAX_BACKOFF_MS: '500',
          WATCHER_POLL_INTERVAL_MS: '300',
          ...(options.env ?? {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      proc.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      proc.child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const live = await waitFor(
        async () => {
          if (proc?.exitStatus() !== undefined) throw new Error(`the watcher exited: ${out}`);
          try {
            const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1000) });
            return res.ok ? ((await res.json()) as { watcher: string }) : null;
          } catch {
            return null;
          }
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'the watcher to start' },
      );
      w.did = live.watcher;
    },
    async stop() {
      return proc?.stop(10_000);
    },
    async kill() {
      if (!proc) return;
      proc.child.kill('SIGKILL');
      await proc.exited;
    },
    async health() {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: await res.json() };
    },
  };
  return w;
}
