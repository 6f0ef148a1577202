import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { dpkg, parseDpkgStatus, relationNames } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const upstream = (p: string): string => here(`../../../../testdata/upstream/package-dbs/${p}`);

/** `name:arch` labels of each package's edges, and its unresolved references. */
function edges(got: Awaited<ReturnType<typeof catalogDirectory>>): Record<string, { to: string[]; unresolved?: string[] }> {
  const label = (i: number): string => `${got.packages[i]?.name ?? '?'}:${got.packages[i]?.arch ?? ''}`;
  return Object.fromEntries(got.dependencies.map((d) => [label(d.from), d.unresolved === undefined ? { to: d.to.map(label) } : { to: d.to.map(label), unresolved: d.unresolved }]));
}

describe('dpkg dependencies', () => {
  it('relationship fields: groups, alternatives, constraints, :any qualifiers, arch lists and profiles dropped', () => {
    expect(relationNames('gawk (>= 1:3.1) | awk, libc6:any, python3:any (>= 3.11~) [amd64] <!nocheck>,  ,perl:native')).toEqual(['gawk | awk', 'libc6', 'python3', 'perl']);
    expect(relationNames(undefined)).toEqual([]);
  });

  it('Depends and Pre-Depends resolved within the image: installed alternative, virtual package via Provides, same-arch multi-arch target, cycles kept, self-edges dropped, missing names unresolved', async () => {
    const got = await catalogDirectory(here('testdata/depends'), [dpkg]);
    expect(got.issues).toEqual([]);
    expect(edges(got)).toEqual({
      'libc6:amd64': { to: ['libgcc-s1:amd64'] },
      'libc6:i386': { to: ['libgcc-s1:amd64'] },
      'libgcc-s1:amd64': { to: ['libc6:amd64', 'gcc-12-base:amd64'] },
      'gcc-12-base:amd64': { to: [] },
      'mawk:amd64': { to: ['libc6:amd64'] },
      'python3-minimal:amd64': { to: [], unresolved: ['python3.11-minimal'] },
      'tool:amd64': { to: ['libc6:amd64', 'mawk:amd64', 'python3-minimal:amd64'], unresolved: ['libmissing1 | libmissing2'] },
    });
  });

  it('Ubuntu 18.04 status (Trivy data): Depends/Pre-Depends of the 90 packages resolve inside the image, but multiarch-support (not in this status file)', async () => {
    const got = parseDpkgStatus('var/lib/dpkg/status', await readFile(upstream('debian-trivy/status')));
    const bash = got.packages.find((p) => p.name === 'bash');
    expect(bash?.dependsOn).toEqual(['libc6', 'libtinfo5', 'base-files', 'debianutils']);
    const installed = new Set(got.packages.flatMap((p) => [p.name, ...(p.provides ?? [])]));
    const missing = got.packages.flatMap((p) => (p.dependsOn ?? []).filter((d) => !d.split(' | ').some((a) => installed.has(a))).map((d) => `${p.name} → ${d}`));
    expect(missing).toEqual(['liblzma5 → multiarch-support', 'libustr-1.0-1 → multiarch-support']);
    // 83 installed stanzas have Depends or Pre-Depends (counted independently with a stanza split).
    expect(got.packages.filter((p) => (p.dependsOn ?? []).length > 0)).toHaveLength(83);
  });
});
