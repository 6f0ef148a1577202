/**
 * A replaying Kubernetes API server with watch streams, for informer tests (the pattern of the replayed list
 * server in inventory/sources/kubernetes, plus `?watch=1`): HTTPS on 127.0.0.1 with a throwaway CA made by
 * openssl (`replaySkipReason()` says when it is missing) and a bearer token.
 * Lists answer from `setList` (default: an empty list at resourceVersion "1"), in pages of `limit` items with a
 * `continue` token; each watch request takes the
 * next scripted stream for its path — events, then `end` (clean close), `drop` (socket destroyed mid-stream)
 * or `hang` (kept open; `push` sends more) — or answers a status; with no script left it hangs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { makeCertificates, tlsSkipReason } from './tls.js';


export function replaySkipReason(): string | undefined {
  return tlsSkipReason();
}

export const WATCH_TOKEN = 'rw-watch-token-5d1e0c9a';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

export type WatchScript = { events?: WatchEvent[]; then: 'end' | 'drop' | 'hang' } | { status: number; body?: unknown };

export interface SeenRequest {
  path: string;
  query: Record<string, string>;
}

export interface ReplayApi {
  url: string;
  /** POST/PUT/PATCH requests with their JSON bodies (POST/PUT answered 201 with the body, or `writeStatus`; PATCH by `patch`). */
  writes: Array<{ method: string; path: string; body: unknown; contentType?: string | undefined; query?: Record<string, string> }>;
  /** Answers PATCH requests (default: the API server's 404). */
  patch: ((request: { path: string; contentType: string | undefined; query: Record<string, string>; body: unknown }) => { status: number; body: unknown }) | undefined;
  writeStatus: number;
  kubeconfig: string;
  requests: SeenRequest[];
  setList(path: string, items: Array<Record<string, unknown>>, resourceVersion: string): void;
  setListStatus(path: string, status: number, message: string): void;
  script(path: string, ...streams: WatchScript[]): void;
  /** Send an event on every open watch of `path`. */
  push(path: string, event: WatchEvent): void;
  watchRequests(path: string): SeenRequest[];
  listRequests(path: string): SeenRequest[];
  /**
   * Keep coordination.k8s.io Leases as the API server does, for replicas electing a leader: create (409 when it
   * exists), get (404 until created), update only at the current resourceVersion (409 otherwise).
   */
  keepLeases(): void;
  close(): Promise<void>;
}

const LEASE_PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/;

