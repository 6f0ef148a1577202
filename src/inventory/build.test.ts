import { describe, expect, it } from 'vitest';
import { digest, inventoryOf, object, pod } from '../../test/k8s.js';

describe('buildInventory', () => {
  it('resolves pod → ReplicaSet → Deployment and Job → CronJob to the top-level workload', () => {
    const inv = inventoryOf([
      object('Deployment', 'web', 'shop'),
      object('ReplicaSet', 'web-5d8f', 'shop', { metadata: { ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } }),
      pod('web-5d8f-abc', { ns: 'shop', owner: ['ReplicaSet', 'web-5d8f'], containers: [{ name: 'web', image: 'nginx' }] }),
      object('CronJob', 'nightly', 'batch'),
      object('Job', 'nightly-2940', 'batch', { metadata: { ownerReferences: [{ kind: 'CronJob', name: 'nightly', controller: true }] } }),
      pod('nightly-2940-x', { ns: 'batch', owner: ['Job', 'nightly-2940'], containers: [{ name: 'r', image: 'alpine:3' }] }),
      pod('ds-1', { ns: 'kube-system', owner: ['DaemonSet', 'kube-proxy'], containers: [{ name: 'p', image: 'kube-proxy:v1' }] }),
      pod('debug', { containers: [{ name: 'sh', image: 'busybox' }] }),
    ]);
    const owners = Object.fromEntries(inv.pods.map((p) => [p.name, `${p.workload.namespace}/${p.workload.kind}/${p.workload.name}`]));
    expect(owners).toEqual({
      'web-5d8f-abc': 'shop/Deployment/web',
      'nightly-2940-x': 'batch/CronJob/nightly',
      'ds-1': 'kube-system/DaemonSet/kube-proxy',
      debug: 'default/Pod/debug',
    });
    const workloads = inv.workloads.map((w) => `${w.kind}/${w.name}:${w.pods.length}`).sort();
    expect(workloads).toEqual(['CronJob/nightly:1', 'DaemonSet/kube-proxy:1', 'Deployment/web:1', 'Pod/debug:1']);
  });

  it('keeps the ReplicaSet as the workload when its Deployment is unknown, instead of guessing a name', () => {
    const inv = inventoryOf([pod('api-7f9c-q', { owner: ['ReplicaSet', 'api-7f9c'], containers: [{ name: 'api', image: 'api:1' }] })]);
    expect(inv.pods[0]?.workload).toEqual({ kind: 'ReplicaSet', name: 'api-7f9c', namespace: 'default' });
  });

  it('treats a static pod owned by its Node as its own workload', () => {
    const inv = inventoryOf([pod('kube-apiserver-cp', { ns: 'kube-system', owner: ['Node', 'cp'], containers: [{ name: 'a', image: 'registry.k8s.io/kube-apiserver:v1.30.4' }] })]);
    expect(inv.pods[0]?.workload.kind).toBe('Pod');
  });

  it('reads init, regular and ephemeral containers with their running digest', () => {
    const p = pod('p', { containers: [{ name: 'init', image: 'busybox:1.36', init: true, imageID: `docker.io/library/busybox@${digest('a')}` }, { name: 'app', image: 'app:2', imageID: `docker-pullable://app@${digest('b')}` }] });
    (p.spec as Record<string, unknown>).ephemeralContainers = [{ name: 'dbg', image: 'nicolaka/netshoot' }];
    const inv = inventoryOf([p]);
    const containers = inv.pods[0]?.containers.map((c) => [c.name, c.type, c.running?.digest, c.ref?.repository]);
    expect(containers).toEqual([
      ['init', 'init', digest('a'), 'library/busybox'],
      ['app', 'regular', digest('b'), 'library/app'],
      ['dbg', 'ephemeral', undefined, 'nicolaka/netshoot'],
    ]);
  });

  it('records an issue for an invalid image reference and keeps the container', () => {
    const inv = inventoryOf([pod('p', { containers: [{ name: 'c', image: 'Bad/Image' }] })]);
    expect(inv.pods[0]?.containers[0]?.ref).toBeUndefined();
    expect(inv.issues[0]?.message).toBe('Pod default/p container c: Invalid image reference "Bad/Image": repository name "Image" must be lowercase');
  });
});

