import { sha256Hex } from '../digest';
import { compareCodePoints } from '../json/canonical';

/** Domain separation prefix of the lawpack digest (msez era). */
export const LAWPACK_DIGEST_PREFIX = 'msez-lawpack-v1\u0000';

/**
 * A lawpack's digest (reference `tools/lawpack.py`):
 * `SHA256("msez-lawpack-v1\0" ‖ for each path in code-point order: utf8(path) ‖ 0x00 ‖ canonical bytes ‖ 0x00)`.
 * `files` maps each path inside the lawpack to the canonical bytes of that file (canonical JSON for JSON and YAML
 * sources; the producer canonicalizes, this function only commits).
 */
export function lawpackDigest(files: Record<string, Uint8Array | string>): string {
  const parts: Buffer[] = [Buffer.from(LAWPACK_DIGEST_PREFIX, 'utf8')];
  const zero = Buffer.of(0);
  for (const path of Object.keys(files).sort(compareCodePoints)) {
    const content = files[path];
    parts.push(Buffer.from(path, 'utf8'), zero, typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content), zero);
  }
  return sha256Hex(Buffer.concat(parts));
}
