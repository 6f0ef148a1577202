/**
 * The audit trail of a cleanup: one JSON line per decision (image, digests, size, every reason, the
 * findings behind it, and what happened). Records go into the JSON report and, with --audit-log, are
 * appended to a file as they happen, so a run that dies half-way still leaves its trail.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError, UsageError, errorMessage } from '../core/errors.js';
import type { RemovalOutcome } from './executor.js';
import type { CleanupPlan, PlanEntry } from './planner.js';
import { CLEANUP_SCHEMA_VERSION, type AuditRecord } from './schema.js';

export interface AuditContext {
  run: string;
  mode: 'dry-run' | 'apply';
  node: string;
  runtime: string;
}

/** The record of one decision: a kept image, a planned removal (dry run) or a removal's outcome. */
export function auditRecord(context: AuditContext, entry: PlanEntry, outcome?: RemovalOutcome): AuditRecord {
  const record: AuditRecord = {
    schemaVersion: CLEANUP_SCHEMA_VERSION,
    time: outcome?.at ?? new Date().toISOString(),
    run: context.run,
    node: context.node,
    runtime: context.runtime,
    mode: context.mode,
    image: { id: entry.id, name: entry.name, tags: entry.repoTags, digests: entry.repoDigests, targetDigests: entry.targetDigests },
    sizeBytes: entry.sizeBytes,
    createdAt: entry.createdAt ?? null,
    decision: entry.decision,
    reasons: outcome !== undefined && outcome.result !== 'removed' ? outcome.reasons : entry.reasons,
    findings: entry.findings ?? null,
    result: outcome?.result ?? (entry.decision === 'keep' ? 'kept' : 'planned'),
  };
  if (outcome?.error !== undefined) record.error = outcome.error;
  if (outcome?.warning !== undefined) record.warning = outcome.warning;
  return record;
}

/** Records for every kept image of a plan (written first), and, in a dry run, for every planned removal. */
export function planRecords(context: AuditContext, plan: CleanupPlan): AuditRecord[] {
  return plan.entries.filter((e) => context.mode === 'dry-run' || e.decision === 'keep').map((e) => auditRecord(context, e));
}

export interface AuditLog {
  readonly path: string;
  write(records: AuditRecord[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens (creates) the audit log for appending before anything is removed: a trail that cannot be
 * written stops the run up front instead of deleting without a record. Mode 0640: it names images.
 */
export async function openAuditLog(path: string): Promise<AuditLog> {
  let handle: FileHandle;
  try {
    await mkdir(dirname(path), { recursive: true });
    handle = await open(path, 'a', 0o640);
  } catch (error) {
    throw new UsageError(`Cannot open --audit-log "${path}" for appending: ${errorMessage(error)}.`, { hint: 'Give a writable file path; in the DaemonSet it is a hostPath under /var/log/runwarden.' });
  }
  return {
    path,
    async write(records) {
      if (records.length === 0) return;
      // One write per batch with O_APPEND: concurrent writers never interleave inside a line.
      try {
        await handle.write(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      } catch (error) {
        // No removal without its record: the executor awaits this, so the run stops here.
        throw new AppError('audit-log', `Cannot append to --audit-log "${path}": ${errorMessage(error)}; the run stopped so that nothing is removed without a record.`, { hint: 'Free space or fix the file, then run again.', cause: error });
      }
    },
    async close() {
      await handle.close();
    },
  };
}
