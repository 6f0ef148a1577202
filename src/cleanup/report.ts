/**
 * The cleanup report: the plan, what the executor did, the audit records and the issues, as the
 * versioned JSON of `schema.ts` or a terminal table (each image, why it goes or stays, its size, and
 * the total). Pure.
 */
import pc from 'picocolors';
import { shortImageId } from '../core/node-runtime.js';
import { VERSION } from '../version.js';
import type { ExecutionResult } from './executor.js';
import { formatAge, type CleanupPlan } from './planner.js';
import { CLEANUP_SCHEMA_VERSION, type AuditRecord, type CleanupReport } from './schema.js';
import { formatBytes } from '../core/format.js';

export interface ReportContext {
  run: string;
  mode: 'dry-run' | 'apply';
  maxRemovals: number | undefined;
  stopAfterFailures: number;
}

export function buildCleanupReport(plan: CleanupPlan, execution: ExecutionResult | undefined, audit: AuditRecord[], context: ReportContext): CleanupReport {
  const outcomes = new Map((execution?.outcomes ?? []).map((o) => [o.id, o]));
  const counts = execution?.counts;
  return {
    schemaVersion: CLEANUP_SCHEMA_VERSION,
    kind: 'runwarden-cleanup',
    tool: { name: 'runwarden', version: VERSION },
    run: context.run,
    mode: context.mode,
    node: plan.node,
    address: plan.address,
    runtime: plan.runtime,
    sandboxImage: plan.sandboxImage ?? null,
    plannedAt: plan.plannedAt,
    options: {
      exclusions: plan.options.exclusions,
      sandboxImages: plan.options.sandboxImages,
      olderThan: plan.options.olderThan ?? null,
      maxRemovals: context.maxRemovals ?? null,
      stopAfterFailures: context.stopAfterFailures,
    },
    summary: {
      images: plan.entries.length,
      candidates: plan.candidates,
      kept: plan.kept,
      reclaimableBytes: plan.reclaimableBytes,
      removed: counts?.removed ?? 0,
      alreadyGone: counts?.['already-gone'] ?? 0,
      skipped: counts?.skipped ?? 0,
      failed: counts?.failed ?? 0,
      deferred: counts?.deferred ?? 0,
      notAttempted: counts?.['not-attempted'] ?? 0,
      removedBytes: execution?.removedBytes ?? 0,
      fsReclaimedBytes: execution?.fsReclaimedBytes ?? null,
    },
    images: plan.entries.map((e) => {
      const outcome = outcomes.get(e.id);
      const image: CleanupReport['images'][number] = {
        id: e.id,
        name: e.name,
        repoTags: e.repoTags,
        repoDigests: e.repoDigests,
        targetDigests: e.targetDigests,
        sizeBytes: e.sizeBytes,
        pinned: e.pinned,
        createdAt: e.createdAt ?? null,
        decision: e.decision,
        reasons: outcome !== undefined && outcome.result !== 'removed' ? outcome.reasons : e.reasons,
        usedBy: e.usedBy,
        result: outcome?.result ?? (e.decision === 'keep' ? 'kept' : 'planned'),
      };
      if (outcome?.error !== undefined) image.error = outcome.error;
      if (outcome?.warning !== undefined) image.warning = outcome.warning;
      return image;
    }),
    execution:
      execution === undefined
        ? null
        : {
            startedAt: execution.startedAt,
            finishedAt: execution.finishedAt,
            stopped: execution.stopped ?? null,
            fsBefore: execution.fsBefore ?? null,
            fsAfter: execution.fsAfter ?? null,
            fsAfterFresh: execution.fsAfterFresh,
          },
    audit,
    issues: [...plan.issues, ...(execution?.issues ?? [])],
  };
}

