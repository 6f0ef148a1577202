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
      '  Control plane (version unknown): UNKNOWN, the control plane\'s version is not known (a snapshot without version.json): pass --control-plane-version, or add "kubectl version -o json" output as version.json',
      '  END-OF-LIFE storefront/checkout-1/checkout docker.io/library/node:16-alpine: Node.js 16 reached end of life on 2023-09-11 → fix: node:16-alpine → node:22-alpine',
      '  OUTDATED    storefront/admin-1/admin docker.io/library/php:8.2-fpm-alpine: PHP 8.2 reaches end of life on 2026-12-31 (in 33 days) → fix: php:8.2-fpm-alpine → php:8.3-fpm-alpine',
    ]);
  });

  it('judges the control plane from the source\'s /version: end of life with a finding, the flag winning, unknown (never fresh) when it could not be read', async () => {
    const fromApi = await lifecycleScan(cluster(), { data, now: NOW, controlPlane: { gitVersion: 'v1.29.4-eks-036c24b', location: 'https://10.0.0.1:6443/version' } });
    expect(fromApi.findings.filter((f) => f.rule === 'control-plane-eol').map((f) => [f.severity, f.title, f.subject, f.evidence.nextSupportedCycle, f.remediation])).toEqual([
      ['high', 'Control plane v1.29.4-eks-036c24b: Kubernetes 1.29 reached end of life on 2025-02-28', { type: 'cluster' }, '1.35', 'Upgrade the control plane to Kubernetes 1.35 (one minor release at a time; managed offerings such as AKS/EKS/GKE publish their own support windows), then the node pools.'],
    ]);
    expect(fromApi.section.controlPlane).toEqual({ version: 'v1.29.4-eks-036c24b', from: 'https://10.0.0.1:6443/version', cycle: '1.29', verdict: 'end-of-life', reason: 'Kubernetes 1.29 reached end of life on 2025-02-28', next: '1.35' });
    // the kubelet (1.30) is newer than this control plane: skew, from the API's version
    expect(fromApi.findings.filter((f) => f.rule === 'node-version-skew').map((f) => f.title)).toEqual(['Node aks-apps-1: kubelet v1.30.4 is newer than the control plane v1.29.4-eks-036c24b']);
    expect(LifecycleSectionJson.safeParse(JSON.parse(JSON.stringify(fromApi.section))).success).toBe(true);
    expect(lifecycleTableLines(fromApi.section)[1]).toBe('  Control plane v1.29.4-eks-036c24b: END-OF-LIFE, Kubernetes 1.29 reached end of life on 2025-02-28 → fix: upgrade to Kubernetes 1.35');

    const flag = await lifecycleScan(cluster(), { data, now: NOW, controlPlaneVersion: 'v1.35.1', controlPlane: { location: 'https://10.0.0.1:6443/version', issue: { code: 'kube-version-unreadable', message: 'forbidden' } } });
    expect(flag.section.controlPlane).toEqual({ version: 'v1.35.1', from: '--control-plane-version', cycle: '1.35', verdict: 'fresh', reason: 'Kubernetes 1.35 is supported until 2027-02-28' });
    expect(flag.issues.map((i) => i.code)).not.toContain('kube-version-unreadable');
    expect(flag.findings.some((f) => f.rule === 'control-plane-eol')).toBe(false);

    const soon = await lifecycleScan(cluster(), { data, now: NOW, controlPlane: { gitVersion: 'v1.32.0', location: 'version.json' }, eolLookaheadDays: 0 });
    expect(soon.section.controlPlane?.verdict).toBe('end-of-life');
    const nearly = await lifecycleScan(cluster(), { data, now: new Date('2026-12-01T00:00:00Z'), controlPlane: { gitVersion: 'v1.35.0', location: 'version.json' }, eolLookaheadDays: 30 });
    expect(nearly.section.controlPlane).toMatchObject({ verdict: 'fresh' });
    const within = await lifecycleScan(cluster(), { data, now: new Date('2027-01-15T00:00:00Z'), controlPlane: { gitVersion: 'v1.35.0', location: 'version.json' }, eolLookaheadDays: 90 });
    expect(within.section.controlPlane).toMatchObject({ verdict: 'outdated', reason: 'Kubernetes 1.35 reaches end of life on 2027-02-28' });
    expect(within.findings.find((f) => f.rule === 'control-plane-eol')?.severity).toBe('low');

    const forbidden = { code: 'kube-version-unreadable', message: 'Cannot read the control plane\'s version from https://10.0.0.1:6443/version: the API server answered 403 Forbidden', location: 'https://10.0.0.1:6443/version' };
    const failed = await lifecycleScan(cluster(), { data, now: NOW, controlPlane: { location: 'https://10.0.0.1:6443/version', issue: forbidden } });
    expect(failed.section.controlPlane).toEqual({ verdict: 'unknown', reason: forbidden.message, from: 'https://10.0.0.1:6443/version' });
    expect(failed.issues).toContainEqual(forbidden);
    expect(failed.findings.some((f) => f.rule === 'control-plane-eol' || f.rule === 'node-version-skew')).toBe(false);
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
