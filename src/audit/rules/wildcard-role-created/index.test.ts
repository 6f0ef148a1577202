import { describe, expect, it } from 'vitest';
import { traceEvents, roleWriteEvent } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditEvent } from '../../event.js';
import { wildcardRoleCreated, wildcardsOf } from './index.js';

const detector = (): Detector => new Detector({}, [wildcardRoleCreated]);

const traceFindings = (file: string) => {
  const d = detector();
  return traceEvents(file).flatMap((e) => d.push(e));
};

/** A ClusterRole (or, with a namespace, a Role) written with `rules`. */
function roleWrite(rules: unknown, options: { namespace?: string; verb?: string; body?: unknown; overrides?: Record<string, unknown> } = {}): AuditEvent {
  return roleWriteEvent(rules, { name: 'ops', ...options });
}

describe('wildcard-role-created', () => {
  it('detects the upstream wildcard-resources trace with the offending rule only', () => {
    const [finding, ...rest] = traceFindings('create_cluster_role_wildcard_resources.json');
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('wildcard-role-created');
    expect(finding?.severity).toBe('high');
    expect(finding?.title).toBe('ClusterRole some-reader created with wildcard resources by minikube-user');
    expect(finding?.evidence['role']).toEqual({ kind: 'ClusterRole', name: 'some-reader' });
    expect(finding?.evidence['rules']).toEqual([{ apiGroups: [''], resources: ['*'], verbs: ['get', 'list'], resourceNames: [], nonResourceURLs: [], wildcards: ['resources'] }]);
  });

  it('detects the upstream wildcard-verbs trace', () => {
    const findings = traceFindings('create_cluster_role_wildcard_verbs.json');
    expect(findings.map((f) => f.title)).toEqual(['ClusterRole some-reader created with wildcard verbs by minikube-user']);
    expect(findings[0]?.evidence['rules']).toMatchObject([{ resources: ['pods'], verbs: ['*'], wildcards: ['verbs'] }]);
  });

  it('ignores the upstream role without wildcards', () => {
    expect(traceEvents('create_clusterrole.json')).toHaveLength(1);
    expect(traceFindings('create_clusterrole.json')).toEqual([]);
  });

  it('names every kind of wildcard of a namespaced Role, and counts a star before a subresource', () => {
    const rules = [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { apiGroups: [''], resources: ['*/exec'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
    ];
    const [finding] = detector().push(roleWrite(rules, { namespace: 'shop' }));
    expect(finding?.title).toBe('Role shop/ops created with wildcard API groups, resources and verbs by alice');
    expect(finding?.evidence['role']).toEqual({ kind: 'Role', name: 'ops', namespace: 'shop' });
    expect(finding?.evidence['rules']).toMatchObject([{ wildcards: ['apiGroups', 'resources', 'verbs'] }, { resources: ['*/exec'], wildcards: ['resources'] }]);
  });

  it('does not count * API groups with named resources, a star after the slash, or * non-resource URLs alone', () => {
    expect(wildcardsOf({ apiGroups: ['*'], resources: ['deployments'], verbs: ['get'], resourceNames: [], nonResourceURLs: [] })).toEqual([]);
    expect(wildcardsOf({ apiGroups: [''], resources: ['pods/*'], verbs: ['get'], resourceNames: [], nonResourceURLs: [] })).toEqual([]);
    const d = detector();
    expect(d.push(roleWrite([{ apiGroups: ['*'], resources: ['deployments'], verbs: ['get'] }, { nonResourceURLs: ['*'], verbs: ['get'] }]))).toEqual([]);
    expect(d.push(roleWrite([{ nonResourceURLs: ['/metrics'], verbs: ['*'] }]))).toHaveLength(1);
  });

  it('reports an update and a patch that sets the rules; a JSON patch by the stored role', () => {
    const d = detector();
    const wild = [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }];
    expect(d.push(roleWrite(wild, { verb: 'update' })).map((f) => f.title)).toEqual(['ClusterRole ops updated with wildcard verbs by alice']);
    expect(d.push(roleWrite(wild, { verb: 'patch' })).map((f) => f.title)).toEqual(['ClusterRole ops patched with wildcard verbs by alice']);
    const jsonPatch = roleWrite(undefined, { verb: 'patch', body: [{ op: 'replace', path: '/rules/0/verbs', value: ['*'] }], overrides: { responseObject: { kind: 'ClusterRole', rules: wild } } });
    expect(d.push(jsonPatch)).toHaveLength(1);
    // a merge patch of labels does not set the rules: the role is not judged again
    expect(d.push(roleWrite(undefined, { verb: 'patch', body: { metadata: { labels: { a: 'b' } } }, overrides: { responseObject: { kind: 'ClusterRole', rules: wild } } }))).toEqual([]);
  });

  it('ignores the API server reconciling its roles, the aggregation controller, a delete and a refused create', () => {
    const d = detector();
    const wild = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
    expect(d.push(roleWrite(wild, { overrides: { user: { username: 'system:apiserver', groups: ['system:masters'] } } }))).toEqual([]);
    expect(d.push(roleWrite(wild, { verb: 'update', overrides: { user: { username: 'system:serviceaccount:kube-system:clusterrole-aggregation-controller' } } }))).toEqual([]);
    expect(d.push(roleWrite(undefined, { verb: 'delete', body: { kind: 'DeleteOptions' } }))).toEqual([]);
    expect(d.push(roleWrite(wild, { overrides: { responseStatus: { code: 403 } } }))).toEqual([]);
    expect(d.push(roleWrite(wild, { overrides: { user: { username: 'system:serviceaccount:kube-system:helm' } } }))).toHaveLength(1);
  });
});