export function statusObject(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** `{type: 'BOOKMARK', object: {kind, metadata: {resourceVersion}}}` as the API server sends it. */
export function bookmark(kind: string, resourceVersion: string): WatchEvent {
  return { type: 'BOOKMARK', object: { kind, apiVersion: 'v1', metadata: { resourceVersion } } };
}

export function withVersion(object: Record<string, unknown>, resourceVersion: string): Record<string, unknown> {
  return { ...object, metadata: { ...(object.metadata as Record<string, unknown>), resourceVersion } };
}

export async function startReplayApi(): Promise<ReplayApi> {
  const dir = await mkdtemp(join(tmpdir(), 'rw-watch-'));
  const lists = new Map<string, { status: number; body: unknown }>();
  const scripts = new Map<string, WatchScript[]>();
  const open = new Map<string, Set<ServerResponse>>();
  const requests: SeenRequest[] = [];
  const writes: ReplayApi['writes'] = [];
  let leases: Map<string, { metadata: Record<string, unknown> }> | undefined;
  let leaseVersion = 1;

  /** The Lease answer of a request, when Leases are kept and the path names them. */
  const leaseReply = (method: string, path: string, body: unknown): { status: number; body: unknown } | undefined => {
    const match = leases === undefined ? null : LEASE_PATH.exec(path);
    if (leases === undefined || match === null) return undefined;
    const [, namespace, name] = match;
    const object = body as { metadata?: { name?: string; resourceVersion?: string } } | undefined;
    const named = object?.metadata?.name ?? '';
    const key = `${namespace ?? ''}/${name ?? named}`;
    const held = leases.get(key);
    if (method === 'GET') return held === undefined ? { status: 404, body: statusObject(404, 'NotFound', `leases.coordination.k8s.io "${name ?? ''}" not found`) } : { status: 200, body: held };
    if (method === 'POST' && held !== undefined) return { status: 409, body: statusObject(409, 'AlreadyExists', `leases.coordination.k8s.io "${named}" already exists`) };
    if (method === 'PUT' && (held === undefined || object?.metadata?.resourceVersion !== held.metadata.resourceVersion)) return { status: 409, body: statusObject(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again') };
    const stored = { ...(object as Record<string, unknown>), metadata: { ...object?.metadata, namespace, resourceVersion: String(++leaseVersion) } };
    leases.set(key, stored);
    return { status: method === 'POST' ? 201 : 200, body: stored };
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const query = Object.fromEntries(url.searchParams);
    requests.push({ path: url.pathname, query });
    if (req.headers.authorization !== `Bearer ${WATCH_TOKEN}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify(statusObject(401, 'Unauthorized', 'Unauthorized')));
      return;
    }
    if (req.method === 'PATCH') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        const contentType = req.headers['content-type'];
        writes.push({ method: 'PATCH', path: url.pathname, body, contentType, query });
        const reply = replay.patch?.({ path: url.pathname, contentType, query, body }) ?? { status: 404, body: statusObject(404, 'NotFound', 'the server could not find the requested resource') };
        res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body));
      });
      return;
    }
    if (req.method === 'POST' || req.method === 'PUT') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        writes.push({ method: req.method ?? '', path: url.pathname, body });
        const lease = leaseReply(req.method ?? '', url.pathname, body);
        if (lease !== undefined) {
          res.writeHead(lease.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(lease.body));
          return;
        }
        res.writeHead(replay.writeStatus, { 'Content-Type': 'application/json' }).end(JSON.stringify(replay.writeStatus === 201 ? body : statusObject(replay.writeStatus, 'Forbidden', 'events is forbidden')));
      });
      return;
    }
    const lease = req.method === 'GET' ? leaseReply('GET', url.pathname, undefined) : undefined;
    if (lease !== undefined) {
      res.writeHead(lease.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(lease.body));
      return;
    }
    if (query.watch !== '1') {
      const reply = lists.get(url.pathname) ?? { status: 200, body: { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] } };
      // Pages of `limit` items with an opaque `continue` token (the offset), as the API server chunks lists.
      const body = reply.body as { metadata?: Record<string, unknown>; items?: unknown[] };
      const limit = Number(query.limit ?? '0');
      if (reply.status === 200 && Array.isArray(body.items) && limit > 0) {
        const offset = query.continue === undefined ? 0 : Number(Buffer.from(query.continue, 'base64url').toString('utf8'));
        const items = body.items.slice(offset, offset + limit);
        const more = offset + limit < body.items.length;
        const page = { ...body, metadata: { ...body.metadata, ...(more ? { continue: Buffer.from(String(offset + limit)).toString('base64url') } : {}) }, items };
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(page));
        return;
      }
      res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body));
      return;
    }
    const script = scripts.get(url.pathname)?.shift();
    if (script !== undefined && 'status' in script) {
      res.writeHead(script.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(script.body ?? statusObject(script.status, 'Error', `scripted ${script.status}`)));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    for (const e of script?.events ?? []) res.write(`${JSON.stringify(e)}\n`);
    const then = script?.then ?? 'hang';
    if (then === 'end') res.end();
    else if (then === 'drop') setTimeout(() => res.socket?.destroy(), 10);
    else {
      const set = open.get(url.pathname) ?? new Set<ServerResponse>();
      set.add(res);
      open.set(url.pathname, set);
      res.on('close', () => set.delete(res));
    }
  };

  const certs = await makeCertificates(dir, { caName: 'replay-ca' });
  const server: Server = createServer({ key: certs.key, cert: certs.cert }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'replay', cluster: { server: url, 'certificate-authority-data': certs.ca.toString('base64') } }],
      users: [{ name: 'watcher', user: { token: WATCH_TOKEN } }],
      contexts: [{ name: 'replay', context: { cluster: 'replay', user: 'watcher' } }],
      'current-context': 'replay',
    }),
  );

  const replay: ReplayApi = {
    url,
    kubeconfig,
    writes,
    writeStatus: 201,
    patch: undefined,
    requests,
    setList(path, items, resourceVersion) {
      lists.set(path, { status: 200, body: { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion }, items } });
    },
    setListStatus(path, status, message) {
      lists.set(path, { status, body: statusObject(status, status === 403 ? 'Forbidden' : 'Error', message) });
    },
    script(path, ...streams) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...streams]);
    },
    push(path, event) {
      for (const res of open.get(path) ?? []) res.write(`${JSON.stringify(event)}\n`);
    },
    watchRequests: (path) => requests.filter((r) => r.path === path && r.query.watch === '1'),
    listRequests: (path) => requests.filter((r) => r.path === path && r.query.watch !== '1'),
    keepLeases() {
      leases ??= new Map();
    },
    async close() {
      for (const set of open.values()) for (const res of set) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return replay;
}
