import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net';
import { ManagedProcess, spawnManaged } from './process';
import { sleep, withTimeout } from './wait';

/** A Redis server for a test suite: a real redis-server on loopback, or the one named by REDIS_URL. */
export interface RedisServer {
  /** redis://host:port (with credentials/db when REDIS_URL carried them). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True when the server came from REDIS_URL: `stop()` then leaves it running. */
  readonly external: boolean;
  /** PID of the redis-server this helper started (undefined for an external server). */
  readonly pid: number | undefined;
  /** Stops a server this helper started and removes its working directory; a no-op for an external one. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Use REDIS_URL when it is set (default true). False always starts a local server. */
  useEnv?: boolean;
  /** The redis-server program (default "redis-server" from PATH). */
  command?: string;
  /** Extra command-line arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
  /** How long to wait for PING to answer (default 10 000 ms). */
  startTimeoutMs?: number;
}

const INSTALL_HINT = 'install it: apt-get install -y redis-server (or set REDIS_URL to an existing server)';

/**
 * Starts `redis-server` in the foreground as a child process on a free 127.0.0.1 port, with persistence off
 * and a fresh temporary working directory, and resolves once PING answers. With REDIS_URL set, checks that
 * server answers PING and returns it instead.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const envUrl = process.env.REDIS_URL;
  if ((options.useEnv ?? true) && envUrl) return useExternalRedis(envUrl);

  const command = options.command ?? 'redis-server';
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let lastFailure = '';
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'corridor-redis-'));
    const logFile = join(dir, 'redis.log');
    const logFd = openSync(logFile, 'a');
    const args = [
      '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir,
      '--daemonize', 'no', ...(options.args ?? []),
    ];
    let proc: ManagedProcess;
    try {
      proc = spawnManaged('redis-server', command, args, { stdio: ['ignore', logFd, logFd], guard: true });
    } finally {
      closeSync(logFd); // the child holds its own copy
    }
    const outcome = await waitUntilReady(proc, port, timeoutMs);
    if (outcome === 'ready') {
      let stopped = false;
      return {
        url: `redis://127.0.0.1:${port}`,
        host: '127.0.0.1',
        port,
        external: false,
        pid: proc.pid,
        async stop() {
          if (stopped) return;
          stopped = true;
          await proc.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await proc.stop();
    const log = readLog(logFile);
    rmSync(dir, { recursive: true, force: true });
    if (outcome === 'not-installed') {
      throw new Error(`Cannot start Redis: "${command}" was not found; ${INSTALL_HINT}`);
    }
    if (/address already in use/i.test(log)) {
      lastFailure = `port ${port} was taken before redis-server bound it`;
      continue; // freePort() race: try another port
    }
    throw new Error(
      outcome === 'timeout'
        ? `redis-server on 127.0.0.1:${port} did not answer PING within ${timeoutMs} ms. Log:\n${log}`
        : `redis-server exited before it was ready (${outcome}). Log:\n${log}`,
    );
  }
  throw new Error(`Could not start redis-server after 5 attempts: ${lastFailure}`);
}

async function waitUntilReady(proc: ManagedProcess, port: number, timeoutMs: number): Promise<'ready' | 'timeout' | 'not-installed' | string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = proc.exitStatus();
    if (status) {
      if (status.error?.code === 'ENOENT') return 'not-installed';
      if (status.error) return status.error.message;
      return `exit code ${status.code}${status.signal ? `, signal ${status.signal}` : ''}`;
    }
    try {
      await redisPing('127.0.0.1', port, {}, 500);
      return 'ready';
    } catch {
      await Promise.race([sleep(20), proc.exited]);
    }
  }
  return 'timeout';
}

async function useExternalRedis(envUrl: string): Promise<RedisServer> {
  let parsed: URL;
  try {
    parsed = new URL(envUrl);
  } catch {
    throw new Error(`REDIS_URL is not a URL: ${JSON.stringify(envUrl)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must use redis:// or rediss://, got ${JSON.stringify(envUrl)}`);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = parsed.port ? Number(parsed.port) : 6379;
  if (parsed.protocol === 'redis:') {
    const auth = parsed.password
      ? { username: decodeURIComponent(parsed.username) || undefined, password: decodeURIComponent(parsed.password) }
      : {};
    try {
      await redisPing(host, port, auth, 3000);
    } catch (err) {
      throw new Error(`REDIS_URL=${redact(parsed)} does not answer PING: ${(err as Error).message}`);
    }
  }
  return { url: envUrl, host, port, external: true, pid: undefined, stop: async () => undefined };
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

function resp(...parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
}

/**
 * One PING (after AUTH when credentials are given) over a plain TCP connection, speaking RESP directly so the
 * helper does not depend on a client library. Rejects on refusal, timeout, or any reply other than +PONG.
 */
export function redisPing(
  host: string,
  port: number,
  auth: { username?: string; password?: string } = {},
  timeoutMs = 1000,
): Promise<void> {
  const work = new Promise<void>((resolve, reject) => {
    const socket = createConnection({ host, port });
    const expected: string[] = [];
    let request = '';
    if (auth.password !== undefined) {
      request += auth.username ? resp('AUTH', auth.username, auth.password) : resp('AUTH', auth.password);
      expected.push('+OK');
    }
    request += resp('PING');
    expected.push('+PONG');
    let buffer = '';
    const finish = (err?: Error) => {
      socket.removeAllListeners('data');
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no reply within ${timeoutMs} ms`)));
    socket.on('error', (err) => finish(err));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const want = expected.shift();
        if (line !== want) return finish(new Error(`expected ${want}, got ${line}`));
        if (expected.length === 0) return finish();
      }
    });
  });
  return withTimeout(work, timeoutMs + 500, `PING to ${host}:${port}`);
}
