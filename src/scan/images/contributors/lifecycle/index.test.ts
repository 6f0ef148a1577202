import { describe, expect, it } from 'vitest';
import { lifecycle } from './index.js';

describe('lifecycle contributor', () => {
  it('reports the end of life of an SBOM\'s OS, keyed for placement on containers', async () => {
    const r = await lifecycle.contribute({
      image: undefined,
      analysis: undefined,
      packages: { kind: 'sbom', origin: 'x.cdx.json', os: { id: 'debian', idLike: [], release: '11', from: ['etc/os-release'] }, packages: [] },
      db: undefined,
      now: new Date('2026-11-28T12:00:00Z'),
      subject: { type: 'image', image: 'registry.local/app@sha256:' + 'c'.repeat(64) },
    });
    expect(r.findings.map((f) => [f.key, f.finding.rule, f.finding.severity])).toEqual([['debian:11', 'end-of-life', 'high']]);
  });
});
