/**
 * Kubescape's host-network-access cases (testdata/upstream/workload-config-kubescape, see SOURCE.md):
 * every workload Kubescape alerts on for hostNetwork must bypass the mesh in runwarden's verdict —
 * even in a namespace with sidecar injection enabled and a mesh-wide STRICT policy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInventory } from '../../inventory/build.js';
import { loadSnapshot } from '../../inventory/sources/snapshot/index.js';
import { analyzeMesh } from './analysis.js';

const DIR = join(import.meta.dirname, '..', '..', '..', 'testdata', 'upstream', 'workload-config-kubescape', 'rules', 'host-network-access', 'test');

describe('Kubescape host-network-access (3 cases)', () => {
  it('reports every alerted hostNetwork workload as bypassing the mesh', async () => {
    const results: Record<string, string> = {};
    for (const name of readdirSync(DIR).sort()) {
      const expected = JSON.parse(readFileSync(join(DIR, name, 'expected.json'), 'utf8')) as Array<{ alertObject: { k8sApiObjects: Array<{ kind: string; metadata: { name: string } }> } }>;
      const source = await loadSnapshot({ path: join(DIR, name, 'input') });
      const inv = buildInventory(source);
      // The same workloads in a namespace where Istio injects sidecars and mTLS is STRICT mesh-wide.
      for (const ns of new Set([...inv.pods.map((p) => p.namespace), ...inv.workloads.map((w) => w.namespace)])) {
        inv.namespaces.push({ name: ns, labels: { 'istio-injection': 'enabled' }, annotations: {} });
      }
      inv.peerAuthentications.push({ name: 'default', namespace: 'istio-system', apiVersion: 'security.istio.io/v1', createdAt: undefined, selector: undefined, mode: 'STRICT', portLevelMtls: [], invalid: undefined, origin: undefined, raw: undefined });
      const alerted = expected.flatMap((a) => a.alertObject.k8sApiObjects.map((o) => `${o.kind}/${o.metadata.name}`));
      const bypass = analyzeMesh(inv).verdicts.filter((v) => v.state === 'bypass').map((v) => `${v.view.workload.kind}/${v.view.workload.name}`);
      results[name] = `${alerted.join(',')} → ${bypass.join(',')}`;
    }
    expect(results).toEqual({ cronjob: 'CronJob/hello → CronJob/hello', pod: 'Pod/test → Pod/test', workloads: 'Deployment/my-deployment → Deployment/my-deployment' });
  });
});