describe('buildInventory: pod specs and workload templates', () => {
  it('reads service account, token automount, host network, annotations, pod IPs and container ports of pods', () => {
    const p = pod('p', { ns: 'shop', containers: [{ name: 'app', image: 'app:1' }] });
    Object.assign(p.metadata as object, { annotations: { 'linkerd.io/inject': 'enabled' } });
    Object.assign(p.spec as object, { serviceAccount: 'legacy', automountServiceAccountToken: false, hostNetwork: true });
    (p.spec as { containers: Array<Record<string, unknown>> }).containers[0]!.ports = [{ name: 'http', containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }, { containerPort: 70000 }];
    Object.assign(p.status as object, { podIP: '10.0.0.7', podIPs: [{ ip: '10.0.0.7' }, { ip: 'fd00::7' }] });
    const inv = inventoryOf([p]);
    const info = inv.pods[0];
    expect([info?.serviceAccountName, info?.automountServiceAccountToken, info?.hostNetwork, info?.annotations, info?.podIPs]).toEqual(['legacy', false, true, { 'linkerd.io/inject': 'enabled' }, ['10.0.0.7', 'fd00::7']]);
    expect(info?.containers[0]?.ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: undefined, containerPort: 53, protocol: 'UDP' },
    ]);
    expect(inv.issues.map((i) => i.message)).toEqual(['Pod shop/p container app ports[2]: containerPort: Too big: expected number to be <=65535; the port is ignored']);
  });

  it('defaults the service account to "default" and the pod IPs to none', () => {
    const info = inventoryOf([pod('p', { containers: [{ name: 'c', image: 'x:1' }] })]).pods[0];
    expect([info?.serviceAccountName, info?.automountServiceAccountToken, info?.hostNetwork, info?.podIPs]).toEqual(['default', undefined, false, []]);
  });

  it('reads the pod template of Deployments and CronJobs (labels, annotations, service account, containers)', () => {
    const deployment = object('Deployment', 'web', 'shop', {
      spec: { template: { metadata: { labels: { app: 'web' }, annotations: { 'sidecar.istio.io/inject': 'true' } }, spec: { serviceAccountName: 'web', initContainers: [{ name: 'proxy', image: 'p:1', restartPolicy: 'Always' }], containers: [{ name: 'app', image: 'a:1', ports: [{ containerPort: 80 }] }] } } },
    });
    const cron = object('CronJob', 'backup', 'ops', { apiVersion: 'batch/v1', spec: { jobTemplate: { spec: { template: { spec: { hostNetwork: true, containers: [{ name: 'b', image: 'b:1' }] } } } } } });
    const inv = inventoryOf([deployment, cron]);
    const web = inv.workloads.find((w) => w.name === 'web')?.template;
    expect(web).toEqual({
      labels: { app: 'web' },
      annotations: { 'sidecar.istio.io/inject': 'true' },
      serviceAccountName: 'web',
      automountServiceAccountToken: undefined,
      hostNetwork: false,
      containers: [
        { name: 'proxy', type: 'init', ports: [], restartPolicy: 'Always' },
        { name: 'app', type: 'regular', ports: [{ name: undefined, containerPort: 80, protocol: 'TCP' }], restartPolicy: undefined },
      ],
    });
    expect(inv.workloads.find((w) => w.name === 'backup')?.template?.hostNetwork).toBe(true);
  });

  it('has no template for a workload without one, and an issue (not a lost workload) for a malformed one', () => {
    const inv = inventoryOf([object('Deployment', 'bare', 'shop'), object('Deployment', 'odd', 'shop', { spec: { template: { spec: { hostNetwork: 'yes', containers: [] } } } })]);
    expect(inv.workloads.map((w) => [w.name, w.template])).toEqual([
      ['bare', undefined],
      ['odd', undefined],
    ]);
    expect(inv.issues.map((i) => i.message)).toEqual(['Deployment shop/odd: pod template spec.hostNetwork: Invalid input: expected boolean, received string; the template is not evaluated']);
  });
});

