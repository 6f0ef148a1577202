/**
 * The containerd source against a REAL containerd (test/containerd.ts): images imported with
 * `ctr images import`, read back through the images API and both content paths (the content API
 * over the socket, and the blobs folder of the root).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { startContainerd, type Containerd } from '../../../../test/containerd.js';
import { buildTestImages } from '../../../../test/images.js';
import { RegistryError } from '../../../core/errors.js';
import { analyzeImage } from '../../analysis/run.js';
import { fileDigests } from '../../analysis/builtin.js';
import { containerdSource, grpcTarget } from './index.js';

const skip = requireComponent('containerd', ['containerd', 'ctr']);

describe.skipIf(skip !== undefined)('containerd source (real containerd, images imported with ctr)', () => {
  let containerd: Containerd;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  beforeAll(async () => {
    images = await buildTestImages(await mkdtemp(join(tmpdir(), 'rw-ctrdsrc-')));
    containerd = await startContainerd({ snapshotter: 'native' });
    await containerd.importImage(images['debian-app'].layoutTar);
    await containerd.importImage(images['alpine-app'].layoutTar);
  });
  afterAll(async () => {
    await containerd?.stop();
  });

  it('reads an image by name through the images API and the content API', async () => {
    const image = await containerdSource.open('localhost/rw/debian-app:1', { containerd: { address: containerd.address } });
    try {
      expect(image.source).toBe('containerd');
      expect(image.name).toBe('localhost/rw/debian-app:1');
      expect(image.digest).toBe(images['debian-app'].manifestDigest);
      expect(image.configDigest).toBe(images['debian-app'].configDigest);
      const analysis = await analyzeImage(image, [fileDigests]);
      expect(analysis.complete).toBe(true);
      expect(analysis.of(fileDigests).results.get('var/lib/dpkg/status')?.value.size).toBeGreaterThan(1000);
    } finally {
      await image.close();
    }
  });

  it('reads the same bytes straight from the content store blobs of the root', async () => {
    const viaApi = await containerdSource.open('localhost/rw/alpine-app:1', { containerd: { address: containerd.address } });
    const viaRoot = await containerdSource.open('localhost/rw/alpine-app:1', { containerd: { address: containerd.socket, root: join(containerd.dir, 'root') } });
    try {
      const a = await analyzeImage(viaApi, [fileDigests]);
      const b = await analyzeImage(viaRoot, [fileDigests]);
      expect(b.of(fileDigests).results.all()).toEqual(a.of(fileDigests).results.all());
      expect(b.of(fileDigests).results.get('lib/apk/db/installed')).toBeDefined();
    } finally {
      await viaApi.close();
      await viaRoot.close();
    }
  });

  it('finds an image by its image ID (config digest), as CRI reports running containers', async () => {
    const image = await containerdSource.open(images['alpine-app'].configDigest, { containerd: { address: containerd.address } });
    try {
      expect(image.name).toBe('localhost/rw/alpine-app:1');
    } finally {
      await image.close();
    }
  });

  it('throws not-found with a hint for an unknown image, and unreachable for a missing socket', async () => {
    const error = await containerdSource.open('localhost/rw/nope:1', { containerd: { address: containerd.address } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toBe(`containerd at ${containerd.address} has no image "localhost/rw/nope:1"`);
    expect((error as RegistryError).hint).toBe('List what it has: ctr -n k8s.io images ls (names are fully qualified, e.g. docker.io/library/nginx:1.27).');
    const gone = await containerdSource.open('x:1', { containerd: { address: '/nonexistent/containerd.sock' } }).catch((e: unknown) => e);
    expect((gone as RegistryError).code).toBe('unreachable');
    expect((gone as RegistryError).message).toMatch(/^Cannot reach containerd at \/nonexistent\/containerd\.sock: /);
  });

  it('accepts a socket path or a unix:// address', () => {
    expect(grpcTarget('/run/containerd/containerd.sock')).toBe('unix:///run/containerd/containerd.sock');
    expect(grpcTarget('unix:///x.sock')).toBe('unix:///x.sock');
  });
});
