import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ProxyTracerProvider,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

/**
 * Tracing of the node through the OpenTelemetry API only (spec/telemetry.md). Without a registered SDK every call
 * here lands on the API's no-op tracer: a span is a non-recording object, nothing is measured or exported.
 */
export const TRACER_NAME = 'corridor-ledger';

const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The tracer provider registered now (the API's no-op one when none is). */
function registeredProvider(): TracerProvider {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
}

let cached: { provider: TracerProvider; tracer: Tracer } | undefined;

/** The node's tracer on the provider registered now (looked up again when another one was registered since). */
export function tracer(): Tracer {
  const provider = registeredProvider();
  if (cached?.provider !== provider) cached = { provider, tracer: provider.getTracer(TRACER_NAME) };
  return cached.tracer;
}

/** True when an SDK (ours, a test's, an agent's) registered a tracer provider: spans are then worth making. */
export function tracingRegistered(): boolean {
  return registeredProvider() !== NOOP_TRACER_PROVIDER;
}

/** True when the active context carries a span (local or remote): child spans have somewhere to hang. */
export function inTrace(ctx: Context = context.active()): boolean {
  const sc = trace.getSpanContext(ctx);
  return sc !== undefined && isSpanContextValid(sc);
}

/**
 * Runs `fn` in a new span made active for everything it starts (synchronously or through promises). The span ends
 * when `fn` returns or its promise settles; a throw or a rejection is recorded on it (status ERROR) and passed on.
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => T, parent: Context = context.active()): T {
  const span = tracer().startSpan(name, options, parent);
  return runIn(span, trace.setSpan(parent, span), fn);
}

/**
 * The same, but only inside a trace: a unit of work that is part of something larger (an append, a verification,
 * a send) is not worth a trace of its own, so without an active span `fn` runs with a non-recording span.
 */
export function inChildSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => T): T {
  const parent = context.active();
  if (!inTrace(parent)) return fn(NO_SPAN);
  return inSpan(name, options, fn, parent);
}

function runIn<T>(span: Span, ctx: Context, fn: (span: Span) => T): T {
  let result: T;
  try {
    result = context.with(ctx, fn, undefined, span);
  } catch (e) {
    failSpan(span, e);
    span.end();
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (e: unknown) => {
        failSpan(span, e);
        span.end();
        throw e;
      },
    ) as T;
  }
  span.end();
  return result;
}

/** Marks a span failed by `error` (an exception event and status ERROR). */
export function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}

/** The W3C `traceparent` of a context (the active one by default) through the registered propagator, if any. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  if (!inTrace(ctx)) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** `base` with the remote parent a W3C `traceparent` names (unchanged when there is none or it does not parse). */
export function contextOfTraceparent(traceparent: string | undefined, base: Context = context.active()): Context {
  return traceparent ? propagation.extract(base, { traceparent }) : base;
}

/** The active span's ids for log lines, or undefined outside a trace. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const sc = trace.getSpanContext(context.active());
  return sc && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : undefined;
}
