/**
 * Attached SBOMs against the real registry (Debian's docker-registry, distribution 2.8): SBOMs are
 * attached as OCI artifact manifests with a `subject` and found through the `sha256-<hex>` referrers
 * tag (2.8 has no referrers API; the API path is covered in src/registry/client.test.ts).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../test/components.js';
import { buildTestImages, skopeoCopy } from '../../test/images.js';
import { startRegistry, type Registry } from '../../test/registry.js';
import { RegistryClient } from '../registry/client.js';
import { openImage } from '../image/registry.js';
import { attachSbom, attachedSbomOfImage, attachedSbomPackages } from './attached.js';
import { renderSbom } from './export/index.js';
import { imageSbom } from './image.js';

const skip = requireComponent('docker-registry + skopeo', ['docker-registry', 'skopeo']);

const cdx = (components: Array<[string, string]>): Buffer => Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: components.map(([name, purl]) => ({ type: 'library', name, purl })) }));
const spdx = (purls: string[]): Buffer => Buffer.from(JSON.stringify({
  spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: 'x', documentNamespace: 'https://example.invalid/x', creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: t'] },
  packages: [
    { SPDXID: 'SPDXRef-image', name: 'app', downloadLocation: 'NOASSERTION', primaryPackagePurpose: 'CONTAINER', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:oci/app@sha256%3Aabc' }] },
    { SPDXID: 'SPDXRef-os', name: 'debian', versionInfo: '12', downloadLocation: 'NOASSERTION', primaryPackagePurpose: 'OPERATING_SYSTEM' },
    ...purls.map((p, i) => ({ SPDXID: `SPDXRef-p${i}`, name: `p${i}`, downloadLocation: 'NOASSERTION', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p }] })),
  ],
}));

describe.skipIf(skip !== undefined)('attachedSbomPackages (real registry, referrers tag schema)', () => {
  let registry: Registry;
  let client: RegistryClient;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  beforeAll(async () => {
    images = await buildTestImages(await mkdtemp(join(tmpdir(), 'rw-sbom-attached-')));
    registry = await startRegistry();
    client = new RegistryClient({ hosts: { insecure: [registry.host] } });
    for (const name of ['debian-app', 'alpine-app', 'pause'] as const) await skopeoCopy(`oci:${images[name].layout}:1`, `docker://${registry.host}/rw/${name}:1`, ['--dest-tls-verify=false']);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('returns undefined, no candidates and no issues when nothing is attached', async () => {
    expect(await attachedSbomPackages(client, `${registry.host}/rw/pause:1`, images.pause.manifestDigest)).toEqual({ sbom: undefined, candidates: 0, issues: [] });
  });

  it('reads the newest attached SBOM (SPDX over an older CycloneDX) into packages, naming the referrer', async () => {
    const repo = { registry: registry.host, repository: 'rw/debian-app' };
    const subject = images['debian-app'].manifestDigest;
    await attachSbom(client, repo, subject, cdx([['lodash', 'pkg:npm/lodash@4.17.15']]), 'application/vnd.cyclonedx+json', { created: '2026-10-01T00:00:00Z' });
    const newest = await attachSbom(client, repo, subject, spdx(['pkg:deb/debian/libssl3@3.0.9-1', 'pkg:npm/lodash@4.17.21']), 'application/spdx+json', { created: '2026-11-01T00:00:00Z' });
    // Another artifact type (a signature) is not an SBOM.
    await attachSbom(client, repo, subject, Buffer.from('{}'), 'application/vnd.dev.sigstore.bundle.v0.3+json', { created: '2026-12-01T00:00:00Z' });

    const got = await attachedSbomPackages(client, `${registry.host}/rw/debian-app:1`, subject);
    expect(got.issues).toEqual([]);
    expect(got.candidates).toBe(2);
    expect(got.sbom?.referrer).toMatchObject({ artifact: newest, artifactType: 'application/spdx+json', format: 'spdx', subject, via: 'tag-schema', created: '2026-11-01T00:00:00Z' });
    expect(got.sbom?.origin).toBe(`${registry.host}/rw/debian-app@${newest} (application/spdx+json referrer of ${subject}, via tag-schema)`);
    // The image and OS packages of the SPDX document describe the subject; the OS gives OS purls their distro.
    expect(got.sbom?.packages.map((p) => [p.ecosystem, p.name, p.version, p.distro ?? null, p.foundBy])).toEqual([
      ['Debian', 'libssl3', '3.0.9-1', { id: 'debian', release: '12' }, 'attached-spdx'],
      ['npm', 'lodash', '4.17.21', null, 'attached-spdx'],
    ]);
    expect(got.sbom?.packages[0]?.locations).toEqual([{ path: `${registry.host}/rw/debian-app@${newest}#packages[2] (p0)` }]);
  });

  it('records an unreadable newest SBOM as an issue and falls back to the next one', async () => {
    const repo = { registry: registry.host, repository: 'rw/alpine-app' };
    const subject = images['alpine-app'].manifestDigest;
    await attachSbom(client, repo, subject, cdx([['musl', 'pkg:apk/alpine/musl@1.2.4-r0?distro=alpine-3.18.0']]), 'application/vnd.cyclonedx+json', { created: '2026-01-01T00:00:00Z' });
    const broken = await attachSbom(client, repo, subject, Buffer.from('{"spdxVersion": "SPDX-2.3", "packages": [ trunc'), 'application/spdx+json', { created: '2026-02-01T00:00:00Z' });
    const got = await attachedSbomPackages(client, { registry: registry.host, repository: 'rw/alpine-app' }, subject);
    expect(got.issues.map((i) => [i.code, i.location])).toEqual([['sbom-attached-unreadable', `${registry.host}/rw/alpine-app@${broken}`]]);
    expect(got.issues[0]?.message).toMatch(/^Attached SBOM .* \(application\/spdx\+json\) could not be read: ".*" is not valid JSON: /);
    expect(got.sbom?.referrer.format).toBe('cyclonedx');
    expect(got.sbom?.packages.map((p) => `${p.ecosystem} ${p.name}@${p.version}`)).toEqual(['Alpine musl@1.2.4-r0']);
  });

  it('attachedSbomOfImage: an opened registry image is looked up by its name and digest; other sources get an issue', async () => {
    const handle = await openImage(`${registry.host}/rw/debian-app:1`, { registry: client });
    try {
      const got = await attachedSbomOfImage(client, handle);
      expect([got.sbom?.referrer.subject, got.sbom?.referrer.format, got.candidates]).toEqual([images['debian-app'].manifestDigest, 'spdx', 2]);
    } finally {
      await handle.close();
    }
    const local = await openImage(`oci:${images.pause.layout}`);
    try {
      const got = await attachedSbomOfImage(client, local);
      expect(got.sbom).toBeUndefined();
      expect(got.issues.map((i) => i.code)).toEqual(['sbom-attached-unsupported']);
    } finally {
      await local.close();
    }
  });

  it('tries the digests in order (a platform manifest without SBOM, then the one with it), and turns an unreachable registry into an issue', async () => {
    const repo = { registry: registry.host, repository: 'rw/second' };
    await skopeoCopy(`oci:${images.pause.layout}:1`, `docker://${registry.host}/rw/second:1`, ['--dest-tls-verify=false']);
    await skopeoCopy(`oci:${images['alpine-app'].layout}:1`, `docker://${registry.host}/rw/second:2`, ['--dest-tls-verify=false']);
    await attachSbom(client, repo, images['alpine-app'].manifestDigest, cdx([['x', 'pkg:npm/x@1.0.0']]), 'application/vnd.cyclonedx+json');
    const got = await attachedSbomPackages(client, repo, [images.pause.manifestDigest, images['alpine-app'].manifestDigest]);
    expect([got.sbom?.referrer.subject, got.sbom?.referrer.created, got.candidates, got.issues]).toEqual([images['alpine-app'].manifestDigest, undefined, 1, []]);
    const down = await attachedSbomPackages(new RegistryClient({ hosts: { insecure: ['127.0.0.1:9'] }, transport: { retry: { retries: 0 } } }), '127.0.0.1:9/rw/x:1', images.pause.manifestDigest);
    expect(down.sbom).toBeUndefined();
    expect(down.issues.map((i) => i.code)).toEqual(['sbom-referrers-unavailable']);
    expect(down.issues[0]?.message).toMatch(/^Referrers of 127\.0\.0\.1:9\/rw\/x@sha256:[a-f0-9]{64} could not be listed: /);
  });

  it('reads the dependency edges of an attached SBOM (runwarden\'s own CycloneDX of the image, round trip through the registry)', async () => {
    const repo = { registry: registry.host, repository: 'rw/third' };
    await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `docker://${registry.host}/rw/third:1`, ['--dest-tls-verify=false']);
    const local = await openImage(`oci:${images['debian-app'].layout}`);
    const doc = await imageSbom(local, { created: new Date('2026-11-28T12:00:00Z') }).finally(() => local.close());
    expect(doc.dependencies.some((d) => d.to.length > 0)).toBe(true);
    await attachSbom(client, repo, images['debian-app'].manifestDigest, Buffer.from(renderSbom(doc, 'cyclonedx')), 'application/vnd.cyclonedx+json');
    const got = await attachedSbomPackages(client, repo, images['debian-app'].manifestDigest);
    expect(got.issues).toEqual([]);
    expect(got.sbom?.packages.map((p) => p.name)).toEqual(doc.packages.map((p) => p.name));
    expect(got.sbom?.dependencies).toEqual(doc.dependencies);
  });
});
