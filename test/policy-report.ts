/**
 * Report samples with a fixed rule set, so report-format tests do not change whenever a check is
 * added: the foundation sample (stale-image, unpinned-image, mixed-versions) and a hardening sample
 * with a suppressed finding and a finding located in a manifest.
 */
import type { ScanReport } from '../src/core/report.js';
import { DEFAULT_SANDBOX_IMAGES } from '../src/policy/images.js';
import { scanInventory } from '../src/scan/index.js';
import { digest, inventoryOf, node, object, pod } from './k8s.js';
import { container, deployment } from './workloads.js';

const NOW = new Date('2026-11-28T12:00:00Z');

/** One finding of each foundation rule and one issue (as test/report.ts, limited to those rules). */
export function foundationReport(): ScanReport {
  const inv = inventoryOf([
    node('n1', [{ names: [`ghcr.io/acme/old@${digest('f')}`, 'ghcr.io/acme/old:1'], sizeBytes: 3 * 1024 * 1024 }]),
    object('ReplicaSet', 'cart-1', 'shop', { metadata: { ownerReferences: [{ kind: 'Deployment', name: 'cart', controller: true }] } }),
    pod('cart-1-a', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'cart-1'], containers: [{ name: 'cart', image: 'ghcr.io/acme/cart:latest', imageID: `ghcr.io/acme/cart@${digest('a')}` }] }),
    pod('cart-1-b', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'cart-1'], containers: [{ name: 'cart', image: 'ghcr.io/acme/cart:latest', imageID: `ghcr.io/acme/cart@${digest('b')}` }] }),
  ]);
  inv.issues.push({ code: 'kube-forbidden', message: 'Forbidden: list services cluster-wide', hint: 'Apply deploy/clusterrole.yaml.' });
  return scanInventory(inv, { sandboxImages: DEFAULT_SANDBOX_IMAGES, now: NOW, rules: ['stale-image', 'unpinned-image', 'mixed-versions'] });
}

/** A privileged DaemonSet-like Deployment exempted by annotation, a host-path one that is not, and a location on one finding. */
export function hardeningReport(): ScanReport {
  const agent = deployment('agent', { containers: [container({ name: 'agent', securityContext: { privileged: true } })] }, { annotations: { 'runwarden.io/exempt': 'privileged-container', 'runwarden.io/exempt-reason': 'node agent, reviewed SEC-142' } });
  const logs = deployment('logs', { volumes: [{ name: 'h', hostPath: { path: '/var/run/docker.sock' } }], containers: [container({ name: 'shipper', volumeMounts: [{ name: 'h', mountPath: '/sock' }] })] });
  const report = scanInventory(inventoryOf([agent, logs]), { sandboxImages: [], now: NOW, rules: ['privileged-container', 'host-path'] });
  const located = report.findings.find((f) => f.rule === 'host-path');
  if (located !== undefined) located.location = { file: 'k8s/logs.yaml', line: 12, column: 9, field: 'spec.template.spec.volumes[0].hostPath.path' };
  return report;
}
