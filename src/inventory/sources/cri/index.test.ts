import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { startContainerd, type Containerd } from '../../../../test/containerd.js';
import { buildImage, buildTestImages, busyboxEntries, layerOf, type BuiltImage } from '../../../../test/images.js';
import { CriError, UsageError } from '../../../core/errors.js';
import { imageUsage } from '../../../core/node-runtime.js';
import { criClient, protoDir, readNodeRuntime, resolveCriAddress, parseCriAddress, sandboxImageFrom, type CriClient } from './index.js';
import { podRunner, startCriProxy, waitForState, type PodRunner } from './testdata/harness.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rw-cri-'));
}

async function listen(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve) => server.listen(path, resolve));
}

async function criErrorOf(promise: Promise<unknown>): Promise<CriError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CriError)) throw new Error(`expected a CriError, got ${String(error)}`);
  return error;
}

describe('CRI address', () => {
  it('accepts unix:///path, unix:/path and an absolute path', () => {
    expect(parseCriAddress('unix:///run/containerd/containerd.sock').socketPath).toBe('/run/containerd/containerd.sock');
    expect(parseCriAddress('unix:/run/crio/crio.sock').address).toBe('unix:///run/crio/crio.sock');
    expect(parseCriAddress('/run/crio/crio.sock').address).toBe('unix:///run/crio/crio.sock');
  });

  it('throws UsageError naming the flag and the expected form for TCP or relative addresses', () => {
    expect(() => parseCriAddress('tcp://10.0.0.1:1234')).toThrow(UsageError);
    expect(() => parseCriAddress('tcp://10.0.0.1:1234')).toThrow('Invalid --cri "tcp://10.0.0.1:1234": expected a unix socket address such as "unix:///run/containerd/containerd.sock" (or an absolute path).');
    expect(() => parseCriAddress('containerd.sock', 'RUNWARDEN_CRI')).toThrow('Invalid RUNWARDEN_CRI "containerd.sock"');
  });

  it('takes --cri over RUNWARDEN_CRI over CONTAINER_RUNTIME_ENDPOINT', () => {
    const env = { RUNWARDEN_CRI: '/a.sock', CONTAINER_RUNTIME_ENDPOINT: 'unix:///b.sock' };
    expect(resolveCriAddress('/c.sock', env)).toEqual({ address: 'unix:///c.sock', origin: '--cri' });
    expect(resolveCriAddress(undefined, env)).toEqual({ address: 'unix:///a.sock', origin: 'RUNWARDEN_CRI' });
    expect(resolveCriAddress(undefined, { CONTAINER_RUNTIME_ENDPOINT: 'unix:///b.sock' })).toEqual({ address: 'unix:///b.sock', origin: 'CONTAINER_RUNTIME_ENDPOINT' });
  });

  it('falls back to the first well-known socket that exists, and says which ones it tried when none does', async () => {
    const dir = await tempDir();
    const present = join(dir, 'crio.sock');
    await writeFile(present, '');
    expect(resolveCriAddress(undefined, {}, [join(dir, 'containerd.sock'), present])).toEqual({ address: `unix://${present}`, origin: `default socket ${present}` });
    expect(() => resolveCriAddress(undefined, {}, [join(dir, 'x.sock')])).toThrow(`No CRI socket found: none of ${join(dir, 'x.sock')} exists and neither --cri nor RUNWARDEN_CRI is set.`);
    await rm(dir, { recursive: true });
  });

  it('finds its proto files from the package root (they are not compiled to dist/)', () => {
    for (const file of ['cri.proto', 'cri-v1alpha2.proto', 'containerd-images.proto']) expect(existsSync(join(protoDir(), file)), file).toBe(true);
  });

  it('reads the sandbox image from containerd Status info, and nothing from info without it', () => {
    expect(sandboxImageFrom({ config: JSON.stringify({ sandboxImage: 'registry.k8s.io/pause:3.9', other: 1 }) })).toBe('registry.k8s.io/pause:3.9');
    expect(sandboxImageFrom({})).toBeUndefined();
    expect(sandboxImageFrom({ config: '{not json' })).toBeUndefined();
  });
});

