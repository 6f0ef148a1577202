import { describe, expect, it } from 'vitest';
import { digest, inventoryOf, object, pod } from '../../../../test/k8s.js';
import { unpinnedImage } from './index.js';

const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };

describe('unpinned-image', () => {
  it('flags :latest and untagged images without a digest, once per workload container', () => {
    const inv = inventoryOf([
      object('Deployment', 'web', 'shop'),
      object('ReplicaSet', 'web-1', 'shop', { metadata: { ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } }),
      pod('web-1-a', { ns: 'shop', owner: ['ReplicaSet', 'web-1'], containers: [{ name: 'web', image: 'nginx:latest', imageID: `docker.io/library/nginx@${digest('a')}` }] }),
      pod('web-1-b', { ns: 'shop', owner: ['ReplicaSet', 'web-1'], containers: [{ name: 'web', image: 'nginx:latest', imageID: `docker.io/library/nginx@${digest('a')}` }] }),
      pod('tool', { ns: 'shop', containers: [{ name: 'init', image: 'ghcr.io/acme/tool', init: true }, { name: 'main', image: 'ghcr.io/acme/main:1.0' }] }),
    ]);
    const findings = unpinnedImage.run(inv, ctx).findings;
    expect(findings.map((f) => [f.subject.workload?.name, f.subject.container, f.evidence.reason, f.evidence.pods])).toEqual([
      ['web', 'web', 'the mutable tag :latest', 2],
      ['tool', 'init', 'no tag (the runtime pulls :latest)', 1],
    ]);
    expect(findings[0]?.remediation).toBe(`Pin the image to a version tag and digest, e.g. image: docker.io/library/nginx@${digest('a')} (the digest running now).`);
  });

  it('accepts a digest, even together with :latest', () => {
    const inv = inventoryOf([pod('p', { containers: [{ name: 'a', image: `nginx:latest@${digest('a')}` }, { name: 'b', image: `nginx@${digest('b')}` }, { name: 'c', image: 'nginx:1.27' }] })]);
    expect(unpinnedImage.run(inv, ctx).findings).toEqual([]);
  });

  it('checks workload templates that have no pods right now (a CronJob between runs)', () => {
    const cron = object('CronJob', 'backup', 'ops', { apiVersion: 'batch/v1', spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'alpine' }] } } } } } });
    const findings = unpinnedImage.run(inventoryOf([cron]), ctx).findings;
    expect(findings.map((f) => [f.subject.namespace, f.subject.workload, f.subject.container, f.evidence.pods])).toEqual([['ops', { kind: 'CronJob', name: 'backup' }, 'b', 0]]);
  });
});
