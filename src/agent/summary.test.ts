import { describe, expect, it } from 'vitest';
import { planRecords } from '../cleanup/audit.js';
import type { ExecutionResult } from '../cleanup/executor.js';
import { planCleanup } from '../cleanup/planner.js';
import { buildCleanupReport } from '../cleanup/report.js';
import type { NodeContainer, NodeImage, NodeRuntime } from '../core/node-runtime.js';
import { NodeReport, MAX_LISTED_CANDIDATES } from './schema.js';
import { buildNodeReport, cut, encodeNodeReport } from './summary.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const img = (n: number, tags: string[], sizeBytes: number): NodeImage => ({
  id: `sha256:${n.toString(16).padStart(64, '0')}`,
  repoTags: tags,
  repoDigests: [],
  sizeBytes,
  pinned: false,
  targetDigests: [],
  createdAt: '2026-11-01T12:00:00.000Z',
  updatedAt: undefined,
});
const ctr = (id: string, image: NodeImage, state: NodeContainer['state']): NodeContainer => ({ id: id.repeat(64).slice(0, 64), name: `c${id}`, attempt: 0, sandboxId: 'p', image: image.repoTags[0] ?? image.id, imageRef: image.id, state, createdAt: undefined, labels: {}, origin: 'cri' });

function viewOf(images: NodeImage[], containers: NodeContainer[]): NodeRuntime {
  return {
    node: 'worker-a',
    address: 'unix:///run/containerd/containerd.sock',
    runtime: { name: 'containerd', version: '1.7.22', apiVersion: 'v1' },
    conditions: [],
    sandboxImage: 'registry.k8s.io/pause:3.9',
    images,
    containers,
    sandboxes: [{ id: 'p', name: 'web-0', namespace: 'shop', uid: 'u', attempt: 0, state: 'ready', createdAt: undefined, runtimeHandler: '' }],
    imageFs: [{ mountpoint: '/var/lib/containerd', usedBytes: 5000, inodesUsed: 9, collectedAt: NOW.toISOString(), timestampNs: '1', collected: true }],
    containersComplete: true,
    containerdContainers: 'listed',
    readAt: NOW.toISOString(),
    issues: [],
  };
}

