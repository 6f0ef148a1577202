import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../core/package.js';
import { importAdvisories } from '../import.js';
import { openVulnDb, type Db } from '../store/index.js';
import { advisoryReleaseKey, packageReleaseKey } from '../store/keys.js';
import { matchPackages } from './index.js';

/**
 * Records shaped as osv.dev's AlmaLinux (ALSA) and Rocky Linux (RLSA) exports are: the ecosystem names the
 * major release only ("AlmaLinux:8", "Rocky Linux:9"), the package is the source RPM's name, versions carry
 * the epoch. The ids and versions are those of real advisories for openssl; the records are cut to what matching reads.
 */
function record(id: string, ecosystem: string, name: string, fixed: string): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id,
    modified: '2024-01-02T00:00:00Z',
    published: '2024-01-01T00:00:00Z',
    related: ['CVE-2023-5678'],
    summary: `Moderate: ${name} security update`,
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
  };
}

/** An RPM package of an image as the catalogers give it: binary name and version, source RPM with the binary's epoch. */
function rpm(ecosystem: string, distro: string, release: string, name: string, source: string, version: string): Package {
  return { ecosystem, name, version, distro: { id: distro, release }, source: { name: source, version } };
}

async function importRecords(db: Db, records: Array<Record<string, unknown>>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-coverage-'));
  records.forEach((r, i) => writeFileSync(join(dir, `${i}.json`), JSON.stringify(r)));
  const result = await importAdvisories(db, dir);
  expect(result.issues).toEqual([]);
}

describe('distributions whose advisories name the major release only', () => {
  it('keys AlmaLinux, Rocky Linux and Azure Linux by the major release on both sides', () => {
    expect([packageReleaseKey('Rocky Linux', '8.10'), packageReleaseKey('AlmaLinux', '9.4'), packageReleaseKey('Azure Linux', '3.0'), packageReleaseKey('Rocky Linux', '')]).toEqual(['8', '9', '3', undefined]);
    expect([advisoryReleaseKey('Rocky Linux', '9'), advisoryReleaseKey('AlmaLinux', '8.6'), advisoryReleaseKey('Azure Linux', '3')]).toEqual(['9', '8', '3']);
    // the others keep their release as it is
    expect([packageReleaseKey('Photon OS', '5.0'), packageReleaseKey('Debian', '12.4'), packageReleaseKey('Alpine', '3.20.1')]).toEqual(['5.0', '12', 'v3.20']);
  });

  it('matches a Rocky Linux 9.3 and an AlmaLinux 8.10 image\'s packages against the advisories of release 9 and 8', async () => {
    const db = openVulnDb(':memory:');
    await importRecords(db, [record('RLSA-2024:0310', 'Rocky Linux:9', 'openssl', '1:3.0.7-25.el9_3'), record('ALSA-2024:0311', 'AlmaLinux:8', 'openssl', '1:1.1.1k-12.el8_9')]);
    const { findings, issues } = matchPackages(db, [
      rpm('Rocky Linux', 'rocky', '9.3', 'openssl-libs', 'openssl', '1:3.0.7-24.el9'),
      rpm('AlmaLinux', 'almalinux', '8.10', 'openssl-libs', 'openssl', '1:1.1.1k-9.el8_7'),
      // fixed already: the epoch on both sides
      rpm('Rocky Linux', 'rocky', '9.4', 'openssl', 'openssl', '1:3.0.7-27.el9'),
    ]);
    expect(findings.map((f) => [f.evidence['ids'], (f.evidence['package'] as { name: string }).name, f.evidence['fixedVersions']])).toEqual([
      [['RLSA-2024:0310'], 'openssl-libs', ['1:3.0.7-25.el9_3']],
      [['ALSA-2024:0311'], 'openssl-libs', ['1:1.1.1k-12.el8_9']],
    ]);
    expect(issues).toEqual([]);
    db.close();
  });
});

