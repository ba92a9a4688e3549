import type { NodeConfig } from '../config/node-config';

/** The process's OpenTelemetry SDK, when one was started. */
export interface TelemetrySdk {
  /** True when the SDK runs (OTLP export configured and not disabled). */
  readonly enabled: boolean;
  readonly serviceName: string | undefined;
  /** Exports what is pending and stops (a no-op when off). */
  shutdown(): Promise<void>;
}

const OFF: TelemetrySdk = { enabled: false, serviceName: undefined, shutdown: async () => undefined };

/** `corridor-node-<jurisdiction>` unless OTEL_SERVICE_NAME names the service. */
export function serviceNameOf(config: NodeConfig): string {
  return config.otelServiceName ?? `corridor-node-${config.jurisdiction.toLowerCase()}`;
}

/** True when OTLP export is configured and OTEL_SDK_DISABLED does not turn it off. */
export function telemetryConfigured(config: NodeConfig): boolean {
  return config.otlpEndpoint !== undefined && !/^true$/i.test((config.otelSdkDisabled ?? '').trim());
}

/**
 * Starts the OpenTelemetry Node SDK with OTLP export of traces and metrics when OTEL_EXPORTER_OTLP_ENDPOINT is set
 * (and OTEL_SDK_DISABLED is not true); otherwise does nothing and loads nothing. One SDK per process: call it before
 * the node starts (main.ts), so the node finds the registered providers. The SDK reads the other standard OTEL_*
 * variables itself (protocol, headers, per-signal endpoints, sampler, OTEL_METRIC_EXPORT_INTERVAL, …).
 */
export async function startTelemetry(config: NodeConfig, env: NodeJS.ProcessEnv = process.env): Promise<TelemetrySdk> {
  if (!telemetryConfigured(config)) return OFF;
  // The exporters read the endpoint from the environment; a configuration file may be where it was given.
  env.OTEL_EXPORTER_OTLP_ENDPOINT ??= config.otlpEndpoint;
  const { NodeSDK, resources } = await import('@opentelemetry/sdk-node');
  const serviceName = serviceNameOf(config);
  const sdk = new NodeSDK({
    serviceName,
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ 'corridor.jurisdiction': config.jurisdiction })),
    // Logs are the node's own (stdout; JSON with trace ids when CORRIDOR_LOG_FORMAT=json), not exported over OTLP.
    logRecordProcessors: [],
  });
  sdk.start();
  return { enabled: true, serviceName, shutdown: () => sdk.shutdown() };
}
