import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSbomDir } from './vulnerabilities.js';

describe('readSbomDir (--sbom-dir)', () => {
  it('reads SBOMs named after image digests, and says which would be matched poorly: empty, or without source packages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-sbom-dir-'));
    const digest = (c: string): string => `sha256-${c.repeat(64)}`;
    const cdx = (purls: string[]): string => JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: purls.map((purl, i) => ({ type: 'library', name: `p${i}`, purl })) });
    writeFileSync(join(dir, `${digest('a')}.cdx.json`), cdx(['pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&upstream=openssl', 'pkg:npm/lodash@4.17.15']));
    writeFileSync(join(dir, `${digest('b')}.cdx.json`), cdx(['pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12']));
    writeFileSync(join(dir, `${digest('c')}.cdx.json`), cdx([]));
    const { byDigest, issues } = await readSbomDir(dir);
    expect([...byDigest.keys()]).toEqual([`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`, `sha256:${'c'.repeat(64)}`]);
    expect(byDigest.get(`sha256:${'a'.repeat(64)}`)?.packages.map((p) => [p.name, p.source?.name])).toEqual([['libssl3', 'openssl'], ['lodash', undefined]]);
    expect(issues.map((i) => [i.code, i.location])).toEqual([
      ['sbom-no-source', join(dir, `${digest('b')}.cdx.json`)],
      ['sbom-empty', join(dir, `${digest('c')}.cdx.json`)],
    ]);
  });
});
