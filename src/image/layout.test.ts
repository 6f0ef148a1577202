import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerOf } from '../../test/images.js';
import { digestOf } from '../registry/digest.js';
import { MEDIA } from '../registry/media-types.js';
import type { Descriptor } from '../registry/schema.js';
import { openLayout, type LayoutAccess } from './layout.js';
import { folderStore, readCapped } from './store.js';

/** Images in one layout, as `--image-dir` holds a cluster's images: every third has an SBOM referrer, one a tag-schema index. */
const IMAGES = 30;

describe('openLayout: many images in one layout', () => {
  let dir: string;
  let images: Descriptor[];
  let artifacts: Map<string, Descriptor>;
  let entries: Descriptor[];

  const put = async (data: Buffer | string): Promise<Descriptor & { bytes: Buffer }> => {
    const bytes = Buffer.from(data);
    const digest = digestOf(bytes);
    await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return { mediaType: MEDIA.ociManifest, digest, size: bytes.length, bytes };
  };
  const writeIndex = (manifests: Descriptor[]): Promise<void> => writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }));

  /** An SBOM artifact whose subject is `image`. */
  async function sbomFor(image: Descriptor, note: string): Promise<Descriptor> {
    const empty = await put('{}');
    const body = await put(`{"bomFormat":"CycloneDX","note":"${note}"}`);
    const m = await put(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, artifactType: 'application/vnd.cyclonedx+json', config: { mediaType: MEDIA.ociEmpty, digest: empty.digest, size: 2 }, layers: [{ mediaType: 'application/vnd.cyclonedx+json', digest: body.digest, size: body.size }], subject: { mediaType: image.mediaType, digest: image.digest, size: image.size } }));
    return { mediaType: MEDIA.ociManifest, digest: m.digest, size: m.size };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-layout-many-'));
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const layer = await layerOf([{ path: 'etc/hostname', content: 'x' }]);
    await writeFile(join(dir, 'blobs', 'sha256', layer.digest.slice(7)), layer.blob);
    images = [];
    for (let i = 0; i < IMAGES; i++) {
      const config = await put(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { n: String(i) } }, rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
      const m = await put(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size }, layers: [{ mediaType: MEDIA.ociLayerGzip, digest: layer.digest, size: layer.size }] }));
      images.push({ mediaType: MEDIA.ociManifest, digest: m.digest, size: m.size, annotations: { 'org.opencontainers.image.ref.name': `v${i}` } });
    }
    artifacts = new Map();
    for (let i = 0; i < IMAGES; i += 3) artifacts.set((images[i] as Descriptor).digest, await sbomFor(images[i] as Descriptor, `sbom ${i}`));
    // image 1's referrer stored the tag-schema way: an index named sha256-<hex> listing it
    const tagged = await sbomFor(images[1] as Descriptor, 'tagged');
    const taggedIndex = await put(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [tagged] }));
    entries = [...images, ...artifacts.values(), { mediaType: MEDIA.ociIndex, digest: taggedIndex.digest, size: taggedIndex.size, annotations: { 'org.opencontainers.image.ref.name': (images[1] as Descriptor).digest.replace(':', '-') } }];
    artifacts.set((images[1] as Descriptor).digest, tagged);
    await writeIndex(entries);
  });

  /** A layout access that counts its reads of index.json and of each blob, with a version the test sets. */
  function counted(version: { value: string | undefined }): { access: (ref: string) => LayoutAccess; indexReads: () => number; blobReads: Map<string, number> } {
    let indexReads = 0;
    const blobReads = new Map<string, number>();
    const store = folderStore(dir, 'test layout');
    return {
      indexReads: () => indexReads,
      blobReads,
      access: (ref) => ({
        source: 'oci-layout',
        input: `oci:${dir}:${ref}`,
        label: 'test layout',
        file: dir,
        ref,
        readFile: (name, max) => {
          if (name === 'index.json') indexReads++;
          return readCapped(join(dir, name), max);
        },
        version: () => Promise.resolve(version.value),
        store: {
          label: store.label,
          read: (d, max, signal) => {
            blobReads.set(d.digest, (blobReads.get(d.digest) ?? 0) + 1);
            return store.read(d, max, signal);
          },
          open: (d, signal) => store.open(d, signal),
        },
        close: () => Promise.resolve(),
      }),
    };
  }

  it('opens every image and finds each one its own referrers, reading index.json once and each manifest at most twice (not once per image)', async () => {
    const version = { value: 'v1-many' };
    const c = counted(version);
    for (const [i, image] of images.entries()) {
      const handle = await openLayout(c.access(i % 2 === 0 ? image.digest : `v${i}`), {});
      expect(handle.digest).toBe(image.digest);
      const expected = artifacts.get(image.digest);
      expect((await handle.referrers()).manifests.map((m) => m.digest)).toEqual(expected === undefined ? [] : [expected.digest]);
    }
    expect(c.indexReads()).toBe(1);
    // an image's manifest: read when it is opened, and once for the layout's referrer map
    expect(Math.max(...images.map((m) => c.blobReads.get(m.digest) ?? 0))).toBeLessThanOrEqual(2);
    expect(Math.max(...[...artifacts.values()].map((m) => c.blobReads.get(m.digest) ?? 0))).toBe(1);
  });

  it('reads index.json again when its version changes, and sees the referrer added with it', async () => {
    const version = { value: 'v1-change' };
    const c = counted(version);
    const image = images[2] as Descriptor;
    expect((await (await openLayout(c.access('v2'), {})).referrers()).manifests).toEqual([]);
    const added = await sbomFor(image, 'added');
    await writeIndex([...entries, added]);
    try {
      // the same version: what was read is kept
      expect((await (await openLayout(c.access('v2'), {})).referrers()).manifests).toEqual([]);
      version.value = 'v2-change';
      expect((await (await openLayout(c.access('v2'), {})).referrers()).manifests.map((m) => m.digest)).toEqual([added.digest]);
      expect(c.indexReads()).toBe(2);
    } finally {
      await writeIndex(entries);
    }
  });

  it('keeps nothing without a version (an archive), and nothing of a referrer read cut short', async () => {
    const c = counted({ value: undefined });
    await openLayout(c.access('v3'), {});
    await openLayout(c.access('v3'), {});
    expect(c.indexReads()).toBe(2);

    const kept = counted({ value: 'v1-abort' });
    const handle = await openLayout(kept.access('v3'), {});
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(handle.referrers({ signal: controller.signal })).rejects.toThrow('stopped');
    expect((await handle.referrers()).manifests.map((m) => m.digest)).toEqual([(artifacts.get((images[3] as Descriptor).digest) as Descriptor).digest]);
  });
});
