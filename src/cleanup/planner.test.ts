import { describe, expect, it } from 'vitest';
import type { NodeContainer, NodeImage, NodeRuntime, NodeSandbox } from '../core/node-runtime.js';
import { compileRules, evaluateImage, planCleanup, type PlanOptions } from './planner.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const daysAgo = (d: number): string => new Date(NOW.getTime() - d * 86_400_000).toISOString();
const hex = (c: string): string => c.repeat(64);

function image(id: string, tags: string[], extra: Partial<NodeImage> = {}): NodeImage {
  return { id: `sha256:${hex(id)}`, repoTags: tags, repoDigests: [], sizeBytes: 1000, pinned: false, targetDigests: [], createdAt: daysAgo(30), updatedAt: daysAgo(30), ...extra };
}

function container(id: string, imageRef: string, extra: Partial<NodeContainer> = {}): NodeContainer {
  return { id: hex(id), name: `c-${id}`, attempt: 0, sandboxId: 'pod1', image: imageRef, imageRef, state: 'running', createdAt: daysAgo(1), labels: {}, origin: 'cri', ...extra };
}

const SANDBOX: NodeSandbox = { id: 'pod1', name: 'web-0', namespace: 'shop', uid: 'u1', attempt: 0, state: 'ready', createdAt: daysAgo(1), runtimeHandler: '' };

function view(images: NodeImage[], containers: NodeContainer[] = [], extra: Partial<NodeRuntime> = {}): NodeRuntime {
  return {
    node: 'node-1',
    address: 'unix:///run/containerd/containerd.sock',
    runtime: { name: 'containerd', version: '1.7.0', apiVersion: 'v1' },
    conditions: [],
    sandboxImage: 'registry.k8s.io/pause:3.9',
    images,
    containers,
    sandboxes: [SANDBOX],
    imageFs: [],
    containersComplete: true,
    containerdContainers: 'listed',
    readAt: NOW.toISOString(),
    issues: [],
    ...extra,
  };
}

const options = (extra: Partial<PlanOptions> = {}): PlanOptions => ({ exclusions: [], now: NOW, ...extra });

function decisions(plan: ReturnType<typeof planCleanup>): Record<string, string> {
  return Object.fromEntries(plan.entries.map((e) => [e.name, `${e.decision}:${e.reasons.map((r) => r.code).join('+')}`]));
}

