/**
 * The receiver of the Kubernetes API server's audit webhook backend (`--audit-webhook-config-file`, a
 * kubeconfig whose cluster is this URL). The API server POSTs an audit.k8s.io/v1 `EventList` (JSON) per batch
 * over TLS and retries a batch that is not answered 2xx, so a batch is answered 200 as soon as it is parsed:
 * an event in it that is not an audit event is logged (bounded) and skipped, never a 4xx for the batch. The
 * events go through one long-lived Detector (an exec's ResponseStarted and ResponseComplete, or a batch sent
 * again, report once) and its detections to `onDetections` (alerts.ts).
 *
 * Routes: `POST /audit` (authenticated), `GET /healthz`, `/readyz` (kubelet probes) and `/metrics`
 * (Prometheus text, this receiver's own registry), which are not: like serve's, they tell nothing about events.
 * Authentication: bearer tokens (serve's token file, SHA-256 hashes compared in constant time) and/or client
 * certificates chaining to `clientCa`. When both are configured both are required. The TLS handshake asks
 * for a certificate without failing without one (the kubelet's HTTPS probes present none); `/audit` then
 * refuses a request whose certificate did not verify.
 */
import type http from 'node:http';
import { Readable } from 'node:stream';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { errorMessage } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import type { Issue } from '../core/issue.js';
import { boundedLogger, type Logger } from '../serve/log.js';
import { authenticate, type TokenEntry } from '../serve/server/auth.js';
import { clientCertificateProblem, listenTls, type TlsFiles, type TlsListening } from '../serve/server/tls.js';
import type { Detector } from './detect.js';
import type { AuditEvent } from './event.js';
import { readAuditEvents, type ReadCounts } from './read.js';

export const AUDIT_PATH = '/audit';
/** Largest batch read: the API server's default batch is 400 events (--audit-webhook-batch-max-size), each well under 1.5 MiB. */
export const MAX_BATCH_BYTES = 32 * 1024 * 1024;
/** Log lines about bad input (invalid events, refused requests, rule failures) per minute; the rest are counted. */
const LOG_LINES_PER_MINUTE = 60;

export const EVENT_OUTCOMES = ['evaluated', 'skipped', 'invalid'] as const;
export const BATCH_OUTCOMES = ['accepted', 'invalid', 'too-large', 'unauthenticated'] as const;

/** Prometheus metrics of the receiver, in a registry of its own (documented in deploy/audit/readme.md). */
export class AuditMetrics {
  readonly registry = new Registry();
  readonly events: Counter<'outcome'>;
  readonly detections: Counter<'rule' | 'severity'>;
  readonly batches: Counter<'outcome'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.events = new Counter({
      name: 'runwarden_audit_events_total',
      help: 'Audit events received: evaluated by the rules, skipped (a stage the rules do not look at: RequestReceived, Panic) or invalid (not an audit event).',
      labelNames: ['outcome'],
      registers,
    });
    this.detections = new Counter({ name: 'runwarden_audit_detections_total', help: 'Detections by rule and severity (each request and rule once).', labelNames: ['rule', 'severity'], registers });
    this.batches = new Counter({
      name: 'runwarden_audit_batches_total',
      help: 'POSTs to /audit by outcome: accepted (200), invalid (400, 415: not JSON), too-large (413), unauthenticated (401).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of EVENT_OUTCOMES) this.events.inc({ outcome }, 0);
    for (const outcome of BATCH_OUTCOMES) this.batches.inc({ outcome }, 0);
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'runwarden_' });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export interface ReceiverDeps {
  /** One for the receiver's life: its memory of reported (auditID, rule) pairs dedupes across batches. */
  detector: Detector;
  /** The detections of one accepted batch (called after the batch was answered). */
  onDetections: (detections: Finding[]) => void;
  /** Accepted bearer tokens; undefined: no token is asked for. */
  tokens: readonly TokenEntry[] | undefined;
  /** A client certificate that verified against the server's CA is required (start the server with `clientCa`). */
  clientCertificate: boolean;
  metrics: AuditMetrics;
  log: Logger;
}

const HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...HEADERS, ...headers });
  res.end(JSON.stringify(body));
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

/** The body, or undefined once it passes `limit` (the rest is read and dropped, so the client gets the 413). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

/** Codes of read.ts for input that is not JSON at all (as opposed to JSON that is not an audit event). */
const NOT_JSON = new Set(['audit-input-invalid', 'audit-line-invalid', 'audit-input-too-large']);
/** Why the request is not authenticated, or undefined when it is. Says nothing about which token was close. */
function unauthenticated(deps: ReceiverDeps, req: http.IncomingMessage): string | undefined {
  if (deps.clientCertificate) {
    const problem = clientCertificateProblem(req, '--client-ca');
    if (problem !== undefined) return problem;
  }
  if (deps.tokens !== undefined && authenticate(req.headers.authorization, deps.tokens) === undefined) {
    return req.headers.authorization === undefined ? 'a bearer token is required' : 'the bearer token is not accepted';
  }
  return undefined;
}

export function auditHandler(deps: ReceiverDeps): http.RequestListener {
  const noisy = boundedLogger(deps.log, LOG_LINES_PER_MINUTE);
  let batches = 0;
  return (req, res) => {
    handle(deps, noisy, () => ++batches, req, res).catch((error: unknown) => {
      deps.log('error', 'audit request failed', { path: req.url, error: errorMessage(error) });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error; see the receiver log' });
      else if (!res.writableEnded) res.destroy();
    });
  };
}

