import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { parseJsonText } from '@corridor/protocol';

/** A JSON object mapping principal names to the SHA-256 (64 lowercase hex) of their bearer tokens. */
const TOKEN_MAP = /^\s*\{\s*("[A-Za-z0-9._@:-]{1,128}"\s*:\s*"[0-9a-f]{64}"\s*(,\s*"[A-Za-z0-9._@:-]{1,128}"\s*:\s*"[0-9a-f]{64}"\s*)*)?\}\s*$/;
const PEER_LIST = /^did:key:z[1-9A-HJ-NP-Za-km-z]+=https?:\/\/[^\s,=]+(,did:key:z[1-9A-HJ-NP-Za-km-z]+=https?:\/\/[^\s,=]+)*$/;
const RATE_LIMITS = /^(operator|peer|watcher|auditor|regulator)=\d{1,7}:\d{1,7}(,(operator|peer|watcher|auditor|regulator)=\d{1,7}:\d{1,7})*$/;
const TOKEN_MAP_MESSAGE = 'must be a JSON object mapping principal names (A-Z a-z 0-9 . _ @ : -) to the SHA-256 of their token as 64 lowercase hex, e.g. {"sbp":"<sha256 hex>"}';

/**
 * The node's configuration. Sources, later ones winning: built-in defaults, the JSON file named by
 * CORRIDOR_CONFIG, environment variables. Validated once at startup: a bad value stops the node with a
 * message naming the setting, never a half-configured node.
 */
export class NodeConfig {
  /** Jurisdiction this node speaks for (ISO 3166-1 alpha-2 or a zone code), e.g. PK or AE. */
  @IsString() @Matches(/^[A-Z][A-Z0-9-]{1,15}$/, { message: 'jurisdiction must be an upper-case code such as PK or AE' })
  jurisdiction = 'ZZ';

  @IsString() @MinLength(1)
  httpHost = '127.0.0.1';

  @IsInt() @Min(0) @Max(65535)
  httpPort = 8080;

  /** Folder of the embedded store (SQLite files) and, by default, the node key. */
  @IsString() @MinLength(1)
  dataDir = './data';

  /** JWK file of the node's Ed25519 key; generated (mode 0600) on first start when absent. */
  @IsOptional() @IsString()
  nodeKeyFile?: string;

  @IsIn(['sqlite', 'eventstoredb'])
  eventStore: 'sqlite' | 'eventstoredb' = 'sqlite';

