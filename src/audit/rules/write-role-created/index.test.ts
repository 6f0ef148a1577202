import { describe, expect, it } from 'vitest';
import { traceEvents, roleWriteEvent } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditEvent } from '../../event.js';
import { writeRoleCreated } from './index.js';

const detector = (): Detector => new Detector({}, [writeRoleCreated]);

const traceFindings = (file: string) => {
  const d = detector();
  return traceEvents(file).flatMap((e) => d.push(e));
};

function roleWrite(rules: unknown, options: { namespace?: string; verb?: string; body?: unknown; overrides?: Record<string, unknown> } = {}): AuditEvent {
  return roleWriteEvent(rules, { name: 'deployer', ...options });
}

describe('write-role-created', () => {
  it('detects the upstream write-privileges trace (delete on non-resource URLs)', () => {
    const [finding, ...rest] = traceFindings('create_cluster_role_write_privileges.json');
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('write-role-created');
    expect(finding?.severity).toBe('low');
    expect(finding?.title).toBe('ClusterRole some-reader created granting delete on /api, /api/*, /apis and 10 more by minikube-user');
    expect(finding?.evidence['writes']).toEqual([{ verbs: ['delete'], nonResourceURLs: expect.arrayContaining(['/healthz', '/version/']) as unknown }]);
  });

  it('ignores the upstream read-only role', () => {
    expect(traceFindings('create_clusterrole.json')).toEqual([]);
  });

  it('lists the write verbs and the resources of a namespaced Role, with resourceNames', () => {
    const rules = [
      { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['get', 'patch', 'update'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'], verbs: ['delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    ];
    const [finding] = detector().push(roleWrite(rules, { namespace: 'shop' }));
    expect(finding?.title).toBe('Role shop/deployer created granting update, patch, delete on deployments, deployments/scale and configmaps by alice');
    expect(finding?.evidence['role']).toEqual({ kind: 'Role', name: 'deployer', namespace: 'shop' });
    expect(finding?.evidence['writes']).toEqual([
      { verbs: ['patch', 'update'], resources: ['deployments', 'deployments/scale'], apiGroups: ['apps'] },
      { verbs: ['delete'], resources: ['configmaps'], apiGroups: [''], resourceNames: ['app-config'] },
    ]);
  });

  it('leaves rules with wildcards to wildcard-role-created but reports the other rules of the role', () => {
    const d = detector();
    expect(d.push(roleWrite([{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }, { apiGroups: [''], resources: ['*'], verbs: ['create'] }]))).toEqual([]);
    const [finding] = d.push(roleWrite([{ apiGroups: [''], resources: ['*'], verbs: ['create'] }, { apiGroups: ['batch'], resources: ['jobs'], verbs: ['deletecollection'] }]));
    expect(finding?.evidence['writes']).toEqual([{ verbs: ['deletecollection'], resources: ['jobs'], apiGroups: ['batch'] }]);
  });

  it('reports an update, and ignores patches, maintainers, deletes, refused requests and escalate/bind', () => {
    const d = detector();
    const writes = [{ apiGroups: [''], resources: ['services'], verbs: ['create'] }];
    expect(d.push(roleWrite(writes, { verb: 'update' })).map((f) => f.title)).toEqual(['ClusterRole deployer updated granting create on services by alice']);
    expect(d.push(roleWrite(writes, { verb: 'patch' }))).toEqual([]);
    expect(d.push(roleWrite(writes, { overrides: { user: { username: 'system:apiserver' } } }))).toEqual([]);
    expect(d.push(roleWrite(writes, { verb: 'update', overrides: { user: { username: 'system:serviceaccount:kube-system:clusterrole-aggregation-controller' } } }))).toEqual([]);
    expect(d.push(roleWrite(writes, { verb: 'delete' }))).toEqual([]);
    expect(d.push(roleWrite(writes, { overrides: { responseStatus: { code: 422 } } }))).toEqual([]);
    expect(d.push(roleWrite([{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['escalate', 'bind'] }]))).toEqual([]);
  });
});
