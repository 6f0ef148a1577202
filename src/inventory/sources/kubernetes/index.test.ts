/**
 * The kubernetes source against a real HTTPS server (node:https on 127.0.0.1) that replays the API
 * responses in testdata/ (see testdata/README.md), with a throwaway CA made by openssl.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { cli } from '../../../../test/cli.js';
import { requireComponent } from '../../../../test/components.js';
import { ConfigError, KubeApiError, UsageError } from '../../../core/errors.js';
import { RESOURCE_KINDS } from '../../../core/inventory.js';
import type { SourceResult } from '../../source.js';
import { ScanReportJson } from '../../../report/json/schema.js';
import { API_RESOURCES, kubernetesSource, loadKubernetes, type KubernetesSourceOptions } from './index.js';

const run = promisify(execFile);
const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const TOKEN = 'rw-test-token-9f2c41d7e8a6';
const STALE_TOKEN = 'rw-stale-token-0b7e55c2f1d3';
const skipReason = requireComponent('openssl', ['openssl']);

interface Reply {
  status: number;
  /** A file under testdata/. */
  file?: string;
  headers?: Record<string, string>;
  /** Never answer (timeouts). */
  hang?: boolean;
}
/** Replaces the recorded reply of one request key; `hit` counts earlier requests with that key. */
type Override = (hit: number) => Reply | undefined;

interface SeenRequest {
  path: string;
  limit: string | null;
  continue: string | null;
}

interface Recording {
  interactions: { request: string; response: { status: number; body: string } }[];
}

const recorded = new Map<string, Reply>();
const overrides = new Map<string, Override>();
const hits = new Map<string, number>();
let seen: SeenRequest[] = [];
let server: Server;
let serverUrl = '';
let closedUrl = '';
let dir = '';
let kubeconfig = '';
let caPem = '';

/** `GET /api/v1/pods` or `GET /api/v1/pods?continue=…`: `limit` is not part of the key. */
function requestKey(path: string, token: string | null): string {
  return token === null ? `GET ${path}` : `GET ${path}?continue=${token}`;
}

async function replay(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://replay');
  seen.push({ path: url.pathname, limit: url.searchParams.get('limit'), continue: url.searchParams.get('continue') });
  let reply: Reply | undefined;
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    reply = { status: 401, file: 'status/401-unauthorized.json' };
  } else {
    const key = requestKey(url.pathname, url.searchParams.get('continue'));
    const hit = hits.get(key) ?? 0;
    hits.set(key, hit + 1);
    reply = overrides.get(key)?.(hit) ?? recorded.get(key);
  }
  if (reply?.hang === true) return;
  // What the API server says for a path it does not serve.
  const body =
    reply?.file === undefined
      ? Buffer.from(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 }))
      : await readFile(join(TESTDATA, reply.file));
  const gzip = body.length > 4096 && (req.headers['accept-encoding'] ?? '').includes('gzip');
  res.writeHead(reply?.status ?? 404, { 'Content-Type': 'application/json', 'Audit-Id': '3c1f7c0e-replay', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}), ...reply?.headers });
  res.end(gzip ? gzipSync(body) : body);
}

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makeCa(name: string): Promise<void> {
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
    '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

async function freePortThatIsClosed(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function kubeconfigYaml(clusters: Record<string, Record<string, unknown>>, users: Record<string, Record<string, unknown>>, contexts: Record<string, [string, string]>, current?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: Object.entries(clusters).map(([name, cluster]) => ({ name, cluster })),
    users: Object.entries(users).map(([name, user]) => ({ name, user })),
    contexts: Object.entries(contexts).map(([name, [cluster, user]]) => ({ name, context: { cluster, user } })),
    ...(current === undefined ? {} : { 'current-context': current }),
  });
}

async function load(options: KubernetesSourceOptions, loadOptions: Parameters<typeof loadKubernetes>[1] = {}): Promise<SourceResult> {
  return loadKubernetes({ kubeconfig, env: {}, ...options }, loadOptions);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection');
}

function names(objects: { metadata: { name: string; namespace?: string | null | undefined } }[]): string[] {
  return objects.map((o) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name));
}

function podRequests(path = '/api/v1/pods'): SeenRequest[] {
  return seen.filter((r) => r.path === path);
}

const PODS = ['default/nightly-report-28512960-7xk2q', 'kube-system/kube-proxy-m4t9z', 'payments/ledger-0', 'shop/web-7d9c6b5f4d-2xq8w', 'shop/web-7d9c6b5f4d-9plmn'];

