import { describe, expect, it } from 'vitest';
import type { NodeImage, NodeRuntime } from '../core/node-runtime.js';
import { auditRecord, planRecords } from './audit.js';
import type { ExecutionResult } from './executor.js';
import { planCleanup } from './planner.js';
import { formatBytes } from '../core/format.js';
import { buildCleanupReport, renderCleanupJson, renderCleanupTable } from './report.js';
import { CleanupReport } from './schema.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const img = (c: string, tags: string[], sizeBytes: number): NodeImage => ({ id: `sha256:${c.repeat(64)}`, repoTags: tags, repoDigests: [], sizeBytes, pinned: false, targetDigests: [], createdAt: '2026-11-18T12:00:00.000Z', updatedAt: undefined });

const view: NodeRuntime = {
  node: 'node-1',
  address: 'unix:///run/containerd/containerd.sock',
  runtime: { name: 'containerd', version: '1.6.20', apiVersion: 'v1' },
  conditions: [],
  sandboxImage: 'registry.k8s.io/pause:3.9',
  images: [img('a', ['quay.io/x/old:1', 'quay.io/x/old:stable'], 3 * 1024 * 1024), img('b', ['quay.io/x/web:2'], 1024), img('c', ['registry.k8s.io/pause:3.9'], 300)],
  containers: [{ id: 'c'.repeat(64), name: 'web', attempt: 0, sandboxId: 'p', image: 'quay.io/x/web:2', imageRef: `sha256:${'b'.repeat(64)}`, state: 'running', createdAt: undefined, labels: {}, origin: 'cri' }],
  sandboxes: [{ id: 'p', name: 'web-0', namespace: 'shop', uid: 'u', attempt: 0, state: 'ready', createdAt: undefined, runtimeHandler: '' }],
  imageFs: [],
  containersComplete: true,
  containerdContainers: 'listed',
  readAt: NOW.toISOString(),
  issues: [],
};
const plan = planCleanup(view, { exclusions: [{ glob: 'registry.k8s.io/*', origin: '--exclude' }], olderThan: { ms: 7 * 86_400_000, text: '7d' }, now: NOW });
const ctx = { run: 'r1', mode: 'dry-run' as const, node: 'node-1', runtime: plan.runtime };

