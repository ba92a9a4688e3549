import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ENVIRONMENT, loadConfig } from '../../apps/node/src/config/node-config';
import { loadWatcherConfig } from '../../apps/watcher/src/config';

/**
 * The deployment files, checked by parsing them (no Docker engine or cluster on the build machines):
 * k8s/ (every manifest), docker/compose.yaml, docker/otel-collector.yaml and docker/Dockerfile. spec/operations.md.
 */
const ROOT = join(__dirname, '..', '..');
const K8S = join(ROOT, 'k8s');
const DOCKER = join(ROOT, 'docker');
/** A did:key that parses, standing in for the placeholders operators fill in. */
const SOME_DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml'));
const parsed = files.flatMap((f) => parseAllDocuments(readFileSync(join(K8S, f), 'utf8')).map((d) => ({ file: f, errors: d.errors.map(String), doc: d.toJS() as any })));
const documents = parsed.filter((d) => d.doc && d.doc.kind !== 'Kustomization');
const workloads = documents.filter(({ doc }) => ['StatefulSet', 'Deployment', 'DaemonSet'].includes(doc.kind));
const byKind = (kind: string) => documents.filter((d) => d.doc.kind === kind).map((d) => d.doc);
const containersOf = (doc: any): any[] => doc.spec.template.spec.containers;
const initContainersOf = (doc: any): any[] => doc.spec.template.spec.initContainers ?? [];
const workload = (name: string) => workloads.find((w) => w.doc.metadata.name === name)!.doc;
const configMap = (name: string) => byKind('ConfigMap').find((c) => c.metadata.name === name);

/** Known settings of the node: its environment variables and the standard OpenTelemetry ones. */
const isNodeSetting = (name: string) => name in ENVIRONMENT || name.startsWith('OTEL_');

