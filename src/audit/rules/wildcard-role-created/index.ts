import type { PolicyRule } from '../../../core/inventory.js';
import type { AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';
import { roleWrite } from '../../rbac.js';

/** The parts of a rule that are wildcards: `*` verbs, resource `*` or a star before a subresource (every resource's exec), and `*` API groups together with `*` resources. */
export function wildcardsOf(rule: PolicyRule): Array<'apiGroups' | 'resources' | 'verbs'> {
  const out: Array<'apiGroups' | 'resources' | 'verbs'> = [];
  const anyResource = rule.resources.includes('*');
  if (anyResource && rule.apiGroups.includes('*')) out.push('apiGroups');
  if (rule.resources.some((r) => r === '*' || r.startsWith('*/'))) out.push('resources');
  if (rule.verbs.includes('*')) out.push('verbs');
  return out;
}

const WORDS = { apiGroups: 'API groups', resources: 'resources', verbs: 'verbs' } as const;

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const write = roleWrite(event);
  if (write === undefined) return undefined;
  const offending = write.rules.map((rule) => ({ rule, wildcards: wildcardsOf(rule) })).filter((o) => o.wildcards.length > 0);
  if (offending.length === 0) return undefined;
  const parts = (['apiGroups', 'resources', 'verbs'] as const).filter((w) => offending.some((o) => o.wildcards.includes(w))).map((w) => WORDS[w]);
  const which = parts.length === 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1] ?? ''}`;
  return {
    title: `${write.kind} ${write.name} ${write.done} with wildcard ${which}`,
    evidence: { role: write.role, rules: offending.map((o) => ({ ...o.rule, wildcards: o.wildcards })) },
  };
}

export const wildcardRoleCreated: AuditRule = {
  id: 'wildcard-role-created',
  title: 'A Role or ClusterRole with wildcard resources or verbs was written',
  severity: 'high',
  description:
    'A Role or ClusterRole created, replaced or patched with a rule whose resources or verbs are `*` (any resource, or any verb — escalate, bind and impersonate included), or whose resources are `*/subresource` (that subresource of every resource). Such a rule grants whatever exists now and whatever is added later; with `*` API groups and resources it is cluster-admin under another name. The roles the API server itself reconciles and the aggregated roles its controller fills are left out, and a role is only judged when the request sets its rules.',
  remediation: 'Replace the wildcards with the resources and verbs the role needs (`kubectl auth can-i --list --as=...` shows what a subject uses), and check who is bound to the role.',
  falco: ['ClusterRole With Wildcard Created'],
  evaluate,
};
