/**
 * A Kubernetes API stand-in for tests that write: an HTTPS server on 127.0.0.1 (throwaway CA made by
 * openssl, bearer-token auth) that records every request with its body and answers from handlers
 * the test sets, by `METHOD /path`. `configMapStore` plays the API server's ConfigMap semantics for
 * create-or-replace (PUT of a missing object → 404, POST of an existing one → 409) with the exact
 * Status bodies a v1.29 API server sends. No API server runs on this machine; tests that use this
 * say "replayed" in their names.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { makeCertificates } from './tls.js';

export const KUBE_API_TOKEN = 'rw-test-token-agent-51d0c3';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The JSON body of a write, parsed; undefined for reads. */
  body: unknown;
  authorization: string | undefined;
}

export interface KubeReply {
  status: number;
  body: unknown;
}

export type KubeHandler = (request: RecordedRequest) => KubeReply | undefined;

export interface KubeApi {
  url: string;
  /** A kubeconfig (context `replay`) that trusts the server and sends the token. */
  kubeconfig: string;
  requests: RecordedRequest[];
  /** Handlers tried in order (last added first); unanswered requests get the API server's 404. */
  handle(handler: KubeHandler): void;
  reset(): void;
  close(): Promise<void>;
}

export function status(code: number, reason: string, message: string, details: Record<string, unknown> = {}): KubeReply {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code } };
}

export async function startKubeApi(): Promise<KubeApi> {
  const dir = await mkdtemp(join(tmpdir(), 'rw-kube-api-'));
  const certs = await makeCertificates(dir);

  const requests: RecordedRequest[] = [];
  let handlers: KubeHandler[] = [];
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'https://replay');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
      authorization: req.headers.authorization,
    };
    requests.push(request);
    let reply: KubeReply | undefined;
    if (req.headers.authorization !== `Bearer ${KUBE_API_TOKEN}`) reply = status(401, 'Unauthorized', 'Unauthorized');
    else for (const handler of [...handlers].reverse()) if ((reply = handler(request)) !== undefined) break;
    reply ??= status(404, 'NotFound', 'the server could not find the requested resource');
    res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Audit-Id': '6a0c-replay' });
    res.end(JSON.stringify(reply.body));
  };
  const server: Server = createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    answer(req, res).catch((error: unknown) => res.destroy(error instanceof Error ? error : undefined));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'replay', cluster: { server: url, 'certificate-authority-data': certs.ca.toString('base64') } }],
      users: [{ name: 'agent', user: { token: KUBE_API_TOKEN } }],
      contexts: [{ name: 'replay', context: { cluster: 'replay', user: 'agent' } }],
      'current-context': 'replay',
    }),
  );
  return {
    url,
    kubeconfig,
    requests,
    handle(handler) {
      handlers.push(handler);
    },
    reset() {
      handlers = [];
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * ConfigMaps of one namespace as the API server keeps them: GET (list, with labelSelector equality
 * terms) and GET one, POST creates (409 when it exists), PUT replaces (404 when it does not).
 */
export function configMapStore(namespace: string): { handler: KubeHandler; objects: Map<string, Record<string, unknown>> } {
  const objects = new Map<string, Record<string, unknown>>();
  const base = `/api/v1/namespaces/${namespace}/configmaps`;
  let version = 1000;
  const handler: KubeHandler = (request) => {
    if (request.path === base && request.method === 'GET') {
      const terms = (request.query.labelSelector ?? '').split(',').filter((t) => t !== '').map((t) => t.split('='));
      const items = [...objects.values()].filter((o) => terms.every(([k, v]) => ((o.metadata as { labels?: Record<string, string> }).labels ?? {})[k ?? ''] === v));
      return { status: 200, body: { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(version) }, items } };
    }
    if (request.path === base && request.method === 'POST') {
      const object = request.body as { metadata: { name: string } };
      const name = object.metadata.name;
      if (objects.has(name)) return status(409, 'AlreadyExists', `configmaps "${name}" already exists`, { name, kind: 'configmaps' });
      const stored = { ...object, metadata: { ...object.metadata, namespace, uid: `uid-${name}`, resourceVersion: String(++version), creationTimestamp: '2026-11-28T12:00:00Z' } };
      objects.set(name, stored);
      return { status: 201, body: stored };
    }
    if (request.path.startsWith(`${base}/`)) {
      const name = decodeURIComponent(request.path.slice(base.length + 1));
      const existing = objects.get(name);
      if (request.method === 'GET') return existing === undefined ? status(404, 'NotFound', `configmaps "${name}" not found`, { name, kind: 'configmaps' }) : { status: 200, body: existing };
      if (request.method === 'PUT') {
        if (existing === undefined) return status(404, 'NotFound', `configmaps "${name}" not found`, { name, kind: 'configmaps' });
        const object = request.body as { metadata: Record<string, unknown> };
        const stored = { ...object, metadata: { ...(existing.metadata as Record<string, unknown>), ...object.metadata, resourceVersion: String(++version) } };
        objects.set(name, stored);
        return { status: 200, body: stored };
      }
    }
    return undefined;
  };
  return { handler, objects };
}
