import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.js';
import { FeedError, importAdvisories } from './import.js';
import { matchPackages } from './match/index.js';
import { openDatabase } from '../store/db.js';
import { advisoriesById, lastUpdated, openVulnDb, storeStatus, type Db } from './store/index.js';
import { makeZip } from '../../test/zip.js';

const OSV = join(import.meta.dirname, '..', '..', 'testdata', 'upstream', 'osv');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'rw-vulndb-'));

function record(id: string, modified: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    modified,
    affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }],
    ...extra,
  };
}

function count(db: Db): number {
  return storeStatus(db).advisories;
}

describe('importing the OSV dataset', () => {
  it('imports every advisory of the shared OSV set without an issue', async () => {
    const db = openVulnDb(':memory:');
    const go = await importAdvisories(db, join(OSV, 'go-vulndb'));
    expect(go.issues).toEqual([]);
    expect(go.counts.added + go.counts.withdrawn).toBe(readdirSync(join(OSV, 'go-vulndb')).length);
    const npm = await importAdvisories(db, join(OSV, 'npm-ghsa'));
    expect(npm.issues).toEqual([]);
    expect(npm.counts.added).toBe(6);
    const yaml = await importAdvisories(db, join(OSV, 'pypi-pypa', 'vulns'));
    expect(yaml.issues).toEqual([]);
    expect(yaml.counts.added + yaml.counts.withdrawn).toBe(127);
    const json = await importAdvisories(db, join(OSV, 'pypi-pypa', 'pypi-advisories.json'));
    expect(json.issues).toEqual([]);
    // the same 127 records as JSON: same ids and modified times, so nothing changes
    expect(json.counts.unchanged).toBe(127);
    // the GHSA converter's expected outputs (*.osv.json; the other files there are GitHub's REST format) and Red Hat's
    const more = [
      ...readdirSync(join(OSV, 'schema/tools/ghsa/testdata')).filter((f) => f.endsWith('.osv.json')).map((f) => join(OSV, 'schema/tools/ghsa/testdata', f)),
      join(OSV, 'schema/tools/redhat/testdata/OSV'),
    ];
    for (const input of more) {
      const r = await importAdvisories(db, input);
      expect(r.issues.filter((i) => !i.code.endsWith('-warning'))).toEqual([]);
      expect(r.counts.added + r.counts.withdrawn + r.counts.unchanged + r.counts.updated).toBeGreaterThan(0);
    }
    expect(advisoriesById(db, 'CVE-2021-23337').map((a) => a.id)).toEqual(['GHSA-35jh-r3h4-6jhm']);
    db.close();
  });

  it('rejects the osv-linter cases that must be rejected, with a clear issue, and imports the rest', async () => {
    const db = openVulnDb(':memory:');
    const r = await importAdvisories(db, join(OSV, 'schema', 'tools', 'osv-linter', 'testdata'));
    const rejected = r.issues.filter((i) => !i.code.endsWith('-warning')).map((i) => `${i.code} ${i.message} @${i.location ?? ''}`);
    expect(rejected).toEqual([
      `osv-lint OSV record RHSA-2022:0216 rejected: Invalid Affected: affected field cannot be null or empty @${join(OSV, 'schema/tools/osv-linter/testdata/RHSA-2022_0216.json')}`,
      `osv-lint OSV record SUSE-FU-2022:0444-1 rejected: Invalid Affected: affected field cannot be null or empty @${join(OSV, 'schema/tools/osv-linter/testdata/SUSE-FU-2022_0444-1.json')}`,
      `osv-schema OSV record CVE-2023-41045 fails the OSV schema: affected[0].ranges[0].events: missing 'introduced' object in events @${join(OSV, 'schema/tools/osv-linter/testdata/nointroduced-CVE-2023-41045.json')}`,
    ]);
    expect(r.issues.some((i) => i.code === 'osv-lint-warning' && i.message.includes('non-distinct events'))).toBe(true);
    expect(r.counts.rejected).toBe(3);
    expect(advisoriesById(db, 'MAL-2024-10238')).toHaveLength(1);
    db.close();
  });

  it('updates incrementally by modified time and retires withdrawn records', async () => {
    const dir = tmp();
    const db = openVulnDb(':memory:');
    writeFileSync(join(dir, 'a.json'), JSON.stringify(record('GHSA-aaaa-aaaa-aaaa', '2024-01-01T00:00:00Z')));
    expect((await importAdvisories(db, join(dir, 'a.json'))).counts.added).toBe(1);
    expect((await importAdvisories(db, join(dir, 'a.json'))).counts.unchanged).toBe(1);
    const pkg = { ecosystem: 'npm', name: 'left-pad', version: '1.1.0' };
    expect(matchPackages(db, [pkg]).findings).toHaveLength(1);
    // older copy: ignored
    writeFileSync(join(dir, 'a.json'), JSON.stringify(record('GHSA-aaaa-aaaa-aaaa', '2023-01-01T00:00:00Z', { summary: 'old' })));
    expect((await importAdvisories(db, join(dir, 'a.json'))).counts.unchanged).toBe(1);
    writeFileSync(join(dir, 'a.json'), JSON.stringify(record('GHSA-aaaa-aaaa-aaaa', '2024-02-01T00:00:00Z', { withdrawn: '2024-02-01T00:00:00Z' })));
    const w = await importAdvisories(db, join(dir, 'a.json'));
    expect(w.counts.withdrawn).toBe(1);
    expect(matchPackages(db, [pkg]).findings).toEqual([]);
    expect(advisoriesById(db, 'GHSA-aaaa-aaaa-aaaa')[0]?.withdrawn).toBe('2024-02-01T00:00:00Z');
    db.close();
  });

  it('says so when an input holds no advisories at all, naming the formats it expected', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'README.md'), 'not a record');
    const db = openVulnDb(':memory:');
    const r = await importAdvisories(db, dir);
    expect(r.counts).toMatchObject({ added: 0, rejected: 0, issues: 1 });
    // nothing read, nothing recorded: no import, so the database still counts as never updated
    expect([lastUpdated(db), storeStatus(db).imports]).toEqual([null, []]);
    expect(r.issues.map((i) => [i.code, i.message, i.location])).toEqual([['feed-empty', `${dir} holds no advisories (read as osv): nothing was imported`, dir]]);
    expect(r.issues[0]?.hint).toContain('Expected a directory of OSV .json/.yaml records');
    // an input with records, even rejected ones, is not empty: its issues say what went wrong
    writeFileSync(join(dir, 'bad.json'), '{"id": 1}');
    expect((await importAdvisories(db, dir)).issues.map((i) => i.code)).not.toContain('feed-empty');
    db.close();
  });

  it('reports a record that fails the schema with its file and id, and imports the others', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'good.json'), JSON.stringify(record('GHSA-good-good-good', '2024-01-01T00:00:00Z')));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(record('GHSA-badd-badd-badd', 'yesterday')));
    writeFileSync(join(dir, 'broken.json'), '{"id": "GHSA-');
    const db = openVulnDb(':memory:');
    const r = await importAdvisories(db, dir);
    expect(r.counts.added).toBe(1);
    expect(r.issues.map((i) => [i.code, i.message, i.location])).toEqual([
      ['osv-schema', 'OSV record GHSA-badd-badd-badd fails the OSV schema: modified: expected an RFC 3339 UTC time such as 2024-01-31T12:00:00Z (+1 more)', join(dir, 'bad.json')],
      ['osv-parse', expect.stringMatching(/^Cannot parse broken\.json: /), join(dir, 'broken.json')],
    ]);
    db.close();
  });

  it('reads an OSV all.zip, and refuses a truncated one whole, leaving the database as it was', async () => {
    const dir = tmp();
    const zip = makeZip([
      { name: 'GHSA-zzzz-zzzz-zzz1.json', content: JSON.stringify(record('GHSA-zzzz-zzzz-zzz1', '2024-01-01T00:00:00Z')) },
      { name: 'GHSA-zzzz-zzzz-zzz2.json', content: JSON.stringify(record('GHSA-zzzz-zzzz-zzz2', '2024-01-01T00:00:00Z')) },
      { name: 'README.txt', content: 'not a record' },
    ]);
    writeFileSync(join(dir, 'all.zip'), zip);
    const path = join(dir, 'rw.db');
    const db = openVulnDb(path);
    expect((await importAdvisories(db, join(dir, 'all.zip'))).counts.added).toBe(2);
    writeFileSync(join(dir, 'truncated.zip'), zip.subarray(0, zip.length - 30));
    await expect(importAdvisories(db, join(dir, 'truncated.zip'))).rejects.toThrow(InputError);
    await expect(importAdvisories(db, join(dir, 'truncated.zip'))).rejects.toThrow(`Cannot read zip archive "${join(dir, 'truncated.zip')}": `);
    expect(count(db)).toBe(2);
    // a corrupt entry in the middle of an otherwise complete archive: nothing of it is kept
    const corrupt = Buffer.from(makeZip([
      { name: 'GHSA-cccc-cccc-ccc1.json', content: JSON.stringify(record('GHSA-cccc-cccc-ccc1', '2024-01-01T00:00:00Z')) },
      { name: 'GHSA-cccc-cccc-ccc2.json', content: JSON.stringify(record('GHSA-cccc-cccc-ccc2', '2024-01-01T00:00:00Z')) },
    ]));
    const second = corrupt.indexOf('GHSA-cccc-cccc-ccc2.json') + 'GHSA-cccc-cccc-ccc2.json'.length;
    corrupt.fill(0xff, second, second + 8);
    writeFileSync(join(dir, 'corrupt.zip'), corrupt);
    await expect(importAdvisories(db, join(dir, 'corrupt.zip'))).rejects.toThrow(InputError);
    expect(count(db)).toBe(2);
    expect(advisoriesById(db, 'GHSA-cccc-cccc-ccc1')).toEqual([]);
    db.close();
  });

  it('leaves the previous database intact when the importing process is killed mid-import', async () => {
    const dir = tmp();
    const path = join(dir, 'rw.db');
    const db = openVulnDb(path);
    writeFileSync(join(dir, 'first.json'), JSON.stringify(record('GHSA-firs-tfir-stfi', '2024-01-01T00:00:00Z')));
    await importAdvisories(db, join(dir, 'first.json'));
    db.close();
    const big = join(dir, 'big');
    mkdirSync(big);
    for (let i = 0; i < 6000; i++) writeFileSync(join(big, `r${i}.json`), JSON.stringify(record(`GHSA-kill-${String(i).padStart(4, '0')}-xxxx`, '2024-01-01T00:00:00Z')));
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'testdata', 'kill-child.ts'), path, big], { stdio: ['ignore', 'pipe', 'inherit'] });
    const killedAt = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const m = /progress (\d+)/.exec(chunk.toString());
        if (m !== null) {
          child.kill('SIGKILL');
          resolve(Number(m[1]));
        } else if (chunk.toString().includes('done')) reject(new Error('the import finished before it could be killed'));
      });
      child.on('error', reject);
    });
    await new Promise((resolve) => child.on('close', resolve));
    expect(killedAt).toBeGreaterThanOrEqual(1000);
    const after = openVulnDb(path);
    expect(storeStatus(after).advisories).toBe(1);
    expect(matchPackages(after, [{ ecosystem: 'npm', name: 'left-pad', version: '1.0.0' }]).findings).toHaveLength(1);
    // and the database still takes the next import
    expect((await importAdvisories(after, big)).counts.added).toBe(6000);
    after.close();
  }, 60_000);
});

