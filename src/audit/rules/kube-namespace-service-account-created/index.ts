import { actingUser, target, type AuditEvent } from '../../event.js';
import { isControlPlane, type AuditRule, type RuleMatch } from '../../rule.js';

const KUBE_NAMESPACES = new Set(['kube-system', 'kube-public']);

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const t = target(event);
  // serviceaccounts/token (a token request) is a create too
  if (event.verb !== 'create' || t.resource !== 'serviceaccounts' || t.subresource !== '' || !KUBE_NAMESPACES.has(t.namespace)) return undefined;
  if (isControlPlane(actingUser(event).username)) return undefined;
  return {
    title: `ServiceAccount ${t.namespace}/${t.name} created`,
    evidence: { serviceAccount: { name: t.name, namespace: t.namespace } },
  };
}

export const kubeNamespaceServiceAccountCreated: AuditRule = {
  id: 'kube-namespace-service-account-created',
  title: 'A service account was created in kube-system or kube-public outside the control plane',
  severity: 'medium',
  description:
    'kube-system holds the service accounts of the cluster\'s controllers, with the widest rights; a new account there, bound to a powerful role, is a durable back door that blends in, and kube-public is readable by everyone. Judged by who created it, not by the account\'s name (anyone can pick a controller\'s name): creates by control-plane identities (system: users that are not service accounts, and kube-system\'s own service accounts) are left out. Other sensitive namespaces and token requests are not covered.',
  remediation: 'Find out who created the account and why; delete it if it is not part of a component you installed, together with any binding that names it, and install add-ons with their own namespace.',
  falco: ['Service Account Created in Kube Namespace'],
  evaluate,
};
