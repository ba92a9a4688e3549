/** Telemetry of the node: traces, metrics and JSON logs with trace ids (spec/telemetry.md). */
export { A as ATTRIBUTES } from './attributes';
export { JsonLogger } from './json-logger';
export { METRICS } from './metrics';
export { nodeTelemetry, type NodeTelemetry } from './node-telemetry';
export { serviceNameOf, startTelemetry, telemetryConfigured, type TelemetrySdk } from './sdk';
export { TRACER_NAME } from './tracing';
