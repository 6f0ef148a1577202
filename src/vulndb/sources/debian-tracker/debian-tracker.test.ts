import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importAdvisories } from '../../import.js';
import { matchPackages } from '../../match/index.js';
import type { OsvRecord } from '../../schema.js';
import { advisoriesById, lastUpdated, openVulnDb, storeStatus } from '../../store/index.js';
import { urgencyLabel } from './index.js';

const OSV = join(import.meta.dirname, '..', '..', '..', '..', 'testdata', 'upstream', 'osv', 'trivy-db-fixtures');
const TRACKER = join(OSV, 'debian', 'testdata', 'happy', 'vuln-list-debian', 'tracker');

interface Expected {
  advisories: Array<{ id: string; release: string; package: string; vendorIds?: string[]; fixedVersion?: string; severity?: string; status?: string }>;
  mustNotExist: Array<{ id: string; release?: string }>;
  vulnerabilityTitles: Record<string, string>;
}

function entryFor(records: OsvRecord[], release: string, pkg: string): NonNullable<OsvRecord['affected']>[number] | undefined {
  const ecosystem = `Debian:${release.replace('debian ', '')}`;
  return records.flatMap((r) => r.affected ?? []).find((a) => a.package?.ecosystem === ecosystem && a.package.name === pkg);
}

