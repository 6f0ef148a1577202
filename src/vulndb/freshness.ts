/**
 * How current the advisory data is: the newest import, or the newest `db update` whose feeds all answered
 * "not modified" (the data was as current as the feeds then). `db status` warns when it is older than the
 * vulndb config's `staleAfterHours`; so does every report that matched against it (scan, serve, image scan,
 * sbom match), as the issue `vuln-db-stale`: a clean report from month-old data is not a clean image.
 */
import { issue, type Issue } from '../core/issue.js';
import { lastUpdated, type Db } from './store/index.js';

export const STALE_DB = 'vuln-db-stale';
export const DEFAULT_STALE_AFTER_HOURS = 24;

/** "12 min", "5.5 h", "12.3 days". */
export function ageText(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${(hours / 24).toFixed(1)} days`;
}

/** The `vuln-db-stale` issue when the data is older than `staleAfterHours` at `now` (none for an empty database: matching says that). */
export function staleDatabaseIssue(db: Db, now: Date, staleAfterHours = DEFAULT_STALE_AFTER_HOURS): Issue | undefined {
  const last = lastUpdated(db);
  if (last === null) return undefined;
  const hours = (now.getTime() - Date.parse(last)) / 3_600_000;
  if (!(hours > staleAfterHours)) return undefined;
  return issue(
    STALE_DB,
    `The vulnerability data was last updated ${ageText(hours)} ago (more than ${staleAfterHours} h): advisories published since are not matched`,
    db.name,
    'Run "runwarden db update" (it fetches only what changed), or raise staleAfterHours in the vulndb config ($RUNWARDEN_VULNDB_CONFIG).',
  );
}