describe('planCleanup', () => {
  it('plans an image no container uses, and keeps the images of running, exited and created containers', () => {
    const images = [image('a', ['docker.io/library/nginx:1.25']), image('b', ['docker.io/library/redis:7']), image('c', ['quay.io/app/job:2']), image('d', ['quay.io/app/init:1']), image('e', ['docker.io/library/old:1'])];
    const plan = planCleanup(
      view(images, [
        container('1', `sha256:${hex('a')}`),
        container('2', `sha256:${hex('b')}`, { state: 'exited' }),
        container('3', `sha256:${hex('c')}`, { state: 'created' }),
        container('4', `sha256:${hex('d')}`, { state: 'unknown' }),
      ]),
      options(),
    );
    expect(decisions(plan)).toEqual({
      'docker.io/library/old:1': 'remove:unused',
      'docker.io/library/nginx:1.25': 'keep:in-use',
      'docker.io/library/redis:7': 'keep:in-use',
      'quay.io/app/init:1': 'keep:in-use',
      'quay.io/app/job:2': 'keep:in-use',
    });
    expect(plan.entries.find((e) => e.name === 'docker.io/library/redis:7')?.reasons[0]?.message).toBe(`used by 1 container (1 exited): shop/web-0/c-2 (exited)`);
    expect(plan.entries.find((e) => e.name === 'docker.io/library/redis:7')?.usedBy).toEqual(['shop/web-0/c-2 (exited)']);
    expect(plan.entries[0]?.reasons[0]?.message).toBe('no container uses it (4 on the node, any state); not the sandbox image, not pinned, no exclusion matches');
    expect(plan.candidates).toBe(1);
    expect(plan.kept).toBe(4);
    expect(plan.reclaimableBytes).toBe(1000);
  });

  it('keeps an image a container names by tag even when the container runs another image (the tag moved)', () => {
    const old = image('a', []);
    const current = image('b', ['docker.io/library/nginx:latest']);
    // Created from "nginx" (implicit :latest) when it pointed at the old image; the kubelet recreates it from the tag.
    const plan = planCleanup(view([old, current], [container('1', `sha256:${hex('a')}`, { image: 'nginx' })]), options());
    expect(plan.entries.map((e) => [e.id, e.decision])).toEqual([
      [`sha256:${hex('a')}`, 'keep'],
      [`sha256:${hex('b')}`, 'keep'],
    ]);
  });

  it('matches containers by repo digest, short ID, and bare hex IDs (CRI-O)', () => {
    const byDigest = image('a', ['quay.io/x/a:1'], { repoDigests: [`quay.io/x/a@sha256:${hex('f')}`] });
    const byShortId = image('b', ['quay.io/x/b:1']);
    const crio = { ...image('c', ['quay.io/x/c:1']), id: hex('c') };
    const plan = planCleanup(
      view(
        [byDigest, byShortId, crio, image('d', ['quay.io/x/d:1'])],
        [container('1', `quay.io/x/a@sha256:${hex('f')}`), container('2', hex('b').slice(0, 12)), container('3', `sha256:${hex('c')}`)],
      ),
      options(),
    );
    expect(decisions(plan)).toEqual({ 'quay.io/x/d:1': 'remove:unused', 'quay.io/x/a:1': 'keep:in-use', 'quay.io/x/b:1': 'keep:in-use', 'quay.io/x/c:1': 'keep:in-use' });
  });

  it('keeps the image of a container containerd runs outside Kubernetes, naming it as such', () => {
    const plan = planCleanup(view([image('a', ['docker.io/library/redis:7'])], [container('1', '', { image: 'redis:7', origin: 'containerd', name: 'cache', sandboxId: '', state: 'unknown' })]), options());
    expect(plan.entries[0]?.reasons).toEqual([{ code: 'in-use', message: 'used by 1 container (1 unknown): cache (containerd, not a pod) (unknown)' }]);
  });

  it('keeps the sandbox image the runtime reports, and any */pause image by default', () => {
    const plan = planCleanup(view([image('a', ['registry.k8s.io/pause:3.9']), image('b', ['mcr.microsoft.com/oss/kubernetes/pause:3.6']), image('c', ['localhost/own/sandbox:1'])], [], { sandboxImage: 'localhost/own/sandbox:1' }), options());
    expect(decisions(plan)).toEqual({ 'localhost/own/sandbox:1': 'keep:sandbox-image', 'mcr.microsoft.com/oss/kubernetes/pause:3.6': 'keep:sandbox-image', 'registry.k8s.io/pause:3.9': 'keep:sandbox-image' });
  });

  it('keeps the sandbox image named in short form ("pause:3.9" is docker.io/library/pause:3.9)', () => {
    const plan = planCleanup(view([image('a', ['docker.io/library/pause:3.9'])], [], { sandboxImage: 'pause:3.9' }), options({ sandboxImages: [] }));
    expect(decisions(plan)).toEqual({ 'docker.io/library/pause:3.9': 'keep:sandbox-image' });
  });

  it('keeps pinned images', () => {
    expect(decisions(planCleanup(view([image('a', ['quay.io/x/a:1'], { pinned: true })]), options()))).toEqual({ 'quay.io/x/a:1': 'keep:pinned' });
  });

  it('keeps images matching an exclusion glob in any written form, and counts what each rule kept', () => {
    const images = [
      image('a', ['docker.io/library/nginx:1.25']),
      image('b', ['registry.k8s.io/coredns/coredns:v1.11.1']),
      image('c', [], { repoDigests: [`quay.io/x/app@sha256:${hex('e')}`] }),
      image('d', ['quay.io/x/other:1']),
      image('9', ['quay.io/x/byid:1']),
    ];
    const plan = planCleanup(
      view(images),
      options({
        exclusions: [
          { glob: 'nginx:*', origin: '--exclude' },
          { glob: 'registry.k8s.io/*', origin: 'file /etc/rw/exclude:2' },
          { glob: 'quay.io/x/app@sha256:*', origin: '--exclude' },
          { glob: 'sha256:9999*', origin: '--exclude' },
        ],
      }),
    );
    expect(decisions(plan)).toEqual({
      'quay.io/x/other:1': 'remove:unused',
      'docker.io/library/nginx:1.25': 'keep:excluded',
      [`quay.io/x/app@sha256:${hex('e')}`]: 'keep:excluded',
      'quay.io/x/byid:1': 'keep:excluded',
      'registry.k8s.io/coredns/coredns:v1.11.1': 'keep:excluded',
    });
    expect(plan.entries.find((e) => e.name.startsWith('registry.k8s.io'))?.reasons[0]?.message).toBe('matches exclusion "registry.k8s.io/*" (file /etc/rw/exclude:2)');
    expect(plan.options.exclusions.map((e) => [e.glob, e.kept])).toEqual([
      ['nginx:*', 1],
      ['registry.k8s.io/*', 1],
      ['quay.io/x/app@sha256:*', 1],
      ['sha256:9999*', 1],
    ]);
  });

  it('with --older-than, plans only images that appeared long enough ago and keeps those of unknown age', () => {
    const plan = planCleanup(
      view([image('a', ['quay.io/x/old:1'], { createdAt: daysAgo(8) }), image('b', ['quay.io/x/new:1'], { createdAt: daysAgo(2) }), image('c', ['quay.io/x/unknown:1'], { createdAt: undefined })]),
      options({ olderThan: { ms: 7 * 86_400_000, text: '7d' } }),
    );
    expect(decisions(plan)).toEqual({ 'quay.io/x/old:1': 'remove:unused+old-enough', 'quay.io/x/new:1': 'keep:too-recent', 'quay.io/x/unknown:1': 'keep:age-unknown' });
    expect(plan.entries.map((e) => e.reasons.at(-1)?.message)).toEqual([
      'appeared 8d ago (--older-than 7d)',
      'appeared 2d ago, less than --older-than 7d',
      '--older-than 7d: the runtime does not say when the image appeared',
    ]);
  });

  it('gives every reason an image is kept, most important first', () => {
    const plan = planCleanup(view([image('a', ['registry.k8s.io/pause:3.9'], { pinned: true })], [container('1', `sha256:${hex('a')}`)]), options({ exclusions: [{ glob: 'registry.k8s.io/*', origin: '--exclude' }] }));
    expect(plan.entries[0]?.reasons.map((r) => r.code)).toEqual(['in-use', 'sandbox-image', 'pinned', 'excluded']);
  });

  it('plans nothing when the container list is incomplete: image use is unknown', () => {
    const plan = planCleanup(view([image('a', ['quay.io/x/a:1'])], [], { containersComplete: false }), options());
    expect(decisions(plan)).toEqual({ 'quay.io/x/a:1': 'keep:containers-unknown' });
    expect(plan.candidates).toBe(0);
  });

  it('plans an image with several tags once, by ID', () => {
    const plan = planCleanup(view([image('a', ['quay.io/x/a:1', 'quay.io/x/a:stable'])]), options());
    expect(plan.entries).toHaveLength(1);
    expect(plan.entries[0]).toMatchObject({ id: `sha256:${hex('a')}`, name: 'quay.io/x/a:1', repoTags: ['quay.io/x/a:1', 'quay.io/x/a:stable'], decision: 'remove' });
  });

  it('orders candidates largest first and sums their sizes', () => {
    const plan = planCleanup(view([image('a', ['q/a:1'], { sizeBytes: 10 }), image('b', ['q/b:1'], { sizeBytes: 300 }), image('c', ['q/c:1'], { sizeBytes: 20 }), image('d', ['q/d:1'], { pinned: true, sizeBytes: 5000 })]), options());
    expect(plan.entries.map((e) => e.name)).toEqual(['q/b:1', 'q/c:1', 'q/a:1', 'q/d:1']);
    expect(plan.reclaimableBytes).toBe(330);
  });

  it('returns an empty plan for a node without images', () => {
    const plan = planCleanup(view([]), options());
    expect(plan).toMatchObject({ entries: [], candidates: 0, kept: 0, reclaimableBytes: 0 });
  });

  it('carries the view issues into the plan', () => {
    const plan = planCleanup(view([], [], { issues: [{ code: 'cri-status-failed', message: 'x' }] }), options());
    expect(plan.issues).toEqual([{ code: 'cri-status-failed', message: 'x' }]);
  });
});

describe('evaluateImage (the executor re-check)', () => {
  it('turns a candidate into a kept image when a tag added since the plan matches an exclusion', () => {
    const rules = compileRules(options({ exclusions: [{ glob: 'quay.io/keep/*', origin: '--exclude' }] }), undefined);
    const context = { containersComplete: true, containerCount: 0 };
    expect(evaluateImage(image('a', ['quay.io/x/a:1']), [], rules, context).decision).toBe('remove');
    expect(evaluateImage(image('a', ['quay.io/x/a:1', 'quay.io/keep/a:1']), [], rules, context).reasons.map((r) => r.code)).toEqual(['excluded']);
  });
});
