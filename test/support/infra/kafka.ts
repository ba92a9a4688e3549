import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ManagedProcess, spawnManaged } from './process';
import { withTimeout } from './wait';

/**
 * Kafka-protocol broker for tests: tools/mockbroker.c (librdkafka's mock cluster as a standalone program),
 * compiled on first use and started per suite; or the brokers named by KAFKA_BROKERS.
 */

export interface KafkaTopic {
  name: string;
  partitions: number;
}

export interface StartKafkaBrokerOptions {
  /** Number of brokers, ids 1..n (default 1). */
  brokers?: number;
  /** Topics to create up front (the mock broker has no CreateTopics API). */
  topics?: KafkaTopic[];
  /** Hard lifetime of the broker process in seconds (default 600), a bound in case nothing else stops it. */
  maxSeconds?: number;
  /** Use KAFKA_BROKERS when it is set (default true). False always starts the mock broker. */
  useEnv?: boolean;
  /** How long to wait for the BOOTSTRAP line (default 10 000 ms). */
  startTimeoutMs?: number;
  /** How long a control command may take to be answered (default 5 000 ms). */
  controlTimeoutMs?: number;
}

export interface KafkaBroker {
  /** Bootstrap addresses, "127.0.0.1:port", one per broker. */
  readonly brokers: string[];
  /** True when the brokers came from KAFKA_BROKERS: control() rejects and stop() leaves them running. */
  readonly external: boolean;
  /** PID of the mock broker process (undefined for external brokers). */
  readonly pid: number | undefined;
  /**
   * Sends one control command to the mock broker ("down 1", "up 1", "leader <topic> <partition> <broker>",
   * "rtt <broker> <ms>", "topic <name> <partitions>", "coordinator group <id> <broker>",
   * "error <apikey> <errcode> <count>", "ping") and resolves with its "OK ..." answer. Rejects if the broker
   * answers ERR, reports a non-zero librdkafka error code, does not answer in time, or has exited.
   */
  control(command: string): Promise<string>;
  /** Stops the mock broker process (SIGTERM, then SIGKILL); a no-op for external brokers. */
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const SOURCE = join(REPO_ROOT, 'tools', 'mockbroker.c');
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export interface BuildMockBrokerOptions {
  /** C compiler (default "gcc"). */
  cc?: string;
  /** Where compiled binaries are cached (default node_modules/.cache/corridor, else the OS temp directory). */
  cacheDir?: string;
}

let defaultBuild: Promise<string> | undefined;

/**
 * Compiles tools/mockbroker.c against the system librdkafka (found through pkg-config) and resolves with the
 * binary's path. The binary is cached by a hash of the source, the compiler flags and the compiler name, so it
 * is built once per change; concurrent builds (parallel jest workers) each write a temporary file and rename it.
 */
export function buildMockBroker(options: BuildMockBrokerOptions = {}): Promise<string> {
  if (options.cc === undefined && options.cacheDir === undefined) {
    defaultBuild ??= build({}).catch((err) => {
      defaultBuild = undefined;
      throw err;
    });
    return defaultBuild;
  }
  return build(options);
}

async function build(options: BuildMockBrokerOptions): Promise<string> {
  const cc = options.cc ?? 'gcc';
  const source = readFileSync(SOURCE);
  const flags = await pkgConfigRdkafka();
  const hash = createHash('sha256')
    .update(source)
    .update('\0' + flags.join(' ') + '\0' + cc + '\0' + process.platform + '-' + process.arch)
    .digest('hex')
    .slice(0, 16);
  const dir = options.cacheDir ?? defaultCacheDir();
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, `mockbroker-${hash}`);
  if (isExecutable(binary)) return binary;

