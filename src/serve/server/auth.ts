/**
 * Bearer-token auth of the REST API. Tokens are never stored in clear: the token file (a mounted Secret)
 * holds one SHA-256 hash per line, `sha256:<64 hex>` (make one with `printf %s "$TOKEN" | sha256sum`),
 * optionally followed by a space and a name for logs. A presented token is hashed and compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, errorMessage } from '../../core/errors.js';

export interface TokenEntry {
  name: string;
  hash: Buffer;
}

const LINE = /^sha256:([0-9a-f]{64})(?:\s+(\S{1,64}))?$/i;

export function parseTokenFile(text: string, file: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) {
      throw new ConfigError(`Invalid token file "${file}" line ${index + 1}: expected "sha256:<64 hex digits> [name]", not a clear-text token`, {
        hint: 'Store hashes only: printf %s "$TOKEN" | sha256sum | sed "s/^/sha256:/; s/ .*//"',
      });
    }
    entries.push({ name: m[2] ?? `token-${entries.length + 1}`, hash: Buffer.from((m[1] ?? '').toLowerCase(), 'hex') });
  }
  if (entries.length === 0) throw new ConfigError(`Token file "${file}" holds no token hashes`, { hint: 'Add a line "sha256:<hex>" per token, or drop --token-file.' });
  return entries;
}

export async function readTokenFile(file: string): Promise<TokenEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read --token-file "${file}": ${errorMessage(error)}`, { hint: 'Mount the Secret with the token hashes and pass its path.' });
  }
  return parseTokenFile(text, file);
}

export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

/** The name of the token an `Authorization` header carries, or undefined when it carries none we know. */
export function authenticate(header: string | undefined, tokens: readonly TokenEntry[]): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer ([!-~]{1,512})$/.exec(header.trim());
  if (m === null) return undefined;
  const presented = createHash('sha256').update(m[1] ?? '').digest();
  let found: string | undefined;
  // Compare against every entry so the time does not tell which one matched.
  for (const t of tokens) if (timingSafeEqual(presented, t.hash)) found ??= t.name;
  return found;
}
