/** What the RBAC rules share: the roles' resources, who maintains roles as part of running a cluster, and the rules a request gives a role. */
import type { PolicyRule } from '../core/inventory.js';
import { asRecord, requestObject, target, type AuditEvent } from './event.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const ROLE_KINDS: Readonly<Record<string, string>> = { roles: 'Role', clusterroles: 'ClusterRole' };

/**
 * Who writes roles as part of running the cluster rather than by choice: the API server, reconciling its
 * bootstrap roles (cluster-admin is all wildcards; admin and edit grant exec) at every start, and the
 * controller that fills aggregated ClusterRoles (admin, edit, view) with the rules of the roles they select —
 * those are reported when written.
 */
export const ROLE_MAINTAINERS: readonly string[] = ['system:apiserver', 'system:serviceaccount:kube-system:clusterrole-aggregation-controller'];

/** The kind of role (`Role`, `ClusterRole`) a request writes, when it writes one of the RBAC API's roles (not a subresource). */
export function roleKind(event: AuditEvent): string | undefined {
  const t = target(event);
  const kind = ROLE_KINDS[t.resource];
  if (kind === undefined || t.subresource !== '' || (t.apiGroup !== '' && t.apiGroup !== RBAC_GROUP)) return undefined;
  return kind;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * The rules the request gives the role: the body's; the stored role's (responseObject) when the body is a
 * JSON patch (a list of operations). Undefined when the request does not set them (a merge patch of labels).
 */
export function roleRules(event: AuditEvent): PolicyRule[] | undefined {
  const body = Array.isArray(event.requestObject) ? asRecord(event.responseObject) : requestObject(event);
  const rules = body?.['rules'];
  if (!Array.isArray(rules)) return undefined;
  return rules.flatMap((item): PolicyRule[] => {
    const r = asRecord(item);
    if (r === undefined) return [];
    return [{ verbs: strings(r['verbs']), apiGroups: strings(r['apiGroups']), resources: strings(r['resources']), resourceNames: strings(r['resourceNames']), nonResourceURLs: strings(r['nonResourceURLs']) }];
  });
}
