/**
 * The executor against a real containerd (test/containerd.ts), real pods started over CRI, and the
 * images of test/images.ts. Faults the runtime cannot produce on demand (a RemoveImage error, a
 * failed re-read) are injected by a pass-through proxy in front of the real socket.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../test/components.js';
import { startContainerd, type Containerd } from '../../test/containerd.js';
import { buildImage, buildTestImages, busyboxEntries, layerOf, type BuiltImage, type BuiltLayer } from '../../test/images.js';
import { cleanupRuntime, criClient, readNodeRuntime, type CriClient } from '../inventory/sources/cri/index.js';
import { podRunner, startCriProxy, waitForState, type CriProxy, type PodRunner } from '../inventory/sources/cri/testdata/harness.js';
import { executePlan, type ExecuteOptions, type ExecutionResult } from './executor.js';
import { compileRules, planCleanup, type CleanupPlan, type PlanOptions } from './planner.js';

const noContainerd = requireComponent('containerd', ['containerd', 'ctr', 'runc']);

describe.skipIf(noContainerd !== undefined)(`cleanup executor against a real containerd${noContainerd === undefined ? '' : ` (${noContainerd})`}`, () => {
  let containerd: Containerd;
  let client: CriClient;
  let pods: PodRunner;
  let base: Record<'pause' | 'debian-app' | 'alpine-app', BuiltImage>;
  let busybox: BuiltLayer;
  let dir: string;
  const proxies: CriProxy[] = [];

  /** A distinct tiny image `localhost/rw/<name>:1` sharing the busybox layer with every test image. */
  async function image(name: string): Promise<BuiltImage> {
    const built = await buildImage(dir, { name, layers: [busybox, await layerOf([{ path: 'marker', content: `${name}\n` }])] });
    await containerd.importImage(built.layoutTar);
    return built;
  }

  type Planned = { plan: CleanupPlan; rules: ReturnType<typeof compileRules>; view: Awaited<ReturnType<typeof readNodeRuntime>> };
  async function plan(options: Partial<PlanOptions> = {}, only?: string[], c: CriClient = client): Promise<Planned> {
    const view = await readNodeRuntime(c, { node: 'test-node' });
    const planOptions: PlanOptions = { exclusions: [], now: new Date(), ...options };
    const full = planCleanup(view, planOptions);
    // Tests share one containerd: act only on this test's images.
    const entries = only === undefined ? full.entries : full.entries.filter((e) => e.decision === 'keep' || e.repoTags.some((t) => only.includes(t)));
    const candidates = entries.filter((e) => e.decision === 'remove').length;
    return { plan: { ...full, entries, candidates, kept: entries.length - candidates }, rules: compileRules(planOptions, view.sandboxImage), view };
  }

  /** As `runwarden clean --apply` does: the re-check reads containers the way the plan did. */
  async function execute(p: Planned, options: ExecuteOptions = {}, c: CriClient = client): Promise<ExecutionResult> {
    return executePlan(p.plan, cleanupRuntime(c, p.view), p.rules, { sandboxes: p.view.sandboxes, ...options });
  }

  async function tags(): Promise<string[]> {
    return (await containerd.ctr(['-n', 'k8s.io', 'images', 'ls', '-q'])).trim().split('\n');
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-exec-'));
    base = await buildTestImages(dir);
    busybox = await layerOf(busyboxEntries());
    containerd = await startContainerd();
    for (const b of Object.values(base)) await containerd.importImage(b.layoutTar);
    client = criClient(containerd.address);
    pods = await podRunner(containerd.address);
    const web = await pods.run({ pod: 'web', namespace: 'shop', image: base['debian-app'].reference });
    const migrate = await pods.addContainer(web.podId, { pod: 'web', namespace: 'shop', container: 'migrate', image: base['alpine-app'].reference, command: ['/bin/true'] });
    await waitForState(client, migrate, 'exited');
  });
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.stop();
  });
  afterAll(async () => {
    client?.close();
    await pods?.cleanup();
    pods?.close();
    await containerd?.stop();
  });

  it("removes an unused image and never the running container's, the exited container's, the sandbox or an excluded image", async () => {
    const unused = await image('unused-a');
    const excluded = await image('excluded-a');
    const p = await plan({ exclusions: [{ glob: 'localhost/rw/excluded-*', origin: '--exclude' }] });
    expect(p.plan.entries.filter((e) => e.decision === 'remove').map((e) => e.name)).toEqual([unused.reference]);
    const reasons = Object.fromEntries(p.plan.entries.map((e) => [e.name, e.reasons[0]?.code]));
    expect(reasons).toMatchObject({ [base['debian-app'].reference]: 'in-use', [base['alpine-app'].reference]: 'in-use', [base.pause.reference]: 'sandbox-image', [excluded.reference]: 'excluded' });

    const result = await execute(p);
    expect(result.outcomes.map((o) => [o.name, o.result])).toEqual([[unused.reference, 'removed']]);
    expect(await client.imageStatus(unused.reference)).toBeUndefined();
    const left = await tags();
    expect(left).not.toContain(unused.reference);
    for (const kept of [base['debian-app'].reference, base['alpine-app'].reference, base.pause.reference, excluded.reference]) expect(left).toContain(kept);
    expect(result.fsBefore).toHaveLength(1);
    expect(result.stopped).toBeUndefined();
  });

  it('does not remove a candidate a container started from between planning and removal', async () => {
    const raced = await image('raced-a');
    const p = await plan({}, [raced.reference]);
    expect(p.plan.candidates).toBe(1);
    await pods.run({ pod: 'late', namespace: 'shop', image: raced.reference });
    const result = await execute(p);
    expect(result.outcomes).toMatchObject([{ name: raced.reference, result: 'skipped' }]);
    expect(result.outcomes[0]?.reasons[0]?.code).toBe('in-use');
    expect(result.outcomes[0]?.reasons[0]?.message).toBe('not removed: used by 1 container (1 running): shop/late/app (running) (changed since the plan)');
    expect(await client.imageStatus(raced.reference)).toBeDefined();
  });

  it('does not remove a candidate that nerdctl or ctr started a container from after planning (containerd containers outside CRI)', async () => {
    const outside = await image('outside-late');
    const p = await plan({}, [outside.reference]);
    expect(p.plan.candidates).toBe(1);
    await containerd.ctr(['-n', 'k8s.io', 'containers', 'create', outside.reference, 'outside-late-1']);
    try {
      const result = await execute(p);
      expect(result.outcomes).toMatchObject([{ result: 'skipped', reasons: [{ code: 'in-use', message: 'not removed: used by 1 container (1 unknown): outside-late (containerd, not a pod) (unknown) (changed since the plan)' }] }]);
    } finally {
      await containerd.ctr(['-n', 'k8s.io', 'containers', 'rm', 'outside-late-1']);
    }
  });

  it('re-reads containers before each removal: a container started mid-run protects the next candidate', async () => {
    const first = await image('midrun-big');
    const second = await image('midrun-next');
    const p = await plan({}, [first.reference, second.reference]);
    const order = p.plan.entries.filter((e) => e.decision === 'remove').map((e) => e.name);
    const result = await execute(p, {
      onEvent: async (event) => {
        if (event.type === 'outcome' && event.index === 0) await pods.run({ pod: 'midrun', image: order[1] ?? '' });
      },
    });
    expect(result.outcomes.map((o) => o.result)).toEqual(['removed', 'skipped']);
    expect(await client.imageStatus(order[1] ?? '')).toBeDefined();
  });

  it('removes an image that shares layers with a running image without harming it (content is reference-counted)', async () => {
    const sibling = await image('shares-busybox');
    const p = await plan({}, [sibling.reference]);
    const result = await execute(p);
    expect(result.counts.removed).toBe(1);
    // The running debian-app image shares the busybox layer: it is still complete and starts new containers.
    const status = await client.imageStatus(base['debian-app'].reference);
    expect(status?.repoTags).toEqual([base['debian-app'].reference]);
    const fresh = await pods.run({ pod: 'after-shared', image: base['debian-app'].reference });
    const { containers } = await client.listContainers();
    expect(containers.find((c) => c.id === fresh.containerId)?.state).toBe('running');
    const blobs = await containerd.ctr(['-n', 'k8s.io', 'content', 'ls', '-q']);
    expect(blobs).toContain(busybox.digest);
  });

  it('plans an image with several tags by ID and removes all its names with one RemoveImage', async () => {
    const multi = await image('multi-tag');
    await containerd.ctr(['-n', 'k8s.io', 'images', 'tag', multi.reference, 'localhost/rw/multi-tag:stable']);
    const proxy = await startCriProxy(containerd.address);
    proxies.push(proxy);
    const viaProxy = criClient(proxy.address);
    try {
      const p = await plan({}, [multi.reference], viaProxy);
      const entry = p.plan.entries.find((e) => e.decision === 'remove');
      expect(entry?.repoTags.sort()).toEqual(['localhost/rw/multi-tag:1', 'localhost/rw/multi-tag:stable']);
      const result = await execute(p, {}, viaProxy);
      expect(result.outcomes.map((o) => o.result)).toEqual(['removed']);
      expect(proxy.calls.filter((c) => c.path.endsWith('/RemoveImage'))).toHaveLength(1);
      const left = await tags();
      expect(left.filter((t) => t.startsWith('localhost/rw/multi-tag'))).toEqual([]);
      expect(left).not.toContain(entry?.id);
    } finally {
      viaProxy.close();
    }
  });

  it('reports an image someone else removed mid-run as already gone, and goes on', async () => {
    const gone = await image('gone-a');
    const other = await image('gone-b');
    const p = await plan({}, [gone.reference, other.reference]);
    const result = await execute(p, {
      onEvent: async (event) => {
        if (event.type !== 'start') return;
        await containerd.ctr(['-n', 'k8s.io', 'images', 'rm', '--sync', gone.reference, p.plan.entries.find((e) => e.name === gone.reference)?.id ?? '']);
        // The CRI plugin learns of the deletion from containerd's event stream: wait until it has.
        for (let i = 0; i < 50 && (await client.imageStatus(gone.reference)) !== undefined; i++) await new Promise((r) => setTimeout(r, 50));
      },
    });
    expect(Object.fromEntries(result.outcomes.map((o) => [o.name, o.result]))).toEqual({ [gone.reference]: 'already-gone', [other.reference]: 'removed' });
    expect(result.outcomes.find((o) => o.name === gone.reference)?.reasons[0]?.message).toBe('no longer on the node: removed by someone else since the plan');
  });

  it('reports a runtime error on one image and removes the others', async () => {
    const names = [await image('err-a'), await image('err-b'), await image('err-c')].map((b) => b.reference);
    const view = await readNodeRuntime(client, { node: 'n' });
    const badId = view.images.find((i) => i.repoTags.includes('localhost/rw/err-b:1'))?.id ?? '';
    const proxy = await startCriProxy(containerd.address, {
      fault: (path, request) => (path.endsWith('/RemoveImage') && request.includes(Buffer.from(badId)) ? { code: grpc.status.INTERNAL, details: 'failed to delete image reference: injected fault' } : undefined),
    });
    proxies.push(proxy);
    const viaProxy = criClient(proxy.address);
    try {
      const result = await execute(await plan({}, names, viaProxy), {}, viaProxy);
      expect(Object.fromEntries(result.outcomes.map((o) => [o.name, o.result]))).toEqual({ 'localhost/rw/err-a:1': 'removed', 'localhost/rw/err-b:1': 'failed', 'localhost/rw/err-c:1': 'removed' });
      const failed = result.outcomes.find((o) => o.result === 'failed');
      expect(failed?.error).toBe(`CRI RemoveImage failed on ${proxy.address.slice('unix://'.length)} (--cri ${proxy.address}): INTERNAL failed to delete image reference: injected fault.`);
      expect(result.stopped).toBeUndefined();
      expect(await client.imageStatus('localhost/rw/err-b:1')).toBeDefined();
    } finally {
      viaProxy.close();
    }
  });

  it('stops after N runtime failures in a row and does not attempt the rest', async () => {
    const names = [await image('stop-a'), await image('stop-b'), await image('stop-c'), await image('stop-d')].map((b) => b.reference);
    const proxy = await startCriProxy(containerd.address, { fault: (path) => (path.endsWith('/RemoveImage') ? { code: grpc.status.UNAVAILABLE, details: 'injected: runtime going away' } : undefined) });
    proxies.push(proxy);
    const viaProxy = criClient(proxy.address);
    try {
      const result = await execute(await plan({}, names, viaProxy), { stopAfterFailures: 2 }, viaProxy);
      expect(result.outcomes.map((o) => o.result)).toEqual(['failed', 'failed', 'not-attempted', 'not-attempted']);
      expect(result.stopped).toBe('2 runtime failures in a row (--stop-after-failures 2)');
      expect(proxy.calls.filter((c) => c.path.endsWith('/RemoveImage'))).toHaveLength(2);
      for (const name of names) expect(await client.imageStatus(name)).toBeDefined();
    } finally {
      viaProxy.close();
    }
  });

  it('never removes when the containers cannot be re-read right before removal', async () => {
    const blind = await image('blind-a');
    const proxy = await startCriProxy(containerd.address);
    proxies.push(proxy);
    const viaProxy = criClient(proxy.address);
    try {
      const p = await plan({}, [blind.reference], viaProxy);
      // From now on ListContainers fails: the plan is there, the safety re-check is not possible.
      const failing = await startCriProxy(containerd.address, { fault: (path) => (path.endsWith('/ListContainers') ? { code: grpc.status.UNAVAILABLE, details: 'injected' } : undefined) });
      proxies.push(failing);
      const blindClient = criClient(failing.address);
      const result = await execute(p, {}, blindClient);
      blindClient.close();
      expect(result.outcomes).toMatchObject([{ result: 'failed', reasons: [{ code: 'recheck-failed', message: 'not removed: could not re-read the image and containers right before removal' }] }]);
      expect(failing.calls.filter((c) => c.path.endsWith('/RemoveImage'))).toEqual([]);
      expect(await client.imageStatus(blind.reference)).toBeDefined();
    } finally {
      viaProxy.close();
    }
  });

  it('removes at most --max-removals images and defers the rest', async () => {
    const names = [await image('cap-a'), await image('cap-b'), await image('cap-c')].map((b) => b.reference);
    const result = await execute(await plan({}, names), { maxRemovals: 1 });
    expect(result.outcomes.map((o) => o.result)).toEqual(['removed', 'deferred', 'deferred']);
    expect(result.outcomes[1]?.reasons[0]?.message).toBe('deferred: --max-removals 1 reached; a later run removes it');
    expect(result.counts).toMatchObject({ removed: 1, deferred: 2 });
  });

  it('stops on an aborted signal and leaves the rest not attempted', async () => {
    const names = [await image('abort-a'), await image('abort-b')].map((b) => b.reference);
    const controller = new AbortController();
    const result = await execute(await plan({}, names), {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'outcome' && event.index === 0) controller.abort(new Error('SIGTERM'));
      },
    });
    expect(result.outcomes.map((o) => o.result)).toEqual(['removed', 'not-attempted']);
    expect(result.stopped).toBe('interrupted: SIGTERM');
  });
});
