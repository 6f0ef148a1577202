import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeZip } from '../../../test/zip.js';
import { cli } from '../../../test/cli.js';
import { serveHttp, type TestHttpServer } from '../../../test/http.js';
import { ScanReportJson } from '../../report/json/schema.js';

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(args, { env });

const ROOT = join(import.meta.dirname, '..', '..', '..');
const OSV = join(ROOT, 'testdata', 'upstream', 'osv');

describe('runwarden db', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-db-cli-'));
  const db = join(dir, 'rw.db');

  it('imports, shows status, shows an advisory by alias and queries a package', async () => {
    const imp = await run(['db', 'import', join(OSV, 'npm-ghsa'), '--db', db]);
    expect(imp).toMatchObject({ code: 0, stderr: '' });
    expect(imp.stdout).toBe(`${join(OSV, 'npm-ghsa')} (osv): 6 added, 0 updated, 0 unchanged, 0 withdrawn, 0 retired, 0 rejected\n`);
    await run(['db', 'import', join(OSV, 'trivy-db-fixtures/debian/testdata/happy/vuln-list-debian/tracker'), '--db', db, '--source', 'debian-tracker']);

    const status = await run(['db', 'status', '--db', db]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('osv                       6          0      1');
    // the releases held, in version order: an image of another release is not checked
    expect(status.stdout).toMatch(/debian-tracker\s+Debian\s+6\s+6 {2}8, 9, 10, 11, 12\n/);
    expect(status.stdout).toMatch(/osv\s+npm\s+6\s+\d+\n/);
    expect(status.stderr).toBe('');
    const stale = await run(['db', 'status', '--db', db, '--now', '2099-01-01T00:00:00Z']);
    expect(stale.stderr).toMatch(/^runwarden: warning: the vulnerability data is [\d.]+ days old \(more than 24 h\); new CVEs may be missing\. Run "runwarden db update"\.\n$/);
    const json = JSON.parse((await run(['db', 'status', '--db', db, '-f', 'json'])).stdout) as { advisories: number; stale: boolean; byEcosystem: Array<{ ecosystem: string; releases: string[] }> };
    expect(json.byEcosystem.map((e) => [e.ecosystem, e.releases])).toEqual([['Debian', ['8', '9', '10', '11', '12']], ['npm', []]]);
    expect(json).toMatchObject({ advisories: 12, stale: false });

    const show = await run(['db', 'show', 'CVE-2021-23337', '--db', db]);
    expect(show.stdout).toContain('GHSA-35jh-r3h4-6jhm  [osv]\n  aliases:   CVE-2021-23337\n  summary:   Command Injection in lodash');
    expect(show.stdout).toContain('  affects:   npm lodash\n             ECOSYSTEM: introduced 0, fixed 4.17.21');
    // the vector's base score, computed as the matcher does (CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H is 7.2)
    expect(show.stdout).toContain('  severity:  CVSS_V3 CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H  (7.2, high)\n');
    const missing = await run(['db', 'show', 'CVE-1999-0001', '--db', db]);
    expect(missing).toMatchObject({ code: 3, stderr: 'runwarden: error: No advisory "CVE-1999-0001" (as id or alias) in the database. Hint: Check the id, or import the source that has it (runwarden db status lists what is there).\n' });

    const q = await run(['db', 'query', 'npm', 'lodash', '4.17.15', '--db', db]);
    expect(q.stdout).toBe('HIGH     CVE-2021-23337, GHSA-35jh-r3h4-6jhm  affected; fixed in 4.17.21\n');
    expect((await run(['db', 'query', 'npm', 'lodash', '4.17.21', '--db', db])).stdout).toBe('npm lodash 4.17.21: no known vulnerability.\n');
    // a version the scheme cannot read is neither affected nor not: said so, with the reason below
    const bad = await run(['db', 'query', 'npm', 'lodash', 'notaversion', '--db', db]);
    expect(bad.stdout).toBe('HIGH     CVE-2021-23337, GHSA-35jh-r3h4-6jhm  unknown: could not be decided (see below)\n');
    expect(bad.stderr).toContain('vuln-unevaluable: GHSA-35jh-r3h4-6jhm for npm lodash@notaversion: Invalid semver version "notaversion"');
    expect((await run(['db', 'query', 'npm', 'lodash', '--db', db])).stdout).toMatch(/^GHSA-35jh-r3h4-6jhm\s+osv\s+ECOSYSTEM: introduced 0, fixed 4.17.21\n$/);
    const deb = await run(['db', 'query', 'Debian:10', 'dacs', '1.4.38a-2', '--db', db]);
    expect(deb.stdout).toBe('LOW      CVE-2021-29629  affected; will_not_fix\n');
    expect(deb.stderr).toBe('');
    // a binary package's name: nothing is filed under it, and the note says what to query instead
    const binary = await run(['db', 'query', 'Debian:10', 'libssl1.1', '1.1.1d-0+deb10u7', '--db', db]);
    expect(binary.stdout).toBe('Debian:10 libssl1.1 1.1.1d-0+deb10u7: no known vulnerability.\n');
    expect(binary.stderr).toBe(`runwarden: note: no Debian advisory names "libssl1.1": they are filed by source package (dpkg-query -W -f='\${source:Package}' libssl1.1 prints it; libssl3 is under openssl). Query that name.\n`);
    expect((await run(['db', 'query', 'npm', 'lodash', '4.17.21', '--db', db])).stderr).toBe('');
    // a release the database has nothing for: not checked, which is not "no known vulnerability"
    const none = await run(['db', 'query', 'Debian:13', 'dacs', '1.4.38a-2', '--db', db]);
    expect([none.stdout, none.stderr]).toEqual(['Debian:13 dacs 1.4.38a-2: not checked (see below).\n', expect.stringContaining('vuln-no-advisories: The database holds no advisories for Debian 13: 1 Debian 13 package was not checked for vulnerabilities')]);
    // the releases it does hold, in version order as db status lists them
    expect(none.stderr).toContain("The database's Debian advisories are for releases 8, 9, 10, 11, 12 only.");
  });

  it('lists the known ecosystems and the closest one for an unknown ecosystem', async () => {
    const r = await run(['db', 'query', 'pypi', 'requests', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^runwarden: error: Unknown ecosystem "pypi": known ecosystems are .*\bnpm\b.*\bPyPI\b.*\. Did you mean "PyPI"\? Hint: OSV ecosystem names are case-sensitive/);
    const os = await run(['db', 'query', 'Debian', 'dacs', '1.0', '--db', db]);
    expect(os.stderr).toBe('runwarden: error: Debian advisories are per release: give it as "Debian:<release>", e.g. "Debian:12"\n');
  });

  it('explains a missing database, a bad --source and a corrupt archive in one line', async () => {
    const none = await run(['db', 'status', '--db', join(dir, 'nope.db')]);
    expect(none).toMatchObject({ code: 3, stderr: `runwarden: error: No vulnerability database at "${join(dir, 'nope.db')}". Hint: Run "runwarden db update" (or "runwarden db import <path|url>"), or pass --db PATH.\n` });
    // an unset shell variable (`--db "$DB"`) names no file: a usage error, for every command that takes --db
    const empty = { code: 2, stderr: `runwarden: error: --db is empty: expected the path of a database file. Hint: Pass --db PATH, or leave it out for ${join(dir, 'home', '.local', 'share', 'runwarden', 'runwarden.db')}.\n` };
    expect(await run(['db', 'status', '--db', ''], { HOME: join(dir, 'home') })).toMatchObject(empty);
    expect(await run(['sbom', 'match', join(dir, 'nope.txt'), '--db', ' '], { HOME: join(dir, 'home') })).toMatchObject(empty);
    const src = await run(['db', 'import', dir, '--source', 'nvd', '--db', db]);
    expect(src).toMatchObject({ code: 2, stderr: 'runwarden: error: Unknown --source "nvd": expected one of debian-tracker, alpine-secdb, osv. Hint: Leave --source out to detect the format from the input.\n' });
    writeFileSync(join(dir, 'cut.zip'), makeZip([{ name: 'a.json', content: '{}' }]).subarray(0, 40));
    const cut = await run(['db', 'import', join(dir, 'cut.zip'), '--db', db]);
    expect(cut.code).toBe(3);
    expect(cut.stderr).toMatch(new RegExp(`^runwarden: error: Cannot read zip archive "${join(dir, 'cut.zip')}": .* Hint: The archive is truncated or corrupt; download it again\\. The database was not changed\\.\\n$`));
  });

  describe('db update against a local mirror', () => {
    let server: TestHttpServer;
    let base = '';
    let cuts = 0;
    let flaky = 0;
    const requests: Array<{ url: string | undefined; headers: Record<string, string | string[] | undefined> }> = [];
    const npm = makeZip([{ name: 'GHSA-35jh-r3h4-6jhm.json', content: readFileSync(join(OSV, 'npm-ghsa/GHSA-35jh-r3h4-6jhm.json')) }]);
    beforeAll(async () => {
      server = await serveHttp((req, res) => {
        requests.push({ url: req.url, headers: req.headers });
        if (req.url === '/npm/all.zip') {
          if (req.headers['if-none-match'] === '"npm-1"') res.writeHead(304).end();
          else res.writeHead(200, { etag: '"npm-1"', 'content-length': npm.length }).end(npm);
        } else if (req.url === '/cut/all.zip' && cuts++ === 0) {
          // the connection drops mid-body once: the next attempt gets the archive
          res.writeHead(200, { 'content-length': npm.length });
          res.write(npm.subarray(0, 100), () => res.socket?.destroy());
        } else if (req.url === '/flaky/all.zip' && flaky++ === 0) {
          // gives data once, then is gone (a moved URL)
          res.writeHead(200, { 'content-length': npm.length }).end(npm);
        } else if (req.url === '/cut/all.zip') {
          res.writeHead(200, { 'content-length': npm.length }).end(npm);
        } else if (req.url === '/debian/json') {
          if (req.headers['if-none-match'] === '"deb-1"') res.writeHead(304).end();
          else res.writeHead(200, { 'content-type': 'application/json', etag: '"deb-1"' }).end('{}');
        } else if (req.url === '/eol/nodejs.json') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ cycle: '16', releaseDate: '2021-04-20', eol: '2023-09-11', latest: '16.20.2' }]));
        } else res.writeHead(404, 'Not Found').end();
      });
      base = server.base;
    });
    afterAll(() => server.close());

    it('fetches the configured mirrors, skips unchanged ones, tries a dropped download again, and reports a broken mirror while keeping the others', async () => {
      const updDb = join(dir, 'update.db');
      const config = join(dir, 'vulndb.yaml');
      writeFileSync(config, `mirrors:\n  - {source: osv, url: ${base}/npm/all.zip, name: npm}\n  - {source: osv, url: ${base}/gone/all.zip, name: gone}\n  - {source: osv, url: ${base}/cut/all.zip, name: cut}\n`);
      const first = await run(['db', 'update', '--config', config, '--db', updDb, '--no-lifecycle']);
      expect(first.code).toBe(3);
      expect(first.stdout).toBe(`${base}/npm/all.zip (osv): 1 added, 0 updated, 0 unchanged, 0 withdrawn, 0 retired, 0 rejected\n${base}/cut/all.zip (osv): 0 added, 0 updated, 1 unchanged, 0 withdrawn, 0 retired, 0 rejected\n`);
      expect(first.stderr).toContain(`runwarden: gone: Cannot download ${base}/gone/all.zip: the server answered 404 Not Found Hint: The feed is not at that URL; fix the mirror URL in the vulndb config.\n`);
      expect(first.stderr).toMatch(new RegExp(`runwarden: cut: Download of ${base}/cut/all\\.zip broke off after 100 bytes: .*; trying again in 1 s \\(attempt 2\\)\\n`));
      expect(first.stderr).toContain('runwarden: 1 of 3 mirror(s) failed; the database keeps their previous data (gone: no data from it yet).\n');
      const second = await run(['db', 'update', '--db', updDb, '--no-lifecycle'], { RUNWARDEN_VULNDB_CONFIG: config });
      expect(second.stdout.split('\n')[0]).toBe(`${base}/npm/all.zip: not modified since the last update`);
      expect((await run(['db', 'query', 'npm', 'lodash', '4.17.15', '--db', updDb])).stdout).toContain('CVE-2021-23337');
    });

    it('keeps updating with --every until SIGTERM (a sidecar of serve): one JSON line per run, unchanged feeds not fetched again', async () => {
      const everyDb = join(dir, 'every.db');
      const config = join(dir, 'every.yaml');
      writeFileSync(config, `mirrors:\n  - {source: osv, url: ${base}/npm/all.zip, name: npm}\n`);
      const seen = requests.length;
      const pending = run(['db', 'update', '--config', config, '--db', everyDb, '--no-lifecycle', '--every', '1s', '-f', 'json']);
      const npmRequests = (): number => requests.slice(seen).filter((r) => r.url === '/npm/all.zip').length;
      for (let i = 0; i < 200 && npmRequests() < 2; i++) await new Promise((r) => setTimeout(r, 25));
      process.emit('SIGTERM');
      const result = await pending;
      expect([result.code, result.stderr]).toEqual([0, '']);
      const runs = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { results: Array<{ notModified?: boolean; counts: { added: number } }>; failures: unknown[] });
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs.slice(0, 2).map((r) => [r.results[0]?.notModified ?? false, r.results[0]?.counts.added, r.failures.length])).toEqual([
        [false, 1, 0],
        [true, 0, 0],
      ]);
      // the second run asked with the first one's ETag
      expect(requests.slice(seen).filter((r) => r.url === '/npm/all.zip').map((r) => r.headers['if-none-match'] ?? null).slice(0, 2)).toEqual([null, '"npm-1"']);
      const bad = await run(['db', 'update', '--db', everyDb, '--every', '10ms']);
      expect([bad.code, bad.stderr]).toEqual([2, 'runwarden: error: Invalid --every "10ms": must be at least 1s\n']);
    });

    it('says in db status and in every report which mirror has not given data for longer than staleAfterHours, while the others keep the data recent', async () => {
      const feedsDb = join(dir, 'feeds.db');
      const config = join(dir, 'vulndb-feeds.yaml');
      writeFileSync(config, `mirrors:\n  - {source: osv, url: ${base}/npm/all.zip, name: npm}\n  - {source: osv, url: ${base}/flaky/all.zip, name: flaky}\n`);
      expect((await run(['db', 'update', '--config', config, '--db', feedsDb, '--no-lifecycle'])).code).toBe(0);
      expect((await run(['db', 'status', '--db', feedsDb])).stderr).toBe('');
      // days later (the imports moved back: npm's two days, flaky's three): npm answers "not modified", flaky is gone
      const sqlite = new Database(feedsDb);
      const backdate = sqlite.prepare("UPDATE vuln_imports SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) WHERE feed = ?");
      backdate.run('-2 days', `${base}/npm/all.zip`);
      backdate.run('-3 days', `${base}/flaky/all.zip`);
      sqlite.close();
      const again = await run(['db', 'update', '--config', config, '--db', feedsDb, '--no-lifecycle']);
      expect([again.code, again.stdout.split('\n')[0]]).toEqual([3, `${base}/npm/all.zip: not modified since the last update`]);
      expect(again.stderr).toContain('runwarden: 1 of 2 mirror(s) failed; the database keeps their previous data (flaky: its data is 3.0 days old).\n');
      const status = await run(['db', 'status', '--db', feedsDb]);
      expect(status.stdout).toMatch(/\nFEEDS BEHIND \(1 of 2 mirrors of the last db update\)\nNAME +LAST UPDATE +AGE\nflaky +\d{4}-\d\d-\d\dT[\d:.]+Z +3\.0 days\n/);
      expect(status.stderr).toMatch(/^runwarden: warning: 1 of 2 feeds was last updated more than 24 h ago \(flaky 3\.0 days ago\); their new CVEs may be missing\. Run "runwarden db update" and see why those mirrors fail\.\n$/);
      const json = JSON.parse((await run(['db', 'status', '--db', feedsDb, '-f', 'json'])).stdout) as { stale: boolean; feedsBehind: Array<{ name: string; url: string }> };
      expect([json.stale, json.feedsBehind.map((f) => [f.name, f.url])]).toEqual([true, [['flaky', `${base}/flaky/all.zip`]]]);
      // a report matched against it says so too
      const purls = join(dir, 'purls.txt');
      writeFileSync(purls, 'pkg:npm/lodash@4.17.15\n');
      const report = JSON.parse((await run(['sbom', 'match', purls, '--db', feedsDb, '-f', 'json'])).stdout) as { issues: Array<{ code: string; message: string }> };
      expect(report.issues.find((i) => i.code === 'vuln-db-stale')?.message).toMatch(/^1 of 2 vulnerability feeds was last updated more than 24 h ago \(flaky 3\.0 days ago\)/);
    });

    it('counts a mirror that answers an empty feed as failed, and an empty input of db import as an error', async () => {
      const config = join(dir, 'vulndb-empty.yaml');
      writeFileSync(config, `mirrors:\n  - {source: osv, url: ${base}/npm/all.zip, name: npm}\n  - {source: debian-tracker, url: ${base}/debian/json, name: debian}\n`);
      const r = await run(['db', 'update', '--config', config, '--db', join(dir, 'empty.db'), '--no-lifecycle']);
      expect(r.stderr).toContain(`  feed-empty: ${base}/debian/json holds no advisories (read as debian-tracker): nothing was imported [${base}/debian/json]`);
      expect(r.stderr).toContain('runwarden: 1 of 2 mirror(s) failed; the database keeps their previous data (debian: no data from it yet).\n');
      expect(r.code).toBe(3);
      // its ETag was not kept: the next update fetches it again, and says so again, instead of "not modified"
      const again = await run(['db', 'update', '--config', config, '--db', join(dir, 'empty.db'), '--no-lifecycle']);
      expect([again.code, again.stderr]).toEqual([3, expect.stringContaining(`feed-empty: ${base}/debian/json holds no advisories`)]);
      const emptyDir = join(dir, 'no-records');
      mkdirSync(emptyDir);
      const imp = await run(['db', 'import', emptyDir, '--db', join(dir, 'empty.db')]);
      expect([imp.code, imp.stderr.split('\n')[0]]).toEqual([3, `runwarden: 1 issue(s) while importing ${emptyDir}:`]);
    });

    it('also refreshes the end-of-life data from the lifecycle URL, keeping the stored cycles of a product that fails', async () => {
      const config = join(dir, 'vulndb-eol.yaml');
      writeFileSync(config, `mirrors:\n  - {source: osv, url: ${base}/npm/all.zip, name: npm}\n`);
      const r = await run(['db', 'update', '--config', config, '--db', join(dir, 'eol.db')], { RUNWARDEN_LIFECYCLE_URL: `${base}/eol` });
      expect(r.stdout.split('\n')[0]).toBe(`end-of-life data ${base}/eol: 1 product(s) updated, 36 failed`);
      expect(r.stderr).toContain(`lifecycle-update-failed: debian: Lifecycle data ${base}/eol/debian.json answered HTTP 404; the stored cycles are kept`);
      expect(r.stderr).toContain('runwarden: end-of-life data: 36 product(s) failed to update; their stored cycles are kept.\n');
      expect(r.code).toBe(3);
    });

    it('names the file and field of a bad config', async () => {
      const config = join(dir, 'bad.yaml');
      writeFileSync(config, 'mirrors:\n  - {source: nvd, url: ftp://x}\n');
      const r = await run(['db', 'update', '--config', config, '--db', join(dir, 'x.db')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^runwarden: error: Invalid vulndb config "${config}": mirrors\\[0\\]\\.source: `));
    });
  });
  it('db show scores each CVSS vector, and says why one cannot be scored', async () => {
    const feed = join(dir, 'cvss-feed');
    mkdirSync(feed, { recursive: true });
    const severity = [
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H' },
      { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
      { type: 'Ubuntu', score: 'medium' },
    ];
    writeFileSync(join(feed, 'OSV-2026-1.json'), JSON.stringify({ id: 'OSV-2026-1', modified: '2026-01-01T00:00:00Z', severity, affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.1' }] }] }] }));
    const cvssDb = join(dir, 'cvss.db');
    expect((await run(['db', 'import', feed, '--db', cvssDb])).code).toBe(0);
    const show = await run(['db', 'show', 'OSV-2026-1', '--db', cvssDb]);
    expect(show.stdout).toContain('  severity:  CVSS_V3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H  (not scored: missing base metric A)\n');
    expect(show.stdout).toContain('  severity:  CVSS_V4 CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N  (9.3, critical)\n');
    // a label, not a vector: printed as it is
    expect(show.stdout).toContain('  severity:  Ubuntu medium\n');
  });
});

describe('runwarden sbom match', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-sbom-cli-'));
  const db = join(dir, 'rw.db');
  beforeAll(async () => {
    await run(['db', 'import', join(ROOT, 'demo', 'advisories', 'osv'), '--db', db]);
  });

  it('matches a purl list and reports in the scan formats, with --fail-on', async () => {
    writeFileSync(join(dir, 'purls.txt'), 'pkg:npm/lodash@4.17.15\npkg:pypi/requests@2.25.0\npkg:npm/left-pad@1.3.0\n');
    const table = await run(['sbom', 'match', join(dir, 'purls.txt'), '--db', db, '--fail-on', 'high']);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain('CVE-2021-23337');
    // an SBOM has no cluster: the table says what was read, not "0 nodes, 0 namespaces, …"
    expect(table.stdout.split('\n')[1]).toBe('3 packages');
    expect(table.stdout).toContain(`\nsbom ${join(dir, 'purls.txt')}\n  HIGH `);
    const json = await run(['sbom', 'match', join(dir, 'purls.txt'), '--db', db, '-f', 'json', '--now', '2026-01-01T00:00:00Z']);
    expect(json.code).toBe(0);
    const report = ScanReportJson.parse(JSON.parse(json.stdout));
    expect(report.source).toEqual({ type: 'sbom', location: join(dir, 'purls.txt') });
    expect(report.summary.packages).toBe(3);
    expect(report.findings.map((f) => f.evidence.vulnerability)).toEqual(['CVE-2021-23337', 'CVE-2023-32681']);
    const sarif = JSON.parse((await run(['sbom', 'match', join(dir, 'purls.txt'), '--db', db, '-f', 'sarif'])).stdout) as { version: string };
    expect(sarif.version).toBe('2.1.0');
    expect(report.issues.map((i) => i.code)).not.toContain('vuln-db-stale');
    // an SBOM without packages: no findings, and the issue that says why
    writeFileSync(join(dir, 'empty.cdx.json'), '{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": []}');
    const empty = await run(['sbom', 'match', join(dir, 'empty.cdx.json'), '--db', db]);
    expect(empty.stdout).toContain(`! ${join(dir, 'empty.cdx.json')} lists no packages: nothing was matched`);
    // matched against data a month old: said in the report, as db status says it
    const later = await run(['sbom', 'match', join(dir, 'purls.txt'), '--db', db, '-f', 'json', '--now', new Date(Date.now() + 30 * 24 * 3_600_000).toISOString()]);
    const stale = ScanReportJson.parse(JSON.parse(later.stdout)).issues.find((i) => i.code === 'vuln-db-stale');
    expect(stale?.message).toMatch(/^The vulnerability data was last updated 30\.0 days ago \(more than 24 h\): advisories published since are not matched$/);
  });

  it('keeps VEX-suppressed findings in JSON and leaves them out of --fail-on', async () => {
    writeFileSync(join(dir, 'purls.txt'), 'pkg:npm/lodash@4.17.15\n');
    writeFileSync(join(dir, 'vex.json'), JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': 'pkg:npm/lodash@4.17.15' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }] }));
    const r = await run(['sbom', 'match', join(dir, 'purls.txt'), '--db', db, '--vex', join(dir, 'vex.json'), '--fail-on', 'low', '-f', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { findings: Array<{ suppression?: { reason: string }; evidence: { vex?: { status: string } } }>; summary: { findings: number } };
    expect(report.summary.findings).toBe(0);
    expect(report.findings[0]?.suppression?.reason).toBe('VEX not_affected (vulnerable_code_not_in_execute_path)');
    expect(report.findings[0]?.evidence.vex?.status).toBe('not_affected');
    const table = await run(['sbom', 'match', join(dir, 'purls.txt'), '--db', db, '--vex', join(dir, 'vex.json')]);
    expect(table.stdout).toContain('Suppressed: 1 finding(s) not affected or fixed by VEX statements');
    // the same statement as a CSAF 2.0 VEX document
    const csaf = {
      document: { category: 'csaf_vex', csaf_version: '2.0', tracking: { current_release_date: '2024-05-01T00:00:00Z' } },
      product_tree: { full_product_names: [{ name: 'lodash 4.17.15', product_id: 'lodash', product_identification_helper: { purl: 'pkg:npm/lodash@4.17.15' } }] },
      vulnerabilities: [{ cve: 'CVE-2021-23337', product_status: { known_not_affected: ['lodash'] }, flags: [{ label: 'vulnerable_code_not_in_execute_path', product_ids: ['lodash'] }] }],
    };
    writeFileSync(join(dir, 'vex.csaf.json'), JSON.stringify(csaf));
    const viaCsaf = await run(['sbom', 'match', join(dir, 'purls.txt'), '--db', db, '--vex', join(dir, 'vex.csaf.json'), '--fail-on', 'low', '-f', 'json']);
    const csafReport = JSON.parse(viaCsaf.stdout) as { findings: Array<{ suppression?: { reason: string }; evidence: { vex?: { format: string } } }> };
    expect([viaCsaf.code, csafReport.findings[0]?.suppression?.reason, csafReport.findings[0]?.evidence.vex?.format]).toEqual([0, 'VEX not_affected (vulnerable_code_not_in_execute_path)', 'csaf']);
  });

  it('applies VEX statements about the image an SBOM describes (CycloneDX metadata.component, SPDX CONTAINER) by its digest', async () => {
    const A = `sha256:${'a'.repeat(64)}`;
    const B = `sha256:${'b'.repeat(64)}`;
    const imagePurl = (digest: string): string => `pkg:oci/app@${digest.replace(':', '%3A')}?repository_url=registry.example%2Fapp`;
    writeFileSync(join(dir, 'image.cdx.json'), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', metadata: { component: { type: 'container', name: 'registry.example/app', purl: imagePurl(A) } }, components: [{ type: 'library', name: 'lodash', purl: 'pkg:npm/lodash@4.17.15' }] }));
    writeFileSync(
      join(dir, 'image.spdx.json'),
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        packages: [
          { SPDXID: 'SPDXRef-image', name: 'registry.example/app', primaryPackagePurpose: 'CONTAINER', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: imagePurl(A) }] },
          { SPDXID: 'SPDXRef-lodash', name: 'lodash', versionInfo: '4.17.15', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/lodash@4.17.15' }] },
        ],
      }),
    );
    const vexAbout = (digest: string): string => {
      const file = join(dir, `vex-${digest.slice(7, 8)}.json`);
      writeFileSync(file, JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': imagePurl(digest) }], status: 'not_affected', justification: 'vulnerable_code_not_present' }] }));
      return file;
    };
    const suppressed = async (sbom: string, vex: string): Promise<boolean[]> => {
      const report = JSON.parse((await run(['sbom', 'match', join(dir, sbom), '--db', db, '--vex', vex, '-f', 'json'])).stdout) as { findings: Array<{ suppression?: unknown }> };
      return report.findings.map((f) => f.suppression !== undefined);
    };
    expect(await suppressed('image.cdx.json', vexAbout(A))).toEqual([true]);
    expect(await suppressed('image.spdx.json', vexAbout(A))).toEqual([true]);
    // a statement about another image, or an SBOM that names no image, leaves the finding alone
    expect(await suppressed('image.cdx.json', vexAbout(B))).toEqual([false]);
    writeFileSync(join(dir, 'lodash.txt'), 'pkg:npm/lodash@4.17.15\n');
    expect(await suppressed('lodash.txt', vexAbout(A))).toEqual([false]);
    // --format cyclonedx nests the package in the image the SBOM describes (by its digest, not named after the file); a purl list's stays at the top
    const cdx = async (sbom: string): Promise<Array<[string, string | undefined, string[]]>> => {
      const bom = JSON.parse((await run(['sbom', 'match', join(dir, sbom), '--db', db, '-f', 'cyclonedx'])).stdout) as { components: Array<{ type: string; name: string; version?: string; components?: Array<{ 'bom-ref': string }> }> };
      return bom.components.map((c) => [c.type, c.version, (c.components ?? []).map((p) => p['bom-ref'])]);
    };
    expect(await cdx('image.cdx.json')).toEqual([['container', A, ['pkg:npm/lodash@4.17.15']]]);
    expect(await cdx('lodash.txt')).toEqual([['library', '4.17.15', []]]);
  });

  it('reads CycloneDX and explains a file that is not an SBOM, and a bad --fail-on', async () => {
    writeFileSync(join(dir, 'bom.json'), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library', name: 'lodash', purl: 'pkg:npm/lodash@4.17.15' }] }));
    expect((await run(['sbom', 'match', join(dir, 'bom.json'), '--db', db])).stdout).toContain('CVE-2021-23337');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const bad = await run(['sbom', 'match', join(dir, 'notes.txt'), '--db', db]);
    expect(bad).toMatchObject({ code: 3, stderr: `runwarden: error: "${join(dir, 'notes.txt')}" is not an SBOM: expected CycloneDX/SPDX JSON or lines of "pkg:type/name@version". Hint: Check the file; e.g. "pkg:npm/lodash@4.17.15".\n` });
    const failOn = await run(['sbom', 'match', join(dir, 'bom.json'), '--db', db, '--fail-on', 'severe']);
    expect(failOn.code).toBe(2);
    expect(failOn.stderr).toMatch(/^runwarden: error: Unknown --fail-on "severe": expected one of critical, high, medium, low, info, unknown, none\./);
  });
});
