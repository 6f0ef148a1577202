import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Package } from '../../core/package.js';
import { importAdvisories } from '../import.js';
import { openVulnDb, type Db } from '../store/index.js';
import { matchPackages } from './index.js';

/**
 * Alpine's secdb says which version fixes a CVE and nothing of its severity (osv.dev's Alpine, Wolfi and
 * Chainguard records neither). Other records of the same CVE in the database often score it: Ubuntu's OSV
 * record (`upstream: ["CVE-…"]`, a CVSS_V3 vector next to Ubuntu's priority, as in canonical/ubuntu-security-notices
 * osv/cve/2019/UBUNTU-CVE-2019-1551.json), a GHSA. The secdb here is the real one (testdata/upstream/osv/alpine-secdb-legacy,
 * v3.11 main: openssl fixed CVE-2019-1551 in 1.1.1d-r3); the other records are cut to what matching reads.
 */
const SECDB = join(import.meta.dirname, '..', '..', '..', 'testdata', 'upstream', 'osv', 'alpine-secdb-legacy', 'v3.11', 'main.yaml');

function ubuntuCve(cve: string, severity: Array<{ type: string; score: string }>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `UBUNTU-${cve}`,
    modified: '2025-09-08T16:45:10Z',
    aliases: [],
    upstream: [cve],
    severity,
    affected: [{ package: { ecosystem: 'Ubuntu:20.04:LTS', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.1f-1ubuntu1' }] }] }],
    ...extra,
  };
}

/** NVD's vector of CVE-2019-1551 (5.3, medium), as Ubuntu's record carries it. */
const V3 = { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N' };

const LIBCRYPTO: Package = { ecosystem: 'Alpine', name: 'libcrypto1.1', version: '1.1.1d-r2', source: { name: 'openssl' }, distro: { id: 'alpine', release: '3.11.3' } };

async function databaseOf(records: Array<Record<string, unknown>>, tracker?: unknown): Promise<Db> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-scores-'));
  const db = openVulnDb(':memory:');
  await importAdvisories(db, SECDB);
  if (records.length > 0) {
    mkdirSync(join(dir, 'osv'));
    records.forEach((r, i) => writeFileSync(join(dir, 'osv', `${i}.json`), JSON.stringify(r)));
    expect((await importAdvisories(db, join(dir, 'osv'))).issues).toEqual([]);
  }
  if (tracker !== undefined) {
    writeFileSync(join(dir, 'json'), JSON.stringify(tracker));
    expect((await importAdvisories(db, join(dir, 'json'), { source: 'debian-tracker' })).issues).toEqual([]);
  }
  return db;
}

function severityOf(db: Db, pkg: Package, vulnerability = 'CVE-2019-1551'): unknown {
  const finding = matchPackages(db, [pkg]).findings.find((f) => f.evidence['vulnerability'] === vulnerability);
  return [finding?.severity, finding?.evidence['severity']];
}

describe('severity from other records of the vulnerability', () => {
  it('scores an Alpine finding from the CVSS vector of Ubuntu\'s record of the CVE, naming that record', async () => {
    const bare = await databaseOf([]);
    expect(severityOf(bare, LIBCRYPTO)).toEqual(['unknown', { basis: 'none' }]);
    const db = await databaseOf([ubuntuCve('CVE-2019-1551', [V3, { type: 'Ubuntu', score: 'low' }])]);
    expect(severityOf(db, LIBCRYPTO)).toEqual([
      'medium',
      { severity: 'medium', basis: 'cvss-3.1', score: 5.3, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N', from: 'UBUNTU-CVE-2019-1551', via: 'CVE-2019-1551' },
    ]);
    // libssl1.1 and libcrypto1.1 of one image: both scored (one lookup for the pair)
    const both = matchPackages(db, [LIBCRYPTO, { ...LIBCRYPTO, name: 'libssl1.1' }]).findings.filter((f) => f.evidence['vulnerability'] === 'CVE-2019-1551');
    expect(both.map((f) => f.severity)).toEqual(['medium', 'medium']);
  });

  it('prefers a v4.0 vector to v3.1 as for matched records, and never borrows a label', async () => {
    const ghsa = { id: 'GHSA-aaaa-bbbb-cccc', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2019-1551'], severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }], affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }] }] };
    const db = await databaseOf([ubuntuCve('CVE-2019-1551', [V3]), ghsa]);
    expect(severityOf(db, LIBCRYPTO)).toEqual(['critical', expect.objectContaining({ basis: 'cvss-4.0', score: 9.3, from: 'GHSA-aaaa-bbbb-cccc', via: 'CVE-2019-1551' })]);
    // Ubuntu's priority and the Debian tracker's urgency rate their own builds: an Alpine finding stays unknown
    const tracker = { openssl: { 'CVE-2019-1551': { releases: { bookworm: { status: 'resolved', fixed_version: '1.1.1d-5', urgency: 'high' } } } } };
    const labelsOnly = await databaseOf([ubuntuCve('CVE-2019-1551', [{ type: 'Ubuntu', score: 'high' }])], tracker);
    expect(severityOf(labelsOnly, LIBCRYPTO)).toEqual(['unknown', { basis: 'none' }]);
  });

  it('keeps what the matched records say, skips withdrawn records, and leaves language packages alone', async () => {
    // the Debian tracker rates its openssl "low": that stays, even with a CVSS vector elsewhere
    const tracker = { openssl: { 'CVE-2019-1551': { releases: { bookworm: { status: 'open', urgency: 'low' } } } } };
    const db = await databaseOf([ubuntuCve('CVE-2019-1551', [V3])], tracker);
    const libssl3: Package = { ecosystem: 'Debian', name: 'libssl3', version: '3.0.11-1~deb12u2', source: { name: 'openssl' }, distro: { id: 'debian', release: '12' } };
    expect(severityOf(db, libssl3)).toEqual(['low', expect.objectContaining({ basis: 'label', label: 'low' })]);
    const withdrawn = await databaseOf([ubuntuCve('CVE-2019-1551', [V3], { withdrawn: '2025-09-09T00:00:00Z' })]);
    expect(severityOf(withdrawn, LIBCRYPTO)).toEqual(['unknown', { basis: 'none' }]);
    // a PYSEC record without severity: its GHSA twin comes in osv.dev's PyPI export and is merged, so nothing is borrowed
    const pysec = { id: 'PYSEC-2019-1', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2019-1551'], affected: [{ package: { ecosystem: 'PyPI', name: 'cryptography' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.9' }] }] }] };
    const py = await databaseOf([ubuntuCve('CVE-2019-1551', [V3]), pysec]);
    expect(severityOf(py, { ecosystem: 'PyPI', name: 'cryptography', version: '2.8' })).toEqual(['unknown', { basis: 'none' }]);
  });
});
