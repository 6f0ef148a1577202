import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { authenticate, hashToken, parseTokenFile } from './auth.js';

describe('token file', () => {
  const file = `# runwarden API tokens\n${hashToken('s3cret-reader')} grafana\n\n${hashToken('other')}\n`;

  it('accepts the token whose hash is listed and names it', () => {
    const tokens = parseTokenFile(file, 'tokens');
    expect(authenticate('Bearer s3cret-reader', tokens)).toBe('grafana');
    expect(authenticate('Bearer other', tokens)).toBe('token-2');
  });

  it('rejects a missing, malformed or unknown token', () => {
    const tokens = parseTokenFile(file, 'tokens');
    expect(authenticate(undefined, tokens)).toBeUndefined();
    expect(authenticate('Basic czNjcmV0', tokens)).toBeUndefined();
    expect(authenticate('Bearer wrong', tokens)).toBeUndefined();
    expect(authenticate('Bearer ', tokens)).toBeUndefined();
  });

  it('throws ConfigError naming the line of a clear-text token', () => {
    expect(() => parseTokenFile('# x\ns3cret-reader\n', 'tokens')).toThrow(ConfigError);
    expect(() => parseTokenFile('# x\ns3cret-reader\n', 'tokens')).toThrow('Invalid token file "tokens" line 2: expected "sha256:<64 hex digits> [name]", not a clear-text token');
  });

  it('throws ConfigError for a file without tokens', () => {
    expect(() => parseTokenFile('# none\n', 'tokens')).toThrow('Token file "tokens" holds no token hashes');
  });
});
