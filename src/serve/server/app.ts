/**
 * The HTTP side of `runwarden serve`, on node:http (a handful of GET routes need no framework): health
 * (`/healthz` liveness, `/readyz` readiness with reasons), `/metrics` (Prometheus text), the REST API under
 * `/api/v1/` (bearer tokens when a token file is given), and the dashboard (one self-contained page).
 * Every non-GET request is refused: the service is read-only.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { AppError, errorMessage } from '../../core/errors.js';
import { dashboardHtml } from '../dashboard/page.js';
import type { Logger } from '../log.js';
import type { ServeMetrics } from '../metrics/index.js';
import { ApiError, handleApi, latestReport, type ApiDeps } from './api.js';
import { authenticate, type TokenEntry } from './auth.js';
import { OPENAPI } from './openapi.js';
import { writePieces } from '../../report/json-text.js';

export interface Readiness {
  ready: boolean;
  /** Why not ready (empty when ready). */
  reasons: string[];
  /** Shown when ready, e.g. "follower; leader: runwarden-7f9c_1a2b" (leader election). */
  note?: string | undefined;
}

export interface AppDeps extends ApiDeps {
  metrics: ServeMetrics;
  readiness: () => Readiness;
  /** Undefined: the API is open (allowed only on a loopback address; see cli/commands/serve.ts). */
  tokens: readonly TokenEntry[] | undefined;
  log: Logger;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
} as const;

/** The dashboard loads nothing from elsewhere: scripts and styles are inline, data comes from this origin. */
const DASHBOARD_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function createHandler(deps: AppDeps): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const page = dashboardHtml({ auth: deps.tokens !== undefined });
  return (req, res) => {
    handle(deps, page, req, res).catch((error: unknown) => {
      deps.log('error', 'request failed', { path: req.url, error: errorMessage(error) });
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal error; see the service log' });
      else res.destroy();
    });
  };
}

async function handle(deps: AppDeps, page: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendJson(res, 405, { error: `${req.method ?? ''} is not allowed: the runwarden API is read-only` });
    return;
  }
  if (path === '/healthz') {
    sendText(res, 200, 'ok\n');
    return;
  }
  if (path === '/readyz') {
    const r = deps.readiness();
    sendText(res, r.ready ? 200 : 503, r.ready ? (r.note === undefined ? 'ok\n' : `ok (${r.note})\n`) : `not ready: ${r.reasons.join('; ')}\n`);
    return;
  }
  if (path === '/metrics') {
    // Refreshes runwarden_inventory_stale for the scrape.
    deps.readiness();
    const text = await deps.metrics.render();
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': deps.metrics.contentType });
    res.end(text);
    return;
  }
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': DASHBOARD_CSP });
    res.end(page);
    return;
  }
  if (path === '/api/v1/openapi.json') {
    sendJson(res, 200, OPENAPI);
    return;
  }
  if (path.startsWith('/api/v1/')) {
    if (deps.tokens !== undefined && authenticate(req.headers.authorization, deps.tokens) === undefined) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="runwarden"');
      sendJson(res, 401, { error: 'Missing or invalid bearer token', hint: 'Send "Authorization: Bearer <token>" with a token whose SHA-256 is in the --token-file.' });
      return;
    }
    try {
      if (path === '/api/v1/report') {
        const report = latestReport(deps, url.searchParams);
        // a poller (runwarden admission serve --report URL) that has this scan's report gets no body
        if (req.headers['if-none-match'] === report.etag) {
          res.writeHead(304, { ...SECURITY_HEADERS, ETag: report.etag });
          res.end();
          return;
        }
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'Content-Type': report.mediaType,
          'Content-Disposition': `inline; filename="${report.filename}"`,
          ETag: report.etag,
          ...(report.csp === undefined ? {} : { 'Content-Security-Policy': report.csp }),
        });
        // a large report is written as it is rendered, at the client's pace; a client that leaves stops it
        await writePieces(res, req.method === 'HEAD' ? [] : report.body());
        res.end();
        return;
      }
      sendJson(res, 200, await handleApi(deps, path.slice('/api/v1/'.length), url.searchParams));
    } catch (error) {
      if (error instanceof ApiError) sendJson(res, error.status, { error: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) });
      else if (error instanceof AppError && error.exitCode === 2) sendJson(res, 400, { error: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) });
      else throw error;
    }
    return;
  }
  sendJson(res, 404, { error: `Nothing at ${path}`, hint: 'The dashboard is at /, the API at /api/v1/ (see /api/v1/openapi.json).' });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

export interface Listening {
  url: string;
  port: number;
  /** The server itself (an https.Server with a certificate: `setSecureContext` swaps a renewed one in). */
  server: http.Server | https.Server;
  close(): Promise<void>;
}

/** Listen on host:port (HTTPS when a certificate is given). Port 0 picks a free port. */
export async function listen(
  handler: http.RequestListener,
  options: {
    host: string;
    port: number;
    /** `ca` + `requestCert`: ask for a client certificate without failing the handshake without one (probes present none); the handler checks `socket.authorized`. */
    tls?: { cert: Buffer; key: Buffer; ca?: Buffer | undefined; requestCert?: boolean | undefined } | undefined;
    /** Time to receive a whole request (default 30 s). */
    requestTimeoutMs?: number | undefined;
  },
): Promise<Listening> {
  const tls = options.tls;
  const server =
    tls === undefined
      ? http.createServer(handler)
      : https.createServer({ cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca }), ...(tls.requestCert === true ? { requestCert: true, rejectUnauthorized: false } : {}) }, handler);
  // Longer than clients' and proxies' idle timeouts, so the server is not the side that closes a reused socket.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new AppError('listen', `Cannot listen on ${options.host}:${options.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : errorMessage(error)}`, {
          hint: 'Pick another --port, or stop what holds it.',
          cause: error,
        }),
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
