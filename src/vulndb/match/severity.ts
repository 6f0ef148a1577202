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

interface Labelled {
  severity: Severity;
  label: string;
  from: string;
}

/** Keep the first of the highest base scores per CVSS generation, as a stable sort by score would. */
function better(current: Scored | undefined, candidate: Scored): Scored {
  return current === undefined || candidate.score.baseScore > current.score.baseScore ? candidate : current;
}

export function resolveSeverity(records: ReadonlyArray<{ advisory: AdvisoryHead; entries: readonly number[]; labels: readonly string[] }>, issues: Issue[]): SeverityVerdict {
  let v4: Scored | undefined;
  let v3: Scored | undefined;
  let v2: Scored | undefined;
  let label: Labelled | undefined;
  const addLabel = (text: string, shown: string, from: string): void => {
    const severity = labelSeverity(text);
    // the first of the most severe labels, as a stable sort by severity would
    if (severity !== undefined && (label === undefined || compareSeverity(severity, label.severity) < 0)) label = { severity, label: shown, from };
  };
  const addVector = (s: { type: string; score: string }, from: string): void => {
    if (s.type === 'Ubuntu') {
      addLabel(s.score, `Ubuntu priority ${s.score}`, from);
      return;
    }
    let score: CvssScore;
    try {
      score = scoreVector(s.score);
    } catch (error) {
      if (error instanceof InvalidCvssError) {
        issues.push(issue('cvss-invalid', `${from}: ${error.message}`, from, 'The vector is ignored; severity falls back to other data.'));
        return;
      }
      throw error;
    }
    const scored = { score, from };
    if (score.version === '4.0') v4 = better(v4, scored);
    else if (score.version === '3.1' || score.version === '3.0') v3 = better(v3, scored);
    else if (score.version === '2.0') v2 = better(v2, scored);
  };
  for (const { advisory: record, entries, labels: extra } of records) {
    for (const s of record.facts.severity ?? []) addVector(s, record.id);
    for (const i of entries) for (const s of record.facts.entrySeverity?.[i] ?? []) addVector(s, record.id);
    const ds = record.facts.label;
    if (ds !== undefined) addLabel(ds, ds, record.id);
    for (const text of extra) addLabel(text, text, record.id);
  }
  const pick = v4 ?? v3;
  if (pick !== undefined) return { severity: pick.score.rating, basis: `cvss-${pick.score.version}`, score: pick.score.baseScore, vector: pick.score.vector, from: pick.from };
  if (label !== undefined) return { severity: label.severity, basis: 'label', label: label.label, from: label.from };
  if (v2 !== undefined) return { severity: v2.score.rating, basis: 'cvss-2.0', score: v2.score.baseScore, vector: v2.score.vector, from: v2.from };
  return { severity: 'unknown', basis: 'none' };
}