  @IsOptional() @IsString() @Matches(/^(esdb|esdb\+discover|kurrentdb):\/\//, { message: 'eventStoreUrl must be an esdb:// connection string' })
  eventStoreUrl?: string;

  /**
   * `full`: an append is acknowledged after its commit is fsynced (survives kill -9 and power loss).
   * `normal`: acknowledged once written to the OS (survives kill -9 of the node, not a power loss); faster.
   */
  @IsIn(['full', 'normal'])
  sqliteDurability: 'full' | 'normal' = 'full';

  /**
   * Where the SQLite ledger commits: `thread` (a writer thread, so the fsync never blocks the event loop), `inline`
   * (on the event loop), or `auto`: the thread when the machine has more than two cores. With two, the thread competes
   * with the event loop for the same cores and every commit waits for it to be scheduled (spec/event-store.md).
   */
  @IsIn(['auto', 'thread', 'inline'])
  sqliteWriter: 'auto' | 'thread' | 'inline' = 'auto';

  /** Worker threads that sign receipts off the event loop (0: sign on the event loop). */
  @IsInt() @Min(0) @Max(16)
  signingWorkers = 1;

  /** Largest request body accepted, in bytes. */
  @IsInt() @Min(1024) @Max(16 * 1024 * 1024)
  maxBodyBytes = 256 * 1024;

  /** How often the saga deadline scheduler looks for expired sagas, in milliseconds. */
  @IsInt() @Min(50) @Max(3_600_000)
  schedulerIntervalMs = 1000;

  /**
   * Regulator principals: a JSON object mapping a name to the SHA-256 (64 lowercase hex) of that principal's
   * bearer token. Grants the read-only regulator API and the console. Tokens themselves are never configured.
   */
  @IsOptional() @IsString() @Matches(TOKEN_MAP, { message: TOKEN_MAP_MESSAGE })
  regulatorTokens?: string;

  /** Auditor principals (same shape): grants the access audit trail (`GET /audit/trail`). */
  @IsOptional() @IsString() @Matches(TOKEN_MAP, { message: TOKEN_MAP_MESSAGE })
  auditorTokens?: string;

  /**
   * Operator principals (same shape): every command and read of the node's own API, the admin endpoints, the peering
   * status (governance/access-roles.json). When neither this nor adminTokens is set, the node generates one operator
   * token on first start (`<dataDir>/operator.token`, mode 0600; only its SHA-256 is kept), see spec/security.md.
   */
  @IsOptional() @IsString() @Matches(TOKEN_MAP, { message: TOKEN_MAP_MESSAGE })
  operatorTokens?: string;

  /** Deprecated alias of operatorTokens (CORRIDOR_ADMIN_TOKENS); both maps are merged. */
  @IsOptional() @IsString() @Matches(TOKEN_MAP, { message: TOKEN_MAP_MESSAGE })
  adminTokens?: string;

  /**
   * How far a did:key-signed request's time may be from this node's clock, in seconds (both ways). Its nonce is
   * remembered for as long as the request could be replayed.
   */
  @IsInt() @Min(5) @Max(3600)
  requestSignatureWindowSeconds = 120;

  /**
   * Per-principal rate limits overriding governance/access-roles.json: `role=RATE:BURST` entries separated by commas
   * (requests per second refilled, bucket size), RATE 0 for no limit, e.g. `watcher=5:20,regulator=0:0`.
   */
  @IsOptional() @IsString() @Matches(RATE_LIMITS, { message: 'rateLimits must be role=RATE:BURST entries separated by commas (role one of operator, peer, watcher, auditor, regulator), e.g. watcher=5:20' })
  rateLimits?: string;

  /** Where the rate-limit buckets live: `memory` (this process) or `redis` (REDIS_URL; shared by replicas). */
  @IsIn(['memory', 'redis'])
  rateLimitStore: 'memory' | 'redis' = 'memory';

  /** Largest request head (request line and headers), in bytes; larger ones are answered 431. */
  @IsInt() @Min(1024) @Max(1024 * 1024)
  maxHeaderBytes = 16 * 1024;

  /** Time a client has to send the request head, in milliseconds. */
  @IsInt() @Min(1000) @Max(600_000)
  headersTimeoutMs = 10_000;

  /** Time a client has to send the whole request (head and body), in milliseconds (answers are not limited). */
  @IsInt() @Min(1000) @Max(3_600_000)
  requestTimeoutMs = 30_000;

  /** How long an idle keep-alive connection stays open, in milliseconds. */
  @IsInt() @Min(100) @Max(600_000)
  keepAliveTimeoutMs = 5_000;

  /** Where the projections (read models) live: `sqlite` (projections.sqlite in the data folder) or `redis`. */
  @IsIn(['sqlite', 'redis'])
  projectionStore: 'sqlite' | 'redis' = 'sqlite';

  /** Redis of the projections when projectionStore is redis: redis://[user:password@]host:port[/db]. */
  @IsOptional() @IsString() @Matches(/^rediss?:\/\//, { message: 'redisUrl must be a redis:// or rediss:// URL' })
  redisUrl?: string;

  /** Key prefix of this node's projections in Redis (several nodes may share one Redis). */
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9:._-]{1,64}$/, { message: 'redisPrefix must be 1-64 characters of A-Z a-z 0-9 : . _ -' })
  redisPrefix?: string;