describe('CRI client errors (bad sockets)', () => {
  it('throws CriError missing-socket naming the socket and the flag when nothing is there', async () => {
    const dir = await tempDir();
    const client = criClient(`unix://${dir}/nope.sock`);
    const error = await criErrorOf(client.version());
    expect(error.reason).toBe('missing-socket');
    expect(error.message).toBe(`CRI socket ${dir}/nope.sock does not exist (--cri unix://${dir}/nope.sock).`);
    expect(error.hint).toContain('Is the container runtime running on this node?');
    client.close();
  });

  it('throws CriError not-cri when the path is a regular file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file.sock'), 'x');
    const client = criClient(join(dir, 'file.sock'));
    const error = await criErrorOf(client.version());
    expect(error.reason).toBe('not-cri');
    expect(error.message).toBe(`${dir}/file.sock (--cri unix://${dir}/file.sock) is not a unix socket but a regular file.`);
    client.close();
  });

  it('throws CriError not-cri when a plain unix server (HTTP/1.1, not gRPC) holds the socket', async () => {
    const dir = await tempDir();
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    });
    await listen(server, join(dir, 'http.sock'));
    const client = criClient(`unix://${dir}/http.sock`, { timeoutMs: 5000 });
    const error = await criErrorOf(client.version());
    expect(error.reason).toBe('not-cri');
    expect(error.message).toMatch(new RegExp(`^${dir}/http.sock \\(--cri unix://${dir}/http.sock\\) is not a CRI endpoint: the server did not speak gRPC over HTTP/2`));
    client.close();
    server.close();
  });

  it('throws CriError timeout naming the call and the deadline when the server never answers', async () => {
    const dir = await tempDir();
    const server = createServer((socket) => socket.on('error', () => undefined));
    await listen(server, join(dir, 'silent.sock'));
    const client = criClient(`unix://${dir}/silent.sock`, { timeoutMs: 300 });
    const error = await criErrorOf(client.version());
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe(`CRI call Version to ${dir}/silent.sock (--cri unix://${dir}/silent.sock) timed out after 300 ms.`);
    client.close();
    server.close();
    server.unref();
  });

  it('throws CriError connection-refused for a stale socket file nobody listens on', async () => {
    const dir = await tempDir();
    const server = createServer();
    await listen(server, join(dir, 'live.sock'));
    const { link } = await import('node:fs/promises');
    await link(join(dir, 'live.sock'), join(dir, 'stale.sock'));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = criClient(`unix://${dir}/stale.sock`);
    const error = await criErrorOf(client.version());
    expect(error.reason).toBe('connection-refused');
    expect(error.message).toBe(`Nothing accepts connections on ${dir}/stale.sock (--cri unix://${dir}/stale.sock): connection refused.`);
    client.close();
  });

  it('throws CriError not-cri when a gRPC server that is not a CRI runtime answers', async () => {
    const dir = await tempDir();
    const server = new grpc.Server();
    const address = `unix://${dir}/grpc.sock`;
    await new Promise<void>((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e) => (e === null ? resolve() : reject(e))));
    const client = criClient(address);
    const error = await criErrorOf(client.version());
    expect(error.reason).toBe('not-cri');
    expect(error.message).toBe(`The gRPC server on ${dir}/grpc.sock (--cri ${address}) is not a CRI runtime: it implements neither runtime.v1 nor runtime.v1alpha2.`);
    client.close();
    server.forceShutdown();
  });

  it('throws CriError permission-denied with the socket owner and mode for a user without write access', async () => {
    const dir = await tempDir();
    await chmod(dir, 0o755);
    const server = createServer();
    const path = join(dir, 'root-only.sock');
    await listen(server, path);
    await chmod(path, 0o600);
    try {
      const asRoot = process.getuid?.() === 0;
      // As root (CI), connect from a child running as nobody; as any other user, the 0600 socket must be someone else's.
      if (!asRoot) {
        const error = await criErrorOf(criClient(path).version());
        expect(error.reason === 'permission-denied' || error.reason === 'not-cri').toBe(true);
        return;
      }
      const script = join(import.meta.dirname, 'testdata', 'connect-as.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', script, `unix://${path}`], { uid: 65534, gid: 65534, cwd: process.cwd(), env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      await new Promise((resolve) => child.on('close', resolve));
      const result = JSON.parse(out || `{"stderr":${JSON.stringify(err)}}`) as { reason?: string; message?: string; hint?: string };
      expect(result.reason, err).toBe('permission-denied');
      expect(result.message).toBe(`Permission denied on CRI socket ${path} (owner uid 0, group gid 0, mode 600) for uid 65534, gid 65534 (--cri unix://${path}).`);
      expect(result.hint).toContain('deploy/node-agent/readme.md');
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CRI replies that fail validation (a stand-in gRPC server: no real runtime sends these)', () => {
  let server: grpc.Server;
  let address: string;
  beforeAll(async () => {
    const dir = await tempDir();
    address = `unix://${dir}/fake.sock`;
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(join(protoDir(), 'cri.proto'), { keepCase: true, longs: String, enums: String, defaults: true })) as unknown as {
      runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor; ImageService: grpc.ServiceClientConstructor } };
    };
    server = new grpc.Server();
    const ok = (reply: unknown) => (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, reply);
    server.addService(pkg.runtime.v1.RuntimeService.service, {
      Version: ok({ version: '0.1.0', runtime_name: 'fake', runtime_version: '1', runtime_api_version: 'v1' }),
      Status: ok({ status: { conditions: [] }, info: {} }),
      ListContainers: ok({ containers: [{ id: 'c1', image_ref: 'sha256:aa', state: 'CONTAINER_RUNNING', created_at: '1' }, { id: '', image_ref: 'sha256:bb' }] }),
      ListPodSandbox: ok({ items: [] }),
    });
    server.addService(pkg.runtime.v1.ImageService.service, {
      ListImages: ok({ images: [{ id: 'sha256:aa', repo_tags: ['x/a:1'], size: '10' }, { id: '', repo_tags: ['x/broken:1'], size: '5' }] }),
      ImageFsInfo: ok({ image_filesystems: [] }),
      ImageStatus: ok({ image: null }),
      RemoveImage: ok({}),
    });
    await new Promise<void>((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e) => (e === null ? resolve() : reject(e))));
  });
  afterAll(() => server.forceShutdown());

  it('keeps the valid items, reports each invalid one, and marks the container list incomplete', async () => {
    const client = criClient(address);
    const view = await readNodeRuntime(client, { node: 'n1' });
    client.close();
    expect(view.images.map((i) => i.id)).toEqual(['sha256:aa']);
    expect(view.containers.map((c) => c.id)).toEqual(['c1']);
    expect(view.containersComplete).toBe(false);
    expect(view.issues.map((i) => i.code)).toEqual(['cri-invalid-image', 'cri-invalid-container', 'cri-sandbox-image-unknown', 'cri-image-times-unknown']);
    expect(view.issues[0]?.message).toBe('Image 1.id: an image without an ID in the ListImages reply is invalid and was left out (it will never be removed)');
    expect(view.issues[1]?.message).toBe('Container 1.id: a container without an ID in the ListContainers reply is invalid: image use on this node is unknown, so cleanup removes nothing');
  });
});

