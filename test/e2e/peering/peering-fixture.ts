import { join } from 'node:path';
import { runCli, tempDir } from '../../support/cli-harness';
import { canonicalize } from '@corridor/protocol';
import { buildExampleCorridor, type ExampleCorridor } from '../../support/example-corridor';
import { waitFor } from '../../support/infra';
import { peerEnv, prepareNodeProcess, type NodeProcess } from '../../support/node-process';

/** Two jurisdiction nodes as separate processes, PK sequencing, AE co-signing. */
export interface CorridorPair {
  pk: NodeProcess;
  ae: NodeProcess;
  corridor: ExampleCorridor;
  corridorId: string;
}

export async function startPair(name: string, env: Record<string, string> = {}): Promise<CorridorPair> {
  const base = { CORRIDOR_PEER_SYNC_INTERVAL_MS: '500', CORRIDOR_CHECKPOINT_EVERY: '50', CORRIDOR_CHECKPOINT_INTERVAL_MS: '1000', CORRIDOR_SIGNING_WORKERS: '0', ...env };
  const pk = await prepareNodeProcess({ jurisdiction: 'PK', seed: `${name}/pk`, env: base });
  const ae = await prepareNodeProcess({ jurisdiction: 'AE', seed: `${name}/ae`, env: base });
  await Promise.all([pk.start(peerEnv(pk, [ae])), ae.start(peerEnv(ae, [pk]))]);
  const corridorId = `org.example.corridor.${name}`;
  const corridor = buildExampleCorridor({ corridorId, zoneKeys: { PK: pk.key, AE: ae.key }, sequencer: 'PK', issuedAt: '2026-01-01T00:00:00Z' });
  return { pk, ae, corridor, corridorId };
}

/** Each node creates, submits and activates the corridor from the same signed package: the same genesis on both. */
export async function activateOnBoth(pair: CorridorPair): Promise<void> {
  for (const node of [pair.pk, pair.ae]) {
    for (const [path, body] of [
      ['/corridors', pair.corridor.requests.create],
      [`/corridors/${pair.corridorId}/submit`, pair.corridor.requests.submit],
      [`/corridors/${pair.corridorId}/activate`, pair.corridor.requests.activate],
    ] as const) {
      const r = await node.api('POST', path, body);
      if (r.status !== 201) throw new Error(`${node.jurisdiction} ${path} answered ${r.status}: ${r.text}`);
    }
  }
}

/** A transition recorded at `node`: 201 with the receipt at the sequencer, 202 with a proposal elsewhere. */
export async function record(node: NodeProcess, corridorId: string, n: number): Promise<number> {
  const r = await node.api('POST', `/corridors/${corridorId}/transitions`, {
    transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${node.jurisdiction}-${n}`, amount: `${100 + n}.00`, currency: 'USD' } },
  });
  if (r.status !== 201 && r.status !== 202) throw new Error(`${node.jurisdiction} transition ${n} answered ${r.status}: ${r.text}`);
  return r.status;
}

/** Every receipt a node serves for the corridor's shared chain, paged. */
export async function allReceipts(node: NodeProcess, corridorId: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let after = -1; ; ) {
    const r = await node.api<{ receipts: Record<string, unknown>[] }>('GET', `/corridors/${corridorId}/receipts?after=${after}&limit=1000`);
    if (r.status !== 200) throw new Error(`receipts of ${node.jurisdiction}: ${r.status} ${r.text}`);
    out.push(...r.body.receipts);
    if (r.body.receipts.length < 1000) return out;
    after = r.body.receipts[r.body.receipts.length - 1]!.sequence as number;
  }
}

export async function corridorOf(node: NodeProcess, corridorId: string): Promise<any> {
  const r = await node.api('GET', `/corridors/${corridorId}`);
  if (r.status !== 200) throw new Error(`corridor on ${node.jurisdiction}: ${r.status} ${r.text}`);
  return r.body;
}

/**
 * Waits until both nodes hold `count` receipts, every one co-signed by both zones, and a checkpoint of all of them
 * co-signed by both; then returns both nodes' receipts (canonical text) and corridor views.
 */
export async function converged(pair: CorridorPair, count: number, timeoutMs = 120_000) {
  await waitFor(
    async () => {
      const [a, b] = await Promise.all([corridorOf(pair.pk, pair.corridorId), corridorOf(pair.ae, pair.corridorId)]);
      const ok = (c: any) =>
        c.state_channel.head.sequence === count - 1 && c.peering.receipt_signed_up_to === count - 1 && c.peering.checkpoint_signed?.receipt_count === count;
      if (ok(a) && ok(b)) return true;
      throw new Error(`PK ${JSON.stringify(summary(a))} AE ${JSON.stringify(summary(b))}`);
    },
    { timeoutMs, intervalMs: 250, what: `both nodes to hold ${count} co-signed receipts and a co-signed checkpoint` },
  );
  const [ra, rb] = await Promise.all([allReceipts(pair.pk, pair.corridorId), allReceipts(pair.ae, pair.corridorId)]);
  const [ca, cb] = await Promise.all([corridorOf(pair.pk, pair.corridorId), corridorOf(pair.ae, pair.corridorId)]);
  return { pkReceipts: ra.map((r) => canonicalize(r as never)), aeReceipts: rb.map((r) => canonicalize(r as never)), pkCorridor: ca, aeCorridor: cb };
}

function summary(c: any) {
  return { state: c.state, head: c.state_channel?.head?.sequence, signed: c.peering?.receipt_signed_up_to, cp: c.peering?.checkpoint_signed?.receipt_count };
}

export async function stopPair(pair: CorridorPair | undefined): Promise<void> {
  if (!pair) return;
  await Promise.allSettled([pair.pk.stop(), pair.ae.stop()]);
}

/**
 * The auditor's check of the shared chain as a node serves it: `corridor export` writes the bundle (receipts with
 * every co-signature), `corridor chain verify --bundle` verifies it offline. Returns the verification report.
 */
export async function verifyWithCli(node: NodeProcess, corridorId: string, options: { enforceReceiptThreshold?: boolean } = {}): Promise<any> {
  const dir = tempDir('corridor-peering-');
  const bundle = join(dir, 'bundle.json');
  const exported = await runCli(['export', '--node', node.url, '--token', node.operatorToken!, '--corridor', corridorId, '--out', bundle]);
  if (exported.code !== 0) throw new Error(`corridor export answered ${exported.code}: ${exported.stderr}`);
  const verified = await runCli(['chain', 'verify', '--bundle', bundle, ...(options.enforceReceiptThreshold === false ? [] : ['--enforce-receipt-threshold'])]);
  if (verified.code !== 0) throw new Error(`corridor chain verify answered ${verified.code}: ${verified.stdout} ${verified.stderr}`);
  return verified.json();
}
