import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Ed25519KeyPair } from '@corridor/protocol';

/** A metric reader that only collects when asked (what an exporter would be handed). */
export class InMemoryMetricReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}

  /** Every metric of the collection, by name. */
  async metrics(): Promise<Map<string, MetricData>> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length) throw new Error(`metric collection failed: ${errors.map(String).join('; ')}`);
    const out = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) out.set(m.descriptor.name, m);
    return out;
  }
}

export interface InMemoryTelemetry {
  spans: InMemorySpanExporter;
  metrics: InMemoryMetricReader;
  shutdown(): Promise<void>;
}

/**
 * What the Node SDK registers, with in-memory exporters: a tracer provider (every span kept), the AsyncLocalStorage
 * context manager, the W3C trace-context propagator and a meter provider. Call before the nodes start.
 */
export function installInMemoryTelemetry(): InMemoryTelemetry {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const reader = new InMemoryMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  trace.setGlobalTracerProvider(tracerProvider);
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    metrics: reader,
    shutdown: async () => {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
      trace.disable();
      context.disable();
      propagation.disable();
      metrics.disable();
    },
  };
}

/** The data points of a metric whose attributes include `match`. */
export function pointsOf(metric: MetricData | undefined, match: Record<string, unknown> = {}): DataPoint<any>[] {
  if (!metric) return [];
  return (metric.dataPoints as DataPoint<any>[]).filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}

export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** A data folder holding a node key made from `seed`, so the node's did:key is known before it starts. */
export function dataDirWithKey(seed: string, jurisdiction: string): { dataDir: string; key: Ed25519KeyPair } {
  const dataDir = mkdtempSync(join(tmpdir(), `corridor-telemetry-${jurisdiction.toLowerCase()}-`));
  mkdirSync(dataDir, { recursive: true });
  const key = Ed25519KeyPair.fromSeed(createHash('sha256').update(seed).digest(), `${jurisdiction.toLowerCase()}-node`);
  writeFileSync(join(dataDir, 'node.jwk'), JSON.stringify(key.toJwk({ includePrivate: true })), { mode: 0o600 });
  return { dataDir, key };
}
