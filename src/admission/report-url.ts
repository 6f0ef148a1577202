/**
 * Verdicts from a report URL: `runwarden serve`'s `/api/v1/report?format=json`, polled with the ETag it sends,
 * so an unchanged scan costs a 304 and no body. A webhook Deployment of its own then scales apart from the
 * monitoring service. An answer that is not a report (a follower's 503, an error, a dropped connection) keeps
 * the verdicts already loaded, and is logged once until it changes.
 */
import http from 'node:http';
import https from 'node:https';
import { errorMessage } from '../core/errors.js';
import { parseReport } from '../report/json/read.js';
import type { Logger } from '../serve/log.js';
import { polled, type ReportVerdicts } from './report-file.js';
import { verdictsFromReport, type VerdictCache } from './verdicts.js';

/** Largest report read (a 30,000-pod cluster's JSON report is tens of MiB). */
export const MAX_REPORT_BYTES = 512 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

export interface ReportUrlOptions {
  log: Logger;
  pollMs?: number | undefined;
  /** Sent as `Authorization: Bearer …` (serve's --token-file holds its hash). */
  token?: string | undefined;
  /** PEM CA that signed serve's certificate (https URLs). */
  ca?: Buffer | undefined;
}

interface Answer {
  status: number;
  etag: string | undefined;
  body: string;
}

function get(url: URL, options: ReportUrlOptions, etag: string | undefined): Promise<Answer> {
  const client = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (etag !== undefined) headers['If-None-Match'] = etag;
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers, timeout: TIMEOUT_MS, ...(options.ca === undefined ? {} : { ca: options.ca }) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_REPORT_BYTES) req.destroy(new Error(`the report is larger than ${MAX_REPORT_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: typeof res.headers.etag === 'string' ? res.headers.etag : undefined, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
  });
}

/** The URL without credentials or query, for logs. */
function shown(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export async function watchReportUrl(address: string, options: ReportUrlOptions): Promise<ReportVerdicts> {
  const url = new URL(address);
  let cache: VerdictCache | undefined;
  let problem: string | undefined;
  let etag: string | undefined;
  const fail = (why: string): false => {
    if (why !== problem) options.log(cache === undefined ? 'error' : 'warn', cache === undefined ? 'verdicts not loaded' : 'verdicts not refreshed; keeping the previous ones', { report: shown(url), error: why });
    problem = why;
    return false;
  };
  const refresh = async (): Promise<boolean> => {
    let answer: Answer;
    try {
      answer = await get(url, options, cache === undefined ? undefined : etag);
    } catch (error) {
      return fail(`cannot read the report at ${shown(url)}: ${errorMessage(error)}`);
    }
    if (answer.status === 304) {
      problem = undefined;
      return false;
    }
    if (answer.status !== 200) {
      let detail = answer.body.slice(0, 200);
      try {
        detail = (JSON.parse(answer.body) as { error?: string }).error ?? detail;
      } catch {
        // not JSON: the start of the text
      }
      const hint = answer.status === 401 ? ' (give --report-token-file with a token whose hash is in serve\'s --token-file)' : answer.status === 503 ? ' (no scan there yet, or a follower of --leader-elect: asked again)' : '';
      return fail(`${shown(url)} answered ${answer.status}: ${detail}${hint}`);
    }
    try {
      const report = parseReport(answer.body, shown(url));
      cache = verdictsFromReport(report, shown(url));
      etag = answer.etag;
      problem = undefined;
      options.log('info', 'verdicts loaded', { report: shown(url), scannedAt: report.generatedAt, images: report.images?.length ?? 0, findings: report.findings.length });
      if (report.images === undefined) options.log('warn', 'the report has no images section: every image counts as unscanned', { report: shown(url), hint: 'Scan the running images in serve (--db, image access flags).' });
      return true;
    } catch (error) {
      return fail(errorMessage(error));
    }
  };
  return polled(refresh, () => cache, () => problem, options.pollMs ?? 30_000);
}