  const temporary = `${binary}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await run(cc, ['-O2', '-Wall', '-o', temporary, SOURCE, ...flags]);
  } catch (err) {
    rmSync(temporary, { force: true });
    const e = err as ExecError;
    if (e.code === 'ENOENT') {
      throw new Error(`Cannot build the mock Kafka broker: C compiler "${cc}" not found; install it: apt-get install -y gcc`);
    }
    throw new Error(
      `Compiling tools/mockbroker.c failed (${cc} exit ${String(e.code)}). Is librdkafka-dev installed ` +
        `(apt-get install -y librdkafka-dev pkg-config)?\n${e.stderr ?? e.message}`,
    );
  }
  renameSync(temporary, binary);
  return binary;
}

function defaultCacheDir(): string {
  const modules = join(REPO_ROOT, 'node_modules');
  return existsSync(modules) ? join(modules, '.cache', 'corridor') : join(tmpdir(), 'corridor-cache');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function pkgConfigRdkafka(): Promise<string[]> {
  try {
    const { stdout } = await run('pkg-config', ['--cflags', '--libs', 'rdkafka']);
    return stdout.trim().split(/\s+/).filter(Boolean);
  } catch (err) {
    const e = err as ExecError;
    if (e.code === 'ENOENT') {
      throw new Error('Cannot build the mock Kafka broker: pkg-config not found; install it: apt-get install -y pkg-config librdkafka-dev');
    }
    throw new Error(
      'Cannot build the mock Kafka broker: librdkafka not found by pkg-config; install it: ' +
        `apt-get install -y librdkafka-dev (or set KAFKA_BROKERS to existing brokers)\n${e.stderr ?? e.message}`,
    );
  }
}

interface ExecError extends Error {
  code?: string | number;
  stderr?: string;
}

function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) {
        (error as ExecError).stderr = stderr;
        reject(error);
      } else {
        resolvePromise({ stdout, stderr });
      }
    });
  });
}

/**
 * Starts the mock broker (building it if needed) with the given brokers and topics on random 127.0.0.1 ports,
 * and resolves once it has printed its BOOTSTRAP line. With KAFKA_BROKERS set (comma-separated host:port),
 * uses those brokers instead and creates the requested topics through the Kafka admin API.
 */
export async function startKafkaBroker(options: StartKafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const topics = options.topics ?? [];
  for (const t of topics) {
    if (!TOPIC_NAME.test(t.name)) throw new Error(`Invalid Kafka topic name: ${JSON.stringify(t.name)}`);
    if (!Number.isInteger(t.partitions) || t.partitions < 1) {
      throw new Error(`Topic ${t.name}: partitions must be a positive integer, got ${t.partitions}`);
    }
  }
  const envBrokers = process.env.KAFKA_BROKERS;
  if ((options.useEnv ?? true) && envBrokers) return useExternalBrokers(envBrokers, topics);

  const brokerCount = options.brokers ?? 1;
  if (!Number.isInteger(brokerCount) || brokerCount < 1 || brokerCount > 64) {
    throw new Error(`brokers must be an integer from 1 to 64, got ${brokerCount}`);
  }
  const maxSeconds = options.maxSeconds ?? 600;
  const binary = await buildMockBroker();
  const args = ['-b', String(brokerCount), '-T', String(Math.max(1, Math.ceil(maxSeconds))), '-e'];
  for (const t of topics) args.push('-t', `${t.name}:${t.partitions}`);
  // -e: the broker exits when its stdin (our pipe) closes, so it cannot outlive this process.
  const proc = spawnManaged('mockbroker', binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  return attach(proc, options.startTimeoutMs ?? 10_000, options.controlTimeoutMs ?? 5_000);
}

interface Pending {
  command: string;
  resolve: (line: string) => void;
  reject: (err: Error) => void;
}

async function attach(proc: ManagedProcess, startTimeoutMs: number, controlTimeoutMs: number): Promise<KafkaBroker> {
  const child = proc.child;
  let stderr = '';
  let buffered = '';
  let bootstrapSeen: ((brokers: string[]) => void) | undefined;
  const pending: Pending[] = [];

  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  child.stdin!.on('error', () => undefined); // EPIPE after the broker exits is reported through `exited`
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('BOOTSTRAP=')) {
        bootstrapSeen?.(line.slice('BOOTSTRAP='.length).split(',').filter(Boolean));
        continue;
      }
      const next = pending.shift();
      if (!next) continue; // nothing asked: not an answer
      const err = /\berr=(-?\d+)\b/.exec(line);
      if (line.startsWith('ERR')) next.reject(new Error(`Mock broker rejected "${next.command}": ${line}`));
      else if (!line.startsWith('OK')) next.reject(new Error(`Mock broker gave an unexpected answer to "${next.command}": ${line}`));
      else if (err && err[1] !== '0') {
        next.reject(new Error(`Mock broker command "${next.command}" failed with librdkafka error code ${err[1]}: ${line}`));
      } else next.resolve(line);
    }
  });

  const describeExit = (): string => {
    const s = proc.exitStatus();
    if (!s) return 'it is running';
    if (s.error) return s.error.message;
    return `it exited (code ${s.code}${s.signal ? `, signal ${s.signal}` : ''})`;
  };

  void proc.exited.then(() => {
    for (const p of pending.splice(0)) {
      p.reject(new Error(`Mock broker is gone (${describeExit()}); "${p.command}" was not answered. stderr: ${stderr.trim()}`));
    }
  });

  const bootstrap = new Promise<string[]>((resolveBootstrap) => {
    bootstrapSeen = resolveBootstrap;
  });
  let brokers: string[];
  try {
    brokers = await withTimeout(
      Promise.race([
        bootstrap,
        proc.exited.then(() => {
          throw new Error(`Mock broker failed to start (${describeExit()}). stderr: ${stderr.trim()}`);
        }),
      ]),
      startTimeoutMs,
      'the mock broker to print BOOTSTRAP=',
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }

  let stopped = false;
  return {
    brokers,
    external: false,
    pid: proc.pid,
    control(command: string): Promise<string> {
      if (!command.trim() || /[\r\n]/.test(command)) {
        return Promise.reject(new Error(`A control command is one non-empty line, got ${JSON.stringify(command)}`));
      }
      if (stopped || proc.exitStatus()) {
        return Promise.reject(new Error(`Mock broker is not running (${stopped ? 'stop() was called' : describeExit()}); cannot send "${command}"`));
      }
      const answer = new Promise<string>((resolveAnswer, reject) => {
        pending.push({ command, resolve: resolveAnswer, reject });
      });
      child.stdin!.write(`${command.trim()}\n`);
      return withTimeout(answer, controlTimeoutMs, `the mock broker to answer "${command}"`);
    },
    async stop() {
      stopped = true;
      await proc.stop();
    },
  };
}

async function useExternalBrokers(envBrokers: string, topics: KafkaTopic[]): Promise<KafkaBroker> {
  const brokers = envBrokers.split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new Error(`KAFKA_BROKERS is set but names no broker: ${JSON.stringify(envBrokers)}`);
  await ensureTopics(brokers, topics);
  return {
    brokers,
    external: true,
    pid: undefined,
    control: (command: string) =>
      Promise.reject(
        new Error(
          `control("${command}") needs the project's mock broker, but KAFKA_BROKERS=${envBrokers} points at external ` +
            'brokers, which cannot be driven; unset KAFKA_BROKERS to run failure-injection tests',
        ),
      ),
    stop: async () => undefined,
  };
}

/**
 * Connects to external brokers (so a wrong KAFKA_BROKERS fails at setup), creates missing topics, and checks that
 * every requested topic has the requested partition count.
 */
async function ensureTopics(brokers: string[], topics: KafkaTopic[]): Promise<void> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ clientId: 'corridor-test-setup', brokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    if (topics.length === 0) return;
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions })),
        });
      } catch (err) {
        throw new Error(
          `Could not create topics ${missing.map((t) => t.name).join(', ')} on KAFKA_BROKERS=${brokers.join(',')}: ` +
            `${(err as Error).message}. A broker without CreateTopics (such as tools/mockbroker) must be started ` +
            'with -t name:partitions for each topic.',
        );
      }
    }
    const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    for (const t of topics) {
      const found = metadata.topics.find((m) => m.name === t.name);
      const count = found?.partitions.length ?? 0;
      if (count !== t.partitions) {
        throw new Error(`Topic ${t.name} on KAFKA_BROKERS has ${count} partitions, the test needs ${t.partitions}; use a fresh topic name`);
      }
    }
  } finally {
    await admin.disconnect();
  }
}
