/** Verdicts polled from a report URL, against a loopback HTTP server standing in for serve's /api/v1/report. */
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp, type TestHttpServer } from '../../test/http.js';
import { reportOf } from '../../test/report.js';
import type { ScanReport } from '../core/report.js';
import type { LogLevel } from '../serve/log.js';
import { watchReportUrl } from './report-url.js';

const report = (generatedAt: string): ScanReport =>
  reportOf({ generatedAt, images: [{ digest: `sha256:${'c'.repeat(64)}`, references: ['ghcr.io/acme/clean:2.0'], status: 'scanned', contributors: ['vulnerabilities', 'lifecycle', 'malware'] }] });

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('watchReportUrl', () => {
  it('loads the report, asks again with its ETag (304: no body, no reload), and reloads after the next scan', async () => {
    let scan = 1;
    const seen: Array<{ auth: string | undefined; ifNoneMatch: string | undefined }> = [];
    server = await serveHttp((req, res) => {
      seen.push({ auth: req.headers.authorization, ifNoneMatch: req.headers['if-none-match'] });
      const etag = `"scan-${scan}-json"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ETag: etag }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', ETag: etag }).end(JSON.stringify(report(`2026-11-30T0${scan}:00:00.000Z`)));
    });
    const logs: string[] = [];
    const verdicts = await watchReportUrl(`${server.base}/api/v1/report?format=json`, { log: (_l: LogLevel, msg: string) => void logs.push(msg), pollMs: 60_000, token: 't0ken' });
    try {
      expect(verdicts.current()?.scannedAt).toBe('2026-11-30T01:00:00.000Z');
      expect(await verdicts.refresh()).toBe(false);
      scan = 2;
      expect(await verdicts.refresh()).toBe(true);
      expect(verdicts.current()?.scannedAt).toBe('2026-11-30T02:00:00.000Z');
      expect(seen).toEqual([
        { auth: 'Bearer t0ken', ifNoneMatch: undefined },
        { auth: 'Bearer t0ken', ifNoneMatch: '"scan-1-json"' },
        { auth: 'Bearer t0ken', ifNoneMatch: '"scan-1-json"' },
      ]);
      expect(logs).toEqual(['verdicts loaded', 'verdicts loaded']);
    } finally {
      verdicts.stop();
    }
  });

  it('keeps the verdicts it has through a 503, a 401, a body that is not a report and a dropped server, logging each problem once', async () => {
    let mode: 'ok' | '503' | '401' | 'junk' = '503';
    server = await serveHttp((_req, res) => {
      if (mode === '503') res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'No scan has finished yet in this replica' }));
      else if (mode === '401') res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'Missing or invalid bearer token' }));
      else if (mode === 'junk') res.writeHead(200, { 'Content-Type': 'application/json', ETag: '"x"' }).end('{"schemaVersion":"1.0"}');
      else res.writeHead(200, { 'Content-Type': 'application/json', ETag: '"ok"' }).end(JSON.stringify(report('2026-11-30T05:00:00.000Z')));
    });
    const logs: Array<{ level: LogLevel; msg: string; error: unknown }> = [];
    const url = `${server.base}/api/v1/report?format=json`;
    const verdicts = await watchReportUrl(url, { log: (level, msg, fields = {}) => void logs.push({ level, msg, error: fields.error }), pollMs: 60_000 });
    try {
      expect(verdicts.current()).toBeUndefined();
      expect(verdicts.problem).toBe(`${server.base}/api/v1/report answered 503: No scan has finished yet in this replica (no scan there yet, or a follower of --leader-elect: asked again)`);
      await verdicts.refresh();
      expect(logs).toHaveLength(1);
      mode = 'ok';
      expect(await verdicts.refresh()).toBe(true);
      mode = '401';
      expect(await verdicts.refresh()).toBe(false);
      expect(verdicts.problem).toMatch(/answered 401: Missing or invalid bearer token \(give --report-token-file/);
      mode = 'junk';
      expect(await verdicts.refresh()).toBe(false);
      expect(verdicts.problem).toMatch(/is not a runwarden JSON report/);
      await server.close();
      server = undefined;
      expect(await verdicts.refresh()).toBe(false);
      expect(verdicts.problem).toMatch(/^cannot read the report at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/report: .*(ECONNREFUSED|socket hang up|ECONNRESET)/);
      expect(verdicts.current()?.scannedAt).toBe('2026-11-30T05:00:00.000Z');
      expect(logs.map((l) => `${l.level} ${l.msg}`)).toEqual([
        'error verdicts not loaded',
        'info verdicts loaded',
        'warn verdicts not refreshed; keeping the previous ones',
        'warn verdicts not refreshed; keeping the previous ones',
        'warn verdicts not refreshed; keeping the previous ones',
      ]);
    } finally {
      verdicts.stop();
    }
  });
});
