import { resolve } from 'node:path';

/** What the watcher daemon needs to run. `loadWatcherConfig` builds it from the environment. */
export interface WatcherConfig {
  /** JWK file of the watcher's Ed25519 key; generated (mode 0600) on first start when absent. */
  keyFile: string;
  /** Base URLs of the nodes to follow (no trailing slash). */
  nodes: string[];
  /** Corridor ids to follow on every node. */
  corridors: string[];
  /** Folder of the durable state (`watcher.sqlite`). */
  dataDir: string;
  /** Health endpoint: host and port (0 = any free port). */
  httpHost: string;
  httpPort: number;
  /** Cap of the exponential reconnect / retry back-off. */
  maxBackoffMs: number;
  /** First back-off step. */
  minBackoffMs: number;
  /** How often each subscription re-reads the corridor view (node head, checkpoint fallback, attestation retries). */
  pollIntervalMs: number;
  /** A stream that sends nothing (not even a keep-alive comment) for this long is closed and reopened. */
  streamIdleMs: number;
  /** Timeout of every request the watcher makes to a node. */
  requestTimeoutMs: number;
  /** Durable writes are batched: at most this many receipts, at most this long after the first unwritten one. */
  flushMaxReceipts: number;
  flushMaxDelayMs: number;
}

export class WatcherConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatcherConfigError';
  }
}

export const WATCHER_DEFAULTS = {
  httpHost: '127.0.0.1',
  httpPort: 8090,
  maxBackoffMs: 30_000,
  minBackoffMs: 100,
  pollIntervalMs: 5_000,
  streamIdleMs: 60_000,
  requestTimeoutMs: 10_000,
  flushMaxReceipts: 2_000,
  flushMaxDelayMs: 25,
} as const;

const CORRIDOR_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/**
 * Reads and validates the configuration from environment variables:
 * WATCHER_KEY, WATCHER_NODES, WATCHER_CORRIDORS, WATCHER_DATA_DIR, WATCHER_HTTP_HOST, WATCHER_HTTP_PORT,
 * WATCHER_MAX_BACKOFF_MS, WATCHER_POLL_INTERVAL_MS, WATCHER_STREAM_IDLE_MS, WATCHER_REQUEST_TIMEOUT_MS.
 * Every problem is reported at once, each naming its variable.
 */
