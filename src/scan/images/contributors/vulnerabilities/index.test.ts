import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../core/finding.js';
import type { ImageHandle } from '../../../../image/types.js';
import { openVulnDb } from '../../../../vulndb/store/index.js';
import { layerSteps, vulnerabilities, vulnerabilityKey } from './index.js';

function handle(history: Array<{ created_by?: string; empty_layer?: boolean }>, layers: number): ImageHandle {
  return {
    layers: Array.from({ length: layers }, (_, index) => ({ index, digest: `sha256:${String(index).repeat(64)}`, size: 1, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', diffId: undefined })),
    config: { rootfs: { type: 'layers', diff_ids: [] }, history },
  } as unknown as ImageHandle;
}

describe('vulnerabilities contributor', () => {
  it('pairs layers with the build steps that made them, skipping empty_layer steps (image-spec config.md)', () => {
    const steps = layerSteps(handle([{ created_by: 'ADD rootfs /' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'RUN npm ci' }], 2));
    expect([...steps.values()].map((s) => [s.index, s.createdBy])).toEqual([[0, 'ADD rootfs /'], [1, 'RUN npm ci']]);
  });

  it('leaves the build step out when the history does not line up with the layers', () => {
    const steps = layerSteps(handle([{ created_by: 'ADD rootfs /' }], 2));
    expect([...steps.values()].map((s) => s.createdBy)).toEqual([undefined, undefined]);
  });

  it('keys a finding by vulnerability, ecosystem, name and version (the matcher\'s fingerprint key)', () => {
    const f = { evidence: { vulnerability: 'CVE-1', package: { ecosystem: 'npm', name: 'a', version: '1' } } } as unknown as Finding;
    expect(vulnerabilityKey(f)).toBe('CVE-1\0npm\0a\u00001');
  });

  it('says nothing without a database, and matches an SBOM\'s packages without an image', () => {
    const ctx = { image: undefined, analysis: undefined, packages: { packages: [{ ecosystem: 'npm', name: 'lodash', version: '4.17.15' }], kind: 'sbom' as const, origin: 'x' }, now: new Date(), subject: { type: 'image' as const, image: 'x' } };
    expect(vulnerabilities.contribute({ ...ctx, db: undefined })).toEqual({ findings: [], issues: [] });
    const db = openVulnDb(':memory:');
    // an empty database: nothing matches, nothing fails, and the package is said to be unchecked
    expect(vulnerabilities.contribute({ ...ctx, db })).toEqual({ findings: [], issues: [expect.objectContaining({ code: 'vuln-no-advisories', location: 'npm', message: 'The database holds no advisories for npm: 1 npm package was not checked for vulnerabilities' })] });
    db.close();
  });
});