describe('cleanup report', () => {
  it('builds a dry-run JSON report that matches the versioned schema', () => {
    const report = buildCleanupReport(plan, undefined, planRecords(ctx, plan), { run: 'r1', mode: 'dry-run', maxRemovals: undefined, stopAfterFailures: 3 });
    const parsed = CleanupReport.parse(JSON.parse(renderCleanupJson(report)));
    expect(parsed.summary).toEqual({ images: 3, candidates: 1, kept: 2, reclaimableBytes: 3 * 1024 * 1024, removed: 0, alreadyGone: 0, skipped: 0, failed: 0, deferred: 0, notAttempted: 0, removedBytes: 0, fsReclaimedBytes: null });
    expect(parsed.images.map((i) => [i.name, i.result])).toEqual([
      ['quay.io/x/old:1', 'planned'],
      ['quay.io/x/web:2', 'kept'],
      ['registry.k8s.io/pause:3.9', 'kept'],
    ]);
    expect(parsed.audit).toHaveLength(3);
    expect(parsed.options.exclusions).toEqual([{ glob: 'registry.k8s.io/*', origin: '--exclude', kept: 1 }]);
    expect(parsed.execution).toBeNull();
  });

  it('renders the plan as a table: each image, why, its size, and the total', () => {
    const report = buildCleanupReport(plan, undefined, [], { run: 'r1', mode: 'dry-run', maxRemovals: undefined, stopAfterFailures: 3 });
    const text = renderCleanupTable(report, { color: false, now: NOW });
    const lines = text.split('\n');
    expect(lines[0]).toBe('runwarden clean — node node-1 — containerd 1.6.20 at unix:///run/containerd/containerd.sock — dry run');
    expect(lines[1]).toBe('sandbox image registry.k8s.io/pause:3.9 · exclude "registry.k8s.io/*" (--exclude): 1 kept · older than 7d');
    expect(lines[3]).toMatch(/^RESULT\s+IMAGE\s+ID\s+SIZE\s+AGE\s+WHY$/);
    expect(lines[4]).toMatch(/^remove\s+quay\.io\/x\/old:1 \(\+1 tag\)\s+aaaaaaaaaaaa\s+3\.0 MiB\s+10d\s+no container uses it \(1 on the node, any state\); not the sandbox image, not pinned, no exclusion matches; appeared 10d ago \(--older-than 7d\)$/);
    expect(lines[5]).toMatch(/^keep\s+quay\.io\/x\/web:2\s+bbbbbbbbbbbb\s+1\.0 KiB\s+10d\s+used by 1 container \(1 running\): shop\/web-0\/web \(running\)$/);
    expect(lines[6]).toMatch(/^keep\s+registry\.k8s\.io\/pause:3\.9\s+cccccccccccc\s+300 B\s+10d\s+the pod sandbox \(pause\) image, in use by every pod; matches exclusion "registry\.k8s\.io\/\*" \(--exclude\)$/);
    expect(text).toContain('1 of 3 images to remove, 3.0 MiB reclaimable (runtime sizes; layers shared with kept images stay on disk).');
    expect(text).toContain('Dry run: nothing was removed. Re-run with --apply to remove it.');
    expect(text).not.toContain('\x1b[');
    expect(renderCleanupTable(report, { color: true, now: NOW })).toContain('\x1b[');
  });

  it('renders what an apply did: results, errors, the early stop and the image filesystem change', () => {
    const candidate = plan.entries[0];
    if (candidate === undefined) throw new Error('no candidate');
    const fs = (used: number, ns: string) => [{ mountpoint: '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs', usedBytes: used, inodesUsed: 10, collectedAt: NOW.toISOString(), timestampNs: ns, collected: true }];
    const execution: ExecutionResult = {
      outcomes: [{ id: candidate.id, name: candidate.name, sizeBytes: candidate.sizeBytes, result: 'failed', reasons: [{ code: 'remove-failed', message: 'RemoveImage failed' }], error: 'CRI RemoveImage failed: INTERNAL boom', warning: undefined, at: NOW.toISOString() }],
      counts: { removed: 0, 'already-gone': 0, skipped: 0, failed: 1, deferred: 0, 'not-attempted': 0 },
      removedBytes: 0,
      fsBefore: fs(10 * 1024 * 1024, '1'),
      fsAfter: fs(10 * 1024 * 1024, '2'),
      fsAfterFresh: true,
      fsReclaimedBytes: 0,
      stopped: '1 runtime failures in a row (--stop-after-failures 1)',
      startedAt: NOW.toISOString(),
      finishedAt: NOW.toISOString(),
      issues: [],
    };
    const audit = [auditRecord({ ...ctx, mode: 'apply' }, candidate, execution.outcomes[0])];
    const report = buildCleanupReport(plan, execution, audit, { run: 'r1', mode: 'apply', maxRemovals: 5, stopAfterFailures: 1 });
    expect(CleanupReport.parse(report).summary.failed).toBe(1);
    const text = renderCleanupTable(report, { color: false, now: NOW });
    expect(text).toMatch(/^FAILED\s+quay\.io\/x\/old:1 \(\+1 tag\).*RemoveImage failed; CRI RemoveImage failed: INTERNAL boom$/m);
    expect(text).toContain('Applied: removed 0 (0 B), 1 failed.');
    expect(text).toContain('The run stopped early: 1 runtime failures in a row (--stop-after-failures 1).');
    expect(text).toContain('Image filesystem: 10.0 MiB → 10.0 MiB (−0 B, ImageFsInfo).');
  });

  it('formats sizes in binary units', () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 GiB']);
  });
});