describe('a first import writes through a rollback journal', () => {
  /**
   * The journal mode at each progress report while records are stored (the last report comes after the
   * commit); `during` runs at each of those reports too.
   */
  const modes = async (db: Db, input: string, during?: () => void, shared?: boolean): Promise<unknown[]> => {
    const seen: unknown[] = [];
    await importAdvisories(db, input, {
      shared,
      onProgress: (p) => {
        if (p.phase !== 'import') return;
        seen.push(db.pragma('journal_mode', { simple: true }));
        during?.();
      },
    });
    return seen.slice(0, -1);
  };

  /** A folder of 2,000 one-record files, and the path of a database beside it. */
  const twoThousand = (prefix: string): { input: string; path: string } => {
    const dir = tmp();
    const input = join(dir, 'records');
    mkdirSync(input);
    for (let i = 0; i < 2000; i++) writeFileSync(join(input, `r${i}.json`), JSON.stringify(record(`GHSA-${prefix}-${String(i).padStart(4, '0')}-xxxx`, '2024-01-01T00:00:00Z')));
    return { input, path: join(dir, 'rw.db') };
  };

  it('stays in the WAL when another process may open the file meanwhile (shared: db update --every beside serve), which then reads', async () => {
    const { input, path } = twoThousand('shar');
    const db = openVulnDb(path);
    const opened: number[] = [];
    // a reader that opens the file during the import (serve starting) sees the empty database at once, and the
    // records once they are committed (the last report)
    const reader = (): void => {
      const r = openVulnDb(path, { readonly: true });
      opened.push(r.prepare('SELECT count(*) FROM vuln_advisories').pluck().get() as number);
      r.close();
    };
    expect(await modes(db, input, reader, true)).toEqual(['wal', 'wal']);
    expect(opened).toEqual([0, 0, 2000]);
    expect(count(db)).toBe(2000);
    db.close();
  });

  it('imports the first advisories without the WAL, later ones with it, and leaves the file in WAL', async () => {
    const { input, path } = twoThousand('firs');
    const db = openVulnDb(path);
    expect(await modes(db, input)).toEqual(['delete', 'delete']);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(count(db)).toBe(2000);
    writeFileSync(join(input, 'r0.json'), JSON.stringify(record('GHSA-firs-0000-xxxx', '2025-01-01T00:00:00Z')));
    expect(await modes(db, input)).toEqual(['wal', 'wal']);
    db.close();
  });

  it('keeps the WAL when another connection has the file open: it reads the previous database during the import', async () => {
    const { input, path } = twoThousand('open');
    const db = openVulnDb(path);
    const other = openVulnDb(path);
    const read: number[] = [];
    expect(await modes(db, input, () => read.push(count(other)))).toEqual(['wal', 'wal']);
    expect(read.slice(0, 2)).toEqual([0, 0]);
    expect(count(other)).toBe(2000);
    other.close();
    db.close();
  });

  it('rolls a killed first import back from its journal, pages already written to the file included; the rest of the file stays', async () => {
    const dir = tmp();
    const path = join(dir, 'rw.db');
    const db = openVulnDb(path);
    db.prepare("INSERT INTO meta (key, value) VALUES ('test.kept', 'yes')").run();
    db.close();
    const before = statSync(path).size;
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'testdata', 'kill-first-child.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const mode = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const m = /progress (\d+) (\w+)/.exec(chunk.toString());
        if (m !== null && Number(m[1]) >= 2000) {
          child.kill('SIGKILL');
          resolve(m[2] ?? '');
        }
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`the child exited (${String(code)}) before it was killed`)));
    });
    await new Promise((resolve) => child.on('close', resolve));
    expect(mode).toBe('delete');
    // the pages it wrote are in the file, and the journal that undoes them beside it
    expect(statSync(path).size).toBeGreaterThan(before + 4_000_000);
    expect(existsSync(`${path}-journal`)).toBe(true);
    const after = openVulnDb(path);
    expect(count(after)).toBe(0);
    expect(after.prepare("SELECT value FROM meta WHERE key = 'test.kept'").pluck(true).get()).toBe('yes');
    expect(after.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    writeFileSync(join(dir, 'one.json'), JSON.stringify(record('GHSA-afte-rkil-lxxx', '2024-01-01T00:00:00Z')));
    expect((await importAdvisories(after, join(dir, 'one.json'))).counts.added).toBe(1);
    after.close();
    expect(openDatabase(path).pragma('journal_mode', { simple: true })).toBe('wal');
  }, 60_000);
});

