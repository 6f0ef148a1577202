/** The real-component harnesses themselves: test images, containerd, registry. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireComponent } from './components.js';
import { startContainerd } from './containerd.js';
import { buildTestImages } from './images.js';
import { startRegistry } from './registry.js';

describe('test images', () => {
  it('are byte-identical across builds and share the busybox layer', async () => {
    const a = await buildTestImages(await mkdtemp(join(tmpdir(), 'rw-img-')));
    const b = await buildTestImages(await mkdtemp(join(tmpdir(), 'rw-img-')));
    expect(a['debian-app'].manifestDigest).toBe(b['debian-app'].manifestDigest);
    expect(a['debian-app'].layers[0]?.digest).toBe(a['alpine-app'].layers[0]?.digest);
    expect(a.pause.layers).toHaveLength(1);
  });
});

const noContainerd = requireComponent('containerd', ['containerd', 'ctr', 'runc']);
describe.skipIf(noContainerd !== undefined)(`containerd harness${noContainerd === undefined ? '' : ` (${noContainerd})`}`, () => {
  it('starts containerd, imports a layout tar under its reference and stops cleanly', async () => {
    const images = await buildTestImages(await mkdtemp(join(tmpdir(), 'rw-img-')));
    const c = await startContainerd();
    try {
      await c.importImage(images['alpine-app'].layoutTar);
      const list = await c.ctr(['-n', 'k8s.io', 'images', 'ls', '-q']);
      expect(list.split('\n')).toContain('localhost/rw/alpine-app:1');
      const check = await c.ctr(['-n', 'k8s.io', 'images', 'ls']);
      expect(check).toContain(images['alpine-app'].manifestDigest);
    } finally {
      await c.stop();
    }
  });
});

const noRegistry = requireComponent('docker-registry', ['docker-registry', 'htpasswd']);
describe.skipIf(noRegistry !== undefined)(`registry harness${noRegistry === undefined ? '' : ` (${noRegistry})`}`, () => {
  it('serves the distribution API anonymously and with basic auth', async () => {
    const open = await startRegistry();
    const basic = await startRegistry({ auth: 'basic' });
    try {
      expect((await fetch(`${open.url}/v2/`)).status).toBe(200);
      const denied = await fetch(`${basic.url}/v2/`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Basic realm="rw-registry"');
    } finally {
      await open.stop();
      await basic.stop();
    }
  });
});
