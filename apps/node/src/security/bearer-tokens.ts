import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal, Role } from './roles';

interface Entry extends Principal {
  readonly digest: Buffer;
}

export class PrincipalConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrincipalConfigError';
  }
}

/** SHA-256 of a bearer token, hex: what the configuration holds instead of the token. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function parseMap(setting: string, text: string | undefined, role: Role): Entry[] {
  if (text === undefined || text.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PrincipalConfigError(`${setting}: not JSON (${(e as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new PrincipalConfigError(`${setting}: must be a JSON object mapping a principal name to the SHA-256 hex of its token`);
  return Object.entries(value as Record<string, unknown>).map(([name, digest]) => {
    if (!/^[A-Za-z0-9._@:-]{1,128}$/.test(name)) throw new PrincipalConfigError(`${setting}: principal name ${JSON.stringify(name)} must be 1-128 characters of A-Z a-z 0-9 . _ @ : -`);
    if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest)) throw new PrincipalConfigError(`${setting}: the token digest of ${name} must be 64 lowercase hex (SHA-256 of the token)`);
    return { name, role, digest: Buffer.from(digest, 'hex') };
  });
}

/** The token maps of the configuration (CORRIDOR_*_TOKENS). `adminTokens` is the old name of `operatorTokens`. */
export interface TokenMaps {
  operatorTokens?: string;
  adminTokens?: string;
  regulatorTokens?: string;
  auditorTokens?: string;
}

/**
 * The bearer-token principals (operators, regulators, auditors), known by the SHA-256 of their tokens only: the
 * digests are decoded once, at start. A presented token is hashed once and compared with every configured digest
 * in constant time without stopping at a match, so neither the comparison nor the number of comparisons depends on
 * which entry matched.
 */
export class PrincipalDirectory {
  private readonly entries: Entry[];

  constructor(maps: TokenMaps) {
    const operators = [
      ...parseMap('operatorTokens (CORRIDOR_OPERATOR_TOKENS)', maps.operatorTokens, 'operator'),
      ...parseMap('adminTokens (CORRIDOR_ADMIN_TOKENS)', maps.adminTokens, 'operator'),
    ];
    const entries = [
      ...operators,
      ...parseMap('regulatorTokens (CORRIDOR_REGULATOR_TOKENS)', maps.regulatorTokens, 'regulator'),
      ...parseMap('auditorTokens (CORRIDOR_AUDITOR_TOKENS)', maps.auditorTokens, 'auditor'),
    ];
    const seen = new Map<string, Buffer>();
    this.entries = [];
    for (const e of entries) {
      const key = `${e.role}:${e.name}`;
      const before = seen.get(key);
      if (before && before.equals(e.digest)) continue; // the same operator in both the new and the old setting
      if (before) throw new PrincipalConfigError(`principal ${e.name} is configured twice as ${e.role} (CORRIDOR_OPERATOR_TOKENS and CORRIDOR_ADMIN_TOKENS name it with different tokens)`);
      seen.set(key, e.digest);
      this.entries.push(e);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** How many principals of a role are configured. */
  count(role: Role): number {
    return this.entries.filter((e) => e.role === role).length;
  }

  /** Every principal the token identifies (one token may be configured for several roles). */
  resolve(token: string): Principal[] {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    const found: Principal[] = [];
    for (const e of this.entries) {
      if (timingSafeEqual(presented, e.digest)) found.push({ name: e.name, role: e.role });
    }
    return found;
  }
}
