import { describe, expect, it } from 'vitest';
import { container, ctx, deployment, inv, namespace } from '../../../../test/workloads.js';
import { registryAllowList } from './index.js';

const images = deployment('w', {
  initContainers: [container({ name: 'init', image: 'busybox:1.36' })],
  containers: [container({ name: 'app', image: 'ghcr.io/acme/app:1.0' }), container({ name: 'other', image: 'ghcr.io/evil/app:1.0' }), container({ name: 'ecr', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:2' })],
});

describe('registry-allow-list', () => {
  it('reports nothing without an allow-list', () => {
    expect(registryAllowList.run(inv([images]), ctx)).toEqual({ findings: [], issues: [] });
  });

  it('matches registry hosts, repository prefixes at a path boundary and globs within a segment', () => {
    const findings = registryAllowList.run(inv([images]), { ...ctx, policy: { allowedRegistries: ['ghcr.io/acme', '*.dkr.ecr.*.amazonaws.com'] } }).findings;
    expect(findings.map((f) => [f.subject.container, f.evidence.registry, f.evidence.repository])).toEqual([
      ['init', 'docker.io', 'docker.io/library/busybox'],
      ['other', 'ghcr.io', 'ghcr.io/evil/app'],
    ]);
    expect(findings[0]).toMatchObject({ severity: 'high', evidence: { fields: ['spec.template.spec.initContainers[0].image'], allowListFrom: 'setting allowedRegistries' } });
  });

  it('lets a namespace annotation replace the configured list, reporting invalid entries', () => {
    const ns = { ...namespace('shop'), metadata: { name: 'shop', annotations: { 'runwarden.io/allowed-registries': 'docker.io/library, https://ghcr.io' } } };
    const { findings, issues } = registryAllowList.run(inv([ns, images]), { ...ctx, policy: { allowedRegistries: ['ghcr.io'] } });
    expect(findings.map((f) => f.subject.container)).toEqual(['app', 'other', 'ecr']);
    expect(findings[0]?.evidence.allowListFrom).toBe('namespace annotation runwarden.io/allowed-registries');
    expect(issues.map((i) => i.message)).toEqual(['Namespace shop: annotation runwarden.io/allowed-registries entry "https://ghcr.io" must not include a URL scheme (write "ghcr.io"); entry ignored']);
  });
});
