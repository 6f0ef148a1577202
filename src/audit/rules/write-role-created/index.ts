import type { PolicyRule } from '../../../core/inventory.js';
import type { AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';
import { roleWrite } from '../../rbac.js';

export const WRITE_VERBS: readonly string[] = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** A rule with a `*` verb or wildcard resources belongs to wildcard-role-created. */
function hasWildcard(rule: PolicyRule): boolean {
  return rule.verbs.includes('*') || rule.resources.some((r) => r === '*' || r.startsWith('*/'));
}

export interface WriteGrant {
  verbs: string[];
  resources?: string[] | undefined;
  nonResourceURLs?: string[] | undefined;
  apiGroups?: string[] | undefined;
  resourceNames?: string[] | undefined;
}

/** The write verbs each rule grants, on what (rules with wildcards left out). */
export function writeGrants(rules: readonly PolicyRule[]): WriteGrant[] {
  return rules.flatMap((rule): WriteGrant[] => {
    if (hasWildcard(rule)) return [];
    const verbs = rule.verbs.filter((v) => WRITE_VERBS.includes(v));
    if (verbs.length === 0) return [];
    return [
      {
        verbs,
        ...(rule.resources.length > 0 ? { resources: rule.resources, apiGroups: rule.apiGroups } : {}),
        ...(rule.nonResourceURLs.length > 0 ? { nonResourceURLs: rule.nonResourceURLs } : {}),
        ...(rule.resourceNames.length > 0 ? { resourceNames: rule.resourceNames } : {}),
      },
    ];
  });
}

function listed(items: readonly string[], max = 3): string {
  if (items.length <= max) return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function evaluate(event: AuditEvent): RuleMatch | undefined {
  // patches are left out: a role's write verbs are judged when it is created or replaced
  const write = roleWrite(event, ['create', 'update']);
  if (write === undefined) return undefined;
  const grants = writeGrants(write.rules);
  if (grants.length === 0) return undefined;
  const verbs = WRITE_VERBS.filter((v) => grants.some((g) => g.verbs.includes(v)));
  const on = [...new Set(grants.flatMap((g) => [...(g.resources ?? []), ...(g.nonResourceURLs ?? [])]))];
  return {
    title: `${write.kind} ${write.name} ${write.done} granting ${verbs.join(', ')} on ${listed(on)}`,
    evidence: { role: write.role, writes: grants },
  };
}

export const writeRoleCreated: AuditRule = {
  id: 'write-role-created',
  title: 'A Role or ClusterRole that grants write access was written',
  severity: 'low',
  description:
    'A Role or ClusterRole created or replaced (update) with a rule that grants create, update, patch, delete or deletecollection. Most applications and charts need such roles, so this is a low-severity record of where write access comes from, to review with the bindings that use it. Rules with `*` verbs or resources are reported by wildcard-role-created instead, patches are not judged, and roles the API server reconciles or the aggregation controller fills are left out.',
  remediation: 'Check that the role grants writes only on the resources (and, where possible, resourceNames) its users need, and who is bound to it.',
  falco: ['ClusterRole With Write Privileges Created'],
  evaluate,
};
