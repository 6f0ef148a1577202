import type { Finding } from '../../../core/finding.js';
import type { Inventory, RoleBindingInfo } from '../../../core/inventory.js';
import type { Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { objectField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'service-account-token';

export const serviceAccountToken: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Service-account token mounted into a pod that does not use the Kubernetes API',
  severity: 'medium',
  description:
    'Unless automountServiceAccountToken is false (on the pod, or else on its ServiceAccount), every container gets an API token at /var/run/secrets/kubernetes.io/serviceaccount — an intruder\'s first foothold towards the API. Reported when the pod runs as the namespace\'s "default" service account (medium: no API identity of its own; CIS 5.1.5), or — when RoleBindings and ClusterRoleBindings were read — as a service account that no binding names, i.e. a token the pod has no use for (low). Pods whose dedicated service account is bound to a role, or whose bindings are unknown, are taken to use the API.',
  remediation: 'Set automountServiceAccountToken: false in the pod spec (and on the "default" ServiceAccount); give pods that call the API their own ServiceAccount with least-privilege RBAC.',
  mappings: { cis: ['5.1.5', '5.1.6'], nsa: [NSA.serviceAccountTokens], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  const accounts = new Map(inventory.serviceAccounts.map((sa) => [`${sa.namespace}/${sa.name}`, sa]));
  const complete = new Set(inventory.coverage.complete);
  const rbacKnown = complete.has('RoleBinding') && complete.has('ClusterRoleBinding');
  const bindings = bindingsBySubject(inventory.roleBindings);
  for (const ws of workloadSpecs(inventory)) {
    const spec = ws.pod.spec;
    const name = spec.serviceAccountName ?? spec.serviceAccount ?? 'default';
    const account = accounts.get(`${ws.namespace}/${name === '' ? 'default' : name}`);
    // The pod's field wins over the ServiceAccount's (kubelet/ServiceAccount admission).
    const mounted = spec.automountServiceAccountToken ?? account?.automountServiceAccountToken ?? true;
    if (!mounted) continue;
    const isDefault = name === 'default' || name === '';
    const bound = bindings.get(`${ws.namespace}/${isDefault ? 'default' : name}`) ?? [];
    let severity: Severity;
    let why: string;
    if (isDefault) {
      severity = 'medium';
      why = bound.length > 0 ? `runs as the "default" service account (bound by ${bound.join(', ')}) with its API token mounted` : 'runs as the "default" service account with its API token mounted';
    } else if (rbacKnown && bound.length === 0) {
      severity = 'low';
      why = `mounts the API token of service account "${name}", which no RoleBinding or ClusterRoleBinding names`;
    } else continue;
    const via = spec.automountServiceAccountToken === true ? ' (automountServiceAccountToken: true)' : '';
    findings.push(
      workloadFinding(ws, {
        rule: ID,
        kind: 'misconfiguration',
        severity,
        title: `${workloadLabel(ws)} ${why}${via}`,
        remediation: isDefault
          ? `Set automountServiceAccountToken: false in the pod spec of ${workloadLabel(ws)}; if it calls the API, give it a dedicated ServiceAccount with only the permissions it needs.`
          : `Set automountServiceAccountToken: false in the pod spec of ${workloadLabel(ws)} (or on ServiceAccount ${name}): it has no RBAC permissions to use.`,
        fields: [objectField(ws, 'spec.automountServiceAccountToken')],
        evidence: { serviceAccount: isDefault ? 'default' : name, automountServiceAccountToken: spec.automountServiceAccountToken ?? null, serviceAccountAutomount: account?.automountServiceAccountToken ?? null, bindings: bound, rbacKnown },
      }),
    );
  }
  return { findings, issues: [] };
}

/** `namespace/serviceaccount` → the bindings naming it directly (group grants such as system:serviceaccounts are not an intent to use the API). */
function bindingsBySubject(bindings: readonly RoleBindingInfo[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const b of bindings) {
    for (const s of b.subjects) {
      if (s.kind !== 'ServiceAccount') continue;
      const namespace = s.namespace ?? b.namespace;
      if (namespace === undefined) continue;
      const key = `${namespace}/${s.name}`;
      const list = out.get(key) ?? [];
      list.push(`${b.kind} ${b.namespace === undefined ? '' : `${b.namespace}/`}${b.name}`);
      out.set(key, list);
    }
  }
  return out;
}
