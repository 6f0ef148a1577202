/**
 * Leader election against the replayed Kubernetes API (test/kube-api.ts: HTTPS, bearer token) with a Lease
 * store that plays the API server's semantics: GET 404 with `details.kind: leases`, POST 409 AlreadyExists,
 * PUT 409 Conflict on a stale resourceVersion, 403 Forbidden for a ServiceAccount without the Role. Two
 * replay servers can share one store, so one candidate can be cut off (a partition, or a dead node) while the
 * other still reaches the "API server". Timings are shrunk (lease 2 s, renew deadline 1.5 s, retry 0.1 s).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startKubeApi, status, type KubeApi, type KubeHandler, type RecordedRequest } from '../../../test/kube-api.js';
import { replaySkipReason } from '../../../test/k8s-watch.js';
import { KubeApiError } from '../../core/errors.js';
import { ApiClient } from '../../inventory/sources/kubernetes/client.js';
import { resolveKubeconfig } from '../../inventory/sources/kubernetes/index.js';
import type { Logger } from '../log.js';
import { ServeMetrics } from '../metrics/index.js';
import { LeaderElector, electionDefaults, microTime, validateTimings, type LeaderElectionOptions } from './index.js';

const NS = 'runwarden';
const NAME = 'runwarden-serve';
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;
// Short, but with room for event-loop stalls of a loaded CI machine (the renew deadline is what a stall must not exceed).
const FAST = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 100 };

type Lease = { metadata: Record<string, unknown> & { resourceVersion: string }; spec: Record<string, unknown> };

/** One Lease as the API server keeps it; `before` runs ahead of each request (to script a concurrent writer). */
function leaseStore(): { handler: KubeHandler; lease: () => Lease | undefined; put: (spec: Record<string, unknown>) => void; before: (hook: ((r: RecordedRequest) => void) | undefined) => void } {
  let lease: Lease | undefined;
  let version = 500;
  let hook: ((r: RecordedRequest) => void) | undefined;
  const details = { name: NAME, group: 'coordination.k8s.io', kind: 'leases' };
  const store = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}): Lease => {
    lease = { metadata: { ...meta, name: NAME, namespace: NS, uid: 'uid-lease', resourceVersion: String(++version) }, spec };
    return lease;
  };
  const handler: KubeHandler = (r) => {
    hook?.(r);
    if (r.path === LEASES && r.method === 'POST') {
      if (lease !== undefined) return status(409, 'AlreadyExists', `leases.coordination.k8s.io "${NAME}" already exists`, details);
      const body = r.body as Lease;
      return { status: 201, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...store(body.spec) } };
    }
    if (r.path !== `${LEASES}/${NAME}`) return undefined;
    if (r.method === 'GET') return lease === undefined ? status(404, 'NotFound', `leases.coordination.k8s.io "${NAME}" not found`, details) : { status: 200, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease } };
    if (r.method === 'PUT') {
      if (lease === undefined) return status(404, 'NotFound', `leases.coordination.k8s.io "${NAME}" not found`, details);
      const body = r.body as Lease;
      if (body.metadata.resourceVersion !== lease.metadata.resourceVersion) {
        return status(409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${NAME}": the object has been modified; please apply your changes to the latest version and try again`, details);
      }
      return { status: 200, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...store(body.spec) } };
    }
    return undefined;
  };
  return { handler, lease: () => lease, put: (spec) => void store(spec), before: (h) => (hook = h) };
}

const skip = replaySkipReason();
const apis: KubeApi[] = [];
const electors: LeaderElector[] = [];
const clients: ApiClient[] = [];

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
  for (const c of clients.splice(0)) c.close();
  await Promise.all(apis.splice(0).map((a) => a.close()));
});

async function api(store: ReturnType<typeof leaseStore>): Promise<KubeApi> {
  const a = await startKubeApi();
  a.handle(store.handler);
  apis.push(a);
  return a;
}

interface Candidate {
  elector: LeaderElector;
  logs: Array<{ msg: string; fields: Record<string, unknown> | undefined }>;
  /** [time, leading] of each change. */
  changes: Array<[number, boolean]>;
}

