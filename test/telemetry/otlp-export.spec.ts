/**
 * OTLP export (spec/telemetry.md): off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (and OTEL_SDK_DISABLED is not true);
 * when set, main.ts starts the Node SDK, which exports the node's spans and metrics over OTLP/HTTP — here a node
 * process exporting to a loopback collector that records what it is sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../apps/node/src/config/node-config';
import { serviceNameOf, startTelemetry, telemetryConfigured } from '../../apps/node/src/telemetry/sdk';
import { tracingRegistered } from '../../apps/node/src/telemetry/tracing';
import { metricsRegistered } from '../../apps/node/src/telemetry/metrics';
import { buildExampleCorridor } from '../support/example-corridor';
import { waitFor } from '../support/infra';
import { prepareNodeProcess, type NodeProcess } from '../support/node-process';

jest.setTimeout(60_000);

describe('OTLP export', () => {
  it('is off by default, and with OTEL_SDK_DISABLED=true', async () => {
    expect(telemetryConfigured(loadConfig({}))).toBe(false);
    expect(telemetryConfigured(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }))).toBe(false);
    expect(telemetryConfigured(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'false' }))).toBe(true);
    const off = await startTelemetry(loadConfig({}), {});
    expect(off.enabled).toBe(false);
    expect(tracingRegistered()).toBe(false);
    expect(metricsRegistered()).toBe(false);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/otlpEndpoint \(OTEL_EXPORTER_OTLP_ENDPOINT\)/);
  });

  it('names the service corridor-node-<jurisdiction> unless OTEL_SERVICE_NAME does', () => {
    expect(serviceNameOf(loadConfig({ CORRIDOR_JURISDICTION: 'AE' }))).toBe('corridor-node-ae');
    expect(serviceNameOf(loadConfig({ CORRIDOR_JURISDICTION: 'AE', OTEL_SERVICE_NAME: 'ledger-ae-1' }))).toBe('ledger-ae-1');
  });

  describe('a node process with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    const received: { path: string; contentType: string; body: Buffer }[] = [];
    let collector: Server;
    let node: NodeProcess | undefined;

    beforeAll(async () => {
      collector = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) });
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        });
      });
      await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      await node?.stop();
      await new Promise((resolve) => collector.close(resolve));
    });

    it("exports its spans and metrics over OTLP/HTTP, flushed when it stops, and logs JSON lines", async () => {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      // What an operator sets (main.ts starts the SDK); the SDK reads the rest of its settings from the environment.
      node = await prepareNodeProcess({ jurisdiction: 'PK', seed: 'telemetry/otlp', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_METRIC_EXPORT_INTERVAL: '500', CORRIDOR_LOG_FORMAT: 'json', CORRIDOR_SIGNING_WORKERS: '0' } });
      await node.start();
      for (const [path, body] of Object.entries(corridorRequests())) {
        const r = await node.api('POST', path, body);
        expect(r.status).toBe(201);
      }
      const r = await node.api('POST', `/corridors/${CORRIDOR}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: 'INV-O-1', amount: '1.00', currency: 'USD' } } });
      expect(r.status).toBe(201);
      // The periodic metric export (every 500 ms here) carries the gauges while the node runs.
      await waitFor(() => received.some((x) => x.path === '/v1/metrics' && x.body.toString('latin1').includes('corridor.projection.lag')), { timeoutMs: 20_000, what: 'a metric export with the gauges' });
      await node.stop(); // SIGTERM: the node stops, then the SDK flushes its batched spans and a last metric collection

      const traces = received.filter((x) => x.path === '/v1/traces');
      const metrics = received.filter((x) => x.path === '/v1/metrics');
      expect(traces.length).toBeGreaterThan(0);
      expect(metrics.length).toBeGreaterThan(0);
      expect(traces[0]!.contentType).toBe('application/x-protobuf');
      const spanBytes = Buffer.concat(traces.map((t) => t.body)).toString('latin1');
      for (const s of ['corridor-node-pk', 'corridor.command', 'ledger.append', 'POST /corridors/:id/transitions', 'RecordCorridorTransition']) expect(spanBytes).toContain(s);
      const metricBytes = Buffer.concat(metrics.map((m) => m.body)).toString('latin1');
      for (const s of ['corridor-node-pk', 'corridor.ledger.receipts', 'corridor.ledger.append.duration', 'corridor.projection.lag']) expect(metricBytes).toContain(s);

      const logLines = node.output().split('\n').filter((l) => l.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      expect(JSON.parse(logLines.find((l) => l.includes('listening on'))!)).toMatchObject({ level: 'info', context: 'Node' });
    });
  });
});

const CORRIDOR = 'org.example.corridor.otlp';

function corridorRequests(): Record<string, unknown> {
  const c = buildExampleCorridor({ corridorId: CORRIDOR, seed: CORRIDOR, issuedAt: '2026-01-01T00:00:00Z' });
  return { '/corridors': c.requests.create, [`/corridors/${CORRIDOR}/submit`]: c.requests.submit, [`/corridors/${CORRIDOR}/activate`]: c.requests.activate };
}
