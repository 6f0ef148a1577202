import { actingUser, type AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';

/** Endpoints the API server serves to anyone by default (the system:public-info-viewer role): asking them is not a finding. */
const PUBLIC_PATHS = ['/healthz', '/livez', '/readyz', '/version'];

/** The request URI's path is a public health or version endpoint (or below one: `/healthz/etcd`, `/readyz?verbose`). */
export function publicEndpoint(requestURI: string | undefined): boolean {
  if (requestURI === undefined) return false;
  const query = requestURI.search(/[?#]/);
  const path = query < 0 ? requestURI : requestURI.slice(0, query);
  return PUBLIC_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const decision = event.annotations?.['authorization.k8s.io/decision'];
  if (decision !== 'allow') return undefined;
  const user = actingUser(event);
  if (user.username !== 'system:anonymous' && !user.groups.includes('system:unauthenticated')) return undefined;
  if (publicEndpoint(event.requestURI)) return undefined;
  return {
    title: `Anonymous request allowed: ${event.verb} ${event.requestURI ?? '(no request URI)'}`,
    evidence: { decision, authorizationReason: event.annotations?.['authorization.k8s.io/reason'] ?? '' },
  };
}

export const anonymousRequestAllowed: AuditRule = {
  id: 'anonymous-request-allowed',
  title: 'The API server allowed a request from an unauthenticated (anonymous) client',
  severity: 'high',
  description:
    'With anonymous authentication on, a request without credentials runs as system:anonymous in the group system:unauthenticated; anything authorization allows it is open to everyone who reaches the API server. A binding of a role to either (often a careless `kubectl create clusterrolebinding … --user=system:anonymous`) or an AlwaysAllow authorizer turns the cluster public. Every allowed anonymous request is reported except the health and version endpoints (/healthz, /livez, /readyz and their sub-paths, /version) that Kubernetes opens to everyone on purpose; anonymous requests that were denied are left out.',
  remediation: 'Find the binding that grants the access (the authorization reason names it) and remove it; turn anonymous authentication off (`--anonymous-auth=false`, or an AuthenticationConfiguration that allows only the health endpoints) and keep the API server off public networks.',
  falco: ['Anonymous Request Allowed'],
  evaluate,
};
