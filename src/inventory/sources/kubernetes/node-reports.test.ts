/**
 * The node agents' report ConfigMaps against the replaying API server of test/kube-api.ts: the
 * scanner's labelled list in one namespace, and the agent's create-or-replace with the exact bodies
 * it sends.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { configMapStore, startKubeApi, status, type KubeApi } from '../../../../test/kube-api.js';
import { nodeReportConfigMap } from '../../../agent/configmap.js';
import { KubeApiError, UsageError } from '../../../core/errors.js';
import { ApiClient } from './client.js';
import { resolveKubeconfig } from './kubeconfig.js';
import { listNodeReports, nodeReportPublisher } from './node-reports.js';

const skipReason = requireComponent('openssl', ['openssl']);
const LABELS = { 'app.kubernetes.io/name': 'runwarden', 'app.kubernetes.io/managed-by': 'runwarden', 'app.kubernetes.io/component': 'node-report' };

describe.skipIf(skipReason !== undefined)(`node report ConfigMaps${skipReason === undefined ? '' : ` (${skipReason})`}`, () => {
  let api: KubeApi;
  beforeAll(async () => {
    api = await startKubeApi();
  });
  afterAll(async () => {
    await api.close();
  });
  afterEach(() => {
    api.reset();
  });

  async function list(namespace = 'runwarden-node'): Promise<Awaited<ReturnType<typeof listNodeReports>>> {
    const client = new ApiClient(await resolveKubeconfig({ kubeconfig: api.kubeconfig, env: {} }), 5000);
    try {
      return await listNodeReports({ client, pageSize: 500, signal: undefined }, namespace);
    } finally {
      client.close();
    }
  }

  it('replayed API: lists the report ConfigMaps by label in one namespace, and keeps nothing else', async () => {
    // A server (or proxy) that ignores labelSelector must not smuggle in other ConfigMaps.
    api.handle((r) =>
      r.method === 'GET' && r.path === '/api/v1/namespaces/runwarden-node/configmaps'
        ? {
            status: 200,
            body: {
              kind: 'ConfigMapList',
              apiVersion: 'v1',
              metadata: { resourceVersion: '9' },
              items: [
                { metadata: { name: 'runwarden-node-worker-a', namespace: 'runwarden-node', labels: LABELS }, data: { 'report.json': '{}' } },
                { metadata: { name: 'runwarden-node-agent', namespace: 'runwarden-node', labels: { 'app.kubernetes.io/name': 'runwarden' } }, data: { 'exclude.txt': 'x' } },
                { metadata: { name: 'kube-root-ca.crt', namespace: 'runwarden-node' }, data: { 'ca.crt': '…' } },
              ],
            },
          }
        : undefined,
    );
    const result = await list();
    expect(api.requests.map((r) => [r.method, r.path, r.query])).toEqual([
      ['GET', '/api/v1/namespaces/runwarden-node/configmaps', { limit: '500', labelSelector: 'app.kubernetes.io/managed-by=runwarden,app.kubernetes.io/component=node-report' }],
    ]);
    expect(result.status).toBe('read');
    expect(result.configMaps.map((c) => c.metadata.name)).toEqual(['runwarden-node-worker-a']);
    expect(result.origins.get(result.configMaps[0] as object)).toBe(`${api.url}/api/v1/namespaces/runwarden-node/configmaps (runwarden-node/runwarden-node-worker-a)`);
    expect(result.issue).toBeUndefined();
  });

  it('replayed API: a failing list is unreadable with an issue, not an error', async () => {
    api.handle(() => status(500, 'InternalError', 'etcdserver: request timed out'));
    const result = await list();
    expect(result.status).toBe('unreadable');
    expect(result.configMaps).toEqual([]);
    expect(result.issue).toEqual({
      code: 'node-report-unreadable',
      message: "Cannot read the node agents' reports: Cannot list configmaps in namespace \"runwarden-node\": the API server answered 500 Internal Server Error: etcdserver: request timed out",
      location: `${api.url}/api/v1/namespaces/runwarden-node/configmaps`,
      hint: 'Retry; if it persists, check the API server\u2019s health ("kubectl get --raw /readyz?verbose").',
    });
  });

  it('replayed API: the agent creates its report (PUT 404 → POST), then replaces it (PUT), sending the ConfigMap as is', async () => {
    const store = configMapStore('runwarden-node');
    api.handle(store.handler);
    const publisher = await nodeReportPublisher({ namespace: 'runwarden-node', kubeconfig: api.kubeconfig, env: {} });
    try {
      const first = nodeReportConfigMap('worker-a', '{"run":"1"}', 'runwarden-node');
      expect(await publisher.publish(first)).toBe('created');
      const second = nodeReportConfigMap('worker-a', '{"run":"2"}', 'runwarden-node');
      expect(await publisher.publish(second)).toBe('replaced');
      expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'PUT /api/v1/namespaces/runwarden-node/configmaps/runwarden-node-worker-a',
        'POST /api/v1/namespaces/runwarden-node/configmaps',
        'PUT /api/v1/namespaces/runwarden-node/configmaps/runwarden-node-worker-a',
      ]);
      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'runwarden-node-worker-a', namespace: 'runwarden-node', labels: LABELS } };
      expect(api.requests.map((r) => r.body)).toEqual([
        { ...body, data: { 'report.json': '{"run":"1"}' } },
        { ...body, data: { 'report.json': '{"run":"1"}' } },
        { ...body, data: { 'report.json': '{"run":"2"}' } },
      ]);
      expect(store.objects.get('runwarden-node-worker-a')?.data).toEqual({ 'report.json': '{"run":"2"}' });
      expect(publisher.location).toBe(`${api.url}/api/v1/namespaces/runwarden-node/configmaps`);
    } finally {
      publisher.close();
    }
  });

  it('replayed API: another writer creating it in between (POST 409) ends in a replace', async () => {
    let puts = 0;
    api.handle((r) => {
      if (r.method === 'PUT') return ++puts === 1 ? status(404, 'NotFound', 'configmaps "runwarden-node-worker-a" not found') : { status: 200, body: r.body };
      if (r.method === 'POST') return status(409, 'AlreadyExists', 'configmaps "runwarden-node-worker-a" already exists');
      return undefined;
    });
    const publisher = await nodeReportPublisher({ namespace: 'runwarden-node', kubeconfig: api.kubeconfig, env: {} });
    try {
      expect(await publisher.publish(nodeReportConfigMap('worker-a', '{}', 'runwarden-node'))).toBe('replaced');
      expect(api.requests.map((r) => r.method)).toEqual(['PUT', 'POST', 'PUT']);
    } finally {
      publisher.close();
    }
  });

  it.each([
    [
      status(403, 'Forbidden', 'configmaps "runwarden-node-worker-a" is forbidden: User "system:serviceaccount:runwarden-node:runwarden-node-agent" cannot update resource "configmaps" in API group "" in the namespace "runwarden-node"'),
      'Cannot replace the node report URL/api/v1/namespaces/runwarden-node/configmaps/runwarden-node-worker-a: the API server answered 403 Forbidden: configmaps "runwarden-node-worker-a" is forbidden: User "system:serviceaccount:runwarden-node:runwarden-node-agent" cannot update resource "configmaps" in API group "" in the namespace "runwarden-node"',
      'Let the agent\'s service account create and update configmaps in "runwarden-node" (the Role in deploy/node-agent/rbac.yaml); check with "kubectl auth can-i update configmaps -n runwarden-node --as=system:serviceaccount:runwarden-node:runwarden-node-agent".',
    ],
    [
      status(422, 'Invalid', 'ConfigMap "runwarden-node-worker-a" is invalid: []: Too long: must have at most 1048576 bytes'),
      'Cannot replace the node report URL/api/v1/namespaces/runwarden-node/configmaps/runwarden-node-worker-a: the API server answered 422 Unprocessable Entity: ConfigMap "runwarden-node-worker-a" is invalid: []: Too long: must have at most 1048576 bytes',
      'The API server refused the ConfigMap; report it with the agent\u2019s logs.',
    ],
  ])('replayed API: a refused write is a KubeApiError with a hint (%#)', async (reply, message, hint) => {
    api.handle(() => reply);
    const publisher = await nodeReportPublisher({ namespace: 'runwarden-node', kubeconfig: api.kubeconfig, env: {} });
    try {
      const error = await publisher.publish(nodeReportConfigMap('worker-a', '{}', 'runwarden-node')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(KubeApiError);
      expect((error as KubeApiError).message).toBe(message.replace('URL', api.url));
      expect((error as KubeApiError).hint).toBe(hint);
    } finally {
      publisher.close();
    }
  });

  it('replayed API: a namespace that does not exist fails the create with a hint', async () => {
    api.handle((r) => (r.method === 'PUT' ? status(404, 'NotFound', 'configmaps "runwarden-node-worker-a" not found') : status(404, 'NotFound', 'namespaces "ops" not found')));
    const publisher = await nodeReportPublisher({ namespace: 'ops', kubeconfig: api.kubeconfig, env: {} });
    try {
      await expect(publisher.publish(nodeReportConfigMap('worker-a', '{}', 'ops'))).rejects.toThrow(`Cannot create the node report ${api.url}/api/v1/namespaces/ops/configmaps: the API server answered 404 Not Found: namespaces "ops" not found`);
    } finally {
      publisher.close();
    }
  });

  it('refuses a namespace that is not a DNS-1123 label before connecting', async () => {
    await expect(nodeReportPublisher({ namespace: 'Runwarden_Node', kubeconfig: api.kubeconfig, env: {} })).rejects.toThrow(UsageError);
    await expect(nodeReportPublisher({ namespace: 'Runwarden_Node', kubeconfig: api.kubeconfig, env: {} })).rejects.toThrow('Invalid --report-namespace "Runwarden_Node": must be a namespace name (DNS-1123 label), e.g. "runwarden-node".');
    expect(api.requests).toEqual([]);
  });
});
