import { describe, expect, it } from 'vitest';
import { RegistryError, UsageError } from '../core/errors.js';
import { defaultPlatform, formatPlatform, normalizePlatform, parsePlatform, platformMatches, selectPlatform } from './platform.js';

const d = (platform: { os: string; architecture: string; variant?: string }, n: number) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${String(n).repeat(64).slice(0, 64)}`, size: 1, platform });

describe('platforms', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['Linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
  ])('parses %s', (text, expected) => {
    expect(parsePlatform(text)).toEqual(expected);
  });

  it('throws a UsageError with an example for an invalid --platform', () => {
    expect(() => parsePlatform('amd64')).toThrow(UsageError);
    expect(() => parsePlatform('amd64')).toThrow('Invalid --platform "amd64": expected os/architecture[/variant], e.g. "linux/amd64" or "linux/arm64/v8".');
    expect(() => parsePlatform('linux/amd64/v2/x')).toThrow(UsageError);
  });

  it('matches arm64 with and without the default v8 variant, but not arm v6 with v7', () => {
    expect(platformMatches({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(false);
    expect(platformMatches({ os: 'linux', architecture: 'amd64' }, { os: 'windows', architecture: 'amd64' })).toBe(false);
  });

  it('chooses the matching manifest and skips attestation entries (unknown/unknown)', () => {
    const list = [d({ os: 'unknown', architecture: 'unknown' }, 1), d({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 2), d({ os: 'linux', architecture: 'amd64' }, 3)];
    expect(selectPlatform(list, { os: 'linux', architecture: 'amd64' }, 'Index x').digest).toBe(list[2]?.digest);
    expect(selectPlatform(list, { os: 'linux', architecture: 'arm64' }, 'Index x').digest).toBe(list[1]?.digest);
  });

  it('throws platform-not-found listing what the index offers', () => {
    const error = (() => {
      try {
        selectPlatform([d({ os: 'linux', architecture: 'arm64' }, 1)], { os: 'linux', architecture: 'amd64' }, 'Index sha256:x of app:1');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toBe('Index sha256:x of app:1 has no image for platform linux/amd64; it offers linux/arm64/v8');
  });

  it('defaults to this machine and formats os/arch/variant', () => {
    expect(defaultPlatform().os).toBe(process.platform);
    expect(formatPlatform(normalizePlatform({ os: 'linux', architecture: 'arm' }))).toBe('linux/arm/v7');
  });
});
