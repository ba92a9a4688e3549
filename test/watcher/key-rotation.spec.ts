import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize } from '@corridor/protocol';
import { ChainVerifier, SignerSchedule, startWatcher, verifyKeyRotation, type RunningWatcher } from '../../apps/watcher/src';
import { waitFor } from '../support/infra';
import { keyFromSeed, rotationEvent, TestChain } from './support/chain';
import { FakeNode } from './support/fake-node';

/**
 * Signer-key rotation on a shared corridor: from a sequence on, a zone signs with a new key. The watcher learns a
 * rotation from the node's lifecycle chain and accepts it only when its credential is signed by the new key and by
 * the previous key (or another signer); receipts are then checked with the key of their own sequence.
 */

const A = keyFromSeed('rotation: zone A', 'zone-a');
const A2 = keyFromSeed('rotation: zone A, new key', 'zone-a-2');
const B = keyFromSeed('rotation: zone B', 'zone-b');
const OUTSIDER = keyFromSeed('rotation: outsider');
const CORRIDOR = 'org.example.rotated';

/** Receipts 0..4 signed by A (sequencer) and B, then 5.. by A2 and B. */
function rotatedChain(total = 9): TestChain {
  const chain = new TestChain({ corridorId: CORRIDOR, signers: [A, B] });
  for (let i = 0; i < total; i++) chain.append(chain.build({}, { signers: i < 5 ? [A, B] : [A2, B] }));
  return chain;
}

describe('the signer schedule', () => {
  const schedule = new SignerSchedule(A.did, [A.did, B.did], true, [{ previous_key: A.did, new_key: A2.did, effective_from_sequence: 5 }]);

  it('gives each sequence its keys; checkpoints may be signed by the keys of their height or the current ones', () => {
    expect(schedule.at(4)).toMatchObject({ sequencer: A.did, signers: new Set([A.did, B.did]) });
    expect(schedule.at(5)).toMatchObject({ sequencer: A2.did, signers: new Set([A2.did, B.did]) });
    expect(schedule.current().sequencer).toBe(A2.did);
    expect([...schedule.checkpointSigners(5).signers].sort()).toEqual([A.did, A2.did, B.did].sort());
  });

  it('verifies a chain across the rotation; without the rotation the new key is refused', () => {
    const chain = rotatedChain();
    const v = new ChainVerifier(chain.facts(), schedule);
    for (const t of chain.texts) expect(v.append(t).ok).toBe(true);
    const fixed = new ChainVerifier(chain.facts(), chain.policy);
    const outcomes = chain.texts.map((t) => fixed.append(t));
    expect(outcomes.findIndex((o) => !o.ok)).toBe(5);
    expect(outcomes[5]).toMatchObject({ ok: false, check: 'not-sequencer' });
    // The old key after its rotation is refused too.
    const late = chain.build({}, { signers: [A, B] });
    expect(v.append(canonicalize(late))).toMatchObject({ ok: false, check: 'not-sequencer' });
  });
});

describe('rotation credentials', () => {
  const current = new SignerSchedule(A.did, [A.did, B.did], true).current();

  it('accepted when signed by the new key and the previous key, or the new key and another signer', () => {
    expect(verifyKeyRotation(rotationEvent(CORRIDOR, A, A2, 5), CORRIDOR, current)).toEqual({ ok: true, rotation: { previous_key: A.did, new_key: A2.did, effective_from_sequence: 5 } });
    expect(verifyKeyRotation(rotationEvent(CORRIDOR, A, A2, 5, [A2, B]), CORRIDOR, current).ok).toBe(true);
  });

  it.each([
    ['not signed by the new key', rotationEvent(CORRIDOR, A, A2, 5, [A]), /not signed by the new key/],
    ['signed by the new key and an outsider only', rotationEvent(CORRIDOR, A, A2, 5, [A2, OUTSIDER]), /neither by the previous key nor by another signer/],
    ['of a key that is not a signer', rotationEvent(CORRIDOR, OUTSIDER, A2, 5, [A2, OUTSIDER]), /not a current signer/],
    ['of another corridor', rotationEvent('org.example.other', A, A2, 5), /does not state this corridor/],
  ])('refused: %s', (_name, event, detail) => {
    expect(verifyKeyRotation(event, CORRIDOR, current)).toMatchObject({ ok: false, detail: expect.stringMatching(detail) });
  });
});

describe('the daemon across a rotation', () => {
  let node: FakeNode | undefined;
  let watcher: RunningWatcher | undefined;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'watcher-rotation-'))));
  afterEach(async () => {
    await watcher?.close();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (chain: TestChain) => {
    node = await new FakeNode({ key: B, chain }).start();
    watcher = await startWatcher({ nodes: [node.url], corridors: [CORRIDOR], dataDir: dir, pollIntervalMs: 200, minBackoffMs: 20, maxBackoffMs: 200 }, { log: () => {} });
    return { node, watcher };
  };

  it('follows the chain through a verified rotation and attests after it', async () => {
    const chain = rotatedChain(5);
    const { node: n, watcher: w } = await start(chain);
    await waitFor(() => n.attestations.some((a) => a.status === 201 && a.receipt_count === 5), { what: 'the attestation before the rotation' });
    n.rotations.push(rotationEvent(CORRIDOR, A, A2, 5));
    chain.rotate(A, A2);
    n.currentSigners = { sequencer: A2.did, signers: [A2.did, B.did] };
    n.extend(4);
    await waitFor(() => n.attestations.some((a) => a.status === 201 && a.receipt_count === 9), { what: 'the attestation after the rotation' });
    const h = w.health();
    expect(h.corridors[0].signers).toEqual({ sequencer: A2.did, signers: [A2.did, B.did].sort(), peered: true });
    expect(h.subscriptions[0]).toMatchObject({ verified_head: 8, problem: null });
  });

  it('refuses a rotation it cannot verify: the new key is never trusted', async () => {
    const chain = rotatedChain(5);
    const { node: n, watcher: w } = await start(chain);
    await waitFor(() => w.health().subscriptions[0].verified_head === 4);
    n.rotations.push(rotationEvent(CORRIDOR, A, A2, 5, [A2, OUTSIDER]));
    n.currentSigners = { sequencer: A2.did, signers: [A2.did, B.did] };
    n.append(chain.build({}, { signers: [A2, B] }));
    n.dropStreams();
    const sub = await waitFor(() => {
      const s = w.health().subscriptions[0];
      return s.problem?.startsWith('key-rotation-unverified') ? s : null;
    });
    expect(sub).toMatchObject({ state: 'rejected', verified_head: 4 });
  });
});
