import { describe, expect, it } from 'vitest';
import { digest, inventoryOf, node, pod } from '../../../../test/k8s.js';
import { DEFAULT_SANDBOX_IMAGES } from '../../images.js';
import { staleImage } from './index.js';

const ctx = { sandboxImages: DEFAULT_SANDBOX_IMAGES, now: new Date('2026-11-28T00:00:00Z') };

describe('stale-image', () => {
  const cache = [
    { names: [`docker.io/library/nginx@${digest('a')}`, 'docker.io/library/nginx:1.27'], sizeBytes: 100 },
    { names: [`docker.io/library/nginx@${digest('b')}`, 'docker.io/library/nginx:1.25'], sizeBytes: 90 },
    { names: [`registry.k8s.io/pause@${digest('c')}`, 'registry.k8s.io/pause:3.9'], sizeBytes: 1 },
    { names: [`docker.io/library/busybox@${digest('d')}`, 'docker.io/library/busybox:1.36'], sizeBytes: 5 },
    { names: [`ghcr.io/acme/tool@${digest('e')}`], sizeBytes: 7 },
    { names: ['ghcr.io/acme/job:2'], sizeBytes: 11 },
  ];

  it('reports each cached image no container on that node uses, with its size', () => {
    const inv = inventoryOf([
      node('n1', cache),
      // runs nginx 1.27 by digest; busybox only as an init container
      pod('web', { node: 'n1', containers: [{ name: 'busy', image: 'busybox:1.36', init: true, imageID: `docker.io/library/busybox@${digest('d')}` }, { name: 'web', image: 'nginx:1.27', imageID: `docker.io/library/nginx@${digest('a')}` }] }),
      // not started yet: matched by tag
      pod('job', { node: 'n1', containers: [{ name: 'j', image: 'ghcr.io/acme/job:2' }] }),
      // on another node: does not make n1's images used
      pod('other', { node: 'n2', containers: [{ name: 't', image: 'ghcr.io/acme/tool@' + digest('e'), imageID: `ghcr.io/acme/tool@${digest('e')}` }] }),
    ]);
    const { findings, issues } = staleImage.run(inv, ctx);
    expect(issues).toEqual([]);
    expect(findings.map((f) => [f.subject.node, f.subject.image, f.evidence.sizeBytes])).toEqual([
      ['n1', 'docker.io/library/nginx:1.25', 90],
      ['n1', `ghcr.io/acme/tool@${digest('e')}`, 7],
    ]);
    expect(findings[0]).toMatchObject({ rule: 'stale-image', kind: 'stale-image', severity: 'low', title: 'Unused image docker.io/library/nginx:1.25 cached on node n1 (90 B)' });
  });

  it('matches a dockershim docker-pullable:// imageID against the node cache', () => {
    const inv = inventoryOf([node('n1', cache.slice(0, 2)), pod('web', { node: 'n1', containers: [{ name: 'w', image: 'nginx:1.25', imageID: `docker-pullable://nginx@${digest('b')}` }] })]);
    expect(staleImage.run(inv, ctx).findings.map((f) => f.subject.image)).toEqual(['docker.io/library/nginx:1.27']);
  });

  it('never reports the sandbox image, which every pod uses', () => {
    const inv = inventoryOf([node('n1', [cache[2]!]), pod('p', { node: 'n1', containers: [{ name: 'c', image: 'x:1' }] })]);
    expect(staleImage.run(inv, ctx).findings).toEqual([]);
  });

  it('honours extra sandbox globs', () => {
    const inv = inventoryOf([node('n1', [{ names: ['myreg.io/infra/sandbox:1'], sizeBytes: 1 }])]);
    expect(staleImage.run(inv, ctx).findings).toHaveLength(1);
    expect(staleImage.run(inv, { ...ctx, sandboxImages: ['myreg.io/infra/sandbox:*'] }).findings).toHaveLength(0);
  });

  it('is skipped with an issue when pods were not listed, instead of calling every image stale', () => {
    const inv = inventoryOf([node('n1', cache)], { complete: ['Node'] });
    const { findings, issues } = staleImage.run(inv, ctx);
    expect(findings).toEqual([]);
    expect(issues[0]?.message).toBe('Stale-image check skipped: the pods were not read, so image use on nodes is unknown');
  });

  it('is skipped with an issue when the scan is limited to some namespaces', () => {
    const inv = inventoryOf([node('n1', cache)], { namespaces: ['shop'] });
    expect(staleImage.run(inv, ctx).issues[0]?.message).toBe('Stale-image check skipped: the scan is limited to namespaces shop, so image use on nodes is unknown');
  });

  it('gives the same finding id for the same image on the same node across scans', () => {
    const inv = inventoryOf([node('n1', cache.slice(1, 2))]);
    const a = staleImage.run(inv, ctx).findings[0]?.id;
    const b = staleImage.run(inventoryOf([node('n1', cache.slice(1, 2))]), ctx).findings[0]?.id;
    expect(a).toMatch(/^[a-f0-9]{16}$/);
    expect(a).toBe(b);
  });
});
