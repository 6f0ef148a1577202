import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { riskFindings } from '../../rbac/findings.js';

const ID = 'rbac-privilege-escalation';

export const rbacPrivilegeEscalation: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Subject or workload can escalate its privileges (escalate, bind, impersonate, token creation)',
  severity: 'high',
  description:
    'A bound role that allows escalate or bind on roles/clusterroles (grant permissions one does not hold), impersonate on users, groups, serviceaccounts, uids or userextras (act as anyone, including system:masters), or create on serviceaccounts/token (mint tokens for any ServiceAccount of the scope). Each is a path to every permission in its scope. Reported per subject and per workload that runs as a bound ServiceAccount. Maps to CIS Kubernetes Benchmark 5.1.8 and 5.1.13.',
  remediation: 'Remove escalate, bind and impersonate from roles (RBAC administrators excepted) and serviceaccounts/token create from workloads.',
  mappings: { cis: ['5.1.8', '5.1.13'], nsa: [NSA.authorization], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  return riskFindings(inventory, ID, 'privilege-escalation', {
    impact: 'can give itself any permission in the binding\u2019s scope',
    remediation: (who, grants) => `Remove ${[...new Set(grants.map((g) => g.detail.replace(/^can grant itself more power \((.*)\)$/, '$1')))].join(', ')} from ${[...new Set(grants.map((g) => g.role))].join(', ')} for ${who}.`,
  });
}
