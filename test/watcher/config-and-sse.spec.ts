import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ed25519KeyPair } from '@corridor/protocol';
import { loadOrCreateWatcherKey, loadWatcherConfig, SseParser, WatcherConfigError, type SseEvent } from '../../apps/watcher/src';
import { Backoff } from '../../apps/watcher/src/backoff';

const ROOT = resolve(__dirname, '..', '..');

describe('configuration', () => {
  it('reads every variable, with defaults', () => {
    const c = loadWatcherConfig({
      WATCHER_NODES: 'http://127.0.0.1:8080/, https://node.example:8443/api ,http://127.0.0.1:8080',
      WATCHER_CORRIDORS: 'org.example.pk-ae,org.example.kz-sg',
      WATCHER_DATA_DIR: '/var/lib/watcher',
      WATCHER_HTTP_PORT: '0',
      WATCHER_MAX_BACKOFF_MS: '5000',
    });
    expect(c).toMatchObject({
      nodes: ['http://127.0.0.1:8080', 'https://node.example:8443/api'],
      corridors: ['org.example.pk-ae', 'org.example.kz-sg'],
      dataDir: '/var/lib/watcher',
      keyFile: '/var/lib/watcher/watcher.jwk',
      httpHost: '127.0.0.1',
      httpPort: 0,
      maxBackoffMs: 5000,
      pollIntervalMs: 5000,
    });
  });

  it('reports every bad variable at once, each by name', () => {
    let error: unknown;
    try {
      loadWatcherConfig({ WATCHER_NODES: 'ftp://x, not a url', WATCHER_HTTP_PORT: '70000', WATCHER_MAX_BACKOFF_MS: 'soon', WATCHER_CORRIDORS: 'ok.id,bad id' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WatcherConfigError);
    const message = (error as Error).message;
    for (const fragment of ['WATCHER_NODES: "ftp://x"', 'WATCHER_NODES: "not a url"', 'WATCHER_HTTP_PORT must be a whole number in 0..65535', 'WATCHER_MAX_BACKOFF_MS', 'WATCHER_CORRIDORS: "bad id"']) {
      expect(message).toContain(fragment);
    }
    expect(() => loadWatcherConfig({})).toThrow(/WATCHER_NODES is required.*WATCHER_CORRIDORS is required/);
  });

  it('the daemon refuses a bad configuration before starting: exit 78 and the variables named', () => {
    const r = spawnSync(process.execPath, ['-r', join(ROOT, 'libs/ledger/worker/ts-register.js'), join(ROOT, 'apps/watcher/src/main.ts')], {
      env: { ...process.env, WATCHER_NODES: '', WATCHER_CORRIDORS: 'x y' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('corridor watcher: configuration: WATCHER_NODES is required');
    expect(r.stderr).toContain('WATCHER_CORRIDORS: "x y"');
  });

  it('generates the key on first start with mode 0600, then reads it back; tightens a loose file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'watcher-key-'));
    const file = join(dir, 'keys', 'watcher.jwk');
    const first = loadOrCreateWatcherKey(file);
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadOrCreateWatcherKey(file);
    expect([again.created, again.key.did]).toEqual([false, first.key.did]);
    const loose = join(dir, 'loose.jwk');
    writeFileSync(loose, JSON.stringify(Ed25519KeyPair.generate().toJwk({ includePrivate: true })), { mode: 0o644 });
    loadOrCreateWatcherKey(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o600);
  });
});

describe('SSE parser', () => {
  const parse = (chunks: (string | Buffer)[]) => {
    const events: SseEvent[] = [];
    const comments: string[] = [];
    const p = new SseParser((e) => events.push(e), (c) => comments.push(c));
    for (const c of chunks) p.push(c);
    return { events, comments };
  };

  it('events with ids, types, multi-line data and comments', () => {
    const { events, comments } = parse([': hello\n\nevent: receipt\nid: 7\ndata: {"a":1}\n\n: keep-alive\n\ndata: line1\ndata: line2\n\n']);
    expect(events).toEqual([
      { event: 'receipt', id: '7', data: '{"a":1}' },
      { event: 'message', data: 'line1\nline2' },
    ]);
    expect(comments).toEqual(['hello', 'keep-alive']);
  });

  it('any chunking, CRLF and CR line ends, a UTF-8 character split across chunks', () => {
    const text = 'event: receipt\r\nid: 1\r\ndata: {"é":"ü"}\r\n\r\nevent: checkpoint\rdata: {"x":2}\r\r';
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const { events } = parse([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(events).toEqual([
        { event: 'receipt', id: '1', data: '{"é":"ü"}' },
        { event: 'checkpoint', data: '{"x":2}' },
      ]);
    }
    expect(parse([...bytes].map((b) => Buffer.from([b]))).events).toHaveLength(2);
  });

  it('an event is dispatched only at its blank line', () => {
    const { events } = parse(['event: receipt\ndata: {}\n']);
    expect(events).toEqual([]);
  });
});

describe('back-off', () => {
  it('doubles up to the cap, with jitter in [delay/2, delay], and resets', () => {
    const b = new Backoff(100, 1000, () => 1);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
    expect(new Backoff(100, 1000, () => 0).next()).toBe(50);
  });
});
