import { actingUser, target, type AuditEvent } from '../../event.js';
import { matchesAny, type AuditRule, type AuditSettings, type RuleMatch } from '../../rule.js';

const VERBS = new Set(['get', 'list', 'watch']);
const SERVICE_ACCOUNT = 'system:serviceaccount:';

/**
 * Identities that read Secrets to run the cluster: the controller manager (service account tokens), the
 * scheduler, the API server, the nodes (the Secrets their pods mount) and kube-system's controllers.
 */
export const CONTROL_PLANE_SECRET_READERS: readonly string[] = [
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:apiserver',
  'system:node:*',
  'system:serviceaccount:kube-system:*',
];

/** A read the rule reports: not the control plane, not an allowed reader, and for a service account not within its own namespace. */
export function unexpectedReader(username: string, namespace: string, settings: AuditSettings): boolean {
  if (username === '' || matchesAny(username, CONTROL_PLANE_SECRET_READERS) || matchesAny(username, settings.secretReaders)) return false;
  if (username.startsWith(SERVICE_ACCOUNT)) {
    const own = username.slice(SERVICE_ACCOUNT.length).split(':')[0];
    // a read across every namespace (namespace '') is never within its own
    return namespace !== own;
  }
  return true;
}

function evaluate(event: AuditEvent, settings: AuditSettings): RuleMatch | undefined {
  const t = target(event);
  if (t.resource !== 'secrets' || t.subresource !== '' || t.apiGroup !== '' || !VERBS.has(event.verb)) return undefined;
  // an impersonated control-plane identity does not hide the user who asked for it
  const identities = [actingUser(event).username, ...(event.impersonatedUser ? [event.user.username ?? ''] : [])];
  if (!identities.some((u) => unexpectedReader(u, t.namespace, settings))) return undefined;
  const clusterWide = t.namespace === '';
  const where = clusterWide ? 'of every namespace' : `in namespace ${t.namespace}`;
  const done = event.verb === 'watch' ? 'watched' : event.verb === 'list' ? 'listed' : 'read';
  const title = t.name !== '' ? `Secret ${clusterWide ? t.name : `${t.namespace}/${t.name}`} ${done}` : `Secrets ${where} ${done}`;
  return {
    title,
    // a dump of every namespace's Secrets is worse than one Secret
    ...(clusterWide ? { severity: 'high' as const } : {}),
    evidence: { ...(t.name === '' ? {} : { secret: t.name }), ...(clusterWide ? {} : { namespace: t.namespace }), clusterWide },
  };
}

export const secretRead: AuditRule = {
  id: 'secret-read',
  title: 'Secrets were read by an identity that does not usually read them',
  severity: 'medium',
  description:
    'A successful get, list or watch of Secrets by an identity that is neither part of the control plane (controller manager, scheduler, API server, nodes, kube-system\'s service accounts) nor listed in `secretReaders`. Service accounts are reported only when they read outside their own namespace or across all namespaces; people and external identities always. Secrets hold tokens, passwords and keys: reading them is how an intruder moves on. Only the name is recorded, never the data; a read of every namespace\'s Secrets is high. Refused reads are not reported.',
  remediation: 'Confirm that the identity needs the Secret; otherwise remove get, list and watch on secrets from its roles and rotate what it read. Add expected readers (a secrets operator, a backup tool) to secretReaders.',
  falco: ['K8s Secret Get Successfully'],
  evaluate,
};
