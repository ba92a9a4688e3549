import * as http from 'node:http';
import * as https from 'node:https';
import { StringDecoder } from 'node:string_decoder';

/** One Server-Sent Event (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseEvent {
  event: string;
  data: string;
  /** The event's `id` field, when it had one. */
  id?: string;
}

/**
 * Incremental SSE parser: feed it chunks, it calls `onEvent` for each dispatched event (synchronously, in order) and
 * `onComment` for comment lines (keep-alives). Lines end with LF, CRLF or CR; `data` lines are joined with LF.
 */
export class SseParser {
  private buffer = '';
  private readonly decoder = new StringDecoder('utf8');
  private eventType = '';
  private data: string[] = [];
  private id: string | undefined;
  private pendingCr = false;

  constructor(
    private readonly onEvent: (e: SseEvent) => void,
    private readonly onComment: (text: string) => void = () => {},
  ) {}

  push(chunk: Buffer | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (this.pendingCr && text !== '') {
      // a CR ended the previous chunk: an LF starting this one belongs to it
      if (text.startsWith('\n')) text = text.slice(1);
      this.pendingCr = false;
    }
    const buf = this.buffer + text;
    let start = 0;
    if (buf.indexOf('\r') < 0) {
      // the common case: LF line ends only
      for (let lf = buf.indexOf('\n'); lf >= 0; lf = buf.indexOf('\n', start)) {
        this.line(buf.slice(start, lf));
        start = lf + 1;
      }
    } else {
      for (;;) {
        const lf = buf.indexOf('\n', start);
        const cr = buf.indexOf('\r', start);
        if (lf < 0 && cr < 0) break;
        if (cr >= 0 && (lf < 0 || cr < lf)) {
          this.line(buf.slice(start, cr));
          if (cr + 1 === buf.length) {
            this.pendingCr = true;
            start = cr + 1;
          } else start = buf.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        } else {
          this.line(buf.slice(start, lf));
          start = lf + 1;
        }
      }
    }
    this.buffer = start === 0 ? buf : buf.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) {
        const e: SseEvent = { event: this.eventType || 'message', data: this.data.join('\n') };
        if (this.id !== undefined) e.id = this.id;
        this.eventType = '';
        this.data = [];
        this.id = undefined;
        this.onEvent(e);
      } else {
        this.eventType = '';
        this.id = undefined;
      }
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      this.onComment(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\u0000')) this.id = value;
        break;
      default:
        // `retry` and unknown fields: the watcher has its own back-off
        break;
    }
  }
}

export interface SseStreamOptions {
  url: string;
  headers?: Record<string, string>;
  onOpen: () => void;
  onEvent: (e: SseEvent) => void;
  /** Any bytes received (events or keep-alives): the idle timer's heartbeat. */
  onActivity: () => void;
  /** The stream ended or failed; `status` is the HTTP status when the server answered something else than 200. */
  onClose: (reason: { error?: Error; status?: number; body?: string }) => void;
}

export interface SseStream {
  close(): void;
}

/** Opens an SSE stream with node's http client (no buffering beyond the socket's: a slow reader slows the sender). */
export function openSseStream(options: SseStreamOptions): SseStream {
  const url = new URL(options.url);
  const client = url.protocol === 'https:' ? https : http;
  let closed = false;
  let response: http.IncomingMessage | undefined;
  const finish = (reason: { error?: Error; status?: number; body?: string }) => {
    if (closed) return;
    closed = true;
    req.destroy();
    response?.destroy();
    options.onClose(reason);
  };
  const req = client.request(url, { method: 'GET', headers: { accept: 'text/event-stream', 'cache-control': 'no-cache', ...(options.headers ?? {}) } }, (res) => {
    response = res;
    if (res.statusCode !== 200) {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 4096) body += c;
      });
      res.on('end', () => finish({ status: res.statusCode, body }));
      res.on('error', (error) => finish({ error, status: res.statusCode, body }));
      return;
    }
    options.onOpen();
    const parser = new SseParser((e) => {
      if (!closed) options.onEvent(e);
    });
    res.on('data', (chunk: Buffer) => {
      if (closed) return;
      options.onActivity();
      try {
        parser.push(chunk);
      } catch (e) {
        finish({ error: e as Error });
      }
    });
    res.on('end', () => finish({ error: new Error('the node ended the stream') }));
    res.on('error', (error) => finish({ error }));
    res.on('close', () => finish({ error: new Error('the stream closed') }));
  });
  req.on('error', (error) => finish({ error }));
  req.end();
  return {
    close() {
      finish({ error: new Error('closed by the watcher') });
    },
  };
}
