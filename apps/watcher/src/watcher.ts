import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { completeWatcherConfig, type WatcherConfig } from './config';
import { CorridorWatch, type AlarmSummary, type WatcherContext } from './corridor-watch';
import { loadOrCreateWatcherKey } from './key';
import { stdoutLogger, type WatcherLogger } from './log';
import { NodeClient } from './net/node-client';
import { WatcherStore } from './store';
import { Subscription, type NodeHandle, type SubscriptionState } from './subscription';

export interface SubscriptionHealth {
  node: string;
  corridor: string;
  state: SubscriptionState;
  connected: boolean;
  /** Sequence of the last receipt verified from this node (-1: none). */
  verified_head: number;
  /** The node's head as last seen (corridor view, stream, checkpoints); null when unknown. */
  node_head: number | null;
  /** node_head − verified_head (null when the node's head is unknown). */
  lag: number | null;
  last_attested_size: number;
  alarms: number;
  problem: string | null;
}

export interface CorridorHealth {
  corridor: string;
  genesis_root: string | null;
  signers: { sequencer: string; signers: string[]; peered: boolean } | null;
  last_attested: { size: number; mmr_root: string; final_state_root: string; checkpoint_digest: string; at: string } | null;
  /** The last attestation's delivery to each node; `quorum` is what the node answered when it accepted it. */
  deliveries: { node: string; size: number; status: string; detail: string | null; quorum: unknown }[];
  alarms: AlarmSummary[];
}

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  watcher: string;
  subscriptions: SubscriptionHealth[];
  corridors: CorridorHealth[];
}

export interface RunningWatcher {
  /** The watcher's did:key (issuer of its attestations and alarms). */
  readonly did: string;
  /** Base URL of the health endpoint. */
  readonly url: string;
  readonly port: number;
  readonly config: WatcherConfig;
  health(): HealthReport;
  /** Writes the staged receipts and cursors now. */
  flush(): void;
  close(): Promise<void>;
}

export interface StartWatcherOptions {
  log?: WatcherLogger;
}

export type WatcherConfigInput = Partial<WatcherConfig> & Pick<WatcherConfig, 'nodes' | 'corridors' | 'dataDir'>;

/**
 * Starts a watcher: opens (or creates) its key and durable state, follows every (node, corridor) pair, and serves
 * `GET /health` and `GET /health/live`. Resolves once the health endpoint listens.
 */
export async function startWatcher(input: WatcherConfigInput, options: StartWatcherOptions = {}): Promise<RunningWatcher> {
  const config = completeWatcherConfig(input);
  const log = options.log ?? stdoutLogger;
  const { key, created } = loadOrCreateWatcherKey(config.keyFile);
  const store = new WatcherStore(config.dataDir);
  const known = store.meta('watcher_did');
  if (known !== undefined && known !== key.did) {
    store.close();
    throw new Error(`the data folder belongs to watcher ${known}, but the key is ${key.did}: attestations made with another key would not be this watcher's`);
  }
  if (known === undefined) store.setMeta('watcher_did', key.did);

  let flushTimer: NodeJS.Timeout | null = null;
  let stagedCount = 0;
  const flush = () => {
    if (flushTimer) {
      clearTimeout(flushTimer);
      flushTimer = null;
    }
    stagedCount = 0;
    store.flush();
  };
  const nodes = new Map<string, NodeHandle>(config.nodes.map((url) => [url, { url, client: new NodeClient(url, config.requestTimeoutMs, key), did: null }]));
  const ctx: WatcherContext = {
    config,
    store,
    key,
    did: key.did,
    nodes,
    log,
    staged() {
      stagedCount += 1;
      if (stagedCount >= config.flushMaxReceipts) flush();
      else if (flushTimer === null) {
        flushTimer = setTimeout(flush, config.flushMaxDelayMs);
      }
    },
    flush,
  };

  const corridors = config.corridors.map((id) => new CorridorWatch(id, ctx));
  for (const c of corridors) {
    for (const url of config.nodes) c.subscriptions.push(new Subscription(nodes.get(url)!, c));
  }

  const health = (): HealthReport => {
    const subscriptions: SubscriptionHealth[] = [];
    const corridorReports: CorridorHealth[] = [];
    let healthy = true;
    for (const c of corridors) {
      const alarms = c.alarmSummaries();
      if (alarms.length > 0) healthy = false;
      const served = c.subscriptions.filter((s) => s.state !== 'not-served');
      if (served.length === 0) healthy = false;
      for (const s of c.subscriptions) {
        if (s.state !== 'not-served' && s.state !== 'waiting' && !s.connected) healthy = false;
        const verified = s.verifiedHead;
        subscriptions.push({
          node: s.node.url,
          corridor: c.id,
          state: s.state,
          connected: s.connected,
          verified_head: verified,
          node_head: s.nodeHead,
          lag: s.nodeHead === null ? null : s.nodeHead - verified,
          last_attested_size: c.attestedSize(),
          alarms: alarms.length,
          problem: s.problem,
        });
      }
      const last = c.lastAttestation();
      const p = c.signers?.current();
      corridorReports.push({
        corridor: c.id,
        genesis_root: c.facts.genesisRoot,
        signers: p ? { sequencer: p.sequencer, signers: [...p.signers].sort(), peered: p.peered } : null,
        last_attested: last ? { size: last.size, mmr_root: last.mmr_root, final_state_root: last.final_state_root, checkpoint_digest: last.checkpoint_digest, at: last.created_at } : null,
        deliveries: store.deliveries(c.id).map((d) => ({ node: d.node, size: d.size, status: d.status, detail: d.detail, quorum: c.accepted.get(d.node)?.quorum ?? null })),
        alarms,
      });
    }
    return { status: healthy ? 'ok' : 'unhealthy', watcher: key.did, subscriptions, corridors: corridorReports };
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'method not allowed' });
    if (path === '/health/live') return send(200, { status: 'live', watcher: key.did });
    if (path === '/health') {
      const h = health();
      return send(h.status === 'ok' ? 200 : 503, h);
    }
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.httpPort, config.httpHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost}:${port}`;

  for (const c of corridors) c.resume();
  for (const c of corridors) for (const s of c.subscriptions) s.start();
  log({ event: 'watcher-started', did: key.did, key_created: created, health: url, port, nodes: config.nodes, corridors: config.corridors });

  let closing: Promise<void> | null = null;
  return {
    did: key.did,
    url,
    port,
    config,
    health,
    flush,
    close() {
      closing ??= (async () => {
        const stopping = Promise.all(corridors.flatMap((c) => c.subscriptions.map((s) => s.stop())));
        for (const n of nodes.values()) n.client.abort();
        await stopping;
        await Promise.all(corridors.map((c) => c.close()));
        flush();
        store.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        log({ event: 'watcher-stopped', did: key.did });
      })();
      return closing;
    },
  };
}
