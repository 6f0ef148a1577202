import { FINDING_KINDS, type Finding } from '../src/core/finding.js';
import type { ScanReport } from '../src/core/report.js';
import { SEVERITIES } from '../src/core/severity.js';
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

/** A report that passes the JSON schema, holding just these findings and running images (the summary zeroed). */
export function reportOf(options: { findings?: Finding[]; images?: ScanReport['images']; generatedAt?: string } = {}): ScanReport {
  return {
    schemaVersion: '1.0',
    tool: { name: 'runwarden', version: '0.1.0' },
    generatedAt: options.generatedAt ?? '2026-11-30T07:00:00.000Z',
    source: { type: 'kubernetes', location: 'https://cluster.example' },
    summary: {
      ...{ nodes: 0, namespaces: 0, workloads: 0, pods: 0, containers: 0, images: options.images?.length ?? 0, findings: options.findings?.length ?? 0, byRule: {}, reclaimableBytes: 0, nodeCaches: [], issues: 0 },
      bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as ScanReport['summary']['bySeverity'],
      byKind: Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as ScanReport['summary']['byKind'],
    },
    findings: options.findings ?? [],
    issues: [],
    ...(options.images === undefined ? {} : { images: options.images }),
  };
}
