import { createHash } from 'node:crypto';
import { Ed25519KeyPair } from '@corridor/protocol';
import type { ApiFn, Caller } from '../support/api-client';
import { startTestNode, type TestNode } from '../support/node-harness';

export const PROBLEM = 'https://corridor-ledger.dev/problems/';
export const REGULATOR_TOKEN = 'security-regulator-token-3b9e';
export const AUDITOR_TOKEN = 'security-auditor-token-77c1';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** A peer node's key (configured in CORRIDOR_PEERS) and a watcher's (bonded on the node by the fixture). */
export const peerKey = Ed25519KeyPair.fromSeed(createHash('sha256').update('security/peer').digest(), 'peer');
export const watcherKey = Ed25519KeyPair.fromSeed(createHash('sha256').update('security/watcher').digest(), 'watcher');
/** A did:key nobody configured or bonded. */
export const strangerKey = Ed25519KeyPair.fromSeed(createHash('sha256').update('security/stranger').digest(), 'stranger');

export type RoleName = 'operator' | 'peer' | 'watcher' | 'auditor' | 'regulator';

export interface SecurityNode {
  node: TestNode;
  /** Callers by role, and `anonymous` (no credentials). */
  callers: Record<RoleName | 'anonymous', { api: ApiFn }>;
}

/** The settings of a node with one principal of every role. */
export function principalsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    CORRIDOR_REGULATOR_TOKENS: JSON.stringify({ sbp: sha(REGULATOR_TOKEN) }),
    CORRIDOR_AUDITOR_TOKENS: JSON.stringify({ 'audit-office': sha(AUDITOR_TOKEN) }),
    CORRIDOR_PEERS: `${peerKey.did}=http://127.0.0.1:9`,
    ...extra,
  };
}

/** Starts a node with a principal of every role; the watcher is bonded through the API. */
export async function startSecurityNode(extra: Record<string, string> = {}, options: { dataDir?: string } = {}): Promise<SecurityNode> {
  const node = await startTestNode({ env: principalsEnv(extra), dataDir: options.dataDir });
  const bonded = await node.api('GET', `/watcher-bonds/${watcherKey.did}`);
  if (bonded.status === 404) {
    const r = await node.api('POST', '/watcher-bonds', { watcher_id: watcherKey.did, bond_id: 'bond-security', amount: '1000', currency: 'USDC', corridor_ids: ['org.example.security'] });
    if (r.status !== 201) throw new Error(`bonding the watcher answered ${r.status}: ${r.text}`);
  }
  const as = (c: Caller) => node.as(c);
  return {
    node,
    callers: {
      anonymous: as('anonymous'),
      operator: as('operator'),
      peer: as({ key: peerKey }),
      watcher: as({ key: watcherKey }),
      auditor: as({ token: AUDITOR_TOKEN }),
      regulator: as({ token: REGULATOR_TOKEN }),
    },
  };
}
