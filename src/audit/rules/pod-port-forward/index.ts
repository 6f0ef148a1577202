import { queryValues, target, type AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';

/** The `ports` query parameters of a port-forward request URI (websocket clients send them; kubectl's SPDY stream does not). */
export function forwardedPorts(requestURI: string | undefined): number[] {
  const ports: number[] = [];
  for (const value of queryValues(requestURI, 'ports')) {
    for (const part of value.split(',')) {
      const port = Number(part.trim());
      if (Number.isInteger(port) && port > 0 && port < 65536 && !ports.includes(port)) ports.push(port);
    }
  }
  return ports;
}

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const t = target(event);
  if (t.resource !== 'pods' || t.subresource !== 'portforward') return undefined;
  const ports = forwardedPorts(event.requestURI);
  return {
    title: `Port-forward to pod ${t.namespace}/${t.name}${ports.length === 0 ? '' : ` (port${ports.length === 1 ? '' : 's'} ${ports.join(', ')})`}`,
    evidence: { ports },
  };
}

export const podPortForward: AuditRule = {
  id: 'pod-port-forward',
  title: 'Someone opened a port-forward to a pod',
  severity: 'medium',
  description:
    'A port-forward (`kubectl port-forward`) tunnels a pod\'s ports to the client through the API server and the kubelet, past Services, Ingresses and NetworkPolicies: a database, an admin interface or a debug port that is never exposed becomes reachable from a laptop. Every verb is reported (kubectl sends a POST, websocket clients a GET). The ports are known only when the client put them in the request URI; kubectl names them inside the stream, which the audit log does not hold.',
  remediation: 'Confirm with the user that the tunnel was expected. Keep pods/portforward out of roles in production namespaces and reach services through their reviewed, authenticated entry points instead.',
  falco: ['port-forward'],
  evaluate,
};