describe.skipIf(skipReason !== undefined)(`kubernetes source${skipReason === undefined ? '' : ` (${skipReason})`}`, () => {
  let continue1 = '';
  let continue2 = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runwarden-kube-'));
    await makeCa('ca');
    await makeCa('other-ca');
    await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver');
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
    await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');

    const recording = JSON.parse(await readFile(join(TESTDATA, 'recording.json'), 'utf8')) as Recording;
    for (const { request, response } of recording.interactions) recorded.set(request, { status: response.status, file: response.body });
    const tokens = recording.interactions.map((i) => /\?continue=(.+)$/.exec(i.request)?.[1]).filter((t) => t !== undefined);
    [continue1 = '', continue2 = ''] = tokens;

    server = createServer({ key: await readFile(join(dir, 'server.key')), cert: await readFile(join(dir, 'server.crt')) }, (req, res) => {
      replay(req, res).catch((error: unknown) => res.destroy(error instanceof Error ? error : undefined));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    closedUrl = `https://127.0.0.1:${await freePortThatIsClosed()}`;

    caPem = await readFile(join(dir, 'ca.crt'), 'utf8');
    const caData = Buffer.from(caPem).toString('base64');
    const otherCaData = Buffer.from(await readFile(join(dir, 'other-ca.crt'))).toString('base64');
    kubeconfig = join(dir, 'kubeconfig.yaml');
    await writeFile(
      kubeconfig,
      kubeconfigYaml(
        {
          replay: { server: serverUrl, 'certificate-authority-data': caData },
          untrusted: { server: serverUrl, 'certificate-authority-data': otherCaData },
          closed: { server: closedUrl, 'certificate-authority-data': caData },
        },
        { reader: { token: TOKEN }, stale: { token: STALE_TOKEN } },
        { replay: ['replay', 'reader'], 'stale-token': ['replay', 'stale'], untrusted: ['untrusted', 'reader'], closed: ['closed', 'reader'] },
        'replay',
      ),
    );
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    overrides.clear();
    hits.clear();
    seen = [];
  });

  it('replayed API: follows continue pagination across 3 pages', async () => {
    const progress: string[] = [];
    const result = await load({ pageSize: 2 }, { onProgress: (e) => progress.push(`${e.kind}:${e.count}`) });

    expect(podRequests()).toEqual([
      { path: '/api/v1/pods', limit: '2', continue: null },
      { path: '/api/v1/pods', limit: '2', continue: continue1 },
      { path: '/api/v1/pods', limit: '2', continue: continue2 },
    ]);
    expect(names(result.objects.Pod)).toEqual(PODS);
    expect(result.issues).toEqual([]);
    expect(result.complete).toEqual([...RESOURCE_KINDS]);
    expect(result.namespaces).toBeUndefined();
    expect(result.source).toEqual({ type: 'kubernetes', location: serverUrl, context: 'replay' });
    expect(progress).toEqual([
      'Namespace:6', 'Node:2', 'Pod:5', 'ReplicaSet:2', 'Deployment:1', 'StatefulSet:1', 'DaemonSet:1', 'Job:1', 'CronJob:1', 'Service:3', 'NetworkPolicy:2',
      'ServiceAccount:6', 'Role:1', 'ClusterRole:3', 'RoleBinding:1', 'ClusterRoleBinding:3', 'PeerAuthentication:2',
    ]);
  });

  it('replayed API: hands on plain JSON objects with kind, apiVersion and an API origin', async () => {
    const result = await load({});
    const pod = result.objects.Pod[3];
    expect(pod?.kind).toBe('Pod');
    expect(pod?.apiVersion).toBe('v1');
    expect(pod?.metadata.creationTimestamp).toBe('2024-05-14T08:21:37Z');
    expect(pod?.status?.containerStatuses?.[0]?.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(result.origins.get(pod as object)).toBe(`${serverUrl}/api/v1/pods (shop/web-7d9c6b5f4d-2xq8w)`);
    const node = result.objects.Node[0];
    expect(node?.status?.images?.length).toBe(4);
    expect(result.origins.get(node as object)).toBe(`${serverUrl}/api/v1/nodes (worker-a)`);
    const deployment = result.objects.Deployment[0];
    expect(deployment?.apiVersion).toBe('apps/v1');
    expect(result.origins.get(deployment as object)).toBe(`${serverUrl}/apis/apps/v1/deployments (shop/web)`);
    // Survives a JSON round trip unchanged: no Date objects, no class instances.
    expect(JSON.parse(JSON.stringify(result.objects))).toEqual(result.objects);
    // One request per kind with the default page size, and one for the node reports; every list sent limit=500.
    const lists = seen.filter((r) => r.path !== '/version');
    expect(lists.map((r) => r.limit)).toEqual(Array<string>(20).fill('500'));
    expect(lists.at(-1)?.path).toBe('/api/v1/namespaces/runwarden-node/configmaps');
    // Then the control plane's version, once, without a limit.
    expect(seen.at(-1)).toEqual({ path: '/version', limit: null, continue: null });
    expect(result.controlPlane).toEqual({ gitVersion: 'v1.29.4', location: `${serverUrl}/version` });
  });

  it('replayed API: GET /version forbidden (403) or failing is an issue on controlPlane, never fatal and never a guessed version', async () => {
    overrides.set('GET /version', () => ({ status: 403, file: 'status/403-forbidden-get-version.json' }));
    const forbidden = await load({});
    expect(forbidden.controlPlane?.gitVersion).toBeUndefined();
    expect(forbidden.controlPlane?.issue).toEqual({
      code: 'kube-version-unreadable',
      message: `Cannot read the control plane's version from ${serverUrl}/version: the API server answered 403 Forbidden: forbidden: User "system:serviceaccount:runwarden:scanner" cannot get path "/version"; control-plane end of life and kubelet skew are unknown`,
      location: `${serverUrl}/version`,
      hint: 'Kubernetes grants "get /version" to everyone through the ClusterRole system:public-info-viewer; restore that binding, grant nonResourceURLs ["/version"] get, or pass --control-plane-version v1.x.y.',
    });
    // The inventory is all there.
    expect(names(forbidden.objects.Node)).toEqual(['worker-a', 'worker-b']);
    expect(forbidden.issues.some((i) => i.code === 'kube-version-unreadable')).toBe(false);
    overrides.set('GET /version', () => ({ status: 200, file: 'api/v1/nodes.json' }));
    expect((await load({})).controlPlane?.issue?.message).toBe(`Cannot read the control plane's version from ${serverUrl}/version: the reply is not a version.Info object (gitVersion: Invalid input: expected string, received undefined); control-plane end of life and kubelet skew are unknown`);
    overrides.set('GET /version', () => ({ status: 200, hang: true }));
    const slow = await load({ requestTimeoutMs: 300 }).catch((e: unknown) => e);
    // A hang on the lists themselves is fatal (earlier test); here every list answered first, so only /version timed out.
    expect(slow).not.toBeInstanceOf(Error);
    expect((slow as SourceResult).controlPlane?.issue?.message).toMatch(/^Cannot read the control plane's version from .*\/version: .*timeout/);
  });

  it('replayed API: a 403 on pods is an issue naming the verb and the ClusterRole, and the scan continues', async () => {
    overrides.set('GET /api/v1/pods', () => ({ status: 403, file: 'status/403-forbidden-list-pods.json' }));
    const result = await load({});

    expect(result.objects.Pod).toEqual([]);
    expect(result.complete).not.toContain('Pod');
    expect(result.complete).toEqual(RESOURCE_KINDS.filter((k) => k !== 'Pod'));
    expect(names(result.objects.Node)).toEqual(['worker-a', 'worker-b']);
    expect(names(result.objects.Deployment)).toEqual(['shop/web']);
    expect(result.issues).toEqual([
      {
        code: 'kube-forbidden',
        message:
          'Forbidden to list pods cluster-wide (403 Forbidden): pods is forbidden: User "system:serviceaccount:runwarden:runwarden" cannot list resource "pods" in API group "" at the cluster scope',
        location: `${serverUrl}/api/v1/pods`,
        hint: 'Grant get/list/watch on pods with the ClusterRole in deploy/clusterrole.yaml (kubectl apply -f deploy/clusterrole.yaml); check with "kubectl auth can-i list pods --all-namespaces".',
      },
    ]);
  });

  it('replayed API: runwarden scan --kubeconfig reports the cluster end to end, the 403 gap as an issue and stale-image as skipped', async () => {
    overrides.set('GET /api/v1/pods', () => ({ status: 403, file: 'status/403-forbidden-list-pods.json' }));
    const run = await cli(['scan', '--kubeconfig', kubeconfig, '--format', 'json', '--now', '2026-11-28T12:00:00Z']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { source: unknown; summary: { nodes: number; pods: number }; issues: Array<{ code: string }> };
    expect(report.source).toEqual({ type: 'kubernetes', location: serverUrl, context: 'replay' });
    expect(report.summary).toMatchObject({ nodes: 2, pods: 0 });
    expect(report.issues.map((i) => i.code)).toEqual(['kube-forbidden', 'stale-image-skipped']);
  });

  it('replayed API: reads the node agents\u2019 report ConfigMaps in runwarden-node, and runwarden scan shows them next to the status.images plan', async () => {
    const result = await load({});
    expect(result.nodeReports?.status).toBe('read');
    expect(result.nodeReports?.location).toBe(`${serverUrl}/api/v1/namespaces/runwarden-node/configmaps`);
    expect(result.nodeReports?.configMaps.map((c) => c.metadata.name)).toEqual(['runwarden-node-worker-a']);
    expect(result.nodeReports?.origins.get(result.nodeReports.configMaps[0] as object)).toBe(`${serverUrl}/api/v1/namespaces/runwarden-node/configmaps (runwarden-node/runwarden-node-worker-a)`);
    expect(result.issues).toEqual([]);

    const run = await cli(['scan', '--kubeconfig', kubeconfig, '--format', 'json', '--now', '2026-11-28T12:00:00Z']);
    expect(run.code).toBe(0);
    const report = ScanReportJson.parse(JSON.parse(run.stdout));
    expect(report.nodeAgents?.location).toBe(`${serverUrl}/api/v1/namespaces/runwarden-node/configmaps`);
    expect(report.nodeAgents?.nodes.map((n) => [n.node, n.report, n.statusImages?.cachedImages, n.agent?.images ?? null, n.agent?.removed ?? null])).toEqual([
      ['worker-a', 'fresh', 4, 4, 2],
      ['worker-b', 'none', 5, null, null],
    ]);
    expect(report.nodeAgents?.nodes[0]?.agent?.ageHours).toBe(2.5);
    expect(report.issues.filter((i) => i.code.startsWith('node-report'))).toEqual([]);

    const table = await cli(['scan', '--kubeconfig', kubeconfig, '--now', '2026-11-28T12:00:00Z']);
    expect(table.stdout).toContain(`Node agents: status.images plan vs. agent reports (${serverUrl}/api/v1/namespaces/runwarden-node/configmaps; stale after 48 h)`);
    expect(table.stdout).toMatch(/^ {2}worker-a {2}status\.images \d+\/4 unused, .+ · agent 2\.5 h ago: 2\/4 to remove, 305\.2 MiB; removed 2 \(305\.2 MiB\)$/m);
    expect(table.stdout).toMatch(/^ {2}worker-b {2}status\.images \d+\/5 unused, .+ · no agent$/m);
  });

  it('replayed API: reports that may not be read are unreadable, and no issue in a scan of a cluster without agents', async () => {
    overrides.set('GET /api/v1/namespaces/runwarden-node/configmaps', () => ({ status: 403, file: 'status/403-forbidden-list-configmaps.json' }));
    const result = await load({});
    expect(result.nodeReports?.status).toBe('unreadable');
    expect(result.nodeReports?.issue).toEqual({
      code: 'node-report-forbidden',
      message:
        `Cannot read the node agents' reports: Forbidden to list configmaps in namespace "runwarden-node" (403 Forbidden): configmaps is forbidden: User "system:serviceaccount:runwarden:runwarden" cannot list resource "configmaps" in API group "" in the namespace "runwarden-node"`,
      location: `${serverUrl}/api/v1/namespaces/runwarden-node/configmaps`,
      hint: 'Grant list on configmaps in namespace "runwarden-node" with the Role in deploy/node-agent/rbac.yaml (kubectl apply -k deploy/node-agent); check with "kubectl auth can-i list configmaps -n runwarden-node".',
    });
    expect(result.issues).toEqual([]);
    expect(result.complete).toEqual([...RESOURCE_KINDS]);
    const run = await cli(['scan', '--kubeconfig', kubeconfig, '--format', 'json', '--now', '2026-11-28T12:00:00Z']);
    const report = ScanReportJson.parse(JSON.parse(run.stdout));
    expect(report.nodeAgents).toBeUndefined();
    expect(report.issues.filter((i) => i.code.startsWith('node-report'))).toEqual([]);
  });

  it('replayed API: nodeReportNamespace false reads no reports; another namespace is read instead', async () => {
    const none = await load({ nodeReportNamespace: false });
    expect(none.nodeReports).toBeUndefined();
    expect(seen.some((r) => r.path.includes('configmaps'))).toBe(false);
    seen = [];
    const other = await load({ nodeReportNamespace: 'ops' });
    expect(seen.filter((r) => r.path !== '/version').at(-1)?.path).toBe('/api/v1/namespaces/ops/configmaps');
    // Unrecorded: the replay server's 404, an unreadable list (a real server answers an empty list for a missing namespace).
    expect(other.nodeReports?.status).toBe('unreadable');
    await expect(load({ nodeReportNamespace: 'Ops' })).rejects.toThrow('Invalid node report namespace "Ops": must be a namespace name (DNS-1123 label), e.g. "runwarden-node".');
  });

  it('replayed API: runwarden scan exits 3 with one line naming the server for a 401', async () => {
    const run = await cli(['scan', '--kubeconfig', kubeconfig, '--context', 'stale-token']);
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(serverUrl);
    expect(run.stderr).not.toContain(STALE_TOKEN);
  });

  it('replayed API: reads ServiceAccounts, RBAC roles and bindings (cluster-scoped without a namespace) and Istio PeerAuthentications', async () => {
    const result = await load({});
    expect(names(result.objects.ServiceAccount)).toContain('payments/ledger');
    expect(result.objects.ServiceAccount.find((sa) => sa.metadata.name === 'ledger')?.automountServiceAccountToken).toBe(false);
    expect(names(result.objects.Role)).toEqual(['shop/config-editor']);
    expect(names(result.objects.ClusterRole)).toEqual(['cluster-admin', 'system:node-proxier', 'ci-deployer']);
    expect(names(result.objects.RoleBinding)).toEqual(['shop/web-config']);
    expect(names(result.objects.ClusterRoleBinding)).toEqual(['cluster-admin', 'system:node-proxier', 'ci-deployer']);
    expect(result.objects.ClusterRole[0]?.apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(names(result.objects.PeerAuthentication)).toEqual(['shop/default', 'payments/ledger-metrics']);
    expect(result.objects.PeerAuthentication[0]?.apiVersion).toBe('security.istio.io/v1');
    expect(result.origins.get(result.objects.PeerAuthentication[0] as object)).toBe(`${serverUrl}/apis/security.istio.io/v1/peerauthentications (shop/default)`);
    expect(result.complete).toEqual([...RESOURCE_KINDS]);
    expect(result.issues).toEqual([]);
  });

  it('replayed API: falls back to security.istio.io/v1beta1 PeerAuthentications when v1 is not served (Istio before 1.22)', async () => {
    overrides.set('GET /apis/security.istio.io/v1/peerauthentications', () => ({ status: 404 }));
    const result = await load({});
    expect(seen.filter((r) => r.path.includes('peerauthentications')).map((r) => r.path)).toEqual(['/apis/security.istio.io/v1/peerauthentications', '/apis/security.istio.io/v1beta1/peerauthentications']);
    expect(names(result.objects.PeerAuthentication)).toEqual(['shop/default']);
    expect(result.objects.PeerAuthentication[0]?.apiVersion).toBe('security.istio.io/v1beta1');
    expect(result.origins.get(result.objects.PeerAuthentication[0] as object)).toBe(`${serverUrl}/apis/security.istio.io/v1beta1/peerauthentications (shop/default)`);
    expect(result.complete).toContain('PeerAuthentication');
    expect(result.issues).toEqual([]);
  });

  it('replayed API: no PeerAuthentication CRD (404 on every version) means "no Istio": complete, empty, no issue', async () => {
    overrides.set('GET /apis/security.istio.io/v1/peerauthentications', () => ({ status: 404 }));
    overrides.set('GET /apis/security.istio.io/v1beta1/peerauthentications', () => ({ status: 404 }));
    const result = await load({});
    expect(result.objects.PeerAuthentication).toEqual([]);
    expect(result.complete).toEqual([...RESOURCE_KINDS]);
    expect(result.issues).toEqual([]);

    // With a namespace filter: the first namespace's 404 decides, no request per namespace and version.
    seen = [];
    overrides.set('GET /apis/security.istio.io/v1/namespaces/shop/peerauthentications', () => ({ status: 404 }));
    overrides.set('GET /apis/security.istio.io/v1beta1/namespaces/shop/peerauthentications', () => ({ status: 404 }));
    const filtered = await load({}, { namespaces: ['shop', 'staging'] });
    expect(seen.filter((r) => r.path.includes('peerauthentications')).map((r) => r.path)).toEqual([
      '/apis/security.istio.io/v1/namespaces/shop/peerauthentications',
      '/apis/security.istio.io/v1beta1/namespaces/shop/peerauthentications',
    ]);
    expect(filtered.complete).toContain('PeerAuthentication');
    expect(filtered.issues.map((i) => i.code)).toEqual(['kube-namespace-not-found']);
  });

  it('replayed API: a 403 on PeerAuthentications is an issue naming the group, not "no Istio"', async () => {
    overrides.set('GET /apis/security.istio.io/v1/peerauthentications', () => ({ status: 403, file: 'status/403-forbidden-list-peerauthentications.json' }));
    const result = await load({});
    expect(result.complete).not.toContain('PeerAuthentication');
    expect(result.issues.map((i) => [i.code, i.message.split(' (')[0], i.hint?.match(/kubectl auth can-i [^"]+/)?.[0]])).toEqual([
      ['kube-forbidden', 'Forbidden to list peerauthentications.security.istio.io cluster-wide', 'kubectl auth can-i list peerauthentications.security.istio.io --all-namespaces'],
    ]);
  });

  it('replayed API: a 403 in one namespace names that namespace and keeps the other namespaces', async () => {
    overrides.set('GET /apis/apps/v1/namespaces/shop/deployments', () => ({ status: 403, file: 'status/403-forbidden-list-pods.json' }));
    const result = await load({}, { namespaces: ['shop'] });
    expect(result.complete).not.toContain('Deployment');
    expect(result.issues.map((i) => [i.code, i.message.split(' (')[0], i.hint?.match(/kubectl auth can-i [^"]+/)?.[0]])).toEqual([
      ['kube-forbidden', 'Forbidden to list deployments.apps in namespace "shop"', 'kubectl auth can-i list deployments.apps -n shop'],
    ]);
  });

  it('replayed API: 401 is a KubeApiError naming the server and context, without the token', async () => {
    const error = await failure(load({ context: 'stale-token' }));
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error.message).toBe(`The API server at ${serverUrl} rejected the credentials of context "stale-token" (401 Unauthorized)`);
    expect((error as KubeApiError).status).toBe(401);
    expect((error as KubeApiError).hint).toMatch(/^Refresh the credentials .* check the token/);
    const everything = `${error.message} ${(error as KubeApiError).hint ?? ''} ${JSON.stringify(error)}`;
    expect(everything).not.toContain(STALE_TOKEN);
    expect(everything).not.toContain('Bearer');
    // Fatal at the first request: nothing else is tried with rejected credentials.
    expect(seen).toHaveLength(1);
  });

  it('replayed API: trusts the server through a relative certificate-authority file of the kubeconfig', async () => {
    await mkdir(join(dir, 'relative'), { recursive: true });
    await writeFile(join(dir, 'relative', 'ca.pem'), caPem);
    const file = join(dir, 'relative', 'config');
    await writeFile(file, kubeconfigYaml({ c: { server: serverUrl, 'certificate-authority': 'ca.pem' } }, { u: { token: TOKEN } }, { ctx: ['c', 'u'] }, 'ctx'));
    const result = await load({ kubeconfig: file });
    expect(result.source).toEqual({ type: 'kubernetes', location: serverUrl, context: 'ctx' });
    expect(result.objects.Pod).toHaveLength(5);
  });

  it('throws KubeApiError with a certificate-authority hint when the kubeconfig does not trust the server CA', async () => {
    const error = await failure(load({ context: 'untrusted' }));
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error.message).toMatch(new RegExp(`^Cannot reach the Kubernetes API server at ${serverUrl} \\(context "untrusted"\\): TLS certificate verification failed: .+ \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)$`));
    expect((error as KubeApiError).hint).toContain('certificate-authority');
    expect(seen).toEqual([]);
  });

  it('replayed API: re-lists from the start when the continue token expired (410 Gone), without duplicates', async () => {
    overrides.set(`GET /api/v1/pods?continue=${continue1}`, (hit) => (hit === 0 ? { status: 410, file: 'status/410-expired-continue.json' } : undefined));
    const result = await load({ pageSize: 2 });

    expect(podRequests().map((r) => r.continue)).toEqual([null, continue1, null, continue1, continue2]);
    expect(names(result.objects.Pod)).toEqual(PODS);
    expect(result.complete).toContain('Pod');
    expect(result.issues).toEqual([]);
  });

  it('replayed API: gives up after two re-lists that all expire, with a kube-list-expired issue', async () => {
    overrides.set(`GET /api/v1/pods?continue=${continue1}`, () => ({ status: 410, file: 'status/410-expired-continue.json' }));
    const result = await load({ pageSize: 2 });

    expect(podRequests().map((r) => r.continue)).toEqual([null, continue1, null, continue1, null, continue1]);
    // The last pass's first page is kept (never drop data), but Pod is not complete.
    expect(names(result.objects.Pod)).toEqual(PODS.slice(0, 2));
    expect(result.complete).not.toContain('Pod');
    expect(result.issues.map((i) => i.code)).toEqual(['kube-list-expired']);
    expect(result.issues[0]?.message).toBe('Cannot list pods cluster-wide: the continue token expired (410 Gone) in 3 passes; the list is incomplete');
  });

  it('throws KubeApiError naming the URL and "connection refused" for a closed port', async () => {
    const error = await failure(load({ context: 'closed' }));
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error.message).toBe(`Cannot reach the Kubernetes API server at ${closedUrl} (context "closed"): connection refused (ECONNREFUSED)`);
    expect((error as KubeApiError).hint).toContain('kubectl cluster-info --context closed');
  });

  it('replayed API: throws KubeApiError naming the timeout when the server does not answer', async () => {
    overrides.set('GET /api/v1/namespaces', () => ({ status: 200, hang: true }));
    const error = await failure(load({ requestTimeoutMs: 300 }));
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error.message).toBe(`Cannot reach the Kubernetes API server at ${serverUrl} (context "replay"): no reply within 0.3s (timeout)`);
  });

  it('replayed API: a namespace filter lists namespaced kinds under /namespaces/<ns>/ and nodes cluster-wide', async () => {
    const result = await load({}, { namespaces: ['shop'] });

    expect(seen.map((r) => r.path)).toEqual([
      '/api/v1/namespaces/shop',
      '/api/v1/nodes',
      '/api/v1/namespaces/shop/pods',
      '/apis/apps/v1/namespaces/shop/replicasets',
      '/apis/apps/v1/namespaces/shop/deployments',
      '/apis/apps/v1/namespaces/shop/statefulsets',
      '/apis/apps/v1/namespaces/shop/daemonsets',
      '/apis/batch/v1/namespaces/shop/jobs',
      '/apis/batch/v1/namespaces/shop/cronjobs',
      '/api/v1/namespaces/shop/services',
      '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies',
      '/api/v1/namespaces/shop/serviceaccounts',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/shop/roles',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      '/apis/security.istio.io/v1/namespaces/shop/peerauthentications',
      // Node-level data, whatever the filter: the node agents' reports, the control plane's version.
      '/api/v1/namespaces/runwarden-node/configmaps',
      '/version',
    ]);
    expect(result.namespaces).toEqual(['shop']);
    expect(names(result.objects.Namespace)).toEqual(['shop']);
    expect(names(result.objects.Node)).toEqual(['worker-a', 'worker-b']);
    expect(names(result.objects.Pod)).toEqual(['shop/web-7d9c6b5f4d-2xq8w', 'shop/web-7d9c6b5f4d-9plmn']);
    expect(names(result.objects.StatefulSet)).toEqual([]);
    expect(result.origins.get(result.objects.Pod[0] as object)).toBe(`${serverUrl}/api/v1/namespaces/shop/pods (shop/web-7d9c6b5f4d-2xq8w)`);
    expect(result.complete).toEqual([...RESOURCE_KINDS]);
    expect(result.issues).toEqual([]);
  });

  it('replayed API: a namespace that does not exist is an issue, not a gap', async () => {
    const result = await load({}, { namespaces: ['shop', 'staging'] });
    expect(seen.filter((r) => r.path.includes('/staging'))).toHaveLength(14);
    expect(result.issues).toEqual([
      { code: 'kube-namespace-not-found', message: 'Namespace "staging" does not exist', location: `${serverUrl}/api/v1/namespaces/staging`, hint: 'Check --namespace against "kubectl get namespaces".' },
    ]);
    expect(result.namespaces).toEqual(['shop', 'staging']);
    expect(names(result.objects.Namespace)).toEqual(['shop']);
    expect(result.complete).toEqual([...RESOURCE_KINDS]);
  });

  it('throws UsageError for a namespace that is not a DNS-1123 label', async () => {
    const error = await failure(load({}, { namespaces: ['Kube_System'] }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe('Invalid namespace "Kube_System": must be a DNS-1123 label (lower-case letters, digits and "-", at most 63), e.g. "kube-system"');
    expect(seen).toEqual([]);
  });

  it('replayed API: an invalid pod in a list becomes an issue and the other pods are kept', async () => {
    overrides.set('GET /api/v1/pods', () => ({ status: 200, file: 'api/v1/pods.invalid-item.json' }));
    const result = await load({});
    expect(names(result.objects.Pod)).toEqual(['default/nightly-report-28512960-7xk2q', 'shop/web-7d9c6b5f4d-9plmn']);
    expect(result.issues).toEqual([
      {
        code: 'kube-invalid-object',
        message: 'Invalid Pod shop/web-7d9c6b5f4d-broken: spec.containers: Invalid input: expected array, received undefined',
        location: `${serverUrl}/api/v1/pods (shop/web-7d9c6b5f4d-broken)`,
        hint: 'The object was skipped; the rest of the list was read.',
      },
    ]);
  });

  it('replayed API: a reply that is not a Kubernetes list is a kube-bad-response issue', async () => {
    overrides.set('GET /apis/batch/v1/cronjobs', () => ({ status: 200, file: 'recording.json' }));
    const result = await load({});
    expect(result.issues.map((i) => i.code)).toEqual(['kube-bad-response']);
    expect(result.complete).not.toContain('CronJob');
  });

  it('replayed API: retries a 429 that carries Retry-After', async () => {
    overrides.set('GET /api/v1/nodes', (hit) => (hit === 0 ? { status: 429, file: 'status/401-unauthorized.json', headers: { 'Retry-After': '0' } } : undefined));
    const result = await load({});
    expect(seen.filter((r) => r.path === '/api/v1/nodes')).toHaveLength(2);
    expect(result.objects.Node).toHaveLength(2);
    expect(result.issues).toEqual([]);
  });

  it('throws ConfigError listing the contexts and the closest match for an unknown --context', async () => {
    const error = await failure(load({ context: 'replya' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`Unknown context "replya" (--context): --kubeconfig ${kubeconfig} defines "replay", "stale-token", "untrusted", "closed"`);
    expect((error as ConfigError).hint).toBe('Did you mean "replay"? List them with "kubectl config get-contexts".');
  });

  it('replayed API: reads KUBECONFIG as a colon-separated list, skipping missing files, the first file winning', async () => {
    const first = join(dir, 'first.yaml');
    // Defines "replay" again, pointing at the closed port: the first file wins, so that is what is used.
    await writeFile(first, kubeconfigYaml({ replay: { server: closedUrl } }, { reader: { token: 'x' } }, { replay: ['replay', 'reader'] }));
    const error = await failure(loadKubernetes({ env: { KUBECONFIG: [join(dir, 'missing.yaml'), first, kubeconfig].join(':') } }));
    expect(error.message).toContain(`at ${closedUrl} (context "replay")`);

    // A first file without current-context and different names: current-context comes from the second file.
    await writeFile(first, kubeconfigYaml({ elsewhere: { server: closedUrl } }, { nobody: { token: 'x' } }, { elsewhere: ['elsewhere', 'nobody'] }));
    const result = await loadKubernetes({ env: { KUBECONFIG: `${first}:${kubeconfig}` } });
    expect(result.source).toEqual({ type: 'kubernetes', location: serverUrl, context: 'replay' });
  });

  it('replayed API: --kubeconfig wins over KUBECONFIG', async () => {
    const result = await loadKubernetes({ kubeconfig, env: { KUBECONFIG: join(dir, 'missing.yaml') } });
    expect(result.source.context).toBe('replay');
  });

  it('replayed API: uses the in-cluster service account when KUBERNETES_SERVICE_HOST is set and the token is mounted', async () => {
    const sa = join(dir, 'serviceaccount');
    await mkdir(sa, { recursive: true });
    await writeFile(join(sa, 'token'), `${TOKEN}\n`);
    await writeFile(join(sa, 'ca.crt'), caPem);
    const home = join(dir, 'home-with-config');
    await mkdir(join(home, '.kube'), { recursive: true });
    await writeFile(join(home, '.kube', 'config'), await readFile(kubeconfig));
    const port = new URL(serverUrl).port;
    const source = kubernetesSource({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port, HOME: home }, serviceAccountDir: sa });
    expect(source.id).toBe('kubernetes');
    const result = await source.load({});
    expect(result.source).toEqual({ type: 'kubernetes', location: serverUrl, context: 'in-cluster' });
    expect(result.objects.Pod).toHaveLength(5);

    // Without the service-account token, ~/.kube/config is next.
    const fallback = await loadKubernetes({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port, HOME: home }, serviceAccountDir: join(dir, 'nowhere') });
    expect(fallback.source.context).toBe('replay');
  });

  it('throws ConfigError with a hint when no kubeconfig is found', async () => {
    const home = join(dir, 'empty-home');
    await mkdir(home, { recursive: true });
    const error = await failure(loadKubernetes({ env: { HOME: home }, serviceAccountDir: join(dir, 'nowhere') }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`No Kubernetes configuration found: no --kubeconfig, KUBECONFIG is not set, not running in a pod, and ${join(home, '.kube', 'config')} does not exist`);
    expect((error as ConfigError).hint).toBe('Pass --kubeconfig <file>, set KUBECONFIG, or scan a snapshot instead with --snapshot <dir>.');
  });

  it('throws ConfigError for a --kubeconfig that does not exist, and for a forced in-cluster mode outside a pod', async () => {
    const missing = await failure(loadKubernetes({ kubeconfig: join(dir, 'nope.yaml'), env: {} }));
    expect(missing).toBeInstanceOf(ConfigError);
    expect(missing.message).toBe(`Kubeconfig file "${join(dir, 'nope.yaml')}" (--kubeconfig) does not exist`);
    const inCluster = await failure(loadKubernetes({ inCluster: true, env: {} }));
    expect(inCluster).toBeInstanceOf(ConfigError);
    expect(inCluster.message).toBe('Cannot use the in-cluster service account: KUBERNETES_SERVICE_HOST is not set');
  });

  it('replayed API: stops with the abort reason when the signal fires, sending no further request', async () => {
    const controller = new AbortController();
    const error = await failure(load({}, { signal: controller.signal, onProgress: () => controller.abort() }));
    expect(error.name).toBe('AbortError');
    expect(seen.map((r) => r.path)).toEqual(['/api/v1/namespaces']);
  });
});

describe('deploy/clusterrole.yaml', () => {
  it('grants get/list/watch on exactly the resources the source reads, group by group', async () => {
    const text = await readFile(join(TESTDATA, '..', '..', '..', '..', '..', 'deploy', 'clusterrole.yaml'), 'utf8');
    const role = parseAllDocuments(text)
      .map((d) => d.toJS() as { kind?: string; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[] })
      .find((d) => d.kind === 'ClusterRole');
    const granted = (role?.rules ?? []).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res} ${r.verbs.join(',')}`)));
    const needed = API_RESOURCES.map((r) => `${r.group}/${r.plural} get,list,watch`);
    expect(granted.sort()).toEqual(needed.sort());
  });
});
