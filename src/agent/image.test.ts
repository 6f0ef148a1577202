/**
 * The node agent's image (scripts/build-agent-image.sh), built offline and run under a real
 * containerd (test/containerd.ts) with `ctr run`: read-only root filesystem, host network, only the
 * CRI socket bind-mounted read-only — as the DaemonSet runs it. The agent in the image reads the
 * node over CRI and publishes its report to the replaying API server of test/kube-api.ts.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../test/components.js';
import { startContainerd, type Containerd } from '../../test/containerd.js';
import { buildTestImages } from '../../test/images.js';
import { configMapStore, startKubeApi, type KubeApi } from '../../test/kube-api.js';
import { packageRoot } from '../paths.js';
import { VERSION } from '../version.js';
import { ConfigMap } from '../inventory/schema.js';
import { decodeNodeReport } from './configmap.js';

const exec = promisify(execFile);
const missing = requireComponent('containerd, jq and openssl', ['containerd', 'ctr', 'runc', 'jq', 'openssl', 'ldd']);
const IMAGE = `registry.example.com/runwarden-node-agent:${VERSION}`;
const MAIN = ['/usr/bin/node', '/opt/runwarden/dist/src/cli/main.js'];

describe.skipIf(missing !== undefined)(`the node agent image${missing === undefined ? '' : ` (${missing})`}`, () => {
  let dir: string;
  let dist: string;
  let containerd: Containerd;
  let api: KubeApi;
  const digests: string[] = [];

  async function build(out: string): Promise<string> {
    const { stdout } = await exec(join(packageRoot(), 'scripts', 'build-agent-image.sh'), [out, '--dist', dist], { maxBuffer: 1 << 24 });
    return stdout.trim().split('\n').at(-1) ?? '';
  }

  /** `ctr run` of the agent image as the DaemonSet runs it; returns the exit code and output. */
  async function agent(id: string, args: string[], mounts: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
    const mount = (src: string, dst: string): string[] => ['--mount', `type=bind,src=${src},dst=${dst},options=rbind:ro`];
    const argv = ['-a', containerd.socket, '-n', 'k8s.io', 'run', '--rm', '--net-host', '--read-only', ...mount(containerd.socket, '/run/containerd/containerd.sock'), ...mounts.flatMap((m) => mount(m.split(':')[0] ?? '', m.split(':')[1] ?? '')), IMAGE, id, ...MAIN, ...args];
    try {
      const { stdout, stderr } = await exec('ctr', argv, { maxBuffer: 1 << 24 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-agent-image-'));
    // The compiled code, as `npm run build` makes it. Type errors are the typecheck gate's job, not
    // this test's: tsc writes its output either way, and the image is built from that output.
    dist = join(dir, 'dist');
    await exec('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', dist, '--sourceMap', 'false', '--declaration', 'false'], { cwd: packageRoot(), maxBuffer: 1 << 26 }).catch(() => undefined);
    digests.push(...(await Promise.all([build(join(dir, 'a')), build(join(dir, 'b'))])));
    containerd = await startContainerd();
    await containerd.importImage(join(dir, 'a', 'runwarden-node-agent.tar'));
    const base = await buildTestImages(join(dir, 'images'));
    await containerd.importImage(base['alpine-app'].layoutTar);
    api = await startKubeApi();
  }, 600_000);

  afterAll(async () => {
    await api?.close();
    await containerd?.stop();
  });

  it('is reproducible: two builds give the same manifest digest, named for containerd, non-root, runwarden as entrypoint', async () => {
    expect(digests[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digests[1]).toBe(digests[0]);
    const layout = join(dir, 'a', 'oci', 'runwarden-node-agent');
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
    expect(index.manifests[0]?.digest).toBe(digests[0]);
    expect(index.manifests[0]?.annotations['io.containerd.image.name']).toBe(IMAGE);
    const blob = async (digest: string): Promise<unknown> => JSON.parse(await readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'utf8')) as unknown;
    const manifest = (await blob(digests[0] ?? '')) as { config: { digest: string }; layers: unknown[] };
    expect(manifest.layers).toHaveLength(2);
    const config = (await blob(manifest.config.digest)) as { created: string; config: { User: string; Entrypoint: string[] } };
    expect(config.created).toBe('1970-01-01T00:00:00Z');
    expect(config.config.User).toBe('65532:65532');
    expect(config.config.Entrypoint).toEqual(MAIN);
  });

  it('runs runwarden from the image under a real containerd, read-only', async () => {
    const run = await agent('rw-version', ['--version']);
    expect(run).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('as non-root, names the socket permission it lacks; in the socket\u2019s group it reads the node over the read-only socket mount', async () => {
    await chown(containerd.socket, 0, 0);
    const denied = await agent('rw-denied', ['node', 'images', '--cri', 'unix:///run/containerd/containerd.sock', '--node', 'worker-9']);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toBe(
      'runwarden: error: Permission denied on CRI socket /run/containerd/containerd.sock (owner uid 0, group gid 0, mode 660) for uid 65532, gid 65532 (--cri unix:///run/containerd/containerd.sock). Hint: Run as root, or as a user in the socket\'s group with group write permission on it; in Kubernetes see deploy/node-agent/readme.md ("Socket permissions").\n',
    );
    // deploy/node-agent/readme.md "Socket permissions": a dedicated socket group for a non-root agent.
    await chown(containerd.socket, 0, 65532);
    await chmod(containerd.socket, 0o660);
    const listed = await agent('rw-images', ['node', 'images', '--cri', 'unix:///run/containerd/containerd.sock', '--node', 'worker-9', '--format', 'json']);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const view = JSON.parse(listed.stdout) as { node: string; images: Array<{ repoTags: string[]; usedBy: Array<{ name: string; state: string }> }> };
    expect(view.node).toBe('worker-9');
    const self = view.images.find((i) => i.repoTags.includes(IMAGE));
    // The agent's own image is in use by the container running it (a containerd container, not a pod).
    expect(self?.usedBy.map((u) => [u.name, u.state])).toEqual([['rw-images', 'unknown']]);
    expect(view.images.map((i) => i.repoTags[0]).sort()).toEqual(['localhost/rw/alpine-app:1', IMAGE].sort());
  });

  it('publishes its node report from the image to a replayed API server', async () => {
    await chown(containerd.socket, 0, 65532);
    await chmod(containerd.socket, 0o660);
    const store = configMapStore('runwarden-node');
    api.handle(store.handler);
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, await readFile(api.kubeconfig));
    await chmod(kubeconfig, 0o644);
    const run = await agent('rw-publish', ['clean', '--cri', 'unix:///run/containerd/containerd.sock', '--node', 'worker-9', '--format', 'json', '--publish-report', '--kubeconfig', '/etc/runwarden/kubeconfig'], [`${kubeconfig}:/etc/runwarden/kubeconfig`]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^runwarden: created the node report https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/runwarden-node\/configmaps\/runwarden-node-worker-9 \(\d+\.\d KiB\)\n$/);
    expect(api.requests.map((r) => r.method)).toEqual(['PUT', 'POST']);
    const decoded = decodeNodeReport(ConfigMap.parse(store.objects.get('runwarden-node-worker-9')), api.url);
    if (!decoded.ok) throw new Error(decoded.issue.message);
    const cleanup = JSON.parse(run.stdout) as { run: string };
    expect(decoded.report).toMatchObject({ node: 'worker-9', run: cleanup.run, mode: 'dry-run', runtime: { name: 'containerd', address: 'unix:///run/containerd/containerd.sock' }, plan: { candidates: 1, kept: 1 } });
    expect(decoded.report.candidates.map((c) => [c.name, c.result])).toEqual([['localhost/rw/alpine-app:1', 'planned']]);
  });
});
