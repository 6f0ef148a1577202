/**
 * Two `startServe` replicas behind leader election (replayed API with a Lease store, test/kube-api.ts), over the
 * real scan pipeline on a copy of the demo snapshot and one SQLite history file both open (the shared store):
 * only the leader scans and writes; the follower serves the same history and the leader's published scan, and
 * says "follower" on /readyz; the follower takes over on a release, and a leader that loses the Lease abandons
 * its running scan at once.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKubeApi, status, type KubeApi, type KubeHandler } from '../../../test/kube-api.js';
import { replaySkipReason } from '../../../test/k8s-watch.js';
import type { InventorySource } from '../../inventory/source.js';
import { ApiClient } from '../../inventory/sources/kubernetes/client.js';
import { resolveKubeconfig } from '../../inventory/sources/kubernetes/index.js';
import { snapshotSource } from '../../inventory/sources/snapshot/index.js';
import { demoSnapshotPath } from '../../paths.js';
import { openDatabase } from '../../store/db.js';
import { sqliteExecutor } from '../history/sqlite.js';
import { HistoryStore } from '../history/store.js';
import { startServe, type ServeHandle } from '../index.js';
import type { Logger } from '../log.js';
import { ServeMetrics } from '../metrics/index.js';
import { LeaderElector } from './index.js';

const LEASE = '/apis/coordination.k8s.io/v1/namespaces/runwarden/leases';

/** The API server's Lease semantics, reduced to what the elector uses (index.test.ts has the full store). */
function leaseStore(): KubeHandler {
  let lease: { metadata: Record<string, unknown>; spec: unknown } | undefined;
  let version = 1;
  return (r) => {
    if (r.path === LEASE && r.method === 'POST') {
      if (lease !== undefined) return status(409, 'AlreadyExists', 'leases.coordination.k8s.io "runwarden-serve" already exists');
      lease = { metadata: { name: 'runwarden-serve', namespace: 'runwarden', resourceVersion: String(++version) }, spec: (r.body as { spec: unknown }).spec };
      return { status: 201, body: lease };
    }
    if (r.path !== `${LEASE}/runwarden-serve`) return undefined;
    if (r.method === 'GET') return lease === undefined ? status(404, 'NotFound', 'leases.coordination.k8s.io "runwarden-serve" not found') : { status: 200, body: lease };
    const body = r.body as { metadata: { resourceVersion?: string }; spec: unknown };
    if (lease === undefined || body.metadata.resourceVersion !== lease.metadata.resourceVersion) return status(409, 'Conflict', 'the object has been modified');
    lease = { metadata: { ...lease.metadata, resourceVersion: String(++version) }, spec: body.spec };
    return { status: 200, body: lease };
  };
}