async function handle(deps: ReceiverDeps, noisy: Logger, nextBatch: () => number, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://localhost').pathname;
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: `${req.method ?? ''} is not allowed on ${path}: use GET` }, { Allow: 'GET, HEAD' });
      return;
    }
    if (path === '/metrics') {
      const text = await deps.metrics.render();
      res.writeHead(200, { 'Content-Type': deps.metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(text);
      return;
    }
    sendText(res, 200, 'ok\n');
    return;
  }
  if (path !== AUDIT_PATH) {
    sendJson(res, 404, { error: `nothing at ${path}`, hint: `Point the API server's --audit-webhook-config-file (clusters[].cluster.server) at https://<this service>:<port>${AUDIT_PATH}.` });
    return;
  }
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: `${req.method ?? ''} is not allowed: POST an audit.k8s.io/v1 EventList` }, { Allow: 'POST' });
    return;
  }
  const refused = unauthenticated(deps, req);
  if (refused !== undefined) {
    deps.metrics.batches.inc({ outcome: 'unauthenticated' });
    noisy('warn', 'audit request refused: not authenticated', { remote: req.socket.remoteAddress, reason: refused });
    sendJson(res, 401, { error: `Unauthenticated: ${refused}` }, deps.tokens === undefined ? {} : { 'WWW-Authenticate': 'Bearer realm="runwarden-audit"' });
    return;
  }
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    deps.metrics.batches.inc({ outcome: 'invalid' });
    sendJson(res, 415, { error: `Content-Type "${type}" is not supported: POST application/json` });
    return;
  }
  const declared = Number(req.headers['content-length'] ?? '0');
  const body = declared > MAX_BATCH_BYTES ? undefined : await readBody(req, MAX_BATCH_BYTES);
  if (body === undefined) {
    deps.metrics.batches.inc({ outcome: 'too-large' });
    noisy('warn', 'audit batch refused: too large', { remote: req.socket.remoteAddress, limitBytes: MAX_BATCH_BYTES });
    // the rest of the body is read and dropped (readBody's listener, or Node's own for an unread one)
    sendJson(res, 413, { error: `batch larger than ${MAX_BATCH_BYTES} bytes`, hint: 'Lower the API server\'s --audit-webhook-batch-max-size.' });
    return;
  }
  const batch = nextBatch();
  const name = `batch ${batch}`;
  const events: AuditEvent[] = [];
  const issues: Issue[] = [];
  const counts: ReadCounts = { invalid: 0, notJson: 0 };
  // only whitespace: the first other byte, not a decoded copy of the whole batch
  const empty = body.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) < 0;
  if (!empty) {
    for await (const item of readAuditEvents(Readable.from([body]), name, counts)) {
      if ('issue' in item) issues.push(item.issue);
      else events.push(item.event);
    }
  }
  const notJson = events.length === 0 ? issues.find((i) => NOT_JSON.has(i.code)) : undefined;
  if (empty || notJson !== undefined) {
    deps.metrics.batches.inc({ outcome: 'invalid' });
    const message = notJson === undefined ? `${name}: empty body` : notJson.message.replace(/\s+/g, ' ');
    noisy('warn', 'audit batch refused: not JSON', { remote: req.socket.remoteAddress, error: message });
    sendJson(res, 400, { error: message, hint: 'POST an audit.k8s.io/v1 EventList as JSON (what the API server\'s audit webhook backend sends).' });
    return;
  }
  const invalid = counts.invalid;
  deps.metrics.batches.inc({ outcome: 'accepted' });
  // answered before the rules run: the API server's batch is done, whatever the rules or the sinks do
  sendJson(res, 200, { events: events.length, invalid });
  for (const i of issues) noisy('warn', 'audit event skipped', { batch, code: i.code, error: i.message });
  deps.metrics.events.inc({ outcome: 'invalid' }, invalid);
  const detections: Finding[] = [];
  let skipped = 0;
  for (const event of events) {
    const before = deps.detector.stats.skipped;
    try {
      detections.push(...deps.detector.push(event));
    } catch (error) {
      noisy('error', 'audit rules failed on an event', { batch, auditID: event.auditID, error: errorMessage(error) });
    }
    if (deps.detector.stats.skipped > before) skipped++;
  }
  deps.metrics.events.inc({ outcome: 'skipped' }, skipped);
  deps.metrics.events.inc({ outcome: 'evaluated' }, events.length - skipped);
  for (const d of detections) deps.metrics.detections.inc({ rule: d.rule, severity: d.severity });
  if (detections.length > 0) deps.onDetections(detections);
}

export type ReceiverTls = TlsFiles;

export interface ReceiverOptions {
  host: string;
  port: number;
  tls: ReceiverTls;
  /** PEM CA bundle: when given, callers need a client certificate signed by it. */
  clientCa?: Buffer | undefined;
  deps: Omit<ReceiverDeps, 'clientCertificate'>;
  /** How often the certificate files are looked at for a renewal (default 10 s). */
  pollMs?: number | undefined;
}

export type RunningReceiver = TlsListening;

/**
 * Listen on host:port over TLS (the admission webhook's listener: serve's timeouts, one line when the port is
 * taken, the certificate re-read when cert-manager renews it in place). The handshake asks for a client
 * certificate when `clientCa` is given, without failing without one (the kubelet's probes present none).
 */
export async function startAuditReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const handler = auditHandler({ ...options.deps, clientCertificate: options.clientCa !== undefined });
  // a full batch (32 MiB) over a slow link; also bounds a sender that never finishes its body
  return listenTls(handler, { host: options.host, port: options.port, tls: options.tls, clientCa: options.clientCa, requestTimeoutMs: 60_000, pollMs: options.pollMs, log: options.deps.log });
}
