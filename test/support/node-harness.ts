import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type RunningNode } from '../../apps/node/src/bootstrap';
import { loadConfig } from '../../apps/node/src/config/node-config';

export interface TestNode extends RunningNode {
  dataDir: string;
  api: <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiAnswer<T>>;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** Starts a real node (embedded SQLite, HTTP on a free loopback port) in this process. */
export async function startTestNode(options: { dataDir?: string; jurisdiction?: string; env?: Record<string, string> } = {}): Promise<TestNode> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'corridor-node-'));
  const config = loadConfig({ CORRIDOR_DATA_DIR: dataDir, CORRIDOR_HTTP_PORT: '0', CORRIDOR_JURISDICTION: options.jurisdiction ?? 'PK', ...(options.env ?? {}) });
  const node = await startNode(config, { logger: false });
  const api = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(node.url + path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  };
  return { ...node, dataDir, api };
}