const noContainerd = requireComponent('containerd', ['containerd', 'ctr', 'runc']);
describe.skipIf(noContainerd !== undefined)(`CRI source against a real containerd${noContainerd === undefined ? '' : ` (${noContainerd})`}`, () => {
  let containerd: Containerd;
  let images: Record<'pause' | 'debian-app' | 'alpine-app', BuiltImage>;
  let pods: PodRunner;
  let client: CriClient;
  let running: { podId: string; containerId: string };
  let exited: string;

  beforeAll(async () => {
    images = await buildTestImages(await tempDir());
    containerd = await startContainerd();
    for (const image of Object.values(images)) await containerd.importImage(image.layoutTar);
    await containerd.ctr(['-n', 'k8s.io', 'images', 'tag', 'localhost/rw/alpine-app:1', 'localhost/rw/alpine-app:stable']);
    pods = await podRunner(containerd.address);
    running = await pods.run({ pod: 'web', namespace: 'shop', image: 'localhost/rw/debian-app:1' });
    exited = await pods.addContainer(running.podId, { pod: 'web', namespace: 'shop', container: 'migrate', image: 'localhost/rw/alpine-app:1', command: ['/bin/true'] });
    client = criClient(containerd.address);
    // The one-shot container must have exited before the tests read states.
    await waitForState(client, exited, 'exited');
  });
  afterAll(async () => {
    client?.close();
    await pods?.cleanup();
    pods?.close();
    await containerd?.stop();
  });

  it('reads the runtime version and the sandbox image from Status', async () => {
    const view = await readNodeRuntime(client, { node: 'node-a' });
    expect(view.runtime.name).toBe('containerd');
    expect(view.runtime.apiVersion).toBe('v1');
    expect(view.sandboxImage).toBe('localhost/rw/pause:1');
    expect(view.conditions.find((c) => c.type === 'RuntimeReady')?.status).toBe(true);
    expect(view.node).toBe('node-a');
    expect(view.issues).toEqual([]);
  });

  it('lists the images as ctr does: every name, its manifest digest, and the image IDs', async () => {
    const view = await readNodeRuntime(client, { node: 'n' });
    const rows = (await containerd.ctr(['-n', 'k8s.io', 'images', 'ls']))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s+/));
    const names = rows.map((r) => r[0] ?? '').filter((n) => !n.startsWith('sha256:'));
    const ids = rows.map((r) => r[0] ?? '').filter((n) => n.startsWith('sha256:'));
    expect(view.images.flatMap((i) => i.repoTags).sort()).toEqual(names.sort());
    expect(view.images.map((i) => i.id).sort()).toEqual(ids.sort());
    for (const [name, , digest] of rows) {
      const image = view.images.find((i) => i.id === name || i.repoTags.includes(name ?? ''));
      expect(image?.targetDigests, name).toEqual([digest]);
    }
    const debian = view.images.find((i) => i.repoTags.includes('localhost/rw/debian-app:1'));
    expect(debian?.targetDigests).toEqual([images['debian-app'].manifestDigest]);
    expect(debian?.sizeBytes).toBeGreaterThan(images['debian-app'].layers.reduce((n, l) => n + l.size, 0));
    expect(debian?.pinned).toBe(false);
  });

  it('lists an image with several tags once, by ID, with all its tags', async () => {
    const view = await readNodeRuntime(client, { node: 'n' });
    const alpine = view.images.filter((i) => i.repoTags.some((t) => t.startsWith('localhost/rw/alpine-app:')));
    expect(alpine).toHaveLength(1);
    expect(alpine[0]?.repoTags.sort()).toEqual(['localhost/rw/alpine-app:1', 'localhost/rw/alpine-app:stable']);
  });

  it('reads when each image appeared from containerd image records', async () => {
    const view = await readNodeRuntime(client, { node: 'n' });
    const before = Date.now();
    for (const image of view.images) {
      expect(image.createdAt, image.repoTags[0]).toBeDefined();
      const created = Date.parse(image.createdAt ?? '');
      expect(before - created).toBeLessThan(10 * 60_000);
      expect(Date.parse(image.updatedAt ?? '')).toBeGreaterThanOrEqual(created);
    }
  });

  it('lists containers in every state as ctr does, with their pod and image', async () => {
    const view = await readNodeRuntime(client, { node: 'n' });
    const ctrIds = (await containerd.ctr(['-n', 'k8s.io', 'containers', 'ls', '-q'])).trim().split('\n').sort();
    // ctr lists sandbox (pause) containers too; CRI lists them as pod sandboxes.
    expect([...view.containers.map((c) => c.id), ...view.sandboxes.map((s) => s.id)].sort()).toEqual(ctrIds);
    const app = view.containers.find((c) => c.id === running.containerId);
    expect(app).toMatchObject({ name: 'app', state: 'running', image: 'localhost/rw/debian-app:1', sandboxId: running.podId });
    expect(view.containers.find((c) => c.id === exited)).toMatchObject({ name: 'migrate', state: 'exited', image: 'localhost/rw/alpine-app:1' });
    expect(view.sandboxes.find((s) => s.id === running.podId)).toMatchObject({ name: 'web', namespace: 'shop', uid: 'uid-web', state: 'ready' });
  });

  it('resolves each container to the image it uses, running or exited', async () => {
    const view = await readNodeRuntime(client, { node: 'n' });
    const { byImage, uncached } = imageUsage(view.images, view.containers, view.sandboxes);
    const idOf = (tag: string): string => view.images.find((i) => i.repoTags.includes(tag))?.id ?? '';
    expect(byImage.get(idOf('localhost/rw/debian-app:1'))?.map((u) => u.container.id)).toEqual([running.containerId]);
    expect(byImage.get(idOf('localhost/rw/alpine-app:1'))?.map((u) => u.container.id)).toEqual([exited]);
    expect(byImage.get(idOf('localhost/rw/pause:1'))).toBeUndefined();
    expect(uncached).toEqual([]);
  });

  it('reads the image filesystem usage', async () => {
    const fs = await client.imageFsInfo();
    expect(fs).toHaveLength(1);
    expect(fs[0]?.mountpoint).toBe(join(containerd.dir, 'root', 'io.containerd.snapshotter.v1.overlayfs'));
  });

  it('returns undefined from ImageStatus for an image that is not there', async () => {
    expect(await client.imageStatus(`sha256:${'0'.repeat(64)}`)).toBeUndefined();
  });

  it('reads an empty node: no images, no containers, no issues', async () => {
    const empty = await startContainerd();
    const c = criClient(empty.address);
    try {
      const view = await readNodeRuntime(c, { node: 'empty' });
      expect(view.images).toEqual([]);
      expect(view.containers).toEqual([]);
      expect(view.sandboxes).toEqual([]);
      expect(view.containersComplete).toBe(true);
    } finally {
      c.close();
      await empty.stop();
    }
  });

  it('throws CriError v1alpha2-only when the runtime serves only CRI v1alpha2 (real containerd behind a proxy exposing only v1alpha2)', async () => {
    const proxy = await startCriProxy(containerd.address, { methods: ['/runtime.v1alpha2.RuntimeService/Version'] });
    const c = criClient(proxy.address);
    try {
      const error = await criErrorOf(c.version());
      expect(error.reason).toBe('v1alpha2-only');
      expect(error.message).toMatch(/^containerd 1\.6\.\S+ on \S+proxy\.sock \(--cri unix:\/\/\S+proxy\.sock\) speaks only the deprecated CRI v1alpha2 API; runwarden needs CRI runtime\.v1\.$/);
      expect(error.hint).toContain('containerd ≥ 1.6 or CRI-O ≥ 1.23');
    } finally {
      c.close();
      await proxy.stop();
    }
  });

  it('lists containers containerd runs outside Kubernetes (nerdctl, ctr) in the CRI namespace, with their image', async () => {
    const dir = await tempDir();
    const outside = await buildImage(dir, { name: 'outside-app', layers: [await layerOf(busyboxEntries())] });
    await containerd.importImage(outside.layoutTar);
    await containerd.ctr(['-n', 'k8s.io', 'containers', 'create', '--label', 'nerdctl/name=tool', outside.reference, 'outside-1']);
    try {
      const view = await readNodeRuntime(client, { node: 'n' });
      expect(view.containerdContainers).toBe('listed');
      expect(view.containers.find((c) => c.id === 'outside-1')).toMatchObject({ origin: 'containerd', name: 'tool', image: outside.reference, state: 'unknown', sandboxId: '' });
      // CRI's own containers and sandboxes are not listed twice.
      expect(view.containers.filter((c) => c.origin === 'containerd').map((c) => c.id)).toEqual(['outside-1']);
      const { byImage } = imageUsage(view.images, view.containers, view.sandboxes);
      const id = view.images.find((i) => i.repoTags.includes(outside.reference))?.id ?? '';
      expect(byImage.get(id)?.map((u) => u.container.id)).toEqual(['outside-1']);
    } finally {
      await containerd.ctr(['-n', 'k8s.io', 'containers', 'rm', 'outside-1']);
    }
  });

  it("falls back to CRI's containers, with an issue, when containerd's container list fails", async () => {
    const proxy = await startCriProxy(containerd.address, { fault: (path) => (path.endsWith('Containers/List') ? { code: grpc.status.PERMISSION_DENIED, details: 'injected' } : undefined) });
    const c = criClient(proxy.address);
    try {
      const view = await readNodeRuntime(c, { node: 'n' });
      expect(view.containerdContainers).toBe('failed');
      expect(view.containers.map((x) => x.id).sort()).toEqual([running.containerId, exited].sort());
      expect(view.issues.map((i) => i.code)).toEqual(['cri-containerd-containers-failed']);
      const socket = proxy.address.slice('unix://'.length);
      expect(view.issues[0]?.message).toBe(`containerd's container list failed, so containers it runs outside Kubernetes (nerdctl, ctr) in its CRI namespace are not seen and their images are not protected: The CRI runtime at ${socket} (--cri ${proxy.address}) refused containerd Containers/List: injected.`);
    } finally {
      c.close();
      await proxy.stop();
    }
  });

  it.skipIf(process.getuid?.() !== 0)('connects through a read-only bind mount of the socket, as the DaemonSet mounts it', async () => {
    const dir = await tempDir();
    const target = join(dir, 'ro.sock');
    await writeFile(target, '');
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const run = promisify(execFile);
    await run('mount', ['--bind', containerd.socket, target]);
    try {
      await run('mount', ['-o', 'remount,ro,bind', target]);
      expect((await readFile('/proc/mounts', 'utf8')).split('\n').find((l) => l.includes(` ${target} `))).toMatch(/ ro[, ]/);
      const c = criClient(target);
      expect((await readNodeRuntime(c, { node: 'ro' })).images.length).toBeGreaterThan(0);
      c.close();
    } finally {
      await run('umount', [target]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes an AbortSignal through: an aborted read rejects at once', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(readNodeRuntime(client, { node: 'n', signal: controller.signal })).rejects.toThrow('stop now');
  });
});
