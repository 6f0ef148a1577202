/**
 * SBOM export of real test images (OCI layouts built by test/images.ts, read through the image
 * runner and every cataloger), validated against the OFFICIAL CycloneDX 1.6 and SPDX 2.3 JSON
 * schemas (testdata/upstream, ajv), and read back by runwarden's own SBOM reader.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestImages } from '../../../test/images.js';
import { cycloneDxErrors, spdxErrors } from '../../../test/sbom-schemas.js';
import { openImage } from '../../image/registry.js';
import { imageSbom } from '../image.js';
import { readSbomText } from '../read.js';
import type { SbomDocument } from '../model.js';
import { renderSbom, toCycloneDx, toSpdx } from './index.js';

const CREATED = new Date('2026-11-28T12:00:00.000Z');

async function sbomOf(input: string): Promise<SbomDocument> {
  const handle = await openImage(input);
  try {
    return await imageSbom(handle, { created: CREATED });
  } finally {
    await handle.close();
  }
}

describe('SBOM export (CycloneDX 1.6, SPDX 2.3) of real images', () => {
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  let debian: SbomDocument;
  beforeAll(async () => {
    images = await buildTestImages(await mkdtemp(join(tmpdir(), 'rw-sbom-export-')));
    debian = await sbomOf(`oci:${images['debian-app'].layout}`);
  });

  it('writes CycloneDX 1.6 that validates against bom-1.6.schema.json, with the image as metadata component', () => {
    const bom = toCycloneDx(debian);
    expect(cycloneDxErrors(bom)).toEqual([]);
    const image = images['debian-app'];
    expect(bom.metadata.component).toMatchObject({ type: 'container', name: 'localhost/rw/debian-app', version: image.manifestDigest, hashes: [{ alg: 'SHA-256', content: image.manifestDigest.slice(7) }] });
    expect(bom.metadata.component.purl).toBe(`pkg:oci/debian-app@sha256%3A${image.manifestDigest.slice(7)}?arch=amd64&repository_url=localhost/rw/debian-app`);
    expect(bom.metadata.timestamp).toBe('2026-11-28T12:00:00.000Z');
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.components.map((c) => [c.type, c.name, c.version, c.purl ?? null])).toEqual([
      ['operating-system', 'debian', '12', null],
      ['library', 'base-files', '12.4+deb12u1', 'pkg:deb/debian/base-files@12.4+deb12u1?arch=amd64&distro=debian-12'],
      ['library', 'libssl3', '3.0.9-1', 'pkg:deb/debian/libssl3@3.0.9-1?arch=amd64&distro=debian-12'],
      ['library', 'zlib1g', '1:1.2.13.dfsg-1', 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12'],
      ['library', 'libc6', '2.36-9+deb12u1', 'pkg:deb/debian/libc6@2.36-9+deb12u1?arch=amd64&distro=debian-12'],
      ['library', 'bash', '5.2.15-2+b2', 'pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&distro=debian-12'],
      ['library', 'lodash', '4.17.15', 'pkg:npm/lodash@4.17.15'],
      ['library', 'requests', '2.25.0', 'pkg:pypi/requests@2.25.0'],
    ]);
    const lodash = bom.components.find((c) => c.name === 'lodash');
    expect(lodash?.licenses).toEqual([{ license: { id: 'MIT' } }]);
    const layer = image.layers[1]?.digest ?? '';
    expect(lodash?.properties).toEqual([
      { name: 'runwarden:package:ecosystem', value: 'npm' },
      { name: 'runwarden:package:foundBy', value: 'npm' },
      { name: 'runwarden:location:0:path', value: '/app/node_modules/lodash/package.json' },
      { name: 'runwarden:location:0:layer', value: layer },
    ]);
    expect(lodash?.evidence).toEqual({ occurrences: [{ location: '/app/node_modules/lodash/package.json', additionalContext: `layer ${layer}` }] });
    const libssl = bom.components.find((c) => c.name === 'libssl3');
    expect(libssl?.properties).toContainEqual({ name: 'runwarden:package:sourceName', value: 'openssl' });
    // The graph starts at the image: it depends on the OS and the packages no other package depends on
    // (libc6 is reached through libssl3 and zlib1g, from their dpkg Depends); every package whose
    // database states its dependencies has its own entry, once.
    const ref = (name: string): string => bom.components.find((c) => c.name === name)?.['bom-ref'] ?? '?';
    expect(bom.dependencies).toEqual([
      { ref: bom.metadata.component['bom-ref'], dependsOn: ['os:debian-12', ...['base-files', 'libssl3', 'zlib1g', 'bash', 'lodash', 'requests'].map(ref)] },
      { ref: ref('base-files'), dependsOn: [] },
      { ref: ref('libssl3'), dependsOn: [ref('libc6')] },
      { ref: ref('zlib1g'), dependsOn: [ref('libc6')] },
      { ref: ref('libc6'), dependsOn: [] },
      { ref: ref('bash'), dependsOn: [] },
      { ref: ref('lodash'), dependsOn: [] },
      { ref: ref('requests'), dependsOn: [] },
    ]);
  });

  it('writes SPDX 2.3 that validates against spdx-schema.json: the document DESCRIBES the image, which CONTAINS every package', () => {
    const doc = toSpdx(debian);
    expect(spdxErrors(doc)).toEqual([]);
    expect(doc.creationInfo.created).toBe('2026-11-28T12:00:00Z');
    const [image, os, ...pkgs] = doc.packages;
    expect(image).toMatchObject({ name: 'localhost/rw/debian-app', primaryPackagePurpose: 'CONTAINER', checksums: [{ algorithm: 'SHA256', checksumValue: images['debian-app'].manifestDigest.slice(7) }] });
    expect(os).toMatchObject({ name: 'debian', versionInfo: '12', primaryPackagePurpose: 'OPERATING_SYSTEM' });
    expect(pkgs.map((p) => [p.name, p.versionInfo, p.licenseDeclared, p.externalRefs?.[0]?.referenceLocator])).toEqual([
      ['base-files', '12.4+deb12u1', 'NOASSERTION', 'pkg:deb/debian/base-files@12.4+deb12u1?arch=amd64&distro=debian-12'],
      ['libssl3', '3.0.9-1', 'NOASSERTION', 'pkg:deb/debian/libssl3@3.0.9-1?arch=amd64&distro=debian-12'],
      ['zlib1g', '1:1.2.13.dfsg-1', 'NOASSERTION', 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12'],
      ['libc6', '2.36-9+deb12u1', 'NOASSERTION', 'pkg:deb/debian/libc6@2.36-9+deb12u1?arch=amd64&distro=debian-12'],
      ['bash', '5.2.15-2+b2', 'NOASSERTION', 'pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&distro=debian-12'],
      ['lodash', '4.17.15', 'MIT', 'pkg:npm/lodash@4.17.15'],
      ['requests', '2.25.0', 'Apache-2.0', 'pkg:pypi/requests@2.25.0'],
    ]);
    expect(pkgs[5]?.sourceInfo).toBe(`found by npm in /app/node_modules/lodash/package.json (layer ${images['debian-app'].layers[1]?.digest ?? ''})`);
    expect(doc.relationships[0]).toEqual({ spdxElementId: 'SPDXRef-DOCUMENT', relatedSpdxElement: image?.SPDXID, relationshipType: 'DESCRIBES' });
    expect(doc.relationships.slice(1).map((r) => [r.spdxElementId, r.relationshipType, r.relatedSpdxElement])).toEqual([
      ...[os, ...pkgs].map((p) => [image?.SPDXID, 'CONTAINS', p?.SPDXID]),
      ['SPDXRef-Package-Debian-libssl3-1', 'DEPENDS_ON', 'SPDXRef-Package-Debian-libc6-3'],
      ['SPDXRef-Package-Debian-zlib1g-2', 'DEPENDS_ON', 'SPDXRef-Package-Debian-libc6-3'],
    ]);
    expect(new Set(doc.packages.map((p) => p.SPDXID)).size).toBe(doc.packages.length);
  });

  it('writes documents runwarden\'s own SBOM reader reads back to the same packages (purl, distro, source) and dependency edges', () => {
    expect(debian.dependencies.some((d) => d.to.length > 0)).toBe(true);
    for (const format of ['cyclonedx', 'spdx'] as const) {
      const back = readSbomText(renderSbom(debian, format), `x.${format}.json`);
      expect(back.issues).toEqual([]);
      expect(back.packages.map((p) => [p.ecosystem, p.name, p.version, p.distro?.release ?? null])).toEqual(debian.packages.map((p) => [p.ecosystem, p.name, p.version, p.distro?.release ?? null]));
      // SPDX has no "known, none" statement: only packages with edges (or unresolved names) come back.
      const want = format === 'cyclonedx' ? debian.dependencies : debian.dependencies.filter((d) => d.to.length > 0 || d.unresolved !== undefined);
      expect([format, back.dependencies]).toEqual([format, want]);
    }
  });

  it('validates for an Alpine image (licences as SPDX ids) and for an image with no packages and no OS', async () => {
    const alpine = await sbomOf(`oci:${images['alpine-app'].layout}`);
    const bom = toCycloneDx(alpine);
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(spdxErrors(toSpdx(alpine))).toEqual([]);
    expect(bom.components.map((c) => [c.name, c.licenses])).toEqual([
      ['alpine', undefined],
      ['musl', [{ license: { id: 'MIT' } }]],
      ['libcrypto3', [{ license: { id: 'Apache-2.0' } }]],
      ['zlib', [{ license: { id: 'Zlib' } }]],
    ]);
    const pause = await sbomOf(`oci:${images.pause.layout}`);
    expect(pause.packages).toEqual([]);
    expect(cycloneDxErrors(toCycloneDx(pause))).toEqual([]);
    expect(spdxErrors(toSpdx(pause))).toEqual([]);
    expect(toCycloneDx(pause).components).toEqual([]);
  });

  it('keeps licences that are not SPDX ids (CycloneDX name, SPDX LicenseRef with the text), expressions, dependency edges and issues, and still validates', () => {
    const doc: SbomDocument = {
      ...debian,
      packages: [
        { ecosystem: 'npm', name: 'a', version: '1.0.0', purl: 'pkg:npm/a@1.0.0', licenses: ['MIT OR Apache-2.0'], foundBy: 'npm' },
        { ecosystem: 'npm', name: 'b', version: '2.0.0', purl: 'pkg:npm/b@2.0.0', licenses: ['BSD License', 'MIT'], foundBy: 'npm' },
        { ecosystem: 'npm', name: 'b', version: '2.0.0', purl: 'pkg:npm/b@2.0.0', foundBy: 'npm', locations: [{ path: '/other/package.json' }] },
        { ecosystem: 'Go', name: 'local', version: '(devel)' },
      ],
      dependencies: [{ from: 0, to: [1, 1, 3] }],
      issues: [{ code: 'layer-truncated', message: 'layer 2/2 ends early', location: 'sha256:abc' }],
      complete: false,
    };
    const bom = toCycloneDx(doc);
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(bom.components.slice(1).map((c) => [c['bom-ref'], c.licenses ?? null])).toEqual([
      ['pkg:npm/a@1.0.0', [{ expression: 'MIT OR Apache-2.0' }]],
      ['pkg:npm/b@2.0.0', [{ license: { name: 'BSD License' } }, { license: { id: 'MIT' } }]],
      ['pkg:npm/b@2.0.0#1', null],
      ['runwarden:Go/local@(devel)', null],
    ]);
    expect(bom.dependencies[1]).toEqual({ ref: 'pkg:npm/a@1.0.0', dependsOn: ['pkg:npm/b@2.0.0', 'runwarden:Go/local@(devel)'] });
    expect(bom.metadata.properties).toEqual([{ name: 'runwarden:complete', value: 'false' }, { name: 'runwarden:issue:0', value: 'layer-truncated: layer 2/2 ends early (sha256:abc)' }]);
    const spdx = toSpdx(doc);
    expect(spdxErrors(spdx)).toEqual([]);
    expect(spdx.packages.slice(2).map((p) => p.licenseDeclared)).toEqual(['MIT OR Apache-2.0', 'LicenseRef-BSD-License AND MIT', 'NOASSERTION', 'NOASSERTION']);
    expect(spdx.hasExtractedLicensingInfos).toEqual([{ licenseId: 'LicenseRef-BSD-License', extractedText: 'BSD License', name: 'BSD License' }]);
    expect(spdx.relationships.filter((r) => r.relationshipType === 'DEPENDS_ON').map((r) => [r.spdxElementId, r.relatedSpdxElement])).toEqual([
      ['SPDXRef-Package-npm-a-0', 'SPDXRef-Package-npm-b-1'],
      ['SPDXRef-Package-npm-a-0', 'SPDXRef-Package-Go-local-3'],
    ]);
    expect(spdx.comment).toBe('INCOMPLETE: a layer could not be read whole, packages may be missing. Issues: layer-truncated: layer 2/2 ends early (sha256:abc)');
  });

  it('dependency graph: the image reaches every package (cycles nothing else reaches get an entry point), unknown dependencies have no entry, self-edges dropped, unresolved names kept; still validates', () => {
    const pkg = (name: string): SbomDocument['packages'][number] => ({ ecosystem: 'npm', name, version: '1.0.0', purl: `pkg:npm/${name}@1.0.0`, foundBy: 'npm' });
    const doc: SbomDocument = {
      ...debian,
      packages: ['app', 'x', 'y', 'c1', 'c2', 'unknown', 'selfish'].map(pkg),
      dependencies: [
        { from: 0, to: [1], unresolved: ['left-pad'] },
        { from: 1, to: [2] },
        { from: 2, to: [1] },
        { from: 3, to: [4] },
        { from: 4, to: [3] },
        { from: 6, to: [6] },
      ],
    };
    const bom = toCycloneDx(doc);
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(bom.dependencies).toEqual([
      { ref: bom.metadata.component['bom-ref'], dependsOn: ['os:debian-12', 'pkg:npm/app@1.0.0', 'pkg:npm/c1@1.0.0', 'pkg:npm/unknown@1.0.0', 'pkg:npm/selfish@1.0.0'] },
      { ref: 'pkg:npm/app@1.0.0', dependsOn: ['pkg:npm/x@1.0.0'] },
      { ref: 'pkg:npm/x@1.0.0', dependsOn: ['pkg:npm/y@1.0.0'] },
      { ref: 'pkg:npm/y@1.0.0', dependsOn: ['pkg:npm/x@1.0.0'] },
      { ref: 'pkg:npm/c1@1.0.0', dependsOn: ['pkg:npm/c2@1.0.0'] },
      { ref: 'pkg:npm/c2@1.0.0', dependsOn: ['pkg:npm/c1@1.0.0'] },
      { ref: 'pkg:npm/selfish@1.0.0', dependsOn: [] },
    ]);
    expect(bom.components.find((c) => c.name === 'app')?.properties).toContainEqual({ name: 'runwarden:dependency:unresolved', value: 'left-pad' });
    const spdx = toSpdx(doc);
    expect(spdxErrors(spdx)).toEqual([]);
    expect(spdx.relationships.filter((r) => r.relationshipType === 'DEPENDS_ON').map((r) => `${r.spdxElementId} ${r.relatedSpdxElement}`)).toEqual([
      'SPDXRef-Package-npm-app-0 SPDXRef-Package-npm-x-1',
      'SPDXRef-Package-npm-x-1 SPDXRef-Package-npm-y-2',
      'SPDXRef-Package-npm-y-2 SPDXRef-Package-npm-x-1',
      'SPDXRef-Package-npm-c1-3 SPDXRef-Package-npm-c2-4',
      'SPDXRef-Package-npm-c2-4 SPDXRef-Package-npm-c1-3',
    ]);
    expect(spdx.packages.find((p) => p.name === 'app')?.comment).toBe('ecosystem npm; depends on, not installed: left-pad');
  });

  it('gives the same document id for the same image and time, and another for another time', () => {
    expect(toCycloneDx(debian).serialNumber).toBe(toCycloneDx({ ...debian }).serialNumber);
    expect(toCycloneDx({ ...debian, created: new Date('2026-11-29T00:00:00Z') }).serialNumber).not.toBe(toCycloneDx(debian).serialNumber);
  });
});
