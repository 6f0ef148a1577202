import { beforeAll, describe, expect, it } from 'vitest';
import { inventoryOf, pod } from '../../test/k8s.js';
import type { Finding } from '../core/finding.js';
import type { LifecycleData } from './data/schema.js';
import { loadLifecycle } from './data/store.js';
import { RegistryProbe } from './freshness/probe.js';
import { LifecycleSectionJson, lifecycleScan, lifecycleTableLines } from './scan.js';

const NOW = new Date('2026-11-28T12:00:00Z');
let data: LifecycleData;
beforeAll(async () => {
  data = (await loadLifecycle(undefined)).data;
});

const hex = (c: string): string => c.repeat(64);
function cluster(): ReturnType<typeof inventoryOf> {
  return inventoryOf([
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'aks-apps-1', creationTimestamp: '2026-08-23T14:40:55Z' }, status: { images: [], conditions: [{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure' }], nodeInfo: { kubeletVersion: 'v1.30.4', osImage: 'Ubuntu 22.04.5 LTS', containerRuntimeVersion: 'containerd://1.7.22-1', kernelVersion: '5.15.0-1073-azure' } } },
    pod('checkout-1', { ns: 'storefront', owner: ['ReplicaSet', 'checkout-5f6'], containers: [{ name: 'checkout', image: 'node:16-alpine', imageID: `docker.io/library/node@sha256:${hex('a')}` }] }),
    pod('admin-1', { ns: 'storefront', containers: [{ name: 'admin', image: 'php:8.2-fpm-alpine', imageID: `docker.io/library/php@sha256:${hex('b')}` }] }),
    pod('api-1', { ns: 'payments', containers: [{ name: 'api', image: 'registry.acme.io/payments/api:1.8.0', imageID: `registry.acme.io/payments/api@sha256:${hex('c')}` }] }),
  ]);
}

describe('lifecycleScan', () => {
  it('reports node hygiene and a verdict for every container, offline, with a valid report section', async () => {
    const r = await lifecycleScan(cluster(), { data, now: NOW });
    expect(r.findings.map((f) => [f.rule, f.severity, f.title])).toEqual([
      ['node-kubelet-eol', 'high', 'Node aks-apps-1: kubelet Kubernetes 1.30 reached end of life on 2025-07-15'],
      ['node-runtime-eol', 'high', 'Node aks-apps-1: container runtime containerd 1.7 reached end of life on 2026-09-01'],
      ['node-age', 'low', 'Node aks-apps-1 is 97 days old (recycle after 30)'],
      ['node-pressure', 'medium', 'Node aks-apps-1 reports DiskPressure'],
      ['end-of-life', 'high', 'Node.js 16 reached end of life on 2023-09-11 in docker.io/library/node:16-alpine'],
      ['end-of-life', 'low', 'PHP 8.2 reaches end of life on 2026-12-31 (in 33 days) in docker.io/library/php:8.2-fpm-alpine'],
    ]);
    expect(r.section.verdicts).toEqual({ 'end-of-life': 1, outdated: 1, unknown: 1, fresh: 0 });
    expect(r.section.containers.map((c) => [c.pod, c.verdict, c.fix])).toEqual([['checkout-1', 'end-of-life', 'node:16-alpine → node:22-alpine'], ['admin-1', 'outdated', 'php:8.2-fpm-alpine → php:8.3-fpm-alpine'], ['api-1', 'unknown', undefined]]);
    expect(LifecycleSectionJson.safeParse(JSON.parse(JSON.stringify(r.section))).success).toBe(true);
    expect(lifecycleTableLines(r.section)).toEqual([
      'Lifecycle: 3 container(s): 1 end-of-life, 1 outdated, 1 unknown, 0 fresh (registries not consulted: drift and newer tags unknown)',
      '  END-OF-LIFE storefront/checkout-1/checkout docker.io/library/node:16-alpine: Node.js 16 reached end of life on 2023-09-11 → fix: node:16-alpine → node:22-alpine',
      '  OUTDATED    storefront/admin-1/admin docker.io/library/php:8.2-fpm-alpine: PHP 8.2 reaches end of life on 2026-12-31 (in 33 days) → fix: php:8.2-fpm-alpine → php:8.3-fpm-alpine',
    ]);
  });

  it('runs only the rules asked for, in the namespaces asked for', async () => {
    const r = await lifecycleScan(cluster(), { data, now: NOW, rules: ['node-pressure', 'end-of-life'], namespaces: ['payments'] });
    expect(r.findings.map((f) => f.rule)).toEqual(['node-pressure']);
    expect(r.section.containers.map((c) => c.pod)).toEqual(['api-1']);
  });

  it('folds end-of-life found inside an image into the container verdict, without reporting it twice', async () => {
    const inside: Finding = { id: 'x1', rule: 'end-of-life', kind: 'end-of-life', severity: 'medium', title: 'Debian 12 reached end of life on 2026-07-11 (extended support until 2028-06-30) in registry.acme.io/payments/api@sha256:ccc', subject: { type: 'container', namespace: 'payments', workload: { kind: 'Pod', name: 'api-1' }, container: 'api', image: 'registry.acme.io/payments/api:1.8.0' }, evidence: { state: 'eol' }, remediation: '' };
    const r = await lifecycleScan(cluster(), { data, now: NOW, imageFindings: [inside], namespaces: ['payments'], rules: ['end-of-life'] });
    expect(r.section.containers.map((c) => [c.pod, c.verdict, c.reasons])).toEqual([['api-1', 'end-of-life', [inside.title]]]);
    expect(r.findings).toEqual([]);
  });
});

describe('lifecycleScan verdict folding', () => {
  it('keeps the outdated reasons and the re-pull fix after an end of life found inside the image', async () => {
    const inv = inventoryOf([pod('api-1', { ns: 'payments', containers: [{ name: 'api', image: 'registry.acme.io/payments/api:1.8.0', imageID: `registry.acme.io/payments/api@sha256:${hex('c')}` }] })]);
    const probe = new RegistryProbe({
      resolve: () => Promise.resolve({ digest: `sha256:${hex('d')}` }),
      listTags: () => Promise.resolve(['1.8.0']),
      referrers: () => Promise.resolve({ via: 'tag-schema', manifests: [] }),
      resolveImage: () => Promise.resolve({ config: { created: '2026-11-20T00:00:00Z' } }),
      getManifest: () => Promise.reject(new Error('unused')),
    });
    const inside: Finding = { id: 'x2', rule: 'end-of-life', kind: 'end-of-life', severity: 'medium', title: 'Debian 12 reached end of life on 2026-07-11', subject: { type: 'container', namespace: 'payments', workload: { kind: 'Pod', name: 'api-1' }, container: 'api', image: 'registry.acme.io/payments/api:1.8.0' }, evidence: { state: 'eol' }, remediation: '' };
    const r = await lifecycleScan(inv, { data, now: NOW, probe, imageFindings: [inside], rules: ['digest-drift'] });
    expect(r.section.containers.map((c) => [c.verdict, c.reasons, c.fix])).toEqual([['end-of-life', ['Debian 12 reached end of life on 2026-07-11', 'running an outdated build of 1.8.0'], `re-pull 1.8.0 to sha256:${hex('d')}`]]);
    expect(r.section.registry).toBe('consulted');
    expect(r.findings.map((f) => f.rule)).toEqual(['digest-drift']);
  });
});
