import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { changeTrail } from './index.js';

const detector = (activity = true): Detector => new Detector({ activity }, [changeTrail]);

const traceFindings = (file: string) => {
  const d = detector();
  return traceEvents(file).flatMap((e) => d.push(e));
};

/** Each upstream trace with the Falco activity rule it fires and our title (without " by <user>"). */
const UPSTREAM: ReadonlyArray<[file: string, activity: string, title: string]> = [
  ['create_deployment.json', 'K8s Deployment Created', 'Deployment default/nginx-deployment created'],
  ['delete_deployment.json', 'K8s Deployment Deleted', 'Deployment default/nginx-deployment deleted'],
  ['create_service.json', 'K8s Service Created', 'Service default/nginx created'],
  ['delete_service.json', 'K8s Service Deleted', 'Service default/nginx deleted'],
  ['create_configmap.json', 'K8s ConfigMap Created', 'ConfigMap default/my-config created'],
  ['delete_configmap.json', 'K8s ConfigMap Deleted', 'ConfigMap default/my-config deleted'],
  ['some-user_creates_namespace_foo.json', 'K8s Namespace Created', 'Namespace foo created'],
  ['delete_namespace_foo.json', 'K8s Namespace Deleted', 'Namespace foo deleted'],
  ['create_serviceaccount.json', 'K8s Serviceaccount Created', 'ServiceAccount default/myacct created'],
  ['delete_serviceaccount.json', 'K8s Serviceaccount Deleted', 'ServiceAccount default/myacct deleted'],
  ['create_clusterrole.json', 'K8s ClusterRole Created', 'ClusterRole some-reader created'],
  ['delete_clusterrole.json', 'K8s ClusterRole Deleted', 'ClusterRole some-reader deleted'],
  ['create_clusterrolebinding.json', 'K8s ClusterRoleBinding Created', 'ClusterRoleBinding some-reader-binding created'],
  ['delete_clusterrolebinding.json', 'K8s ClusterRoleBinding Deleted', 'ClusterRoleBinding some-reader-binding deleted'],
  ['create_secret.json', 'K8s Secret Created', 'Secret default/example-secret created'],
  ['delete_secret.json', 'K8s Secret Deleted', 'Secret default/example-secret deleted'],
];

describe('change-trail', () => {
  it.each(UPSTREAM)('records the upstream trace %s as %s', (file, activity, title) => {
    const findings = traceFindings(file);
    expect(findings.map((f) => f.evidence['activity'])).toEqual([activity]);
    expect(findings[0]?.title).toBe(`${title} by ${String(findings[0]?.evidence['user'])}`);
    expect(findings[0]?.severity).toBe('info');
    expect(changeTrail.falco).toContain(activity);
  });

  it('leaves out the upstream service account token Secret and the kube-system Secret', () => {
    for (const file of ['create_service_account_token_secret.json', 'create_kube_system_secret.json']) {
      expect(traceEvents(file)).toHaveLength(1);
      expect(traceFindings(file)).toEqual([]);
    }
  });

  it('is off unless activity is on', () => {
    expect(detector(false).rules).toEqual([]);
    const d = detector(false);
    expect(traceEvents('create_deployment.json').flatMap((e) => d.push(e))).toEqual([]);
  });

  it('names the object in the evidence, and records namespaced RBAC objects', () => {
    const d = detector();
    const [role] = d.push(auditEvent({ verb: 'create', objectRef: { resource: 'roles', apiGroup: 'rbac.authorization.k8s.io', namespace: 'shop', name: 'reader' } }));
    expect(role?.title).toBe('Role shop/reader created by alice');
    expect(role?.evidence).toMatchObject({ activity: 'K8s Role Created', object: { kind: 'Role', name: 'reader', namespace: 'shop' } });
    const [binding] = d.push(auditEvent({ verb: 'delete', objectRef: { resource: 'rolebindings', apiGroup: 'rbac.authorization.k8s.io', namespace: 'shop', name: 'readers' } }));
    expect(binding?.evidence['activity']).toBe('K8s RoleBinding Deleted');
    const [deployment] = d.push(auditEvent({ verb: 'create', objectRef: { resource: 'deployments', apiGroup: 'apps', namespace: 'shop' }, responseObject: { metadata: { name: 'web' } } }));
    expect(deployment?.title).toBe('Deployment shop/web created by alice');
  });

  it('records Secrets of people outside kube-system only', () => {
    const d = detector();
    const secret = (namespace: string, username: string, verb = 'create') => auditEvent({ verb, user: { username }, objectRef: { resource: 'secrets', namespace, name: 's' } });
    expect(d.push(secret('shop', 'system:serviceaccount:shop:operator'))).toEqual([]);
    expect(d.push(secret('kube-system', 'alice', 'delete'))).toEqual([]);
    expect(d.push(secret('shop', 'system:anonymous'))).toHaveLength(1);
    expect(d.push(secret('shop', 'alice', 'delete')).map((f) => f.evidence['activity'])).toEqual(['K8s Secret Deleted']);
  });

  it('ignores updates, subresources, other API groups, other kinds and refused requests', () => {
    const d = detector();
    expect(d.push(auditEvent({ verb: 'update', objectRef: { resource: 'configmaps', namespace: 'shop', name: 'x' } }))).toEqual([]);
    expect(d.push(auditEvent({ verb: 'create', objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'shop', name: 'x' } }))).toEqual([]);
    expect(d.push(auditEvent({ verb: 'create', objectRef: { resource: 'services', apiGroup: 'serving.knative.dev', namespace: 'shop', name: 'x' } }))).toEqual([]);
    expect(d.push(auditEvent({ verb: 'create', objectRef: { resource: 'pods', namespace: 'shop', name: 'x' } }))).toEqual([]);
    expect(d.push(auditEvent({ verb: 'delete', objectRef: { resource: 'services', namespace: 'shop', name: 'x' }, responseStatus: { code: 404 } }))).toEqual([]);
    expect(d.push(auditEvent({ verb: 'delete', objectRef: { resource: 'services', namespace: 'shop', name: 'x' } }))).toHaveLength(1);
  });

  it('lists every Falco activity rule it stands for', () => {
    expect(changeTrail.falco).toHaveLength(20);
    expect(new Set(changeTrail.falco).size).toBe(20);
  });
});
