/**
 * `runwarden clean` end to end against a real containerd (test/containerd.ts) with real pods, run
 * in-process. The image filesystem test waits for containerd's 10-second stats refresh.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { startContainerd, type Containerd } from '../../../test/containerd.js';
import { alpineEntries, buildImage, buildTestImages, busyboxEntries, debianEntries, layerOf, type BuiltImage, type BuiltLayer, type LayerEntry } from '../../../test/images.js';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { parseExclusionFile } from '../../cleanup/options.js';
import { AuditRecord, CleanupReport } from '../../cleanup/schema.js';
import { packageRoot } from '../../paths.js';
import { criClient, type CriClient } from '../../inventory/sources/cri/index.js';
import { podRunner, startCriProxy, waitForState, type PodRunner } from '../../inventory/sources/cri/testdata/harness.js';
import { cli, cliContext, type CliOptions } from '../../../test/cli.js';
import { runCli } from '../run.js';
import { configMapStore, startKubeApi, status } from '../../../test/kube-api.js';
import { decodeNodeReport } from '../../agent/configmap.js';
import { HOST_PACKAGE_PATHS } from '../../agent/host.js';
import { makeHostRoot } from '../../agent/testdata/host-root.js';
import { ConfigMap } from '../../inventory/schema.js';

const clean = (args: string[], options: CliOptions = {}) => cli(['clean', ...args], options);

describe('runwarden clean: bad input (no runtime needed)', () => {
  it.each([
    [['--cri', 'unix:///x.sock', '--only', 'vulnerable'], 'runwarden: error: --only vulnerable judges each unused image against a vulnerability database: add --db FILE. Hint: Fill one with "runwarden db update --db FILE" (or mount the one runwarden serve keeps).'],
    [['--cri', 'unix:///x.sock', '--only', 'eol', '--severity', 'high'], 'runwarden: error: --severity is the threshold of --only vulnerable: drop it, or use --only vulnerable.'],
    [['--cri', 'unix:///x.sock', '--only', 'vulnerable', '--db', '/x.db', '--severity', 'urgent'], 'runwarden: error: Unknown --severity "urgent": expected one of critical, high, medium, low, info.'],
    [['--cri', 'unix:///x.sock', '--db', '/x.db'], 'runwarden: error: --db is used with --only vulnerable|eol (to scan the unused images): add --only, or drop --db.'],
    [['--cri', 'unix:///x.sock', '--only', 'vuln'], 'runwarden: error: Unknown --only "vuln": expected one of vulnerable, eol. Did you mean "vulnerable"?'],
    [['--cri', 'unix:///x.sock', '--apply', '--dry-run'], 'runwarden: error: --apply and --dry-run contradict each other: pick one (a dry run is the default).'],
    [['--cri', 'unix:///x.sock', '--older-than', '7days'], 'runwarden: error: Invalid --older-than "7days": expected a duration such as 90d, 12h, 30m, 45s or 1h30m'],
    [['--cri', 'unix:///x.sock', '--max-removals', '0'], 'runwarden: error: Invalid --max-removals "0": expected a whole number of at least 1, e.g. --max-removals 50.'],
    [['--cri', 'unix:///x.sock', '--format', 'yaml'], 'runwarden: error: Unknown --format "yaml": expected one of table, json. Did you mean "table"?'],
    [['--cri', 'tcp://10.0.0.1:10010'], 'runwarden: error: Invalid --cri "tcp://10.0.0.1:10010": expected a unix socket address such as "unix:///run/containerd/containerd.sock" (or an absolute path). Hint: CRI runtimes on Linux listen on a unix socket; TCP and named pipes are not supported.'],
    [['--cri', 'unix:///x.sock', '--exclude', 'a b'], 'runwarden: error: Invalid exclusion "a b" (--exclude): contains whitespace, which no image name has. Hint: One glob per line (or per --exclude), e.g. "docker.io/library/nginx:*".'],
    [['--cri', 'unix:///x.sock', '--report-namespace', 'ops'], 'runwarden: error: --report-namespace is used with --publish-report: add --publish-report to write the node report, or drop --report-namespace.'],
    [['--cri', 'unix:///x.sock', '--kubeconfig', '/x/kubeconfig'], 'runwarden: error: --kubeconfig is used with --publish-report: add --publish-report to write the node report, or drop --kubeconfig.'],
    [['--cri', 'unix:///x.sock', '--publish-report', '--report-namespace', 'Ops'], 'runwarden: error: Invalid --report-namespace "Ops": must be a namespace name (DNS-1123 label), e.g. "runwarden-node".'],
    [['--cri', 'unix:///x.sock', '--host-root', '/host'], 'runwarden: error: --host-root is used with --publish-report: add --publish-report to write the node report, or drop --host-root.'],
    [['--cri', 'unix:///x.sock', '--publish-report', '--host-root', '/nonexistent/host'], 'runwarden: error: Invalid --host-root "/nonexistent/host": not a directory. Hint: Mount the host\'s os-release and package databases read-only under one directory (deploy/node-agent/optional/host-packages-dpkg.yaml or -rpm.yaml) and name it.'],
    [['--cri', 'unix:///x.sock', '--publish-report', '--kubeconfig', '/nonexistent/kubeconfig'], 'runwarden: error: Kubeconfig file "/nonexistent/kubeconfig" (--kubeconfig) does not exist. Hint: Check the path, or drop --kubeconfig to use KUBECONFIG or ~/.kube/config.'],
    [['--cri', 'unix:///x.sock', '--exclude-file', '/nonexistent/exclude.txt'], 'runwarden: error: Cannot read --exclude-file "/nonexistent/exclude.txt": ENOENT: no such file or directory, open \'/nonexistent/exclude.txt\'. Hint: Check the path; the file lists one image glob per line.'],
  ])('exits 2 with one actionable line for %j', async (args, line) => {
    const run = await clean(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${line}\n`);
    expect(run.stdout).toBe('');
  });

  it('exits 3 naming the socket when no runtime is there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rw-clean-'));
    const run = await clean(['--cri', `unix://${dir}/containerd.sock`]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `runwarden: error: CRI socket ${dir}/containerd.sock does not exist (--cri unix://${dir}/containerd.sock). Hint: Is the container runtime running on this node? containerd listens on /run/containerd/containerd.sock, CRI-O on /run/crio/crio.sock; in a pod, mount the host socket (deploy/node-agent).\n`,
    );
  });

  it('exits 3 when the socket is not a CRI runtime', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rw-clean-'));
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.2\r\n'));
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'other.sock'), resolve));
    const run = await clean(['--cri', join(dir, 'other.sock'), '--timeout', '5s']);
    server.close();
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^runwarden: error: ${dir}/other.sock \\(--cri unix://${dir}/other.sock\\) is not a CRI endpoint: the server did not speak gRPC over HTTP/2 .*Hint: Point --cri at the container runtime's gRPC socket`));
  });
});

describe('deploy/node-agent manifests', () => {
  const dir = join(packageRoot(), 'deploy', 'node-agent');
  interface Container {
    args: string[];
    env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
    securityContext: Record<string, unknown>;
    volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
    resources: { limits: Record<string, string> };
  }
  async function load<T>(file: string): Promise<T> {
    return parseYaml(await readFile(join(dir, file), 'utf8')) as T;
  }

  it('runs the agent with arguments runwarden clean accepts (all checked before it connects)', async () => {
    const ds = await load<{ spec: { template: { spec: { containers: Container[] } } } }>('daemonset.yaml');
    const args = [...(ds.spec.template.spec.containers[0]?.args ?? [])];
    expect(args[0]).toBe('clean');
    const tmp = await mkdtemp(join(tmpdir(), 'rw-ds-'));
    const cm = await load<{ data: Record<string, string> }>('configmap.yaml');
    await writeFile(join(tmp, 'exclude.txt'), cm.data['exclude.txt'] ?? '');
    const swap = (flag: string, value: string): void => {
      const at = args.indexOf(flag);
      expect(at, flag).toBeGreaterThan(0);
      args[at + 1] = value;
    };
    swap('--cri', `unix://${tmp}/containerd.sock`);
    swap('--exclude-file', join(tmp, 'exclude.txt'));
    swap('--audit-log', join(tmp, 'audit.jsonl'));
    // In the pod the in-cluster service account publishes the report; here a kubeconfig stands in.
    expect(args).toContain('--publish-report');
    await writeFile(join(tmp, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
    args.push('--kubeconfig', join(tmp, 'kubeconfig'));
    const run = await cli(args);
    // Every flag was valid: the run got as far as the (absent) runtime.
    expect(run.stderr).toMatch(/^runwarden: error: CRI socket \S+containerd\.sock does not exist/);
    expect(run.code).toBe(3);
  });

  it('mounts only the socket, read-only, with every capability dropped, and the token only to publish its report', async () => {
    const ds = await load<{ spec: { template: { spec: { automountServiceAccountToken: boolean; tolerations: unknown[]; containers: Container[]; volumes: Array<{ name: string; hostPath?: { path: string; type: string } }> } } } }>('daemonset.yaml');
    const pod = ds.spec.template.spec;
    const agent = pod.containers[0];
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(agent?.args).toContain('--publish-report');
    expect(agent?.env.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(agent?.securityContext).toEqual({ privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(agent?.volumeMounts.find((m) => m.name === 'cri-socket')).toEqual({ name: 'cri-socket', mountPath: '/run/containerd/containerd.sock', readOnly: true });
    expect(pod.volumes.find((v) => v.name === 'cri-socket')?.hostPath).toEqual({ path: '/run/containerd/containerd.sock', type: 'Socket' });
    expect(agent?.env.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    expect(Object.keys(agent?.resources.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
  });

  it('lets the agent create and update ConfigMaps in its namespace only, and the scanner read them there', async () => {
    interface Doc { kind: string; metadata: { name: string; namespace?: string }; rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>; roleRef?: { kind: string; name: string }; subjects?: Array<{ kind: string; name: string; namespace: string }> }
    const docs = parseAllDocuments(await readFile(join(dir, 'rbac.yaml'), 'utf8')).map((d) => d.toJS() as Doc);
    const grants = docs
      .filter((d) => d.kind === 'RoleBinding')
      .map((b) => {
        const role = docs.find((d) => d.kind === 'Role' && d.metadata.name === b.roleRef?.name && d.metadata.namespace === b.metadata.namespace);
        return { who: b.subjects?.map((x) => `${x.kind} ${x.namespace}/${x.name}`), where: b.metadata.namespace, rules: role?.rules };
      });
    expect(grants).toEqual([
      { who: ['ServiceAccount runwarden-node/runwarden-node-agent'], where: 'runwarden-node', rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'update'] }] },
      { who: ['ServiceAccount runwarden/runwarden'], where: 'runwarden-node', rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] },
    ]);
    expect(docs.some((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding')).toBe(false);
    const policy = parseAllDocuments(await readFile(join(dir, 'optional', 'report-writer-policy.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string });
    expect(policy.map((d) => d.kind)).toEqual(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
  });

  it.each(['host-packages-dpkg.yaml', 'host-packages-rpm.yaml'])('optional/%s: --host-root and read-only mounts of exactly the package paths the agent reads, never created on the host', async (file) => {
    const ds = await load<{ spec: { template: { spec: { containers: Container[]; volumes: Array<{ name: string; hostPath?: { path: string; type: string } }> } } } }>('daemonset.yaml');
    const ops = await load<Array<{ op: string; path: string; value: unknown }>>(join('optional', file));
    const pod = ds.spec.template.spec as unknown as Record<string, unknown>;
    for (const { op, path, value } of ops) {
      expect(op).toBe('add');
      const keys = path.split('/').slice(1);
      expect(keys.slice(0, 3).concat(keys.at(-1) ?? '')).toEqual(['spec', 'template', 'spec', '-']);
      let node = pod;
      for (const key of keys.slice(3, -1)) node = (node)[/^\d+$/.test(key) ? Number(key) : key] as Record<string, unknown>;
      (node as unknown as unknown[]).push(value);
    }
    const agent = ds.spec.template.spec.containers[0];
    expect(agent?.args).toContain('--host-root=/host');
    const mounts = (agent?.volumeMounts ?? []).filter((m) => m.mountPath.startsWith('/host/'));
    expect(mounts.length).toBe(2);
    for (const m of mounts) {
      expect(m.readOnly, m.name).toBe(true);
      const volume = ds.spec.template.spec.volumes.find((v) => v.name === m.name);
      // the host path mounted where the agent looks for it, checked to exist and never created
      expect(volume?.hostPath?.path).toBe(m.mountPath.slice('/host'.length));
      expect(['File', 'Directory']).toContain(volume?.hostPath?.type);
      expect(HOST_PACKAGE_PATHS.some((p) => `/${p}` === volume?.hostPath?.path), m.mountPath).toBe(true);
    }
    // the patched arguments are accepted by runwarden clean (the host root is a directory here)
    const tmp = await makeHostRoot(await mkdtemp(join(tmpdir(), 'rw-ds-host-')));
    const args = (agent?.args ?? []).map((a) => (a === '--host-root=/host' ? `--host-root=${tmp}` : a));
    const cm = await load<{ data: Record<string, string> }>('configmap.yaml');
    await writeFile(join(tmp, 'exclude.txt'), cm.data['exclude.txt'] ?? '');
    const at = (flag: string): number => args.indexOf(flag) + 1;
    args[at('--cri')] = `unix://${tmp}/containerd.sock`;
    args[at('--exclude-file')] = join(tmp, 'exclude.txt');
    args[at('--audit-log')] = join(tmp, 'audit.jsonl');
    await writeFile(join(tmp, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
    const run = await cli([...args, '--kubeconfig', join(tmp, 'kubeconfig')]);
    expect(run.stderr).toMatch(/^runwarden: error: CRI socket \S+containerd\.sock does not exist/);
    await rm(tmp, { recursive: true, force: true });
  });

  it('ships exclusions that parse and a kustomization that lists every manifest', async () => {
    const cm = await load<{ data: Record<string, string> }>('configmap.yaml');
    expect(parseExclusionFile(cm.data['exclude.txt'] ?? '', 'configmap.yaml').map((r) => r.glob)).toContain('registry.k8s.io/*');
    const kustomization = await load<{ resources: string[] }>('kustomization.yaml');
    const manifests = (await readdir(dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect(kustomization.resources.sort()).toEqual(manifests.sort());
  });
});

const noContainerd = requireComponent('containerd', ['containerd', 'ctr', 'runc']);

describe.skipIf(noContainerd !== undefined)(`runwarden clean against a real containerd${noContainerd === undefined ? '' : ` (${noContainerd})`}`, () => {
  let containerd: Containerd;
  let client: CriClient;
  let pods: PodRunner;
  let dir: string;
  let base: Record<'pause' | 'debian-app' | 'alpine-app', BuiltImage>;
  let busybox: BuiltLayer;
  let cri: string[];

  async function image(name: string, extra: Buffer = Buffer.alloc(0)): Promise<BuiltImage> {
    const layers = [busybox, await layerOf([{ path: 'marker', content: Buffer.concat([Buffer.from(`${name}\n`), extra]) }])];
    const built = await buildImage(dir, { name, layers });
    await containerd.importImage(built.layoutTar);
    return built;
  }

  async function names(): Promise<string[]> {
    return (await containerd.ctr(['-n', 'k8s.io', 'images', 'ls', '-q'])).trim().split('\n').filter((n) => !n.startsWith('sha256:'));
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-clean-'));
    base = await buildTestImages(dir);
    busybox = await layerOf(busyboxEntries());
    containerd = await startContainerd();
    for (const b of Object.values(base)) await containerd.importImage(b.layoutTar);
    cri = ['--cri', containerd.address, '--node', 'worker-1'];
    client = criClient(containerd.address);
    pods = await podRunner(containerd.address);
    const web = await pods.run({ pod: 'web', namespace: 'shop', image: base['debian-app'].reference });
    const migrate = await pods.addContainer(web.podId, { pod: 'web', namespace: 'shop', container: 'migrate', image: base['alpine-app'].reference, command: ['/bin/true'] });
    await waitForState(client, migrate, 'exited');
  });
  afterAll(async () => {
    client?.close();
    await pods?.cleanup();
    pods?.close();
    await containerd?.stop();
  });

  it('prints the plan by default and removes nothing', async () => {
    const unused = await image('plan-only');
    const before = await names();
    const run = await clean([...cri]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^runwarden clean — node worker-1 — containerd 1\.6\.\S+ at unix:\/\/\S+containerd\.sock — dry run$/);
    const row = (name: string): string => lines.find((l) => l.includes(` ${name} `)) ?? '';
    expect(row(unused.reference)).toMatch(/^remove\s+localhost\/rw\/plan-only:1\s+[0-9a-f]{12}\s+\d+\.\d MiB\s+\d+s\s+no container uses it \(2 on the node, any state\); not the sandbox image, not pinned, no exclusion matches$/);
    expect(row(base['debian-app'].reference)).toMatch(/^keep\s+.*used by 1 container \(1 running\): shop\/web\/app \(running\)$/);
    expect(row(base['alpine-app'].reference)).toMatch(/^keep\s+.*used by 1 container \(1 exited\): shop\/web\/migrate \(exited\)$/);
    expect(row(base.pause.reference)).toMatch(/^keep\s+.*the pod sandbox \(pause\) image, in use by every pod$/);
    expect(run.stdout).toMatch(/\n1 of 4 images to remove, \d+\.\d MiB reclaimable \(runtime sizes; layers shared with kept images stay on disk\)\.\nDry run: nothing was removed\. Re-run with --apply to remove it\.\n$/);
    expect(await names()).toEqual(before);
    await clean([...cri, '--apply', '--fs-wait', '0']);
  });

  it('writes a JSON report that matches the versioned schema, with one audit record per image', async () => {
    await image('json-a');
    const run = await clean([...cri, '--format', 'json', '--exclude', 'localhost/rw/json-*']);
    expect(run.code).toBe(0);
    const report = CleanupReport.parse(JSON.parse(run.stdout));
    expect(report).toMatchObject({ mode: 'dry-run', node: 'worker-1', sandboxImage: 'localhost/rw/pause:1', summary: { images: 4, candidates: 0, kept: 4 } });
    expect(report.images.find((i) => i.name === 'localhost/rw/json-a:1')?.reasons).toEqual([{ code: 'excluded', message: 'matches exclusion "localhost/rw/json-*" (--exclude)' }]);
    expect(report.audit.map((a) => a.result)).toEqual(['kept', 'kept', 'kept', 'kept']);
    expect(new Set(report.audit.map((a) => a.run))).toEqual(new Set([report.run]));
    await clean([...cri, '--apply', '--fs-wait', '0']);
  });

  it('plans by age with --older-than (creation times from containerd) and reads Eraser exclusion files', async () => {
    await image('aged-a');
    await image('aged-b');
    const file = join(dir, 'eraser.json');
    await writeFile(file, JSON.stringify({ excluded: ['localhost/rw/aged-b:*'] }));
    const recent = CleanupReport.parse(JSON.parse((await clean([...cri, '--format', 'json', '--older-than', '7d', '--exclude-file', file])).stdout));
    expect(recent.images.find((i) => i.name === 'localhost/rw/aged-a:1')?.reasons[0]?.code).toBe('too-recent');
    const later = new Date(Date.now() + 8 * 86_400_000).toISOString();
    const aged = CleanupReport.parse(JSON.parse((await clean([...cri, '--format', 'json', '--older-than', '7d', '--exclude-file', file, '--now', later])).stdout));
    expect(aged.images.filter((i) => i.decision === 'remove').map((i) => [i.name, i.reasons.map((r) => r.code)])).toEqual([['localhost/rw/aged-a:1', ['unused', 'old-enough']]]);
    expect(aged.images.find((i) => i.name === 'localhost/rw/aged-b:1')?.reasons).toEqual([{ code: 'excluded', message: `matches exclusion "localhost/rw/aged-b:*" (file ${file})` }]);
    await clean([...cri, '--apply', '--fs-wait', '0']);
  });

  it('--only vulnerable / --only eol: each unused image is read from containerd and scanned; only those that qualify are removed, with their CVEs in the audit', async () => {
    const withContent = async (name: string, entries: LayerEntry[]): Promise<BuiltImage> => {
      const built = await buildImage(dir, { name, layers: [busybox, await layerOf([...entries, { path: 'marker', content: `${name}\n` }].sort((a, b) => a.path.localeCompare(b.path)))] });
      await containerd.importImage(built.layoutTar);
      return built;
    };
    const vulnerable = await withContent('only-lodash', debianEntries()); // Debian 12 with lodash 4.17.15
    const old = await withContent('only-alpine', alpineEntries()); // Alpine 3.18
    const plain = await image('only-plain');
    const db = join(dir, 'only.db');
    expect((await cli(['db', 'import', join(packageRoot(), 'demo', 'advisories', 'osv'), '--db', db])).code).toBe(0);
    const now = ['--now', '2026-11-30T12:00:00Z'];
    const reportOf = async (args: string[]) => {
      const run = await clean([...cri, ...args, '--db', db, '--format', 'json', ...now]);
      expect([run.code, run.stderr]).toEqual([0, '']);
      const report = CleanupReport.parse(JSON.parse(run.stdout));
      const row = (b: BuiltImage) => report.images.find((i) => i.name === b.reference);
      const audit = (b: BuiltImage) => report.audit.find((a) => a.image.name === b.reference);
      return { report, row, audit };
    };
    const v = await reportOf(['--only', 'vulnerable']);
    expect(v.row(vulnerable)).toMatchObject({ decision: 'remove', reasons: [{ code: 'unused' }, { code: 'vulnerable', message: '1 vulnerability at or above high: CVE-2021-23337 (high, lodash 4.17.15)' }] });
    expect(v.audit(vulnerable)?.findings).toEqual(['CVE-2021-23337']);
    expect(v.row(plain)).toMatchObject({ decision: 'keep', reasons: [{ code: 'not-vulnerable', message: '--only vulnerable (at or above high): no vulnerability at or above high' }] });
    // the database has no Alpine 3.18 advisories: unknown is not "vulnerable", and the reason says it was not checked
    expect(v.row(old)?.reasons).toEqual([{ code: 'not-vulnerable', message: '--only vulnerable (at or above high): no vulnerability at or above high; not checked: Alpine:v3.18 (the database holds no advisories for it)' }]);
    expect(v.audit(plain)?.findings).toEqual([]);
    expect(v.report.summary.candidates).toBe(1);
    const e = await reportOf(['--only', 'eol']);
    expect(e.row(old)?.reasons[1]).toEqual({ code: 'end-of-life', message: 'past end of life: Alpine Linux 3.18 reached end of life on 2025-05-09' });
    expect(e.audit(old)?.findings).toEqual(['alpine-linux 3.18']);
    expect(e.row(vulnerable)?.decision).toBe('remove'); // Debian 12: past its regular end of life (2026-06-10)
    expect(e.row(plain)).toMatchObject({ decision: 'keep', reasons: [{ code: 'not-end-of-life', message: '--only eol: nothing in it is past end of life' }] });
    // applied: the vulnerable image goes, the others stay
    const applied = await clean([...cri, '--only', 'vulnerable', '--db', db, '--apply', '--fs-wait', '0', ...now]);
    expect(applied.code).toBe(0);
    const left = await names();
    expect([left.includes(vulnerable.reference), left.includes(old.reference), left.includes(plain.reference)]).toEqual([false, true, true]);
    await clean([...cri, '--apply', '--fs-wait', '0']);
  });

  it('the agent with --only vulnerable and a --db its updater has not created yet: keeps every candidate, then judges them once it is there', async () => {
    const built = await buildImage(dir, { name: 'only-lodash-wait', layers: [busybox, await layerOf([...debianEntries(), { path: 'marker', content: 'wait\n' }].sort((a, b) => a.path.localeCompare(b.path)))] });
    await containerd.importImage(built.layoutTar);
    const db = join(dir, 'later', 'runwarden.db');
    // in-process as cli() runs it, with its output readable while it runs
    const ctx = cliContext();
    const pending = runCli(['clean', ...cri, '--only', 'vulnerable', '--db', db, '--interval', '1s', '--format', 'json', '--now', '2026-11-30T12:00:00Z'], ctx);
    const reports = (text: string): CleanupReport[] => text.split(/\n(?=\{\n {2}"schemaVersion")/).filter((t) => t.trim() !== '').map((t) => CleanupReport.parse(JSON.parse(t)));
    // the first run is done (its report is out) before the database appears
    for (let i = 0; i < 100 && !ctx.stdout.text.includes('"schemaVersion"'); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await cli(['db', 'import', join(packageRoot(), 'demo', 'advisories', 'osv'), '--db', db])).code).toBe(0);
    for (let i = 0; i < 100 && reports(ctx.stdout.text).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    process.emit('SIGTERM');
    const run = { code: await pending, stdout: ctx.stdout.text, stderr: ctx.stderr.text };
    expect([run.code, run.stderr]).toEqual([0, `runwarden: the vulnerability database ${db} is not there yet: unused images are kept until it is (its updater creates it)\n`]);
    const [first, second] = reports(run.stdout);
    expect(first?.images.find((i) => i.name === built.reference)).toMatchObject({ decision: 'keep', reasons: [{ code: 'not-judged', message: `--only vulnerable (at or above high): could not be judged (the vulnerability database ${db} is not there yet), so it is kept` }] });
    expect(second?.images.find((i) => i.name === built.reference)).toMatchObject({ decision: 'remove', reasons: [{ code: 'unused' }, { code: 'vulnerable', message: '1 vulnerability at or above high: CVE-2021-23337 (high, lodash 4.17.15)' }] });
    // --only eol does not wait for a database: a --db that is not there is the error it always was
    const eol = await clean([...cri, '--only', 'eol', '--db', join(dir, 'nowhere', 'x.db'), '--interval', '1s']);
    expect([eol.code, eol.stdout]).toEqual([3, '']);
    expect(eol.stderr).toMatch(/^runwarden: error: Cannot open database ".*nowhere\/x\.db": /);
    await clean([...cri, '--apply', '--fs-wait', '0']);
  });

  it('refuses to start an --apply whose audit log cannot be written, before touching anything', async () => {
    const kept = await image('audit-blocked');
    await writeFile(join(dir, 'not-a-dir'), '');
    const run = await clean([...cri, '--apply', '--audit-log', join(dir, 'not-a-dir', 'audit.jsonl')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^runwarden: error: Cannot open --audit-log ".*not-a-dir\/audit\.jsonl" for appending: /);
    expect(await names()).toContain(kept.reference);
    await clean([...cri, '--apply', '--fs-wait', '0']);
  });

  it('--apply removes exactly the planned images, writes the audit trail, and the image filesystem shrinks', async () => {
    // A 4 MiB layer of incompressible bytes of its own, so the drop shows in ImageFsInfo.
    const chunks: Buffer[] = [];
    for (let i = 0; chunks.length * 32 < 4 * 1024 * 1024; i++) chunks.push(createHash('sha256').update(`big-${i}`).digest());
    const big = await image('big-unused', Buffer.concat(chunks));
    const small = await image('small-unused');
    const planned = CleanupReport.parse(JSON.parse((await clean([...cri, '--format', 'json'])).stdout));
    const plannedNames = planned.images.filter((i) => i.decision === 'remove').map((i) => i.name);
    expect(plannedNames.sort()).toEqual([big.reference, small.reference].sort());
    const before = await names();
    // containerd collects image filesystem figures every 10 s: wait for figures that include the new images.
    const importedNs = BigInt(Date.now()) * 1_000_000n;
    const fresh = async (): Promise<boolean> => {
      const fs = (await client.imageFsInfo())[0];
      return fs !== undefined && fs.collected && BigInt(fs.timestampNs) > importedNs;
    };
    for (let i = 0; i < 150 && !(await fresh()); i++) await new Promise((r) => setTimeout(r, 100));

    const audit = join(dir, 'audit', 'clean.jsonl');
    const run = await clean([...cri, '--apply', '--audit-log', audit, '--fs-wait', '25s', '--format', 'json']);
    expect(run.code).toBe(0);
    const applied = CleanupReport.parse(JSON.parse(run.stdout));
    expect(applied.summary).toMatchObject({ candidates: 2, removed: 2, failed: 0 });
    expect(applied.execution?.fsAfterFresh).toBe(true);
    // The 4 MiB layer of the big image was unpacked as a snapshot of its own: that much goes.
    expect(applied.summary.fsReclaimedBytes).toBeGreaterThan(3.5 * 1024 * 1024);
    expect((await names()).sort()).toEqual(before.filter((n) => !plannedNames.includes(n)).sort());

    const records = (await readFile(audit, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => AuditRecord.parse(JSON.parse(line)));
    expect(records.map((r) => [r.image.name, r.decision, r.result]).sort()).toEqual(
      [
        [base['alpine-app'].reference, 'keep', 'kept'],
        [base['debian-app'].reference, 'keep', 'kept'],
        [base.pause.reference, 'keep', 'kept'],
        [big.reference, 'remove', 'removed'],
        [small.reference, 'remove', 'removed'],
      ].sort(),
    );
    expect(records.every((r) => r.node === 'worker-1' && r.mode === 'apply' && r.findings === null)).toBe(true);

    const json = CleanupReport.parse(JSON.parse((await clean([...cri, '--format', 'json'])).stdout));
    expect(json.summary.candidates).toBe(0);
  }, 60_000);

  it('publishes the node report to a replayed API server: created, then replaced after --apply, matching the JSON report', async () => {
    const api = await startKubeApi();
    const store = configMapStore('runwarden-node');
    api.handle(store.handler);
    try {
      const unused = await image('report-a');
      const publish = ['--publish-report', '--kubeconfig', api.kubeconfig];
      const dry = await clean([...cri, '--format', 'json', ...publish]);
      expect(dry.code).toBe(0);
      const url = `${api.url}/api/v1/namespaces/runwarden-node/configmaps`;
      expect(dry.stderr).toMatch(new RegExp(`^runwarden: created the node report ${url.replace(/[.]/g, '\\.')}/runwarden-node-worker-1 \\(\\d+\\.\\d KiB\\)\\n$`));
      const report = CleanupReport.parse(JSON.parse(dry.stdout));
      expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /api/v1/namespaces/runwarden-node/configmaps/runwarden-node-worker-1', 'POST /api/v1/namespaces/runwarden-node/configmaps']);
      const posted = decodeNodeReport(ConfigMap.parse(api.requests[1]?.body), url);
      if (!posted.ok) throw new Error(posted.issue.message);
      expect(posted.report).toMatchObject({
        node: 'worker-1',
        run: report.run,
        mode: 'dry-run',
        runtime: { name: 'containerd', address: containerd.address },
        sandboxImage: 'localhost/rw/pause:1',
        cache: { images: 4, containers: 2, containersByState: { running: 1, exited: 1 }, containersComplete: true, sandboxes: 1 },
        plan: { candidates: 1, kept: 3, reclaimableBytes: report.summary.reclaimableBytes, keptBy: { 'in-use': 2, 'sandbox-image': 1 } },
        execution: null,
        results: { planned: 1, kept: 3 },
      });
      expect(posted.report.candidates.map((c) => [c.name, c.result])).toEqual([[unused.reference, 'planned']]);
      expect(posted.report.cache.imageBytes).toBe(report.images.reduce((n, i) => n + i.sizeBytes, 0));

      api.requests.length = 0;
      const applied = await clean([...cri, '--apply', '--fs-wait', '0', '--format', 'json', ...publish]);
      expect(applied.code).toBe(0);
      expect(applied.stderr).toMatch(/^runwarden: updated the node report /);
      expect(api.requests.map((r) => r.method)).toEqual(['PUT']);
      const stored = decodeNodeReport(ConfigMap.parse(store.objects.get('runwarden-node-worker-1')), url);
      if (!stored.ok) throw new Error(stored.issue.message);
      expect(stored.report.run).toBe(CleanupReport.parse(JSON.parse(applied.stdout)).run);
      expect(stored.report).toMatchObject({ mode: 'apply', execution: { removed: 1, failed: 0 }, results: { removed: 1, kept: 3 } });
      expect(stored.report.candidates.map((c) => [c.name, c.result])).toEqual([[unused.reference, 'removed']]);
      expect(await names()).not.toContain(unused.reference);
    } finally {
      await api.close();
    }
  });

  it("with --host-root: the node report carries the host's OS packages (and only those), for the scan to match", async () => {
    const api = await startKubeApi();
    const store = configMapStore('runwarden-node');
    api.handle(store.handler);
    const root = await makeHostRoot(await mkdtemp(join(tmpdir(), 'rw-clean-host-')));
    try {
      const run = await clean([...cri, '--format', 'json', '--publish-report', '--kubeconfig', api.kubeconfig, '--host-root', root]);
      expect(run.code).toBe(0);
      expect(run.stderr.split('\n')[0]).toBe(`runwarden: read 15 host packages (Alpine Linux v3.11) under ${root}; Package "invalidPackageWithoutAVersion" at lib/apk/db/installed:23 has no V: (version); skipped`);
      const stored = decodeNodeReport(ConfigMap.parse(store.objects.get('runwarden-node-worker-1')), 'cm');
      if (!stored.ok) throw new Error(stored.issue.message);
      expect(stored.report.host).toMatchObject({ os: { id: 'alpine', versionId: '3.11.6' }, purlsOmitted: 0, databases: ['/lib/apk/db/installed'] });
      expect(stored.report.host?.purls).toHaveLength(15);
      expect(stored.report.host?.purls).toContain('pkg:apk/alpine/libssl1.0@1.0.2h-r1?distro=alpine-3.11.6&upstream=openssl');
      expect(stored.report.issues.map((i) => i.code)).toContain('apk-entry-invalid');
    } finally {
      await api.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('exits 3 when the node report cannot be published, after the cleanup and its report', async () => {
    const api = await startKubeApi();
    api.handle(() => status(403, 'Forbidden', 'configmaps "runwarden-node-worker-1" is forbidden: User "system:serviceaccount:runwarden-node:runwarden-node-agent" cannot update resource "configmaps" in API group "" in the namespace "runwarden-node"'));
    try {
      const unused = await image('report-b');
      const run = await clean([...cri, '--apply', '--fs-wait', '0', '--format', 'json', '--publish-report', '--kubeconfig', api.kubeconfig]);
      expect(run.code).toBe(3);
      expect(CleanupReport.parse(JSON.parse(run.stdout)).summary.removed).toBe(1);
      expect(await names()).not.toContain(unused.reference);
      expect(run.stderr).toBe(
        `runwarden: error: could not publish the node report: Cannot replace the node report ${api.url}/api/v1/namespaces/runwarden-node/configmaps/runwarden-node-worker-1: the API server answered 403 Forbidden: configmaps "runwarden-node-worker-1" is forbidden: User "system:serviceaccount:runwarden-node:runwarden-node-agent" cannot update resource "configmaps" in API group "" in the namespace "runwarden-node". Hint: Let the agent's service account create and update configmaps in "runwarden-node" (the Role in deploy/node-agent/rbac.yaml); check with "kubectl auth can-i update configmaps -n runwarden-node --as=system:serviceaccount:runwarden-node:runwarden-node-agent".\n`,
      );
    } finally {
      await api.close();
    }
  });

  it('reports progress on stderr only on a terminal', async () => {
    await image('progress-a');
    const run = await clean([...cri, '--apply', '--fs-wait', '0'], { stderrTty: true });
    expect(run.stderr).toContain('[1/1] checking and removing localhost/rw/progress-a:1');
    expect(run.stderr).toContain('\r\x1b[2K');
  });

  it('keeps running with --interval until SIGTERM, one report per run, and outlives a failed run', async () => {
    // The second run's ListImages fails (as during a runtime restart); the loop logs it and goes on.
    let listImages = 0;
    const proxy = await startCriProxy(containerd.address, { fault: (path) => (path.endsWith('/ListImages') && ++listImages === 2 ? { code: grpc.status.UNAVAILABLE, details: 'injected: restarting' } : undefined) });
    try {
      const pending = clean(['--cri', proxy.address, '--node', 'worker-1', '--interval', '1s', '--format', 'json']);
      for (let i = 0; i < 100 && listImages < 3; i++) await new Promise((r) => setTimeout(r, 50));
      // Run 3 is under way (it takes ~0.1 s); stop the agent while it sleeps before run 4.
      await new Promise((r) => setTimeout(r, 500));
      process.emit('SIGTERM');
      const run = await pending;
      expect(run.code).toBe(0);
      expect(run.stderr).toBe(`runwarden: clean run 2 failed, retrying in 1 s: CRI runtime at ${proxy.address.slice('unix://'.length)} is unavailable (--cri ${proxy.address}) for ListImages: injected: restarting.\n`);
      const reports = run.stdout.split(/\n(?=\{\n {2}"schemaVersion")/);
      expect(reports.length).toBeGreaterThanOrEqual(2);
      for (const text of reports) expect(CleanupReport.parse(JSON.parse(text)).node).toBe('worker-1');
    } finally {
      await proxy.stop();
    }
  });
});
