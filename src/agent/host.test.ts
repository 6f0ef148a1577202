/**
 * The host's packages as the node agent reads them (`clean --host-root`): a host root made of Alpine's real
 * installed database and an os-release, with decoys the agent must not read (testdata/host-root.ts); then
 * through the node report (size cap) and back into packages.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPackagesOf, readHostPackages } from './host.js';
import { encodeNodeReport } from './summary.js';
import { makeHostRoot } from './testdata/host-root.js';
import { sampleReport } from './testdata/reports.js';

let root = '';

beforeAll(async () => {
  root = await makeHostRoot(await mkdtemp(join(tmpdir(), 'rw-host-')));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('host packages (clean --host-root)', () => {
  it('reads os-release and the package database, one purl per package with the distro and origin, and nothing else', async () => {
    const { host, issues } = await readHostPackages(root);
    // the fixture's entry without a version is left out, and said
    expect(issues.map((i) => `${i.code} ${i.location ?? ''}`)).toEqual(['apk-entry-invalid lib/apk/db/installed:23']);
    expect(host.os).toEqual({ id: 'alpine', versionId: '3.11.6', prettyName: 'Alpine Linux v3.11' });
    expect(host.databases).toEqual(['/lib/apk/db/installed']);
    expect(host.purls).toHaveLength(15);
    expect(host.purlsOmitted).toBe(0);
    expect(host.purls).toContain('pkg:apk/alpine/libssl1.0@1.0.2h-r1?distro=alpine-3.11.6&upstream=openssl');
    expect(host.purls).toContain('pkg:apk/alpine/busybox@1.24.2-r9?distro=alpine-3.11.6');
    expect(host.purls.some((p) => p.includes('arch='))).toBe(false);
    expect(host.purls.some((p) => p.includes('left-pad') || p.includes('evil'))).toBe(false);
  });

  it('says what is missing: no os-release, no package database (an image-based OS)', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rw-host-empty-'));
    try {
      const { host, issues } = await readHostPackages(empty);
      expect(host).toEqual({ os: null, purls: [], purlsOmitted: 0, databases: [] });
      expect(issues.map((i) => i.code)).toEqual(['host-os-unknown', 'host-packages-none']);
      expect(issues[1]?.hint).toContain('Bottlerocket');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('travels in the node report: read back as packages to match; a report cut to its byte cap counts what it left out', async () => {
    const host = await readHostPackages(root);
    const report = { ...sampleReport('node-a', '2026-11-30T10:00:00.000Z'), host: host.host };
    const back = hostPackagesOf(report, 'cm');
    expect(back.issues).toEqual([]);
    const ssl = back.packages.find((p) => p.name === 'libssl1.0');
    expect(ssl).toMatchObject({ ecosystem: 'Alpine', version: '1.0.2h-r1', source: { name: 'openssl' }, distro: { id: 'alpine', release: '3.11.6' } });
    expect(back.packages).toHaveLength(15);
    // a cap that does not hold every purl: halved until it fits, the rest counted and reported by the scan
    const bare = { ...report, candidates: [], problems: [], issues: [] };
    const full = encodeNodeReport(bare).text.length;
    const cut = encodeNodeReport(bare, full - 200);
    expect(cut.report.host?.purls.length).toBe(7);
    expect(cut.report.host?.purlsOmitted).toBe(8);
    expect(hostPackagesOf(cut.report, 'cm').issues.map((i) => i.message)).toEqual(['Node node-a: 8 of its 15 host packages were not published (the node report\'s size cap), so they were not checked for vulnerabilities']);
  });
});
