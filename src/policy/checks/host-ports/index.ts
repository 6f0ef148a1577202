import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { containerField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'host-ports';

export const hostPorts: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Container binds a port on the node (hostPort)',
  severity: 'medium',
  description:
    'A containerPort with hostPort is reachable on that port of every node the pod runs on, from anything that can reach the node, outside Services and usually outside NetworkPolicy. It also pins scheduling (one pod per node per port).',
  remediation: 'Remove hostPort and expose the port through a Service (ClusterIP, or a LoadBalancer/Ingress with source restrictions).',
  mappings: { cis: ['5.2.13'], nsa: [NSA.networkPolicies], pss: ['hostPorts'] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  for (const ws of workloadSpecs(inventory)) {
    for (const c of ws.pod.containers) {
      const ports: Array<{ hostPort: number; containerPort: number | null; protocol: string; hostIP: string | null }> = [];
      const fields: string[] = [];
      (c.spec.ports ?? []).forEach((p, i) => {
        if (p === null || p.hostPort == null || p.hostPort === 0) return;
        ports.push({ hostPort: p.hostPort, containerPort: p.containerPort ?? null, protocol: p.protocol ?? 'TCP', hostIP: p.hostIP ?? null });
        fields.push(containerField(ws, c, `ports[${i}].hostPort`));
      });
      if (ports.length === 0) continue;
      const list = ports.map((p) => `${p.hostPort}/${p.protocol}`).join(', ');
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity: 'medium',
          title: `Container ${c.name} of ${workloadLabel(ws)} binds host port${ports.length === 1 ? '' : 's'} ${list} on its node`,
          remediation: `Remove hostPort from container ${c.name} and publish ${list} through a Service instead.`,
          container: c,
          fields,
          evidence: { ports },
        }),
      );
    }
  }
  return { findings, issues: [] };
}
