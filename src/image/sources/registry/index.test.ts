import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { buildTestImages, skopeoCopy } from '../../../../test/images.js';
import { startRegistry, type Registry } from '../../../../test/registry.js';
import { RegistryClient } from '../../../registry/client.js';
import { analyzeImage } from '../../analysis/run.js';
import { registrySource } from './index.js';

const skip = requireComponent('docker-registry + skopeo', ['docker-registry', 'skopeo']);

describe.skipIf(skip !== undefined)('registry source against a real registry (distribution 2.8)', () => {
  let registry: Registry;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  let client: RegistryClient;
  beforeAll(async () => {
    images = await buildTestImages(await mkdtemp(join(tmpdir(), 'rw-regsrc-')));
    registry = await startRegistry();
    client = new RegistryClient({ hosts: { insecure: [registry.host] } });
    await skopeoCopy(`oci:${images['alpine-app'].layout}:1`, `docker://${registry.host}/rw/alpine-app:3.18`, ['--dest-tls-verify=false']);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('opens an image by tag and analyses its layers streamed from the registry', async () => {
    const image = await registrySource.open(`${registry.host}/rw/alpine-app:3.18`, { registry: client });
    expect(image.name).toBe(`${registry.host}/rw/alpine-app:3.18`);
    expect(image.digest).toBe(images['alpine-app'].manifestDigest);
    expect(image.configDigest).toBe(images['alpine-app'].configDigest);
    const analysis = await analyzeImage(image, []);
    expect(analysis.complete).toBe(true);
    expect(analysis.resolver.stat('lib/apk/db/installed')?.layer.digest).toBe(images['alpine-app'].layers[1]?.digest);
    expect(await image.referrers()).toEqual({ supported: true, via: 'tag-schema', manifests: [] });
  });

  it('opens the same image by digest', async () => {
    const image = await registrySource.open(`${registry.host}/rw/alpine-app@${images['alpine-app'].manifestDigest}`, { registry: client });
    expect(image.layers.map((l) => l.digest)).toEqual(images['alpine-app'].layers.map((l) => l.digest));
  });
});