  /**
   * The peer nodes this node talks to about shared corridors: `did:key:…=http://host:port`, comma-separated. Which
   * peers share which corridor comes from the corridor's agreement; this only says where to reach them.
   */
  @IsOptional() @IsString() @Matches(PEER_LIST, { message: 'peers must be did:key:…=http(s)://host:port entries separated by commas' })
  peers?: string;

  /** How peer messages travel: `http` (push + pull, the embedded default) or `kafka` (HTTP still serves catch-up). */
  @IsIn(['http', 'kafka'])
  peerTransport: 'http' | 'kafka' = 'http';

  /** Kafka bootstrap brokers when peerTransport is kafka: host:port, comma-separated. */
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/, { message: 'kafkaBrokers must be host:port entries separated by commas' })
  kafkaBrokers?: string;

  /**
   * The longest a Kafka fetch waits for records before answering, in milliseconds. Brokers answer as soon as a
   * record is there; this bounds the wait where one does not (the librdkafka mock holds a fetch for it).
   */
  @IsInt() @Min(10) @Max(10_000)
  kafkaMaxWaitMs = 5000;

  /** How often a node pulls what it lacks from its peers and re-sends unanswered proposals, in milliseconds. */
  @IsInt() @Min(50) @Max(3_600_000)
  peerSyncIntervalMs = 2000;

  /** How far ahead of this node's clock a peer's receipt may be dated, in seconds. */
  @IsInt() @Min(1) @Max(86_400)
  peerMaxSkewSeconds = 300;

  /** The sequencer signs a checkpoint of a shared chain every this many receipts… */
  @IsInt() @Min(1) @Max(1_000_000)
  checkpointEvery = 100;

  /** …or this many milliseconds after the last one when receipts arrived since. */
  @IsInt() @Min(100) @Max(86_400_000)
  checkpointIntervalMs = 10_000;

  // ---- operations: readiness and shutdown (spec/operations.md) ----

  /** Readiness fails while a projection is more than this many events behind the head of the log. */
  @IsInt() @Min(0) @Max(100_000)
  readyMaxProjectionLag = 5000;

  /**
   * After SIGTERM, the least time the node keeps listening while it refuses new commands (503 + Retry-After) and
   * still serves reads, so that load balancers see readiness fail before the port closes. 0: close as soon as
   * the in-flight commands are done.
   */
  @IsInt() @Min(0) @Max(300_000)
  shutdownDrainMs = 0;

  /** The bound of a graceful shutdown: past it the process exits anyway (exit code 1). */
  @IsInt() @Min(1000) @Max(600_000)
  shutdownTimeoutMs = 25_000;

  // ---- telemetry (spec/telemetry.md) ----

  /** Log lines: `text` (Nest's human format, the default) or `json` (one object per line, with trace ids). */
  @IsIn(['text', 'json'])
  logFormat: 'text' | 'json' = 'text';

  /** OTLP endpoint of traces and metrics (the standard OTEL_EXPORTER_OTLP_ENDPOINT); unset: no export, no SDK. */
  @IsOptional() @IsString() @Matches(/^https?:\/\/\S+$/, { message: 'otlpEndpoint must be an http:// or https:// URL' })
  otlpEndpoint?: string;

  /** The service name of this node's telemetry (OTEL_SERVICE_NAME); default `corridor-node-<jurisdiction>`. */
  @IsOptional() @IsString() @MinLength(1)
  otelServiceName?: string;

  /** OTEL_SDK_DISABLED: `true` keeps the SDK off even with an endpoint (any other value: on). */
  @IsOptional() @IsString()
  otelSdkDisabled?: string;

  get keyFile(): string {
    return this.nodeKeyFile ?? resolve(this.dataDir, 'node.jwk');
  }

  get eventStoreFile(): string {
    return resolve(this.dataDir, 'ledger.sqlite');
  }

  /** The peer directory: did:key → base URL. */
  get peerDirectory(): Map<string, string> {
    const map = new Map<string, string>();
    for (const entry of (this.peers ?? '').split(',').filter(Boolean)) {
      const at = entry.indexOf('=');
      map.set(entry.slice(0, at), entry.slice(at + 1).replace(/\/+$/, ''));
    }
    return map;
  }

  get watchersFile(): string {
    return resolve(this.dataDir, 'watchers.sqlite');
  }

  get peeringFile(): string {
    return resolve(this.dataDir, 'peering.sqlite');
  }

  get nodeStateFile(): string {
    return resolve(this.dataDir, 'node.sqlite');
  }

  /** Where a generated operator token is written for the person running the node (read by people, never by the node). */
  get operatorTokenFile(): string {
    return resolve(this.dataDir, 'operator.token');
  }

  /** The SHA-256 of a generated operator token, as a token map (what the node keeps). */
  get operatorTokenDigestFile(): string {
    return resolve(this.dataDir, 'operator-token.sha256.json');
  }
}

