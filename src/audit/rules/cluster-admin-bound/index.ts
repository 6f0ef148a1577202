import { asRecord, actingUser, requestObject, target, type AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';
import { RBAC_GROUP } from '../../rbac.js';

const RESOURCES = new Set(['clusterrolebindings', 'rolebindings']);
const VERBS = new Set(['create', 'update', 'patch']);
/** The API server creates the `cluster-admin` binding (to group system:masters) itself when it starts on an empty cluster. */
const BOOTSTRAP_WRITER = 'system:apiserver';

export interface BindingSubject {
  kind: string;
  name: string;
  /** ServiceAccounts only. */
  namespace?: string | undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * The role and subjects the request leaves the binding with. Read from the request body; from the stored
 * object (responseObject) when the body is a JSON patch (a list of operations), and for roleRef, which can
 * never change, also when a merge patch leaves it out. Subjects undefined: the request did not set them.
 */
export function bindingOf(event: AuditEvent, bindingNamespace: string): { roleRef: { kind: string; name: string } | undefined; subjects: BindingSubject[] | undefined } {
  const stored = asRecord(event.responseObject);
  const body = Array.isArray(event.requestObject) ? stored : requestObject(event);
  const ref = asRecord(body?.['roleRef']) ?? asRecord(stored?.['roleRef']);
  const list = body?.['subjects'];
  const subjects = Array.isArray(list)
    ? list.flatMap((item): BindingSubject[] => {
        const s = asRecord(item);
        if (s === undefined) return [];
        const kind = text(s['kind']);
        // a RoleBinding's ServiceAccount subject without a namespace is in the binding's namespace
        const namespace = kind === 'ServiceAccount' ? text(s['namespace']) || bindingNamespace : undefined;
        return [{ kind, name: text(s['name']), ...(namespace === undefined ? {} : { namespace }) }];
      })
    : undefined;
  return { roleRef: ref === undefined ? undefined : { kind: text(ref['kind']), name: text(ref['name']) }, subjects };
}

/** `User alice`, `ServiceAccount ci/deployer`: a subject as a person reads it. */
export function subjectLabel(subject: BindingSubject): string {
  return `${subject.kind || 'subject'} ${subject.namespace === undefined || subject.namespace === '' ? subject.name : `${subject.namespace}/${subject.name}`}`;
}

function listed(items: readonly string[], max = 3): string {
  if (items.length <= max) return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const t = target(event);
  if (!RESOURCES.has(t.resource) || t.subresource !== '' || !VERBS.has(event.verb)) return undefined;
  if (t.apiGroup !== '' && t.apiGroup !== RBAC_GROUP) return undefined;
  if (actingUser(event).username === BOOTSTRAP_WRITER) return undefined;
  const clusterWide = t.resource === 'clusterrolebindings';
  const { roleRef, subjects } = bindingOf(event, clusterWide ? '' : t.namespace);
  if (roleRef?.kind !== 'ClusterRole' || roleRef.name !== 'cluster-admin') return undefined;
  // a binding without subjects grants nothing; a patch that leaves the subjects alone grants nothing new
  if (subjects === undefined || subjects.length === 0) return undefined;
  const kind = clusterWide ? 'ClusterRoleBinding' : 'RoleBinding';
  const binding = clusterWide ? t.name : `${t.namespace}/${t.name}`;
  const scope = clusterWide ? 'cluster-wide' : `in namespace ${t.namespace}`;
  return {
    title: `${listed(subjects.map(subjectLabel))} given cluster-admin ${scope} through ${kind} ${binding}`,
    evidence: {
      binding: { kind, name: t.name, ...(clusterWide ? {} : { namespace: t.namespace }) },
      scope: clusterWide ? 'cluster' : 'namespace',
      subjects,
    },
  };
}

export const clusterAdminBound: AuditRule = {
  id: 'cluster-admin-bound',
  title: 'Someone was given the cluster-admin role through a binding',
  severity: 'high',
  description:
    'A ClusterRoleBinding or RoleBinding created, replaced or patched so that it binds ClusterRole cluster-admin to users, groups or service accounts. Cluster-wide that is full control of the cluster; in a RoleBinding it is full control of the namespace, its Secrets and its RBAC included. Attackers bind cluster-admin to keep access. A patch that does not set the subjects, and bindings to other powerful roles (admin, edit, or a custom role with wildcards), are not reported here.',
  remediation: 'Confirm the grant with the person who made it; delete the binding if it was not intended, and give a narrower role (admin or edit in one namespace, or a purpose-built role) where access is needed.',
  falco: ['Attach to cluster-admin Role'],
  evaluate,
};
