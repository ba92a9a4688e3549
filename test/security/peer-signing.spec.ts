/**
 * Peers sign what they send: every delivery of HttpPeerTransport and every catch-up read of PeerCatchUpClient
 * carries `Authorization: CorridorSig …` over the method, the path as sent and the body exactly as sent, with a fresh
 * nonce per attempt (a retried delivery is not a replay).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ed25519KeyPair, parseRequestSignature, verifyRequestSignature } from '@corridor/protocol';
import { HttpPeerTransport, PeerCatchUpClient } from '@corridor/peering';
import { waitFor } from '../support/infra';

const node = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 21), 'pk-node');
const peer = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 22), 'ae-node');

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

async function server(answer: (n: number) => number): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const s: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = answer(seen.length);
      res.setHeader('content-type', 'application/json');
      res.end(req.url!.includes('/receipts') ? '{"receipts":[]}' : '{}');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    seen,
    close: () => {
      s.closeAllConnections();
      return new Promise((r) => s.close(() => r()));
    },
  };
}

function verifies(r: Seen, did: string): boolean {
  const parts = parseRequestSignature(r.authorization!);
  const v = verifyRequestSignature(parts, { method: r.method, path: r.url, body: r.body }, { windowSeconds: 60 });
  return v.ok && v.did === did;
}

describe('peers sign their requests', () => {
  it('HttpPeerTransport signs every delivery attempt over the body as sent, each with its own nonce', async () => {
    const srv = await server((n) => (n === 1 ? 503 : 202)); // the first attempt fails and is retried
    const transport = new HttpPeerTransport({ selfDid: node.did, signer: node, peers: new Map([[peer.did, `${srv.url}/base/`]]), retry: { initialMs: 10, maxMs: 50 }, logger: { log() {}, warn() {}, error() {} } });
    try {
      await transport.start(async () => undefined);
      await transport.publish({ kind: 'checkpoint', corridor_id: 'org.example.c', checkpoint: { receipt_count: 1 } } as never, { to: [peer.did] });
      await waitFor(async () => srv.seen.length >= 2, { timeoutMs: 5000, what: 'the retried delivery' });
      expect(srv.seen.map((r) => r.url)).toEqual(['/base/peering/messages', '/base/peering/messages']);
      expect(srv.seen.every((r) => verifies(r, node.did))).toBe(true);
      const nonces = srv.seen.map((r) => parseRequestSignature(r.authorization!).nonce);
      expect(new Set(nonces).size).toBe(2);
      // Tampering with the body would break it.
      const tampered = { ...srv.seen[0]!, body: srv.seen[0]!.body.replace('org.example.c', 'org.example.d') };
      expect(verifies(tampered, node.did)).toBe(false);
    } finally {
      await transport.stop();
      await srv.close();
    }
  });

  it('PeerCatchUpClient signs its reads (path and query as sent); unsigned without a signer', async () => {
    const srv = await server(() => 200);
    try {
      await new PeerCatchUpClient({ signer: node, timeoutMs: 2000 }).fetchReceipts(srv.url, 'org.example.c d', 4, 10);
      await new PeerCatchUpClient({ signer: node, timeoutMs: 2000 }).fetchCheckpoint(srv.url, 'org.example.c');
      await new PeerCatchUpClient({ timeoutMs: 2000 }).fetchReceipts(srv.url, 'org.example.c', 4, 10);
      expect(srv.seen[0]!.url).toBe('/corridors/org.example.c%20d/receipts?after=4&limit=10');
      expect(verifies(srv.seen[0]!, node.did)).toBe(true);
      expect(verifies(srv.seen[1]!, node.did)).toBe(true);
      expect(srv.seen[2]!.authorization).toBeUndefined();
    } finally {
      await srv.close();
    }
  });

  it('a transport refuses a signer that is not its own did', () => {
    expect(() => new HttpPeerTransport({ selfDid: node.did, signer: peer, peers: new Map() })).toThrow(/is not selfDid/);
  });
});
