import type { PolicyRule } from '../../../core/inventory.js';
import type { AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';
import { roleWrite } from '../../rbac.js';

export const SESSION_RESOURCES: readonly string[] = ['pods/exec', 'pods/attach'];
/** kubectl exec and attach are authorised as create; websocket clients before Kubernetes 1.30 as get. */
const SESSION_VERBS = new Set(['create', 'get', '*']);

/** The rules that name pods/exec or pods/attach in the core group with a verb that opens a session. */
export function sessionRules(rules: readonly PolicyRule[]): PolicyRule[] {
  return rules.filter(
    (r) => r.resources.some((res) => SESSION_RESOURCES.includes(res)) && r.apiGroups.some((g) => g === '' || g === '*') && r.verbs.some((v) => SESSION_VERBS.has(v)),
  );
}

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const write = roleWrite(event);
  if (write === undefined) return undefined;
  const rules = sessionRules(write.rules);
  if (rules.length === 0) return undefined;
  const granted = SESSION_RESOURCES.filter((res) => rules.some((r) => r.resources.includes(res)));
  return {
    title: `${write.kind} ${write.name} ${write.done} granting ${granted.join(' and ')}`,
    evidence: { role: write.role, granted, rules },
  };
}

export const podExecRoleCreated: AuditRule = {
  id: 'pod-exec-role-created',
  title: 'A Role or ClusterRole that allows exec into or attach to pods was written',
  severity: 'medium',
  description:
    'A Role or ClusterRole created, replaced or patched with a rule naming pods/exec or pods/attach (core API group, verb create, get or *). Whoever is bound to it can run commands in the pods it covers, with their service account tokens, mounted Secrets and network position. Grants through wildcards (`*` or `*/exec` resources) are left to wildcard-role-created, and roles the API server reconciles or the aggregation controller fills are left out.',
  remediation: 'Keep pods/exec and pods/attach out of roles of automated identities and production namespaces; give people time-bound, audited access (a break-glass role) and check who is bound to this role.',
  falco: ['ClusterRole With Pod Exec Created'],
  evaluate,
};
