import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { kubeNamespaceServiceAccountCreated } from './index.js';

const detector = (): Detector => new Detector({}, [kubeNamespaceServiceAccountCreated]);

const traceFindings = (file: string) => {
  const d = detector();
  return traceEvents(file).flatMap((e) => d.push(e));
};

function accountCreate(namespace: string, name: string, username = 'alice', overrides: Record<string, unknown> = {}) {
  return auditEvent({
    verb: 'create',
    user: { username, groups: ['system:authenticated'] },
    requestURI: `/api/v1/namespaces/${namespace}/serviceaccounts`,
    objectRef: { resource: 'serviceaccounts', namespace, name, apiVersion: 'v1' },
    requestObject: { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name } },
    ...overrides,
  });
}

describe('kube-namespace-service-account-created', () => {
  it('detects the upstream kube-system and kube-public traces', () => {
    const [system, ...rest] = traceFindings('create_serviceaccount_kube_system_namespace.json');
    expect(rest).toEqual([]);
    expect(system?.rule).toBe('kube-namespace-service-account-created');
    expect(system?.severity).toBe('medium');
    expect(system?.title).toBe('ServiceAccount kube-system/myacct created by minikube-user');
    expect(system?.evidence['serviceAccount']).toEqual({ name: 'myacct', namespace: 'kube-system' });
    expect(system?.subject).toEqual({ type: 'namespace', namespace: 'kube-system' });
    expect(traceFindings('create_serviceaccount_kube_public_namespace.json').map((f) => f.title)).toEqual(['ServiceAccount kube-public/myacct created by minikube-user']);
  });

  it('ignores the upstream account in default', () => {
    expect(traceEvents('create_serviceaccount.json')).toHaveLength(1);
    expect(traceFindings('create_serviceaccount.json')).toEqual([]);
  });

  it('reports an account named like a controller when a person or another namespace\'s service account creates it', () => {
    const d = detector();
    expect(d.push(accountCreate('kube-system', 'replicaset-controller'))).toHaveLength(1);
    expect(d.push(accountCreate('kube-system', 'coredns', 'system:serviceaccount:argocd:argocd-application-controller'))).toHaveLength(1);
    expect(d.push(accountCreate('kube-public', 'x', 'system:anonymous'))).toHaveLength(1);
  });

  it('leaves out the control plane, token requests, other namespaces, other verbs and refused creates', () => {
    const d = detector();
    expect(d.push(accountCreate('kube-system', 'default', 'system:kube-controller-manager'))).toEqual([]);
    expect(d.push(accountCreate('kube-system', 'default', 'system:serviceaccount:kube-system:service-account-controller'))).toEqual([]);
    expect(d.push(accountCreate('kube-system', 'coredns', 'alice', { objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'kube-system', name: 'coredns' } }))).toEqual([]);
    expect(d.push(accountCreate('kube-node-lease', 'x'))).toEqual([]);
    expect(d.push(accountCreate('kube-system', 'x', 'alice', { verb: 'update', responseStatus: { code: 200 } }))).toEqual([]);
    expect(d.push(accountCreate('kube-system', 'x', 'alice', { responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(accountCreate('kube-system', 'x'))).toHaveLength(1);
  });
});
