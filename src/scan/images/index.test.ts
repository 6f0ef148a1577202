/**
 * The image scan pipeline on real OCI layouts (test/images.ts, built offline) against the demo's real
 * advisories imported into an in-memory database.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildImage, buildTestImages, layerOf } from '../../../test/images.js';
import type { BufferAnalyzer } from '../../image/analysis/analyzer.js';
import { LayerCache } from '../../image/analysis/cache.js';
import { openImage } from '../../image/registry.js';
import { importAdvisories } from '../../vulndb/import.js';
import { matchPackages } from '../../vulndb/match/index.js';
import { openVulnDb, type Db } from '../../vulndb/store/index.js';
import type { ImageContributor } from './contributor.js';
import { vulnerabilities } from './contributors/vulnerabilities/index.js';
import { scanImage, scanPackages } from './index.js';
import { imageScanReport } from './report.js';
import { renderTable } from '../../report/table/index.js';

const NOW = new Date('2026-11-28T12:00:00Z');

describe('scanImage', () => {
  let dir: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  let db: Db;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-image-scan-'));
    images = await buildTestImages(dir);
    db = openVulnDb(':memory:');
    const imported = await importAdvisories(db, join(process.cwd(), 'demo', 'advisories', 'osv'));
    expect(imported.issues).toEqual([]);
  });

  it('reports the OS, every package and the vulnerabilities of an OCI layout, each with the layer that introduced it', async () => {
    const image = await openImage(`oci:${images['debian-app'].layout}`);
    const scan = await scanImage(image, { db, now: NOW, contributors: [vulnerabilities] });
    expect(scan.os).toMatchObject({ id: 'debian', release: '12', codename: 'bookworm' });
    expect(scan.packages.kind).toBe('catalog');
    expect(scan.packages.packages.map((p) => `${p.ecosystem} ${p.name}@${p.version}`).sort()).toEqual([
      'Debian base-files@12.4+deb12u1',
      'Debian bash@5.2.15-2+b2',
      'Debian libc6@2.36-9+deb12u1',
      'Debian libssl3@3.0.9-1',
      'Debian zlib1g@1:1.2.13.dfsg-1',
      'PyPI requests@2.25.0',
      'npm lodash@4.17.15',
    ]);
    // the demo advisories hold no Debian: its five packages are said to be unchecked, not clean
    expect(scan.issues).toEqual([expect.objectContaining({ code: 'vuln-no-advisories', location: 'Debian:12', message: 'The database holds no advisories for Debian 12: 5 Debian 12 packages were not checked for vulnerabilities' })]);
    expect(scan.complete).toBe(true);
    const upper = images['debian-app'].layers[1]!.digest;
    const lodash = scan.findings.find((f) => f.finding.evidence.vulnerability === 'CVE-2021-23337');
    expect(lodash?.finding.subject).toEqual({ type: 'image', image: 'localhost/rw/debian-app:1' });
    expect(lodash?.finding.evidence.layer).toEqual({ index: 1, digest: upper, createdBy: 'test/images.ts' });
    expect(lodash?.finding.location).toEqual({ file: '/app/node_modules/lodash/package.json', field: `layer 2/2 ${upper.slice(0, 19)}` });
    expect(lodash?.key).toBe('CVE-2021-23337\0npm\0lodash\u00004.17.15');
    expect(scan.findings.map((f) => f.finding.title).sort()).toEqual(['CVE-2021-23337: Command Injection in lodash (lodash 4.17.15)', 'CVE-2023-32681 (requests 2.25.0)']);
    await image.close();
  });

  it('gives the same finding ids as matching the packages directly for the same subject', async () => {
    const image = await openImage(`oci:${images['debian-app'].layout}`);
    const subject = { type: 'container' as const, namespace: 'shop', workload: { kind: 'Deployment', name: 'web' }, container: 'web', image: 'x' };
    const scan = await scanImage(image, { db, now: NOW, subject, contributors: [vulnerabilities] });
    const direct = matchPackages(db, scan.packages.packages, { subject });
    expect(scan.findings.map((f) => f.finding.id).sort()).toEqual(direct.findings.map((f) => f.id).sort());
    await image.close();
  });

  it('opens no layer blob the second time when the layer cache has the image', async () => {
    const cache = LayerCache.open(':memory:');
    const first = await scanImage(await openImage(`oci:${images['alpine-app'].layout}`), { db, cache, now: NOW });
    const second = await scanImage(await openImage(`oci:${images['alpine-app'].layout}`), { db, cache, now: NOW });
    expect(first.blobsRead).toBe(2);
    expect(second.blobsRead).toBe(0);
    expect(second.packages.packages.map((p) => p.name).sort()).toEqual(first.packages.packages.map((p) => p.name).sort());
    expect(second.os?.id).toBe('alpine');
    cache.close();
  });

  it('lets a contributor add analysers to the same pass and findings of its own; a failing one becomes an issue', async () => {
    const seen: string[] = [];
    const files: BufferAnalyzer<string> = { id: 'marker-files', version: '1', mode: 'buffer', maxBytes: 1024, schema: z.string(), globs: ['etc/os-release', 'usr/lib/os-release'], analyze: (file) => ({ value: file.path }) };
    const marker: ImageContributor = {
      id: 'marker',
      description: 'test contributor',
      rules: ['marker'],
      needsImage: true,
      analyzers: [files],
      contribute: (ctx) => {
        seen.push(...(ctx.analysis?.of(files).results.all().map((f) => f.value) ?? []));
        return { findings: [], issues: [] };
      },
    };
    const broken: ImageContributor = { id: 'broken', description: 'test', rules: ['broken'], needsImage: true, contribute: () => { throw new Error('boom'); } };
    const scan = await scanImage(await openImage(`oci:${images['debian-app'].layout}`), { db, now: NOW, contributors: [marker, broken, vulnerabilities] });
    expect(seen).toEqual(['usr/lib/os-release']);
    expect(scan.issues).toEqual([{ code: 'image-contributor-failed', message: expect.stringMatching(/^broken failed on oci:.*debian-app: boom$/), location: expect.any(String) }, expect.objectContaining({ code: 'vuln-no-advisories' })]);
    expect(scan.findings).toHaveLength(2);
  });

  it('uses packages from a provider (a trusted attached SBOM) instead of the catalogers', async () => {
    const scan = await scanImage(await openImage(`oci:${images['alpine-app'].layout}`), {
      db,
      now: NOW,
      packages: () => Promise.resolve({ packages: { packages: [{ ecosystem: 'npm', name: 'lodash', version: '4.17.20' }], kind: 'sbom', origin: 'attached.cdx.json' }, issues: [] }),
    });
    expect(scan.packages.origin).toBe('attached.cdx.json');
    expect(scan.blobsRead).toBe(0);
    expect(scan.findings.map((f) => f.finding.evidence.vulnerability)).toEqual(['CVE-2021-23337']);
  });

  it('matches a package list alone (an SBOM) with the contributors that need no image', async () => {
    const scan = await scanPackages({ packages: [{ ecosystem: 'PyPI', name: 'requests', version: '2.25.0' }], kind: 'sbom', origin: 'x.cdx.json' }, { db, now: NOW, subject: { type: 'image', image: 'x' } });
    expect(scan.findings.map((f) => f.finding.evidence.vulnerability)).toEqual(['CVE-2023-32681']);
    expect(scan.image).toBeUndefined();
  });

  it('keeps the packages of the other layers and reports a layer whose blob does not match its digest', async () => {
    const good = await layerOf([{ path: 'app/' }, { path: 'app/node_modules/' }, { path: 'app/node_modules/lodash/' }, { path: 'app/node_modules/lodash/package.json', content: '{"name":"lodash","version":"4.17.15"}' }]);
    const bad = await layerOf([{ path: 'srv/' }, { path: 'srv/node_modules/' }, { path: 'srv/node_modules/minimist/' }, { path: 'srv/node_modules/minimist/package.json', content: '{"name":"minimist","version":"1.2.0"}' }]);
    const built = await buildImage(dir, { name: 'tampered', layers: [good, bad] });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(built.layout, 'blobs', 'sha256', bad.digest.slice(7)), Buffer.concat([bad.blob, Buffer.from('x')]));
    const scan = await scanImage(await openImage(`oci:${built.layout}`), { db, now: NOW });
    expect(scan.complete).toBe(false);
    expect(scan.packages.packages.map((p) => p.name)).toEqual(['lodash']);
    expect(scan.issues.map((i) => i.code)).toContain('layer-rejected');
    const report = imageScanReport(scan, { location: `oci:${built.layout}`, now: NOW });
    expect(report.source).toEqual({ type: 'image', location: `oci:${built.layout}` });
    expect(report.summary.images).toBe(1);
    expect(report.summary.packages).toBe(1);
    expect(renderTable(report, { color: false }).split('\n')[1]).toBe('1 image, 1 package');
    expect(report.findings.map((f) => f.evidence.vulnerability)).toEqual(['CVE-2021-23337']);
  });
});