/** Environment variable → config field. The README documents each. */
export const ENVIRONMENT: Record<string, keyof NodeConfig> = {
  CORRIDOR_JURISDICTION: 'jurisdiction',
  CORRIDOR_HTTP_HOST: 'httpHost',
  CORRIDOR_HTTP_PORT: 'httpPort',
  CORRIDOR_DATA_DIR: 'dataDir',
  CORRIDOR_NODE_KEY: 'nodeKeyFile',
  CORRIDOR_EVENT_STORE: 'eventStore',
  EVENTSTORE_URL: 'eventStoreUrl',
  CORRIDOR_SQLITE_DURABILITY: 'sqliteDurability',
  CORRIDOR_SQLITE_WRITER: 'sqliteWriter',
  CORRIDOR_SIGNING_WORKERS: 'signingWorkers',
  CORRIDOR_MAX_BODY_BYTES: 'maxBodyBytes',
  CORRIDOR_SCHEDULER_INTERVAL_MS: 'schedulerIntervalMs',
  CORRIDOR_REGULATOR_TOKENS: 'regulatorTokens',
  CORRIDOR_AUDITOR_TOKENS: 'auditorTokens',
  CORRIDOR_OPERATOR_TOKENS: 'operatorTokens',
  CORRIDOR_ADMIN_TOKENS: 'adminTokens',
  CORRIDOR_REQUEST_SIGNATURE_WINDOW_SECONDS: 'requestSignatureWindowSeconds',
  CORRIDOR_RATE_LIMITS: 'rateLimits',
  CORRIDOR_RATE_LIMIT_STORE: 'rateLimitStore',
  CORRIDOR_MAX_HEADER_BYTES: 'maxHeaderBytes',
  CORRIDOR_HEADERS_TIMEOUT_MS: 'headersTimeoutMs',
  CORRIDOR_REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  CORRIDOR_KEEP_ALIVE_TIMEOUT_MS: 'keepAliveTimeoutMs',
  CORRIDOR_PROJECTION_STORE: 'projectionStore',
  REDIS_URL: 'redisUrl',
  CORRIDOR_REDIS_PREFIX: 'redisPrefix',
  CORRIDOR_PEERS: 'peers',
  CORRIDOR_PEER_TRANSPORT: 'peerTransport',
  KAFKA_BROKERS: 'kafkaBrokers',
  CORRIDOR_KAFKA_MAX_WAIT_MS: 'kafkaMaxWaitMs',
  CORRIDOR_PEER_SYNC_INTERVAL_MS: 'peerSyncIntervalMs',
  CORRIDOR_PEER_MAX_SKEW_SECONDS: 'peerMaxSkewSeconds',
  CORRIDOR_CHECKPOINT_EVERY: 'checkpointEvery',
  CORRIDOR_CHECKPOINT_INTERVAL_MS: 'checkpointIntervalMs',
  CORRIDOR_LOG_FORMAT: 'logFormat',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'otlpEndpoint',
  OTEL_SERVICE_NAME: 'otelServiceName',
  OTEL_SDK_DISABLED: 'otelSdkDisabled',
  CORRIDOR_READY_MAX_PROJECTION_LAG: 'readyMaxProjectionLag',
  CORRIDOR_SHUTDOWN_DRAIN_MS: 'shutdownDrainMs',
  CORRIDOR_SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs',
};

