/**
 * Structured logs (spec/telemetry.md): one JSON object per line, with the trace and span ids of the span the line is
 * written in — a node started with CORRIDOR_LOG_FORMAT=json logs so, and its peering refusals carry the trace id of
 * the message that was refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { startNode, type RunningNode } from '../../apps/node/src/bootstrap';
import { loadConfig } from '../../apps/node/src/config/node-config';
import { PeeringService } from '../../apps/node/src/peering/peering.service';
import { JsonLogger } from '../../apps/node/src/telemetry/json-logger';
import { nodeTelemetry } from '../../apps/node/src/telemetry/node-telemetry';
import { installInMemoryTelemetry, type InMemoryTelemetry } from './telemetry-support';

jest.setTimeout(60_000);

describe('JSON logs', () => {
  let telemetry: InMemoryTelemetry;
  beforeAll(() => {
    telemetry = installInMemoryTelemetry();
  });
  afterAll(() => telemetry.shutdown());

  const capture = () => {
    const lines: string[] = [];
    return { lines, logger: (levels?: ConstructorParameters<typeof JsonLogger>[0]) => new JsonLogger(levels, (l) => void lines.push(l)), parsed: () => lines.map((l) => JSON.parse(l)) };
  };

  it('writes one object per line: level, time, context, message', () => {
    const out = capture();
    const log = out.logger();
    log.log('node PK listening', 'Node');
    log.warn({ event: 'peer-message-rejected', reason: 'stale' }, 'Peering');
    log.debug('not written at the default levels', 'Node');
    expect(out.lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const [info, warn] = out.parsed();
    expect(out.lines).toHaveLength(2);
    expect(info).toEqual({ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), context: 'Node', message: 'node PK listening' });
    expect(warn).toMatchObject({ level: 'warn', context: 'Peering', message: { event: 'peer-message-rejected', reason: 'stale' } });
    expect(info.trace_id).toBeUndefined();
  });

  it('adds the stack of errors and keeps extra arguments', () => {
    const out = capture();
    const log = out.logger();
    const err = new Error('store closed');
    log.error('append failed', err.stack, 'Ledger');
    log.error(err, 'Ledger');
    log.log('with details', { a: 1n }, 'Ctx');
    const [a, b, c] = out.parsed();
    expect(a).toMatchObject({ level: 'error', context: 'Ledger', message: 'append failed', stack: expect.stringContaining('store closed') });
    expect(b).toMatchObject({ level: 'error', context: 'Ledger', message: 'store closed', stack: expect.stringContaining('at ') });
    expect(c).toMatchObject({ message: 'with details', context: 'Ctx', details: [{ a: '1' }] });
  });

  it('carries the trace and span ids of the active span', () => {
    const out = capture();
    const log = out.logger();
    trace.getTracer('test').startActiveSpan('work', (span) => {
      log.log('inside', 'Test');
      span.end();
      const [line] = out.parsed();
      expect(line.trace_id).toBe(span.spanContext().traceId);
      expect(line.span_id).toBe(span.spanContext().spanId);
    });
  });

  it('is the node logger when CORRIDOR_LOG_FORMAT=json, and only then', () => {
    const json = nodeTelemetry(loadConfig({ CORRIDOR_LOG_FORMAT: 'json' }), 'did:key:z6Mktest', undefined);
    expect(json.bootLogger).toBeInstanceOf(JsonLogger);
    expect(json.runLogger).toBeInstanceOf(JsonLogger);
    const text = nodeTelemetry(loadConfig({}), 'did:key:z6Mktest', undefined);
    expect(text.bootLogger).toEqual(['error', 'warn']);
    expect(text.runLogger).toEqual(['error', 'warn', 'log']);
    expect(nodeTelemetry(loadConfig({ CORRIDOR_LOG_FORMAT: 'json' }), 'did:key:z6Mktest', false).runLogger).toBe(false); // a given logger wins
    expect(() => loadConfig({ CORRIDOR_LOG_FORMAT: 'yaml' })).toThrow(/logFormat \(CORRIDOR_LOG_FORMAT\)/);
  });

  describe('a node started with CORRIDOR_LOG_FORMAT=json', () => {
    let node: RunningNode | undefined;
    const written: string[] = [];
    afterAll(async () => {
      await node?.close();
      jest.restoreAllMocks();
    });

    it('logs JSON lines, and a refused peer message with the trace id it came with', async () => {
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
      const dataDir = mkdtempSync(join(tmpdir(), 'corridor-json-logs-'));
      node = await startNode(loadConfig({ CORRIDOR_DATA_DIR: dataDir, CORRIDOR_HTTP_PORT: '0', CORRIDOR_JURISDICTION: 'PK', CORRIDOR_LOG_FORMAT: 'json', CORRIDOR_SIGNING_WORKERS: '0' }));
      const lines = written.flatMap((w) => w.split('\n').filter(Boolean)).map((l) => JSON.parse(l));
      expect(lines.find((l) => l.context === 'Node' && /listening on/.test(l.message))).toMatchObject({ level: 'info' });
      expect(lines.every((l) => typeof l.level === 'string' && typeof l.time === 'string')).toBe(true);

      const traceId = '0af7651916cd43dd8448eb211c80319c';
      await node.app.get(PeeringService).receive(
        { kind: 'cosignature', corridor_id: 'org.example.not-shared', sequence: 0, next_root: 'a'.repeat(64), proof: {} },
        { source: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', id: 'x', traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      );
      const refused = written
        .flatMap((w) => w.split('\n').filter(Boolean))
        .map((l) => JSON.parse(l))
        .find((l) => l.context === 'Peering' && /unknown-corridor/.test(l.message));
      expect(refused).toMatchObject({ level: 'warn', trace_id: traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
      const receive = telemetry.spans.getFinishedSpans().find((s) => s.name === 'peer.receive' && s.spanContext().traceId === traceId)!;
      expect(refused.span_id).toBe(receive.spanContext().spanId);
      expect(receive.attributes).toMatchObject({ 'corridor.peer.verdict': 'reject', 'corridor.peer.reason': 'unknown-corridor' });
    });
  });
});
