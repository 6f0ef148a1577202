/**
 * `runwarden sbom` in-process: export from an OCI layout, an OCI archive and a docker archive (written
 * by the real skopeo) and a real registry (distribution 2.8), validated against the official schemas;
 * `sbom diff` of files and of a registry image against the SBOM attached to it as a referrer (pushed to
 * the real registry, found through the sha256-<hex> tag schema since 2.8 has no referrers API).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { buildImage, buildTestImages, layerOf, skopeoCopy } from '../../../test/images.js';
import { startRegistry, type Registry } from '../../../test/registry.js';
import { startContainerd, type Containerd } from '../../../test/containerd.js';
import { cycloneDxErrors, spdxErrors } from '../../../test/sbom-schemas.js';
import { RegistryClient } from '../../registry/client.js';
import { attachSbom } from '../../sbom/attached.js';
import type { SbomDiff } from '../../sbom/diff.js';
import { cli } from '../../../test/cli.js';

const sbom = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(['sbom', ...args], { env });

interface Bom { metadata: { component: { name: string; version: string } }; components: Array<{ name: string; version: string; type: string }> }
const NOW = '2026-11-28T12:00:00Z';
const DEBIAN_COMPONENTS = ['debian@12', 'base-files@12.4+deb12u1', 'libssl3@3.0.9-1', 'zlib1g@1:1.2.13.dfsg-1', 'libc6@2.36-9+deb12u1', 'bash@5.2.15-2+b2', 'lodash@4.17.15', 'requests@2.25.0'];
const names = (bom: Bom): string[] => bom.components.map((c) => `${c.name}@${c.version}`);
const skip = requireComponent('docker-registry + skopeo + containerd', ['docker-registry', 'skopeo', 'containerd', 'ctr']);

describe('runwarden sbom export', () => {
  let dir: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-cli-sbom-'));
    images = await buildTestImages(dir);
  });

  it('"sbom <image>" writes CycloneDX 1.6 to stdout that validates against the official schema', async () => {
    const run = await sbom([`oci:${images['debian-app'].layout}`, '--now', NOW]);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const bom = JSON.parse(run.stdout) as Bom;
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(bom.metadata.component).toMatchObject({ name: 'localhost/rw/debian-app', version: images['debian-app'].manifestDigest });
    expect(names(bom)).toEqual(DEBIAN_COMPONENTS);
    // Same input, same time: byte-identical output.
    expect((await sbom(['export', `oci:${images['debian-app'].layout}`, '--now', NOW])).stdout).toBe(run.stdout);
  });

  it('"sbom export --format spdx -o FILE" writes SPDX 2.3 that validates, and says what it wrote on stderr', async () => {
    const out = join(dir, 'debian.spdx.json');
    const run = await sbom(['export', `oci:${images['debian-app'].layout}`, '--format', 'spdx', '-o', out, '--now', NOW]);
    expect(run).toEqual({ code: 0, stdout: '', stderr: `runwarden: wrote spdx SBOM of localhost/rw/debian-app:1 to ${out} (7 packages, 0 issues)\n` });
    const doc = JSON.parse(await readFile(out, 'utf8')) as { packages: Array<{ name: string }> };
    expect(spdxErrors(doc)).toEqual([]);
    expect(doc.packages.map((p) => p.name)).toEqual(['localhost/rw/debian-app', 'debian', 'base-files', 'libssl3', 'zlib1g', 'libc6', 'bash', 'lodash', 'requests']);
  });

  it('exits 2 with one line for a bad --format or --now, and 3 for a missing layout', async () => {
    const bad = await sbom([`oci:${images.pause.layout}`, '--format', 'spdxx']);
    expect([bad.code, bad.stderr]).toEqual([2, 'runwarden: error: Unknown --format "spdxx": expected one of cyclonedx, spdx. Did you mean "spdx"?\n']);
    const now = await sbom([`oci:${images.pause.layout}`, '--now', 'yesterday']);
    expect([now.code, now.stderr]).toEqual([2, 'runwarden: error: Invalid --now "yesterday": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".\n']);
    const missing = await sbom(['oci:/nonexistent/rw']);
    expect([missing.code, missing.stderr]).toEqual([3, 'runwarden: error: oci folder "/nonexistent/rw" not found. Hint: Give an existing folder: oci:<path>[:<reference>].\n']);
  });

  it('a damaged package database: the SBOM keeps the other packages and records the issue; stderr warns', async () => {
    const status = 'Package: good\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\nPackage: broken\nStatus: install ok installed\nArchitecture: amd64\n\n';
    const image = await buildImage(dir, { name: 'damaged', layers: [await layerOf([{ path: 'var/' }, { path: 'var/lib/' }, { path: 'var/lib/dpkg/' }, { path: 'var/lib/dpkg/status', content: status }])] });
    const run = await sbom([`oci:${image.layout}`, '--now', NOW]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^runwarden: warning: dpkg-stanza-invalid: Package "broken" at .* has no Version field \(truncated or damaged stanza\); skipped/);
    const bom = JSON.parse(run.stdout) as Bom & { metadata: { properties: Array<{ name: string; value: string }> } };
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(names(bom)).toEqual(['good@1.0-1']);
    // The stanza without a version, and OS packages on an image with no os-release (no distro to match against).
    expect(bom.metadata.properties.map((p) => [p.name, p.value.split(':')[0]])).toEqual([['runwarden:complete', 'true'], ['runwarden:issue:0', 'dpkg-stanza-invalid'], ['runwarden:issue:1', 'catalog-distro-unsupported']]);
  });

  it('"sbom diff" of two files: per ecosystem, only in a, only in b, other versions (table and json), --fail-on-diff', async () => {
    const a = join(dir, 'a.cdx.json');
    await writeFile(a, (await sbom([`oci:${images['debian-app'].layout}`, '--now', NOW])).stdout);
    const b = join(dir, 'b.purls');
    await writeFile(b, ['pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12', 'pkg:deb/debian/bash@5.2.15-2%2Bb2?distro=debian-12', 'pkg:npm/lodash@4.17.21', 'pkg:npm/express@4.19.2', 'pkg:pypi/Requests@2.25.0'].join('\n'));
    const table = await sbom(['diff', a, b, '--fail-on-diff']);
    expect(table.code).toBe(1);
    expect(table.stdout).toBe([
      `a: ${a} (cyclonedx) (7 packages)`,
      `b: ${b} (purl-list) (5 packages)`,
      '',
      'ECOSYSTEM  A  B  SAME  ONLY A  ONLY B  CHANGED',
      'Debian     5  2     1       3       0        1',
      'npm        1  2     0       0       1        1',
      'PyPI       1  1     1       0       0        0',
      '',
      'Only in a (3)',
      '  Debian  base-files  12.4+deb12u1',
      '  Debian  libc6  2.36-9+deb12u1',
      '  Debian  zlib1g  1:1.2.13.dfsg-1',
      '',
      'Only in b (1)',
      '  npm  express  4.19.2',
      '',
      'Other versions (2)',
      '  Debian  libssl3  3.0.9-1 -> 3.0.11-1',
      '  npm  lodash  4.17.15 -> 4.17.21',
      '',
    ].join('\n'));
    const json = JSON.parse((await sbom(['diff', a, b, '-f', 'json'])).stdout) as SbomDiff;
    expect(json.identical).toBe(false);
    expect(json.changed).toEqual([{ ecosystem: 'Debian', name: 'libssl3', a: ['3.0.9-1'], b: ['3.0.11-1'] }, { ecosystem: 'npm', name: 'lodash', a: ['4.17.15'], b: ['4.17.21'] }]);
    const same = await sbom(['diff', a, a, '--fail-on-diff']);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('\nNo differences.\n');
  });

  it('"sbom diff" compares an image (cataloged now) with an SBOM file, and rejects wrong operand counts in one line', async () => {
    const a = join(dir, 'alpine.spdx.json');
    await sbom([`oci:${images['alpine-app'].layout}`, '-f', 'spdx', '-o', a]);
    const run = await sbom(['diff', `oci:${images['alpine-app'].layout}`, a, '-f', 'json']);
    const d = JSON.parse(run.stdout) as SbomDiff;
    expect([d.identical, d.ecosystems]).toEqual([true, [{ ecosystem: 'Alpine', a: 3, b: 3, same: 3, onlyInA: 0, onlyInB: 0, changed: 0 }]]);
    const notSbom = join(dir, 'notes.txt');
    await writeFile(notSbom, 'hello\n');
    const wrong = await sbom(['diff', notSbom, a]);
    expect([wrong.code, wrong.stderr]).toEqual([3, `runwarden: error: "${notSbom}" is not an SBOM: expected CycloneDX/SPDX JSON or lines of "pkg:type/name@version". Hint: Check the file; e.g. "pkg:npm/lodash@4.17.15".\n`]);
    const one = await sbom(['diff', a]);
    expect([one.code, one.stderr]).toEqual([2, 'runwarden: error: sbom diff needs two SBOMs or images, or one image with --attached. Hint: e.g. runwarden sbom diff old.cdx.json new.cdx.json\n']);
    const local = await sbom(['diff', `oci:${images['alpine-app'].layout}`, '--attached']);
    expect([local.code, local.stderr]).toEqual([2, `runwarden: error: --attached needs an image in a registry, not "oci:${images['alpine-app'].layout}": attached SBOMs are found through the registry's referrers. Hint: Push the image (and its SBOM) to a registry, or compare two SBOM files.\n`]);
  });

  describe.skipIf(skip !== undefined)('other sources and attached SBOMs', () => {
    let registry: Registry;
    let containerd: Containerd;
    beforeAll(async () => {
      registry = await startRegistry();
      await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `docker://${registry.host}/rw/debian-app:1`, ['--dest-tls-verify=false']);
      containerd = await startContainerd({ snapshotter: 'native' });
      await containerd.importImage(images['debian-app'].layoutTar);
    });
    afterAll(async () => {
      await registry?.stop();
      await containerd?.stop();
    });

    it('exports the same packages from an OCI archive, a docker archive, a registry and containerd', async () => {
      const oci = join(dir, 'debian.oci.tar');
      const docker = join(dir, 'debian.docker.tar');
      await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `oci-archive:${oci}:1`);
      await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `docker-archive:${docker}:localhost/rw/debian-app:1`);
      for (const input of [`oci-archive:${oci}`, `docker-archive:${docker}`, `${registry.host}/rw/debian-app:1`, 'containerd:localhost/rw/debian-app:1']) {
        const run = await sbom([input, '--insecure-registry', registry.host, '--containerd-address', containerd.address, '--now', NOW]);
        expect([input, run.code, run.stderr]).toEqual([input, 0, '']);
        const bom = JSON.parse(run.stdout) as Bom;
        expect(cycloneDxErrors(bom)).toEqual([]);
        expect(names(bom)).toEqual(DEBIAN_COMPONENTS);
      }
      const fromRegistry = JSON.parse((await sbom([`${registry.host}/rw/debian-app:1`, '--insecure-registry', registry.host])).stdout) as Bom;
      expect(fromRegistry.metadata.component).toMatchObject({ name: `${registry.host}/rw/debian-app`, version: images['debian-app'].manifestDigest });
      // A docker archive has no manifest digest: the image ID stands in.
      expect((JSON.parse((await sbom([`docker-archive:${docker}`])).stdout) as Bom).metadata.component.version).toBe(images['debian-app'].configDigest);
    });

    it('"sbom diff --attached" compares a registry image with the SPDX SBOM attached to it (referrers tag schema)', async () => {
      const client = new RegistryClient({ hosts: { insecure: [registry.host] } });
      const repo = { registry: registry.host, repository: 'rw/debian-app' };
      const attached = {
        spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: 'build', documentNamespace: 'https://example.invalid/build-1', creationInfo: { created: '2026-11-01T00:00:00Z', creators: ['Tool: build'] },
        packages: [
          { SPDXID: 'SPDXRef-a', name: 'libssl3', versionInfo: '3.0.8-1', downloadLocation: 'NOASSERTION', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:deb/debian/libssl3@3.0.8-1?distro=debian-12' }] },
          { SPDXID: 'SPDXRef-b', name: 'lodash', versionInfo: '4.17.15', downloadLocation: 'NOASSERTION', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/lodash@4.17.15' }] },
        ],
      };
      await attachSbom(client, repo, images['debian-app'].manifestDigest, Buffer.from(JSON.stringify(attached)), 'application/spdx+json', { created: '2026-11-01T00:00:00Z' });
      const run = await sbom(['diff', `${registry.host}/rw/debian-app:1`, '--attached', '--insecure-registry', registry.host, '-f', 'json']);
      expect(run.code).toBe(0);
      const d = JSON.parse(run.stdout) as SbomDiff;
      expect(d.b.label).toMatch(new RegExp(`^${registry.host}/rw/debian-app@sha256:[a-f0-9]{64} \\(application/spdx\\+json referrer of ${images['debian-app'].manifestDigest}, via tag-schema\\)$`));
      expect(d.onlyInA.map((p) => p.name)).toEqual(['base-files', 'bash', 'libc6', 'zlib1g', 'requests']);
      expect(d.onlyInB).toEqual([]);
      expect(d.changed).toEqual([{ ecosystem: 'Debian', name: 'libssl3', a: ['3.0.9-1'], b: ['3.0.8-1'] }]);
    });
  });
});