describe('importing from a URL (local HTTP server)', () => {
  let server: Server;
  let base = '';
  let flaky = 0;
  let resets = 0;
  const zip = makeZip([{ name: 'GHSA-http-http-http.json', content: JSON.stringify(record('GHSA-http-http-http', '2024-01-01T00:00:00Z')) }]);

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/npm/all.zip') {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length, etag: '"v1"' }).end(zip);
      } else if (req.url === '/broken/all.zip') {
        res.writeHead(500, 'Internal Server Error').end('boom');
      } else if (req.url === '/reset/all.zip' && resets++ === 0) {
        // the connection closes before any answer
        req.socket.destroy();
      } else if (req.url === '/reset/all.zip') {
        res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length }).end(zip);
      } else if (req.url === '/flaky/all.zip') {
        // a mirror that is busy, then drops the connection mid-body, then answers
        flaky++;
        if (flaky === 1) res.writeHead(503, 'Service Unavailable').end('busy');
        else if (flaky === 2) {
          res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
          res.write(zip.subarray(0, 10), () => res.socket?.destroy());
        } else res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length }).end(zip);
      } else if (req.url === '/cut/all.zip') {
        // promise the whole archive, send half, then drop the connection
        res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
        res.write(zip.subarray(0, zip.length >> 1), () => res.socket?.destroy());
      } else res.writeHead(404, 'Not Found').end('no such feed');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads and imports a zip, then skips it on 304 Not Modified', async () => {
    const db = openVulnDb(':memory:');
    const first = await importAdvisories(db, `${base}/npm/all.zip`, { conditional: true });
    expect(first.counts.added).toBe(1);
    expect(first.source).toBe('osv');
    const later = new Date(Date.now() + 48 * 3_600_000);
    const again = await importAdvisories(db, `${base}/npm/all.zip`, { conditional: true, now: later });
    expect(again.notModified).toBe(true);
    // unchanged since: the data counts as current as of this check (db status, vuln-db-stale)
    expect(lastUpdated(db)).toBe(later.toISOString());
    db.close();
  });

  it('names the URL and status of a feed answering 404 or 500, and changes nothing', async () => {
    const db = openVulnDb(':memory:');
    const retried: number[] = [];
    const onRetry = (_e: FeedError, attempt: number): void => void retried.push(attempt);
    // a 404 is not tried again; a 500 is, and the error says how often
    await expect(importAdvisories(db, `${base}/missing/all.zip`, { onRetry })).rejects.toThrow(`Cannot download ${base}/missing/all.zip: the server answered 404 Not Found`);
    expect(retried).toEqual([]);
    await expect(importAdvisories(db, `${base}/broken/all.zip`, { retryDelaysMs: [] })).rejects.toThrow(FeedError);
    await expect(importAdvisories(db, `${base}/broken/all.zip`, { retryDelaysMs: [0, 0], onRetry })).rejects.toThrow(`Cannot download ${base}/broken/all.zip: the server answered 500 Internal Server Error (3 attempts)`);
    expect(retried).toEqual([2, 3]);
    expect(count(db)).toBe(0);
    db.close();
  });

  it('tries a busy mirror and a dropped connection again, and imports what the next attempt gets', async () => {
    const db = openVulnDb(':memory:');
    const failures: string[] = [];
    const r = await importAdvisories(db, `${base}/flaky/all.zip`, { retryDelaysMs: [0, 0], onRetry: (e, attempt) => void failures.push(`${attempt}: ${e.message}`) });
    expect(failures).toEqual([`2: Cannot download ${base}/flaky/all.zip: the server answered 503 Service Unavailable`, expect.stringMatching(/^3: Download of .*\/flaky\/all\.zip broke off after 10 bytes/)]);
    expect(r.counts.added).toBe(1);
    // a connection closed before any answer too; a refused one (nothing listens: a wrong URL) is not tried again
    const reset = await importAdvisories(db, `${base}/reset/all.zip`, { retryDelaysMs: [0], onRetry: (e) => void failures.push(e.message) });
    expect([reset.counts.unchanged, failures[2]]).toEqual([1, expect.stringMatching(/^Cannot download .*\/reset\/all\.zip: fetch failed: /)]);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(importAdvisories(db, `http://127.0.0.1:${port}/all.zip`, { retryDelaysMs: [0], onRetry: (e) => void failures.push(e.message) })).rejects.toThrow(/ECONNREFUSED/);
    expect(failures).toHaveLength(3);
    db.close();
  });

  it('keeps the old database when the download breaks off', async () => {
    const db = openVulnDb(':memory:');
    await importAdvisories(db, `${base}/npm/all.zip`);
    await expect(importAdvisories(db, `${base}/cut/all.zip`, { retryDelaysMs: [0, 0] })).rejects.toThrow(/broke off after \d+ bytes: .* \(3 attempts\)$/);
    expect(count(db)).toBe(1);
    db.close();
  });
});

describe('source detection', () => {
  it('picks the Debian tracker, Alpine secdb and OSV layouts without --source', async () => {
    const db = openVulnDb(':memory:');
    expect((await importAdvisories(db, join(OSV, 'trivy-db-fixtures/debian/testdata/happy/vuln-list-debian/tracker'))).source).toBe('debian-tracker');
    expect((await importAdvisories(db, join(OSV, 'alpine-secdb-legacy/v3.10/main.yaml'))).source).toBe('alpine-secdb');
    expect((await importAdvisories(db, join(OSV, 'npm-ghsa'))).source).toBe('osv');
    expect(JSON.parse(readFileSync(join(OSV, 'npm-ghsa', 'GHSA-35jh-r3h4-6jhm.json'), 'utf8'))).toHaveProperty('id');
    db.close();
  });
});
