import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { riskFindings } from '../../rbac/findings.js';

const ID = 'rbac-cluster-admin';

export const rbacClusterAdmin: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Subject or workload bound to cluster-admin (or an equivalent role)',
  severity: 'critical',
  description:
    'A RoleBinding or ClusterRoleBinding to the cluster-admin ClusterRole, or to any role with every verb (or get, list, watch, create, update, patch and delete) on every resource of every API group. Cluster-wide it is full control of the cluster; in a RoleBinding, full control of the namespace including its Secrets. Reported for the users, groups and unused ServiceAccounts bound, and for every workload whose pods run as a bound ServiceAccount. Kubernetes\u2019 own bootstrap bindings (system:masters) are not reported. Subsumes the other rbac-* risks for the same binding. Maps to CIS Kubernetes Benchmark 5.1.1.',
  remediation: 'Replace the binding with a role that grants only the verbs and resources the subject needs; keep cluster-admin for break-glass accounts.',
  mappings: { cis: ['5.1.1'], nsa: [NSA.authorization], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  return riskFindings(inventory, ID, 'cluster-admin', {
    impact: 'controls everything the binding covers: every Secret, every workload, RBAC itself',
    remediation: (who, grants) => `Remove ${[...new Set(grants.map((g) => g.binding))].join(', ')} and bind ${who} to a role limited to what it needs (kubectl auth can-i --list --as=… shows what it has now).`,
  });
}
