/**
 * Rescan triggers besides the schedule: a vulnerability DB update (another process ran `runwarden db update` on
 * the same file, or a sidecar refreshed it). The finish time of the latest import is polled; when it moves, the
 * stored SBOMs are matched again by a rescan (no image is read again). The DB age and each mirror's feed the
 * metrics.
 */
import type { Db } from '../store/db.js';
import { errorMessage } from '../core/errors.js';
import { feedUpdates, lastUpdated, trackedMirrors } from '../vulndb/store/index.js';
import { vulnDbVersion } from '../vulndb/freshness.js';
import type { Logger } from './log.js';
import type { ServeMetrics } from './metrics/index.js';

export { vulnDbVersion };

/**
 * The database's age (a "not modified" update counts: the data is as current as the feeds) and each tracked
 * mirror's (vulndb/freshness.ts), rewritten at every poll so a mirror dropped from the config disappears.
 */
function ages(db: Db, metrics: ServeMetrics, at: Date, version: string): void {
  const age = (iso: string): number => Math.max(0, (at.getTime() - Date.parse(iso)) / 1000);
  metrics.dbAge.set(age(lastUpdated(db) ?? version));
  metrics.feedAge.reset();
  const updates = feedUpdates(db);
  for (const m of trackedMirrors(db)) {
    const last = updates.get(m.url);
    if (last !== undefined) metrics.feedAge.set({ feed: m.name, url: m.url }, age(last));
  }
}

export interface DbWatch {
  /** Poll once now (tests; the timer calls it too). */
  check(): void;
  stop(): void;
}

export function watchVulnDb(db: Db, options: { intervalMs: number; onUpdate: (version: string) => void; metrics?: ServeMetrics | undefined; log: Logger; now?: () => Date }): DbWatch {
  const now = options.now ?? (() => new Date());
  let known: string | undefined;
  let first = true;
  const check = (): void => {
    let version: string | undefined;
    try {
      version = vulnDbVersion(db);
    } catch (error) {
      options.metrics?.errors.inc({ adapter: 'vulndb' });
      options.log('warn', 'vulnerability database unreadable', { error: errorMessage(error) });
      return;
    }
    if (version !== undefined && options.metrics !== undefined) {
      try {
        ages(db, options.metrics, now(), version);
      } catch (error) {
        // the ages are only metrics: the update trigger below still works
        options.metrics.errors.inc({ adapter: 'vulndb' });
        options.log('warn', 'vulnerability database ages unreadable', { error: errorMessage(error) });
      }
    }
    if (!first && version !== undefined && version !== known) {
      options.log('info', 'vulnerability database updated', { version });
      options.onUpdate(version);
    }
    first = false;
    known = version;
  };
  check();
  const timer = setInterval(check, options.intervalMs);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
