import { fingerprint, type Finding, type Subject } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { analyzeRbac } from '../../rbac/analysis.js';

const ID = 'rbac-anonymous-access';

export const rbacAnonymousAccess: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Permissions granted to anonymous users (system:anonymous, system:unauthenticated)',
  severity: 'critical',
  description:
    'A RoleBinding or ClusterRoleBinding whose subjects include the user system:anonymous or the group system:unauthenticated: whatever the role grants is available to anyone who can reach the API server, without credentials (when anonymous authentication is on, the default). Critical when the role carries one of the rbac-* risks, high otherwise. Kubernetes\u2019 default binding of health and version endpoints (system:public-info-viewer) is not reported. Maps to the NSA/CISA guide on authentication and authorization.',
  remediation: 'Remove system:anonymous and system:unauthenticated from the binding (bind the role to the authenticated identities that need it), and disable anonymous authentication on the API server if nothing needs it (--anonymous-auth=false).',
  mappings: { cis: [], nsa: [NSA.authorization], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const analysis = analyzeRbac(inventory);
  if (!analysis.available) return { findings: [], issues: analysis.issues };
  const findings: Finding[] = [];
  for (const a of analysis.anonymous) {
    const subject: Subject = a.namespace === undefined ? { type: 'cluster' } : { type: 'namespace', namespace: a.namespace };
    const risky = a.risks.length > 0;
    findings.push({
      id: fingerprint(ID, subject, a.binding),
      rule: ID,
      kind: 'misconfiguration',
      severity: risky ? 'critical' : 'high',
      title: `${a.binding} grants ${a.role} to ${a.subjects.join(' and ')}${a.namespace === undefined ? ' cluster-wide' : ` in namespace ${a.namespace}`}${risky ? `: anyone ${a.risks.map((r) => r.detail).join('; ')}` : ''}`,
      subject,
      evidence: {
        binding: a.binding,
        role: a.role,
        subjects: a.subjects,
        rules: a.rules,
        risks: a.risks.map((r) => ({ risk: r.risk, detail: r.detail, rules: r.rules })),
        attackerCanReach: `Anyone who can reach the API server, without credentials, can ${a.rules.length > 0 ? a.rules.join('; ') : 'use the role'}${a.namespace === undefined ? '' : ` in namespace ${a.namespace}`}.`,
      },
      remediation: `Remove ${a.subjects.join(' and ')} from ${a.binding}${a.namespace === undefined ? '' : ` (namespace ${a.namespace})`}; bind ${a.role} to the authenticated users or ServiceAccounts that need it.`,
    });
  }
  return { findings, issues: analysis.issues };
}
