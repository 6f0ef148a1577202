import { actingUser, target, type AuditEvent } from '../../event.js';
import type { AuditRule, AuditSettings, RuleMatch } from '../../rule.js';
import { unexpectedReader } from '../secret-read/index.js';

/** Reads that name what they read: one Secret (get), or a namespace's or every namespace's (list). A watch is how controllers follow Secrets: not counted. */
const VERBS = new Set(['get', 'list']);

function evaluate(event: AuditEvent, settings: AuditSettings): RuleMatch | undefined {
  const t = target(event);
  if (t.resource !== 'secrets' || t.subresource !== '' || t.apiGroup !== '' || !VERBS.has(event.verb)) return undefined;
  const identities = [actingUser(event).username, ...(event.impersonatedUser ? [event.user.username ?? ''] : [])];
  if (!identities.some((u) => unexpectedReader(u, t.namespace, settings))) return undefined;
  return { title: '' };
}

export const secretEnumeration: AuditRule = {
  id: 'secret-enumeration',
  title: 'Many Secrets were read by one identity in a few minutes',
  severity: 'high',
  description:
    'Ten or more different Secrets (a get of one, or a list of a namespace\'s or every namespace\'s) read within ten minutes by one identity that secret-read would report (not the control plane, not in `secretReaders`, a service account outside its own namespace). One read may be a person doing their job; many in a row is how a stolen token or an intruder collects credentials. Watches are not counted (controllers watch Secrets all day); refused reads are not counted (access-denied-burst reports those).',
  remediation: 'Find out who holds the identity and why it read these Secrets (evidence.burst.secrets); revoke its token and rotate what it read if that was not expected. Add expected readers (a backup tool, a secrets operator) to secretReaders.',
  falco: [],
  window: {
    key: (event) => actingUser(event).username,
    distinct: (event) => {
      const t = target(event);
      return `${t.namespace === '' ? '*' : t.namespace}/${t.name === '' ? '*' : t.name}`;
    },
    count: 10,
    withinMs: 10 * 60_000,
    title: (count, minutes) => `${count} Secrets read within ${minutes} minute${minutes === 1 ? '' : 's'}`,
    label: 'secrets',
  },
  evaluate,
};
