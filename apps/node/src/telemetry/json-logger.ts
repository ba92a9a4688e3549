import type { LoggerService, LogLevel } from '@nestjs/common';
import { activeTraceIds } from './tracing';

/** Nest's levels as written in a JSON line. */
const LEVEL_NAMES: Record<LogLevel, string> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };
const STACK = /\n\s+at /;

/**
 * A Nest logger writing one JSON object per line: `level`, `time` (RFC 3339, ms), `context`, `message`, and
 * `trace_id` / `span_id` when the line is written inside a span — so a log line finds its trace and the trace its
 * lines. Errors add `stack`; further arguments go to `details`. Selected with CORRIDOR_LOG_FORMAT=json.
 */
export class JsonLogger implements LoggerService {
  private levels: Set<LogLevel>;

  constructor(
    levels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log'],
    private readonly write: (line: string) => void = (line) => void process.stdout.write(line),
  ) {
    this.levels = new Set(levels);
  }

  setLogLevels(levels: LogLevel[]): void {
    this.levels = new Set(levels);
  }

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.print('log', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.print('error', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.print('warn', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.print('debug', message, optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.print('verbose', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.print('fatal', message, optionalParams);
  }

  private print(level: LogLevel, message: unknown, params: unknown[]): void {
    // Nest's `fatal` passes through an `error` level set (as its ConsoleLogger does).
    if (!this.levels.has(level) && !(level === 'fatal' && this.levels.has('error'))) return;
    const rest = [...params];
    // As Nest's loggers read their arguments: a trailing string is the context; for errors, a stack before it.
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    let stack: string | undefined;
    if ((level === 'error' || level === 'fatal') && rest.length > 0) {
      const last = rest[rest.length - 1];
      if (last === undefined || (typeof last === 'string' && STACK.test(last))) stack = rest.pop() as string | undefined;
    }
    if (message instanceof Error) stack ??= message.stack;
    const line: Record<string, unknown> = { level: LEVEL_NAMES[level], time: new Date().toISOString() };
    if (context !== undefined) line.context = context;
    line.message = message instanceof Error ? message.message : message;
    const ids = activeTraceIds();
    if (ids) {
      line.trace_id = ids.trace_id;
      line.span_id = ids.span_id;
    }
    if (stack) line.stack = stack;
    if (rest.length > 0) line.details = rest.map((d) => (d instanceof Error ? { name: d.name, message: d.message, stack: d.stack } : d));
    this.write(`${safeStringify(line)}\n`);
  }
}

/** JSON.stringify that writes big integers as numbers' text and never throws (cycles become "[Circular]"). */
function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  } catch (e) {
    return JSON.stringify({ level: 'error', time: new Date().toISOString(), message: `unserialisable log line: ${(e as Error).message}` });
  }
}
