/** The Kubernetes API stand-in of kube-api.ts: it must answer as an API server does, or tests of the writers prove nothing. */
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requireComponent } from './components.js';
import { KUBE_API_TOKEN, configMapStore, startKubeApi, type KubeApi } from './kube-api.js';

const skipReason = requireComponent('openssl', ['openssl']);

describe.skipIf(skipReason !== undefined)(`replayed Kubernetes API (test/kube-api.ts)${skipReason === undefined ? '' : ` (${skipReason})`}`, () => {
  let api: KubeApi;
  let ca: Buffer;
  beforeAll(async () => {
    api = await startKubeApi();
    const config = parse(await readFile(api.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { 'certificate-authority-data': string } }> };
    ca = Buffer.from(config.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64');
    api.handle(configMapStore('ns').handler);
  });
  afterAll(async () => {
    await api.close();
  });

  function call(method: string, path: string, body?: unknown, token = KUBE_API_TOKEN): Promise<{ status: number; body: { reason?: string; message?: string; items?: unknown[]; metadata?: { resourceVersion?: string } } }> {
    return new Promise((resolve, reject) => {
      const req = request(`${api.url}${path}`, { method, ca, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as never }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  it('replayed API: plays ConfigMap create, replace and labelled list as the API server does', async () => {
    const cm = (data: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { app: 'x' } }, data: { k: data } });
    expect((await call('PUT', '/api/v1/namespaces/ns/configmaps/a', cm('1'))).body).toMatchObject({ reason: 'NotFound', message: 'configmaps "a" not found' });
    expect((await call('POST', '/api/v1/namespaces/ns/configmaps', cm('1'))).status).toBe(201);
    expect((await call('POST', '/api/v1/namespaces/ns/configmaps', cm('1'))).body).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "a" already exists' });
    const replaced = await call('PUT', '/api/v1/namespaces/ns/configmaps/a', cm('2'));
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ data: { k: '2' }, metadata: { name: 'a', namespace: 'ns', uid: 'uid-a' } });
    expect((await call('GET', '/api/v1/namespaces/ns/configmaps?labelSelector=app%3Dx')).body.items).toHaveLength(1);
    expect((await call('GET', '/api/v1/namespaces/ns/configmaps?labelSelector=app%3Dy')).body.items).toEqual([]);
    expect((await call('GET', '/api/v1/namespaces/ns/configmaps', undefined, 'wrong')).status).toBe(401);
    expect(api.requests.map((r) => r.method)).toEqual(['PUT', 'POST', 'POST', 'PUT', 'GET', 'GET', 'GET']);
    expect(api.requests[3]?.body).toEqual(cm('2'));
  });
});
