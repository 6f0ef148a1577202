/**
 * Generates demo/audit/audit.log: an hour of the demo cluster's API server audit log (audit.k8s.io/v1, one
 * JSON event per line, as --audit-log-path writes it), for `runwarden audit detect demo/audit/audit.log`.
 * Run: `npx tsx scripts/generate-demo-audit.ts`. Deterministic (ids derive from the line number, times are
 * fixed); edit this script, not the file. The names are the demo cluster's (demo/cluster/).
 *
 * The story (src/cli/commands/audit.test.ts asserts each detection, and that the routine traffic gives none):
 * - routine: the kubelet reading its pods, the ReplicaSet controller starting storefront pods from a trusted
 *   image, CI updating a Deployment, anonymous /healthz probes, the RequestReceived stage of a request;
 * - 09:05 alice execs into storefront's web pod (pod-exec); a second exec is refused by RBAC (not reported);
 * - 09:07 alice reads the payments database Secret (secret-read);
 * - 09:10 storefront's service account token lists Secrets cluster-wide (secret-read: outside its namespace);
 * - 09:12 alice starts default/debug-shell on the host network (host-namespace-pod-created);
 * - 09:15 mallory binds herself to cluster-admin (cluster-admin-bound);
 * - 09:16 mallory creates a DaemonSet in kube-system whose pods are privileged alpine containers mounting the node's /
 *   with its PID namespace (privileged-pod-created, host-namespace-pod-created, sensitive-mount-pod-created,
 *   kube-namespace-pod-created: each once for her DaemonSet, and once for the pod its controller creates);
 * - 09:20 an anonymous request allowed to read payments' ConfigMaps (anonymous-request-allowed);
 * - 09:22 bob stores a database password in a ConfigMap (configmap-credentials);
 * - 09:25 bob exposes grafana on a NodePort (nodeport-service-created);
 * - 09:30 mallory creates a ClusterRole with wildcards (wildcard-role-created).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OUT = join(import.meta.dirname, '..', 'demo', 'audit');
const events: Array<Record<string, unknown>> = [];
const ALICE = { username: 'alice@acme.io', groups: ['platform-oncall', 'system:authenticated'] };
const BOB = { username: 'bob@acme.io', groups: ['payments-dev', 'system:authenticated'] };
const MALLORY = { username: 'mallory@contractor.example', groups: ['system:authenticated'] };
const RS = { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: '1b5a3f3e-0c65-4a52-9d1c-2f0b9a6d3e11', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] };
const DS = { username: 'system:serviceaccount:kube-system:daemon-set-controller', uid: '6c1f0d7e-2a54-4b3e-8f0e-91d2c4b7a5f2', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] };

interface Spec {
  at: string;
  verb: string;
  user: Record<string, unknown>;
  uri: string;
  ref: Record<string, unknown>;
  code: number;
  stage?: string;
  level?: string;
  request?: unknown;
  response?: unknown;
  agent?: string;
  ip?: string;
  decision?: string;
  reason?: string;
}

function add(spec: Spec): void {
  const n = events.length + 1;
  const id = `4f0d9c1e-5b7a-4c2e-9a3d-${n.toString(16).padStart(12, '0')}`;
  events.push({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: spec.level ?? (spec.request === undefined ? 'Metadata' : 'RequestResponse'),
    auditID: id,
    stage: spec.stage ?? 'ResponseComplete',
    requestURI: spec.uri,
    verb: spec.verb,
    user: spec.user,
    sourceIPs: [spec.ip ?? '10.224.0.4'],
    userAgent: spec.agent ?? 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
    objectRef: spec.ref,
    ...(spec.stage === 'RequestReceived' ? {} : { responseStatus: { metadata: {}, code: spec.code, ...(spec.code >= 400 ? { status: 'Failure', reason: 'Forbidden' } : {}) } }),
    ...(spec.request === undefined ? {} : { requestObject: spec.request }),
    ...(spec.response === undefined ? {} : { responseObject: spec.response }),
    requestReceivedTimestamp: `2026-11-30T${spec.at}.000000Z`,
    stageTimestamp: `2026-11-30T${spec.at}.041000Z`,
    annotations: { 'authorization.k8s.io/decision': spec.decision ?? (spec.code === 403 ? 'forbid' : 'allow'), 'authorization.k8s.io/reason': spec.reason ?? '' },
  });
}

const pod = (ns: string, generateName: string, spec: Record<string, unknown>): Record<string, unknown> => ({ kind: 'Pod', apiVersion: 'v1', metadata: { generateName, namespace: ns }, spec });

// routine traffic
add({ at: '09:00:02', verb: 'get', user: { username: 'system:node:aks-apps-27182818-vmss000001', groups: ['system:nodes', 'system:authenticated'] }, uri: '/api/v1/namespaces/storefront/pods/web-mcwvb9ggjj-jql9v', ref: { resource: 'pods', namespace: 'storefront', name: 'web-mcwvb9ggjj-jql9v', apiVersion: 'v1' }, code: 200, agent: 'kubelet/v1.30.4 (linux/amd64) kubernetes/a51b3b7', ip: '10.224.0.5' });
add({ at: '09:00:10', verb: 'get', user: { username: 'system:anonymous', groups: ['system:unauthenticated'] }, uri: '/healthz', ref: {}, code: 200, agent: 'kube-probe/1.30', ip: '168.63.129.16', reason: 'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"' });
add({ at: '09:01:30', verb: 'patch', user: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'] }, uri: '/apis/apps/v1/namespaces/storefront/deployments/web?fieldManager=kubectl-client-side-apply', ref: { resource: 'deployments', namespace: 'storefront', name: 'web', apiGroup: 'apps', apiVersion: 'v1' }, code: 200, agent: 'argocd-application-controller/v2.12.3' });
add({ at: '09:01:31', verb: 'create', user: RS, uri: '/api/v1/namespaces/storefront/pods', ref: { resource: 'pods', namespace: 'storefront', apiVersion: 'v1' }, code: 201, agent: 'kube-controller-manager/v1.30.4 (linux/amd64) kubernetes/a51b3b7/system:serviceaccount:kube-system:replicaset-controller', request: pod('storefront', 'web-mcwvb9ggjj-', { serviceAccountName: 'web', containers: [{ name: 'web', image: 'ghcr.io/acme/storefront-web:2.4.1', securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } }] }), response: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web-mcwvb9ggjj-x7k2p', namespace: 'storefront' } } });
// 09:05 alice execs into the storefront pod; the RequestReceived stage of the same request is not evaluated
const exec = { uri: '/api/v1/namespaces/storefront/pods/web-mcwvb9ggjj-jql9v/exec?command=sh&container=web&stdin=true&stdout=true&tty=true', ref: { resource: 'pods', namespace: 'storefront', name: 'web-mcwvb9ggjj-jql9v', subresource: 'exec', apiVersion: 'v1' } };
add({ at: '09:05:11', verb: 'create', user: ALICE, ...exec, code: 101, stage: 'ResponseStarted', ip: '203.0.113.24' });
add({ at: '09:05:40', verb: 'create', user: BOB, uri: '/api/v1/namespaces/payments/pods/payments-api-5d8f7c9b6-qx2lm/exec?command=env&container=api&stdout=true', ref: { resource: 'pods', namespace: 'payments', name: 'payments-api-5d8f7c9b6-qx2lm', subresource: 'exec', apiVersion: 'v1' }, code: 403, ip: '203.0.113.77', reason: '' });
add({ at: '09:07:02', verb: 'get', user: ALICE, uri: '/api/v1/namespaces/payments/secrets/payments-db', ref: { resource: 'secrets', namespace: 'payments', name: 'payments-db', apiVersion: 'v1' }, code: 200, ip: '203.0.113.24' });
add({ at: '09:10:45', verb: 'list', user: { username: 'system:serviceaccount:storefront:web', uid: '9e3c1a0b-7f2d-4e6a-b8c5-0d1e2f3a4b5c', groups: ['system:serviceaccounts', 'system:serviceaccounts:storefront', 'system:authenticated'] }, uri: '/api/v1/secrets?limit=500', ref: { resource: 'secrets', apiVersion: 'v1' }, code: 200, agent: 'curl/8.5.0', ip: '10.244.1.17' });
add({ at: '09:12:20', verb: 'create', user: ALICE, uri: '/api/v1/namespaces/default/pods?fieldManager=kubectl-run', ref: { resource: 'pods', namespace: 'default', name: 'debug-shell', apiVersion: 'v1' }, code: 201, ip: '203.0.113.24', request: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'debug-shell', namespace: 'default' }, spec: { hostNetwork: true, containers: [{ name: 'shell', image: 'nicolaka/netshoot', stdin: true, tty: true }] } } });
add({ at: '09:15:03', verb: 'create', user: MALLORY, uri: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', ref: { resource: 'clusterrolebindings', name: 'ops-admin', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' }, code: 201, ip: '198.51.100.9', request: { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'ops-admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory@contractor.example' }] } });
const tuner = { hostPID: true, containers: [{ name: 'tuner', image: 'alpine:3.20', command: ['sh', '-c', 'sleep infinity'], securityContext: { privileged: true }, volumeMounts: [{ name: 'host', mountPath: '/host' }] }], volumes: [{ name: 'host', hostPath: { path: '/' } }] };
add({ at: '09:16:38', verb: 'create', user: MALLORY, uri: '/apis/apps/v1/namespaces/kube-system/daemonsets?fieldManager=kubectl-create', ref: { resource: 'daemonsets', namespace: 'kube-system', name: 'node-tuner', apiGroup: 'apps', apiVersion: 'v1' }, code: 201, ip: '198.51.100.9', request: { kind: 'DaemonSet', apiVersion: 'apps/v1', metadata: { name: 'node-tuner', namespace: 'kube-system' }, spec: { selector: { matchLabels: { app: 'node-tuner' } }, template: { metadata: { labels: { app: 'node-tuner' } }, spec: tuner } } } });
add({ at: '09:16:40', verb: 'create', user: DS, uri: '/api/v1/namespaces/kube-system/pods', ref: { resource: 'pods', namespace: 'kube-system', apiVersion: 'v1' }, code: 201, agent: 'kube-controller-manager/v1.30.4 (linux/amd64) kubernetes/a51b3b7/system:serviceaccount:kube-system:daemon-set-controller', request: pod('kube-system', 'node-tuner-', tuner), response: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'node-tuner-8w2kq', namespace: 'kube-system' } } });
add({ at: '09:20:31', verb: 'list', user: { username: 'system:anonymous', groups: ['system:unauthenticated'] }, uri: '/api/v1/namespaces/payments/configmaps', ref: { resource: 'configmaps', namespace: 'payments', apiVersion: 'v1' }, code: 200, agent: 'python-requests/2.31.0', ip: '192.0.2.66', reason: 'RBAC: allowed by RoleBinding "legacy-reader/payments" of ClusterRole "view" to Group "system:unauthenticated"' });
add({ at: '09:22:12', verb: 'create', user: BOB, uri: '/api/v1/namespaces/payments/configmaps', ref: { resource: 'configmaps', namespace: 'payments', name: 'fraud-scorer-config', apiVersion: 'v1' }, code: 201, ip: '203.0.113.77', request: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'fraud-scorer-config', namespace: 'payments' }, data: { 'scorer.yaml': 'threshold: 0.82\nmodel: v7\n', DB_PASSWORD: 'Winter2026!' } } });
add({ at: '09:25:50', verb: 'create', user: BOB, uri: '/api/v1/namespaces/monitoring/services', ref: { resource: 'services', namespace: 'monitoring', name: 'grafana-debug', apiVersion: 'v1' }, code: 201, ip: '203.0.113.77', request: { kind: 'Service', apiVersion: 'v1', metadata: { name: 'grafana-debug', namespace: 'monitoring' }, spec: { type: 'NodePort', selector: { app: 'grafana' }, ports: [{ port: 3000, targetPort: 3000, nodePort: 30300, protocol: 'TCP' }] } } });
add({ at: '09:30:05', verb: 'create', user: MALLORY, uri: '/apis/rbac.authorization.k8s.io/v1/clusterroles', ref: { resource: 'clusterroles', name: 'ops-everything', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' }, code: 201, ip: '198.51.100.9', request: { kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'ops-everything' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] } });
add({ at: '09:31:00', verb: 'watch', user: { username: 'system:kube-scheduler', groups: ['system:authenticated'] }, uri: '/api/v1/pods?allowWatchBookmarks=true&watch=true', ref: { resource: 'pods', apiVersion: 'v1' }, code: 200, agent: 'kube-scheduler/v1.30.4', ip: '10.224.0.4', stage: 'RequestReceived' });

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'audit.log'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