async function candidate(server: KubeApi, identity: string, extra: Partial<LeaderElectionOptions> = {}): Promise<Candidate> {
  const client = new ApiClient(await resolveKubeconfig({ kubeconfig: server.kubeconfig, env: {} }), 2000);
  clients.push(client);
  const logs: Candidate['logs'] = [];
  const log: Logger = (_level, msg, fields) => logs.push({ msg, fields });
  const elector = new LeaderElector({ client, namespace: NS, name: NAME, identity, log, ...FAST, ...extra });
  const changes: Candidate['changes'] = [];
  elector.onChange((leading) => changes.push([Date.now(), leading]));
  electors.push(elector);
  return { elector, logs, changes };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(skip !== undefined)(`leader election over a Lease (replayed API)${skip === undefined ? '' : ` (${skip})`}`, () => {
  it('replayed API: two candidates against one Lease, exactly one leads and keeps renewing; the other stays a follower', async () => {
    const store = leaseStore();
    const server = await api(store);
    const a = await candidate(server, 'pod-a_1');
    const b = await candidate(server, 'pod-b_2');
    await Promise.all([a.elector.start(), b.elector.start()]);
    await new Promise((r) => setTimeout(r, 2500));
    const leaders = [a, b].filter((c) => c.elector.leading);
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]?.elector;
    const follower = leader === a.elector ? b.elector : a.elector;
    expect(store.lease()?.spec).toMatchObject({ holderIdentity: leader?.identity, leaseDurationSeconds: 2, leaseTransitions: 0 });
    expect(store.lease()?.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // Renewed by the leader well within the lease (every retry period), so the follower never took over.
    expect(Date.now() - Date.parse(String(store.lease()?.spec.renewTime))).toBeLessThan(FAST.renewDeadlineMs);
    expect(follower.leading).toBe(false);
    expect(follower.holder).toBe(leader?.identity);
    expect([...a.changes, ...b.changes].filter(([, l]) => l)).toHaveLength(1);
    const puts = server.requests.filter((r) => r.method === 'PUT');
    expect(puts.length).toBeGreaterThan(8);
    expect(puts.every((r) => typeof (r.body as Lease).metadata.resourceVersion === 'string')).toBe(true);
  });

  it('replayed API: the leader cut off from the API steps down at the renew deadline; the other takes over only after the lease expired', async () => {
    const store = leaseStore();
    const serverA = await api(store);
    const serverB = await api(store);
    const a = await candidate(serverA, 'pod-a_1');
    await a.elector.start();
    expect(a.elector.leading).toBe(true);
    const b = await candidate(serverB, 'pod-b_2');
    await b.elector.start();
    expect(b.elector.leading).toBe(false);
    let cut = 0;
    serverA.handle(() => {
      if (cut === 0) cut = Date.now();
      return status(503, 'ServiceUnavailable', 'partitioned');
    });
    await until('b to take over', () => b.elector.leading, 8000);
    const stepDown = a.changes.find(([, l]) => !l)?.[0];
    const takeOver = b.changes.find(([, l]) => l)?.[0];
    expect(stepDown).toBeDefined();
    expect(takeOver).toBeDefined();
    // A stops within the renew deadline (+ one retry period); B only after a whole lease duration: no overlap.
    expect((stepDown ?? 0) - cut).toBeLessThan(FAST.renewDeadlineMs + 2 * FAST.retryPeriodMs + 400);
    expect(takeOver).toBeGreaterThan(stepDown ?? Infinity);
    expect((takeOver ?? 0) - cut).toBeGreaterThanOrEqual(FAST.leaseDurationMs - FAST.retryPeriodMs);
    expect(a.logs.map((l) => l.msg)).toContain('leadership lost: lease not renewed within the renew deadline; scanning stopped');
    expect(store.lease()?.spec).toMatchObject({ holderIdentity: 'pod-b_2', leaseTransitions: 1 });
    expect(b.logs.map((l) => l.msg)).toContain('leader lease taken over (expired)');
  });

  it('replayed API: a 409 on create or on update is a lost race, not an error, and a leader that sees another holder steps down at once', async () => {
    const store = leaseStore();
    const server = await api(store);
    // Another candidate creates the Lease between our GET (404) and our POST.
    store.before((r) => {
      if (r.method === 'POST') store.put({ holderIdentity: 'pod-x_9', leaseDurationSeconds: 2, renewTime: microTime(Date.now()), leaseTransitions: 0 });
    });
    const a = await candidate(server, 'pod-a_1');
    await a.elector.start();
    expect(a.elector.leading).toBe(false);
    expect(a.elector.lastError).toBeUndefined();
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    // pod-x renews once more just before each of our PUTs (a stale resourceVersion: 409), then vanishes.
    store.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
    let conflicts = 0;
    store.before((r) => {
      if (r.method === 'PUT' && conflicts < 2) {
        conflicts++;
        store.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
      }
    });
    await until('a to lead', () => a.elector.leading, 3000);
    expect(conflicts).toBe(2);
    expect(server.requests.filter((r) => r.method === 'PUT').length).toBeGreaterThanOrEqual(3);
    store.before(undefined);
    // Someone else writes itself into the Lease (e.g. a forced takeover): the leader stops at its next renew.
    store.put({ holderIdentity: 'pod-x_9', leaseDurationSeconds: 15, renewTime: microTime(Date.now()), leaseTransitions: 2 });
    await until('a to step down', () => !a.elector.leading, 3000);
    expect(a.logs.map((l) => l.msg)).toContain('leadership lost: another replica holds the lease; scanning stopped');
  });

  it('replayed API: a release on shutdown clears the holder so a follower takes over within a retry period, not a lease duration', async () => {
    const store = leaseStore();
    const server = await api(store);
    const metrics = new ServeMetrics();
    const a = await candidate(server, 'pod-a_1', { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, metrics });
    await a.elector.start();
    expect(await metrics.render()).toMatch(/^runwarden_leader 1$/m);
    const b = await candidate(server, 'pod-b_2', { leaseDurationMs: 15_000, renewDeadlineMs: 10_000 });
    await b.elector.start();
    expect(b.elector.leading).toBe(false);
    const released = Date.now();
    await a.elector.stop();
    expect(a.elector.leading).toBe(false);
    expect(await metrics.render()).toMatch(/^runwarden_leader 0$/m);
    expect(store.lease()?.spec.holderIdentity ?? null).toBeNull();
    await until('b to take over', () => b.elector.leading, 1000);
    expect(Date.now() - released).toBeLessThan(1000);
  });

  it('replayed API: 403 Forbidden fails at start with one line naming the RBAC rule the ServiceAccount needs', async () => {
    const server = await startKubeApi();
    apis.push(server);
    server.handle((r) => (r.path.startsWith(LEASES) ? status(403, 'Forbidden', `leases.coordination.k8s.io "${NAME}" is forbidden: User "system:serviceaccount:runwarden:runwarden" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "${NS}"`) : undefined));
    const a = await candidate(server, 'pod-a_1');
    const error = await a.elector.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).message).toBe(
      `Leader election: forbidden to get Lease "${NAME}" in namespace "${NS}": leases.coordination.k8s.io "${NAME}" is forbidden: User "system:serviceaccount:runwarden:runwarden" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "${NS}"`,
    );
    expect((error as KubeApiError).hint).toContain('get, create and update on leases.coordination.k8s.io');
    expect(a.elector.leading).toBe(false);
  });

  it('replayed API: a missing namespace fails at start naming the namespace flag', async () => {
    const server = await startKubeApi();
    apis.push(server);
    server.handle((r) => (r.method === 'GET' && r.path === `${LEASES}/${NAME}` ? status(404, 'NotFound', `leases.coordination.k8s.io "${NAME}" not found`, { name: NAME, group: 'coordination.k8s.io', kind: 'leases' }) : undefined));
    server.handle((r) => (r.method === 'POST' ? status(404, 'NotFound', `namespaces "${NS}" not found`, { name: NS, kind: 'namespaces' }) : undefined));
    const a = await candidate(server, 'pod-a_1');
    await expect(a.elector.start()).rejects.toThrow(`Leader election: cannot create Lease "${NAME}" in namespace "${NS}": namespaces "${NS}" not found`);
  });
});

