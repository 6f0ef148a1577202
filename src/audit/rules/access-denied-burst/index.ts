import { actingUser, responseCode, type AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';

/** Unauthenticated (401) and forbidden (403): a credential or a permission that is not there. */
const REFUSED = new Set([401, 403]);

function evaluate(event: AuditEvent): RuleMatch | undefined {
  return REFUSED.has(responseCode(event)) ? { title: '' } : undefined;
}

/** Who was refused: the identity (or anonymous), from the first source address. */
function key(event: AuditEvent): string {
  return `${actingUser(event).username || 'system:anonymous'} ${event.sourceIPs?.[0] ?? ''}`;
}

export const accessDeniedBurst: AuditRule = {
  id: 'access-denied-burst',
  title: 'Many requests of one identity were refused in a few minutes',
  severity: 'medium',
  description:
    'Twenty or more requests refused (401 Unauthorized or 403 Forbidden) within five minutes for one identity from one address. A person or a controller with the wrong role is refused now and then; a burst is what trying stolen credentials or exploring what a token may do looks like (`kubectl auth can-i --list`, scanners walking the API). Counted per identity and source address, each request once.',
  remediation: 'Check what the identity asked for (evidence.burst.requests and the last request): a misconfigured controller needs its role fixed; an unknown caller or a token used from an unexpected address needs the token revoked and the address looked into.',
  falco: [],
  attempts: true,
  window: {
    key,
    // each request once, named by what it asked for
    distinct: (event) => `${event.verb} ${event.requestURI} (${event.auditID})`,
    count: 20,
    withinMs: 5 * 60_000,
    title: (count, minutes) => `${count} requests refused within ${minutes} minute${minutes === 1 ? '' : 's'}`,
    label: 'requests',
  },
  evaluate,
};
