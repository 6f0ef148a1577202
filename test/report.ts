import type { ScanReport } from '../src/core/report.js';
import { DEFAULT_SANDBOX_IMAGES } from '../src/policy/images.js';
import { scanInventory } from '../src/scan/index.js';
import { digest, inventoryOf, node, object, pod } from './k8s.js';

/** A small report with one finding of each current rule and one issue. */
export function sampleReport(): ScanReport {
  const inv = inventoryOf([
    node('n1', [{ names: [`ghcr.io/acme/old@${digest('f')}`, 'ghcr.io/acme/old:1'], sizeBytes: 3 * 1024 * 1024 }]),
    object('ReplicaSet', 'cart-1', 'shop', { metadata: { ownerReferences: [{ kind: 'Deployment', name: 'cart', controller: true }] } }),
    pod('cart-1-a', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'cart-1'], containers: [{ name: 'cart', image: 'ghcr.io/acme/cart:latest', imageID: `ghcr.io/acme/cart@${digest('a')}` }] }),
    pod('cart-1-b', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'cart-1'], containers: [{ name: 'cart', image: 'ghcr.io/acme/cart:latest', imageID: `ghcr.io/acme/cart@${digest('b')}` }] }),
  ]);
  inv.issues.push({ code: 'kube-forbidden', message: 'Forbidden: list services cluster-wide', hint: 'Apply deploy/clusterrole.yaml.' });
  return scanInventory(inv, { sandboxImages: DEFAULT_SANDBOX_IMAGES, now: new Date('2026-11-28T12:00:00Z') });
}
