import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { riskFindings } from '../../rbac/findings.js';

const ID = 'rbac-pod-exec';

export const rbacPodExec: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Subject or workload can exec into or attach to pods',
  severity: 'high',
  description:
    'A bound role that allows create or get on pods/exec or pods/attach (explicitly, through "*" resources, or */exec): it runs commands inside any container the binding covers, with that container\u2019s ServiceAccount token, mounted Secrets and network position. get counts because exec over WebSockets was authorized as get before Kubernetes 1.30. Reported per subject and per workload that runs as a bound ServiceAccount (MITRE ATT&CK for containers: Exec into container).',
  remediation: 'Remove pods/exec and pods/attach from roles of automated identities; give people time-bound, audited access (a break-glass role) instead.',
  mappings: { cis: [], nsa: [NSA.authorization], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  return riskFindings(inventory, ID, 'pod-exec', {
    impact: 'can run commands inside the pods the binding covers and take over their identities and data',
    remediation: (who, grants) => `Remove pods/exec and pods/attach from ${[...new Set(grants.map((g) => g.role))].join(', ')} for ${who}.`,
  });
}