describe('Kubernetes manifests', () => {
  it('parse, and hold both nodes and a watcher', () => {
    expect(parsed.flatMap((p) => p.errors.map((e) => `${p.file}: ${e}`))).toEqual([]);
    expect(workloads.map((w) => `${w.doc.kind}/${w.doc.metadata.name}`).sort()).toEqual(['Deployment/corridor-watcher-1', 'StatefulSet/corridor-node-ae', 'StatefulSet/corridor-node-pk']);
  });

  it.each(workloads.map((w) => [`${w.file}: ${w.doc.kind}/${w.doc.metadata.name}`, w.doc]))('%s runs every container with probes, requests and limits, as non-root, read-only, without privileges', (_name, doc: any) => {
    const pod = doc.spec.template.spec;
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      expect(c.resources?.requests?.cpu).toBeDefined();
      expect(c.resources?.requests?.memory).toBeDefined();
      expect(c.resources?.limits?.cpu).toBeDefined();
      expect(c.resources?.limits?.memory).toBeDefined();
      expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext?.runAsNonRoot ?? pod.securityContext.runAsNonRoot).toBe(true);
      expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(c.securityContext?.capabilities?.drop).toContain('ALL');
      expect(c.securityContext?.privileged ?? false).toBe(false);
    }
    for (const c of pod.containers) {
      const ports = new Set((c.ports ?? []).map((p: any) => p.name));
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        expect(probe?.httpGet?.path).toMatch(/^\/health/);
        expect(ports.has(probe.httpGet.port)).toBe(true);
      }
    }
  });

  it('mount every Secret read-only with mode 0400, and nothing the manifests do not define', () => {
    const secrets = new Set(byKind('Secret').map((s) => s.metadata.name));
    for (const { doc } of workloads) {
      const pod = doc.spec.template.spec;
      for (const v of pod.volumes ?? []) {
        if (!v.secret) continue;
        expect(v.secret.defaultMode).toBe(0o400);
        expect(secrets.has(v.secret.secretName)).toBe(true);
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          for (const m of c.volumeMounts ?? []) if (m.name === v.name) expect(m.readOnly).toBe(true);
        }
      }
      for (const c of pod.containers) {
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) expect(configMap(from.configMapRef.name)).toBeDefined();
          if (from.secretRef) expect(secrets.has(from.secretRef.name) || from.secretRef.optional === true).toBe(true);
        }
        // Keys reach the main container read-only.
        for (const m of c.volumeMounts ?? []) if (m.mountPath.startsWith('/etc/corridor/keys')) expect(m.readOnly).toBe(true);
      }
    }
  });

  it('run the node as a StatefulSet on its volume, probing the health endpoints the node serves, stopping within its grace period', () => {
    for (const j of ['pk', 'ae']) {
      const node = workload(`corridor-node-${j}`);
      expect(node.kind).toBe('StatefulSet');
      expect(node.spec.replicas).toBe(1);
      const c = containersOf(node)[0];
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
      const claim = node.spec.volumeClaimTemplates[0].metadata.name;
      expect(c.volumeMounts.find((m: any) => m.name === claim).mountPath).toBe('/var/lib/corridor');
      const headless = byKind('Service').find((s) => s.metadata.name === node.spec.serviceName);
      expect(headless?.spec.clusterIP).toBe('None');
      const settings = configMap(`corridor-node-${j}`).data;
      // SIGKILL comes after preStop + the shutdown bound, never before.
      const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect(node.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStop + Number(settings.CORRIDOR_SHUTDOWN_TIMEOUT_MS) / 1000);
      // The key file the node reads is the one the init container installs from the Secret.
      expect(initContainersOf(node)[0].command.join(' ')).toContain(settings.CORRIDOR_NODE_KEY);
    }
  });

  it('configure the nodes with settings the node knows and accepts (once the peer did:key is filled in)', () => {
    for (const j of ['pk', 'ae']) {
      const data = configMap(`corridor-node-${j}`).data as Record<string, string>;
      expect(Object.keys(data).filter((k) => !isNodeSetting(k))).toEqual([]);
      expect(() => loadConfig({ ...data, CORRIDOR_PEERS: data.CORRIDOR_PEERS!.replace(/^did:key:[^=]+/, SOME_DID) })).not.toThrow();
      expect(() => loadConfig(data)).toThrow(/CORRIDOR_PEERS/); // the placeholder stops the node, loudly
      const other = j === 'pk' ? 'ae' : 'pk';
      expect(data.CORRIDOR_PEERS).toMatch(new RegExp(`=http://corridor-node-${other}:8080$`));
    }
    for (const s of byKind('Secret').filter((s) => s.metadata.name.endsWith('-tokens'))) {
      expect(Object.keys(s.stringData).filter((k) => !isNodeSetting(k))).toEqual([]);
    }
  });

  it('run each watcher as one replica at a time (one key, one pod), following both nodes', () => {
    const w = workload('corridor-watcher-1');
    expect(w.spec.replicas).toBe(1);
    expect(w.spec.strategy.type).toBe('Recreate');
    const data = configMap('corridor-watcher-1').data;
    const config = loadWatcherConfig(data);
    expect(config.nodes).toEqual(['http://corridor-node-pk:8080', 'http://corridor-node-ae:8080']);
    const c = containersOf(w)[0];
    expect(c.args).toEqual(['node', 'apps/watcher/dist/main.js']);
    expect(c.ports[0].containerPort).toBe(config.httpPort);
  });

  it('expose Services that select a workload on a port it names', () => {
    for (const s of byKind('Service')) {
      const target = workloads.find(({ doc }) => Object.entries(s.spec.selector).every(([k, v]) => doc.spec.template.metadata.labels[k] === v));
      expect(target).toBeDefined();
      const names = containersOf(target!.doc).flatMap((c) => (c.ports ?? []).map((p: any) => p.name));
      for (const p of s.spec.ports) expect(names).toContain(p.targetPort);
    }
  });

  it('list in kustomization.yaml every manifest except the Secrets example', () => {
    const k = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8'));
    expect([...k.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml' && f !== 'secrets.example.yaml').sort());
  });
});

