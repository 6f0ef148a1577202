import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { systemRoleChanged } from './index.js';

const detector = (): Detector => new Detector({}, [systemRoleChanged]);

const traceFindings = (file: string) => {
  const d = detector();
  return traceEvents(file).flatMap((e) => d.push(e));
};

function roleChange(name: string, options: { verb?: string; namespace?: string; username?: string; resource?: string; overrides?: Record<string, unknown> } = {}) {
  const { verb = 'patch', namespace, username = 'alice', resource = namespace === undefined ? 'clusterroles' : 'roles' } = options;
  return auditEvent({
    verb,
    user: { username, groups: ['system:authenticated'] },
    objectRef: { resource, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1', name, ...(namespace === undefined ? {} : { namespace }) },
    requestObject: verb === 'delete' ? { kind: 'DeleteOptions' } : { rules: [] },
    ...options.overrides,
  });
}

describe('system-role-changed', () => {
  it('detects the upstream delete of system:kube-aggregator', () => {
    const [finding, ...rest] = traceFindings('delete_cluster_role_kube_aggregator.json');
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('system-role-changed');
    expect(finding?.severity).toBe('high');
    expect(finding?.title).toBe('ClusterRole system:kube-aggregator deleted by minikube-user');
    expect(finding?.evidence).toMatchObject({ action: 'delete', role: { kind: 'ClusterRole', name: 'system:kube-aggregator' } });
  });

  it('detects the upstream patch of system:node-problem-detector', () => {
    expect(traceFindings('modify_cluster_role_node_problem_detector.json').map((f) => f.title)).toEqual(['ClusterRole system:node-problem-detector patched by minikube-user']);
  });

  it('ignores the upstream delete of a role without the system: prefix', () => {
    expect(traceEvents('delete_clusterrole.json')).toHaveLength(1);
    expect(traceFindings('delete_clusterrole.json')).toEqual([]);
  });

  it('reports a namespaced system: Role, a create and an update', () => {
    const d = detector();
    expect(d.push(roleChange('system:controller:bootstrap-signer', { namespace: 'kube-system', verb: 'update' })).map((f) => f.title)).toEqual(['Role kube-system/system:controller:bootstrap-signer updated by alice']);
    expect(d.push(roleChange('system:backdoor', { verb: 'create' })).map((f) => f.evidence['action'])).toEqual(['create']);
  });

  it('leaves out the control plane but reports people, anonymous and service accounts of other namespaces', () => {
    const d = detector();
    expect(d.push(roleChange('system:node', { username: 'system:apiserver', verb: 'update' }))).toEqual([]);
    expect(d.push(roleChange('system:node', { username: 'system:kube-controller-manager' }))).toEqual([]);
    expect(d.push(roleChange('system:aggregate-to-edit', { username: 'system:serviceaccount:kube-system:clusterrole-aggregation-controller', verb: 'update' }))).toEqual([]);
    expect(d.push(roleChange('system:node', { username: 'system:serviceaccount:ci:deployer' }))).toHaveLength(1);
    expect(d.push(roleChange('system:node', { username: 'system:anonymous' }))).toHaveLength(1);
  });

  it('ignores the routine system roles, other roles, bindings, reads and refused requests', () => {
    const d = detector();
    expect(d.push(roleChange('system:coredns', { verb: 'update' }))).toEqual([]);
    expect(d.push(roleChange('system:managed-certificate-controller'))).toEqual([]);
    expect(d.push(roleChange('view'))).toEqual([]);
    expect(d.push(roleChange('system:node', { resource: 'clusterrolebindings' }))).toEqual([]);
    expect(d.push(roleChange('system:node', { verb: 'get' }))).toEqual([]);
    expect(d.push(roleChange('system:node', { verb: 'delete', overrides: { responseStatus: { code: 403 } } }))).toEqual([]);
    expect(d.push(roleChange('system:node', { verb: 'delete' }))).toHaveLength(1);
  });
});
