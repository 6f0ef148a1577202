/**
 * How current the advisory data is: the newest import, or the newest "not modified" answer of a feed (the
 * data was as current as the feed then). `db status` warns when it is older than the vulndb config's
 * `staleAfterHours`; so does every report that matched against it (scan, serve, image scan, sbom match), as
 * the issue `vuln-db-stale`: a clean report from month-old data is not a clean image.
 *
 * And per feed: the mirrors of the last `db update` (store `trackedMirrors`) are each checked on their own,
 * so one mirror that has failed for a week (a moved URL, a proxy that blocks it) is said even while the
 * others keep the newest import recent. A mirror that never gave data is left to `db update`, which fails
 * on it every run; data that only ever came from `db import` is judged by its newest import. A mirror whose
 * latest imports held nothing of a part the database holds (`feed-scope-empty`) is as old as its last
 * complete copy (store `feedUpdates`).
 */
import { issue, type Issue } from '../core/issue.js';
import { feedUpdates, lastUpdated, trackedMirrors, type Db } from './store/index.js';

/** Finish time of the latest completed import (vulndb/store's `vuln_imports`), or undefined for an empty DB. */
export function vulnDbVersion(db: Db): string | undefined {
  const row = db.prepare<[], { last: string | null }>('SELECT max(finished_at) AS last FROM vuln_imports WHERE finished_at IS NOT NULL').get();
  return row?.last ?? undefined;
}

export const STALE_DB = 'vuln-db-stale';
export const DEFAULT_STALE_AFTER_HOURS = 24;

/** "12 min", "5.5 h", "12.3 days". */
export function ageText(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${(hours / 24).toFixed(1)} days`;
}

/** A mirror of the last `db update` whose data is older than the threshold. */
export interface FeedBehind {
  url: string;
  name: string;
  /** When it was last brought up to date (ISO time). */
  lastUpdate: string;
  ageHours: number;
}

/** The mirrors of the last `db update` that gave data once but not within `staleAfterHours` of `now`, oldest first. */
export function feedsBehind(db: Db, now: Date, staleAfterHours = DEFAULT_STALE_AFTER_HOURS): { behind: FeedBehind[]; tracked: number } {
  const mirrors = trackedMirrors(db);
  if (mirrors.length === 0) return { behind: [], tracked: 0 };
  const updates = feedUpdates(db);
  const behind: FeedBehind[] = [];
  let tracked = 0;
  for (const m of mirrors) {
    const last = updates.get(m.url);
    if (last === undefined) continue;
    tracked++;
    const ageHours = (now.getTime() - Date.parse(last)) / 3_600_000;
    if (ageHours > staleAfterHours) behind.push({ url: m.url, name: m.name, lastUpdate: last, ageHours });
  }
  return { behind: behind.sort((a, b) => b.ageHours - a.ageHours || a.name.localeCompare(b.name)), tracked };
}

/** "Debian Security Tracker 6.0 days ago, OSV npm 2.1 days ago and 3 more". */
export function behindText(behind: readonly FeedBehind[], shown = 3): string {
  const named = behind.slice(0, shown).map((f) => `${f.name} ${ageText(f.ageHours)} ago`);
  const more = behind.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}

/**
 * The `vuln-db-stale` issue when the data, or the data of one of the mirrors the last `db update` fetched, is
 * older than `staleAfterHours` at `now` (none for an empty database: matching says that).
 */
export function staleDatabaseIssue(db: Db, now: Date, staleAfterHours = DEFAULT_STALE_AFTER_HOURS): Issue | undefined {
  const last = lastUpdated(db);
  if (last === null) return undefined;
  const hours = (now.getTime() - Date.parse(last)) / 3_600_000;
  if (hours > staleAfterHours) {
    return issue(
      STALE_DB,
      `The vulnerability data was last updated ${ageText(hours)} ago (more than ${staleAfterHours} h): advisories published since are not matched`,
      db.name,
      'Run "runwarden db update" (it fetches only what changed), or raise staleAfterHours in the vulndb config ($RUNWARDEN_VULNDB_CONFIG).',
    );
  }
  const { behind, tracked } = feedsBehind(db, now, staleAfterHours);
  if (behind.length === 0) return undefined;
  return issue(
    STALE_DB,
    `${behind.length} of ${tracked} vulnerability feeds ${behind.length === 1 ? 'was' : 'were'} last updated more than ${staleAfterHours} h ago (${behindText(behind)}): their advisories published since are not matched`,
    db.name,
    'Run "runwarden db update" and see why those mirrors fail (it names each failure); drop a mirror you no longer use from the vulndb config ($RUNWARDEN_VULNDB_CONFIG).',
  );
}
