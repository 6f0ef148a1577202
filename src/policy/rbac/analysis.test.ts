import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../test/k8s.js';
import type { PolicyRule, RbacSubject, ResourceKind, RoleBindingInfo } from '../../core/inventory.js';
import { RESOURCE_KINDS } from '../../core/inventory.js';
import { analyzeRbac, isDefaultSystemBinding, risksOf } from './analysis.js';

type Json = Record<string, unknown>;
const RBAC = 'rbac.authorization.k8s.io/v1';

const r = (verbs: string[], apiGroups: string[], resources: string[], resourceNames: string[] = []): PolicyRule => ({ verbs, apiGroups, resources, resourceNames, nonResourceURLs: [] });
const rawRule = (rule: PolicyRule): Json => ({ verbs: rule.verbs, apiGroups: rule.apiGroups, resources: rule.resources, ...(rule.resourceNames.length > 0 ? { resourceNames: rule.resourceNames } : {}) });

function clusterRole(name: string, rules: PolicyRule[], extra: Json = {}): Json {
  return { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name, ...((extra.metadata) ?? {}) }, rules: rules.map(rawRule), ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'metadata')) };
}
function clusterRoleBinding(name: string, roleName: string, subjects: Json[], labels: Record<string, string> = {}): Json {
  return { apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name, labels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects };
}
function roleBinding(ns: string, name: string, roleKind: 'Role' | 'ClusterRole', roleName: string, subjects: Json[]): Json {
  return { apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName }, subjects };
}
const saSubject = (ns: string, name: string): Json => ({ kind: 'ServiceAccount', name, namespace: ns });
const user = (name: string): Json => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const group = (name: string): Json => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });
function serviceAccount(ns: string, name: string, automount?: boolean): Json {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns }, ...(automount === undefined ? {} : { automountServiceAccountToken: automount }) };
}
function podAs(ns: string, name: string, sa: string | undefined, extra: { automount?: boolean; owner?: [string, string] } = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name }, ...(extra.owner === undefined ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: extra.owner[0], name: extra.owner[1], controller: true }] }) },
    spec: { ...(sa === undefined ? {} : { serviceAccountName: sa }), ...(extra.automount === undefined ? {} : { automountServiceAccountToken: extra.automount }), containers: [{ name: 'app', image: 'ghcr.io/acme/app:1.0' }] },
    status: { phase: 'Running' },
  };
}

const secretsReader = clusterRole('secret-reader', [r(['get', 'list'], [''], ['secrets'])]);

