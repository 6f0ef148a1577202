import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { clusterAdminBound } from './index.js';

const detector = (): Detector => new Detector({}, [clusterAdminBound]);

const traceFindings = (file: string) => {
  const d = detector();
  return traceEvents(file).flatMap((e) => d.push(e));
};

/** A create of a RoleBinding (namespace given) or ClusterRoleBinding with `body` laid over a binding to cluster-admin. */
function bindingWrite(options: { namespace?: string; name?: string; verb?: string; body?: unknown; overrides?: Record<string, unknown> } = {}) {
  const { namespace, name = 'admins', verb = 'create' } = options;
  const resource = namespace === undefined ? 'clusterrolebindings' : 'rolebindings';
  const body = options.body ?? {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: namespace === undefined ? 'ClusterRoleBinding' : 'RoleBinding',
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory' }],
  };
  return auditEvent({
    verb,
    requestURI: `/apis/rbac.authorization.k8s.io/v1/${namespace === undefined ? '' : `namespaces/${namespace}/`}${resource}${verb === 'create' ? '' : `/${name}`}`,
    objectRef: { resource, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1', name, ...(namespace === undefined ? {} : { namespace }) },
    requestObject: body,
    ...options.overrides,
  });
}

describe('cluster-admin-bound', () => {
  it('detects the upstream cluster-admin binding trace, naming the subject and the scope', () => {
    const [finding, ...rest] = traceFindings('attach_cluster_admin_role.json');
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('cluster-admin-bound');
    expect(finding?.severity).toBe('high');
    expect(finding?.title).toBe('User minikube given cluster-admin cluster-wide through ClusterRoleBinding some-reader-binding by minikube-user');
    expect(finding?.evidence).toMatchObject({
      binding: { kind: 'ClusterRoleBinding', name: 'some-reader-binding' },
      scope: 'cluster',
      subjects: [{ kind: 'User', name: 'minikube' }],
    });
    expect(finding?.subject).toEqual({ type: 'cluster' });
  });

  it('ignores the upstream binding to system:basic-user', () => {
    expect(traceEvents('create_clusterrolebinding.json')).toHaveLength(1);
    expect(traceFindings('create_clusterrolebinding.json')).toEqual([]);
  });

  it('reports a RoleBinding to cluster-admin in its namespace, with a service account defaulting to that namespace', () => {
    const body = {
      kind: 'RoleBinding',
      metadata: { name: 'admins', namespace: 'shop' },
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'build' }, { kind: 'Group', name: 'devs' }],
    };
    const [finding] = detector().push(bindingWrite({ namespace: 'shop', body }));
    expect(finding?.title).toBe('ServiceAccount shop/deployer, ServiceAccount build/ci and Group devs given cluster-admin in namespace shop through RoleBinding shop/admins by alice');
    expect(finding?.evidence['binding']).toEqual({ kind: 'RoleBinding', name: 'admins', namespace: 'shop' });
    expect(finding?.evidence['scope']).toBe('namespace');
    expect(finding?.evidence['subjects']).toEqual([
      { kind: 'ServiceAccount', name: 'deployer', namespace: 'shop' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'build' },
      { kind: 'Group', name: 'devs' },
    ]);
    expect(finding?.subject).toEqual({ type: 'namespace', namespace: 'shop' });
  });

  it('shortens a long subject list in the title and keeps every subject in the evidence', () => {
    const subjects = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ kind: 'User', name }));
    const [finding] = detector().push(bindingWrite({ body: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects } }));
    expect(finding?.title).toBe('User a, User b, User c and 2 more given cluster-admin cluster-wide through ClusterRoleBinding admins by alice');
    expect(finding?.evidence['subjects']).toHaveLength(5);
  });

  it('reports an update, and a patch that sets the subjects of the existing cluster-admin binding', () => {
    const d = detector();
    expect(d.push(bindingWrite({ verb: 'update' })).map((f) => f.rule)).toEqual(['cluster-admin-bound']);
    // roleRef cannot change, so a merge patch leaves it out: it is read from the stored binding
    const stored = { kind: 'ClusterRoleBinding', metadata: { name: 'cluster-admin' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }, { kind: 'User', name: 'mallory' }] };
    const merge = bindingWrite({ verb: 'patch', name: 'cluster-admin', body: { subjects: stored.subjects }, overrides: { responseObject: stored } });
    expect(d.push(merge).map((f) => f.title)).toEqual(['Group system:masters and User mallory given cluster-admin cluster-wide through ClusterRoleBinding cluster-admin by alice']);
    // a JSON patch is a list of operations: the stored binding says what it became
    const jsonPatch = bindingWrite({ verb: 'patch', name: 'cluster-admin', body: [{ op: 'add', path: '/subjects/-', value: { kind: 'User', name: 'mallory' } }], overrides: { responseObject: stored } });
    expect(d.push(jsonPatch)).toHaveLength(1);
  });

  it('ignores a patch that leaves the subjects alone, a binding with no subjects, and bindings to other roles', () => {
    const d = detector();
    const stored = { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] };
    expect(d.push(bindingWrite({ verb: 'patch', name: 'cluster-admin', body: { metadata: { labels: { team: 'platform' } } }, overrides: { responseObject: stored } }))).toEqual([]);
    expect(d.push(bindingWrite({ body: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [] } }))).toEqual([]);
    expect(d.push(bindingWrite({ body: { roleRef: { kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'User', name: 'mallory' }] } }))).toEqual([]);
    // a namespaced Role that happens to be called cluster-admin is not the ClusterRole
    expect(d.push(bindingWrite({ namespace: 'shop', body: { roleRef: { kind: 'Role', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'mallory' }] } }))).toEqual([]);
    expect(d.push(bindingWrite())).toHaveLength(1);
  });

  it('ignores a delete, a refused create, the bootstrap binding written by the API server and the request without a body', () => {
    const d = detector();
    expect(d.push(bindingWrite({ verb: 'delete', body: { kind: 'DeleteOptions' } }))).toEqual([]);
    expect(d.push(bindingWrite({ overrides: { responseStatus: { code: 403 } } }))).toEqual([]);
    expect(d.push(bindingWrite({ overrides: { user: { username: 'system:apiserver', groups: ['system:masters'] } } }))).toEqual([]);
    expect(d.push(bindingWrite({ overrides: { level: 'Metadata', requestObject: undefined } }))).toEqual([]);
    expect(d.push(bindingWrite({ overrides: { user: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts'] } } }))).toHaveLength(1);
  });
});
