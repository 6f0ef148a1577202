import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../core/package.js';
import { importAdvisories } from '../import.js';
import { openVulnDb, type Db } from '../store/index.js';
import { parseVex } from '../vex/index.js';
import { matchPackages } from './index.js';

const OSV = join(import.meta.dirname, '..', '..', '..', 'testdata', 'upstream', 'osv');

describe('matchPackages', () => {
  let db: Db;
  beforeAll(async () => {
    db = openVulnDb(':memory:');
    for (const p of ['npm-ghsa', 'pypi-pypa/vulns', 'go-vulndb', 'trivy-db-fixtures/ghsa/testdata', 'trivy-db-fixtures/alpine/testdata/happy/vuln-list/alpine']) await importAdvisories(db, join(OSV, p));
  });

  it('merges advisories sharing an alias into one finding that keeps every id', () => {
    // PYSEC-2023-74 (pypa) is aliased to GHSA-j8r2-6x86-q33q and CVE-2023-32681
    const { findings } = matchPackages(db, [{ ecosystem: 'PyPI', name: 'Requests', version: '2.25.0' }]);
    const f = findings.find((x) => x.evidence['vulnerability'] === 'CVE-2023-32681');
    expect(f?.evidence['ids']).toEqual(['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q', 'PYSEC-2023-74']);
    expect(f?.evidence['fixedVersions']).toEqual(['2.31.0']);
    expect(findings.map((x) => x.evidence['vulnerability'])).toEqual([...new Set(findings.map((x) => x.evidence['vulnerability']))]);
  });

  it('says why it matched: source, range, scheme; and computes severity from the CVSS vector', () => {
    const { findings } = matchPackages(db, [{ ecosystem: 'npm', name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15' }]);
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f).toMatchObject({ rule: 'vulnerable-package', kind: 'vulnerability', severity: 'high', subject: { type: 'image' } });
    expect(f?.evidence['severity']).toEqual({ severity: 'high', basis: 'cvss-3.1', score: 7.2, vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', from: 'GHSA-35jh-r3h4-6jhm' });
    expect(f?.evidence['matches']).toEqual([
      {
        advisory: 'GHSA-35jh-r3h4-6jhm',
        source: 'osv',
        feed: join(OSV, 'npm-ghsa'),
        ecosystem: 'npm',
        package: 'lodash',
        version: '4.17.15',
        verdict: 'affected',
        matchedBy: 'range',
        scheme: 'semver',
        ranges: [{ type: 'ECOSYSTEM', range: 'introduced 0, fixed 4.17.21', verdict: 'affected' }],
        fixed: '4.17.21',
      },
    ]);
    expect(f?.remediation).toBe('Upgrade lodash to 4.17.21 or later.');
    expect(matchPackages(db, [{ ecosystem: 'npm', name: 'lodash', version: '4.17.21' }]).findings).toEqual([]);
  });

  it('shares one read-only fixedVersions list among the findings of a call that name the same fixed version', () => {
    const { findings } = matchPackages(db, [
      { ecosystem: 'npm', name: 'lodash', version: '4.17.15' },
      { ecosystem: 'npm', name: 'lodash', version: '4.17.19' },
    ]);
    const lists = findings.map((f) => f.evidence['fixedVersions'] as string[]);
    expect(lists).toEqual([['4.17.21'], ['4.17.21']]);
    expect(lists[0]).toBe(lists[1]);
    expect(Object.isFrozen(lists[0])).toBe(true);
    // a later call builds its own
    expect(matchPackages(db, [{ ecosystem: 'npm', name: 'lodash', version: '4.17.15' }]).findings[0]?.evidence['fixedVersions']).not.toBe(lists[0]);
  });

  it('matches Go modules and the Go toolchain as stdlib, and ignores withdrawn records', () => {
    const { findings } = matchPackages(db, [{ ecosystem: 'Go', name: 'stdlib', version: 'go1.22.1' }]);
    expect(findings.some((f) => (f.evidence['ids'] as string[]).includes('GO-2024-2687'))).toBe(true);
    expect(findings.every((f) => f.evidence['state'] === 'affected')).toBe(true);
  });

  it('skips rows that point at a withdrawn advisory (a database written by an older build) and reports a vanished one', () => {
    const scratch = openVulnDb(':memory:');
    try {
      // a copy of lodash's advisories and rows in a database of its own
      const copy = (sql: string, columns = ''): void => {
        for (const row of db.prepare(sql).raw(true).all() as unknown[][]) scratch.prepare(`INSERT INTO ${sql.split(' FROM ')[1]?.split(' ')[0] ?? ''}${columns} VALUES (${row.map(() => '?').join(', ')})`).run(...row);
      };
      copy('SELECT * FROM vuln_imports');
      copy('SELECT * FROM vuln_entries');
      copy("SELECT v.* FROM vuln_advisories v WHERE v.rowid IN (SELECT advisory FROM vuln_affected WHERE ecosystem = 'npm' AND name = 'lodash')");
      // (`ref` is generated from the other columns)
      copy("SELECT ecosystem, name, release, seq, advisory, entry, data FROM vuln_affected WHERE ecosystem = 'npm' AND name = 'lodash'", ' (ecosystem, name, release, seq, advisory, entry, data)');
      const lodash: Package = { ecosystem: 'npm', name: 'lodash', version: '4.17.15' };
      const before = matchPackages(scratch, [lodash]).findings.map((f) => f.evidence['vulnerability']);
      expect(before.length).toBeGreaterThan(0);
      const withdrawn = scratch.prepare("SELECT rowid FROM vuln_advisories WHERE id = 'GHSA-35jh-r3h4-6jhm'").pluck(true).get() as number;
      scratch.prepare("UPDATE vuln_advisories SET withdrawn = '2024-01-01T00:00:00Z' WHERE rowid = ?").run(withdrawn);
      const after = matchPackages(scratch, [lodash]);
      expect(after.findings.map((f) => f.evidence['vulnerability'])).toEqual(before.filter((v) => v !== 'CVE-2021-23337'));
      scratch.prepare('DELETE FROM vuln_advisories WHERE rowid = ?').run(withdrawn);
      expect(() => matchPackages(scratch, [lodash])).toThrow(/disappeared while matching/);
    } finally {
      scratch.close();
    }
  });

  it('matches Alpine packages on the origin and the release only', () => {
    const base: Package = { ecosystem: 'Alpine', name: 'ansible-core', version: '2.9.2-r0', source: { name: 'ansible' }, distro: { id: 'alpine', release: '3.12.4' } };
    const { findings } = matchPackages(db, [base]);
    expect(findings.map((f) => f.evidence['vulnerability']).sort()).toEqual(['CVE-2017-2616', 'CVE-2019-14904', 'CVE-2019-14905', 'CVE-2020-1737', 'CVE-2024-22195', 'GHSA-f7r5-w49x-gxm3', 'GHSA-h6cc-rc6q-23j4']);
    expect(findings.find((f) => f.evidence['vulnerability'] === 'CVE-2024-22195')?.evidence['ids']).toEqual(['CVE-2024-22195', 'ALPINE-CVE-2024-22195@v3.12/main', 'GHSA-h5c8-rqwp-cp95']);
    expect(matchPackages(db, [{ ...base, distro: { id: 'alpine', release: '3.19.0' } }]).findings).toEqual([]);
    const noDistro = matchPackages(db, [{ ...base, distro: undefined }]);
    expect(noDistro.findings).toEqual([]);
    expect(noDistro.issues.map((i) => i.message)).toEqual(['Alpine ansible-core@2.9.2-r0 (source ansible): no distribution release known, so Alpine advisories (which are per release) cannot be matched']);
  });

  it('gives a finding of state unknown plus an issue when a range cannot be evaluated', () => {
    // a Packagist record (trivy GHSA fixtures): Composer versions have no scheme in runwarden
    const res = matchPackages(db, [{ ecosystem: 'Packagist', name: 'contao/core-bundle', version: '4.13.0' }]);
    const unknown = res.findings.filter((f) => f.evidence['state'] === 'unknown');
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown[0]?.title.startsWith('[unknown] ')).toBe(true);
    expect(res.issues.some((i) => i.code === 'vuln-unevaluable' && i.message.includes('Ecosystem "Packagist" has no version scheme in runwarden'))).toBe(true);
    const badVersion = matchPackages(db, [{ ecosystem: 'npm', name: 'lodash', version: 'latest' }]);
    expect(badVersion.findings.map((f) => f.evidence['state'])).toEqual(['unknown']);
    expect(badVersion.issues[0]?.message).toMatch(/^GHSA-35jh-r3h4-6jhm for npm lodash@latest: Invalid semver version "latest"/);
  });

  it('gives stable fingerprints per subject, vulnerability and package', () => {
    const subject = { type: 'container' as const, namespace: 'shop', workload: { kind: 'Deployment', name: 'web' }, container: 'app' };
    const a = matchPackages(db, [{ ecosystem: 'npm', name: 'lodash', version: '4.17.15' }], { subject }).findings[0];
    const b = matchPackages(db, [{ ecosystem: 'npm', name: 'lodash', version: '4.17.15' }], { subject }).findings[0];
    expect(a?.id).toMatch(/^[a-f0-9]{16}$/);
    expect(a?.id).toBe(b?.id);
    expect(a?.subject).toEqual(subject);
  });

  it('matches thousands of packages (several rounds, names repeated across them) exactly as it matches each alone', () => {
    const rows = db.prepare("SELECT DISTINCT ecosystem, name, release FROM vuln_affected ORDER BY name DESC, ecosystem, release").all() as Array<{ ecosystem: string; name: string; release: string }>;
    const byIdentity = new Map<string, Package>();
    const add = (p: Package): void => {
      byIdentity.set(JSON.stringify(p), p);
    };
    const versions = ['0.0.1', '99.0.0'];
    for (let major = 0; major < 6; major++) for (const minor of [0, 5, 10, 17]) for (const patch of [0, 1]) versions.push(`${major}.${minor}.${patch}`);
    for (const version of versions) {
      for (const { ecosystem, name, release } of rows) {
        if (ecosystem === 'Alpine') add({ ecosystem, name, version: `${version}-r0`, distro: { id: 'alpine', release: release === '' ? '3.18' : release.slice(1) } });
        else add({ ecosystem, name, version: ecosystem === 'Go' ? `v${version}` : version });
      }
    }
    const packages = [...byIdentity.values()];
    // many rounds (256 packages each) of the matcher, with each name in several rounds
    expect(packages.length).toBeGreaterThan(3 * 1024);
    const together = matchPackages(db, packages);
    const findings = [];
    const issues = new Map<string, unknown>();
    for (const p of packages) {
      const alone = matchPackages(db, [p]);
      findings.push(...alone.findings);
      for (const i of alone.issues) if (!issues.has(`${i.code}\0${i.message}`)) issues.set(`${i.code}\0${i.message}`, i);
    }
    expect(together.findings.length).toBeGreaterThan(1000);
    expect(together.findings.some((f) => f.evidence['state'] === 'unknown')).toBe(true);
    expect(together.findings).toEqual(findings);
    expect(together.issues).toEqual([...issues.values()]);
  });

  it('applies VEX: not_affected suppresses with the justification, under_investigation only annotates', () => {
    const { statements } = parseVex(
      {
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [
          { vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': 'pkg:npm/lodash@4.17.15' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: 'template() is never called' },
          { vulnerability: 'GHSA-j8r2-6x86-q33q', products: ['pkg:pypi/requests'], status: 'under_investigation' },
        ],
      },
      'vex.json',
    );
    const { findings } = matchPackages(
      db,
      [
        { ecosystem: 'npm', name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15' },
        { ecosystem: 'PyPI', name: 'requests', version: '2.25.0', purl: 'pkg:pypi/requests@2.25.0' },
      ],
      { vex: statements },
    );
    const lodash = findings.find((f) => f.evidence['vulnerability'] === 'CVE-2021-23337');
    expect(lodash?.suppression).toEqual({ kind: 'vex', reason: 'VEX not_affected (vulnerable_code_not_in_execute_path: template() is never called)', source: 'VEX vex.json statement 1' });
    expect(lodash?.evidence['vex']).toEqual({ status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impactStatement: 'template() is never called', statement: 'vex.json statement 1', format: 'openvex' });
    const requests = findings.find((f) => f.evidence['vulnerability'] === 'CVE-2023-32681');
    expect(requests?.suppression).toBeUndefined();
    expect(requests?.evidence['vex']).toMatchObject({ status: 'under_investigation' });
  });
});