describe('leader election settings', () => {
  it.each([
    [{ leaseDurationMs: 15_000, renewDeadlineMs: 15_000, retryPeriodMs: 2000 }, 'must be longer than --leader-election-renew-deadline'],
    [{ leaseDurationMs: 15_000, renewDeadlineMs: 2000, retryPeriodMs: 2000 }, 'must be longer than --leader-election-retry-period'],
    [{ leaseDurationMs: 15_500, renewDeadlineMs: 10_000, retryPeriodMs: 2000 }, 'must be whole seconds'],
  ])('rejects inconsistent timings %j', (timings, message) => {
    expect(() => validateTimings(timings)).toThrow(message);
  });

  it('takes the namespace from POD_NAMESPACE and the identity from POD_NAME with a random suffix', async () => {
    const resolved = { kubeConfig: { getContextObject: () => ({ namespace: 'from-context' }) }, context: 'x', server: 'https://x', origin: 'test' } as unknown as Parameters<typeof electionDefaults>[2];
    const a = await electionDefaults(undefined, { POD_NAMESPACE: 'ops', POD_NAME: 'runwarden-7f9c' }, resolved, '/nonexistent');
    const b = await electionDefaults(undefined, { POD_NAMESPACE: 'ops', POD_NAME: 'runwarden-7f9c' }, resolved, '/nonexistent');
    expect(a.namespace).toBe('ops');
    expect(a.identity).toMatch(/^runwarden-7f9c_[0-9a-f]{8}$/);
    expect(a.identity).not.toBe(b.identity);
    expect((await electionDefaults(undefined, {}, resolved, '/nonexistent')).namespace).toBe('from-context');
    expect((await electionDefaults('flag-ns', { POD_NAMESPACE: 'ops' }, resolved, '/nonexistent')).namespace).toBe('flag-ns');
    await expect(electionDefaults('Bad_NS', {}, resolved, '/nonexistent')).rejects.toThrow('Invalid leader-election namespace "Bad_NS"');
  });
});
