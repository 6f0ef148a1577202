import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { buildTestImages, skopeoCopy, tarOf } from '../../../../test/images.js';
import { InputError } from '../../../core/errors.js';
import { MEDIA } from '../../../registry/media-types.js';
import { analyzeImage } from '../../analysis/run.js';
import { dockerArchive } from './index.js';

const skip = requireComponent('skopeo', ['skopeo']);

describe.skipIf(skip !== undefined)('docker-archive source (archives written by skopeo docker-archive:)', () => {
  let dir: string;
  let file: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-dockerarchive-'));
    images = await buildTestImages(dir);
    file = join(dir, 'debian.docker.tar');
    await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `docker-archive:${file}:localhost/rw/debian-app:1`);
  });

  it('opens the image: no manifest digest, the config digest as image ID, uncompressed layers keyed by diff ID', async () => {
    const image = await dockerArchive.open(file, {});
    expect(image.source).toBe('docker-archive');
    expect(image.digest).toBeUndefined();
    expect(image.name).toBe('localhost/rw/debian-app:1');
    expect(image.layers.map((l) => [l.digest, l.mediaType])).toEqual(images['debian-app'].layers.map((l) => [l.diffId, MEDIA.dockerLayerTar]));
    expect(await image.referrers()).toEqual({ supported: false, via: undefined, manifests: [] });
    const analysis = await analyzeImage(image, []);
    expect(analysis.complete).toBe(true);
    expect(analysis.layers.map((l) => l.index?.stats.entries)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(analysis.resolver.stat('etc/os-release')?.path).toBe('usr/lib/os-release');
  });

  it('picks an image by name (normalised) or position, and names what it holds otherwise', async () => {
    expect((await dockerArchive.open(`${file}:localhost/rw/debian-app:1`, {})).configDigest).toBe((await dockerArchive.open(file, {})).configDigest);
    expect((await dockerArchive.open(`${file}:@0`, {})).name).toBe('localhost/rw/debian-app:1');
    await expect(dockerArchive.open(`${file}:nginx:1`, {})).rejects.toThrow(`docker archive "${file}" has no image "nginx:1"; it has localhost/rw/debian-app:1`);
    await expect(dockerArchive.open(`${file}:@3`, {})).rejects.toThrow(`docker archive "${file}" has no image @3: it holds 1`);
  });

  it('throws InputError for an archive without manifest.json and for an invalid one', async () => {
    const layout = images.pause.layoutTar;
    await expect(dockerArchive.open(layout, {})).rejects.toThrow(`docker archive ${layout} has no manifest.json: not a "docker save" archive`);
    const bad = join(dir, 'bad.tar');
    await writeFile(bad, await tarOf([{ path: 'manifest.json', content: '[{"Config": 5}]' }]));
    const error = await dockerArchive.open(bad, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(new RegExp(`^manifest.json of docker archive ${bad} is invalid: `));
    const missing = join(dir, 'missing.tar');
    await writeFile(missing, await tarOf([{ path: 'manifest.json', content: '[{"Config": "c.json", "RepoTags": ["a:1"], "Layers": []}]' }]));
    await expect(dockerArchive.open(missing, {})).rejects.toThrow(`docker archive ${missing} lacks the config "c.json" its manifest.json names`);
  });
});
