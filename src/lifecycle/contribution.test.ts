import { describe, expect, it } from 'vitest';
import type { ImageHandle } from '../image/types.js';
import { EOL_ANNOTATION, LIFECYCLE_ARTIFACT_TYPE } from './referrers/index.js';
import { openDatabase } from '../store/db.js';
import type { ImageLifecycleContext } from './contribution.js';
import { imageLifecycleFindings } from './contribution.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const subject = { type: 'image' as const, image: 'registry.local/shop/api@sha256:' + 'c'.repeat(64) };

function context(extra: Partial<ImageLifecycleContext> = {}): ImageLifecycleContext {
  return {
    image: undefined,
    packages: {
      os: { id: 'debian', release: '11', codename: 'bullseye', from: ['etc/os-release'] },
      packages: [{ ecosystem: 'Debian', name: 'python3.9', version: '3.9.2-1', purl: 'pkg:deb/debian/python3.9@3.9.2-1?arch=amd64' }],
    },
    db: undefined,
    now: NOW,
    subject,
    ...extra,
  };
}

describe('imageLifecycleFindings (the lifecycle image contributor)', () => {
  it('reports the OS and runtimes past end of life from an SBOM\'s OS and packages, with keys for placement', async () => {
    const r = await imageLifecycleFindings(context());
    expect(r.issues).toEqual([]);
    expect(r.findings.map((f) => [f.key, f.finding.rule, f.finding.severity, f.finding.title])).toEqual([
      ['debian:11', 'end-of-life', 'high', `Debian 11 reached end of life on 2024-08-14 (extended support ended 2026-08-31) in ${subject.image}`],
      ['python:3.9', 'end-of-life', 'high', `Python 3.9 reached end of life on 2025-10-31 in ${subject.image}`],
    ]);
  });

  it('reads lifecycle referrers and env from the image, and the data from the runwarden database', async () => {
    const image = {
      input: 'registry.local/shop/api:1.0',
      name: 'registry.local/shop/api:1.0',
      digest: 'sha256:' + 'c'.repeat(64),
      config: { created: '2026-01-01T00:00:00Z', config: { Env: ['NODE_VERSION=18.20.4'] } },
      referrers: () => Promise.resolve({ supported: true, via: 'tag-schema', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + 'd'.repeat(64), size: 10, artifactType: LIFECYCLE_ARTIFACT_TYPE, annotations: { [EOL_ANNOTATION]: '2026-06-30' } }] }),
    } as unknown as ImageHandle;
    const db = openDatabase(':memory:');
    const r = await imageLifecycleFindings(context({ image, db, packages: { packages: [] } }));
    expect(r.findings.map((f) => [f.key, f.finding.rule, f.finding.title])).toEqual([
      ['nodejs:18', 'end-of-life', `Node.js 18 reached end of life on 2025-04-30 in ${subject.image}`],
      ['vendor', 'vendor-end-of-life', `${subject.image}: the publisher declared end of life on 2026-06-30`],
    ]);
    // The bundled snapshot was stored in the database on first use.
    expect((db.prepare('SELECT count(*) AS n FROM lifecycle_products').get() as { n: number }).n).toBe(37);
    db.close();
  });

  it('keeps its other findings when referrers cannot be read, with an issue', async () => {
    const image = { input: 'x:1', name: 'x:1', digest: undefined, config: {}, referrers: () => Promise.reject(new Error('HTTP 503')) } as unknown as ImageHandle;
    const r = await imageLifecycleFindings(context({ image }));
    expect(r.findings.map((f) => f.key)).toEqual(['debian:11', 'python:3.9']);
    expect(r.issues).toEqual([{ code: 'lifecycle-referrers-failed', message: 'Cannot read lifecycle referrers of x:1: HTTP 503', location: 'x:1' }]);
  });
});