describe('buildInventory: NetworkPolicies, RBAC and PeerAuthentications', () => {
  const np = (name: string, spec: unknown): Record<string, unknown> => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'shop' }, spec });

  it('parses a NetworkPolicy and applies the API server\u2019s policyTypes defaulting', () => {
    const inv = inventoryOf([
      np('full', { podSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: 'fe' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 'http' }, { protocol: 'UDP', port: 53, endPort: 60 }] }] }),
      np('defaulted-egress', { podSelector: {}, egress: [{ to: [{ podSelector: {} }] }] }),
      np('defaulted-ingress', { podSelector: {}, egress: [] }),
    ]);
    const [full, egress, ingress] = inv.networkPolicies;
    expect(full?.ingress).toEqual([
      {
        peers: [{ namespaceSelector: { matchLabels: {}, matchExpressions: [] }, podSelector: { matchLabels: { role: 'fe' }, matchExpressions: [] } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
        ports: [
          { protocol: 'TCP', port: 'http', endPort: undefined },
          { protocol: 'UDP', port: 53, endPort: 60 },
        ],
      },
    ]);
    expect(full?.podSelector.matchExpressions).toEqual([{ key: 'tier', operator: 'Exists', values: [] }]);
    expect([full?.policyTypes, full?.policyTypesDefaulted, egress?.policyTypes, egress?.policyTypesDefaulted, ingress?.policyTypes]).toEqual([['Ingress', 'Egress'], false, ['Ingress', 'Egress'], true, ['Ingress']]);
    expect(inv.issues).toEqual([]);
  });

  it.each([
    ['an empty spec (no podSelector: every pod, as the Go zero value)', {}, undefined],
    ['podSelector without matchLabels', { podSelector: { app: 'web' } }, 'spec.podSelector: Unrecognized key: "app"'],
    ['a peer without selectors', { podSelector: {}, ingress: [{ from: [{}] }] }, 'spec.ingress[0].from[0]: must set podSelector, namespaceSelector or ipBlock'],
    ['ipBlock with a selector', { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' }, podSelector: {} }] }] }, 'spec.egress[0].to[0]: ipBlock cannot be combined with podSelector or namespaceSelector'],
    ['a bad CIDR', { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0' } }] }] }, 'spec.egress[0].to[0].ipBlock.cidr: "10.0.0.0" is not a CIDR, e.g. "10.0.0.0/16"'],
    ['an except outside the CIDR', { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/8'] } }] }] }, 'spec.egress[0].to[0].ipBlock.except[0]: "10.0.0.0/8" must be a strict subset of 10.0.0.0/16'],
    ['endPort without a numeric port', { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] }, 'spec.ingress[0].ports[0].endPort: needs a numeric port'],
    ['a port name that is not IANA_SVC_NAME', { podSelector: {}, ingress: [{ ports: [{ port: '8080' }] }] }, 'spec.ingress[0].ports[0].port: "8080" is neither a number nor a port name (IANA_SVC_NAME, e.g. "http")'],
    ['In without values', { podSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } }, 'spec.podSelector.matchExpressions[0]: operator In needs at least one value'],
    ['an unknown operator', { podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] } }, 'spec.podSelector.matchExpressions[0].operator: Invalid option: expected one of "In"|"NotIn"|"Exists"|"DoesNotExist"'],
  ])('NetworkPolicy with %s', (_name, spec, problem) => {
    const inv = inventoryOf([np('p', spec)]);
    expect(inv.networkPolicies[0]?.invalid).toBe(problem);
    expect(inv.issues.map((i) => i.code)).toEqual(problem === undefined ? [] : ['networkpolicy-invalid']);
    if (problem !== undefined) expect(inv.issues[0]?.hint).toBe('The API server rejects this spec; fix it as "kubectl apply --dry-run=server -f …" reports.');
  });

  it('parses roles (with aggregation) and bindings, defaulting a RoleBinding\u2019s ServiceAccount namespace', () => {
    const inv = inventoryOf([
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'agg', labels: { a: 'b' } }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'b', namespace: 'shop' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'web' }, { kind: 'Group', name: 'devs' }] },
    ]);
    expect(inv.roles).toMatchObject([{ kind: 'ClusterRole', name: 'agg', namespace: undefined, labels: { a: 'b' }, rules: [{ verbs: ['get'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['/healthz'] }], aggregationSelectors: [{ matchLabels: { x: 'y' }, matchExpressions: [] }], invalid: undefined }]);
    expect(inv.roleBindings).toMatchObject([{ kind: 'RoleBinding', namespace: 'shop', roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }, { kind: 'Group', name: 'devs', namespace: undefined }] }]);
  });

  it('keeps invalid roles and bindings with an issue naming the field', () => {
    const inv = inventoryOf([
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'shop' }, rules: [{ verbs: [], resources: ['pods'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'x' }, subjects: [{ kind: 'ServiceAccount', name: 'web' }] },
    ]);
    expect(inv.issues.map((i) => i.message)).toEqual([
      'Role shop/r: rules[0].verbs: Too small: expected array to have >=1 items; its permissions cannot be evaluated',
      'ClusterRoleBinding b: subjects[0].namespace: required for a ServiceAccount in a ClusterRoleBinding; what it grants cannot be evaluated',
    ]);
    expect([inv.roles[0]?.invalid !== undefined, inv.roleBindings[0]?.invalid !== undefined]).toEqual([true, true]);
  });

  it('parses PeerAuthentications: selector, mode (UNSET when absent), port-level settings sorted by port', () => {
    const pa = (name: string, spec: unknown): Record<string, unknown> => ({ apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: { name, namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' }, spec });
    const inv = inventoryOf([pa('w', { selector: { matchLabels: { app: 'web' } }, portLevelMtls: { '9090': { mode: 'DISABLE' }, '8080': {} } }), pa('empty', null)]);
    expect(inv.peerAuthentications.map((p) => [p.name, p.apiVersion, p.createdAt, p.selector, p.mode, p.portLevelMtls, p.invalid])).toEqual([
      ['w', 'security.istio.io/v1beta1', '2026-01-01T00:00:00Z', { app: 'web' }, 'UNSET', [{ port: 8080, mode: 'UNSET' }, { port: 9090, mode: 'DISABLE' }], undefined],
      ['empty', 'security.istio.io/v1beta1', '2026-01-01T00:00:00Z', undefined, 'UNSET', [], undefined],
    ]);
    const bad = inventoryOf([pa('bad', { portLevelMtls: { http: { mode: 'STRICT' } }, selector: { matchLabels: { app: 'x' } } })]);
    expect(bad.issues.map((i) => i.message)).toEqual(['PeerAuthentication shop/bad: spec.portLevelMtls["http"]: not a port number (1-65535); istiod ignores it, and so does runwarden']);
  });

  it('reads namespace annotations, Service selectors and ServiceAccounts', () => {
    const inv = inventoryOf([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', annotations: { 'linkerd.io/inject': 'enabled' } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'NodePort', selector: { app: 'web' } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'shop' }, spec: { type: 'ExternalName' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'shop' }, automountServiceAccountToken: false },
    ]);
    expect(inv.namespaces[0]?.annotations).toEqual({ 'linkerd.io/inject': 'enabled' });
    expect(inv.services.map((s) => [s.name, s.type, s.selector])).toEqual([['web', 'NodePort', { app: 'web' }], ['ext', 'ExternalName', undefined]]);
    expect(inv.serviceAccounts).toEqual([{ name: 'web', namespace: 'shop', automountServiceAccountToken: false, origin: undefined }]);
  });
});
