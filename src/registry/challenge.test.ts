import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from './challenge.js';

describe('parseWwwAuthenticate (RFC 9110 §11.6.1)', () => {
  it('reads a Docker Hub bearer challenge with realm, service, scope and error', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull",error="insufficient_scope"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull', error: 'insufficient_scope' } },
    ]);
  });

  it('reads several challenges, unquoted values, escaped quotes and spaces around "="', () => {
    expect(parseWwwAuthenticate('Basic realm="a \\"b\\"", Bearer realm = "https://x/token" , service=reg')).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'https://x/token', service: 'reg' } },
    ]);
  });

  it('keeps a token68 credential-style challenge', () => {
    expect(parseWwwAuthenticate('Negotiate abc==')).toEqual([{ scheme: 'negotiate', params: { token68: 'abc==' } }]);
  });

  it('returns nothing for an empty header', () => {
    expect(parseWwwAuthenticate('')).toEqual([]);
  });

  it('survives garbage and an unterminated quote without throwing, in linear time', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://x')).toEqual([{ scheme: 'bearer', params: { realm: 'https://x' } }]);
    expect(parseWwwAuthenticate('@@@ ,,, ===')).toEqual([]);
    const started = Date.now();
    parseWwwAuthenticate(`Bearer ${'a=b,'.repeat(50_000)}`);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
