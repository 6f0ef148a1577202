/**
 * CVSS base scores from vector strings. Scoring is ae-cvss-calculator's (FIRST's formulas for 2.0, 3.0,
 * 3.1 and 4.0's MacroVector tables); parsing is ours and strict, because the library silently scores an
 * incomplete or misspelt vector as 0.0 — and a 0.0 would hide a critical CVE as "none".
 * Ratings: CVSS v3.1 spec §5 and v4.0 spec §6 (None 0.0, Low 0.1–3.9, Medium 4.0–6.9, High 7.0–8.9,
 * Critical 9.0–10.0); v2 has no official scale, NVD's (Low < 4.0 ≤ Medium < 7.0 ≤ High) is used.
 */
import pkg from 'ae-cvss-calculator';
import { AppError } from '../../core/errors.js';
import type { Severity } from '../../core/severity.js';

const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = pkg;

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface CvssScore {
  version: CvssVersion;
  /** The vector as given. */
  vector: string;
  /** Base score (CVSS-B for 4.0: base metrics only, threat and environmental metrics ignored). */
  baseScore: number;
  /** Qualitative rating; CVSS "None" (0.0) is `info`. */
  rating: Severity;
}

export class InvalidCvssError extends AppError {
  /** What is wrong with the vector ("missing base metric A"), without the vector. */
  readonly reason: string;

  constructor(vector: string, reason: string) {
    super('invalid-cvss', `Invalid CVSS vector "${vector.slice(0, 200)}": ${reason}`, { hint: 'Expected a FIRST vector string such as CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.' });
    this.reason = reason;
  }
}

/** Allowed values per metric; base metrics are required exactly once. */
interface Grammar {
  base: Record<string, readonly string[]>;
  optional: Record<string, readonly string[]>;
}

const V2: Grammar = {
  base: { AV: ['L', 'A', 'N'], AC: ['H', 'M', 'L'], Au: ['M', 'S', 'N'], C: ['N', 'P', 'C'], I: ['N', 'P', 'C'], A: ['N', 'P', 'C'] },
  optional: {
    E: ['U', 'POC', 'F', 'H', 'ND'], RL: ['OF', 'TF', 'W', 'U', 'ND'], RC: ['UC', 'UR', 'C', 'ND'], CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'], TD: ['N', 'L', 'M', 'H', 'ND'],
    CR: ['L', 'M', 'H', 'ND'], IR: ['L', 'M', 'H', 'ND'], AR: ['L', 'M', 'H', 'ND'],
  },
};
const V3: Grammar = {
  base: { AV: ['N', 'A', 'L', 'P'], AC: ['L', 'H'], PR: ['N', 'L', 'H'], UI: ['N', 'R'], S: ['U', 'C'], C: ['H', 'L', 'N'], I: ['H', 'L', 'N'], A: ['H', 'L', 'N'] },
  optional: {
    E: ['X', 'H', 'F', 'P', 'U'], RL: ['X', 'U', 'W', 'T', 'O'], RC: ['X', 'C', 'R', 'U'], CR: ['X', 'H', 'M', 'L'], IR: ['X', 'H', 'M', 'L'], AR: ['X', 'H', 'M', 'L'],
    MAV: ['X', 'N', 'A', 'L', 'P'], MAC: ['X', 'L', 'H'], MPR: ['X', 'N', 'L', 'H'], MUI: ['X', 'N', 'R'], MS: ['X', 'U', 'C'], MC: ['X', 'H', 'L', 'N'], MI: ['X', 'H', 'L', 'N'], MA: ['X', 'H', 'L', 'N'],
  },
};
const V4: Grammar = {
  base: {
    AV: ['N', 'A', 'L', 'P'], AC: ['L', 'H'], AT: ['N', 'P'], PR: ['N', 'L', 'H'], UI: ['N', 'P', 'A'], VC: ['H', 'L', 'N'], VI: ['H', 'L', 'N'], VA: ['H', 'L', 'N'],
    SC: ['H', 'L', 'N'], SI: ['H', 'L', 'N'], SA: ['H', 'L', 'N'],
  },
  optional: {
    E: ['X', 'A', 'P', 'U'], CR: ['X', 'H', 'M', 'L'], IR: ['X', 'H', 'M', 'L'], AR: ['X', 'H', 'M', 'L'], MAV: ['X', 'N', 'A', 'L', 'P'], MAC: ['X', 'L', 'H'], MAT: ['X', 'N', 'P'],
    MPR: ['X', 'N', 'L', 'H'], MUI: ['X', 'N', 'P', 'A'], MVC: ['X', 'H', 'L', 'N'], MVI: ['X', 'H', 'L', 'N'], MVA: ['X', 'H', 'L', 'N'], MSC: ['X', 'H', 'L', 'N'],
    MSI: ['X', 'S', 'H', 'L', 'N'], MSA: ['X', 'S', 'H', 'L', 'N'], S: ['X', 'N', 'P'], AU: ['X', 'N', 'Y'], R: ['X', 'A', 'U', 'I'], V: ['X', 'D', 'C'], RE: ['X', 'L', 'M', 'H'],
    U: ['X', 'Clear', 'Green', 'Amber', 'Red'],
  },
};