const skip = replaySkipReason();
let dir = '';
let api: KubeApi | undefined;
const handles: ServeHandle[] = [];
const electors: LeaderElector[] = [];
const clients: ApiClient[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-serve-leader-'));
  await cp(demoSnapshotPath(), join(dir, 'cluster'), { recursive: true });
});
afterEach(async () => {
  for (const h of handles.splice(0)) await h.stop(1000);
  await Promise.all(electors.splice(0).map((e) => e.stop()));
  for (const c of clients.splice(0)) c.close();
  await api?.close();
  api = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function replica(name: string, options: { source?: InventorySource; sharedStore?: boolean; logs?: string[] } = {}): Promise<{ handle: ServeHandle; elector: LeaderElector; history: HistoryStore }> {
  if (api === undefined) throw new Error('no API');
  const client = new ApiClient(await resolveKubeconfig({ kubeconfig: api.kubeconfig, env: {} }), 2000);
  clients.push(client);
  const log: Logger = (_level, msg) => options.logs?.push(msg);
  const elector = new LeaderElector({ client, namespace: 'runwarden', name: 'runwarden-serve', identity: name, leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 200, log });
  electors.push(elector);
  await elector.start();
  const history = new HistoryStore(sqliteExecutor(openDatabase(join(dir, 'history.db')), { closeDb: true }));
  const handle = await startServe({
    scan: { source: options.source ?? snapshotSource({ path: join(dir, 'cluster') }) },
    history,
    host: '127.0.0.1',
    port: 0,
    tokens: undefined,
    intervalMs: undefined,
    retainMs: undefined,
    metrics: new ServeMetrics(),
    log,
    leader: elector,
    sharedStore: options.sharedStore ?? true,
  });
  handles.push(handle);
  return { handle, elector, history };
}

async function text(url: string): Promise<[number, string]> {
  const res = await fetch(url);
  return [res.status, await res.text()];
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(skip !== undefined)(`serve with leader election (replayed API)${skip === undefined ? '' : ` (${skip})`}`, () => {
  it('replayed API: only the leader scans and writes; the follower serves the shared history, is ready as "follower", and takes over on release', async () => {
    api = await startKubeApi();
    api.handle(leaseStore());
    const a = await replica('pod-a');
    await a.handle.firstScan;
    const b = await replica('pod-b');
    expect(a.elector.leading).toBe(true);
    expect(b.elector.leading).toBe(false);
    // Triggers reach only the leader's monitor.
    b.handle.trigger('interval');
    await new Promise((r) => setTimeout(r, 300));
    expect(b.handle.monitor.scansRun).toBe(0);
    expect(b.handle.monitor.busy).toBe(false);
    // The follower loaded the scan the leader published: it answers from it, and says which one it holds.
    const published = a.handle.latest()?.scanId ?? '';
    expect(b.handle.latest()?.scanId).toBe(published);
    expect(await text(`${b.handle.url}/readyz`)).toEqual([200, `ok (follower; leader: pod-a; scan ${published})\n`]);
    expect((await fetch(`${b.handle.url}/api/v1/report?format=json`)).headers.get('etag')).toBe(`"${published}-json"`);
    expect(await text(`${a.handle.url}/readyz`)).toEqual([200, 'ok\n']);
    const scansOn = async (h: ServeHandle): Promise<Array<{ reason: string }>> => ((await (await fetch(`${h.url}/api/v1/scans`)).json()) as { items: Array<{ reason: string }> }).items;
    expect((await scansOn(b.handle)).map((s) => s.reason)).toEqual(['startup']);

    // Graceful stop of the leader: its last scan is stored, the Lease released, the follower leads within a retry period or two.
    const stopped = handles.shift();
    await stopped?.stop(1000);
    await a.elector.stop();
    await until('b to lead and scan', async () => b.elector.leading && (await scansOn(b.handle)).length === 2);
    expect((await scansOn(b.handle)).map((s) => s.reason)).toEqual(['leader-elected', 'startup']);
    expect(b.handle.monitor.scansRun).toBe(1);
    expect(await text(`${b.handle.url}/readyz`)).toEqual([200, 'ok\n']);
  });

  it('replayed API: a follower whose store is not shared (SQLite of its own) is not ready, saying why', async () => {
    api = await startKubeApi();
    api.handle(leaseStore());
    const a = await replica('pod-a', { sharedStore: false });
    await a.handle.firstScan;
    const b = await replica('pod-b', { sharedStore: false });
    const [code, body] = await text(`${b.handle.url}/readyz`);
    expect(code).toBe(503);
    expect(body).toBe('not ready: follower (leader: pod-a) with a history store the leader does not write: use --store postgres://… so every replica serves\n');
  });

  it('replayed API: a leader that loses the Lease abandons its running scan at once and writes no scan', async () => {
    api = await startKubeApi();
    api.handle(leaseStore());
    let started!: () => void;
    const loading = new Promise<void>((resolve) => {
      started = resolve;
    });
    // A scan that hangs in its inventory load until aborted.
    const source: InventorySource = {
      id: 'snapshot',
      load: (options) =>
        new Promise((_resolve, reject) => {
          started();
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error), { once: true });
        }),
    };
    const logs: string[] = [];
    const a = await replica('pod-a', { source, logs });
    await loading;
    expect(a.handle.monitor.busy).toBe(true);
    const monitorOfTerm = a.handle.monitor;
    // The API server now refuses the leader (a partition): it steps down at the renew deadline.
    api.handle(() => status(503, 'ServiceUnavailable', 'partitioned'));
    const cut = Date.now();
    await until('the scan to be abandoned', () => !monitorOfTerm.busy, 6000);
    // Within the renew deadline (3 s) and a retry period, before the Lease (4 s) could pass to another replica.
    expect(Date.now() - cut).toBeLessThan(3900);
    expect(a.elector.leading).toBe(false);
    expect(a.handle.monitor).not.toBe(monitorOfTerm);
    expect(logs).toContain('leadership lost: lease not renewed within the renew deadline; scanning stopped');
    expect(monitorOfTerm.lastError).toBe('Scan abandoned at shutdown');
    expect(await a.history.scans({ limit: 10, status: 'ok' })).toEqual([]);
  });
});
