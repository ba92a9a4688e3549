import { createNoopMeter, metrics, ValueType, type Counter, type Histogram, type Meter, type MeterProvider, type ObservableGauge } from '@opentelemetry/api';

/** Metric names and units (spec/telemetry.md). */
export const METRICS = {
  appendDuration: 'corridor.ledger.append.duration',
  receipts: 'corridor.ledger.receipts',
  projectionLag: 'corridor.projection.lag',
  projectionStaleness: 'corridor.projection.staleness',
  subscribers: 'corridor.stream.subscribers',
  subscriptionLag: 'corridor.stream.subscription.lag',
  cosignatureLag: 'corridor.peer.cosignature.lag',
  sequencerLag: 'corridor.peer.sequencer.lag',
  watcherQuorumAge: 'corridor.watcher.quorum.age',
} as const;

export const METER_NAME = 'corridor-ledger';

/** Bucket bounds of the append latency, in seconds: 0.5 ms … 10 s (a durable SQLite append is about a millisecond). */
const APPEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Instruments {
  readonly meter: Meter;
  readonly appendDuration: Histogram;
  readonly receipts: Counter;
  readonly projectionLag: ObservableGauge;
  readonly projectionStaleness: ObservableGauge;
  readonly subscribers: ObservableGauge;
  readonly subscriptionLag: ObservableGauge;
  readonly cosignatureLag: ObservableGauge;
  readonly sequencerLag: ObservableGauge;
  readonly watcherQuorumAge: ObservableGauge;
}

const NoopMeter = createNoopMeter().constructor;
let cached: { provider: MeterProvider; instruments: Instruments } | undefined;

/** True when an SDK registered a meter provider (metrics are then worth computing). */
export function metricsRegistered(): boolean {
  return !(metrics.getMeter(METER_NAME) instanceof NoopMeter);
}

/**
 * The node's instruments on the registered meter provider. The metrics API has no proxy (a meter taken before the
 * SDK registers stays a no-op), so they are looked up again whenever the global provider changed.
 */
export function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter(METER_NAME);
  const instruments: Instruments = {
    meter,
    appendDuration: meter.createHistogram(METRICS.appendDuration, {
      description: 'Time to append receipts to one stream of the event store (signing, chaining, the durable write)',
      unit: 's',
      advice: { explicitBucketBoundaries: APPEND_BUCKETS },
    }),
    receipts: meter.createCounter(METRICS.receipts, { description: 'Receipts appended (their rate is receipts per second)', unit: '{receipt}', valueType: ValueType.INT }),
    projectionLag: meter.createObservableGauge(METRICS.projectionLag, {
      description: 'Events of the log a projection folds and has not committed yet (exact up to 10,000)',
      unit: '{event}',
      valueType: ValueType.INT,
    }),
    projectionStaleness: meter.createObservableGauge(METRICS.projectionStaleness, {
      description: 'Age of the oldest event of the log a projection has not committed yet (0: caught up)',
      unit: 's',
    }),
    subscribers: meter.createObservableGauge(METRICS.subscribers, { description: 'Open receipt-stream (SSE) subscriptions of a corridor', unit: '{subscriber}', valueType: ValueType.INT }),
    subscriptionLag: meter.createObservableGauge(METRICS.subscriptionLag, {
      description: "Receipts the furthest-behind receipt-stream subscriber of a corridor has not been sent yet (head − last sent)",
      unit: '{receipt}',
      valueType: ValueType.INT,
    }),
    cosignatureLag: meter.createObservableGauge(METRICS.cosignatureLag, {
      description: "Receipts of a shared corridor held here that a co-signer has not co-signed (head − the co-signer's cosigned_up_to)",
      unit: '{receipt}',
      valueType: ValueType.INT,
    }),
    sequencerLag: meter.createObservableGauge(METRICS.sequencerLag, {
      description: 'On a co-signer: receipts the sequencer announced that this node does not hold yet (highest verified − head)',
      unit: '{receipt}',
      valueType: ValueType.INT,
    }),
    watcherQuorumAge: meter.createObservableGauge(METRICS.watcherQuorumAge, { description: "Time since the corridor's last watcher quorum was recorded", unit: 's' }),
  };
  cached = { provider, instruments };
  return instruments;
}
