/**
 * `clean --only vulnerable|eol` (PRODUCT.md C9): of the planner's candidates, only the images that are vulnerable
 * (a vulnerability at or above the severity) or past end of life stay candidates. Pure: the caller scans each
 * candidate (scan/cached-images.ts) and hands the judgements in. An image that could not be judged is kept —
 * anything uncertain keeps the image.
 */
import type { ONLY_FILTERS } from './options.js';
import { planOrder, type CleanupPlan, type PlanEntry, type Reason } from './planner.js';

export type OnlyFilter = (typeof ONLY_FILTERS)[number];

/** What scanning one image said for the filter: whether it qualifies, why, and the finding ids behind it. */
export type Judgement = { qualifies: boolean; message: string; findings: string[] } | { error: string };

/** The plan with only the qualifying candidates left to remove; the others kept with the reason. */
export function narrowPlan(plan: CleanupPlan, only: OnlyFilter, label: string, judged: ReadonlyMap<string, Judgement>): CleanupPlan {
  const entries = plan.entries.map((entry): PlanEntry => {
    if (entry.decision !== 'remove') return entry;
    const j = judged.get(entry.id);
    if (j === undefined || 'error' in j) {
      const reason: Reason = { code: 'not-judged', message: `${label}: could not be judged (${j === undefined ? 'not scanned' : j.error}), so it is kept` };
      return { ...entry, decision: 'keep', reasons: [reason] };
    }
    if (!j.qualifies) return { ...entry, decision: 'keep', reasons: [{ code: only === 'vulnerable' ? 'not-vulnerable' : 'not-end-of-life', message: `${label}: ${j.message}` }], findings: j.findings };
    return { ...entry, reasons: [...entry.reasons, { code: only === 'vulnerable' ? 'vulnerable' : 'end-of-life', message: j.message }], findings: j.findings };
  });
  entries.sort(planOrder);
  const candidates = entries.filter((e) => e.decision === 'remove');
  return { ...plan, options: { ...plan.options, only: label }, entries, candidates: candidates.length, kept: entries.length - candidates.length, reclaimableBytes: candidates.reduce((sum, e) => sum + e.sizeBytes, 0) };
}