describe('buildNodeReport', () => {
  const web = img(1, ['quay.io/x/web:2'], 1000);
  const job = img(2, ['quay.io/x/job:1'], 2000);
  const old = img(3, ['quay.io/x/old:1', 'quay.io/x/old:stable'], 3000);
  const big = img(4, ['quay.io/x/big:9'], 9000);
  const pause = img(5, ['registry.k8s.io/pause:3.9'], 300);
  const view = viewOf([web, job, old, big, pause], [ctr('a', web, 'running'), ctr('b', job, 'exited')]);
  const plan = planCleanup(view, { exclusions: [{ glob: 'quay.io/x/big:*', origin: '--exclude' }], now: NOW });

  it('summarises a dry run: cache, plan, kept-by reasons and the largest candidates, with no execution', () => {
    const report = buildCleanupReport(plan, undefined, planRecords({ run: 'r1', mode: 'dry-run', node: 'worker-a', runtime: plan.runtime }, plan), { run: 'r1', mode: 'dry-run', maxRemovals: undefined, stopAfterFailures: 3 });
    const node = NodeReport.parse(buildNodeReport(report, view, { publishedAt: NOW, intervalMs: 24 * 3_600_000 }));
    expect(node.node).toBe('worker-a');
    expect(node.run).toBe('r1');
    expect(node.intervalSeconds).toBe(86_400);
    expect(node.runtime).toEqual({ name: 'containerd', version: '1.7.22', apiVersion: 'v1', address: 'unix:///run/containerd/containerd.sock' });
    expect(node.cache).toEqual({
      images: 5,
      imageBytes: 15_300,
      unusedImages: 3,
      containers: 2,
      containersByState: { running: 1, exited: 1 },
      containersComplete: true,
      sandboxes: 1,
      imageFs: [{ mountpoint: '/var/lib/containerd', usedBytes: 5000, collected: true }],
    });
    expect(node.plan).toEqual({ candidates: 1, kept: 4, reclaimableBytes: 3000, keptBy: { 'in-use': 2, excluded: 1, 'sandbox-image': 1 } });
    expect(node.execution).toBeNull();
    expect(node.results).toEqual({ planned: 1, kept: 4 });
    expect(node.candidates).toEqual([{ id: old.id, name: 'quay.io/x/old:1', sizeBytes: 3000, createdAt: '2026-11-01T12:00:00.000Z', result: 'planned' }]);
    expect(node.problems).toEqual([]);
    expect(node.options).toEqual({ olderThan: null, maxRemovals: null, exclusions: 1 });
  });

  it('carries what an apply did and lists failures with their error', () => {
    const execution: ExecutionResult = {
      outcomes: [{ id: old.id, name: 'quay.io/x/old:1', sizeBytes: 3000, result: 'failed', reasons: [{ code: 'remove-failed', message: 'RemoveImage failed' }], error: 'CRI RemoveImage failed: INTERNAL boom', warning: undefined, at: NOW.toISOString() }],
      counts: { removed: 0, 'already-gone': 0, skipped: 0, failed: 1, deferred: 0, 'not-attempted': 0 },
      removedBytes: 0,
      fsBefore: undefined,
      fsAfter: [{ mountpoint: '/var/lib/containerd', usedBytes: 4000, inodesUsed: 9, collectedAt: NOW.toISOString(), timestampNs: '2', collected: true }],
      fsAfterFresh: true,
      fsReclaimedBytes: undefined,
      stopped: '1 runtime failures in a row (--stop-after-failures 1)',
      startedAt: NOW.toISOString(),
      finishedAt: NOW.toISOString(),
      issues: [],
    };
    const report = buildCleanupReport(plan, execution, [], { run: 'r2', mode: 'apply', maxRemovals: 10, stopAfterFailures: 1 });
    const node = NodeReport.parse(buildNodeReport(report, view, { publishedAt: NOW, intervalMs: undefined }));
    expect(node.intervalSeconds).toBeNull();
    expect(node.execution).toEqual({ removed: 0, removedBytes: 0, alreadyGone: 0, skipped: 0, failed: 1, deferred: 0, notAttempted: 0, fsReclaimedBytes: null, stopped: '1 runtime failures in a row (--stop-after-failures 1)' });
    // The fresh reading after the removals, not the one the plan started from.
    expect(node.cache.imageFs).toEqual([{ mountpoint: '/var/lib/containerd', usedBytes: 4000, collected: true }]);
    expect(node.problems).toEqual([{ id: old.id, name: 'quay.io/x/old:1', sizeBytes: 3000, createdAt: '2026-11-01T12:00:00.000Z', result: 'failed', message: 'CRI RemoveImage failed: INTERNAL boom' }]);
    expect(node.results).toEqual({ failed: 1, kept: 4 });
  });
});

describe('encodeNodeReport', () => {
  // Eraser's scale: 1,500 cached images, none used, with long names.
  const images = Array.from({ length: 1500 }, (_, i) => img(i + 1, [`registry.example.com/${'team/'.repeat(40)}service-${i}:${'v'.repeat(100)}`], 1000 + i));
  const view = viewOf(images, []);
  const plan = planCleanup(view, { exclusions: [], now: NOW });
  const report = buildCleanupReport(plan, undefined, [], { run: 'r3', mode: 'dry-run', maxRemovals: undefined, stopAfterFailures: 3 });
  const full = buildNodeReport(report, view, { publishedAt: NOW, intervalMs: undefined });

  it('lists at most 100 candidates, the largest, cuts long names and counts the rest', () => {
    expect(full.candidates).toHaveLength(MAX_LISTED_CANDIDATES);
    expect(full.candidatesOmitted).toBe(1400);
    expect(full.candidates[0]?.sizeBytes).toBe(2499);
    expect(full.candidates[0]?.name).toHaveLength(300);
    expect(full.candidates[0]?.name.endsWith('…')).toBe(true);
    expect(full.plan.candidates).toBe(1500);
  });

  it('halves the lists until the JSON fits the byte cap, keeping the counts honest', () => {
    const { text, report: fitted } = encodeNodeReport(full, 8 * 1024);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(8 * 1024);
    expect(fitted.candidates.length).toBeLessThan(MAX_LISTED_CANDIDATES);
    expect(fitted.candidates.length + fitted.candidatesOmitted).toBe(1500);
    expect(NodeReport.parse(JSON.parse(text))).toEqual(fitted);
  });

  it('keeps the report whole when it fits, and fails when even the bare report is too big', () => {
    const { text } = encodeNodeReport(full);
    expect(JSON.parse(text)).toEqual(full);
    expect(() => encodeNodeReport(full, 200)).toThrow('The node report of worker-a does not fit in 200 bytes even without its lists');
  });

  it('cuts text with an ellipsis only when needed', () => {
    expect(cut('abc', 3)).toBe('abc');
    expect(cut('abcd', 3)).toBe('ab…');
  });
});
