/**
 * Pure questions over release cycles: which cycle a version belongs to, whether it is past end of
 * life on a given day, and which cycle to move to. Dates are compared as ISO `YYYY-MM-DD` strings
 * (UTC days), so "now" is whatever the scan context says (`--now`), never the machine clock.
 */
import type { DateOrBool, Product, ReleaseCycle } from './schema.js';

/** `2026-11-28T10:00:00Z` → `2026-11-28`. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

const NUMERIC = /^\d+(?:\.\d+)*$/;

/** `v1.22.3` → [1, 22, 3]; undefined when the text does not start with a dotted number. */
export function leadingNumbers(version: string): number[] | undefined {
  const m = /^v?(\d+(?:\.\d+)*)/.exec(version.trim());
  if (m?.[1] === undefined) return undefined;
  return m[1].split('.').map(Number);
}

/**
 * The cycle a version belongs to: the cycle whose dotted numbers are the longest prefix of the
 * version's (`12.7` → Debian `12`, `3.18.4` → Alpine `3.18`, `22.11.0` → Node.js `22`,
 * `1.31.2` → Kubernetes `1.31`). Cycles that are not dotted numbers are matched by exact text.
 * A codename (`bookworm`) matches the cycle with that codename.
 */
export function findCycle(product: Product, version: string): ReleaseCycle | undefined {
  const v = version.trim();
  const exact = product.releases.find((r) => r.cycle === v);
  if (exact !== undefined) return exact;
  const nums = leadingNumbers(v);
  if (nums !== undefined) {
    let best: { release: ReleaseCycle; length: number } | undefined;
    for (const r of product.releases) {
      if (!NUMERIC.test(r.cycle)) continue;
      const c = r.cycle.split('.').map(Number);
      if (c.length > nums.length || c.some((n, i) => n !== nums[i])) continue;
      if (best === undefined || c.length > best.length) best = { release: r, length: c.length };
    }
    if (best !== undefined) return best.release;
  }
  const lower = v.toLowerCase();
  return product.releases.find((r) => r.codename !== undefined && r.codename.toLowerCase().split(/\s+/)[0] === lower);
}

export type EolState = 'supported' | 'eol-soon' | 'eol' | 'unknown';

export interface EolStatus {
  state: EolState;
  /** The end-of-life day when the data has one. */
  eolDate: string | undefined;
  /** End of extended (LTS / commercial) support when later than `eolDate`. */
  extendedUntil: string | undefined;
  /** Extended support is still running on the day asked about. */
  extendedActive: boolean;
  /** Days until (positive) or since (negative) end of life, when dated. */
  days: number | undefined;
}

function dateOf(value: DateOrBool | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Where a cycle stands on `today`. `eol: true` (ended, no date) is `eol`; `eol: false` (no date
 * announced) is `supported`; a date within `lookaheadDays` is `eol-soon`.
 */
export function eolStatus(release: ReleaseCycle, today: string, lookaheadDays: number): EolStatus {
  const extended = dateOf(release.eoes) ?? dateOf(release.extendedSupport);
  const eolDate = dateOf(release.eol);
  const extendedUntil = extended !== undefined && (eolDate === undefined || extended > eolDate) ? extended : undefined;
  const extendedActive = extendedUntil !== undefined && extendedUntil > today;
  if (release.eol === true) return { state: 'eol', eolDate: undefined, extendedUntil, extendedActive, days: undefined };
  if (release.eol === false || eolDate === undefined) return { state: 'supported', eolDate: undefined, extendedUntil, extendedActive, days: undefined };
  const days = daysBetween(today, eolDate);
  if (days <= 0) return { state: 'eol', eolDate, extendedUntil, extendedActive, days };
  if (days <= lookaheadDays) return { state: 'eol-soon', eolDate, extendedUntil, extendedActive, days };
  return { state: 'supported', eolDate, extendedUntil, extendedActive, days };
}

function cycleNumbers(cycle: string): number[] | undefined {
  return NUMERIC.test(cycle) ? cycle.split('.').map(Number) : undefined;
}

function compareNumbers(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Is `a` a later cycle than `b`? By dotted numbers, else by release date. */
function later(a: ReleaseCycle, b: ReleaseCycle): boolean {
  const na = cycleNumbers(a.cycle);
  const nb = cycleNumbers(b.cycle);
  if (na !== undefined && nb !== undefined) return compareNumbers(na, nb) > 0;
  return a.releaseDate !== undefined && b.releaseDate !== undefined && a.releaseDate > b.releaseDate;
}

/**
 * The smallest supported step up from `current`: the oldest later cycle still supported past the
 * look-ahead window, preferring LTS cycles when the product has them (Node.js 16 → 22, not 23).
 */
export function nextSupportedCycle(product: Product, current: ReleaseCycle, today: string, lookaheadDays: number): ReleaseCycle | undefined {
  const candidates = product.releases.filter((r) => later(r, current) && eolStatus(r, today, lookaheadDays).state === 'supported' && (r.releaseDate === undefined || r.releaseDate <= today));
  const hasLts = product.releases.some((r) => r.lts !== undefined && r.lts !== false);
  const isLts = (r: ReleaseCycle): boolean => r.lts === true || (typeof r.lts === 'string' && r.lts <= today);
  const pool = hasLts && candidates.some(isLts) ? candidates.filter(isLts) : candidates;
  let best: ReleaseCycle | undefined;
  for (const r of pool) if (best === undefined || later(best, r)) best = r;
  return best;
}