describe('debian-tracker source', () => {
  it('reproduces debian-expected.json (trivy-db happy path): fixed versions, statuses, releases', async () => {
    const expected = JSON.parse((await import('node:fs')).readFileSync(join(OSV, 'debian-expected.json'), 'utf8')) as Expected;
    const db = openVulnDb(':memory:');
    const result = await importAdvisories(db, TRACKER, { source: 'debian-tracker' });
    expect(result.issues).toEqual([]);
    for (const want of expected.advisories) {
      const records = advisoriesById(db, want.id).filter((a) => a.source === 'debian-tracker').map((a) => a.record);
      const entry = entryFor(records, want.release, want.package);
      expect(entry, `${want.id} ${want.release} ${want.package}`).toBeDefined();
      const fixed = entry?.ranges?.[0]?.events.find((e) => e.fixed !== undefined)?.fixed;
      const ds = entry?.database_specific ?? {};
      expect({ id: want.id, fixed, status: ds['runwarden_status'], severity: urgencyLabel(ds['urgency'] as string | undefined)?.toUpperCase(), vendorIds: ds['vendor_ids'] }).toEqual({
        id: want.id,
        fixed: want.fixedVersion,
        status: want.status ?? 'fixed',
        severity: want.severity,
        vendorIds: want.vendorIds,
      });
    }
    for (const gone of expected.mustNotExist) {
      const records = advisoriesById(db, gone.id).map((a) => a.record);
      if (gone.release === undefined) expect(records).toEqual([]);
      else expect(entryFor(records, gone.release, 'dacs')).toBeUndefined();
    }
    for (const [id, title] of Object.entries(expected.vulnerabilityTitles)) {
      expect(advisoriesById(db, id)[0]?.record.summary).toBe(title);
    }
    db.close();
  });

  it('matches Debian packages on the source package and release, carrying the status', async () => {
    const db = openVulnDb(':memory:');
    await importAdvisories(db, TRACKER);
    const { findings } = matchPackages(db, [
      // binary libgcrypt20 of source libgcrypt20 in bullseye, before the fix
      { ecosystem: 'Debian', name: 'libgcrypt20', version: '1.8.7-5', distro: { id: 'debian', release: '11.2' }, source: { name: 'libgcrypt20' } },
      // the fixed version: nothing
      { ecosystem: 'Debian', name: 'libgcrypt20', version: '1.8.7-6', distro: { id: 'debian', release: '11' } },
      // the same version in another release whose fix came later
      { ecosystem: 'Debian', name: 'libgcrypt20', version: '1.8.4-5', distro: { id: 'debian', release: 'buster', codename: 'buster' } },
      // dacs in buster: <ignored> → will_not_fix
      { ecosystem: 'Debian', name: 'dacs', version: '1.4.38a-2', distro: { id: 'debian', release: '10' } },
      // dacs in stretch: <not-affected>
      { ecosystem: 'Debian', name: 'dacs', version: '1.4.38a-2', distro: { id: 'debian', release: '9' } },
      // a binary package of gnutls28 in bullseye: fix announced but not in the archive → affected, no fix
      { ecosystem: 'Debian', name: 'libgnutls30', version: '3.7.1-5+deb11u4', distro: { id: 'debian', release: '11' }, source: { name: 'gnutls28', version: '3.7.1-5+deb11u4' } },
    ]);
    const got = findings.map((f) => [f.title.replace(/:.*\(/, ' ('), f.evidence['fixStatus'], f.evidence['fixedVersions'], f.severity]);
    expect(got).toEqual([
      ['CVE-2021-33560 (libgcrypt20 1.8.7-5)', 'fixed', ['1.8.7-6'], 'unknown'],
      ['CVE-2021-33560 (libgcrypt20 1.8.4-5)', 'fixed', ['1.8.4-5+deb10u1'], 'unknown'],
      ['CVE-2021-29629 (dacs 1.4.38a-2)', 'will_not_fix', [], 'low'],
      ['CVE-2023-5981 (libgnutls30 3.7.1-5+deb11u4)', 'affected', [], 'unknown'],
    ]);
    const gnutls = findings[3]?.evidence['matches'] as Array<{ note?: string; ecosystem: string; package: string }>;
    expect(gnutls[0]).toMatchObject({ ecosystem: 'Debian:11', package: 'gnutls28', note: 'fix 3.7.1-5+deb11u5 announced, but bullseye carries 3.7.1-5+deb11u4' });
    db.close();
  });

  it('reads the official tracker JSON export: resolved, open, no-dsa, ignored, postponed, end-of-life, undetermined', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-debian-'));
    const tracker = {
      openssl: {
        'CVE-2024-0001': {
          description: 'A flaw',
          releases: {
            bookworm: { status: 'resolved', repositories: { bookworm: '3.0.13-1~deb12u1' }, fixed_version: '3.0.13-1~deb12u1', urgency: 'high' },
            bullseye: { status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'postponed' },
            buster: { status: 'open', urgency: 'end-of-life' },
            trixie: { status: 'resolved', fixed_version: '0' },
            sid: { status: 'undetermined' },
          },
        },
        'CVE-2024-0002': { releases: { bookworm: { status: 'open', urgency: 'unimportant', nodsa: 'Minor issue', nodsa_reason: 'ignored' } } },
        'TEMP-0000000-ABCDEF': { releases: { bookworm: { status: 'open', urgency: 'not yet assigned' } } },
      },
      // a release named like an Object property is an unknown codename too (it once read Object's own `constructor`)
      zlib: { 'CVE-2024-0003': { releases: { atlantis: { status: 'open' }, constructor: { status: 'open' } } } },
    };
    writeFileSync(join(dir, 'json'), JSON.stringify(tracker));
    const db = openVulnDb(':memory:');
    const r = await importAdvisories(db, join(dir, 'json'));
    expect(r.source).toBe('debian-tracker');
    expect(r.issues.map((i) => i.message)).toEqual(['Skipped CVE-2024-0003 zlib in "atlantis": unknown Debian codename', 'Skipped CVE-2024-0003 zlib in "constructor": unknown Debian codename']);
    const statuses = (id: string): unknown => advisoriesById(db, id)[0]?.record.affected?.map((a) => [a.package?.ecosystem, a.database_specific?.['runwarden_status'], a.ranges?.[0]?.events.at(-1)]);
    expect(statuses('CVE-2024-0001')).toEqual([
      ['Debian:12', 'fixed', { fixed: '3.0.13-1~deb12u1' }],
      ['Debian:11', 'fix_deferred', { introduced: '0' }],
      ['Debian:10', 'end_of_life', { introduced: '0' }],
      ['Debian:sid', 'undetermined', { introduced: '0' }],
    ]);
    expect(statuses('CVE-2024-0002')).toEqual([['Debian:12', 'will_not_fix', { introduced: '0' }]]);
    expect(advisoriesById(db, 'TEMP-0000000-ABCDEF')[0]?.id).toBe('DEBIAN-TEMP-0000000-ABCDEF');
    const { findings } = matchPackages(db, [{ ecosystem: 'Debian', name: 'libssl3', version: '3.0.11-1~deb12u2', source: { name: 'openssl' }, distro: { id: 'debian', release: '12' } }]);
    expect(findings.map((f) => [f.evidence['vulnerability'], f.evidence['fixStatus'], f.severity])).toEqual([
      ['CVE-2024-0001', 'fixed', 'high'],
      ['CVE-2024-0002', 'will_not_fix', 'low'],
      ['DEBIAN-TEMP-0000000-ABCDEF', 'affected', 'unknown'],
    ]);
    // an unparseable export is refused whole
    writeFileSync(join(dir, 'truncated.json'), JSON.stringify(tracker).slice(0, 200));
    await expect(importAdvisories(db, join(dir, 'truncated.json'), { source: 'debian-tracker' })).rejects.toThrow(/is not a JSON object of source packages/);
    // an export that parses but holds nothing (a broken mirror answering {}) retires nothing: the stored advisories stay
    writeFileSync(join(dir, 'empty.json'), '{}');
    const updated = lastUpdated(db);
    const empty = await importAdvisories(db, join(dir, 'empty.json'), { source: 'debian-tracker' });
    // and leaves no trace: the data does not count as updated by it
    expect(lastUpdated(db)).toBe(updated);
    expect(empty.counts.retired).toBe(0);
    expect(empty.issues.map((i) => [i.code, i.message])).toEqual([
      ['feed-scope-empty', `${join(dir, 'empty.json')} holds no debian-tracker advisories of "debian", but the database holds 3: they are kept, not retired (an empty feed is more likely broken than every advisory withdrawn at once)`],
    ]);
    expect(matchPackages(db, [{ ecosystem: 'Debian', name: 'libssl3', version: '3.0.11-1~deb12u2', source: { name: 'openssl' }, distro: { id: 'debian', release: '12' } }]).findings).toHaveLength(3);
    // while an export that still lists some of them retires the others
    writeFileSync(join(dir, 'fewer.json'), JSON.stringify({ openssl: { 'CVE-2024-0002': tracker.openssl['CVE-2024-0002'] } }));
    const fewer = await importAdvisories(db, join(dir, 'fewer.json'), { source: 'debian-tracker' });
    expect([fewer.counts.retired, fewer.issues]).toEqual([2, []]);
    db.close();
  });

  it('keeps the stored copy of a vulnerability part of which a newer export cannot read, and retires nothing when a source package is unreadable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-debian-partial-'));
    const file = join(dir, 'json');
    const write = (tracker: unknown, mtime: number): void => {
      writeFileSync(file, JSON.stringify(tracker));
      utimesSync(file, mtime, mtime);
    };
    const fixedIn = (version: string) => ({ releases: { bookworm: { status: 'resolved', fixed_version: version, urgency: 'medium' } } });
    const db = openVulnDb(':memory:');
    // CVE-2024-1000 in openssl and in openssl1.1; CVE-2024-2000 in curl only; CVE-2024-3000 in zlib
    write({ openssl: { 'CVE-2024-1000': fixedIn('3.0.14-1') }, 'openssl1.1': { 'CVE-2024-1000': fixedIn('1.1.1w-1') }, curl: { 'CVE-2024-2000': fixedIn('7.88.1-10') }, zlib: { 'CVE-2024-3000': fixedIn('1.2.13-1') } }, 1_700_000_000);
    expect((await importAdvisories(db, file)).counts.added).toBe(3);
    const packagesOf = (id: string): string[] => (advisoriesById(db, id)[0]?.record.affected ?? []).map((a) => `${a.package?.name ?? ''} ${String(a.ranges?.[0]?.events.at(-1)?.fixed)}`).sort();
    // a newer export: openssl1.1's entry and curl's only entry unreadable, zlib's fix moved on
    write(
      { openssl: { 'CVE-2024-1000': fixedIn('3.0.15-1') }, 'openssl1.1': { 'CVE-2024-1000': { releases: 'garbled' } }, curl: { 'CVE-2024-2000': { releases: { bookworm: { status: 42 } } } }, zlib: { 'CVE-2024-3000': fixedIn('1.2.13-2') } },
      1_700_000_100,
    );
    const partial = await importAdvisories(db, file);
    expect(packagesOf('CVE-2024-1000')).toEqual(['openssl 3.0.14-1', 'openssl1.1 1.1.1w-1']);
    expect(packagesOf('CVE-2024-2000')).toEqual(['curl 7.88.1-10']);
    expect(packagesOf('CVE-2024-3000')).toEqual(['zlib 1.2.13-2']);
    expect([partial.counts.updated, partial.counts.retired]).toEqual([1, 0]);
    expect(partial.issues.map((i) => [i.code, i.message.split(':')[0]])).toEqual([
      ['debian-tracker-parse', 'Skipped CVE-2024-1000 for "openssl1.1"'],
      ['debian-tracker-parse', 'Skipped CVE-2024-2000 curl in "bookworm"'],
      ['feed-record-kept', 'CVE-2024-2000'],
      ['feed-record-kept', 'CVE-2024-1000'],
    ]);
    // a source package that is not an object: which vulnerabilities it held is unknown, so none missing is retired
    write({ zlib: { 'CVE-2024-3000': fixedIn('1.2.13-2') }, curl: 'garbled' }, 1_700_000_200);
    const unreadable = await importAdvisories(db, file);
    expect([unreadable.counts.retired, unreadable.issues.map((i) => i.code)]).toEqual([0, ['debian-tracker-parse', 'feed-scope-partial']]);
    expect(storeStatus(db).advisories).toBe(3);
    // read whole: the others are retired as usual
    write({ zlib: { 'CVE-2024-3000': fixedIn('1.2.13-2') } }, 1_700_000_300);
    expect((await importAdvisories(db, file)).counts.retired).toBe(2);
    db.close();
  });

  it('finds the tracker inside a vuln-list-debian checkout, and reports a corrupt list file while importing the rest', async () => {
    const db = openVulnDb(':memory:');
    const r = await importAdvisories(db, join(OSV, 'debian', 'testdata', 'happy', 'vuln-list-debian'), { source: 'debian-tracker' });
    expect(r.counts.added).toBe(6);
    const copy = mkdtempSync(join(tmpdir(), 'rw-debian-'));
    cpSync(TRACKER, copy, { recursive: true });
    writeFileSync(join(copy, 'CVE', 'CVE-2099-0001.json'), '{"Header": {"ID": "CVE-2099-0001"}, "Annotations": [');
    writeFileSync(join(copy, 'CVE', 'CVE-2099-0002.json'), '{"Annotations": []}');
    const db2 = openVulnDb(':memory:');
    const r2 = await importAdvisories(db2, copy);
    expect(r2.counts.added).toBe(6);
    expect(r2.issues.map((i) => [i.code, i.location])).toEqual([
      ['debian-tracker-parse', join(copy, 'CVE', 'CVE-2099-0001.json')],
      ['debian-tracker-parse', join(copy, 'CVE', 'CVE-2099-0002.json')],
    ]);
    expect(r2.issues[1]?.message).toBe('Skipped CVE/CVE-2099-0002.json: Invalid input: expected object, received undefined at Header');
    // a kind named like an Object property is not a status (it once read Object's own `constructor` as one)
    const kinds = mkdtempSync(join(tmpdir(), 'rw-debian-'));
    cpSync(TRACKER, kinds, { recursive: true });
    const annotation = (release: string, kind: string): object => ({ Type: 'package', Release: release, Package: 'cloud-init', Kind: kind });
    writeFileSync(join(kinds, 'CVE', 'CVE-2099-0003.json'), JSON.stringify({ Header: { ID: 'CVE-2099-0003' }, Annotations: [{ Type: 'package', Package: 'cloud-init', Kind: 'unfixed' }, annotation('bullseye', 'constructor'), annotation('buster', 'postponed')] }));
    const db3 = openVulnDb(':memory:');
    expect((await importAdvisories(db3, kinds)).issues).toEqual([]);
    const records = advisoriesById(db3, 'CVE-2099-0003').map((a) => a.record);
    expect([entryFor(records, '11', 'cloud-init'), entryFor(records, '10', 'cloud-init')].map((e) => e?.database_specific?.['runwarden_status'])).toEqual(['affected', 'fix_deferred']);
    db3.close();
    // the same checkout, a list file gone and two unreadable: what they held is unknown, so nothing is retired
    rmSync(join(copy, 'CVE', 'CVE-2020-8631.json'));
    utimesSync(join(copy, 'distributions.json'), 1_900_000_000, 1_900_000_000);
    const r3 = await importAdvisories(db2, copy);
    expect([r3.counts.retired, r3.issues.map((i) => i.code).at(-1)]).toEqual([0, 'feed-scope-partial']);
    db.close();
    db2.close();
  });
});
