import { beforeAll, describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../test/k8s.js';
import type { LifecycleData } from '../data/schema.js';
import { loadLifecycle } from '../data/store.js';
import { kubernetesVersion, nodeHygiene, osImageProduct, runtimeProduct } from './index.js';

const NOW = new Date('2026-11-28T12:00:00Z');
let data: LifecycleData;
beforeAll(async () => {
  data = (await loadLifecycle(undefined)).data;
});

function node(name: string, info: Record<string, string>, extra: { created?: string; conditions?: Array<Record<string, string>> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, ...(extra.created === undefined ? {} : { creationTimestamp: extra.created }) },
    status: { nodeInfo: info, images: [], conditions: extra.conditions ?? [{ type: 'Ready', status: 'True' }] },
  };
}

const healthy = { kubeletVersion: 'v1.36.1', osImage: 'Ubuntu 24.04.3 LTS', containerRuntimeVersion: 'containerd://2.3.1', kernelVersion: '6.8.0-1030-azure' };

describe('nodeHygiene', () => {
  it('finds nothing on a current, young, Ready node', () => {
    const r = nodeHygiene(inventoryOf([node('ok', healthy, { created: '2026-11-20T00:00:00Z' })]), { data, now: NOW, eolLookaheadDays: 90, controlPlaneVersion: 'v1.36.2' });
    expect(r).toEqual({ findings: [], issues: [] });
  });

  it('reports kubelet, OS image and containerd past end of life, skew, age, NotReady and pressure, each with evidence', () => {
    const old = node('old', { kubeletVersion: 'v1.29.4-eks-036c24b', osImage: 'Ubuntu 20.04.6 LTS', containerRuntimeVersion: 'containerd://1.6.28', kernelVersion: '5.15.0-1057-aws' }, {
      created: '2026-06-01T00:00:00Z',
      conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy' }, { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure' }, { type: 'MemoryPressure', status: 'False' }],
    });
    const r = nodeHygiene(inventoryOf([old]), { data, now: NOW, eolLookaheadDays: 90, controlPlaneVersion: 'v1.34.0' });
    expect(r.issues).toEqual([]);
    expect(r.findings.map((f) => [f.rule, f.kind, f.severity, f.title])).toEqual([
      ['node-kubelet-eol', 'node', 'high', 'Node old: kubelet Kubernetes 1.29 reached end of life on 2025-02-28'],
      ['node-version-skew', 'node', 'high', 'Node old: kubelet v1.29.4-eks-036c24b is 5 minor versions behind the control plane v1.34.0'],
      ['node-os-eol', 'node', 'medium', 'Node old: OS image Ubuntu 20.04 reached end of life on 2025-05-31'],
      ['node-runtime-eol', 'node', 'high', 'Node old: container runtime containerd 1.6 reached end of life on 2025-08-23'],
      ['node-age', 'node', 'low', 'Node old is 180 days old (recycle after 30)'],
      ['node-not-ready', 'node', 'high', 'Node old is not Ready (False, KubeletNotReady)'],
      ['node-pressure', 'node', 'medium', 'Node old reports DiskPressure'],
    ]);
    expect(r.findings[2]?.evidence).toEqual({ field: 'status.nodeInfo.osImage', version: '20.04', product: 'ubuntu', cycle: '20.04', eol: '2025-05-31', extendedSupportUntil: '2030-04-02', nextSupportedCycle: '22.04' });
    expect(r.findings[0]?.subject).toEqual({ type: 'node', node: 'old' });
  });

  it('warns within the look-ahead and flags a kubelet newer than the control plane', () => {
    const soon = node('soon', { ...healthy, kubeletVersion: 'v1.35.0' });
    const r = nodeHygiene(inventoryOf([soon]), { data, now: new Date('2027-01-15T00:00:00Z'), eolLookaheadDays: 90, controlPlaneVersion: '1.34.3' });
    expect(r.findings.map((f) => [f.rule, f.severity, f.title])).toEqual([
      ['node-kubelet-eol', 'low', 'Node soon: kubelet Kubernetes 1.35 reaches end of life on 2027-02-28'],
      ['node-version-skew', 'high', 'Node soon: kubelet v1.35.0 is newer than the control plane 1.34.3'],
    ]);
  });

  it('allows three minors of skew from 1.28 on and two before', () => {
    const three = nodeHygiene(inventoryOf([node('n', { ...healthy, kubeletVersion: 'v1.31.0' })]), { data, now: NOW, eolLookaheadDays: 0, controlPlaneVersion: 'v1.34.0' });
    expect(three.findings.filter((f) => f.rule === 'node-version-skew')).toEqual([]);
    const old = nodeHygiene(inventoryOf([node('n', { ...healthy, kubeletVersion: 'v1.24.0' })]), { data, now: NOW, eolLookaheadDays: 0, controlPlaneVersion: 'v1.27.0' });
    expect(old.findings.filter((f) => f.rule === 'node-version-skew').map((f) => f.evidence.allowedMinorsBehind)).toEqual([2]);
  });

  it('reports untracked node OS images and runtimes once, as issues, and a bad control-plane version', () => {
    const a = node('a', { ...healthy, osImage: 'Azure Linux 3.0', containerRuntimeVersion: 'cri-o://1.30.1' });
    const b = node('b', { ...healthy, osImage: 'Azure Linux 3.0' });
    const r = nodeHygiene(inventoryOf([a, b]), { data, now: NOW, eolLookaheadDays: 90, controlPlaneVersion: 'latest' });
    expect(r.findings).toEqual([]);
    expect(r.issues.map((i) => i.message)).toEqual([
      'Control-plane version "latest" is not a Kubernetes version like v1.31.2; skew not checked',
      'Azure Linux 3.0 (nodes a, b): endoflife.date has no lifecycle data for it; its end of life is not checked',
      'cri-o 1.30.1 (node a): endoflife.date has no lifecycle data for it; its end of life is not checked',
    ]);
  });
});