export function loadWatcherConfig(env: Record<string, string | undefined> = process.env): WatcherConfig {
  const errors: string[] = [];
  const text = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = text(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      errors.push(`${name} must be a whole number in ${min}..${max}, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return Number(v);
  };

  const nodes: string[] = [];
  const rawNodes = text('WATCHER_NODES');
  if (rawNodes === undefined) errors.push('WATCHER_NODES is required: comma-separated node base URLs, e.g. http://127.0.0.1:8080');
  else {
    for (const item of rawNodes.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const url = normalizeNodeUrl(item);
      if (url === null) errors.push(`WATCHER_NODES: ${JSON.stringify(item)} is not an http(s) base URL`);
      else if (!nodes.includes(url)) nodes.push(url);
    }
    if (nodes.length === 0 && !errors.some((e) => e.startsWith('WATCHER_NODES'))) errors.push('WATCHER_NODES names no node');
  }

  const corridors: string[] = [];
  const rawCorridors = text('WATCHER_CORRIDORS');
  if (rawCorridors === undefined) errors.push('WATCHER_CORRIDORS is required: comma-separated corridor ids');
  else {
    for (const id of rawCorridors.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      if (!CORRIDOR_ID.test(id)) errors.push(`WATCHER_CORRIDORS: ${JSON.stringify(id)} is not a corridor id (letters, digits, . _ : -)`);
      else if (!corridors.includes(id)) corridors.push(id);
    }
    if (corridors.length === 0 && !errors.some((e) => e.startsWith('WATCHER_CORRIDORS'))) errors.push('WATCHER_CORRIDORS names no corridor');
  }

  const dataDir = resolve(text('WATCHER_DATA_DIR') ?? './watcher-data');
  const keyFile = resolve(text('WATCHER_KEY') ?? resolve(dataDir, 'watcher.jwk'));
  const httpHost = text('WATCHER_HTTP_HOST') ?? WATCHER_DEFAULTS.httpHost;
  const httpPort = int('WATCHER_HTTP_PORT', WATCHER_DEFAULTS.httpPort, 0, 65535);
  const maxBackoffMs = int('WATCHER_MAX_BACKOFF_MS', WATCHER_DEFAULTS.maxBackoffMs, 10, 3_600_000);
  const pollIntervalMs = int('WATCHER_POLL_INTERVAL_MS', WATCHER_DEFAULTS.pollIntervalMs, 50, 3_600_000);
  const streamIdleMs = int('WATCHER_STREAM_IDLE_MS', WATCHER_DEFAULTS.streamIdleMs, 100, 3_600_000);
  const requestTimeoutMs = int('WATCHER_REQUEST_TIMEOUT_MS', WATCHER_DEFAULTS.requestTimeoutMs, 100, 600_000);

  if (errors.length > 0) throw new WatcherConfigError(errors.join('; '));
  return {
    keyFile,
    nodes,
    corridors,
    dataDir,
    httpHost,
    httpPort,
    maxBackoffMs,
    minBackoffMs: Math.min(WATCHER_DEFAULTS.minBackoffMs, maxBackoffMs),
    pollIntervalMs,
    streamIdleMs,
    requestTimeoutMs,
    flushMaxReceipts: WATCHER_DEFAULTS.flushMaxReceipts,
    flushMaxDelayMs: WATCHER_DEFAULTS.flushMaxDelayMs,
  };
}

/** `http(s)://host[:port][/prefix]` without a trailing slash, query or fragment; null when not such a URL. */
export function normalizeNodeUrl(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return null;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** Fills in defaults for a configuration given in code (`startWatcher` from a test). */
export function completeWatcherConfig(partial: Partial<WatcherConfig> & Pick<WatcherConfig, 'nodes' | 'corridors' | 'dataDir'>): WatcherConfig {
  const nodes = partial.nodes.map((n) => {
    const u = normalizeNodeUrl(n);
    if (u === null) throw new WatcherConfigError(`nodes: ${JSON.stringify(n)} is not an http(s) base URL`);
    return u;
  });
  if (nodes.length === 0) throw new WatcherConfigError('nodes: at least one node is required');
  if (partial.corridors.length === 0) throw new WatcherConfigError('corridors: at least one corridor is required');
  for (const id of partial.corridors) if (!CORRIDOR_ID.test(id)) throw new WatcherConfigError(`corridors: ${JSON.stringify(id)} is not a corridor id`);
  const dataDir = resolve(partial.dataDir);
  const maxBackoffMs = partial.maxBackoffMs ?? WATCHER_DEFAULTS.maxBackoffMs;
  return {
    keyFile: resolve(partial.keyFile ?? resolve(dataDir, 'watcher.jwk')),
    nodes: [...new Set(nodes)],
    corridors: [...new Set(partial.corridors)],
    dataDir,
    httpHost: partial.httpHost ?? WATCHER_DEFAULTS.httpHost,
    httpPort: partial.httpPort ?? 0,
    maxBackoffMs,
    minBackoffMs: Math.min(partial.minBackoffMs ?? WATCHER_DEFAULTS.minBackoffMs, maxBackoffMs),
    pollIntervalMs: partial.pollIntervalMs ?? WATCHER_DEFAULTS.pollIntervalMs,
    streamIdleMs: partial.streamIdleMs ?? WATCHER_DEFAULTS.streamIdleMs,
    requestTimeoutMs: partial.requestTimeoutMs ?? WATCHER_DEFAULTS.requestTimeoutMs,
    flushMaxReceipts: partial.flushMaxReceipts ?? WATCHER_DEFAULTS.flushMaxReceipts,
    flushMaxDelayMs: partial.flushMaxDelayMs ?? WATCHER_DEFAULTS.flushMaxDelayMs,
  };
}