const NUMERIC = new Set<keyof NodeConfig>([
  'httpPort',
  'maxBodyBytes',
  'schedulerIntervalMs',
  'signingWorkers',
  'peerSyncIntervalMs',
  'kafkaMaxWaitMs',
  'peerMaxSkewSeconds',
  'checkpointEvery',
  'checkpointIntervalMs',
  'readyMaxProjectionLag',
  'shutdownDrainMs',
  'shutdownTimeoutMs',
  'requestSignatureWindowSeconds',
  'maxHeaderBytes',
  'headersTimeoutMs',
  'requestTimeoutMs',
  'keepAliveTimeoutMs',
]);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): NodeConfig {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  if (env.CORRIDOR_CONFIG) {
    try {
      const fromFile = parseJsonText(readFileSync(env.CORRIDOR_CONFIG, 'utf8'));
      if (!fromFile || typeof fromFile !== 'object' || Array.isArray(fromFile)) problems.push(`CORRIDOR_CONFIG ${env.CORRIDOR_CONFIG}: must hold a JSON object`);
      else Object.assign(raw, fromFile);
    } catch (e) {
      problems.push(`CORRIDOR_CONFIG ${env.CORRIDOR_CONFIG}: ${(e as Error).message}`);
    }
  }
  for (const [name, field] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (NUMERIC.has(field)) {
      if (!/^\d+$/.test(value)) problems.push(`${name}=${JSON.stringify(value)}: must be a whole number`);
      else raw[field] = Number(value);
    } else raw[field] = value;
  }
  const known = new Set<string>(Object.values(ENVIRONMENT));
  for (const key of Object.keys(raw)) if (!known.has(key)) problems.push(`unknown setting ${JSON.stringify(key)} (known: ${[...known].join(', ')})`);
  const config = plainToInstance(NodeConfig, raw);
  for (const err of validateSync(config, { forbidUnknownValues: true })) {
    const envName = Object.entries(ENVIRONMENT).find(([, f]) => f === err.property)?.[0];
    problems.push(`${err.property}${envName ? ` (${envName})` : ''}: ${Object.values(err.constraints ?? {}).join('; ')}`);
  }
  if (config.eventStore === 'eventstoredb' && !config.eventStoreUrl) problems.push('eventStoreUrl (EVENTSTORE_URL) is required when eventStore is eventstoredb');
  if (config.peerTransport === 'kafka' && !config.kafkaBrokers) problems.push('kafkaBrokers (KAFKA_BROKERS) is required when peerTransport is kafka');
  if (config.shutdownDrainMs >= config.shutdownTimeoutMs) problems.push('shutdownDrainMs (CORRIDOR_SHUTDOWN_DRAIN_MS) must be shorter than shutdownTimeoutMs (CORRIDOR_SHUTDOWN_TIMEOUT_MS)');
  if (config.rateLimitStore === 'redis' && !config.redisUrl) problems.push('redisUrl (REDIS_URL) is required when rateLimitStore (CORRIDOR_RATE_LIMIT_STORE) is redis');
  if (config.headersTimeoutMs > config.requestTimeoutMs) problems.push('headersTimeoutMs (CORRIDOR_HEADERS_TIMEOUT_MS) must not exceed requestTimeoutMs (CORRIDOR_REQUEST_TIMEOUT_MS)');
  if (problems.length) throw new ConfigError(problems);
  return config;
}
