/**
 * Key rotation on a shared corridor (spec/security.md §Keys): the sequencer's key is rotated on a plan (signed by
 * the previous and the new key, corridor suspended meanwhile), then the co-signer's key is treated as compromised
 * (suspend, rotate signed by the other zone's authority, resume). Receipts signed before and after each rotation
 * all verify, each by the key valid at its sequence, and the chain verifies offline.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addProof, Ed25519KeyPair, utcSeconds, verifyProofs, type JsonObject } from '@corridor/protocol';
import { activateOnBoth, allReceipts, converged, corridorOf, record, startPair, stopPair, verifyWithCli, type CorridorPair } from './peering-fixture';
import type { NodeProcess } from '../../support/node-process';

jest.setTimeout(240_000);

function credential(type: string, subject: JsonObject, signers: Ed25519KeyPair[]): JsonObject {
  const now = utcSeconds(new Date());
  let vc: JsonObject = { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential', type], issuer: signers[0]!.did, issuanceDate: now, credentialSubject: subject };
  for (const k of signers) vc = addProof(vc, k, { created: now });
  return vc;
}

async function onBoth(pair: CorridorPair, path: string, body: JsonObject, status = 201): Promise<void> {
  for (const node of [pair.pk, pair.ae]) {
    const r = await node.api('POST', `/corridors/${pair.corridorId}${path}`, body);
    if (r.status !== status) throw new Error(`${node.jurisdiction} ${path} answered ${r.status}: ${r.text}`);
  }
}

function keyFile(node: NodeProcess, key: Ed25519KeyPair, name: string): string {
  const file = join(node.dataDir, name);
  writeFileSync(file, JSON.stringify(key.toJwk({ includePrivate: true })), { mode: 0o600 });
  return file;
}

const firstSigner = (r: any) => verifyProofs(r)[0]!.verificationMethod.split('#')[0];
const signers = (r: any) => verifyProofs(r).filter((p) => p.ok).map((p) => p.verificationMethod.split('#')[0]).sort();

describe('key rotation on a shared corridor', () => {
  let pair: CorridorPair | undefined;
  afterAll(() => stopPair(pair));

  it('rotates the sequencer on a plan and the co-signer after a compromise; every receipt verifies with the key of its sequence', async () => {
    pair = await startPair('rotation');
    await activateOnBoth(pair);
    const { pk, ae, corridorId } = pair;
    for (let i = 0; i < 10; i++) await record(i % 2 ? ae : pk, corridorId, i);
    await converged(pair, 10);

    // --- Planned rotation of PK's key from sequence 10, corridor suspended meanwhile.
    const pk2 = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 21), 'pk-node-2');
    const at = () => utcSeconds(new Date());
    const suspendBy = (k: Ed25519KeyPair) => ({ authorization: credential('MSEZCorridorLifecycleTransitionCredential', { corridor_id: corridorId, from_state: 'ACTIVE', to_state: 'SUSPENDED', transitioned_at: at(), reason: 'key rotation' }, [k]) });
    const resumeBy = (k: Ed25519KeyPair) => ({ authorization: credential('MSEZCorridorLifecycleTransitionCredential', { corridor_id: corridorId, from_state: 'SUSPENDED', to_state: 'ACTIVE', transitioned_at: at(), reason: 'key rotated' }, [k]) });
    await onBoth(pair, '/suspend', suspendBy(pk.key));
    const planned = credential('MSEZCorridorKeyRotationCredential', { corridor_id: corridorId, previous_key: pk.did, new_key: pk2.did, effective_from_sequence: 10 }, [pk2, pk.key]);
    await onBoth(pair, '/key-rotations', { evidence: [planned] });
    // The previous key may no longer sign for the corridor: PK refuses until it runs with the new key.
    await onBoth(pair, '/resume', resumeBy(pk2));
    const retired = await pk.api('POST', `/corridors/${corridorId}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: 'X' } } });
    expect(retired.status).toBe(409);
    expect(retired.body.type).toBe('https://corridor-ledger.dev/problems/signing-key-retired');
    await pk.stop();
    await ae.stop();
    const pk2File = keyFile(pk, pk2, 'node-2.jwk');
    await pk.start({ CORRIDOR_NODE_KEY: pk2File, CORRIDOR_PEERS: `${ae.did}=${ae.url}` });
    await ae.start({ CORRIDOR_PEERS: `${pk2.did}=${pk.url}` });
    for (let i = 10; i < 20; i++) await record(i % 2 ? ae : pk, corridorId, i);
    await converged(pair, 20);

    // --- AE's key is compromised: PK's zone authority suspends, co-signs AE's rotation with AE's new key, resumes.
    const ae2 = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 22), 'ae-node-2');
    await onBoth(pair, '/suspend', suspendBy(pk2));
    const compromise = credential('MSEZCorridorKeyRotationCredential', { corridor_id: corridorId, previous_key: ae.did, new_key: ae2.did, effective_from_sequence: 20, reason: 'compromise' }, [ae2, pk2]);
    await onBoth(pair, '/key-rotations', { evidence: [compromise] });
    await pk.stop();
    await ae.stop();
    const ae2File = keyFile(ae, ae2, 'node-2.jwk');
    await ae.start({ CORRIDOR_NODE_KEY: ae2File, CORRIDOR_PEERS: `${pk2.did}=${pk.url}` });
    await pk.start({ CORRIDOR_NODE_KEY: pk2File, CORRIDOR_PEERS: `${ae2.did}=${ae.url}` });
    await onBoth(pair, '/resume', resumeBy(pk2));
    for (let i = 20; i < 30; i++) await record(i % 2 ? ae : pk, corridorId, i);
    const result = await converged(pair, 30);
    expect(result.aeReceipts).toEqual(result.pkReceipts);

    const receipts = await allReceipts(pk, corridorId);
    receipts.forEach((r, i) => {
      const pkKey = i < 10 ? pk.did : pk2.did;
      const aeKey = i < 20 ? ae.did : ae2.did;
      expect(firstSigner(r)).toBe(pkKey); // the sequencer's key valid at that sequence
      expect(signers(r)).toEqual([pkKey, aeKey].sort()); // co-signed by the co-signer's key valid at that sequence
    });
    const view = await corridorOf(ae, corridorId);
    expect(view.state).toBe('ACTIVE');
    expect(view.peering.receipt_signed_up_to).toBe(29);
    const report = await verifyWithCli(pk, corridorId);
    expect(report.valid).toBe(true);
    expect(report.receipt_count).toBe(30);
  });
});
