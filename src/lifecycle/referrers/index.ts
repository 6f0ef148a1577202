/**
 * Vendor lifecycle referrers (Microsoft's Containers Secure Supply Chain guidance): an artifact of
 * type `application/vnd.microsoft.artifact.lifecycle` attached to an image digest, whose annotation
 * `vnd.microsoft.artifact.lifecycle.end-of-life.date` says when the image reaches end of life, as
 * `yyyy-MM-dd` or RFC 3339. A publisher may attach several over time: the newest referrer (by its
 * `org.opencontainers.image.created` annotation) wins; when none says when it was created, the
 * latest date wins. An unreadable date is an issue, never "no end of life".
 */
import { issue, type Issue } from '../../core/issue.js';
import type { ReferrerFacts } from '../detect/types.js';

export const LIFECYCLE_ARTIFACT_TYPE = 'application/vnd.microsoft.artifact.lifecycle';
export const EOL_ANNOTATION = 'vnd.microsoft.artifact.lifecycle.end-of-life.date';
const CREATED = 'org.opencontainers.image.created';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
// RFC 3339 date-time: full-date "T" full-time, with a Z or numeric offset (section 5.6).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** `2026-01-31` or `2026-01-31T00:00:00Z` / `2026-01-31T10:00:00+02:00` → the instant; undefined when invalid. */
export function parseLifecycleDate(value: string): Date | undefined {
  const v = value.trim();
  const day = DAY.exec(v);
  if (day !== null) {
    const d = new Date(`${v}T00:00:00Z`);
    return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v ? undefined : d;
  }
  const m = DATE_TIME.exec(v);
  if (m === null) return undefined;
  const d = new Date(v.replace(' ', 'T'));
  if (Number.isNaN(d.getTime())) return undefined;
  // Reject impossible calendar values that Date rolls over (2026-02-30).
  const month = Number(m[2]);
  const dayOfMonth = Number(m[3]);
  if (month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > new Date(Date.UTC(Number(m[1]), month, 0)).getUTCDate()) return undefined;
  return d;
}

export interface VendorLifecycle {
  /** The end-of-life instant the winning referrer states. */
  endOfLife: Date;
  /** The annotation exactly as written. */
  value: string;
  /** The winning referrer's digest. */
  referrer: string;
  created: string | undefined;
  /** How many lifecycle referrers were read. */
  count: number;
}

/** The vendor end-of-life of an image from its referrers; undefined when none is a lifecycle artifact. */
export function vendorLifecycle(referrers: readonly ReferrerFacts[], location?: string): { lifecycle: VendorLifecycle | undefined; issues: Issue[] } {
  const issues: Issue[] = [];
  const read: Array<{ date: Date; value: string; referrer: string; created: Date | undefined; createdText: string | undefined }> = [];
  let count = 0;
  for (const r of referrers) {
    if (r.artifactType !== LIFECYCLE_ARTIFACT_TYPE) continue;
    count++;
    const value = r.annotations?.[EOL_ANNOTATION];
    if (value === undefined) {
      issues.push(issue('lifecycle-referrer-no-date', `Lifecycle referrer ${r.digest} has no "${EOL_ANNOTATION}" annotation; ignored`, location));
      continue;
    }
    const date = parseLifecycleDate(value);
    if (date === undefined) {
      issues.push(issue('lifecycle-referrer-bad-date', `Lifecycle referrer ${r.digest} says end of life "${value.slice(0, 64)}", which is neither yyyy-MM-dd nor an RFC 3339 date-time; ignored`, location, 'Ask the publisher to fix the annotation.'));
      continue;
    }
    const createdText = r.annotations?.[CREATED];
    const created = createdText === undefined ? undefined : parseLifecycleDate(createdText);
    read.push({ date, value, referrer: r.digest, created, createdText });
  }
  if (read.length === 0) return { lifecycle: undefined, issues };
  // Newest statement first: by creation time when known (undated ones rank oldest), then the later date.
  read.sort((a, b) => (b.created?.getTime() ?? -Infinity) - (a.created?.getTime() ?? -Infinity) || b.date.getTime() - a.date.getTime());
  const best = read[0];
  if (best === undefined) return { lifecycle: undefined, issues };
  return { lifecycle: { endOfLife: best.date, value: best.value, referrer: best.referrer, created: best.createdText, count }, issues };
}