function check(vector: string, body: string, grammar: Grammar): void {
  if (body === '') throw new InvalidCvssError(vector, 'no metrics');
  const seen = new Set<string>();
  for (const part of body.split('/')) {
    const colon = part.indexOf(':');
    if (colon <= 0) throw new InvalidCvssError(vector, `"${part}" is not METRIC:VALUE`);
    const key = part.slice(0, colon);
    const value = part.slice(colon + 1);
    const allowed = grammar.base[key] ?? grammar.optional[key];
    if (allowed === undefined) throw new InvalidCvssError(vector, `unknown metric "${key}"`);
    if (!allowed.includes(value)) throw new InvalidCvssError(vector, `${key}:${value} is not one of ${allowed.map((v) => `${key}:${v}`).join(', ')}`);
    if (seen.has(key)) throw new InvalidCvssError(vector, `metric ${key} appears twice`);
    seen.add(key);
  }
  const missing = Object.keys(grammar.base).filter((k) => !seen.has(k));
  if (missing.length > 0) throw new InvalidCvssError(vector, `missing base metric${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
}

/** Rating of a base score on the v3/v4 scale (v3.1 spec §5, v4.0 spec §6). */
export function ratingOf(score: number, version: CvssVersion = '3.1'): Severity {
  if (version === '2.0') return score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low';
  if (score === 0) return 'info';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

const cache = new Map<string, CvssScore>();

/** Parse and score a CVSS vector (2.0 without prefix, `CVSS:3.0/`, `CVSS:3.1/`, `CVSS:4.0/`); throws InvalidCvssError. */
export function scoreVector(vector: string): CvssScore {
  return { ...sharedScore(vector) };
}

/** `scoreVector` without the copy: the cached score itself, read-only (the matcher reads one per finding). */
export function sharedScore(vector: string): Readonly<CvssScore> {
  let score = cache.get(vector);
  if (score === undefined) {
    score = computeScore(vector);
    if (cache.size >= 10_000) cache.clear();
    cache.set(vector, score);
  }
  return score;
}

function computeScore(vector: string): CvssScore {
  const v = vector.trim();
  let version: CvssVersion;
  let baseScore: number;
  if (v.startsWith('CVSS:4.0/')) {
    check(v, v.slice(9), V4);
    version = '4.0';
    baseScore = new Cvss4P0(v).calculateScores().baseMetricsOnly ?? Number.NaN;
  } else if (v.startsWith('CVSS:3.1/')) {
    check(v, v.slice(9), V3);
    version = '3.1';
    baseScore = new Cvss3P1(v).calculateScores().base ?? Number.NaN;
  } else if (v.startsWith('CVSS:3.0/')) {
    check(v, v.slice(9), V3);
    version = '3.0';
    baseScore = new Cvss3P0(v).calculateScores().base ?? Number.NaN;
  } else if (v.startsWith('CVSS:')) {
    throw new InvalidCvssError(v, `unsupported version "${v.split('/')[0] ?? ''}": expected CVSS:3.0, CVSS:3.1 or CVSS:4.0`);
  } else {
    check(v, v.replace(/^\(|\)$/g, ''), V2);
    version = '2.0';
    baseScore = new Cvss2(v.replace(/^\(|\)$/g, '')).calculateScores().base ?? Number.NaN;
  }
  if (!Number.isFinite(baseScore)) throw new InvalidCvssError(v, 'the calculator returned no base score');
  return { version, vector: v, baseScore, rating: ratingOf(baseScore, version) };
}
