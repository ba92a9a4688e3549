'use strict';
// A minimal HTTP/1.1 client for the load generator: one keep-alive connection, one request at a time, requests
// written as prepared bytes and answers read by Content-Length. node:http's client costs ~90 µs of CPU per request,
// which on a 2-core machine is CPU taken from the node being measured; this one costs a fraction of that.
// It understands exactly what the node sends (a status line, headers, a Content-Length body) and fails loudly on
// anything else (chunked answers, a closed connection), so it cannot quietly measure something else.
const net = require('node:net');

const HEAD_END = Buffer.from('\r\n\r\n');

class KeepAliveClient {
  /** `headers` go with every request (e.g. the operator's Authorization). */
  constructor(port, { host = '127.0.0.1', headers = {} } = {}) {
    this.port = port;
    this.host = host;
    this.headers = headers;
    this.socket = undefined;
    this.pending = undefined;
    this.buffer = Buffer.alloc(0);
  }

  /** POSTs `body` (an object, sent as JSON) to `path` with extra `headers`; resolves with `{status, text}`. */
  post(path, body, headers = {}) {
    const data = Buffer.from(JSON.stringify(body));
    const extra = Object.entries({ ...this.headers, ...headers }).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    const head = `POST ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nContent-Type: application/json\r\nContent-Length: ${data.length}\r\n${extra}\r\n`;
    return this.send(Buffer.concat([Buffer.from(head), data]));
  }

  /** GETs `path`; resolves with `{status, text}`. */
  get(path, headers = {}) {
    const extra = Object.entries({ ...this.headers, ...headers }).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    return this.send(Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n${extra}\r\n`));
  }

  send(request) {
    if (this.pending) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.connected().write(request);
    });
  }

  connected() {
    if (this.socket) return this.socket;
    const socket = net.connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => {
      this.socket = undefined;
      this.fail(new Error('the node closed the connection'));
    });
    this.socket = socket;
    return socket;
  }

  receive(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const headEnd = this.buffer.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = this.buffer.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) return this.fail(new Error(`an answer without Content-Length: ${head.split('\r\n')[0]}`));
    const end = headEnd + HEAD_END.length + Number(length[1]);
    if (this.buffer.length < end) return;
    const status = Number(head.slice(9, 12));
    const text = this.buffer.toString('utf8', headEnd + HEAD_END.length, end);
    this.buffer = this.buffer.subarray(end);
    const p = this.pending;
    this.pending = undefined;
    p?.resolve({ status, text });
  }

  fail(e) {
    const p = this.pending;
    this.pending = undefined;
    this.buffer = Buffer.alloc(0);
    p?.reject(e);
  }

  close() {
    this.socket?.destroy();
  }
}

module.exports = { KeepAliveClient };
