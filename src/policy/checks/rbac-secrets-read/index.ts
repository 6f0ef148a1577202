import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { riskFindings } from '../../rbac/findings.js';

const ID = 'rbac-secrets-read';

export const rbacSecretsRead: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Subject or workload can read Secrets (get, list or watch)',
  severity: 'high',
  description:
    'A bound role that allows get, list or watch on Secrets (explicitly, or through "*" resources or API groups): service-account tokens, registry and database credentials, TLS keys. list and watch return every Secret\u2019s content, not only names. Rules limited to resourceNames are reported at low severity with the names. Reported per subject and per workload that runs as a bound ServiceAccount. Maps to CIS Kubernetes Benchmark 5.1.2.',
  remediation: 'Grant Secret access only to the components that need it, with get on the named Secrets (resourceNames) rather than list/watch on all of them; prefer mounting Secrets into pods over reading them through the API.',
  mappings: { cis: ['5.1.2'], nsa: [NSA.authorization], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  return riskFindings(inventory, ID, 'secrets-read', {
    impact: 'can read the Secrets the binding covers (credentials, tokens, keys) and move on with them',
    remediation: (who, grants) => `Remove Secret read access from ${[...new Set(grants.map((g) => g.role))].join(', ')} for ${who}, or limit it to get on the Secrets it needs (resourceNames).`,
  });
}
