import { SpanKind } from '@opentelemetry/api';
import { A, streamKindOf } from './attributes';
import { instruments } from './metrics';
import { failSpan, inChildSpan, inSpan } from './tracing';

/**
 * The command path's telemetry (AggregateStore): a `corridor.command` span around a command (queueing on its
 * instance included), a `ledger.append` span, the append latency and the receipts counter around each append.
 */
export function commandSpan<T>(aggregate: string, id: string, command: string, fn: () => Promise<T>): Promise<T> {
  return inSpan('corridor.command', { kind: SpanKind.INTERNAL, attributes: { [A.aggregate]: aggregate, [A.aggregateId]: id, [A.command]: command } }, fn);
}

export interface AppendFacts {
  aggregate: string;
  stream: string;
  /** `local`: the node's own command; `peer`: receipts a peer's sequencer built. */
  origin: 'local' | 'peer';
  count: number;
  /** Sequence of the first receipt, when known before the append (received receipts). */
  sequence?: number;
}

/** Appends through `fn`, inside a `ledger.append` span (within a trace), timed into the append latency histogram. */
export function measuredAppend<R>(facts: AppendFacts, fn: () => Promise<R>): Promise<R> {
  const start = performance.now();
  const labels = { [A.aggregate]: facts.aggregate, [A.streamKind]: streamKindOf(facts.stream), [A.origin]: facts.origin };
  return inChildSpan('ledger.append', { kind: SpanKind.INTERNAL }, async (span) => {
    if (span.isRecording()) {
      span.setAttributes({ ...labels, [A.stream]: facts.stream, [A.receiptCount]: facts.count });
      if (facts.sequence !== undefined) span.setAttribute(A.sequence, facts.sequence);
    }
    const m = instruments();
    try {
      const result = await fn();
      m.appendDuration.record((performance.now() - start) / 1000, labels);
      m.receipts.add(facts.count, labels);
      if (span.isRecording()) describeAppended(span, result);
      return result;
    } catch (e) {
      m.appendDuration.record((performance.now() - start) / 1000, { ...labels, [A.errorType]: (e as Error)?.name ?? 'Error' });
      failSpan(span, e);
      throw e;
    }
  });
}

/** The sequences a local append produced (the writer answers with the signed receipts). */
function describeAppended(span: import('@opentelemetry/api').Span, result: unknown): void {
  const receipts = (result as { receipts?: unknown } | null)?.receipts;
  if (!Array.isArray(receipts) || receipts.length === 0) return;
  const first = (receipts[0] as { sequence?: unknown }).sequence;
  const last = (receipts[receipts.length - 1] as { sequence?: unknown }).sequence;
  if (typeof first === 'number') span.setAttribute(A.sequence, first);
  if (typeof last === 'number') span.setAttribute(A.sequenceLast, last);
}
