/**
 * Properties of the authentication layer on a running node: forged, replayed, expired, re-targeted and altered
 * signed requests, malformed headers and unknown bearer tokens are all refused with 401 — never a 500, never a
 * handler — and a valid one passes. And whatever the spelling of a path (letter case, trailing slash, percent-
 * encoded parameters), a principal reaches only the handlers its role may use.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { signRequest, type Ed25519KeyPair } from '@corridor/protocol';
import { tokenDigest } from '../../apps/node/src/security/bearer-tokens';
import { PROBLEM, peerKey, startSecurityNode, strangerKey, watcherKey, REGULATOR_TOKEN, type SecurityNode } from './security-fixture';

jest.setTimeout(180_000);

const CORRIDOR = 'org.example.no-such';
const READS = [`/corridors/${CORRIDOR}`, `/corridors/${CORRIDOR}/receipts?after=-1&limit=5`, `/corridors/${CORRIDOR}/checkpoint`, `/corridors/${CORRIDOR}/consistency?from=1&to=2`, '/node'];
const nonceArb = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
const now = () => Math.floor(Date.now() / 1000);

describe('authentication, property-tested', () => {
  let s: SecurityNode;
  let url: string;

  beforeAll(async () => {
    s = await startSecurityNode({ CORRIDOR_RATE_LIMITS: 'peer=0:0,watcher=0:0,operator=0:0', CORRIDOR_REQUEST_SIGNATURE_WINDOW_SECONDS: '60' });
    url = s.node.url;
  });
  afterAll(async () => s?.node.close());

  async function send(method: string, path: string, authorization: string | undefined, body?: string) {
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers.authorization = authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  }

  function expect401(r: { status: number; json: any; text: string }): void {
    if (r.status !== 401) throw new Error(`expected 401, got ${r.status}: ${r.text.slice(0, 300)}`);
    expect(r.json?.type).toBe(PROBLEM + 'unauthenticated');
    expect(r.text).not.toMatch(/\n\s+at |node_modules|\/src\//);
  }

  const signedBy = (key: Ed25519KeyPair, method: string, path: string, body?: string, options?: { time?: number; nonce?: string }) => signRequest({ method, path, body }, key, options);

  it('a valid signed request of a peer passes (the handler answers), once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...READS), nonceArb, async (path, nonce) => {
        const header = signedBy(peerKey, 'GET', path, undefined, { nonce });
        const first = await send('GET', path, header);
        expect([200, 404]).toContain(first.status);
        if (first.status === 404) expect(first.json.detail).not.toMatch(/^no endpoint/);
        // Replayed: the same request, byte for byte, is refused.
        const again = await send('GET', path, header);
        expect401(again);
        expect(again.json.detail).toMatch(/nonce was already used/);
      }),
      { numRuns: 40 },
    );
  });

  it('forged: a signature by another key claiming the peer or the watcher is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...READS), fc.constantFrom(peerKey.did, watcherKey.did), async (path, claimed) => {
        const header = signedBy(strangerKey, 'GET', path).replace(`did="${strangerKey.did}"`, `did="${claimed}"`);
        expect401(await send('GET', path, header));
      }),
      { numRuns: 30 },
    );
    // …and the stranger's own, valid signature: not a principal of this node.
    const r = await send('GET', READS[0]!, signedBy(strangerKey, 'GET', READS[0]!));
    expect401(r);
    expect(r.json.detail).toMatch(/neither a peer nor a bonded watcher/);
  });

  it('expired or future-dated beyond the window: refused, whatever the offset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...READS), fc.integer({ min: 62, max: 10_000_000 }), fc.boolean(), async (path, offset, past) => {
        const header = signedBy(peerKey, 'GET', path, undefined, { time: now() + (past ? -offset : offset) });
        const r = await send('GET', path, header);
        expect401(r);
        expect(r.json.detail).toMatch(/outside the 60 s window/);
      }),
      { numRuns: 40 },
    );
  });

  it('re-targeted or altered: a signature over another method, path, query or body is refused', async () => {
    const bodyArb = fc.record({ a: fc.string({ maxLength: 20 }), n: fc.integer() }).map((o) => JSON.stringify(o));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...READS), fc.constantFrom(...READS), bodyArb, bodyArb, async (signedPath, sentPath, signedBody, sentBody) => {
        if (signedPath !== sentPath) expect401(await send('GET', sentPath, signedBy(peerKey, 'GET', signedPath)));
        // The watcher submits an attestation: the body it signed must be the body sent.
        const path = `/corridors/${CORRIDOR}/attestations`;
        if (signedBody !== sentBody) expect401(await send('POST', path, signedBy(watcherKey, 'POST', path, signedBody), sentBody));
        // Signed as a POST, sent as a GET (and the other way round).
        expect401(await send('GET', sentPath, signedBy(peerKey, 'POST', sentPath)));
      }),
      { numRuns: 30 },
    );
    // The same body, signed and sent: it reaches the endpoint (which refuses the attestation itself).
    const path = `/corridors/${CORRIDOR}/attestations`;
    const body = JSON.stringify({ attestation: {} });
    const r = await send('POST', path, signedBy(watcherKey, 'POST', path, body), body);
    expect([400, 404, 422]).toContain(r.status);
  });

  it('malformed Authorization headers: 401, never a 500', async () => {
    const printable = fc.string({ minLength: 1, maxLength: 300 }).map((x) => x.trim()).filter((x) => x.length > 0);
    const sigField = fc.constantFrom('did', 'ts', 'nonce', 'sig', 'x', 'DID', '');
    const corridorSig = fc
      .array(fc.tuple(sigField, fc.oneof(fc.string({ maxLength: 90 }), fc.constant(peerKey.did), fc.constant(String(now())), nonceArb)), { maxLength: 6 })
      .map((fields) => `CorridorSig ${fields.map(([k, v]) => `${k}="${v}"`).join(', ')}`.trim());
    const bearer = fc.oneof(printable.map((t) => `Bearer ${t}`), printable.map((t) => `bearer ${t}`), fc.constant('Bearer'), fc.constant('Bearer  '), fc.string({ minLength: 513, maxLength: 700 }).map((t) => `Bearer ${t.replace(/\s/g, 'x')}`));
    await fc.assert(
      fc.asyncProperty(fc.oneof(printable, corridorSig, bearer), fc.constantFrom(...READS, '/regulator/dashboard', '/peering/messages'), async (header, path) => {
        const method = path === '/peering/messages' ? 'POST' : 'GET';
        expect401(await send(method, path, header, method === 'POST' ? '{}' : undefined));
      }),
      { numRuns: 200 },
    );
  });

  it('bearer tokens: unknown ones are refused; a token is compared by its digest (never a prefix, never the digest itself)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\x21-\x7e]{1,100}$/), async (token) => {
        fc.pre(token !== REGULATOR_TOKEN && token !== s.node.operatorToken);
        expect401(await send('GET', '/node', `Bearer ${token}`));
      }),
      { numRuns: 100 },
    );
    for (const near of [REGULATOR_TOKEN.slice(0, -1), `${REGULATOR_TOKEN}x`, REGULATOR_TOKEN.toUpperCase(), tokenDigest(REGULATOR_TOKEN), ` ${REGULATOR_TOKEN}x`]) {
      expect401(await send('GET', '/node', `Bearer ${near}`));
    }
    expect((await send('GET', '/node', `Bearer ${REGULATOR_TOKEN}`)).status).toBe(200);
    expect((await send('GET', '/node', `bearer   ${REGULATOR_TOKEN}  `)).status).toBe(200);
  });

  it('bytes no HTTP client would send (obs-text, NUL-free binary) in Authorization: 401 or a parser 400, never a 500', async () => {
    const raw = (headerValue: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const sock = connect(Number(new URL(url).port), '127.0.0.1');
        let out = '';
        sock.on('data', (d) => (out += d.toString('latin1')));
        sock.on('end', () => resolve(out));
        sock.on('error', reject);
        sock.write(Buffer.concat([Buffer.from('GET /node HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: '), headerValue, Buffer.from('\r\n\r\n')]));
      });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        const clean = Buffer.from(bytes).filter((b) => b !== 0x0d && b !== 0x0a && b !== 0x00);
        const answer = await raw(Buffer.from(clean));
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
        expect([400, 401]).toContain(status);
        expect(answer).not.toMatch(/\n\s+at |node_modules/);
      }),
      { numRuns: 60 },
    );
  });
});

describe('authorization, whatever the spelling of the path', () => {
  let s: SecurityNode;
  beforeAll(async () => {
    s = await startSecurityNode({ CORRIDOR_RATE_LIMITS: 'peer=0:0,watcher=0:0,operator=0:0,regulator=0:0,auditor=0:0' });
  });
  afterAll(async () => s?.node.close());

  /** The path with letters of its literal segments in random case, parameters partly percent-encoded, maybe a trailing slash. */
  const spelling = (template: string) =>
    fc.tuple(fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), fc.boolean(), fc.constantFrom('x', 'org.example.no-such', 'A-b_c.9')).map(([flips, slash, param]) => {
      let i = 0;
      const path = template
        .split('/')
        .map((seg) => {
          if (seg.startsWith('{')) return [...param].map((c) => (flips[i++ % 64] ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : c)).join('');
          return [...seg].map((c) => (flips[i++ % 64] ? c.toUpperCase() : c)).join('');
        })
        .join('/');
      return slash ? `${path}/` : path;
    });

  const refused: [string, string, 'watcher' | 'peer' | 'auditor' | 'regulator' | 'anonymous'][] = [
    ['POST', '/corridors/{id}/transitions', 'watcher'],
    ['POST', '/corridors/{id}/suspend', 'peer'],
    ['GET', '/regulator/dashboard', 'peer'],
    ['GET', '/regulator/corridors/{id}', 'auditor'],
    ['GET', '/audit/trail', 'regulator'],
    ['POST', '/admin/projections/{id}/rebuild', 'regulator'],
    ['GET', '/peering/status', 'watcher'],
    ['GET', '/regulator/dashboard', 'anonymous'],
    ['GET', '/console', 'anonymous'],
  ];

  it('a principal never reaches a handler its role may not use', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...refused).chain(([m, t, who]) => spelling(t).map((p) => [m, p, who] as const)), async ([method, path, who]) => {
        const r = await s.callers[who].api(method, path, method === 'POST' ? {} : undefined);
        if (who === 'anonymous') expect(r.status).toBe(401);
        else {
          const gate404 = r.status === 404 && /^no endpoint/.test(r.body?.detail ?? '');
          if (!(r.status === 403 || gate404)) throw new Error(`${who} ${method} ${path}: ${r.status} ${r.text.slice(0, 200)}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('…and an allowed principal reaches its handler under any spelling the router accepts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/corridors/{id}/receipts', '/corridors/{id}/checkpoint', '/regulator/corridors/{id}').chain((t) => spelling(t)), async (path) => {
        const who = path.toLowerCase().startsWith('/regulator') ? 'regulator' : 'operator';
        const r = await s.callers[who].api('GET', path);
        expect(r.status).not.toBe(401);
        expect(r.status).not.toBe(403);
      }),
      { numRuns: 60 },
    );
  });

  it('the regulator surfaces in capitals are guarded and audited like the rest', async () => {
    const r = await s.callers.anonymous.api('GET', '/REGULATOR/Dashboard');
    expect(r.status).toBe(401);
    const trail = await s.callers.auditor.api('GET', '/audit/trail?decision=denied&limit=1000');
    expect(trail.body.items.some((e: any) => e.path === '/REGULATOR/Dashboard' && e.status === 401)).toBe(true);
  });
});
