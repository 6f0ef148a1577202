import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.js';
import { readSbomText } from './read.js';

const doc = (packages: unknown[]): string => JSON.stringify({ spdxVersion: 'SPDX-2.3', packages });
const ref = (purl: string): unknown => [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl }];

describe('readSbomText', () => {
  it('skips the SPDX image (CONTAINER) and OS packages, gives OS purls the OS as distro, and keeps document indexes in locations', () => {
    const got = readSbomText(doc([
      { SPDXID: 'SPDXRef-i', name: 'img', primaryPackagePurpose: 'CONTAINER', externalRefs: ref('pkg:oci/img@sha256%3Aab') },
      { SPDXID: 'SPDXRef-o', name: 'Ubuntu', versionInfo: '22.04', primaryPackagePurpose: 'OPERATING_SYSTEM' },
      { SPDXID: 'SPDXRef-a', name: 'bash', externalRefs: ref('pkg:deb/ubuntu/bash@5.1-6ubuntu1') },
      { SPDXID: 'SPDXRef-b', name: 'zlib', externalRefs: ref('pkg:deb/ubuntu/zlib1g@1.2.11?distro=ubuntu-20.04') },
    ]), 'f.json');
    expect(got.issues).toEqual([]);
    expect(got.packages.map((p) => [p.name, p.distro, p.locations])).toEqual([
      ['bash', { id: 'ubuntu', release: '22.04' }, [{ path: 'f.json#packages[2] (bash)' }]],
      ['zlib1g', { id: 'ubuntu', release: '20.04' }, [{ path: 'f.json#packages[3] (zlib)' }]],
    ]);
  });

  it('reads an empty SPDX document and a purl list unchanged, and throws InputError for broken JSON', () => {
    expect(readSbomText(doc([]), 'e.json')).toEqual({ format: 'spdx', packages: [], issues: [] });
    expect(readSbomText('pkg:npm/a@1.0.0\n', 'p.txt').packages.map((p) => p.name)).toEqual(['a']);
    expect(() => readSbomText('{"spdxVersion": ', 'bad.json')).toThrow(InputError);
    expect(() => readSbomText('{"spdxVersion": ', 'bad.json')).toThrow(/^"bad\.json" is not valid JSON: /);
  });
});