describe('node field parsers', () => {
  it.each([
    ['Ubuntu 22.04.4 LTS', { product: 'ubuntu', version: '22.04' }],
    ['Debian GNU/Linux 12 (bookworm)', { product: 'debian', version: '12' }],
    ['Amazon Linux 2', { product: 'amazon-linux', version: '2' }],
    ['Amazon Linux 2023.5.20240701', { product: 'amazon-linux', version: '2023' }],
    ['Red Hat Enterprise Linux 9.2 (Plow)', { product: 'rhel', version: '9' }],
    ['SUSE Linux Enterprise Server 15 SP5', { product: 'sles', version: '15.5' }],
    ['Red Hat Enterprise Linux CoreOS 415.92.202402201450-0 (Plow)', { untracked: 'Red Hat Enterprise Linux CoreOS 415.92.202402201450-0 (Plow)' }],
    ['Container-Optimized OS from Google', { untracked: 'Container-Optimized OS from Google' }],
  ])('osImage %s', (text, expected) => {
    expect(osImageProduct(text)).toEqual(expected);
  });

  it('reads runtime and Kubernetes versions', () => {
    expect(runtimeProduct('containerd://1.7.13')).toEqual({ product: 'containerd', version: '1.7.13' });
    expect(runtimeProduct('docker://24.0.7')).toEqual({ product: 'docker-engine', version: '24.0.7' });
    expect(runtimeProduct('cri-o://1.30.1')).toEqual({ untracked: 'cri-o 1.30.1' });
    expect(kubernetesVersion('v1.29.4-eks-036c24b')).toEqual([1, 29, 4]);
    expect(kubernetesVersion('v1.30')).toEqual([1, 30, 0]);
    expect(kubernetesVersion('banana')).toBeUndefined();
  });
});
