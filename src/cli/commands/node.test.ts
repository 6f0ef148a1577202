/** `runwarden node images|containers` in-process against a real containerd with real pods. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { startContainerd, type Containerd } from '../../../test/containerd.js';
import { buildTestImages, type BuiltImage } from '../../../test/images.js';
import { criClient, type CriClient } from '../../inventory/sources/cri/index.js';
import { podRunner, waitForState, type PodRunner } from '../../inventory/sources/cri/testdata/harness.js';
import { cli } from '../../../test/cli.js';

const node = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(['node', ...args], { env });

describe('runwarden node: bad input', () => {
  it('exits 3 naming the socket when no runtime is there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rw-node-'));
    const run = await node(['images', '--cri', `${dir}/crio.sock`]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^runwarden: error: CRI socket ${dir}/crio.sock does not exist \\(--cri unix://${dir}/crio.sock\\)\\. Hint: `));
  });

  it('names RUNWARDEN_CRI as the origin of a bad address', async () => {
    const run = await node(['containers'], { RUNWARDEN_CRI: 'crio.sock' });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('runwarden: error: Invalid RUNWARDEN_CRI "crio.sock": expected a unix socket address such as "unix:///run/containerd/containerd.sock" (or an absolute path). Hint: containerd: unix:///run/containerd/containerd.sock, CRI-O: unix:///run/crio/crio.sock.\n');
  });

  it.each([
    [['images', '--cri', '/x.sock', '--format', 'jsn'], 'runwarden: error: Unknown --format "jsn": expected one of table, json. Did you mean "json"?'],
    [['images', '--cri', '/x.sock', '--timeout', 'soon'], 'runwarden: error: Invalid --timeout "soon": expected a duration such as 90d, 12h, 30m, 45s or 1h30m'],
    [['containers', '--cri', '/x.sock', '--containerd-namespace', 'k8s io'], 'runwarden: error: Invalid --containerd-namespace "k8s io": expected a containerd namespace such as "k8s.io" (letters, digits, ".", "_", "-").'],
    [['images', '--cri', '/x.sock', '--node', 'a b'], 'runwarden: error: Invalid --node "a b": expected a node name without whitespace, e.g. "worker-1".'],
  ])('exits 2 with one actionable line for %j', async (args, line) => {
    const run = await node(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${line}\n`);
  });
});

const noContainerd = requireComponent('containerd', ['containerd', 'ctr', 'runc']);

describe.skipIf(noContainerd !== undefined)(`runwarden node against a real containerd${noContainerd === undefined ? '' : ` (${noContainerd})`}`, () => {
  let containerd: Containerd;
  let images: Record<'pause' | 'debian-app' | 'alpine-app', BuiltImage>;
  let pods: PodRunner;
  let client: CriClient;
  let web: { podId: string; containerId: string };
  let migrate: string;

  beforeAll(async () => {
    images = await buildTestImages(await mkdtemp(join(tmpdir(), 'rw-node-')));
    containerd = await startContainerd();
    for (const image of Object.values(images)) await containerd.importImage(image.layoutTar);
    await containerd.ctr(['-n', 'k8s.io', 'images', 'tag', images['alpine-app'].reference, 'localhost/rw/alpine-app:stable']);
    client = criClient(containerd.address);
    pods = await podRunner(containerd.address);
    web = await pods.run({ pod: 'web', namespace: 'shop', image: images['debian-app'].reference });
    migrate = await pods.addContainer(web.podId, { pod: 'web', namespace: 'shop', container: 'migrate', image: images['alpine-app'].reference, command: ['/bin/true'] });
    await waitForState(client, migrate, 'exited');
  });
  afterAll(async () => {
    client?.close();
    await pods?.cleanup();
    pods?.close();
    await containerd?.stop();
  });

  it('lists cached images as JSON: tags, digests, size, pinned, created, and who uses them', async () => {
    const run = await node(['images', '--cri', containerd.address, '--format', 'json'], { NODE_NAME: 'worker-7' });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      kind: string;
      node: string;
      sandboxImage: string;
      images: Array<{ id: string; repoTags: string[]; targetDigests: string[]; sizeBytes: number; pinned: boolean; createdAt: string | null; usedBy: Array<{ container: string; state: string; pod: { namespace: string; name: string } | null }> }>;
    };
    expect(out).toMatchObject({ kind: 'runwarden-node-images', node: 'worker-7', sandboxImage: 'localhost/rw/pause:1' });
    const byTag = (tag: string) => out.images.find((i) => i.repoTags.includes(tag));
    expect(byTag(images['debian-app'].reference)).toMatchObject({ targetDigests: [images['debian-app'].manifestDigest], pinned: false, usedBy: [{ container: web.containerId, state: 'running', pod: { namespace: 'shop', name: 'web' } }] });
    expect(byTag(images['alpine-app'].reference)?.repoTags.sort()).toEqual(['localhost/rw/alpine-app:1', 'localhost/rw/alpine-app:stable']);
    expect(byTag(images['alpine-app'].reference)?.usedBy).toMatchObject([{ container: migrate, state: 'exited' }]);
    expect(byTag(images.pause.reference)?.usedBy).toEqual([]);
    expect(out.images.every((i) => i.createdAt !== null && i.sizeBytes > 0)).toBe(true);
    const ctrRefs = (await containerd.ctr(['-n', 'k8s.io', 'images', 'ls', '-q'])).trim().split('\n');
    expect(out.images.flatMap((i) => [i.id, ...i.repoTags]).sort()).toEqual(ctrRefs.sort());
  });

  it('prints cached images as a table with a summary line', async () => {
    const run = await node(['images', '--cri', containerd.address, '--node', 'worker-7']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^node worker-7 — containerd 1\.6\.\S+ \(CRI v1\) at unix:\/\/\S+$/);
    expect(lines[2]).toMatch(/^IMAGE\s+ID\s+DIGEST\s+SIZE\s+PINNED\s+AGE\s+USED BY$/);
    expect(run.stdout).toMatch(/^localhost\/rw\/alpine-app:1, localhost\/rw\/alpine-app:stable\s+[0-9a-f]{12}\s+sha256:[0-9a-f]{12}…\s+\d+\.\d MiB\s+no\s+\d+[smh]\s+shop\/web\/migrate \(exited\)$/m);
    expect(run.stdout).toMatch(/^localhost\/rw\/debian-app:1\s+.*shop\/web\/app \(running\)$/m);
    expect(run.stdout).toMatch(/^localhost\/rw\/pause:1 \(sandbox image\)\s+.*\s-$/m);
    expect(run.stdout).toMatch(/\n3 images, \d+\.\d MiB by runtime sizes; 1 used by no container\./);
  });

  it('lists containers in every state with their pod and image, as ctr does', async () => {
    const run = await node(['containers', '--cri', containerd.address, '--format', 'json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { containers: Array<{ id: string; name: string; state: string; pod: { namespace: string; name: string } | null; cachedImages: string[] }>; sandboxes: Array<{ id: string }> };
    const ids = (await containerd.ctr(['-n', 'k8s.io', 'containers', 'ls', '-q'])).trim().split('\n');
    expect([...out.containers.map((c) => c.id), ...out.sandboxes.map((s) => s.id)].sort()).toEqual(ids.sort());
    expect(out.containers.find((c) => c.id === migrate)).toMatchObject({ name: 'migrate', state: 'exited', pod: { namespace: 'shop', name: 'web' } });
    expect(out.containers.find((c) => c.id === web.containerId)?.cachedImages).toHaveLength(1);

    const table = await node(['containers', '--cri', containerd.address]);
    expect(table.stdout).toMatch(new RegExp(`^${web.containerId.slice(0, 12)}\\s+app\\s+shop/web\\s+running\\s+localhost/rw/debian-app:1\\s+[0-9a-f]{12}\\s+\\d+[smh]$`, 'm'));
    expect(table.stdout).toContain('2 containers (');
    expect(table.stdout).toContain('in 1 pod sandboxes.');
  });
});
