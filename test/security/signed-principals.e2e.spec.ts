/**
 * Who may sign requests to a node: peers (CORRIDOR_PEERS, or a receipt signer of a shared corridor — key rotations
 * followed) and watchers (a bond on this node, recognised as soon as it is posted and again after a restart). And
 * what they may do once recognised.
 */
import { encodeCloudEvent } from '@corridor/peering';
import { Ed25519KeyPair } from '@corridor/protocol';
import type { NodeConfig } from '../../apps/node/src/config/node-config';
import { NonceCache } from '../../apps/node/src/security/nonce-cache';
import { SignedPrincipals } from '../../apps/node/src/security/signed-principals';
import { startTestNode } from '../support/node-harness';
import { peerKey, principalsEnv, startSecurityNode, strangerKey, watcherKey } from './security-fixture';

jest.setTimeout(60_000);

describe('signed principals on a node', () => {
  it('a watcher is recognised from the moment its bond is posted, and after a restart; strangers never', async () => {
    const s = await startSecurityNode();
    const fresh = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 77), 'fresh-watcher');
    const asFresh = s.node.as({ key: fresh });
    let dataDir = s.node.dataDir;
    try {
      expect((await asFresh.api('GET', '/corridors/org.example.w')).status).toBe(401);
      expect((await s.node.api('POST', '/watcher-bonds', { watcher_id: fresh.did, bond_id: 'b-fresh', amount: '5', currency: 'USDC', corridor_ids: ['org.example.w'] })).status).toBe(201);
      expect((await asFresh.api('GET', '/corridors/org.example.w')).status).toBe(404); // recognised: the handler answers
      expect((await asFresh.api('POST', '/corridors/org.example.w/transitions', { transition: {} })).status).toBe(403);
      expect((await asFresh.api('POST', '/corridors/org.example.w/halt', {})).status).not.toBe(403); // watchers may halt
      expect((await s.node.as({ key: strangerKey }).api('GET', '/corridors/org.example.w')).status).toBe(401);
      dataDir = s.node.dataDir;
    } finally {
      await s.node.close();
    }
    const again = await startTestNode({ dataDir, env: principalsEnv() });
    try {
      expect((await again.as({ key: fresh }).api('GET', '/corridors/org.example.w')).status).toBe(404);
      expect((await again.as({ key: watcherKey }).api('GET', `/watcher-bonds/${watcherKey.did}`)).status).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('a configured peer reads shared chains and pushes messages, and nothing else', async () => {
    const s = await startSecurityNode();
    const peer = s.node.as({ key: peerKey });
    try {
      const read = await peer.api('GET', '/corridors/org.example.p/receipts?after=-1&limit=10');
      expect(read.status).toBe(200);
      expect(read.body.receipts).toEqual([]);
      expect((await peer.api('POST', '/peering/messages', {})).status).toBe(400); // reached: not a CloudEvent
      // Batches (application/cloudevents-batch+json) are taken on this route only, checked whole, and every event must
      // come from the signing peer.
      const batch = { 'content-type': 'application/cloudevents-batch+json' };
      const event = (source: string) =>
        encodeCloudEvent({ kind: 'cosignature', corridor_id: 'org.example.p', sequence: 0, next_root: 'a'.repeat(64), proof: { type: 'DataIntegrityProof' } }, { source });
      const empty = await peer.api('POST', '/peering/messages', '[]', batch);
      expect(empty.status).toBe(400);
      expect(empty.body.detail).toMatch(/at least one event/);
      const bad = await peer.api('POST', '/peering/messages', `[${event(peerKey.did)},{"specversion":"1.0"}]`, batch);
      expect(bad.status).toBe(400);
      expect(bad.body.detail).toMatch(/^event \[1\]: /);
      const foreign = await peer.api('POST', '/peering/messages', `[${event(peerKey.did)},${event(strangerKey.did)}]`, batch);
      expect(foreign.status).toBe(403);
      expect(foreign.body.detail).toContain(strangerKey.did);
      // A well-formed batch about a corridor this node does not share: accepted (refused inside, counted), 202.
      const ok = await peer.api('POST', '/peering/messages', `[${event(peerKey.did)},${event(peerKey.did)}]`, batch);
      expect(ok.status).toBe(202);
      expect(ok.body).toEqual({ accepted: 2 });
      // An array anywhere else is still refused as a body.
      expect((await s.node.api('POST', '/corridors', '[]', batch)).status).toBe(400);
      expect((await peer.api('GET', '/peering/status')).status).toBe(403);
      expect((await peer.api('GET', '/corridors/org.example.p/stream')).status).toBe(403);
      expect((await peer.api('POST', '/corridors', {})).status).toBe(403);
      // The operator, conversely, is not a peer.
      expect((await s.node.api('POST', '/peering/messages', {})).status).toBe(403);
    } finally {
      await s.node.close();
    }
  });
});

describe('SignedPrincipals', () => {
  const self = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 1), 'self').did;
  const other = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 2), 'other').did;
  const rotated = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 3), 'rotated').did;
  const outsider = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 4), 'outsider').did;

  function view(rotations: unknown[] = []) {
    const agreement = (id: string, role: string) => ({
      credentialSubject: {
        participants: [
          { id: self, role: 'zone-a' },
          { id: other, role: 'zone-b' },
        ],
        activation: { thresholds: [{ role: 'zone-a' }, { role: 'zone-b' }] },
        state_channel: { sequencer: self },
        signer: { id, role },
      },
    });
    return { state: { corridor_id: 'org.example.shared', key_rotations: rotations }, revisions: {}, agreementVcs: [agreement(self, 'zone-a'), agreement(other, 'zone-b')], stateChannel: null };
  }

  function make(peers: string[] = [], watchers: { watcher_id: string; status: string }[] = []) {
    let listener: (outcome: any, origin: string) => void = () => undefined;
    const store = { onAppended: (l: typeof listener) => (listener = l), load: async () => view() };
    const config = { peerDirectory: new Map(peers.map((d) => [d, 'http://127.0.0.1:1'])) } as unknown as NodeConfig;
    const peering = { corridors: () => [{ corridor_id: 'org.example.shared' }] };
    const projections = { queries: { watchers: async ({ status }: { status: string }) => ({ data: { items: watchers.filter((w) => w.status === status), next: null } }) } };
    const principals = new SignedPrincipals(config, { did: self } as never, peering as never, store as never, { name: 'corridor' } as never, projections as never);
    return { principals, append: (outcome: any) => listener(outcome, 'local') };
  }

  it('the receipt signers of a shared corridor are peers, following key rotations; the node itself is not', async () => {
    const { principals, append } = make();
    await principals.onApplicationBootstrap();
    expect(principals.rolesOf(other)).toEqual(['peer']);
    expect(principals.rolesOf(self)).toEqual([]);
    expect(principals.rolesOf(outsider)).toEqual([]);
    append({ aggregate: 'corridor', id: 'org.example.shared', view: view([{ previous_key: other, new_key: rotated, effective_from_sequence: 7, roles: [], reason: 'planned' }]), receipts: [] });
    expect(principals.rolesOf(rotated)).toEqual(['peer']);
    expect(principals.rolesOf(other)).toEqual([]);
  });

  it('configured peers are peers; bonded watchers (ACTIVE, UNBONDING) are watchers until their bond ends; a did may be both', async () => {
    const { principals, append } = make([outsider], [
      { watcher_id: rotated, status: 'ACTIVE' },
      { watcher_id: other, status: 'UNBONDING' },
    ]);
    await principals.onApplicationBootstrap();
    expect(principals.rolesOf(outsider)).toEqual(['peer']);
    expect(principals.rolesOf(rotated)).toEqual(['watcher']);
    expect(principals.rolesOf(other)).toEqual(['peer', 'watcher']);
    append({ aggregate: 'watcher-bond', id: rotated, view: { state: { watcher_id: rotated, status: 'SLASHED' } }, receipts: [] });
    expect(principals.rolesOf(rotated)).toEqual([]);
    append({ aggregate: 'watcher-bond', id: outsider, view: { state: { watcher_id: outsider, status: 'ACTIVE' } }, receipts: [] });
    expect(principals.rolesOf(outsider)).toEqual(['peer', 'watcher']);
  });
});

describe('NonceCache', () => {
  it('remembers a nonce for as long as its request could be accepted, then forgets it', () => {
    const cache = new NonceCache(60);
    const t = 1_800_000_000;
    expect(cache.remember('did:a', 'n1', t, t)).toBe('fresh');
    expect(cache.remember('did:a', 'n1', t, t + 60)).toBe('replayed');
    expect(cache.remember('did:b', 'n1', t, t)).toBe('fresh'); // nonces are per signer
    expect(cache.remember('did:a', 'n1', t, t + 200)).toBe('fresh'); // long outside the window (the gate refuses it first)
    expect(cache.size).toBeLessThanOrEqual(2);
    const small = new NonceCache(60, 2);
    expect([small.remember('d', 'a', t, t), small.remember('d', 'b', t, t), small.remember('d', 'c', t, t)]).toEqual(['fresh', 'fresh', 'full']);
  });
});
