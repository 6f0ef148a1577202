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
});
