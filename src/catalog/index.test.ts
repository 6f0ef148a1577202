import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, buildTestImages, DPKG_STATUS, layerOf } from '../../test/images.js';
import { LayerCache } from '../image/analysis/cache.js';
import { analyzeImage } from '../image/analysis/run.js';
import { ociLayout } from '../image/sources/oci-layout/index.js';
import { catalogers, catalogImage } from './index.js';

describe('catalogImage through the image runner (OCI layouts from test/images.ts)', () => {
  let dir: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-catalog-'));
    images = await buildTestImages(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('debian-app: Debian 12 from /etc/os-release (a symlink), dpkg packages with source and layer, lodash and requests', async () => {
    const image = await ociLayout.open(images['debian-app'].layout, {});
    const analysis = await analyzeImage(image, catalogers());
    const got = catalogImage(analysis);
    expect(got.os).toMatchObject({ id: 'debian', release: '12', codename: 'bookworm' });
    expect(got.issues).toEqual([]);
    const appLayer = images['debian-app'].layers[1]?.digest;
    const labels = got.packages.map((p) => `${p.foundBy ?? ''} ${p.ecosystem} ${p.name}@${p.version} src=${p.source?.name ?? ''}@${p.source?.version ?? ''} ${p.purl ?? ''}`).sort();
    expect(labels).toEqual([
      'dpkg Debian base-files@12.4+deb12u1 src=base-files@12.4+deb12u1 pkg:deb/debian/base-files@12.4+deb12u1?arch=amd64&distro=debian-12',
      'dpkg Debian bash@5.2.15-2+b2 src=bash@5.2.15-2 pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&distro=debian-12',
      'dpkg Debian libc6@2.36-9+deb12u1 src=glibc@2.36-9+deb12u1 pkg:deb/debian/libc6@2.36-9+deb12u1?arch=amd64&distro=debian-12',
      'dpkg Debian libssl3@3.0.9-1 src=openssl@3.0.9-1 pkg:deb/debian/libssl3@3.0.9-1?arch=amd64&distro=debian-12',
      'dpkg Debian zlib1g@1:1.2.13.dfsg-1 src=zlib@1:1.2.13.dfsg-1 pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12',
      'npm npm lodash@4.17.15 src=@ pkg:npm/lodash@4.17.15',
      'python PyPI requests@2.25.0 src=@ pkg:pypi/requests@2.25.0',
    ].sort());
    for (const p of got.packages) expect(p.locations?.[0]?.layer).toBe(appLayer);
    expect(got.packages.find((p) => p.name === 'requests')).toMatchObject({ licenses: ['Apache-2.0'], locations: [{ layer: appLayer, path: '/usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA' }] });
  });

  it('alpine-app: Alpine 3.18.0, apk packages with origin', async () => {
    const analysis = await analyzeImage(await ociLayout.open(images['alpine-app'].layout, {}), catalogers());
    const got = catalogImage(analysis);
    expect(got.os).toMatchObject({ id: 'alpine', release: '3.18.0' });
    expect(got.packages.map((p) => `${p.ecosystem} ${p.name}@${p.version} ${p.source?.name ?? ''} ${p.distro?.release ?? ''}`)).toEqual(['Alpine musl@1.2.4-r0 musl 3.18.0', 'Alpine libcrypto3@3.1.0-r4 openssl 3.18.0', 'Alpine zlib@1.2.13-r1 zlib 3.18.0']);
    expect(got.issues).toEqual([]);
  });

  it('layers: a package is credited to the layer that introduced it; a deleted or replaced DB no longer counts; a 100 MB METADATA is an issue with path and layer', async () => {
    const base = await layerOf([
      { path: 'etc/os-release', content: 'ID=ubuntu\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n' },
      { path: 'var/lib/dpkg/status', content: DPKG_STATUS },
      { path: 'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA', content: 'Name: six\nVersion: 1.16.0\n' },
    ]);
    const added = `${DPKG_STATUS}Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.81.0-1ubuntu1.15\n\n`;
    const huge = Buffer.alloc(100 * 1024 * 1024, 0x20);
    huge.write('Name: huge\nVersion: 1.0\n\n');
    const upper = await layerOf([
      { path: 'var/lib/dpkg/status', content: added.replace(/Package: bash[\s\S]*?\n\n/, '') },
      { path: 'usr/lib/python3/dist-packages/.wh.six-1.16.0.dist-info' },
      { path: 'opt/huge-1.0.dist-info/METADATA', content: huge },
      { path: 'opt/ok-2.0.dist-info/METADATA', content: 'Name: ok\nVersion: 2.0\n' },
    ].map((e) => (e.path.includes('.wh.') ? { ...e, content: '' } : e)));
    const built = await buildImage(dir, { name: 'layered', layers: [base, upper] });
    const got = catalogImage(await analyzeImage(await ociLayout.open(built.layout, {}), catalogers()));
    const where = new Map(got.packages.map((p) => [p.name, p.locations?.[0]?.layer]));
    expect([...where.keys()].sort()).toEqual(['base-files', 'curl', 'libc6', 'libssl3', 'ok', 'zlib1g']);
    expect(where.get('libssl3')).toBe(base.digest);
    expect(where.get('curl')).toBe(upper.digest);
    expect(where.get('ok')).toBe(upper.digest);
    expect(got.packages.find((p) => p.name === 'curl')).toMatchObject({ ecosystem: 'Ubuntu', distro: { id: 'ubuntu', release: '22.04', codename: 'jammy' }, purl: 'pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.15?arch=amd64&distro=ubuntu-22.04' });
    expect(got.issues).toEqual([expect.objectContaining({ code: 'analysis-file-too-large', location: `opt/huge-1.0.dist-info/METADATA (layer 2/2 (${upper.digest.slice(0, 19)}…))` })]);
  });

  // `constructor`: an ID named like an Object property (a plain table lookup once found a distro for it)
  it.each(['fedora', 'constructor'])('OS packages on a distribution without an advisory source (ID=%s): listed without a distro, one issue says so', async (id) => {
    const layer = await layerOf([
      { path: 'etc/os-release', content: `ID=${id}\nVERSION_ID=39\n` },
      { path: 'var/lib/rpmmanifest/container-manifest-2', content: 'bash\t5.2.26-1.fc39\t1\t2\tFedora Project\t(none)\t10\tx86_64\t0\tbash-5.2.26-1.fc39.src.rpm\n' },
    ]);
    const built = await buildImage(dir, { name: id, layers: [layer] });
    const got = catalogImage(await analyzeImage(await ociLayout.open(built.layout, {}), catalogers()));
    expect(got.packages.map((p) => [p.name, p.version, p.distro])).toEqual([['bash', '5.2.26-1.fc39', undefined]]);
    expect(got.issues).toEqual([{ code: 'catalog-distro-unsupported', message: `1 OS packages found on ${id} 39, which has no advisory source in runwarden: they are listed but not matched`, location: 'etc/os-release', hint: 'Distro advisories are per distribution and release; nothing else is guessed.' }]);
  });

  it('the layer cache: a second scan reads no blob and catalogs the same packages (values re-validated by the schema)', async () => {
    const cache = LayerCache.open(join(dir, 'cache.db'));
    try {
      const first = catalogImage(await analyzeImage(await ociLayout.open(images['debian-app'].layout, {}), catalogers(), { cache }));
      const again = await analyzeImage(await ociLayout.open(images['debian-app'].layout, {}), catalogers(), { cache });
      expect(again.blobsRead).toBe(0);
      expect(catalogImage(again)).toEqual(first);
      expect(first.packages).toHaveLength(7);
    } finally {
      cache.close();
    }
  });
});
