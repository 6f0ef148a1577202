/**
 * The severity of a vulnerability from everything its merged advisories say: a CVSS v4.0 base score
 * first, then v3.1/v3.0, then the source's own label (GHSA's database_specific.severity, Ubuntu's
 * priority, the Debian tracker's urgency), then a CVSS v2 score, else `unknown`. The highest score of the
 * best kind wins when advisories disagree.
 */
import { issue, type Issue } from '../../core/issue.js';
import { compareSeverity, type Severity } from '../../core/severity.js';
import { InvalidCvssError, scoreVector, type CvssScore } from '../cvss/index.js';
import type { AdvisoryHead } from '../store/index.js';

export interface SeverityVerdict {
  severity: Severity;
  /** Where it came from: `cvss-4.0`, `cvss-3.1`, `label`, `cvss-2.0`, `none`. */
  basis: string;
  score?: number | undefined;
  vector?: string | undefined;
  /** The advisory (and label text) it came from. */
  from?: string | undefined;
  label?: string | undefined;
}

/** A source's word for severity → runwarden's scale. */
export function labelSeverity(label: string): Severity | undefined {
  const l = label.trim().toLowerCase();
  if (l === 'critical') return 'critical';
  if (l === 'high' || l === 'important') return 'high';
  if (l === 'moderate' || l === 'medium') return 'medium';
  if (l === 'low' || l === 'unimportant' || l === 'negligible') return 'low';
  return undefined;
}

interface Scored {
  score: CvssScore;
  from: string;
}

export function resolveSeverity(records: ReadonlyArray<{ advisory: AdvisoryHead; entries: readonly number[]; labels: readonly string[] }>, issues: Issue[]): SeverityVerdict {
  const scored: Scored[] = [];
  const labels: Array<{ severity: Severity; label: string; from: string }> = [];
  for (const { advisory: record, entries, labels: extra } of records) {
    const vectors = [...(record.facts.severity ?? [])];
    for (const i of entries) vectors.push(...(record.facts.entrySeverity?.[i] ?? []));
    for (const s of vectors) {
      if (s.type === 'Ubuntu') {
        const sev = labelSeverity(s.score);
        if (sev !== undefined) labels.push({ severity: sev, label: `Ubuntu priority ${s.score}`, from: record.id });
        continue;
      }
      try {
        scored.push({ score: scoreVector(s.score), from: record.id });
      } catch (error) {
        if (error instanceof InvalidCvssError) issues.push(issue('cvss-invalid', `${record.id}: ${error.message}`, record.id, 'The vector is ignored; severity falls back to other data.'));
        else throw error;
      }
    }
    const ds = record.facts.label;
    if (ds !== undefined) {
      const sev = labelSeverity(ds);
      if (sev !== undefined) labels.push({ severity: sev, label: ds, from: record.id });
    }
    for (const label of extra) {
      const sev = labelSeverity(label);
      if (sev !== undefined) labels.push({ severity: sev, label, from: record.id });
    }
  }
  const best = (versions: readonly string[]): Scored | undefined =>
    scored.filter((s) => versions.includes(s.score.version)).sort((a, b) => b.score.baseScore - a.score.baseScore)[0];
  const pick = best(['4.0']) ?? best(['3.1', '3.0']);
  if (pick !== undefined) return { severity: pick.score.rating, basis: `cvss-${pick.score.version}`, score: pick.score.baseScore, vector: pick.score.vector, from: pick.from };
  const label = [...labels].sort((a, b) => compareSeverity(a.severity, b.severity))[0];
  if (label !== undefined) return { severity: label.severity, basis: 'label', label: label.label, from: label.from };
  const v2 = best(['2.0']);
  if (v2 !== undefined) return { severity: v2.score.rating, basis: 'cvss-2.0', score: v2.score.baseScore, vector: v2.score.vector, from: v2.from };
  return { severity: 'unknown', basis: 'none' };
}
