/**
 * Informers against a replayed API server with watch streams (test/k8s-watch.ts): list + watch with
 * resourceVersion, ADDED/MODIFIED/DELETED, BOOKMARK, 410 Gone, a dropped connection, backoff and readiness,
 * and the node agents' report ConfigMaps (by label, in the agents' namespace).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digest, pod } from '../../../test/k8s.js';
import { bookmark, replaySkipReason, startReplayApi, statusObject, withVersion, type ReplayApi } from '../../../test/k8s-watch.js';
import { encodeNodeReport, nodeReportConfigMap } from '../../agent/index.js';
import { sampleReport } from '../../agent/testdata/reports.js';
import { scan } from '../../scan/index.js';
import { silentLogger } from '../log.js';
import { startWatch, type WatchHandle, type WatchOptions } from './index.js';

const PODS = '/api/v1/pods';
const skipReason = replaySkipReason();
let api: ReplayApi;
let watch: WatchHandle | undefined;

beforeEach(async () => {
  if (skipReason === undefined) api = await startReplayApi();
});
afterEach(async () => {
  watch?.stop();
  watch = undefined;
  if (skipReason === undefined) await api.close();
});

const web = (rv: string, image = 'nginx:1.27', id = 'a'): Record<string, unknown> =>
  withVersion(pod('web-1', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'web-5d9'], containers: [{ name: 'web', image, imageID: `docker.io/library/nginx@${digest(id)}` }] }), rv);
const api2 = (rv: string): Record<string, unknown> => withVersion(pod('api-1', { ns: 'shop', node: 'n1', containers: [{ name: 'api', image: 'api:2', imageID: `docker.io/library/api@${digest('b')}` }] }), rv);

async function start(options: Partial<WatchOptions> = {}): Promise<WatchHandle> {
  watch = await startWatch({ kubeconfig: api.kubeconfig, env: {}, log: silentLogger, backoff: { initialMs: 10, maxMs: 50 }, debounceMs: 20, ...options });
  await watch.initialSync;
  return watch;
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function pods(): string[] {
  return [...(watch?.informers.find((i) => i.options.resource.kind === 'Pod')?.store.keys() ?? [])].sort();
}

describe.skipIf(skipReason !== undefined)(`watched inventory (replayed API server)${skipReason === undefined ? '' : ` (${skipReason})`}`, () => {
  it('replayed: lists, then watches from the list resourceVersion applying ADDED, MODIFIED, DELETED and BOOKMARK', async () => {
    api.setList(PODS, [web('100')], '100');
    api.script(PODS, { events: [{ type: 'ADDED', object: api2('101') }, { type: 'MODIFIED', object: web('102', 'nginx:1.28', 'c') }, { type: 'DELETED', object: api2('103') }, bookmark('Pod', '150')], then: 'end' });
    const w = await start();
    await until('the second watch', () => api.watchRequests(PODS).length >= 2);
    const [first, second] = api.watchRequests(PODS);
    expect(first?.query).toMatchObject({ watch: '1', resourceVersion: '100', allowWatchBookmarks: 'true' });
    expect(second?.query.resourceVersion).toBe('150');
    expect(api.listRequests(PODS)).toHaveLength(1);
    const result = await w.source.load({});
    expect(result.objects.Pod.map((p) => [p.metadata.name, p.spec?.containers?.[0]?.image])).toEqual([['web-1', 'nginx:1.28']]);
    expect(result.complete).toContain('Pod');
    expect(result.source).toEqual({ type: 'kubernetes', location: api.url, context: 'replay' });
  });

  it('replayed: keeps objects trimmed (managedFields, last-applied, pod conditions) from list pages and watch events', async () => {
    const heavy = (o: Record<string, unknown>): Record<string, unknown> => {
      const meta = o.metadata as Record<string, unknown>;
      const status = o.status as Record<string, unknown>;
      return { ...o, metadata: { ...meta, managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'shop' } }, status: { ...status, conditions: [{ type: 'Ready', status: 'True' }] } };
    };
    api.setList(PODS, [heavy(web('100'))], '100');
    api.script(PODS, { events: [{ type: 'ADDED', object: heavy(api2('101')) }], then: 'hang' });
    const w = await start();
    await until('the watched pod', () => pods().length === 2);
    const result = await w.source.load({});
    expect(result.objects.Pod).toHaveLength(2);
    for (const p of result.objects.Pod) {
      expect(p.metadata).not.toHaveProperty('managedFields');
      expect(p.metadata.annotations).toEqual({ team: 'shop' });
      expect(p.status).not.toHaveProperty('conditions');
      expect(p.status?.containerStatuses?.[0]?.imageID).toMatch(/@sha256:/);
    }
  });

  it('replayed: lists in pages of the page size, following continue tokens', async () => {
    api.setList(PODS, [web('100'), api2('100'), withVersion(pod('db-0', { ns: 'data', containers: [{ name: 'db', image: 'postgres:16' }] }), '100')], '100');
    await start({ pageSize: 2 });
    const lists = api.listRequests(PODS);
    expect(lists.map((r) => [r.query.limit, r.query.continue !== undefined])).toEqual([
      ['2', false],
      ['2', true],
    ]);
    expect(pods()).toEqual(['data/db-0', 'shop/api-1', 'shop/web-1']);
  });

  it('replayed: re-lists after a 410 Gone ERROR event and after a 410 watch reply', async () => {
    api.setList(PODS, [web('100')], '100');
    api.script(PODS, { events: [{ type: 'ERROR', object: statusObject(410, 'Expired', 'too old resource version: 100 (200)') }], then: 'hang' });
    const w = await start();
    api.setList(PODS, [web('300'), api2('300')], '300');
    api.script(PODS, { status: 410 });
    await until('the third list', () => api.listRequests(PODS).length >= 3);
    await until('a watch from 300', () => api.watchRequests(PODS).some((r) => r.query.resourceVersion === '300'));
    expect(pods()).toEqual(['shop/api-1', 'shop/web-1']);
    expect(w.stale()).toBeUndefined();
  });

  it('replayed: re-watches from the last resourceVersion after a dropped connection, without a re-list', async () => {
    api.setList(PODS, [web('100')], '100');
    api.script(PODS, { events: [{ type: 'ADDED', object: api2('120') }], then: 'drop' });
    await start();
    await until('a watch from 120', () => api.watchRequests(PODS).some((r) => r.query.resourceVersion === '120'));
    expect(api.listRequests(PODS)).toHaveLength(1);
    expect(pods()).toEqual(['shop/api-1', 'shop/web-1']);
  });

  it('replayed: readiness drops while a watch stays down past the grace period and returns after reconnecting', async () => {
    api.setList(PODS, [web('100')], '100');
    const failing = Array.from({ length: 12 }, () => ({ status: 500 }));
    api.script(PODS, ...failing);
    const w = await start({ staleAfterMs: 300 });
    const othersOpen = (): boolean => w.informers.every((i) => i.label === 'pods' || i.disconnectedSince === undefined);
    await until('the other watches to open and the pods watch to count as stale', () => othersOpen() && w.stale()?.includes('pods') === true, 10_000);
    expect(w.stale()).toMatch(/^inventory stale: watch of pods down for \d+s$/);
    // Backoff: the failed watches are spaced out, not a hot loop.
    const times = api.watchRequests(PODS).length;
    expect(times).toBeLessThan(12);
    await until('the scripted failures to run out and a watch to open', () => api.watchRequests(PODS).length > 12, 10_000);
    api.push(PODS, { type: 'MODIFIED', object: web('130') });
    await until('fresh again', () => w.stale() === undefined);
    const loaded = await w.source.load({});
    expect(loaded.issues).toEqual([]);
  });

  it('replayed: triggers a rescan for a new image digest, not for a status-only change', async () => {
    api.setList(PODS, [web('100')], '100');
    const w = await start();
    const reasons: string[] = [];
    w.onChange((r) => reasons.push(r));
    await until('the watch', () => api.watchRequests(PODS).length >= 1);
    await new Promise((r) => setTimeout(r, 50));
    const statusOnly = web('101');
    (statusOnly.status as Record<string, unknown>).conditions = [{ type: 'Ready', status: 'False' }];
    api.push(PODS, { type: 'MODIFIED', object: statusOnly });
    await new Promise((r) => setTimeout(r, 100));
    expect(reasons).toEqual([]);
    api.push(PODS, { type: 'MODIFIED', object: web('102', 'nginx:1.28', 'd') });
    await until('a trigger', () => reasons.length > 0);
    expect(reasons).toEqual([`new-digest: shop/web-1 ${digest('d')}`]);
    api.push(PODS, { type: 'DELETED', object: web('103', 'nginx:1.28', 'd') });
    await until('a second trigger', () => reasons.length > 1);
    expect(reasons[1]).toBe('pod-deleted: shop/web-1');
  });

  it('replayed: a node condition or version change triggers a rescan; a heartbeat alone does not', async () => {
    const NODES = '/api/v1/nodes';
    const node = (rv: string, pressure: 'True' | 'False', heartbeat: string, kubelet = 'v1.30.4'): Record<string, unknown> =>
      withVersion({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { nodeInfo: { kubeletVersion: kubelet }, conditions: [{ type: 'DiskPressure', status: pressure, lastHeartbeatTime: heartbeat, lastTransitionTime: '2026-11-01T00:00:00Z' }] } }, rv);
    api.setList(NODES, [node('7', 'False', '2026-11-29T00:00:00Z')], '7');
    const w = await start({ debounceMs: 30, quietDebounceMs: 10 });
    const reasons: string[] = [];
    w.onChange((r) => reasons.push(r));
    await until('the watch', () => api.watchRequests(NODES).length >= 1);
    await new Promise((r) => setTimeout(r, 50));
    api.push(NODES, { type: 'MODIFIED', object: node('8', 'False', '2026-11-29T00:00:10Z') });
    await new Promise((r) => setTimeout(r, 150));
    expect(reasons).toEqual([]);
    api.push(NODES, { type: 'MODIFIED', object: node('9', 'True', '2026-11-29T00:00:20Z') });
    await until('a trigger', () => reasons.length > 0);
    expect(reasons).toEqual(['node-modified: n1']);
    api.push(NODES, { type: 'MODIFIED', object: node('10', 'True', '2026-11-29T00:00:30Z', 'v1.31.0') });
    await until('a second trigger', () => reasons.length > 1);
    expect(reasons[1]).toBe('node-modified: n1');
  });

  it('replayed: a lone change fires after the short quiet debounce; changes soon after wait the full debounce and make one trigger', async () => {
    api.setList(PODS, [web('100')], '100');
    const w = await start({ debounceMs: 1500, quietDebounceMs: 20 });
    const fired: Array<{ reason: string; at: number }> = [];
    w.onChange((reason) => fired.push({ reason, at: Date.now() }));
    await until('the watch', () => api.watchRequests(PODS).length >= 1);
    const t0 = Date.now();
    api.push(PODS, { type: 'MODIFIED', object: web('101', 'nginx:1.28', 'd') });
    await until('the first trigger', () => fired.length > 0);
    expect(fired[0]!.at - t0).toBeLessThan(1000);
    // a burst right after: one trigger for both, after the full window
    const t1 = Date.now();
    api.push(PODS, { type: 'MODIFIED', object: web('102', 'nginx:1.29', 'e') });
    api.push(PODS, { type: 'ADDED', object: api2('103') });
    await until('the burst trigger', () => fired.length > 1);
    expect(fired[1]!.at - t1).toBeGreaterThanOrEqual(1400);
    expect(fired[1]!.reason).toBe(`new-digest: shop/web-1 ${digest('e')} (+1 more)`);
    await new Promise((r) => setTimeout(r, 1600));
    expect(fired).toHaveLength(2);
  });

  it('replayed: a forbidden kind becomes an issue and is left out of the complete kinds', async () => {
    api.setListStatus('/apis/rbac.authorization.k8s.io/v1/roles', 403, 'roles.rbac.authorization.k8s.io is forbidden: User "watcher" cannot list resource "roles"');
    const w = await start();
    const result = await w.source.load({});
    expect(result.complete).not.toContain('Role');
    expect(result.complete).toContain('Pod');
    expect(result.issues.map((i) => i.code)).toEqual(['kube-forbidden']);
    expect(result.issues[0]?.message).toMatch(/^Forbidden to list roles.rbac.authorization.k8s.io \(403 Forbidden\): roles.rbac/);
    expect(w.stale()).toBeUndefined();
  });

  it('replayed: an invalid object is an issue, the others are kept', async () => {
    api.setList(PODS, [web('100'), { metadata: { name: 'broken', namespace: 'shop' }, spec: { containers: 'nope' } }], '100');
    const w = await start();
    const result = await w.source.load({});
    expect(result.objects.Pod.map((p) => p.metadata.name)).toEqual(['web-1']);
    expect(result.issues.map((i) => i.code)).toEqual(['kube-invalid-object']);
  });

  it('replayed: watches only the given namespaces', async () => {
    const shop = '/api/v1/namespaces/shop/pods';
    api.setList(shop, [web('100')], '100');
    const w = await start({ namespaces: ['shop'] });
    await until('a namespaced watch', () => api.watchRequests(shop).length >= 1);
    expect(api.requests.some((r) => r.path === PODS)).toBe(false);
    expect(api.requests.find((r) => r.path === '/api/v1/namespaces')?.query.fieldSelector).toBe('metadata.name=shop');
    expect((await w.source.load({})).objects.Pod).toHaveLength(1);
  });

  it('replayed: watches the node agents\' report ConfigMaps by label in their namespace; the scans show them and a changed report triggers a rescan', async () => {
    const REPORTS = '/api/v1/namespaces/runwarden-node/configmaps';
    const published = '2026-11-28T10:00:00.000Z';
    const report = (rv: string, at: string): Record<string, unknown> => withVersion(nodeReportConfigMap('n1', encodeNodeReport(sampleReport('n1', at)).text, 'runwarden-node'), rv);
    // A server that ignores the selector must not smuggle in other ConfigMaps.
    const other = withVersion({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'runwarden-node' }, data: { 'ca.crt': 'x' } }, '40');
    api.setList(REPORTS, [report('41', published), other], '41');
    api.setList('/api/v1/nodes', [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', resourceVersion: '7' }, status: { nodeInfo: { kubeletVersion: 'v1.30.4' } } }], '7');
    const w = await start({ namespaces: ['shop'] });
    expect(api.listRequests(REPORTS)[0]?.query.labelSelector).toBe('app.kubernetes.io/managed-by=runwarden,app.kubernetes.io/component=node-report');
    expect(api.requests.some((r) => r.path === '/api/v1/configmaps')).toBe(false);
    const loaded = await w.source.load({});
    expect(loaded.nodeReports?.status).toBe('read');
    expect(loaded.nodeReports?.configMaps.map((c) => c.metadata.name)).toEqual(['runwarden-node-n1']);
    const { report: scanned } = await scan({ source: w.source, now: new Date('2026-11-28T12:00:00Z') });
    expect(scanned.nodeAgents?.nodes.map((n) => [n.node, n.report, n.agent?.configMap])).toEqual([['n1', 'fresh', 'runwarden-node/runwarden-node-n1']]);

    const reasons: string[] = [];
    w.onChange((r) => reasons.push(r));
    await until('the reports watch', () => api.watchRequests(REPORTS).length >= 1);
    expect(api.watchRequests(REPORTS)[0]?.query).toMatchObject({ labelSelector: 'app.kubernetes.io/managed-by=runwarden,app.kubernetes.io/component=node-report', resourceVersion: '41' });
    // Rewritten with the same content (a new resourceVersion only): nothing to rescan.
    api.push(REPORTS, { type: 'MODIFIED', object: report('42', published) });
    await new Promise((r) => setTimeout(r, 100));
    expect(reasons).toEqual([]);
    const later = '2026-11-28T11:00:00.000Z';
    api.push(REPORTS, { type: 'MODIFIED', object: report('43', later) });
    await until('a trigger', () => reasons.length > 0);
    expect(reasons).toEqual(['node-report-modified: runwarden-node/runwarden-node-n1']);
    const rescanned = await scan({ source: w.source, now: new Date('2026-11-28T12:00:00Z') });
    expect(rescanned.report.nodeAgents?.nodes[0]?.agent?.publishedAt).toBe(later);
  });

  it('replayed: forbidden node reports are an issue naming the Role, not a readiness failure', async () => {
    api.setListStatus('/api/v1/namespaces/runwarden-node/configmaps', 403, 'configmaps is forbidden: User "watcher" cannot list resource "configmaps" in API group "" in the namespace "runwarden-node"');
    const w = await start();
    const loaded = await w.source.load({});
    expect(loaded.nodeReports?.status).toBe('unreadable');
    expect(loaded.nodeReports?.issue?.code).toBe('node-report-forbidden');
    expect(loaded.nodeReports?.issue?.hint).toContain('deploy/node-agent/rbac.yaml');
    expect(loaded.issues).toEqual([]);
    expect(w.stale()).toBeUndefined();
  });

  it('replayed: no report informer with nodeReportNamespace false', async () => {
    const w = await start({ nodeReportNamespace: false });
    expect(w.informers.some((i) => i.options.resource.kind === 'ConfigMap')).toBe(false);
    expect((await w.source.load({})).nodeReports).toBeUndefined();
  });
});
