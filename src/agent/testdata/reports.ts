/**
 * Node reports for tests, made by the real pipeline (planner → cleanup report → node report) from a
 * small node view, so that they always match the schema the code reads.
 */
import { planCleanup } from '../../cleanup/planner.js';
import { buildCleanupReport } from '../../cleanup/report.js';
import type { ExecutionResult } from '../../cleanup/executor.js';
import type { NodeImage, NodeRuntime } from '../../core/node-runtime.js';
import type { NodeReport } from '../schema.js';
import { buildNodeReport } from '../summary.js';

const image = (n: number, tag: string, sizeBytes: number): NodeImage => ({ id: `sha256:${n.toString(16).padStart(64, '0')}`, repoTags: [tag], repoDigests: [], sizeBytes, pinned: false, targetDigests: [], createdAt: '2026-11-01T00:00:00.000Z', updatedAt: undefined });

/** A report of `node`: 4 images (web in use, pause, two unused: 300 MB and 20 MB), published at `publishedAt`. */
export function sampleReport(node: string, publishedAt: string, options: { apply?: boolean; intervalHours?: number } = {}): NodeReport {
  const web = image(1, 'quay.io/shop/web:2', 50_000_000);
  const images = [web, image(2, 'registry.k8s.io/pause:3.9', 300_000), image(3, 'quay.io/shop/old-api:1', 300_000_000), image(4, 'docker.io/library/busybox:1.36', 20_000_000)];
  const view: NodeRuntime = {
    node,
    address: 'unix:///run/containerd/containerd.sock',
    runtime: { name: 'containerd', version: '1.7.22', apiVersion: 'v1' },
    conditions: [],
    sandboxImage: 'registry.k8s.io/pause:3.9',
    images,
    containers: [{ id: 'c'.repeat(64), name: 'web', attempt: 0, sandboxId: 'p', image: 'quay.io/shop/web:2', imageRef: web.id, state: 'running', createdAt: undefined, labels: {}, origin: 'cri' }],
    sandboxes: [{ id: 'p', name: 'web-0', namespace: 'shop', uid: 'u', attempt: 0, state: 'ready', createdAt: undefined, runtimeHandler: '' }],
    imageFs: [{ mountpoint: '/var/lib/containerd', usedBytes: 900_000_000, inodesUsed: 100, collectedAt: publishedAt, timestampNs: '1', collected: true }],
    containersComplete: true,
    containerdContainers: 'listed',
    readAt: publishedAt,
    issues: [],
  };
  const now = new Date(publishedAt);
  const plan = planCleanup(view, { exclusions: [], now });
  let execution: ExecutionResult | undefined;
  if (options.apply === true) {
    const outcomes = plan.entries.filter((e) => e.decision === 'remove').map((e) => ({ id: e.id, name: e.name, sizeBytes: e.sizeBytes, result: 'removed' as const, reasons: [], error: undefined, warning: undefined, at: publishedAt }));
    execution = {
      outcomes,
      counts: { removed: outcomes.length, 'already-gone': 0, skipped: 0, failed: 0, deferred: 0, 'not-attempted': 0 },
      removedBytes: outcomes.reduce((n, o) => n + o.sizeBytes, 0),
      fsBefore: view.imageFs,
      fsAfter: [{ ...view.imageFs[0], usedBytes: 600_000_000, collectedAt: publishedAt, timestampNs: '2', mountpoint: '/var/lib/containerd', inodesUsed: 90, collected: true }],
      fsAfterFresh: true,
      fsReclaimedBytes: 300_000_000,
      stopped: undefined,
      startedAt: publishedAt,
      finishedAt: publishedAt,
      issues: [],
    };
  }
  const report = buildCleanupReport(plan, execution, [], { run: `run-${node}`, mode: options.apply === true ? 'apply' : 'dry-run', maxRemovals: undefined, stopAfterFailures: 3 });
  return buildNodeReport(report, view, { publishedAt: now, intervalMs: options.intervalHours === undefined ? undefined : options.intervalHours * 3_600_000 });
}
