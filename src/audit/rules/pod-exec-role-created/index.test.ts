import { describe, expect, it } from 'vitest';
import { traceEvents, roleWriteEvent } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditEvent } from '../../event.js';
import { podExecRoleCreated } from './index.js';

const detector = (): Detector => new Detector({}, [podExecRoleCreated]);

const traceFindings = (file: string) => {
  const d = detector();
  return traceEvents(file).flatMap((e) => d.push(e));
};

function roleWrite(rules: unknown, options: { namespace?: string; verb?: string; body?: unknown; overrides?: Record<string, unknown> } = {}): AuditEvent {
  return roleWriteEvent(rules, { name: 'debugger', ...options });
}

describe('pod-exec-role-created', () => {
  it('detects the upstream pod-exec role trace', () => {
    const [finding, ...rest] = traceFindings('create_cluster_role_pod_exec.json');
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('pod-exec-role-created');
    expect(finding?.severity).toBe('medium');
    expect(finding?.title).toBe('ClusterRole some-reader created granting pods/exec by minikube-user');
    expect(finding?.evidence['granted']).toEqual(['pods/exec']);
    expect(finding?.evidence['rules']).toEqual([{ apiGroups: [''], resources: ['pods/exec'], verbs: ['get'], resourceNames: [], nonResourceURLs: [] }]);
  });

  it('ignores the upstream roles without pods/exec, wildcard ones included', () => {
    for (const file of ['create_clusterrole.json', 'create_cluster_role_wildcard_resources.json', 'create_cluster_role_wildcard_verbs.json']) expect(traceFindings(file)).toEqual([]);
  });

  it('reports pods/attach in a namespaced Role, and an update', () => {
    const rules = [{ apiGroups: [''], resources: ['pods', 'pods/attach', 'pods/exec'], verbs: ['create'] }];
    const [finding] = detector().push(roleWrite(rules, { namespace: 'shop', verb: 'update' }));
    expect(finding?.title).toBe('Role shop/debugger updated granting pods/exec and pods/attach by alice');
    expect(finding?.evidence['role']).toEqual({ kind: 'Role', name: 'debugger', namespace: 'shop' });
    expect(finding?.subject).toEqual({ type: 'namespace', namespace: 'shop' });
  });

  it('needs the core group and a verb that opens a session; wildcards are not its concern', () => {
    const d = detector();
    expect(d.push(roleWrite([{ apiGroups: ['example.com'], resources: ['pods/exec'], verbs: ['create'] }]))).toEqual([]);
    expect(d.push(roleWrite([{ apiGroups: [''], resources: ['pods/exec'], verbs: ['list', 'watch'] }]))).toEqual([]);
    expect(d.push(roleWrite([{ apiGroups: [''], resources: ['*/exec', 'pods/*'], verbs: ['create'] }]))).toEqual([]);
    expect(d.push(roleWrite([{ apiGroups: ['*'], resources: ['pods/exec'], verbs: ['*'] }]))).toHaveLength(1);
  });

  it('ignores maintainers, deletes and refused requests', () => {
    const d = detector();
    const rules = [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }];
    expect(d.push(roleWrite(rules, { overrides: { user: { username: 'system:apiserver' } } }))).toEqual([]);
    expect(d.push(roleWrite(rules, { verb: 'update', overrides: { user: { username: 'system:serviceaccount:kube-system:clusterrole-aggregation-controller' } } }))).toEqual([]);
    expect(d.push(roleWrite(rules, { verb: 'delete' }))).toEqual([]);
    expect(d.push(roleWrite(rules, { overrides: { responseStatus: { code: 403 } } }))).toEqual([]);
    expect(d.push(roleWrite(rules, { verb: 'patch' }))).toHaveLength(1);
  });
});
