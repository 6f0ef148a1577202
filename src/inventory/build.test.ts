import { describe, expect, it } from 'vitest';
import { digest, inventoryOf, object, pod } from '../../test/k8s.js';

describe('buildInventory', () => {
  it('resolves pod → ReplicaSet → Deployment and Job → CronJob to the top-level workload', () => {
    const inv = inventoryOf([
      object('Deployment', 'web', 'shop'),
      object('ReplicaSet', 'web-5d8f', 'shop', { metadata: { ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } }),
      pod('web-5d8f-abc', { ns: 'shop', owner: ['ReplicaSet', 'web-5d8f'], containers: [{ name: 'web', image: 'nginx' }] }),
      object('CronJob', 'nightly', 'batch'),
      object('Job', 'nightly-2940', 'batch', { metadata: { ownerReferences: [{ kind: 'CronJob', name: 'nightly', controller: true }] } }),
      pod('nightly-2940-x', { ns: 'batch', owner: ['Job', 'nightly-2940'], containers: [{ name: 'r', image: 'alpine:3' }] }),
      pod('ds-1', { ns: 'kube-system', owner: ['DaemonSet', 'kube-proxy'], containers: [{ name: 'p', image: 'kube-proxy:v1' }] }),
      pod('debug', { containers: [{ name: 'sh', image: 'busybox' }] }),
    ]);
    const owners = Object.fromEntries(inv.pods.map((p) => [p.name, `${p.workload.namespace}/${p.workload.kind}/${p.workload.name}`]));
    expect(owners).toEqual({
      'web-5d8f-abc': 'shop/Deployment/web',
      'nightly-2940-x': 'batch/CronJob/nightly',
      'ds-1': 'kube-system/DaemonSet/kube-proxy',
      debug: 'default/Pod/debug',
    });
    const workloads = inv.workloads.map((w) => `${w.kind}/${w.name}:${w.pods.length}`).sort();
    expect(workloads).toEqual(['CronJob/nightly:1', 'DaemonSet/kube-proxy:1', 'Deployment/web:1', 'Pod/debug:1']);
  });

  it('keeps the ReplicaSet as the workload when its Deployment is unknown, instead of guessing a name', () => {
    const inv = inventoryOf([pod('api-7f9c-q', { owner: ['ReplicaSet', 'api-7f9c'], containers: [{ name: 'api', image: 'api:1' }] })]);
    expect(inv.pods[0]?.workload).toEqual({ kind: 'ReplicaSet', name: 'api-7f9c', namespace: 'default' });
  });

  it('treats a static pod owned by its Node as its own workload', () => {
    const inv = inventoryOf([pod('kube-apiserver-cp', { ns: 'kube-system', owner: ['Node', 'cp'], containers: [{ name: 'a', image: 'registry.k8s.io/kube-apiserver:v1.30.4' }] })]);
    expect(inv.pods[0]?.workload.kind).toBe('Pod');
  });

  it('reads init, regular and ephemeral containers with their running digest', () => {
    const p = pod('p', { containers: [{ name: 'init', image: 'busybox:1.36', init: true, imageID: `docker.io/library/busybox@${digest('a')}` }, { name: 'app', image: 'app:2', imageID: `docker-pullable://app@${digest('b')}` }] });
    (p.spec as Record<string, unknown>).ephemeralContainers = [{ name: 'dbg', image: 'nicolaka/netshoot' }];
    const inv = inventoryOf([p]);
    const containers = inv.pods[0]?.containers.map((c) => [c.name, c.type, c.running?.digest, c.ref?.repository]);
    expect(containers).toEqual([
      ['init', 'init', digest('a'), 'library/busybox'],
      ['app', 'regular', digest('b'), 'library/app'],
      ['dbg', 'ephemeral', undefined, 'nicolaka/netshoot'],
    ]);
  });

  it('records an issue for an invalid image reference and keeps the container', () => {
    const inv = inventoryOf([pod('p', { containers: [{ name: 'c', image: 'Bad/Image' }] })]);
    expect(inv.pods[0]?.containers[0]?.ref).toBeUndefined();
    expect(inv.issues[0]?.message).toBe('Pod default/p container c: Invalid image reference "Bad/Image": repository name "Image" must be lowercase');
  });
});
