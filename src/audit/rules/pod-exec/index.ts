import { queryValues, target, type AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';

const SUBRESOURCES = new Set(['exec', 'attach']);

/** The `command` parameters of an exec request URI, joined as a shell would show them. */
export function execCommand(requestURI: string | undefined): string | undefined {
  const parts = queryValues(requestURI, 'command');
  return parts.length === 0 ? undefined : parts.join(' ');
}

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const t = target(event);
  if (t.resource !== 'pods' || !SUBRESOURCES.has(t.subresource)) return undefined;
  // kubectl exec sends a POST (create); a websocket client a GET
  if (event.verb !== 'create' && event.verb !== 'get') return undefined;
  const container = queryValues(event.requestURI, 'container')[0];
  const command = t.subresource === 'exec' ? execCommand(event.requestURI) : undefined;
  const what = t.subresource === 'exec' ? `Exec into pod ${t.namespace}/${t.name}` : `Attach to pod ${t.namespace}/${t.name}`;
  return {
    title: `${what}${container === undefined ? '' : ` (container ${container})`}${command === undefined ? '' : `: ${command.slice(0, 80)}`}`,
    evidence: { action: t.subresource, ...(container === undefined ? {} : { container }), ...(command === undefined ? {} : { command }), tty: queryValues(event.requestURI, 'tty')[0] === 'true' },
  };
}

export const podExec: AuditRule = {
  id: 'pod-exec',
  title: 'Someone ran a command in (exec) or attached to a running container',
  severity: 'medium',
  description:
    'An exec or attach into a pod (`kubectl exec`, `kubectl attach`, `kubectl debug` without a copy) runs commands inside a running workload with its identity, its mounted secrets and its network position. Legitimate during an incident, it is also the first step of most in-cluster attacks. The command and container are taken from the request URI; the command is what the client asked for, not what ran afterwards in an interactive shell.',
  remediation: 'Confirm with the user that the session was expected. Keep exec out of production namespaces (RBAC without pods/exec and pods/attach) and use ephemeral debug containers or logs instead.',
  falco: ['Attach/Exec Pod'],
  evaluate,
};
