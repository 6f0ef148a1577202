import { fingerprint, type Finding, type Subject } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { analyzeNetwork, type Direction } from '../../network/analysis.js';

const ID = 'network-no-default-deny';

export const networkNoDefaultDeny: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Namespace without a default-deny NetworkPolicy',
  severity: 'medium',
  description:
    'A namespace is isolated by default when a NetworkPolicy selects every pod (podSelector: {}) with policyType Ingress (Egress) and no rule that admits everything: every pod, including pods created later and pods whose labels no other policy matches, is then denied what is not explicitly allowed. Without it, isolation depends on each workload\u2019s labels matching some policy. Reported for namespaces that run pods or hold workloads. Maps to CIS Kubernetes Benchmark 5.3.2 and the NSA/CISA guide on network policies.',
  remediation: 'Add a default-deny NetworkPolicy to the namespace (podSelector: {}, policyTypes: [Ingress, Egress], no rules), then allow what each workload needs (including DNS egress) with further policies.',
  mappings: { cis: ['5.3.2'], nsa: [NSA.networkPolicies], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const analysis = analyzeNetwork(inventory);
  if (!analysis.available) return { findings: [], issues: analysis.issues };
  const findings: Finding[] = [];
  for (const ns of analysis.namespaces) {
    if (ns.views === 0 || ns.unknown !== undefined) continue;
    const missing = (['ingress', 'egress'] as const).filter((d: Direction) => ns.defaultDeny[d] === undefined);
    if (missing.length === 0) continue;
    const subject: Subject = { type: 'namespace', namespace: ns.name };
    const what = missing.length === 2 ? 'ingress and egress' : missing[0] ?? '';
    const types = missing.map((d) => (d === 'ingress' ? 'Ingress' : 'Egress'));
    findings.push({
      id: fingerprint(ID, subject, what),
      rule: ID,
      kind: 'misconfiguration',
      severity: missing.includes('ingress') ? 'medium' : 'low',
      title: `Namespace ${ns.name} has no default-deny NetworkPolicy for ${what}${ns.policies.length === 0 ? ' (no NetworkPolicy at all)' : ''}`,
      subject,
      evidence: {
        missing,
        defaultDeny: Object.fromEntries((['ingress', 'egress'] as const).map((d) => [d, ns.defaultDeny[d]?.policy ?? null])),
        policies: ns.policies,
        podsAndTemplates: ns.views,
        notIsolatedForIngress: ns.notIsolated.ingress,
        notIsolatedForEgress: ns.notIsolated.egress,
        attackerCanReach:
          ns.notIsolated.ingress > 0 || ns.notIsolated.egress > 0
            ? `${ns.notIsolated.ingress} of ${ns.views} pods/templates accept connections from anywhere and ${ns.notIsolated.egress} can connect anywhere; any new pod will too.`
            : `Every pod is isolated today by workload policies, but a new pod whose labels no policy matches will not be.`,
      },
      remediation: `kubectl apply -n ${ns.name} -f - with: {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: default-deny}, spec: {podSelector: {}, policyTypes: [${types.join(', ')}]}}; then allow each workload's traffic${missing.includes('egress') ? ' (and DNS egress)' : ''} explicitly.`,
    });
  }
  return { findings, issues: analysis.issues };
}
