import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { canonicalize, PROBLEM_BASE_URI } from '@corridor/protocol';
import type { NodeConfig } from '../config/node-config';
import { SecurityGate } from './security-gate';

/** The security gate, bound to the application's router: mount `beforeBody` before the body reader, `afterBody` after it. */
export function securityGate(app: INestApplication): SecurityGate {
  const gate = app.get(SecurityGate);
  gate.bind(app.getHttpAdapter().getInstance());
  return gate;
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers-too-large', 'Request header fields too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request-timeout', 'Request timeout'],
};

/**
 * Limits of the HTTP server (spec/security.md §5): the size of a request head, the time to send it and the whole
 * request, idle keep-alive; no `X-Powered-By`. A request the HTTP parser refuses gets a short problem document and
 * the connection is closed — never an internal message.
 */
export function hardenHttpServer(app: INestApplication, config: NodeConfig): void {
  const server = app.getHttpServer() as Server & { maxHeaderSize?: number };
  server.maxHeaderSize = config.maxHeaderBytes; // read by node for every new connection (http.createServer's option)
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = config.requestTimeoutMs;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  // How often node checks the two timeouts above (default 30 s, which would let a slow client hold a socket that
  // much longer); read when the server starts listening.
  (server as Server & { connectionsCheckingInterval?: number }).connectionsCheckingInterval = 1000;
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    if (!socket.writable || (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, slug, title] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'bad-request', 'Bad request'];
    const body = canonicalize({ type: PROBLEM_BASE_URI + slug, title, status, detail: title.toLowerCase() });
    socket.end(`HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