describe('packages of an ecosystem or release the database holds no advisories for', () => {
  let db: Db;
  beforeAll(async () => {
    db = openVulnDb(':memory:');
    await importRecords(db, [record('RLSA-2024:0310', 'Rocky Linux:9', 'openssl', '1:3.0.7-25.el9_3')]);
  });

  it('are said to be unchecked, once per ecosystem and release, with the feed to import', () => {
    const { findings, issues } = matchPackages(db, [
      rpm('Rocky Linux', 'rocky', '8.10', 'bash', 'bash', '4.4.20-4.el8_6'),
      rpm('Rocky Linux', 'rocky', '8.10', 'zlib', 'zlib', '1.2.11-25.el8'),
      { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1' },
      // release 9 has advisories, just none for zlib: nothing to say
      rpm('Rocky Linux', 'rocky', '9.3', 'zlib', 'zlib', '1.2.11-40.el9'),
    ]);
    expect(findings).toEqual([]);
    // in the order the packages' names are read (ecosystem, then name)
    expect(issues).toEqual([
      {
        code: 'vuln-no-advisories',
        message: 'The database holds no advisories for Maven: 1 Maven package was not checked for vulnerabilities',
        location: 'Maven',
        hint: 'Import that ecosystem\'s advisories, e.g. "runwarden db import https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip", or add the feed to the mirrors of "runwarden db update".',
      },
      {
        code: 'vuln-no-advisories',
        message: 'The database holds no advisories for Rocky Linux 8: 2 Rocky Linux 8 packages were not checked for vulnerabilities',
        location: 'Rocky Linux:8',
        // the releases it does hold: one of them could be this one under a name runwarden reads wrongly
        hint: 'The database\'s Rocky Linux advisories are for release 9 only. Import those of this release, e.g. "runwarden db import https://osv-vulnerabilities.storage.googleapis.com/Rocky%20Linux/all.zip", or add the feed to the mirrors of "runwarden db update"; if one of those is this release under another name, please report it.',
      },
    ]);
  });

  it('are matched once an import brings their advisories (the answer kept for the connection is dropped with it)', async () => {
    const bash = rpm('Rocky Linux', 'rocky', '8.10', 'bash', 'bash', '4.4.20-4.el8_6');
    expect(matchPackages(db, [bash]).issues.map((i) => i.location)).toEqual(['Rocky Linux:8']);
    await importRecords(db, [record('RLSA-2024:0500', 'Rocky Linux:8', 'bash', '4.4.20-5.el8')]);
    const after = matchPackages(db, [bash]);
    expect([after.issues, after.findings.map((f) => f.evidence['ids'])]).toEqual([[], [['RLSA-2024:0500']]]);
  });
});

describe('rolling apk distributions (Wolfi, Chainguard)', () => {
  it('match a subpackage on its origin, as their advisories are kept per package build (libcrypto3 under openssl)', async () => {
    const db = openVulnDb(':memory:');
    // shaped as Chainguard's OSV records are: no release suffix, the origin package's name
    await importRecords(db, [record('CGA-2023-0001', 'Wolfi', 'openssl', '3.1.4-r0')]);
    const libcrypto = (version: string): Package => ({ ecosystem: 'Wolfi', name: 'libcrypto3', version, source: { name: 'openssl', version } });
    const { findings, issues } = matchPackages(db, [libcrypto('3.1.3-r0'), libcrypto('3.1.4-r0')]);
    expect(findings.map((f) => [f.evidence['vulnerability'], (f.evidence['package'] as { name: string; version: string }).version, f.remediation])).toEqual([
      ['CGA-2023-0001', '3.1.3-r0', 'Upgrade libcrypto3 (source package openssl) to 3.1.4-r0 or later from the distribution\'s security updates (rebuild the image on an updated base).'],
    ]);
    expect(issues).toEqual([]);
    db.close();
  });
});

describe('Red Hat (advisories per product stream, listing binary packages)', () => {
  it('matches an image of release 9.x against the main streams of RHEL 9 by binary package, and not against extended-support streams', async () => {
    expect([advisoryReleaseKey('Red Hat', 'enterprise_linux:9::appstream'), advisoryReleaseKey('Red Hat', 'enterprise_linux:8::baseos'), advisoryReleaseKey('Red Hat', 'rhel_aus:8.6::appstream'), packageReleaseKey('Red Hat', '9.4')]).toEqual(['9', '8', 'rhel_aus:8.6::appstream', '9']);
    const db = openVulnDb(':memory:');
    // a real Red Hat OSV record (git-lfs, RHSA-2024:4546): extended-support streams of 8.6 only
    const rhsa = join(import.meta.dirname, '..', '..', '..', 'testdata', 'upstream', 'osv', 'schema', 'tools', 'redhat', 'testdata', 'OSV', 'RHSA-2024_4546.json');
    expect((await importAdvisories(db, rhsa)).issues).toEqual([]);
    // and one shaped as its main-stream records are: every binary package of the update, by name
    await importRecords(db, [
      { ...record('RHSA-2024:0310', 'Red Hat:enterprise_linux:9::baseos', 'openssl-libs', '1:3.0.7-25.el9_3'), affected: ['openssl', 'openssl-libs'].map((name) => ({ package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.7-25.el9_3' }] }] })) },
    ]);
    const ubi = rpm('Red Hat', 'rhel', '9.4', 'openssl-libs', 'openssl', '1:3.0.7-24.el9');
    const rhel8 = rpm('Red Hat', 'rhel', '8.10', 'git-lfs', 'git-lfs', '2.13.3-3.el8_6');
    const { findings, issues } = matchPackages(db, [ubi, rhel8]);
    expect(findings.map((f) => [f.evidence['vulnerability'], (f.evidence['package'] as { name: string }).name, f.remediation])).toEqual([
      ['RHSA-2024:0310', 'openssl-libs', 'Upgrade openssl-libs to 1:3.0.7-25.el9_3 or later from the distribution\'s security updates (rebuild the image on an updated base).'],
    ]);
    // RHEL 8 has only the 8.6 extended-support streams here: said, with the streams it does hold
    expect(issues).toEqual([expect.objectContaining({ code: 'vuln-no-advisories', location: 'Red Hat:8', hint: expect.stringMatching(/^The database's Red Hat advisories are for releases 9, rhel_aus:8\.6::appstream, rhel_e4s:8\.6::appstream, rhel_tus:8\.6::appstream only\./) })]);
    db.close();
  });
});

describe('SUSE Linux Enterprise (advisories per product of a service pack)', () => {
  it('keys every "Linux Enterprise … 15 SP5" product, LTSS included, as an SLES 15.5 image\'s release, and no other', async () => {
    const keys = [
      'Linux Enterprise Server 15 SP5',
      'Linux Enterprise Server 15 SP5-LTSS',
      'Linux Enterprise Module for Basesystem 15 SP5',
      'Linux Enterprise Server for SAP Applications 15 SP5',
      'Linux Enterprise Server 15',
      'Linux Enterprise Server 12 SP5',
      'Linux Enterprise Micro 5.5',
      'Linux Enterprise High Performance Computing 15 SP5-ESPOS',
      'Manager Server 4.3',
    ].map((suffix) => advisoryReleaseKey('SUSE', suffix));
    expect(keys).toEqual(['15.5', '15.5', '15.5', '15.5', '15', '12.5', 'Linux Enterprise Micro 5.5', 'Linux Enterprise High Performance Computing 15 SP5-ESPOS', 'Manager Server 4.3']);
    // os-release VERSION_ID, the "15-SP5" VERSION, and PRETTY_NAME name the same release
    expect(['15.5', '15-SP5', 'SUSE Linux Enterprise Server 15 SP5', '15', ''].map((r) => packageReleaseKey('SUSE', r))).toEqual(['15.5', '15.5', '15.5', '15', undefined]);
    const db = openVulnDb(':memory:');
    // shaped as SUSE's OSV records are: the source RPM's name, base packages under the module that ships them
    await importRecords(db, [
      record('SUSE-SU-2024:0001-1', 'SUSE:Linux Enterprise Module for Basesystem 15 SP5', 'openssl-3', '3.0.8-150500.5.8.1'),
      record('SUSE-SU-2024:0002-1', 'SUSE:Linux Enterprise Server 15 SP4-LTSS', 'openssl-3', '3.0.8-150400.4.46.1'),
    ]);
    const { findings, issues } = matchPackages(db, [rpm('SUSE', 'sles', '15.5', 'libopenssl3', 'openssl-3', '3.0.8-150500.5.3.1'), rpm('SUSE', 'sles', '15.6', 'libopenssl3', 'openssl-3', '3.0.8-150600.5.3.1')]);
    expect(findings.map((f) => [f.evidence['vulnerability'], f.evidence['installedVersion']])).toEqual([['SUSE-SU-2024:0001-1', '3.0.8-150500.5.3.1']]);
    // SLES 15.6 has no advisory here: said, with the service packs the database does hold
    expect(issues).toEqual([expect.objectContaining({ code: 'vuln-no-advisories', location: 'SUSE:15.6', hint: expect.stringMatching(/^The database's SUSE advisories are for releases 15\.4, 15\.5 only\./) })]);
    db.close();
  });
});

describe('release names that are Object properties', () => {
  it('reads `constructor`, `toString` and the like as unknown releases (an issue), never as a crash', () => {
    const db = openVulnDb(':memory:');
    const packages = ['constructor', 'toString', '__proto__', 'hasOwnProperty'].map((release) => ({ ecosystem: 'Debian', name: 'bash', version: '5.2', distro: { id: 'debian', release } }));
    const { findings, issues } = matchPackages(db, packages);
    expect(findings).toEqual([]);
    expect(issues.map((i) => i.code)).toEqual(['vuln-no-distro', 'vuln-no-distro', 'vuln-no-distro', 'vuln-no-distro']);
    expect(packageReleaseKey('Debian', '', 'constructor')).toBeUndefined();
    expect(advisoryReleaseKey('Debian', 'constructor')).toBe('constructor');
    db.close();
  });
});

describe('SUSE products beside SLES', () => {
  it('matches SLES for SAP and HPC images by service pack as SLES, and SLE Micro and SL Micro by their own product', async () => {
    expect([
      packageReleaseKey('SUSE', '15.5', undefined, 'sles_sap'),
      packageReleaseKey('SUSE', '15.5', undefined, 'sle_hpc'),
      packageReleaseKey('SUSE', '5.5', undefined, 'sle-micro'),
      packageReleaseKey('SUSE', '6.0', undefined, 'sl-micro'),
      packageReleaseKey('SUSE', '15.5', undefined, 'constructor'),
    ]).toEqual(['15.5', '15.5', 'Linux Enterprise Micro 5.5', 'Linux Micro 6.0', '15.5']);
    const db = openVulnDb(':memory:');
    await importRecords(db, [
      record('SUSE-SU-2024:0001-1', 'SUSE:Linux Enterprise Module for Basesystem 15 SP5', 'openssl-3', '3.0.8-150500.5.8.1'),
      record('SUSE-SU-2024:0003-1', 'SUSE:Linux Enterprise Micro 5.5', 'openssl-3', '3.0.8-150500.5.8.1'),
      record('SUSE-SU-2024:0004-1', 'SUSE:Linux Micro 6.0', 'openssl-3', '3.1.4-9.1'),
    ]);
    const { findings, issues } = matchPackages(db, [
      rpm('SUSE', 'sles_sap', '15.5', 'libopenssl3', 'openssl-3', '3.0.8-150500.5.3.1'),
      rpm('SUSE', 'sle_hpc', '15.5', 'libopenssl3', 'openssl-3', '3.0.8-150500.5.4.1'),
      rpm('SUSE', 'sle-micro', '5.5', 'libopenssl3', 'openssl-3', '3.0.8-150500.5.3.1'),
      rpm('SUSE', 'sl-micro', '6.0', 'libopenssl3', 'openssl-3', '3.1.4-8.1'),
    ]);
    expect(findings.map((f) => [(f.evidence['package'] as { distro: string }).distro, f.evidence['vulnerability']])).toEqual([
      ['sles_sap 15.5', 'SUSE-SU-2024:0001-1'],
      ['sle_hpc 15.5', 'SUSE-SU-2024:0001-1'],
      ['sle-micro 5.5', 'SUSE-SU-2024:0003-1'],
      ['sl-micro 6.0', 'SUSE-SU-2024:0004-1'],
    ]);
    expect(issues).toEqual([]);
    db.close();
  });
});

describe('openSUSE (releases named as the distribution names itself)', () => {
  it('keys Leap by "Leap <version>" and Tumbleweed by name, from os-release and from a purl\'s distro', async () => {
    expect([packageReleaseKey('openSUSE', '15.5'), packageReleaseKey('openSUSE', 'leap-15.5'), packageReleaseKey('openSUSE', '20240101'), packageReleaseKey('openSUSE', 'tumbleweed-20240101')]).toEqual(['Leap 15.5', 'Leap 15.5', 'Tumbleweed', 'Tumbleweed']);
    const db = openVulnDb(':memory:');
    // shaped as SUSE's OSV records for openSUSE are ("openSUSE:Leap 15.5", the source RPM's name)
    await importRecords(db, [record('SUSE-SU-2024:0001-1', 'openSUSE:Leap 15.5', 'curl', '8.0.1-150400.5.41.1'), record('openSUSE-SU-2024:0002-1', 'openSUSE:Tumbleweed', 'curl', '8.6.0-1.1')]);
    const { findings, issues } = matchPackages(db, [
      rpm('openSUSE', 'opensuse-leap', '15.5', 'libcurl4', 'curl', '8.0.1-150400.5.38.1'),
      rpm('openSUSE', 'opensuse-tumbleweed', '20240101', 'libcurl4', 'curl', '8.5.0-1.1'),
    ]);
    expect([findings.map((f) => f.evidence['vulnerability']), issues]).toEqual([['SUSE-SU-2024:0001-1', 'openSUSE-SU-2024:0002-1'], []]);
    db.close();
  });
});
