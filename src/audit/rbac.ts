/** What the RBAC rules share: the roles' resources, who maintains roles as part of running a cluster, and the rules a request gives a role. */
import type { PolicyRule } from '../core/inventory.js';
import { actingUser, asRecord, requestObject, target, type AuditEvent } from './event.js';
import { matchesAny } from './rule.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const ROLE_KINDS: Readonly<Record<string, string>> = { roles: 'Role', clusterroles: 'ClusterRole' };

/**
 * Who writes roles as part of running the cluster rather than by choice: the API server, reconciling its
 * bootstrap roles (cluster-admin is all wildcards; admin and edit grant exec) at every start, and the
 * controller that fills aggregated ClusterRoles (admin, edit, view) with the rules of the roles they select —
 * those are reported when written.
 */
export const ROLE_MAINTAINERS: readonly string[] = ['system:apiserver', 'system:serviceaccount:kube-system:clusterrole-aggregation-controller'];

/** What a request writes into a role: its kind, `namespace/name`, what was done, and the rules it gives the role. */
export interface RoleWrite {
  /** `Role` or `ClusterRole`. */
  kind: string;
  /** `name` of a ClusterRole, `namespace/name` of a Role. */
  name: string;
  /** The verb's participle (`created`, `updated`, `patched`). */
  done: string;
  rules: PolicyRule[];
  /** The role as evidence: kind, name and (a Role's) namespace. */
  role: { kind: string; name: string; namespace?: string };
}

const DONE: Readonly<Record<string, string>> = { create: 'created', update: 'updated', patch: 'patched' };

/**
 * A write of a role's rules the RBAC rules judge: a create, update or patch (`verbs`) of a Role or ClusterRole
 * of the RBAC API (not a subresource), by someone other than ROLE_MAINTAINERS, that sets rules.
 */
export function roleWrite(event: AuditEvent, verbs: readonly string[] = ['create', 'update', 'patch']): RoleWrite | undefined {
  const t = target(event);
  const kind = ROLE_KINDS[t.resource];
  const done = verbs.includes(event.verb) ? DONE[event.verb] : undefined;
  if (kind === undefined || done === undefined || t.subresource !== '' || (t.apiGroup !== '' && t.apiGroup !== RBAC_GROUP)) return undefined;
  if (matchesAny(actingUser(event).username, ROLE_MAINTAINERS)) return undefined;
  const rules = roleRules(event);
  if (rules === undefined) return undefined;
  return { kind, name: t.namespace === '' ? t.name : `${t.namespace}/${t.name}`, done, rules, role: { kind, name: t.name, ...(t.namespace === '' ? {} : { namespace: t.namespace }) } };
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
