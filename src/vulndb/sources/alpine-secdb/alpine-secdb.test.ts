import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importAdvisories } from '../../import.js';
import { advisoriesById, openVulnDb, storeStatus } from '../../store/index.js';
import { parseSecfix } from './index.js';

const OSV = join(import.meta.dirname, '..', '..', '..', '..', 'testdata', 'upstream', 'osv');

describe('alpine-secdb source', () => {
  it('splits secfix lines into the ids of one vulnerability and drops notes', () => {
    expect(parseSecfix('CVE-2024-22195 GHSA-h5c8-rqwp-cp95')).toEqual(['CVE-2024-22195', 'GHSA-h5c8-rqwp-cp95']);
    expect(parseSecfix('CVE-2017-2616 (+ regression fix)')).toEqual(['CVE-2017-2616']);
    expect(parseSecfix('XSA-123')).toEqual(['XSA-123']);
    expect(parseSecfix('see the mailing list')).toEqual([]);
  });

  it('imports the legacy YAML secdb, per release, with fixed versions', async () => {
    const db = openVulnDb(':memory:');
    const r = await importAdvisories(db, join(OSV, 'alpine-secdb-legacy', 'v3.10', 'main.yaml'));
    expect(r.source).toBe('alpine-secdb');
    expect(r.counts.added).toBeGreaterThan(500);
    const a = advisoriesById(db, 'CVE-2019-10206')[0];
    expect(a?.id).toBe('ALPINE-CVE-2019-10206@v3.10/main');
    expect(a?.record.affected?.[0]).toMatchObject({ package: { ecosystem: 'Alpine:v3.10', name: 'ansible' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.8.4-r0' }] }] });
    db.close();
  });

  it('treats "0" as never affected, reports a bad version, and retires what a newer snapshot no longer lists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-alpine-'));
    const file = join(dir, 'main.json');
    const secdb = (secfixes: Record<string, string[]>): string => JSON.stringify({ distroversion: 'v3.19', reponame: 'main', packages: [{ pkg: { name: 'openssl', secfixes } }] });
    writeFileSync(file, secdb({ '3.1.4-r1': ['CVE-2023-5678'], '3.1.4-r0': ['CVE-2023-0001'], '0': ['CVE-2022-9999'], 'not a version': ['CVE-2023-1111'] }));
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const db = openVulnDb(':memory:');
    const r = await importAdvisories(db, file);
    expect(r.counts.added).toBe(2);
    expect(r.issues.map((i) => i.message)).toEqual([expect.stringMatching(/^Skipped CVE-2023-1111 for openssl: fixed version "not a version" is not an apk version/)]);
    expect(advisoriesById(db, 'CVE-2022-9999')).toEqual([]);
    writeFileSync(file, secdb({ '3.1.4-r1': ['CVE-2023-5678'] }));
    utimesSync(file, 1_700_000_100, 1_700_000_100);
    const again = await importAdvisories(db, file);
    expect(again.counts).toMatchObject({ updated: 1, retired: 1 });
    expect(storeStatus(db).advisories).toBe(1);
    writeFileSync(join(dir, 'broken.json'), '{"distroversion": "v3.19", "packages": [');
    const broken = await importAdvisories(db, join(dir, 'broken.json'), { source: 'alpine-secdb' });
    expect(broken.issues.map((i) => i.code)).toEqual(['alpine-secdb-parse']);
    expect(storeStatus(db).advisories).toBe(1);
    // a snapshot of the release that lists no package (a broken mirror) keeps what is stored, and says so
    writeFileSync(file, JSON.stringify({ distroversion: 'v3.19', reponame: 'main', packages: [] }));
    utimesSync(file, 1_700_000_200, 1_700_000_200);
    const empty = await importAdvisories(db, file);
    expect([empty.counts.retired, empty.issues.map((i) => i.code)]).toEqual([0, ['feed-scope-empty']]);
    expect(empty.issues[0]?.message).toContain('holds no alpine-secdb advisories of "v3.19/main", but the database holds 1: they are kept, not retired');
    expect(storeStatus(db).advisories).toBe(1);
    db.close();
  });

  it('keeps the stored copy of an advisory part of which a newer snapshot cannot read, and retires nothing when a package entry is unreadable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-alpine-partial-'));
    const file = join(dir, 'main.json');
    const write = (packages: unknown[], mtime: number): void => {
      writeFileSync(file, JSON.stringify({ distroversion: 'v3.19', reponame: 'main', packages }));
      utimesSync(file, mtime, mtime);
    };
    const db = openVulnDb(':memory:');
    // CVE-2023-0464 fixed in openssl and in libressl; CVE-2023-0465 in openssl only; CVE-2023-1111 in curl
    write(
      [
        { pkg: { name: 'openssl', secfixes: { '3.1.0-r1': ['CVE-2023-0464', 'CVE-2023-0465'] } } },
        { pkg: { name: 'libressl', secfixes: { '3.7.2-r0': ['CVE-2023-0464'] } } },
        { pkg: { name: 'curl', secfixes: { '8.0.1-r0': ['CVE-2023-1111'] } } },
      ],
      1_700_000_000,
    );
    expect((await importAdvisories(db, file)).counts.added).toBe(3);
    const packagesOf = (id: string): string[] => (advisoriesById(db, id)[0]?.record.affected ?? []).map((a) => `${a.package?.name ?? ''} ${JSON.stringify(a.ranges?.[0]?.events)}`).sort();
    const before = packagesOf('CVE-2023-0464');
    expect(before).toEqual(['libressl [{"introduced":"0"},{"fixed":"3.7.2-r0"}]', 'openssl [{"introduced":"0"},{"fixed":"3.1.0-r1"}]']);
    // a newer snapshot with libressl's fixed version garbled and openssl's only line for CVE-2023-0465 too
    write(
      [
        { pkg: { name: 'openssl', secfixes: { '3.1.0-r2': ['CVE-2023-0464'], 'garbled!': ['CVE-2023-0465'] } } },
        { pkg: { name: 'libressl', secfixes: { 'garbled!': ['CVE-2023-0464'] } } },
        { pkg: { name: 'curl', secfixes: { '8.0.1-r0': ['CVE-2023-1111'] } } },
      ],
      1_700_000_100,
    );
    const partial = await importAdvisories(db, file);
    // CVE-2023-0464 is not replaced by the openssl half (libressl's fix would be lost), CVE-2023-0465 is not retired
    expect(packagesOf('CVE-2023-0464')).toEqual(before);
    expect(packagesOf('CVE-2023-0465')).toEqual(['openssl [{"introduced":"0"},{"fixed":"3.1.0-r1"}]']);
    expect(partial.counts).toMatchObject({ added: 0, updated: 1, retired: 0 }); // curl's, read whole
    expect(partial.issues.map((i) => i.code)).toEqual(['alpine-secdb-parse', 'alpine-secdb-parse', 'feed-record-kept', 'feed-record-kept']);
    expect(partial.issues.filter((i) => i.code === 'feed-record-kept').map((i) => i.message)).toEqual([
      `ALPINE-CVE-2023-0465@v3.19/main: part of it could not be read from ${file} (see the issue above), so the stored copy is kept as it was rather than replaced by less`,
      `ALPINE-CVE-2023-0464@v3.19/main: part of it could not be read from ${file} (see the issue above), so the stored copy is kept as it was rather than replaced by less`,
    ]);
    // an unreadable package entry: which advisories it held is unknown, so none missing is retired this time
    write([{ pkg: { name: 'curl', secfixes: { '8.0.1-r0': ['CVE-2023-1111'] } } }, { pkg: 'not an object' }], 1_700_000_200);
    const unreadable = await importAdvisories(db, file);
    expect([unreadable.counts.retired, unreadable.issues.map((i) => i.code)]).toEqual([0, ['alpine-secdb-parse', 'feed-scope-partial']]);
    expect(unreadable.issues[1]?.message).toBe(`${file}: part of "v3.19/main" could not be read (see the issues above), so 2 stored advisories it does not list are kept this time, not retired`);
    expect(storeStatus(db).advisories).toBe(3);
    // read whole again: updated and retired as usual
    write([{ pkg: { name: 'curl', secfixes: { '8.0.1-r0': ['CVE-2023-1111'] } } }], 1_700_000_300);
    expect((await importAdvisories(db, file)).counts).toMatchObject({ updated: 1, retired: 2 });
    // a new advisory read in part is stored as read (better than nothing; its issue says what is missing)
    write([{ pkg: { name: 'curl', secfixes: { '8.0.1-r0': ['CVE-2023-1111'], '8.1.0-r0': ['CVE-2023-2222'] } } }, { pkg: { name: 'libcurl', secfixes: { 'garbled!': ['CVE-2023-2222'] } } }], 1_700_000_400);
    const fresh = await importAdvisories(db, file);
    expect([fresh.counts.added, packagesOf('CVE-2023-2222')]).toEqual([1, ['curl [{"introduced":"0"},{"fixed":"8.1.0-r0"}]']]);
    db.close();
  });
});
