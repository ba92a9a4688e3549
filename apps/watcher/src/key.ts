import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Ed25519KeyPair, parseJsonText } from '@corridor/protocol';

/**
 * Loads the watcher's signing key from its JWK file, generating one on first start. The file is created with mode
 * 0600 (and tightened to it when found looser); the key material never reaches a log line.
 */
export function loadOrCreateWatcherKey(file: string): { key: Ed25519KeyPair; created: boolean } {
  if (existsSync(file)) {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { key: Ed25519KeyPair.fromJwk(parseJsonText(readFileSync(file, 'utf8'))), created: false };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = Ed25519KeyPair.generate('watcher');
  writeFileSync(file, JSON.stringify(key.toJwk({ includePrivate: true }), null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}
