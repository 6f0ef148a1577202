/**
 * The severity of a vulnerability from everything its merged advisories say: a CVSS v4.0 base score
 * first, then v3.1/v3.0, then the source's own label (GHSA's database_specific.severity, Ubuntu's
 * priority, the Debian tracker's urgency), then a CVSS v2 score, else `unknown`. The highest score of the
 * best kind wins when advisories disagree. When none of them says anything, `resolveScore` scores the
 * vulnerability from the CVSS vectors of other records of it (match/index.ts borrowScores).
 */
import { issue, type Issue } from '../../core/issue.js';
import { compareSeverity, type Severity } from '../../core/severity.js';
import { InvalidCvssError, sharedScore, type CvssScore } from '../cvss/index.js';
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
  /**
   * Set when the score comes from another record of the vulnerability (`from`), found by this id of the
   * finding, because the advisories that matched carry no severity (an Alpine secdb fix, a PYSEC record).
   */
  via?: string | undefined;
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
  score: Readonly<CvssScore>;
  from: string;
}

interface Labelled {
  severity: Severity;
  label: string;
  from: string;
}

/** The best of each kind seen so far (one object per call: no closures per finding). */
interface Best {
  v4: Scored | undefined;
  v3: Scored | undefined;
  v2: Scored | undefined;
  label: Labelled | undefined;
}

function addLabel(best: Best, text: string, shown: string, from: string): void {
  const severity = labelSeverity(text);
  // the first of the most severe labels, as a stable sort by severity would
  if (severity !== undefined && (best.label === undefined || compareSeverity(severity, best.label.severity) < 0)) best.label = { severity, label: shown, from };
}

/** Keep the first of the highest base scores per CVSS generation, as a stable sort by score would. */
function addVector(best: Best, s: { type: string; score: string }, from: string, issues: Issue[]): void {
  if (s.type === 'Ubuntu') {
    addLabel(best, s.score, `Ubuntu priority ${s.score}`, from);
    return;
  }
  let score: Readonly<CvssScore>;
  try {
    score = sharedScore(s.score);
  } catch (error) {
    if (error instanceof InvalidCvssError) {
      issues.push(issue('cvss-invalid', `${from}: ${error.message}`, from, 'The vector is ignored; severity falls back to other data.'));
      return;
    }
    throw error;
  }
  if (score.version === '4.0') {
    if (beats(score, best.v4)) best.v4 = { score, from };
  } else if (score.version === '3.1' || score.version === '3.0') {
    if (beats(score, best.v3)) best.v3 = { score, from };
  } else if (score.version === '2.0' && beats(score, best.v2)) best.v2 = { score, from };
}

function beats(score: Readonly<CvssScore>, current: Scored | undefined): boolean {
  return current === undefined || score.baseScore > current.score.baseScore;
}

/** `basis` by CVSS version: one string each, not one per finding. */
const BASIS: Readonly<Record<CvssScore['version'], string>> = { '2.0': 'cvss-2.0', '3.0': 'cvss-3.0', '3.1': 'cvss-3.1', '4.0': 'cvss-4.0' };

export function resolveSeverity(records: ReadonlyArray<{ advisory: AdvisoryHead; entries: readonly number[]; labels: readonly string[] }>, issues: Issue[]): SeverityVerdict {
  const best: Best = { v4: undefined, v3: undefined, v2: undefined, label: undefined };
  for (const { advisory: record, entries, labels: extra } of records) {
    for (const s of record.facts.severity ?? []) addVector(best, s, record.id, issues);
    for (const i of entries) for (const s of record.facts.entrySeverity?.[i] ?? []) addVector(best, s, record.id, issues);
    const ds = record.facts.label;
    if (ds !== undefined) addLabel(best, ds, ds, record.id);
    for (const text of extra) addLabel(best, text, text, record.id);
  }
  const { v4, v3, v2, label } = best;
  const pick = v4 ?? v3;
  if (pick !== undefined) return scored(pick);
  if (label !== undefined) return { severity: label.severity, basis: 'label', label: label.label, from: label.from };
  if (v2 !== undefined) return scored(v2);
  return { severity: 'unknown', basis: 'none' };
}

function scored(pick: Scored): SeverityVerdict {
  return { severity: pick.score.rating, basis: BASIS[pick.score.version], score: pick.score.baseScore, vector: pick.score.vector, from: pick.from };
}

/**
 * The CVSS base score of a vulnerability from the record-level vectors of `records` (v4.0, then v3.x, then
 * v2.0; the highest of a kind), or undefined. Labels are left out: a distribution's priority or urgency
 * rates its own build, while a CVSS base score rates the vulnerability wherever it is found.
 */
export function resolveScore(records: readonly AdvisoryHead[], issues: Issue[]): SeverityVerdict | undefined {
  const best: Best = { v4: undefined, v3: undefined, v2: undefined, label: undefined };
  for (const record of records) for (const s of record.facts.severity ?? []) addVector(best, s, record.id, issues);
  const pick = best.v4 ?? best.v3 ?? best.v2;
  return pick === undefined ? undefined : scored(pick);
}
