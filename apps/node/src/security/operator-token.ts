import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { NodeConfig } from '../config/node-config';
import { tokenDigest } from './bearer-tokens';

/** The name of the operator whose token the node generated itself. */
export const LOCAL_OPERATOR = 'local-operator';

function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * The operator token map the node runs with. When operators are configured (CORRIDOR_OPERATOR_TOKENS or its alias
 * CORRIDOR_ADMIN_TOKENS) that is all. Otherwise — the embedded default — the node generates one token on its first
 * start: the token goes to `<dataDir>/operator.token` (mode 0600) for the person running the node and is never read
 * back; the node keeps only its SHA-256 (`<dataDir>/operator-token.sha256.json`). Deleting that file makes the next
 * start generate a new token. The log names the file, never the token.
 */
export function operatorTokenMap(config: NodeConfig, log: (message: string) => void): string | undefined {
  if ((config.operatorTokens ?? '').trim() !== '' || (config.adminTokens ?? '').trim() !== '') return config.operatorTokens;
  const digestFile = config.operatorTokenDigestFile;
  if (existsSync(digestFile)) {
    log(`operator: the token generated on first start (${config.operatorTokenFile}); the node holds its SHA-256 in ${digestFile}`);
    return readFileSync(digestFile, 'utf8');
  }
  const token = `corridor-op-${randomBytes(32).toString('base64url')}`;
  const map = JSON.stringify({ [LOCAL_OPERATOR]: tokenDigest(token) });
  writeFileAtomic(config.operatorTokenFile, `${token}\n`);
  writeFileAtomic(digestFile, `${map}\n`);
  log(`generated an operator token in ${config.operatorTokenFile} (mode 0600; the node keeps only its SHA-256): send it as "Authorization: Bearer <token>"`);
  return map;
}
