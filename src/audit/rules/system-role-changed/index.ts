import { actingUser, target, type AuditEvent } from '../../event.js';
import { isControlPlane, type AuditRule, type RuleMatch } from '../../rule.js';
import { RBAC_GROUP, ROLE_KINDS } from '../../rbac.js';

const DONE: Record<string, string> = { create: 'created', update: 'updated', patch: 'patched', delete: 'deleted' };

/**
 * `system:` roles that clusters change in normal operation, by people's tools rather than the control plane:
 * system:coredns is rewritten by kubeadm (as kubernetes-admin) and by DNS add-on installers at every
 * upgrade, system:managed-certificate-controller by GKE's managed-certificates add-on.
 */
export const ROUTINE_SYSTEM_ROLES: readonly string[] = ['system:coredns', 'system:managed-certificate-controller'];

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const t = target(event);
  const kind = ROLE_KINDS[t.resource];
  const done = DONE[event.verb];
  if (kind === undefined || done === undefined || t.subresource !== '' || (t.apiGroup !== '' && t.apiGroup !== RBAC_GROUP)) return undefined;
  if (!t.name.startsWith('system:') || ROUTINE_SYSTEM_ROLES.includes(t.name)) return undefined;
  if (isControlPlane(actingUser(event).username)) return undefined;
  const name = t.namespace === '' ? t.name : `${t.namespace}/${t.name}`;
  return {
    title: `${kind} ${name} ${done}`,
    evidence: { action: event.verb, role: { kind, name: t.name, ...(t.namespace === '' ? {} : { namespace: t.namespace }) } },
  };
}

export const systemRoleChanged: AuditRule = {
  id: 'system-role-changed',
  title: 'A system: Role or ClusterRole was created, changed or deleted outside the control plane',
  severity: 'high',
  description:
    'The `system:` roles are the permissions of the cluster\'s own components (nodes, controllers, the scheduler, discovery). Widening one quietly grants its holders more; deleting one breaks a component; a new role with a system: name hides among them. The API server reconciles these roles at every start, so writes by control-plane identities (system: users that are not service accounts, and kube-system\'s service accounts) are left out, as are roles clusters change routinely (system:coredns) and their bindings.',
  remediation: 'Find out why the role was changed; restore a bootstrap role by restarting the API server (it reconciles the defaults) or from the add-on\'s manifest, and name your own roles without the system: prefix.',
  falco: ['System ClusterRole Modified/Deleted'],
  evaluate,
};
