import { actingUser, requestLabel, type AuditEvent } from '../../event.js';
import { isSystemUser, matchesAny, type AuditRule, type AuditSettings, type RuleMatch } from '../../rule.js';

function evaluate(event: AuditEvent, settings: AuditSettings): RuleMatch | undefined {
  const allowed = settings.allowedUsers ?? [];
  // the user who sent the request and, when it impersonates someone, the user it acted as
  const identities = [...new Set([event.user.username ?? '', actingUser(event).username])];
  // system identities are the cluster's own; anonymous requests have their own rule (anonymous-request-allowed)
  const unexpected = identities.filter((u) => u !== '' && !isSystemUser(u) && u !== 'system:anonymous' && !matchesAny(u, allowed));
  if (unexpected.length === 0) return undefined;
  return {
    title: `User outside the allowed users: ${requestLabel(event)}`,
    evidence: { unexpectedUsers: unexpected },
  };
}

export const unexpectedUser: AuditRule = {
  id: 'unexpected-user',
  title: 'A user outside the allowed users made a request',
  severity: 'medium',
  description:
    'Any request carried out for a user that is not in `allowedUsers` (usernames, `*` globs), when that list is set. On a cluster where only known people and pipelines should act, an unknown name is a leaked credential, a forgotten account or a new identity provider mapping. System identities (nodes, controllers, service accounts) and anonymous requests (anonymous-request-allowed) are left out; both the user who sent a request and the one it impersonates are judged. Every request is reported.',
  remediation: 'Find out whose credential it is; revoke it (certificate, token, identity-provider account) if it should not exist, or add the user to allowedUsers.',
  falco: ['Disallowed K8s User'],
  enabled: (settings) => settings.allowedUsers !== undefined,
  evaluate,
};
