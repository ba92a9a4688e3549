/**
 * The embedded default stays usable: a node started without any operator token generates one, writes it to
 * `<dataDir>/operator.token` (mode 0600) for the person running it, keeps only its SHA-256, logs the file's path
 * and never the token.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { startNode, type RunningNode } from '../../apps/node/src/bootstrap';
import { loadConfig } from '../../apps/node/src/config/node-config';
import { tokenDigest } from '../../apps/node/src/security/bearer-tokens';

jest.setTimeout(60_000);

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, ...rest: unknown[]) {
    this.lines.push([message, ...rest].map(String).join(' '));
  }
  error(message: unknown, ...rest: unknown[]) {
    this.log(message, ...rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.log(message, ...rest);
  }
  debug() {}
  verbose() {}
}

async function start(dataDir: string, env: Record<string, string> = {}): Promise<{ node: RunningNode; logs: CapturingLogger }> {
  const logs = new CapturingLogger();
  const node = await startNode(loadConfig({ CORRIDOR_DATA_DIR: dataDir, CORRIDOR_HTTP_PORT: '0', ...env }), { logger: logs });
  return { node, logs };
}

const get = (node: RunningNode, token?: string) => fetch(`${node.url}/node`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }).then((r) => r.status);

describe('the generated operator token', () => {
  it('is written once to operator.token (0600), only its digest is kept, the log names the file and never the token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'corridor-optoken-'));
    const tokenFile = join(dataDir, 'operator.token');
    const first = await start(dataDir);
    let token: string;
    try {
      expect(existsSync(tokenFile)).toBe(true);
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      token = readFileSync(tokenFile, 'utf8').trim();
      expect(token).toMatch(/^[\x21-\x7e]{40,}$/);
      const digestFile = join(dataDir, 'operator-token.sha256.json');
      expect(statSync(digestFile).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(digestFile, 'utf8'))).toEqual({ 'local-operator': tokenDigest(token) });
      expect(readFileSync(digestFile, 'utf8')).not.toContain(token);
      const logged = first.logs.lines.join('\n');
      expect(logged).toContain(tokenFile);
      expect(logged).not.toContain(token);
      expect(await get(first.node)).toBe(401);
      expect(await get(first.node, token)).toBe(200);
      expect(await get(first.node, `${token}x`)).toBe(401);
    } finally {
      await first.node.close();
    }

    // Restarted: the same token, not regenerated; the node does not need the token file (only its digest).
    unlinkSync(tokenFile);
    const second = await start(dataDir);
    try {
      expect(existsSync(tokenFile)).toBe(false);
      expect(await get(second.node, token)).toBe(200);
      expect(second.logs.lines.join('\n')).not.toContain(token);
    } finally {
      await second.node.close();
    }

    // Operators configured: the generated token is no longer accepted, nothing is generated.
    const third = await start(dataDir, { CORRIDOR_OPERATOR_TOKENS: JSON.stringify({ ops: tokenDigest('configured-operator-token') }) });
    try {
      expect(await get(third.node, token)).toBe(401);
      expect(await get(third.node, 'configured-operator-token')).toBe(200);
      expect(existsSync(tokenFile)).toBe(false);
    } finally {
      await third.node.close();
    }
  });

  it('CORRIDOR_ADMIN_TOKENS is an alias of CORRIDOR_OPERATOR_TOKENS: both are operators, and no token is generated', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'corridor-optoken-'));
    const { node } = await start(dataDir, {
      CORRIDOR_ADMIN_TOKENS: JSON.stringify({ legacy: tokenDigest('legacy-admin-token') }),
      CORRIDOR_OPERATOR_TOKENS: JSON.stringify({ ops: tokenDigest('new-operator-token') }),
    });
    try {
      expect(existsSync(join(dataDir, 'operator.token'))).toBe(false);
      expect(await get(node, 'legacy-admin-token')).toBe(200);
      expect(await get(node, 'new-operator-token')).toBe(200);
      const r = await fetch(`${node.url}/corridors`, { method: 'POST', headers: { authorization: 'Bearer legacy-admin-token', 'content-type': 'application/json' }, body: '{}' });
      expect(r.status).toBe(400); // allowed: the DTO refuses the empty body
    } finally {
      await node.close();
    }
    expect(() => loadConfig({ CORRIDOR_OPERATOR_TOKENS: '{"ops":"not-a-digest"}' })).toThrow(/operatorTokens \(CORRIDOR_OPERATOR_TOKENS\)/);
  });
});
