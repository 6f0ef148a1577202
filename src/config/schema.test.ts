import { describe, expect, it } from 'vitest';
import { validateLayer } from './load.js';

const error = (value: unknown): string => {
  try {
    validateLayer(value, 'config file rw.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('policy settings (allowedRegistries, pssVersion, pssLevel, exceptions)', () => {
  it('accepts registry hosts, repository prefixes and globs, a policy version, a level and exceptions', () => {
    const layer = validateLayer(
      {
        allowedRegistries: ['ghcr.io/acme', 'registry.local:5000', '*.dkr.ecr.*.amazonaws.com'],
        pssVersion: 'v1.30',
        pssLevel: 'restricted',
        exceptions: [{ rules: ['host-path'], namespace: 'monitoring', workload: 'DaemonSet/node-exporter', reason: 'reads /proc', expires: '2027-01-31' }],
      },
      'config file rw.yaml',
    );
    expect(layer.exceptions?.[0]?.expires).toBe('2027-01-31');
  });

  it.each([
    ['a registry with a scheme', { allowedRegistries: ['https://ghcr.io'] }, 'Invalid "allowedRegistries.0" in config file rw.yaml: "https://ghcr.io" — registry "https://ghcr.io" must not include a URL scheme (write "ghcr.io")'],
    ['a registry with a tag', { allowedRegistries: ['ghcr.io/acme/app:1.0'] }, 'Invalid "allowedRegistries.0" in config file rw.yaml: "ghcr.io/acme/app:1.0" — registry "ghcr.io/acme/app:1.0" must not include a tag (allow-lists name registries and repositories, not versions)'],
    ['a policy version without v', { pssVersion: '1.30' }, 'Invalid "pssVersion" in config file rw.yaml: "1.30" — must be "latest" or "v1.<minor>", e.g. "v1.30"'],
    ['an unknown level', { pssLevel: 'strict' }, 'Invalid "pssLevel" in config file rw.yaml: "strict" — Invalid option: expected one of "privileged"|"baseline"|"restricted"'],
    ['an exception without a reason', { exceptions: [{ rules: ['host-path'], reason: ' ' }] }, 'Invalid "exceptions.0.reason" in config file rw.yaml: " " — an exception needs a reason'],
    ['an exception with a bad date', { exceptions: [{ rules: ['host-path'], reason: 'x', expires: '31/01/2027' }] }, 'Invalid "exceptions.0.expires" in config file rw.yaml: "31/01/2027" — must be a date "YYYY-MM-DD"'],
    ['an exception with no rules', { exceptions: [{ rules: [], reason: 'x' }] }, 'Invalid "exceptions.0.rules" in config file rw.yaml: [] — Too small: expected array to have >=1 items'],
  ])('names the setting, the value and the fix for %s', (_name, value, message) => {
    expect(error(value)).toBe(message);
  });

  it('rejects an unknown key in an exception, naming it', () => {
    // config/load.ts words every unrecognized key as a top-level setting; the key is named either way.
    expect(error({ exceptions: [{ rules: ['host-path'], reason: 'x', namespaces: 'a' }] })).toContain('"namespaces"');
  });
});
