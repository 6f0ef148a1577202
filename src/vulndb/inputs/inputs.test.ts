import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import { importAdvisories } from '../import.js';
import { matchPackages } from '../match/index.js';
import { openVulnDb } from '../store/index.js';
import { matchingIssues, parsePackageInput } from './index.js';
import { packageFromPurl, productMatches, productPurl, type SourcePackage } from './purl.js';

/** Trivy's SBOMs of the demo image ghcr.io/acme/cart:latest (testdata/trivy/README.md). */
const TRIVY = join(import.meta.dirname, 'testdata', 'trivy');


/** Whether the VEX product `product` names the package of purl `pkg` (built from `source`). */
function purlMatches(product: string, pkg: string, source?: SourcePackage): boolean {
  const a = productPurl(product);
  return a !== undefined && productMatches(a, PackageURL.fromString(pkg), source);
}

describe('package inputs', () => {
  it('maps purls to ecosystems, distro releases, epochs and source packages', () => {
    expect(packageFromPurl('pkg:deb/debian/libssl3@3.0.9-1?arch=amd64&distro=debian-12&upstream=openssl')).toEqual({
      ok: true,
      pkg: { ecosystem: 'Debian', name: 'libssl3', version: '3.0.9-1', purl: 'pkg:deb/debian/libssl3@3.0.9-1?arch=amd64&distro=debian-12&upstream=openssl', foundBy: 'purl', distro: { id: 'debian', release: '12' }, source: { name: 'openssl' } },
    });
    expect(packageFromPurl('pkg:deb/debian/zlib1g@1.2.13.dfsg-1?epoch=1&distro=debian-12.1')).toMatchObject({ ok: true, pkg: { version: '1:1.2.13.dfsg-1', distro: { release: '12.1' } } });
    expect(packageFromPurl('pkg:apk/alpine/libcrypto3@3.1.0-r4?distro=alpine-3.18.4&upstream=openssl')).toMatchObject({ ok: true, pkg: { ecosystem: 'Alpine', source: { name: 'openssl' } } });
    // Trivy writes the release alone for Alpine; a codename names a Debian release; the namespace completes them
    expect(packageFromPurl('pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&upstream=openssl&distro=3.20.3')).toMatchObject({ ok: true, pkg: { distro: { id: 'alpine', release: '3.20.3' }, source: { name: 'openssl' } } });
    expect(packageFromPurl('pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=bookworm')).toMatchObject({ ok: true, pkg: { distro: { id: 'debian', release: 'bookworm' } } });
    // Trivy's OS family names as namespaces
    expect(packageFromPurl('pkg:rpm/alma/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&distro=alma-9.4')).toMatchObject({ ok: true, pkg: { ecosystem: 'AlmaLinux', version: '1:3.0.7-27.el9', distro: { release: '9.4' } } });
    expect(packageFromPurl('pkg:rpm/cbl-mariner/openssl@1.1.1k-31.cm2?distro=cbl-mariner-2.0')).toMatchObject({ ok: true, pkg: { ecosystem: 'Mariner', distro: { id: 'cbl-mariner', release: '2.0' } } });
    const odd = packageFromPurl('pkg:apk/alpine/curl@8.10.1-r0?distro=%2F%2F');
    expect(odd.ok && odd.pkg.distro).toBeUndefined();
    // rpm: the upstream is the source RPM's file name (syft, and runwarden's own SBOMs); its version takes the binary's epoch
    expect(packageFromPurl('pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rocky-9.3&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm')).toMatchObject({
      ok: true,
      pkg: { ecosystem: 'Rocky Linux', name: 'openssl-libs', version: '1:3.0.7-24.el9', distro: { id: 'rocky', release: '9.3' }, source: { name: 'openssl', version: '1:3.0.7-24.el9' } },
    });
    expect(packageFromPurl('pkg:rpm/redhat/bash@5.1.8-6.el9?upstream=bash-5.1.8-6.el9.src.rpm&distro=rhel-9.3')).toMatchObject({ ok: true, pkg: { source: { name: 'bash', version: '5.1.8-6.el9' } } });
    expect(packageFromPurl('pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1')).toMatchObject({ ok: true, pkg: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' } });
    expect(packageFromPurl('pkg:npm/%40babel/core@7.0.0')).toMatchObject({ ok: true, pkg: { ecosystem: 'npm', name: '@babel/core' } });
    expect(packageFromPurl('pkg:golang/github.com/gin-gonic/gin@v1.9.0')).toMatchObject({ ok: true, pkg: { ecosystem: 'Go', name: 'github.com/gin-gonic/gin', version: 'v1.9.0' } });
    expect(packageFromPurl('pkg:npm/lodash')).toEqual({ ok: false, error: 'no version (a purl needs "@version" to be matched)' });
    expect(packageFromPurl('pkg:deb/mint/foo@1')).toEqual({ ok: false, error: 'unknown deb namespace "mint": expected one of debian, ubuntu' });
    expect(packageFromPurl('lodash@1')).toMatchObject({ ok: false });
    expect(purlMatches('pkg:npm/lodash', 'pkg:npm/lodash@4.17.15')).toBe(true);
    expect(purlMatches('pkg:npm/lodash@4.17.21', 'pkg:npm/lodash@4.17.15')).toBe(false);
    expect(purlMatches('pkg:pypi/Zope.Interface@5.4.0', 'pkg:pypi/zope-interface@5.4.0')).toBe(true);
    // qualifiers the product gives must agree, with a version or without one
    const bookworm = 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12';
    expect(purlMatches('pkg:deb/debian/openssl?distro=debian-12', bookworm)).toBe(true);
    expect(purlMatches('pkg:deb/debian/openssl?distro=debian-11', bookworm)).toBe(false);
    expect(purlMatches('pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=arm64', bookworm)).toBe(false);
    expect(purlMatches('pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64', bookworm)).toBe(true);
  });

  it('matches VEX products to OS packages by release, epoch and source package', () => {
    const bookworm = 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12';
    const libssl = 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12';
    // a release named by codename, number or point release is the same release; another release is not
    expect(purlMatches('pkg:deb/debian/openssl?distro=bookworm', bookworm)).toBe(true);
    expect(purlMatches('pkg:deb/debian/openssl?distro=bullseye', bookworm)).toBe(false);
    const jammy = 'pkg:deb/ubuntu/libxml2@2.9.13+dfsg-1ubuntu0.3?arch=amd64&distro=ubuntu-22.04';
    expect(['jammy', 'ubuntu-22.04.4', 'esm-apps/jammy', 'focal', 'esm-infra/focal', 'ubuntu-20.04', 'debian-12'].map((d) => purlMatches(`pkg:deb/ubuntu/libxml2?distro=${d}`, jammy))).toEqual([true, true, true, false, false, false, false]);
    expect(purlMatches('pkg:apk/alpine/busybox?distro=3.18', 'pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64&distro=alpine-3.18.4')).toBe(true);
    expect(purlMatches('pkg:apk/alpine/busybox?distro=3.19', 'pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64&distro=alpine-3.18.4')).toBe(false);
    // epochs: in a deb version, in an rpm qualifier; a missing epoch is 0
    const protoize = `pkg:deb/ubuntu/protoize@${encodeURIComponent('1:4.4.7-8ubuntu1')}?arch=amd64&distro=ubuntu-14.04`;
    expect(purlMatches('pkg:deb/ubuntu/protoize@1:4.4.7-8ubuntu1?arch=amd64', protoize)).toBe(true);
    expect(purlMatches('pkg:deb/ubuntu/protoize@4.4.7-8ubuntu1?arch=amd64', protoize)).toBe(false);
    const libs = 'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&distro=redhat-9.4&upstream=openssl-3.0.7-27.el9.src.rpm';
    expect(purlMatches('pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1', libs)).toBe(true);
    expect(purlMatches('pkg:rpm/redhat/openssl-libs@1:3.0.7-27.el9?arch=x86_64', libs)).toBe(true);
    expect(purlMatches('pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=2', libs)).toBe(false);
    expect(purlMatches('pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64', libs)).toBe(false);
    // a source package (arch=src, arch=source) names every binary built from it: the source the finding gives,
    // else the purl's upstream (rpm: the source RPM's file name, with the binary's epoch), else the package itself
    expect(purlMatches('pkg:rpm/redhat/openssl?arch=src', libs)).toBe(true);
    expect(purlMatches('pkg:rpm/redhat/openssl@3.0.7-27.el9?arch=src&epoch=1', libs)).toBe(true);
    expect(purlMatches('pkg:rpm/redhat/openssl@3.0.7-25.el9?arch=src&epoch=1', libs)).toBe(false);
    expect(purlMatches('pkg:rpm/redhat/openssl', libs)).toBe(false);
    expect(purlMatches('pkg:rpm/redhat/openssl-libs?arch=src', libs)).toBe(false);
    expect(purlMatches('pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=source', bookworm)).toBe(true);
    expect(purlMatches('pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=source', libssl)).toBe(false);
    expect(purlMatches('pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=source', libssl, { name: 'openssl', version: '3.0.11-1~deb12u2' })).toBe(true);
    expect(purlMatches('pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=source', libssl, { name: 'openssl', version: '3.0.11-1~deb12u2' })).toBe(false);
    expect(purlMatches('pkg:deb/debian/openssl?arch=source&distro=debian-11', libssl, { name: 'openssl' })).toBe(false);
    // Ubuntu's VEX writes a second qualifier after a second "?"
    const cpp = 'pkg:deb/ubuntu/cpp-4.4@4.4.7-8ubuntu1?arch=amd64&distro=ubuntu-14.04';
    const gcc = { name: 'gcc-4.4', version: '4.4.7-8ubuntu1' };
    expect(purlMatches('pkg:deb/ubuntu/gcc-4.4@4.4.7-8ubuntu1?arch=src?distro=ubuntu/trusty', cpp, gcc)).toBe(true);
    expect(purlMatches('pkg:deb/ubuntu/gcc-4.4@4.4.7-8ubuntu1?arch=src?distro=ubuntu/xenial', cpp, gcc)).toBe(false);
    // other purl types: no source packages, versions as text
    expect(purlMatches('pkg:npm/lodash?arch=src', 'pkg:npm/lodash@4.17.15')).toBe(true);
    expect(purlMatches('pkg:npm/lodash@1:4.17.15', 'pkg:npm/lodash@4.17.15')).toBe(false);
  });

  it('reads a purl list, with comments, reporting bad lines by number', () => {
    const input = parsePackageInput('# app\npkg:npm/lodash@4.17.15\n\npkg:pypi/requests@2.25.0\nnot-a-purl\n', 'purls.txt');
    expect(input.format).toBe('purl-list');
    expect(input.packages.map((p) => `${p.ecosystem}/${p.name}@${p.version}@${p.locations?.[0]?.path ?? ''}`)).toEqual(['npm/lodash@4.17.15@purls.txt:2', 'PyPI/requests@2.25.0@purls.txt:4']);
    expect(input.issues.map((i) => i.message)).toEqual(['Skipped purls.txt:5: purl "not-a-purl" — Invalid purl: missing required "pkg" scheme component']);
    expect(parsePackageInput('', 'empty.txt').packages).toEqual([]);
    // purl types and namespaces named like Object properties are unknown ones, not an ecosystem read off Object
    const odd = parsePackageInput('pkg:deb/constructor/bash@5.2\npkg:constructor/x@1\npkg:rpm/__proto__/x@1\n', 'odd.txt');
    expect(odd.packages).toEqual([]);
    expect(odd.issues.map((i) => i.message)).toEqual([
      'Skipped odd.txt:1: purl "pkg:deb/constructor/bash@5.2" — unknown deb namespace "constructor": expected one of debian, ubuntu',
      'Skipped odd.txt:2: purl "pkg:constructor/x@1" — purl type "constructor" has no OSV ecosystem runwarden matches',
      expect.stringMatching(/^Skipped odd\.txt:3: purl "pkg:rpm\/__proto__\/x@1" — unknown rpm namespace "__proto__"/),
    ]);
  });

  it('reads CycloneDX (nested components, the OS component as distro) and SPDX 2.3', () => {
    const cdx = parsePackageInput(
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        components: [
          { type: 'operating-system', name: 'debian', version: '12.1' },
          { type: 'library', name: 'libssl3', purl: 'pkg:deb/debian/libssl3@3.0.9-1?arch=amd64', components: [{ type: 'library', name: 'inner', purl: 'pkg:npm/inner@1.0.0' }] },
          { type: 'library', name: 'nopurl', version: '1' },
        ],
      }),
      'bom.json',
    );
    expect(cdx.packages.map((p) => [p.name, p.distro?.release])).toEqual([['libssl3', '12.1'], ['inner', undefined]]);
    expect(cdx.issues.map((i) => i.message)).toEqual(['1 component(s) in bom.json have no purl and were not matched']);
    const spdx = parsePackageInput(
      JSON.stringify({ spdxVersion: 'SPDX-2.3', packages: [{ name: 'lodash', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/lodash@4.17.15' }] }, { name: 'x' }] }),
      'sbom.spdx.json',
    );
    expect(spdx.packages.map((p) => p.name)).toEqual(['lodash']);
    expect(spdx.issues).toHaveLength(1);
    // as runwarden, Syft and Trivy write it: the image (CONTAINER, a pkg:oci purl) and its OS are not packages to
    // match, and the OS is the distro of OS purls that name none
    const image = parsePackageInput(
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        packages: [
          { name: 'redis', primaryPackagePurpose: 'CONTAINER', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:oci/redis@sha256%3Ad5f169e6cb1f15fc2052efcbc95a4baf0063667062901d73fbbd220509db8f20' }] },
          { name: 'libssl3', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?upstream=openssl' }] },
          { name: 'debian', versionInfo: '12', primaryPackagePurpose: 'OPERATING_SYSTEM' },
        ],
      }),
      'image.spdx.json',
    );
    expect([image.issues, image.packages.map((p) => [p.name, p.distro, p.locations?.[0]?.path])]).toEqual([[], [['libssl3', { id: 'debian', release: '12' }, 'image.spdx.json#packages[1] (libssl3)']]]);
    // Trivy 0.44 spells the purpose OPERATING-SYSTEM
    const trivy = parsePackageInput(JSON.stringify({ spdxVersion: 'SPDX-2.3', packages: [{ name: 'debian', versionInfo: '12.7', primaryPackagePurpose: 'OPERATING-SYSTEM' }, { name: 'libssl3', externalRefs: [{ referenceType: 'purl', referenceLocator: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2' }] }] }), 'trivy.spdx.json');
    expect([trivy.issues, trivy.packages.map((p) => p.distro)]).toEqual([[], [{ id: 'debian', release: '12.7' }]]);
  });

  it('refuses what is not an SBOM with a one-line error', () => {
    expect(() => parsePackageInput('{"hello": 1}', 'x.json')).toThrow('"x.json" is JSON but neither CycloneDX ("bomFormat": "CycloneDX") nor SPDX 2.x ("spdxVersion": "SPDX-2.3")');
    expect(() => parsePackageInput('{"bomFormat": ', 'cut.json')).toThrow(/^"cut\.json" is not valid JSON: /);
    expect(() => parsePackageInput('hello world', 'x.txt')).toThrow('"x.txt" is not an SBOM: expected CycloneDX/SPDX JSON or lines of "pkg:type/name@version"');
  });

  it('reads the source package Trivy writes beside the purl (CycloneDX properties, SPDX sourceInfo), so Debian advisories find libssl3 under openssl', async () => {
    const sources = (file: string): Record<string, unknown> => {
      const input = parsePackageInput(readFileSync(join(TRIVY, file), 'utf8'), file);
      expect(input.issues).toEqual([]);
      return Object.fromEntries(input.packages.filter((p) => p.ecosystem === 'Debian').map((p) => [p.name, p.source]));
    };
    const cdx = sources('cart.cdx.json');
    expect(cdx).toMatchObject({
      libssl3: { name: 'openssl', version: '3.0.14-1~deb12u2' },
      libc6: { name: 'glibc', version: '2.36-9+deb12u8' },
      zlib1g: { name: 'zlib', version: '1:1.2.13.dfsg-1' },
      'libstdc++6': { name: 'gcc-12', version: '12.2.0-14' },
    });
    // the same sources from the SPDX document
    expect(sources('cart.spdx.json')).toEqual(cdx);
    // and the match: an advisory of Debian 12's openssl applies to Trivy's libssl3
    const dir = mkdtempSync(join(tmpdir(), 'rw-trivy-sbom-'));
    writeFileSync(join(dir, 'json'), JSON.stringify({ openssl: { 'CVE-2024-9143': { releases: { bookworm: { status: 'resolved', fixed_version: '3.0.15-1~deb12u1', urgency: 'not yet assigned' } } } } }));
    const db = openVulnDb(':memory:');
    expect((await importAdvisories(db, join(dir, 'json'), { source: 'debian-tracker' })).issues).toEqual([]);
    const { findings } = matchPackages(db, parsePackageInput(readFileSync(join(TRIVY, 'cart.spdx.json'), 'utf8'), 'cart.spdx.json').packages);
    expect(findings.map((f) => [f.evidence['vulnerability'], (f.evidence['package'] as { name: string }).name])).toEqual([['CVE-2024-9143', 'libssl3']]);
    db.close();
  });

  it('says so when an SBOM lists no packages, so that no findings does not read as clean', () => {
    for (const [text, file] of [
      ['{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": []}', 'empty.cdx.json'],
      ['{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "x", "packages": []}', 'empty.spdx.json'],
      ['\n', 'purls.txt'],
    ] as const) {
      const input = parsePackageInput(text, file);
      expect([input.packages, input.issues]).toEqual([[], []]);
      expect(matchingIssues(input, file).map((i) => [i.code, i.message])).toEqual([['sbom-empty', `${file} lists no packages: nothing was matched`]]);
    }
    // components without purls are reported as such, not as an empty SBOM
    const noPurl = parsePackageInput('{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library", "name": "lodash", "version": "4.17.15"}]}', 'x.json');
    expect([noPurl.issues.map((i) => i.code), matchingIssues(noPurl, 'x.json')]).toEqual([['sbom-no-purl'], []]);
  });

  it('says so when no Debian or Alpine package of a document names its source package, which their advisories are filed under', () => {
    const list = parsePackageInput('pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12\npkg:deb/debian/curl@7.88.1-10?distro=debian-12\npkg:apk/alpine/libcrypto3@3.1.4-r5?distro=alpine-3.19.1\npkg:npm/lodash@4.17.15\n', 'purls.txt');
    expect(matchingIssues(list, 'purls.txt').map((i) => [i.code, i.message])).toEqual([
      ['sbom-no-source', 'None of the 2 Debian packages in purls.txt names its source package: they are matched under their own names, so advisories filed under another source package (libssl3 → openssl) miss them'],
      ['sbom-no-source', 'The Alpine package in purls.txt names no source package: it is matched under its own name, so advisories filed under another source package (libssl3 → openssl) would miss it'],
    ]);
    // one package with its source: the document records sources (Syft names one only where it differs)
    const syft = parsePackageInput('pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&upstream=openssl\npkg:deb/debian/curl@7.88.1-10?distro=debian-12\n', 'syft.txt');
    expect(matchingIssues(syft, 'syft.txt')).toEqual([]);
    // Trivy's SBOMs state them beside the purls
    for (const file of ['cart.cdx.json', 'cart.spdx.json']) expect(matchingIssues(parsePackageInput(readFileSync(join(TRIVY, file), 'utf8'), file), file)).toEqual([]);
  });
});