describe('risks of a role', () => {
  it.each([
    ['cluster-admin by name, whatever its rules', 'ClusterRole', 'cluster-admin', [r(['get'], [''], ['deployments'])], ['cluster-admin']],
    ['every verb on everything', 'ClusterRole', 'x', [r(['*'], ['*'], ['*'])], ['cluster-admin']],
    ['the seven verbs on everything (cluster-admin in all but name)', 'Role', 'x', [r(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], ['*'], ['*'])], ['cluster-admin']],
    ['read-only on everything: wildcard, secrets and exec (get on pods/exec), not admin', 'ClusterRole', 'x', [r(['get', 'list'], ['*'], ['*'])], ['wildcard', 'secrets-read', 'pod-exec']],
    ['every verb on core resources: wildcard, secrets, exec, escalation (impersonate, token)', 'ClusterRole', 'x', [r(['*'], [''], ['*'])], ['wildcard', 'secrets-read', 'pod-exec', 'privilege-escalation']],
    ['every verb on pods only: wildcard verbs, nothing else', 'Role', 'x', [r(['*'], [''], ['pods'])], ['wildcard']],
    ['watch secrets', 'Role', 'x', [r(['watch'], [''], ['secrets'])], ['secrets-read']],
    ['create secrets only is not reading', 'Role', 'x', [r(['create', 'delete'], [''], ['secrets'])], []],
    ['secrets in another API group are not core Secrets', 'Role', 'x', [r(['get'], ['example.com'], ['secrets'])], []],
    ['create pods/exec', 'Role', 'x', [r(['create'], [''], ['pods/exec'])], ['pod-exec']],
    ['get pods/attach (WebSocket before 1.30)', 'Role', 'x', [r(['get'], [''], ['pods/attach'])], ['pod-exec']],
    ['list pods/exec does not exec', 'Role', 'x', [r(['list'], [''], ['pods/exec'])], []],
    ['create on */exec', 'ClusterRole', 'x', [r(['create'], [''], ['*/exec'])], ['pod-exec']],
    ['escalate clusterroles', 'ClusterRole', 'x', [r(['escalate'], ['rbac.authorization.k8s.io'], ['clusterroles'])], ['privilege-escalation']],
    ['bind roles', 'Role', 'x', [r(['bind'], ['rbac.authorization.k8s.io'], ['roles'])], ['privilege-escalation']],
    ['impersonate users', 'ClusterRole', 'x', [r(['impersonate'], [''], ['users'])], ['privilege-escalation']],
    ['create serviceaccounts/token', 'Role', 'x', [r(['create'], [''], ['serviceaccounts/token'])], ['privilege-escalation']],
    ['view-like rules carry no risk', 'ClusterRole', 'view', [r(['get', 'list', 'watch'], ['', 'apps'], ['pods', 'services', 'deployments', 'configmaps'])], []],
  ] as Array<[string, 'Role' | 'ClusterRole', string, PolicyRule[], string[]]>)('%s', (_name, kind, name, rules, expected) => {
    expect(risksOf(kind, name, rules).map((h) => h.risk)).toEqual(expected);
  });

  it('says which Secrets a resourceNames rule opens, and marks it narrow', () => {
    const [hit] = risksOf('Role', 'x', [r(['get'], [''], ['secrets'], ['db-password', 'tls'])]);
    expect([hit?.detail, hit?.narrow, hit?.rules]).toEqual(['can get the Secrets db-password, tls', true, ['get secrets (core) [names: db-password, tls]']]);
  });
});

