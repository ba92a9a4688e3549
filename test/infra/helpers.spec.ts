import { createServer } from 'node:net';
import { canConnect, freePort, parseHostPort, sleep, waitFor, withTimeout } from '../support/infra';

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 5 });
    expect(value).toEqual({ calls: 3 });
  });

  it('treats a throwing predicate as "not yet" and awaits async predicates', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls++;
        if (calls < 3) throw new Error('not ready');
        return 'ready';
      },
      { intervalMs: 5 },
    );
    expect(value).toBe('ready');
  });

  it('fails after the deadline, naming what it waited for and the last error', async () => {
    const started = Date.now();
    await expect(
      waitFor(
        () => {
          throw new Error('still 3 of 5');
        },
        { timeoutMs: 150, intervalMs: 20, what: 'five replicas' },
      ),
    ).rejects.toThrow(/Timed out after \d+ ms \(\d+ attempts\) waiting for five replicas; last error: still 3 of 5/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('makes one attempt even with a zero timeout', async () => {
    await expect(waitFor(() => 0, { timeoutMs: 0, what: 'zero' })).rejects.toThrow('waiting for zero; last result: 0');
    expect(await waitFor(() => 'now', { timeoutMs: 0 })).toBe('now');
  });
});

describe('withTimeout', () => {
  it('passes through a value or error that arrives in time', async () => {
    expect(await withTimeout(sleep(5).then(() => 42), 1000)).toBe(42);
    await expect(withTimeout(Promise.reject(new Error('boom')), 1000)).rejects.toThrow('boom');
  });

  it('rejects with a clear message when the deadline passes first', async () => {
    await expect(withTimeout(sleep(100), 20, 'the slow thing')).rejects.toThrow('Timed out after 20 ms waiting for the slow thing');
  });
});

describe('freePort / canConnect', () => {
  it('returns a loopback port that can be bound, and canConnect sees the listener come and go', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
    expect(await canConnect(port)).toBe(false);
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    try {
      expect(await canConnect(port)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(await canConnect(port)).toBe(false);
  });

  it('parses host:port addresses', () => {
    expect(parseHostPort('127.0.0.1:9092')).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(parseHostPort('[::1]:6379')).toEqual({ host: '::1', port: 6379 });
    expect(() => parseHostPort('localhost')).toThrow('Not a host:port address');
  });
});
