import { fingerprint, type Finding, type Subject } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import type { Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { analyzeNetwork, type DirectionVerdict } from '../../network/analysis.js';
import { exposureIndex, type Exposure } from '../../network/exposure.js';
import { groupByWorkload, podEvidence, workloadLabel } from '../../network/group.js';

const ID = 'network-ingress-open';

export const networkIngressOpen: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Pod accepts ingress from anywhere (not isolated by a NetworkPolicy, or a rule admits every source)',
  severity: 'medium',
  description:
    'Computed from NetworkPolicy selector semantics, not from the mere presence of a policy: a pod that no policy selects for Ingress, that runs on the host network, or that a rule opens to every source (no "from", or an ipBlock of 0.0.0.0/0 or ::/0) accepts connections from any pod in the cluster and from anything that can route to it. A rule admitting every pod of every namespace (namespaceSelector: {}) is reported at low severity. Maps to CIS Kubernetes Benchmark 5.3.2 and the NSA/CISA guide on network policies.',
  remediation: 'Select the pod with a NetworkPolicy of policyType Ingress whose rules name the pods, namespaces or address ranges that need to reach it, on the ports they need; start from a namespace-wide default deny.',
  mappings: { cis: ['5.3.2'], nsa: [NSA.networkPolicies], pss: [] },
  run,
};

function severityOf(verdict: DirectionVerdict, exposure: Exposure): Severity {
  if (verdict.reach === 'cluster') return 'low';
  if (verdict.allPorts) return exposure.external ? 'high' : 'medium';
  return exposure.external ? 'medium' : 'low';
}

function portsText(verdict: DirectionVerdict): string {
  if (verdict.allPorts) return '';
  const ports = [...new Set(verdict.openings.flatMap((o) => o.ports ?? []))];
  return ` on ${ports.join(', ')}`;
}

function run(inventory: Inventory): CheckResult {
  const analysis = analyzeNetwork(inventory);
  if (!analysis.available) return { findings: [], issues: analysis.issues };
  const exposureOf = exposureIndex(inventory);
  const findings: Finding[] = [];
  for (const group of groupByWorkload(analysis.verdicts, 'ingress', (v) => v.reach === 'anywhere' || v.reach === 'cluster')) {
    const { verdict, workload } = group;
    const first = group.views[0];
    if (first === undefined) continue;
    const exposure = exposureOf(first);
    const subject: Subject = { type: 'workload', namespace: workload.namespace, workload: { kind: workload.kind, name: workload.name } };
    const who = verdict.reach === 'anywhere' ? 'anywhere' : 'every pod in the cluster';
    const because = !verdict.isolated
      ? verdict.hostNetwork
        ? 'it runs on the host network'
        : `no NetworkPolicy selects it for ingress`
      : `${verdict.openings.map((o) => o.rule).join(', ')} admit${verdict.openings.length === 1 ? 's' : ''} ${verdict.reach === 'anywhere' ? 'every source' : 'every namespace'}`;
    const attacker =
      verdict.reach === 'anywhere'
        ? `Any pod in the cluster, every node${exposure.external ? ', and the outside world through ' + exposure.externalServices.join(', ') : ''} can open connections to it${verdict.allPorts ? ' on any port' : portsText(verdict)}.`
        : `A compromised pod in any namespace can open connections to it${verdict.allPorts ? ' on any port' : portsText(verdict)}.`;
    findings.push({
      id: fingerprint(ID, subject, group.signature),
      rule: ID,
      kind: 'misconfiguration',
      severity: severityOf(verdict, exposure),
      title: `${workloadLabel(workload)} accepts ingress from ${who}${portsText(verdict)}: ${because}`,
      subject,
      evidence: {
        ...podEvidence(group.views),
        isolated: verdict.isolated,
        hostNetwork: verdict.hostNetwork,
        reach: verdict.reach,
        policies: verdict.policies,
        openings: verdict.openings,
        services: exposure.services,
        exposedOutsideCluster: exposure.external,
        why: verdict.why,
        attackerCanReach: attacker,
      },
      remediation: !verdict.isolated
        ? verdict.hostNetwork
          ? `Run ${workloadLabel(workload)} without hostNetwork so NetworkPolicies can isolate it; if it must stay on the host network, restrict access with node firewalls.`
          : `Add a NetworkPolicy in namespace ${workload.namespace} that selects ${workloadLabel(workload)} (e.g. podSelector ${selectorHint(first.labels)}) with policyTypes [Ingress] and only the sources and ports it needs, or a namespace-wide default deny.`
        : `Narrow ${verdict.openings.map((o) => o.rule).join(', ')}: name the pods (podSelector), namespaces (namespaceSelector) or address ranges (ipBlock) that need to connect instead of ${verdict.reach === 'anywhere' ? 'every source' : 'every namespace'}.`,
    });
  }
  return { findings, issues: analysis.issues };
}

function selectorHint(labels: Record<string, string>): string {
  const keys = Object.keys(labels).filter((k) => !['pod-template-hash', 'controller-revision-hash', 'pod-template-generation', 'statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'batch.kubernetes.io/controller-uid', 'controller-uid', 'batch.kubernetes.io/job-name', 'job-name'].includes(k));
  const pick = keys.find((k) => k === 'app' || k === 'app.kubernetes.io/name') ?? keys[0];
  return pick === undefined ? '{}' : `{matchLabels: {${pick}: ${labels[pick] ?? ''}}}`;
}