describe('default system bindings', () => {
  const binding = (name: string, roleName: string, subjects: RbacSubject[], labels: Record<string, string> = {}): RoleBindingInfo => ({
    kind: 'ClusterRoleBinding',
    name,
    namespace: undefined,
    labels,
    roleRef: { kind: 'ClusterRole', name: roleName },
    subjects,
    invalid: undefined,
    origin: undefined,
    raw: undefined,
  });
  const boot = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
  it.each([
    ['controller role to a kube-system ServiceAccount', binding('system:controller:job-controller', 'system:controller:job-controller', [{ kind: 'ServiceAccount', name: 'job-controller', namespace: 'kube-system' }]), true],
    ['system role to a system user', binding('system:kube-scheduler', 'system:kube-scheduler', [{ kind: 'User', name: 'system:kube-scheduler', namespace: undefined }]), true],
    ['the bootstrap cluster-admin binding of system:masters', binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters', namespace: undefined }], boot), true],
    ['cluster-admin to system:masters without the bootstrap label', binding('masters', 'cluster-admin', [{ kind: 'Group', name: 'system:masters', namespace: undefined }]), false],
    ['a bootstrap-labelled cluster-admin binding to a person', binding('cluster-admin', 'cluster-admin', [{ kind: 'User', name: 'mallory', namespace: undefined }], boot), false],
    ['a system role bound to system:authenticated (everyone)', binding('system:node-everyone', 'system:node', [{ kind: 'Group', name: 'system:authenticated', namespace: undefined }]), false],
    ['a system role bound to an application ServiceAccount', binding('system:x', 'system:controller:x', [{ kind: 'ServiceAccount', name: 'app', namespace: 'shop' }]), false],
    ['a system-prefixed binding name does not make a user binding default', binding('system:test', 'test', [{ kind: 'User', name: 'testuser', namespace: undefined }]), false],
  ] as Array<[string, RoleBindingInfo, boolean]>)('%s', (_name, b, expected) => {
    expect(isDefaultSystemBinding(b)).toBe(expected);
  });
});

describe('RBAC analysis', () => {
  it('attributes a ServiceAccount\u2019s grants to the workloads whose pods run as it, with the token state', () => {
    const inv = inventoryOf([
      secretsReader,
      roleBinding('shop', 'web-secrets', 'ClusterRole', 'secret-reader', [saSubject('shop', 'web')]),
      serviceAccount('shop', 'web'),
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { template: { spec: { serviceAccountName: 'web', containers: [{ name: 'a', image: 'a:1' }] } } } },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'shop', ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } },
      podAs('shop', 'web-1-a', 'web', { owner: ['ReplicaSet', 'web-1'] }),
      podAs('shop', 'web-1-b', 'web', { owner: ['ReplicaSet', 'web-1'] }),
      podAs('shop', 'other', undefined),
    ]);
    const analysis = analyzeRbac(inv);
    expect(analysis.workloads.map((w) => [w.workload.name, w.serviceAccount, w.tokenMounted, w.pods, w.grants.map((g) => `${g.risk} ${g.binding} ${g.namespace ?? 'cluster'}`)])).toEqual([
      ['web', 'shop/web', true, ['web-1-a', 'web-1-b'], ['secrets-read RoleBinding shop/web-secrets shop']],
    ]);
    expect(analysis.principals.map((p) => [p.kind, p.namespace, p.name, p.unused])).toEqual([['ServiceAccount', 'shop', 'web', false]]);
  });

  it('expands the groups every ServiceAccount is in: system:serviceaccounts:<ns>, system:serviceaccounts, system:authenticated', () => {
    const objects = (subject: Json): Json[] => [secretsReader, clusterRoleBinding('everyone', 'secret-reader', [subject]), podAs('shop', 'a', undefined), podAs('ops', 'b', 'robot')];
    const attributed = (subject: Json): string[] => analyzeRbac(inventoryOf(objects(subject))).workloads.map((w) => `${w.serviceAccount} via ${w.grants[0]?.via ?? ''}`);
    expect(attributed(group('system:serviceaccounts:shop'))).toEqual(['shop/default via Group system:serviceaccounts:shop']);
    expect(attributed(group('system:serviceaccounts'))).toEqual(['shop/default via Group system:serviceaccounts', 'ops/robot via Group system:serviceaccounts']);
    expect(attributed(group('system:authenticated'))).toEqual(['shop/default via Group system:authenticated', 'ops/robot via Group system:authenticated']);
    expect(attributed(user('system:serviceaccount:ops:robot'))).toEqual(['ops/robot via User system:serviceaccount:ops:robot']);
    expect(attributed(group('developers'))).toEqual([]);
  });

  it('defaults a RoleBinding\u2019s ServiceAccount subject namespace to the binding\u2019s', () => {
    const inv = inventoryOf([secretsReader, roleBinding('shop', 'b', 'ClusterRole', 'secret-reader', [{ kind: 'ServiceAccount', name: 'web' }]), podAs('shop', 'web', 'web')]);
    expect(analyzeRbac(inv).workloads.map((w) => w.serviceAccount)).toEqual(['shop/web']);
  });

  it('reads the token state from the pod spec first, then the ServiceAccount', () => {
    const objects = [secretsReader, clusterRoleBinding('b', 'secret-reader', [saSubject('shop', 'web')]), serviceAccount('shop', 'web', false)];
    const state = (pod: Json): [boolean, string] => {
      const w = analyzeRbac(inventoryOf([...objects, pod])).workloads[0];
      return [w?.tokenMounted ?? true, w?.tokenBecause ?? ''];
    };
    expect(state(podAs('shop', 'p', 'web'))).toEqual([false, 'ServiceAccount web automountServiceAccountToken: false']);
    expect(state(podAs('shop', 'p', 'web', { automount: true }))).toEqual([true, 'pod spec automountServiceAccountToken: true']);
  });

  it('includes the rules of aggregated ClusterRoles (aggregationRule.clusterRoleSelectors)', () => {
    const inv = inventoryOf([
      clusterRole('monitoring', [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }] } }),
      clusterRole('monitoring-secrets', [r(['list'], [''], ['secrets'])], { metadata: { labels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } } }),
      clusterRoleBinding('prometheus', 'monitoring', [saSubject('monitoring', 'prometheus')]),
    ]);
    expect(analyzeRbac(inv).principals.map((p) => [p.name, p.unused, p.grants.map((g) => `${g.risk}: ${g.rules.join('; ')}`)])).toEqual([['prometheus', true, ['secrets-read: list secrets (core)']]]);
  });

  it('leaves Kubernetes\u2019 default bindings out and counts them', () => {
    const inv = inventoryOf([
      clusterRole('cluster-admin', [r(['*'], ['*'], ['*'])], { metadata: { labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } } }),
      clusterRoleBinding('cluster-admin', 'cluster-admin', [group('system:masters')], { 'kubernetes.io/bootstrapping': 'rbac-defaults' }),
      clusterRoleBinding('ops-admins', 'cluster-admin', [group('ops')]),
    ]);
    const analysis = analyzeRbac(inv);
    expect([analysis.defaultBindings, analysis.principals.map((p) => `${p.kind} ${p.name}: ${p.grants.map((g) => g.risk).join(',')}`)]).toEqual([1, ['Group ops: cluster-admin']]);
  });

  it('lists bindings to anonymous users with what they grant, except the default public-info-viewer', () => {
    const inv = inventoryOf([
      { ...clusterRole('system:public-info-viewer', []), rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }] },
      clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')], { 'kubernetes.io/bootstrapping': 'rbac-defaults' }),
      secretsReader,
      roleBinding('shop', 'oops', 'ClusterRole', 'secret-reader', [user('system:anonymous')]),
    ]);
    const analysis = analyzeRbac(inv);
    expect(analysis.anonymous.map((a) => [a.binding, a.subjects, a.risks.map((x) => x.risk)])).toEqual([['RoleBinding shop/oops', ['User system:anonymous'], ['secrets-read']]]);
    expect(analysis.principals).toEqual([]);
  });

  it('reports a binding to a role that does not exist as an issue, and one to a role that was not read as unknown', () => {
    const dangling = analyzeRbac(inventoryOf([clusterRoleBinding('ghost', 'does-not-exist', [user('testuser')])]));
    expect(dangling.issues.map((i) => i.message)).toEqual(['ClusterRoleBinding ghost refers to ClusterRole does-not-exist, which does not exist: it grants nothing now, but creating that role would grant it to User testuser']);
    const complete = RESOURCE_KINDS.filter((k) => k !== 'ClusterRole');
    const unknown = analyzeRbac(inventoryOf([clusterRoleBinding('b', 'reader', [user('u')])], { complete }));
    expect(unknown.issues.map((i) => [i.code, i.message])).toEqual([['rbac-role-unknown', '1 binding(s) refer to roles that were not read, so what they grant is unknown: ClusterRoleBinding b → ClusterRole reader']]);
  });

  it('still knows the bootstrap cluster-admin ClusterRole when ClusterRoles were not read', () => {
    const complete = RESOURCE_KINDS.filter((k) => k !== 'ClusterRole');
    const analysis = analyzeRbac(inventoryOf([clusterRoleBinding('b', 'cluster-admin', [user('u')])], { complete }));
    expect([analysis.issues, analysis.principals.map((p) => p.grants.map((g) => g.risk))]).toEqual([[], [['cluster-admin']]]);
  });

  it('is unavailable without bindings: one issue for a cluster scan, none for manifests without pods', () => {
    const complete: ResourceKind[] = ['Namespace', 'Pod'];
    const scan = analyzeRbac(inventoryOf([podAs('shop', 'p', undefined)], { complete }));
    expect([scan.available, scan.issues.map((i) => i.code)]).toEqual([false, ['rbac-unknown']]);
    const manifests = analyzeRbac(inventoryOf([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } }], { complete: ['Deployment'] }));
    expect([manifests.available, manifests.issues]).toEqual([false, []]);
  });

  it('keeps an invalid binding out of the analysis with an issue naming the field', () => {
    const inv = inventoryOf([{ apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: 'bad' }, roleRef: { kind: 'Role', name: 'x' }, subjects: [user('u')] }]);
    expect(inv.issues.map((i) => i.message)).toEqual(['ClusterRoleBinding bad: roleRef.kind: a ClusterRoleBinding can only refer to a ClusterRole; what it grants cannot be evaluated']);
    expect(analyzeRbac(inv).principals).toEqual([]);
  });
});
