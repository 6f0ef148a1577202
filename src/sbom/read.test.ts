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
    expect(readSbomText(doc([]), 'e.json')).toEqual({ format: 'spdx', packages: [], issues: [], dependencies: [] });
    expect(readSbomText('pkg:npm/a@1.0.0\n', 'p.txt').packages.map((p) => p.name)).toEqual(['a']);
    expect(() => readSbomText('{"spdxVersion": ', 'bad.json')).toThrow(InputError);
    expect(() => readSbomText('{"spdxVersion": ', 'bad.json')).toThrow(/^"bad\.json" is not valid JSON: /);
  });

  it('reads CycloneDX dependencies back as package edges: non-package refs (image, OS) left out, refs that name nothing ignored, an entry means known, unresolved-name properties kept', () => {
    const bom = {
      bomFormat: 'CycloneDX', specVersion: '1.6',
      metadata: { component: { type: 'container', 'bom-ref': 'image:x', name: 'x' } },
      components: [
        { type: 'operating-system', 'bom-ref': 'os:debian-12', name: 'debian', version: '12' },
        { type: 'library', 'bom-ref': 'a', name: 'a', version: '1.0.0', purl: 'pkg:npm/a@1.0.0', properties: [{ name: 'runwarden:dependency:unresolved', value: 'gone' }] },
        { type: 'library', 'bom-ref': 'b', name: 'b', version: '1.0.0', purl: 'pkg:npm/b@1.0.0', components: [{ type: 'library', 'bom-ref': 'b-inner', name: 'c', version: '2.0.0', purl: 'pkg:npm/c@2.0.0' }] },
        { type: 'library', 'bom-ref': 'no-purl', name: 'd' },
      ],
      dependencies: [
        { ref: 'image:x', dependsOn: ['os:debian-12', 'a'] },
        { ref: 'a', dependsOn: ['b', 'no-purl', 'nowhere', 'a'] },
        { ref: 'b', dependsOn: ['b-inner'] },
        { ref: 'b-inner' },
        'garbage',
      ],
    };
    const got = readSbomText(JSON.stringify(bom), 'c.json');
    expect(got.packages.map((p) => p.name)).toEqual(['a', 'b', 'c']);
    expect(got.dependencies).toEqual([{ from: 0, to: [1], unresolved: ['gone'] }, { from: 1, to: [2] }, { from: 2, to: [] }]);
  });

  it('reads SPDX DEPENDS_ON and DEPENDENCY_OF (reversed) back; CONTAINS/DESCRIBES are not dependencies', () => {
    const got = readSbomText(JSON.stringify({
      spdxVersion: 'SPDX-2.3',
      packages: [
        { SPDXID: 'SPDXRef-i', name: 'img', primaryPackagePurpose: 'CONTAINER' },
        { SPDXID: 'SPDXRef-a', name: 'a', externalRefs: ref('pkg:npm/a@1.0.0'), comment: 'ecosystem npm; depends on, not installed: gone, lost' },
        { SPDXID: 'SPDXRef-b', name: 'b', externalRefs: ref('pkg:npm/b@1.0.0') },
      ],
      relationships: [
        { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-i' },
        { spdxElementId: 'SPDXRef-i', relationshipType: 'CONTAINS', relatedSpdxElement: 'SPDXRef-a' },
        { spdxElementId: 'SPDXRef-a', relationshipType: 'DEPENDS_ON', relatedSpdxElement: 'SPDXRef-b' },
        { spdxElementId: 'SPDXRef-a', relationshipType: 'DEPENDENCY_OF', relatedSpdxElement: 'SPDXRef-b' },
        { spdxElementId: 'SPDXRef-a', relationshipType: 'DEPENDS_ON', relatedSpdxElement: 'SPDXRef-i' },
      ],
    }), 's.json');
    expect(got.dependencies).toEqual([{ from: 0, to: [1], unresolved: ['gone', 'lost'] }, { from: 1, to: [0] }]);
    expect(readSbomText('pkg:npm/a@1.0.0\n', 'p.txt').dependencies).toEqual([]);
  });
});
