import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { buildImage, buildTestImages, layerOf, skopeoCopy } from '../../../../test/images.js';
import { InputError, RegistryError } from '../../../core/errors.js';
import { digestOf } from '../../../registry/digest.js';
import { MEDIA } from '../../../registry/media-types.js';
import { ociLayout } from './index.js';

describe('oci-layout source', () => {
  let dir: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-ocilayout-'));
    images = await buildTestImages(dir);
  });

  it('opens the only image of a layout: digest, name, platform, config and layers with diff IDs', async () => {
    const image = await ociLayout.open(images['debian-app'].layout, {});
    expect(image.source).toBe('oci-layout');
    expect(image.digest).toBe(images['debian-app'].manifestDigest);
    expect(image.name).toBe('localhost/rw/debian-app:1');
    expect(image.configDigest).toBe(images['debian-app'].configDigest);
    expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(image.layers.map((l) => [l.digest, l.diffId, l.mediaType])).toEqual(images['debian-app'].layers.map((l) => [l.digest, l.diffId, MEDIA.ociLayerGzip]));
    expect(image.config.config?.Cmd).toEqual(['/bin/sleep', 'inf']);
    expect(await image.referrers()).toEqual({ supported: true, via: 'layout', manifests: [] });
  });

  it('picks an image by ref name or digest, and lists the refs when the one asked for is missing', async () => {
    expect((await ociLayout.open(`${images.pause.layout}:1`, {})).digest).toBe(images.pause.manifestDigest);
    expect((await ociLayout.open(`${images.pause.layout}:${images.pause.manifestDigest}`, {})).digest).toBe(images.pause.manifestDigest);
    const error = await ociLayout.open(`${images.pause.layout}:2`, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(`OCI layout ${images.pause.layout} has no image "2"; it has "1"`);
    expect((error as InputError).hint).toBe('Use oci:<path>:1');
  });

  it('reads a reference that has colons of its own (a tag, a registry port), as the "say which one" hint writes it', async () => {
    const copy = join(dir, 'named');
    await cp(images.pause.layout, copy, { recursive: true });
    const index = JSON.parse(await readFile(join(copy, 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
    for (const m of index.manifests) m.annotations = { 'org.opencontainers.image.ref.name': 'localhost:5000/rw/pause:3.9' };
    await writeFile(join(copy, 'index.json'), JSON.stringify(index));
    expect((await ociLayout.open(`${copy}:localhost:5000/rw/pause:3.9`, {})).digest).toBe(images.pause.manifestDigest);
    expect((await ociLayout.open(`${copy}:${images.pause.manifestDigest}`, {})).digest).toBe(images.pause.manifestDigest);
    const error = await ociLayout.open(`${copy}:localhost:5000/rw/pause:4`, {}).catch((e: unknown) => e);
    expect((error as InputError).message).toBe(`OCI layout ${copy} has no image "localhost:5000/rw/pause:4"; it has "localhost:5000/rw/pause:3.9"`);
  });

  it('asks which image when a layout holds several (skopeo wrote two tags)', async () => {
    const reason = requireComponent('skopeo', ['skopeo']);
    if (reason !== undefined) return;
    const shared = join(dir, 'shared');
    await skopeoCopy(`oci:${images.pause.layout}:1`, `oci:${shared}:a`);
    await skopeoCopy(`oci:${images['alpine-app'].layout}:1`, `oci:${shared}:b`);
    const error = await ociLayout.open(shared, {}).catch((e: unknown) => e);
    expect((error as InputError).message).toBe(`OCI layout ${shared} holds 2 images; say which one`);
    expect((error as InputError).hint).toBe('Add the reference: oci:<path>:a (it has a, b)');
    expect((await ociLayout.open(`${shared}:b`, {})).configDigest).toBe(images['alpine-app'].configDigest);
  });

  it('chooses a platform from a multi-platform layout and finds referrers stored in it (subject + tag schema)', async () => {
    const multi = await mkdtemp(join(tmpdir(), 'rw-ocilayout-multi-'));
    const busy = await layerOf([{ path: 'etc/arch', content: 'x' }]);
    const amd = await buildImage(multi, { name: 'amd', layers: [busy], architecture: 'amd64' });
    const arm = await buildImage(multi, { name: 'arm', layers: [busy], architecture: 'arm64' });
    const layout = join(multi, 'both');
    await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
    const copy = async (from: string, digest: string): Promise<Buffer> => {
      const bytes = await readFile(join(from, 'blobs', 'sha256', digest.slice(7)));
      await writeFile(join(layout, 'blobs', 'sha256', digest.slice(7)), bytes);
      return bytes;
    };
    await copy(amd.layout, busy.digest);
    const manifests = [];
    for (const [img, arch] of [[amd, 'amd64'], [arm, 'arm64']] as const) {
      await copy(img.layout, img.configDigest);
      const bytes = await copy(img.layout, img.manifestDigest);
      manifests.push({ mediaType: MEDIA.ociManifest, digest: img.manifestDigest, size: bytes.length, platform: { os: 'linux', architecture: arch } });
    }
    const put = async (data: Buffer): Promise<string> => {
      const d = digestOf(data);
      await writeFile(join(layout, 'blobs', 'sha256', d.slice(7)), data);
      return d;
    };
    const empty = await put(Buffer.from('{}'));
    const sbom = Buffer.from('{"bomFormat":"CycloneDX"}');
    const sbomDigest = await put(sbom);
    const artifact = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, artifactType: 'application/vnd.cyclonedx+json', config: { mediaType: MEDIA.ociEmpty, digest: empty, size: 2 }, layers: [{ mediaType: 'application/vnd.cyclonedx+json', digest: sbomDigest, size: sbom.length }], subject: manifests[1], annotations: { 'org.example': 'sbom' } }));
    const artifactDigest = await put(artifact);
    await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [...manifests, { mediaType: MEDIA.ociManifest, digest: artifactDigest, size: artifact.length }] }));

    const onArm = await ociLayout.open(layout, { platform: { os: 'linux', architecture: 'arm64' } });
    expect(onArm.digest).toBe(arm.manifestDigest);
    expect(onArm.index?.manifests).toHaveLength(3);
    expect(await onArm.referrers()).toEqual({ supported: true, via: 'layout', manifests: [{ mediaType: MEDIA.ociManifest, digest: artifactDigest, size: artifact.length, artifactType: 'application/vnd.cyclonedx+json', annotations: { 'org.example': 'sbom' } }] });
    const onAmd = await ociLayout.open(layout, { platform: { os: 'linux', architecture: 'amd64' } });
    expect(onAmd.digest).toBe(amd.manifestDigest);
    expect((await onAmd.referrers()).manifests).toEqual([]);
  });

  it('throws InputError with the expected layout for a missing folder, a folder that is no layout, and a corrupt index.json', async () => {
    await expect(ociLayout.open('/nonexistent/rw-layout', {})).rejects.toThrow('oci folder "/nonexistent/rw-layout" not found');
    const plain = await mkdtemp(join(tmpdir(), 'rw-notlayout-'));
    await expect(ociLayout.open(plain, {})).rejects.toThrow(`OCI layout ${plain} is not an OCI image layout: it has no "oci-layout" file`);
    await writeFile(join(plain, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(plain, 'index.json'), '{"schemaVersion": 2, "manifests": [{"digest": "sha256:zz"}]}');
    await expect(ociLayout.open(plain, {})).rejects.toThrow(`index.json of OCI layout ${plain} is invalid at manifests.0.mediaType: Invalid input: expected string, received undefined`);
    await writeFile(join(plain, 'index.json'), '{"schemaVersion": 2, "manifests": []}');
    await expect(ociLayout.open(plain, {})).rejects.toThrow(`OCI layout ${plain} holds no image`);
  });

  it('reports a missing blob and rejects a tampered config', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'rw-ocilayout-bad-'));
    const img = await buildImage(copy, { name: 'x', layers: images.pause.layers });
    await writeFile(join(img.layout, 'blobs', 'sha256', img.configDigest.slice(7)), '{"tampered": true}');
    const error = await ociLayout.open(img.layout, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('size-mismatch');
    await rm(join(img.layout, 'blobs', 'sha256', img.configDigest.slice(7)));
    await expect(ociLayout.open(img.layout, {})).rejects.toThrow(`OCI layout ${img.layout} lacks blob ${img.configDigest}`);
  });
});
