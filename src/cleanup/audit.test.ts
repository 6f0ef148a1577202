import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { auditRecord, openAuditLog, planRecords, type AuditContext } from './audit.js';
import type { RemovalOutcome } from './executor.js';
import type { CleanupPlan, PlanEntry } from './planner.js';
import { AuditRecord } from './schema.js';

const entry = (name: string, decision: 'remove' | 'keep'): PlanEntry => ({
  id: `sha256:${'a'.repeat(64)}`,
  name,
  repoTags: [name, `${name}-alias`],
  repoDigests: [`quay.io/x/a@sha256:${'b'.repeat(64)}`],
  targetDigests: [`sha256:${'b'.repeat(64)}`],
  sizeBytes: 1234,
  pinned: false,
  createdAt: '2026-11-01T00:00:00.000Z',
  decision,
  reasons: decision === 'remove' ? [{ code: 'unused', message: 'no container uses it' }] : [{ code: 'in-use', message: 'used by 1 container' }],
  usedBy: [],
});

const context = (mode: AuditContext['mode']): AuditContext => ({ run: 'run-1', mode, node: 'node-1', runtime: 'containerd 1.6.20' });

describe('audit records', () => {
  it('records a planned removal in a dry run with the image, its digests, size, reasons and "findings not evaluated"', () => {
    const record = auditRecord(context('dry-run'), entry('quay.io/x/a:1', 'remove'));
    expect(AuditRecord.parse(record)).toEqual(record);
    expect(record).toMatchObject({
      schemaVersion: 1,
      run: 'run-1',
      node: 'node-1',
      mode: 'dry-run',
      image: { id: `sha256:${'a'.repeat(64)}`, name: 'quay.io/x/a:1', tags: ['quay.io/x/a:1', 'quay.io/x/a:1-alias'], digests: [`quay.io/x/a@sha256:${'b'.repeat(64)}`] },
      sizeBytes: 1234,
      decision: 'remove',
      reasons: [{ code: 'unused', message: 'no container uses it' }],
      findings: null,
      result: 'planned',
    });
  });

  it('records an outcome with its result, error and the reasons it was not removed', () => {
    const outcome: RemovalOutcome = { id: 'x', name: 'quay.io/x/a:1', sizeBytes: 1234, result: 'failed', reasons: [{ code: 'remove-failed', message: 'RemoveImage failed' }], error: 'CRI RemoveImage failed: INTERNAL boom', warning: undefined, at: '2026-11-28T10:00:00.000Z' };
    const record = auditRecord(context('apply'), entry('quay.io/x/a:1', 'remove'), outcome);
    expect(AuditRecord.parse(record)).toEqual(record);
    expect(record).toMatchObject({ time: '2026-11-28T10:00:00.000Z', result: 'failed', error: 'CRI RemoveImage failed: INTERNAL boom', reasons: [{ code: 'remove-failed' }] });
  });

  it('writes kept images up front in apply mode, and every image in a dry run', () => {
    const plan = { entries: [entry('a/x:1', 'remove'), entry('a/y:1', 'keep')] } as CleanupPlan;
    expect(planRecords(context('apply'), plan).map((r) => [r.image.name, r.result])).toEqual([['a/y:1', 'kept']]);
    expect(planRecords(context('dry-run'), plan).map((r) => [r.image.name, r.result])).toEqual([
      ['a/x:1', 'planned'],
      ['a/y:1', 'kept'],
    ]);
  });
});

describe('openAuditLog', () => {
  it('appends one JSON line per record, keeps earlier runs, and creates the file 0640', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rw-audit-'));
    const path = join(dir, 'sub', 'audit.jsonl');
    for (const mode of ['dry-run', 'apply'] as const) {
      const log = await openAuditLog(path);
      await log.write([auditRecord(context(mode), entry('a/x:1', 'remove')), auditRecord(context(mode), entry('a/y:1', 'keep'))]);
      await log.write([]);
      await log.close();
    }
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => AuditRecord.parse(JSON.parse(l)).mode)).toEqual(['dry-run', 'dry-run', 'apply', 'apply']);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it('throws when a record cannot be written (a full disk: /dev/full), so the run stops', async () => {
    const log = await openAuditLog('/dev/full');
    await expect(log.write([auditRecord(context('apply'), entry('a/x:1', 'remove'))])).rejects.toThrow('Cannot append to --audit-log "/dev/full": ENOSPC: no space left on device, write; the run stopped so that nothing is removed without a record.');
    await log.close();
  });

  it('throws UsageError naming the path when the log cannot be opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rw-audit-'));
    await writeFile(join(dir, 'file'), '');
    const path = join(dir, 'file', 'audit.jsonl');
    await expect(openAuditLog(path)).rejects.toThrow(UsageError);
    await expect(openAuditLog(path)).rejects.toThrow(new RegExp(`^Cannot open --audit-log "${path}" for appending: EEXIST`));
  });
});