describe('docker/compose.yaml', () => {
  const compose = parse(readFileSync(join(DOCKER, 'compose.yaml'), 'utf8'), { merge: true });
  const services = compose.services as Record<string, any>;
  const env = (name: string): Record<string, string> => services[name].environment;
  const hostPort = (url: string) => {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port) };
  };
  /** Compose's `${VAR:-default}` with VAR unset. */
  const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

  it('holds every service: EventStoreDB, a KRaft Kafka, Redis, two nodes, three watchers, an OpenTelemetry collector', () => {
    for (const name of ['kafka', 'redis', 'otel-collector', 'node-pk', 'node-ae', 'watcher-1', 'watcher-2', 'watcher-3']) expect(services[name]).toBeDefined();
    const eventstores = Object.keys(services).filter((s) => String(services[s].image).startsWith('eventstore/eventstore:'));
    expect(eventstores.length).toBeGreaterThan(0);
    for (const s of eventstores) expect(services[s].environment.EVENTSTORE_INSECURE).toBe('true');
    expect(services.kafka.image).toMatch(/^apache\/kafka:/);
    expect(env('kafka').KAFKA_PROCESS_ROLES.split(',').sort()).toEqual(['broker', 'controller']); // KRaft, no ZooKeeper
    expect(Object.keys(services).some((s) => /zookeeper/i.test(s))).toBe(false);
    expect(services.redis.image).toMatch(/^redis:/);
    expect(services['otel-collector'].image).toMatch(/^otel\/opentelemetry-collector/);
  });

  it('wires each node to Kafka, its EventStoreDB, Redis, the collector and the other node', () => {
    const kafkaListener = env('kafka').KAFKA_ADVERTISED_LISTENERS.split(',').find((l: string) => l.startsWith('PLAINTEXT://'));
    for (const [self, other] of [
      ['pk', 'ae'],
      ['ae', 'pk'],
    ]) {
      const name = `node-${self}`;
      const node = services[name];
      const e = env(name);
      expect(node.image).toBe('corridor-ledger:0.1.0');
      expect(node.build.dockerfile).toBe('docker/Dockerfile');
      expect(e.CORRIDOR_JURISDICTION).toBe(self!.toUpperCase());
      const dependsOn = Object.keys(node.depends_on);

      expect(e.CORRIDOR_PEER_TRANSPORT).toBe('kafka');
      expect(`PLAINTEXT://${e.KAFKA_BROKERS}`).toBe(kafkaListener);
      expect(dependsOn).toContain('kafka');

      expect(e.CORRIDOR_EVENT_STORE).toBe('eventstoredb');
      const esdb = hostPort(e.EVENTSTORE_URL!.replace(/^esdb:/, 'http:'));
      expect(String(services[esdb.host].image)).toMatch(/^eventstore\/eventstore:/);
      expect(esdb.port).toBe(2113);
      expect(dependsOn).toContain(esdb.host);

      expect(e.CORRIDOR_PROJECTION_STORE).toBe('redis');
      expect(hostPort(e.REDIS_URL!)).toEqual({ host: 'redis', port: 6379 });
      expect(dependsOn).toContain('redis');

      expect(hostPort(e.OTEL_EXPORTER_OTLP_ENDPOINT!)).toEqual({ host: 'otel-collector', port: 4318 });
      expect(e.OTEL_SERVICE_NAME).toBe(`corridor-node-${self}`);
      expect(dependsOn).toContain('otel-collector');

      // CORRIDOR_PEERS: the other node's did:key (written by its keygen job) = its service URL.
      const command = node.command.join(' ');
      expect(command).toContain(`CORRIDOR_PEERS="$$(cat /etc/corridor/peers/${other}.did)=http://node-${other}:${env(`node-${other}`).CORRIDOR_HTTP_PORT}"`);
      expect(command).toMatch(/exec node apps\/node\/dist\/main\.js$/);
      expect(services[`keygen-${other}`].command.join(' ')).toContain(`> /etc/corridor/peers/${other}.did`);
      // Its key: generated by its own keygen job into its own volume, mounted read-only here.
      const keyVolume = `node-${self}-key`;
      expect(node.volumes).toContain(`${keyVolume}:/etc/corridor/keys:ro`);
      expect(services[`keygen-${self}`].volumes).toContain(`${keyVolume}:/etc/corridor/keys`);
      expect(services[`keygen-${self}`].command.join(' ')).toContain(e.CORRIDOR_NODE_KEY);
      expect(services[`node-${other}`].volumes.some((v: string) => v.startsWith(`${keyVolume}:`))).toBe(false); // never the other's key
      for (const j of ['pk', 'ae']) expect(node.depends_on[`keygen-${j}`]).toEqual({ condition: 'service_completed_successfully' });

      // Every setting is one the node knows, and the whole configuration validates.
      expect(Object.keys(e).filter((k) => !isNodeSetting(k))).toEqual([]);
      expect(() => loadConfig({ ...e, CORRIDOR_PEERS: `${SOME_DID}=http://node-${other}:8080` })).not.toThrow();
      expect(node.healthcheck.test.join(' ')).toContain('/health/ready');
      expect(node.read_only).toBe(true);
    }
    expect(env('node-pk').CORRIDOR_REDIS_PREFIX).not.toBe(env('node-ae').CORRIDOR_REDIS_PREFIX);
    expect(env('node-pk').EVENTSTORE_URL).not.toBe(env('node-ae').EVENTSTORE_URL); // one ledger per jurisdiction
  });

  it('points the three watchers at both nodes, each with its own state and key', () => {
    const volumes = new Set<string>();
    for (const name of ['watcher-1', 'watcher-2', 'watcher-3']) {
      const w = services[name];
      const e = Object.fromEntries(Object.entries(env(name)).map(([k, v]) => [k, interpolate(String(v))]));
      expect(w.command).toEqual(['node', 'apps/watcher/dist/main.js']);
      const config = loadWatcherConfig(e);
      expect(config.nodes.sort()).toEqual([`http://node-ae:${env('node-ae').CORRIDOR_HTTP_PORT}`, `http://node-pk:${env('node-pk').CORRIDOR_HTTP_PORT}`]);
      expect(config.corridors.length).toBeGreaterThan(0);
      expect(config.keyFile.startsWith(config.dataDir)).toBe(true);
      expect(Object.keys(w.depends_on).sort()).toEqual(['node-ae', 'node-pk', 'otel-collector']);
      expect(hostPort(e.OTEL_EXPORTER_OTLP_ENDPOINT!).host).toBe('otel-collector');
      expect(e.HEALTHCHECK_URL).toBe(`http://127.0.0.1:${config.httpPort}/health/live`);
      for (const v of w.volumes) volumes.add(v.split(':')[0]);
    }
    expect(volumes.size).toBe(3);
  });

  it('declares every named volume it mounts, and no machine paths', () => {
    const declared = new Set(Object.keys(compose.volumes));
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const source = String(v).split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(join(DOCKER, source))).toBe(true);
        else expect({ service: name, declared: declared.has(source) }).toEqual({ service: name, declared: true });
      }
    }
    for (const f of readdirSync(DOCKER)) expect(readFileSync(join(DOCKER, f), 'utf8')).not.toMatch(/\/work\/|\/home\/|\/Users\//);
    for (const f of files) expect(readFileSync(join(K8S, f), 'utf8')).not.toMatch(/\/work\/|\/home\/|\/Users\//);
  });
});

