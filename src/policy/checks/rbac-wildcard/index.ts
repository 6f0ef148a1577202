import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { riskFindings } from '../../rbac/findings.js';

const ID = 'rbac-wildcard';

export const rbacWildcard: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Role grants wildcard verbs or resources to a subject or workload',
  severity: 'high',
  description:
    'A bound role with "*" in verbs or resources: it grants every verb (including escalate, bind, impersonate) or every resource (including Secrets and pods/exec) of its API groups, and silently covers verbs and resources added later (new CRDs). Reported per subject and per workload that runs as a bound ServiceAccount; roles equivalent to cluster-admin are reported by rbac-cluster-admin instead. Maps to CIS Kubernetes Benchmark 5.1.3.',
  remediation: 'List the verbs and resources the subject needs explicitly instead of "*".',
  mappings: { cis: ['5.1.3'], nsa: [NSA.authorization], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  return riskFindings(inventory, ID, 'wildcard', {
    impact: 'can use every verb or resource the wildcards cover, including ones added later',
    remediation: (who, grants) => `Replace the wildcards in ${[...new Set(grants.map((g) => g.role))].join(', ')} (rules: ${[...new Set(grants.flatMap((g) => g.rules))].join('; ')}) with the explicit verbs and resources ${who} needs.`,
  });
}
