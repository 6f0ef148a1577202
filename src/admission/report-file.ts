/**
 * Verdicts from a JSON report file that a scan rewrites (`runwarden scan -f json -o FILE` on a schedule,
 * or a copy of `serve`'s `/api/v1/report`): read at start, and again whenever the file changes. A file
 * that is missing, half-written or not a report keeps the verdicts already loaded (and is logged).
 */
import { readFile, stat } from 'node:fs/promises';
import { errorMessage } from '../core/errors.js';
import { parseReport } from '../report/json/read.js';
import type { Logger } from '../serve/log.js';
import { verdictsFromReport, type VerdictCache } from './verdicts.js';

export interface ReportVerdicts {
  /** The verdicts loaded last; undefined until a report has loaded. */
  current(): VerdictCache | undefined;
  /** Why the last read failed, while no report has loaded. */
  readonly problem: string | undefined;
  /** Reads the file now if it changed; resolves true when new verdicts were loaded. */
  refresh(): Promise<boolean>;
  stop(): void;
}

export async function watchReportFile(path: string, options: { log: Logger; pollMs?: number }): Promise<ReportVerdicts> {
  let cache: VerdictCache | undefined;
  let problem: string | undefined;
  let seen = '';
  const refresh = async (): Promise<boolean> => {
    let stamp: string;
    try {
      const s = await stat(path);
      stamp = `${s.mtimeMs}:${s.size}`;
    } catch (error) {
      const why = `cannot read the report "${path}": ${errorMessage(error)}`;
      if (why !== problem) options.log(cache === undefined ? 'error' : 'warn', 'verdicts not loaded', { report: path, error: why });
      problem = why;
      return false;
    }
    if (stamp === seen) return false;
    try {
      const report = parseReport(await readFile(path, 'utf8'), path);
      cache = verdictsFromReport(report, path);
      seen = stamp;
      problem = undefined;
      const images = report.images?.length ?? 0;
      options.log('info', 'verdicts loaded', { report: path, scannedAt: report.generatedAt, images, findings: report.findings.length });
      if (report.images === undefined) options.log('warn', 'the report has no images section: every image counts as unscanned', { report: path, hint: 'Write it with this runwarden version: runwarden scan --format json (with images scanned).' });
      return true;
    } catch (error) {
      // read again when it changes next (a half-written file changes once more when its writer finishes)
      seen = stamp;
      problem = errorMessage(error);
      options.log(cache === undefined ? 'error' : 'warn', 'verdicts not reloaded; keeping the previous ones', { report: path, error: problem });
      return false;
    }
  };
  return polled(refresh, () => cache, () => problem, options.pollMs ?? 5_000);
}

/** A source's ReportVerdicts: `refresh` now, then every `pollMs` (never two at once; the timer keeps no process alive). */
export async function polled(refresh: () => Promise<boolean>, current: () => VerdictCache | undefined, problem: () => string | undefined, pollMs: number): Promise<ReportVerdicts> {
  await refresh();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void refresh().finally(() => {
      busy = false;
    });
  }, pollMs);
  timer.unref();
  return {
    current,
    get problem() {
      return problem();
    },
    refresh,
    stop: () => clearInterval(timer),
  };
}
