import { describe, expect, it } from 'vitest';
import { digest, inventoryOf, object, pod } from '../../../../test/k8s.js';
import { mixedVersions } from './index.js';

const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };
const rs = (name: string, deploy: string): Record<string, unknown> => object('ReplicaSet', name, 'shop', { metadata: { ownerReferences: [{ kind: 'Deployment', name: deploy, controller: true }] } });
const replica = (name: string, rsName: string, image: string, imageID: string): Record<string, unknown> => pod(name, { ns: 'shop', owner: ['ReplicaSet', rsName], containers: [{ name: 'cart', image, imageID }] });

describe('mixed-versions', () => {
  it('reports replicas of one workload running different digests of the same reference, across ReplicaSets', () => {
    const inv = inventoryOf([
      rs('cart-1', 'cart'),
      rs('cart-2', 'cart'),
      replica('cart-1-a', 'cart-1', 'ghcr.io/acme/cart:latest', `ghcr.io/acme/cart@${digest('a')}`),
      replica('cart-1-b', 'cart-1', 'ghcr.io/acme/cart:latest', `ghcr.io/acme/cart@${digest('a')}`),
      replica('cart-2-c', 'cart-2', 'ghcr.io/acme/cart:latest', `ghcr.io/acme/cart@${digest('b')}`),
    ]);
    const findings = mixedVersions.run(inv, ctx).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'mixed-versions',
      kind: 'outdated',
      severity: 'medium',
      title: '2 different digests of ghcr.io/acme/cart:latest run in Deployment cart (container cart)',
      subject: { type: 'container', namespace: 'shop', workload: { kind: 'Deployment', name: 'cart' }, container: 'cart' },
      evidence: { digests: { [digest('a')]: ['cart-1-a', 'cart-1-b'], [digest('b')]: ['cart-2-c'] } },
    });
  });

  it('ignores a rolling update that changes the reference itself', () => {
    const inv = inventoryOf([rs('cart-1', 'cart'), replica('a', 'cart-1', 'ghcr.io/acme/cart:1.0', `ghcr.io/acme/cart@${digest('a')}`), replica('b', 'cart-1', 'ghcr.io/acme/cart:1.1', `ghcr.io/acme/cart@${digest('b')}`)]);
    expect(mixedVersions.run(inv, ctx).findings).toEqual([]);
  });

  it('does not compare a local image ID with a repo digest', () => {
    const inv = inventoryOf([rs('cart-1', 'cart'), replica('a', 'cart-1', 'cart:1', `docker://${digest('a')}`), replica('b', 'cart-1', 'cart:1', `docker.io/library/cart@${digest('b')}`)]);
    expect(mixedVersions.run(inv, ctx).findings).toEqual([]);
  });

  it('ignores replicas whose running digest is not known yet', () => {
    const inv = inventoryOf([rs('cart-1', 'cart'), replica('a', 'cart-1', 'cart:1', `docker.io/library/cart@${digest('a')}`), pod('b', { ns: 'shop', owner: ['ReplicaSet', 'cart-1'], containers: [{ name: 'cart', image: 'cart:1' }] })]);
    expect(mixedVersions.run(inv, ctx).findings).toEqual([]);
  });
});
