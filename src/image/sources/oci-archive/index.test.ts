import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { buildTestImages, skopeoCopy } from '../../../../test/images.js';
import { InputError } from '../../../core/errors.js';
import { analyzeImage } from '../../analysis/run.js';
import { ociArchive } from './index.js';

const skip = requireComponent('skopeo', ['skopeo']);

describe('oci-archive source', () => {
  let dir: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-ociarchive-'));
    images = await buildTestImages(dir);
  });

  it('opens a hand-made tar of a layout and streams its layers without unpacking', async () => {
    const image = await ociArchive.open(images['debian-app'].layoutTar, {});
    expect(image.source).toBe('oci-archive');
    expect(image.digest).toBe(images['debian-app'].manifestDigest);
    expect(image.name).toBe('localhost/rw/debian-app:1');
    const analysis = await analyzeImage(image, []);
    expect(analysis.complete).toBe(true);
    expect(analysis.resolver.stat('var/lib/dpkg/status')?.layer.index).toBe(1);
  });

  it.skipIf(skip !== undefined)('opens an archive written by skopeo (oci-archive:), by ref', async () => {
    const file = join(dir, 'alpine.oci.tar');
    await skopeoCopy(`oci:${images['alpine-app'].layout}:1`, `oci-archive:${file}:v1`);
    const image = await ociArchive.open(`${file}:v1`, {});
    expect(image.digest).toBe(images['alpine-app'].manifestDigest);
    expect(image.name).toBe('v1');
    await expect(ociArchive.open(`${file}:v2`, {})).rejects.toThrow(`OCI archive ${file} has no image "v2"; it has "v1"`);
  });

  it('throws InputError for a compressed archive, a truncated one, and a file that is no tar', async () => {
    const gz = join(dir, 'layout.tar.gz');
    await writeFile(gz, gzipSync(await readFile(images.pause.layoutTar)));
    const error = await ociArchive.open(gz, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(`OCI archive "${gz}" is gzip-compressed; runwarden reads plain tar archives`);
    expect((error as InputError).hint).toBe(`Decompress it first: gunzip -c "${gz}" > image.tar`);
    const cut = join(dir, 'cut.tar');
    const whole = await readFile(images.pause.layoutTar);
    await writeFile(cut, whole.subarray(0, 1800));
    await expect(ociArchive.open(cut, {})).rejects.toThrow(/^OCI archive ".*cut\.tar" is truncated: a member at byte 1024 declares \d+ bytes past the end of the file$/);
    const text = join(dir, 'text.tar');
    await writeFile(text, 'hello'.repeat(300));
    await expect(ociArchive.open(text, {})).rejects.toThrow(`OCI archive "${text}" is not a valid tar: bad header checksum at byte 0`);
    await expect(ociArchive.open(join(dir, 'missing.tar'), {})).rejects.toThrow(`oci-archive file "${join(dir, 'missing.tar')}" not found`);
  });
});
