import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import type { Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { objectField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'host-namespaces';

const NAMESPACES: ReadonlyArray<{ field: 'hostPID' | 'hostIPC' | 'hostNetwork'; severity: Severity; cis: string; effect: string }> = [
  { field: 'hostPID', severity: 'high', cis: '5.2.3', effect: 'sees every process on the node, can signal them and read their environment (secrets) through /proc' },
  { field: 'hostNetwork', severity: 'high', cis: '5.2.5', effect: 'shares the node network stack, so NetworkPolicy does not apply and it can bind node ports and reach services on the node loopback (kubelet, node-local agents)' },
  { field: 'hostIPC', severity: 'medium', cis: '5.2.4', effect: 'shares System V IPC and /dev/shm with every process on the node' },
];

export const hostNamespaces: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Pod shares a host namespace (hostPID, hostNetwork, hostIPC)',
  severity: 'high',
  description:
    'A pod with hostPID, hostNetwork or hostIPC shares that Linux namespace with the node instead of getting its own: the isolation between the pod and everything else on the node is gone for that resource. One finding per shared namespace.',
  remediation: 'Remove hostPID/hostNetwork/hostIPC; node agents that truly need them belong in a dedicated namespace with a privileged Pod Security level and an exemption with a reason.',
  mappings: { cis: ['5.2.3', '5.2.4', '5.2.5'], nsa: [NSA.hardening, NSA.networkPolicies], pss: ['hostNamespaces'] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  for (const ws of workloadSpecs(inventory)) {
    for (const ns of NAMESPACES) {
      if (ws.pod.spec[ns.field] !== true) continue;
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity: ns.severity,
          title: `${workloadLabel(ws)} uses ${ns.field}: it ${ns.effect}`,
          remediation: `Remove ${ns.field}: true from the pod spec of ${workloadLabel(ws)}.`,
          fields: [objectField(ws, `spec.${ns.field}`)],
          evidence: { namespace: ns.field, cis: ns.cis },
          key: ns.field,
        }),
      );
    }
  }
  return { findings, issues: [] };
}
