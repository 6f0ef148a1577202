import { describe, expect, it } from 'vitest';
import { cycloneDxErrors, spdxErrors } from './sbom-schemas.js';

describe('official SBOM schemas (test harness)', () => {
  it('accepts minimal valid documents and rejects broken ones with the failing path', () => {
    expect(cycloneDxErrors({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library', name: 'x', licenses: [{ license: { id: 'MIT' } }] }] })).toEqual([]);
    expect(cycloneDxErrors({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library', name: 'x', licenses: [{ license: { id: 'Not-A-Licence' } }] }] }).join('\n')).toContain('/components/0/licenses/0/license/id');
    expect(cycloneDxErrors({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: 'nope' }).join('\n')).toContain('/serialNumber');
    expect(spdxErrors({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: 'n', documentNamespace: 'https://x/y', creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: t'] } })).toEqual([]);
    expect(spdxErrors({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: 'n', documentNamespace: 'https://x/y', creationInfo: { created: '2026-01-01T00:00:00Z', creators: [] }, packages: [{ SPDXID: 'SPDXRef-a', name: 'a' }] }).join('\n')).toMatch(/creators[\s\S]*downloadLocation|downloadLocation[\s\S]*creators/);
  });
});
