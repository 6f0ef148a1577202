import { fingerprint, type Finding, type Subject } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import type { Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { analyzeNetwork, type DirectionVerdict } from '../../network/analysis.js';
import { compileIpBlock, METADATA_IPV4 } from '../../network/cidr.js';
import { groupByWorkload, podEvidence, workloadLabel } from '../../network/group.js';

const ID = 'network-egress-open';

export const networkEgressOpen: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Pod can egress anywhere (not isolated for egress, or a rule admits every destination)',
  severity: 'medium',
  description:
    'Computed from NetworkPolicy selector semantics: a pod that no policy selects for Egress, that runs on the host network, or that a rule lets connect to every destination (no "to", or an ipBlock of 0.0.0.0/0 or ::/0) can reach the internet (exfiltration, command and control), the cloud metadata endpoint 169.254.169.254 (instance credentials), the API server and every pod. Rules that open only DNS (port 53) to anywhere are not reported; rules that open every pod of every namespace are reported at low severity. Maps to CIS Kubernetes Benchmark 5.3.2 and the NSA/CISA guide on network policies.',
  remediation: 'Select the pod with a NetworkPolicy of policyType Egress that names the destinations it needs (its dependencies, the cluster DNS on port 53) and, if it needs the internet, an ipBlock that excepts the metadata endpoint and internal ranges.',
  mappings: { cis: ['5.3.2'], nsa: [NSA.networkPolicies], pss: [] },
  run,
};

function severityOf(verdict: DirectionVerdict): Severity {
  if (verdict.reach === 'cluster') return 'low';
  return verdict.allPorts ? 'medium' : 'low';
}

/** Can any opening to anywhere reach the metadata endpoint (every destination, or an ipBlock /0 without it in except)? */
function reachesMetadata(verdict: DirectionVerdict): boolean {
  if (!verdict.isolated) return true;
  return verdict.rules.some((r) => r.reach === 'anywhere' && (r.peers.length === 0 || r.peers.some((p) => p.ip?.anywhere === true && compileIpBlock(p.ip.cidr, p.ip.except)?.contains(METADATA_IPV4) === true)));
}

function run(inventory: Inventory): CheckResult {
  const analysis = analyzeNetwork(inventory);
  if (!analysis.available) return { findings: [], issues: analysis.issues };
  const findings: Finding[] = [];
  const open = (v: DirectionVerdict): boolean => (v.reach === 'anywhere' && !v.dnsOnly) || v.reach === 'cluster';
  for (const group of groupByWorkload(analysis.verdicts, 'egress', open)) {
    const { verdict, workload } = group;
    const subject: Subject = { type: 'workload', namespace: workload.namespace, workload: { kind: workload.kind, name: workload.name } };
    const ports = verdict.allPorts ? '' : ` on ${[...new Set(verdict.openings.flatMap((o) => o.ports ?? []))].join(', ')}`;
    const because = !verdict.isolated
      ? verdict.hostNetwork
        ? 'it runs on the host network'
        : 'no NetworkPolicy selects it for egress'
      : `${verdict.openings.map((o) => o.rule).join(', ')} admit${verdict.openings.length === 1 ? 's' : ''} ${verdict.reach === 'anywhere' ? 'every destination' : 'every namespace'}`;
    const metadata = verdict.reach === 'anywhere' && reachesMetadata(verdict);
    const attacker =
      verdict.reach === 'anywhere'
        ? `From this pod an attacker can connect${verdict.allPorts ? '' : ports} to the internet (exfiltration, command and control)${metadata ? `, the cloud metadata endpoint ${METADATA_IPV4} (node credentials)` : ''}, the Kubernetes API server and every pod and node of the cluster.`
        : `From this pod an attacker can connect${verdict.allPorts ? '' : ports} to every pod of every namespace.`;
    findings.push({
      id: fingerprint(ID, subject, group.signature),
      rule: ID,
      kind: 'misconfiguration',
      severity: severityOf(verdict),
      title: `${workloadLabel(workload)} can egress ${verdict.reach === 'anywhere' ? 'anywhere' : 'to every pod in the cluster'}${ports}: ${because}`,
      subject,
      evidence: {
        ...podEvidence(group.views),
        isolated: verdict.isolated,
        hostNetwork: verdict.hostNetwork,
        reach: verdict.reach,
        policies: verdict.policies,
        openings: verdict.openings,
        reachesMetadataEndpoint: metadata,
        why: verdict.why,
        attackerCanReach: attacker,
      },
      remediation: !verdict.isolated
        ? verdict.hostNetwork
          ? `Run ${workloadLabel(workload)} without hostNetwork so NetworkPolicies can restrict its egress; otherwise restrict it with node firewalls.`
          : `Add a NetworkPolicy in namespace ${workload.namespace} that selects ${workloadLabel(workload)} with policyTypes [Egress], allowing DNS to the cluster DNS pods and only the destinations it needs.`
        : `Narrow ${verdict.openings.map((o) => o.rule).join(', ')} to the destinations ${workloadLabel(workload)} needs; if it must reach the internet, use an ipBlock with except entries for ${METADATA_IPV4}/32 and the cluster's private ranges.`,
    });
  }
  return { findings, issues: analysis.issues };
}