export function renderCleanupJson(report: CleanupReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const RESULT_LABEL: Record<CleanupReport['images'][number]['result'], string> = {
  planned: 'remove',
  kept: 'keep',
  removed: 'removed',
  'already-gone': 'gone',
  skipped: 'skipped',
  failed: 'FAILED',
  deferred: 'deferred',
  'not-attempted': 'stopped',
};

export function renderCleanupTable(report: CleanupReport, options: { color: boolean; now: Date }): string {
  const c = pc.createColors(options.color);
  const lines: string[] = [];
  const mode = report.mode === 'dry-run' ? c.yellow('dry run') : c.red('apply');
  lines.push(`${c.bold('runwarden clean')} — node ${c.bold(report.node)} — ${report.runtime} at ${report.address} — ${mode}`);
  const settings = [`sandbox image ${report.sandboxImage ?? 'unknown (kept by glob)'}`];
  for (const e of report.options.exclusions) settings.push(`exclude "${e.glob}" (${e.origin}): ${e.kept} kept`);
  if (report.options.olderThan !== null) settings.push(`older than ${report.options.olderThan}`);
  if (report.options.maxRemovals !== null) settings.push(`at most ${report.options.maxRemovals} removals`);
  lines.push(c.dim(settings.join(' · ')));
  lines.push('');

  const rows: string[][] = [['RESULT', 'IMAGE', 'ID', 'SIZE', 'AGE', 'WHY']];
  for (const image of report.images) {
    const more = image.repoTags.length > 1 ? ` (+${image.repoTags.length - 1} tag${image.repoTags.length > 2 ? 's' : ''})` : '';
    const age = image.createdAt === null ? '-' : formatAge(options.now.getTime() - Date.parse(image.createdAt));
    const why = [...image.reasons.map((r) => r.message), ...(image.error === undefined ? [] : [image.error]), ...(image.warning === undefined ? [] : [`warning: ${image.warning}`])].join('; ');
    rows.push([RESULT_LABEL[image.result], `${image.name}${more}`, shortImageId(image.id), formatBytes(image.sizeBytes), age, why]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  rows.forEach((row, index) => {
    const text = row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
    if (index === 0) lines.push(c.bold(text));
    else {
      const result = report.images[index - 1]?.result;
      const paint = result === 'removed' || result === 'planned' ? c.red : result === 'failed' ? (s: string) => c.bold(c.red(s)) : result === 'skipped' || result === 'deferred' || result === 'not-attempted' ? c.yellow : c.dim;
      lines.push(paint(text));
    }
  });
  if (report.images.length === 0) lines.push(c.dim('(the runtime caches no images)'));
  lines.push('');

  const s = report.summary;
  lines.push(`${s.candidates} of ${s.images} image${s.images === 1 ? '' : 's'} to remove, ${formatBytes(s.reclaimableBytes)} reclaimable (runtime sizes; layers shared with kept images stay on disk).`);
  if (report.mode === 'dry-run') {
    lines.push(s.candidates === 0 ? 'Dry run: nothing to remove.' : `Dry run: nothing was removed. Re-run with ${c.bold('--apply')} to remove ${s.candidates === 1 ? 'it' : 'them'}.`);
  } else {
    const parts = [`removed ${s.removed} (${formatBytes(s.removedBytes)})`];
    if (s.alreadyGone > 0) parts.push(`${s.alreadyGone} already gone`);
    if (s.skipped > 0) parts.push(`${s.skipped} skipped (changed since the plan)`);
    if (s.failed > 0) parts.push(c.red(`${s.failed} failed`));
    if (s.deferred > 0) parts.push(`${s.deferred} deferred (--max-removals)`);
    if (s.notAttempted > 0) parts.push(`${s.notAttempted} not attempted`);
    lines.push(`Applied: ${parts.join(', ')}.`);
    const ex = report.execution;
    if (ex?.stopped !== null && ex?.stopped !== undefined) lines.push(c.red(`The run stopped early: ${ex.stopped}.`));
    const before = ex?.fsBefore?.reduce((n, f) => n + f.usedBytes, 0);
    const after = ex?.fsAfter?.reduce((n, f) => n + f.usedBytes, 0);
    if (s.fsReclaimedBytes !== null && before !== undefined && after !== undefined) {
      lines.push(`Image filesystem: ${formatBytes(before)} → ${formatBytes(after)} (${s.fsReclaimedBytes >= 0 ? '−' : '+'}${formatBytes(Math.abs(s.fsReclaimedBytes))}, ImageFsInfo).`);
    }
  }
  if (report.issues.length > 0) {
    lines.push('');
    lines.push(c.yellow(`${report.issues.length} issue${report.issues.length === 1 ? '' : 's'}:`));
    for (const i of report.issues) lines.push(`  ${c.yellow('!')} ${i.message}${i.hint === undefined ? '' : c.dim(` (${i.hint})`)}`);
  }
  return `${lines.join('\n')}\n`;
}