describe('docker/otel-collector.yaml', () => {
  it('receives OTLP on the port the services send to, and every pipeline uses defined components', () => {
    const c = parse(readFileSync(join(DOCKER, 'otel-collector.yaml'), 'utf8'));
    expect(c.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(Object.keys(c.service.pipelines).sort()).toEqual(['logs', 'metrics', 'traces']);
    for (const p of Object.values<any>(c.service.pipelines)) {
      for (const r of p.receivers) expect(c.receivers[r]).toBeDefined();
      for (const x of p.processors ?? []) expect(c.processors[x]).toBeDefined();
      for (const x of p.exporters) expect(c.exporters[x]).toBeDefined();
    }
  });
});

describe('docker/Dockerfile', () => {
  const text = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
  // Instructions with their continuation lines joined, comments dropped.
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const i of instructions) {
    if (/^FROM /i.test(i)) stages.push([]);
    stages[stages.length - 1]?.push(i);
  }

  it('builds with the dev dependencies and runs on node:20-bookworm-slim with the production ones only', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]![0]).toBe('FROM node:20-bookworm AS build');
    expect(stages[0]!.join('\n')).toMatch(/npm install .*&& npm prune --omit=dev/);
    expect(stages[1]![0]).toMatch(/^FROM node:20-bookworm-slim\b/);
    expect(stages[1]!.filter((i) => /^RUN .*npm (install|ci)/.test(i))).toEqual([]);
    for (const copy of stages[1]!.filter((i) => /^COPY /.test(i))) expect(copy).toMatch(/^COPY --from=build /);
  });

  it('runs as an unprivileged numeric user, the node by default, with a health check', () => {
    const runtime = stages[1]!;
    const user = runtime.filter((i) => /^USER /.test(i)).pop()!;
    expect(user).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
    expect(runtime.some((i) => i.startsWith('HEALTHCHECK ') && i.includes('/health/live'))).toBe(true);
    const cmd = JSON.parse(runtime.filter((i) => /^CMD /.test(i)).pop()!.slice(4));
    expect(cmd).toEqual(['node', 'apps/node/dist/main.js']);
    // The entry points exist in the sources (dist/ is their build).
    for (const f of ['apps/node/src/main.ts', 'apps/watcher/src/main.ts', 'apps/cli/bin/corridor.js']) expect(existsSync(join(ROOT, f))).toBe(true);
    expect(existsSync(join(DOCKER, 'Dockerfile.dockerignore'))).toBe(true);
  });
});
