/**
 * The validating webhook's HTTP side (node:https; the API server only calls webhooks over TLS):
 * `POST /validate` takes an AdmissionReview v1 and answers it from the cached verdicts, `/healthz` and
 * `/readyz` are for the kubelet's probes. Every request is answered: a review that cannot be judged
 * gets the configured failure mode (open: admitted with a warning; closed: denied), never a hang.
 */
import type http from 'node:http';
import { errorMessage } from '../core/errors.js';
import { boundedLogger, type Logger } from '../serve/log.js';
import { clientCertificateProblem, listenTls, type TlsFiles, type TlsListening } from '../serve/server/tls.js';
import { decide, objectLabel, UnevaluableObjectError, type DecideOptions, type Decision } from './decide.js';
import { BadReviewError, parseReview, respond, respondUnjudged, type AdmissionRequest, type AdmissionReviewResponse } from './review.js';
import { emptyVerdicts, type VerdictCache } from './verdicts.js';

export type FailureMode = 'open' | 'closed';
export const FAILURE_MODES: readonly FailureMode[] = ['open', 'closed'];

/** Largest AdmissionReview read (an object and its old version; etcd keeps objects under 1.5 MiB). */
export const MAX_REVIEW_BYTES = 8 * 1024 * 1024;
/** The API server's default webhook timeout, when its `?timeout=` is missing or unreadable. */
const DEFAULT_BUDGET_MS = 10_000;

export interface WebhookDeps {
  /** The verdicts now; undefined before the first scan report is loaded. */
  verdicts: () => VerdictCache | undefined;
  /** The decision settings, with `now` for this request. */
  options: () => DecideOptions;
  failureMode: FailureMode;
  log: Logger;
  /** Called after each answered review (metrics, tests). */
  onDecision?: ((event: DecisionEvent) => void) | undefined;
  /**
   * The flag of the CA that the API server's client certificate must chain to (`--client-ca`,
   * `--admission-client-ca`); set by startWebhook when it is given a client CA. Reviews without one are refused.
   */
  clientCertificate?: string | undefined;
}

export interface DecisionEvent {
  request: AdmissionRequest;
  outcome: 'allowed' | 'warned' | 'denied' | 'skipped' | 'unjudged';
  ms: number;
}

/** `10s` → 10000; the API server sends the webhook's own timeout as `?timeout=`. */
export function budgetOf(value: string | null): number {
  const m = value === null ? null : /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
  if (m === null) return DEFAULT_BUDGET_MS;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** One review answered (pure but for the clock): the decision, or the failure mode when it cannot be made. */
export function answer(request: AdmissionRequest, deps: Pick<WebhookDeps, 'verdicts' | 'options' | 'failureMode'>): { response: AdmissionReviewResponse; decision: Decision | undefined; why?: string } {
  const cache = deps.verdicts();
  const extra: string[] = [];
  if (cache === undefined) {
    if (deps.failureMode === 'closed') {
      const why = 'no scan verdicts are loaded yet, so its images cannot be judged';
      return { response: respondUnjudged(request.uid, 'closed', objectLabel(request), why), decision: undefined, why };
    }
    extra.push('runwarden: no scan verdicts are loaded yet; images were not judged (failure mode open)');
  }
  try {
    const decision = decide(request, cache ?? emptyVerdicts('none'), deps.options());
    return { response: respond(request, decision, decision.skipped === undefined ? extra : []), decision };
  } catch (error) {
    const why = error instanceof UnevaluableObjectError ? error.message : `internal error: ${errorMessage(error)}`;
    return { response: respondUnjudged(request.uid, deps.failureMode, objectLabel(request), why), decision: undefined, why };
  }
}

const HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, HEADERS);
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_REVIEW_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REVIEW_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function webhookHandler(deps: WebhookDeps): http.RequestListener {
  const refusals = boundedLogger(deps.log, REFUSALS_LOGGED_PER_MINUTE);
  return (req, res) => {
    handle(deps, refusals, req, res).catch((error: unknown) => {
      deps.log('error', 'admission request failed', { path: req.url, error: errorMessage(error) });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error; see the webhook log' });
      else res.destroy();
    });
  };
}

/** Refused callers logged a minute (serve/log boundedLogger): someone hammering the port does not flood the log. */
const REFUSALS_LOGGED_PER_MINUTE = 60;

async function handle(deps: WebhookDeps, refusals: Logger, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  if (url.pathname === '/healthz' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  if (url.pathname === '/readyz' && req.method === 'GET') {
    const cache = deps.verdicts();
    // fail open: ready without verdicts (reviews are answered, images unjudged); fail closed: not ready until loaded
    const ready = cache !== undefined || deps.failureMode === 'open';
    res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' });
    res.end(cache !== undefined ? `ok (verdicts of the scan at ${cache.scannedAt === '' ? 'none yet' : cache.scannedAt}, ${cache.origin})\n` : ready ? 'ok (no verdicts loaded yet; images are not judged)\n' : 'not ready: no scan verdicts loaded yet\n');
    return;
  }
  if (url.pathname !== '/validate') {
    sendJson(res, 404, { error: `nothing at ${url.pathname}`, hint: 'Point the ValidatingWebhookConfiguration at path /validate.' });
    return;
  }
  // Health probes (the kubelet presents no certificate) stay open; a review must come from the API server.
  const problem = deps.clientCertificate === undefined ? undefined : clientCertificateProblem(req, deps.clientCertificate);
  if (problem !== undefined) {
    refusals('warn', 'admission request refused: not authenticated', { reason: problem, from: req.socket.remoteAddress });
    sendJson(res, 401, { error: problem, hint: 'The API server presents the client certificate of the kubeconfig its AdmissionConfiguration names for this webhook (deploy/admission/readme.md).' });
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    sendJson(res, 405, { error: `${req.method ?? ''} is not allowed: POST an AdmissionReview` });
    return;
  }
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    sendJson(res, 415, { error: `Content-Type "${type}" is not supported: POST application/json` });
    return;
  }
  const started = performance.now();
  const body = await readBody(req);
  if (body === undefined) {
    sendJson(res, 413, { error: `AdmissionReview larger than ${MAX_REVIEW_BYTES} bytes` });
    return;
  }
  let request: AdmissionRequest;
  try {
    request = parseReview(JSON.parse(body.toString('utf8')));
  } catch (error) {
    const message = error instanceof BadReviewError ? error.message : `not JSON: ${errorMessage(error)}`;
    deps.log('warn', 'bad admission review', { error: message });
    sendJson(res, 400, { error: message });
    return;
  }
  const { response, decision, why } = answer(request, deps);
  const ms = performance.now() - started;
  const outcome: DecisionEvent['outcome'] = decision === undefined ? 'unjudged' : decision.skipped !== undefined ? 'skipped' : !decision.allowed ? 'denied' : decision.warned.length > 0 ? 'warned' : 'allowed';
  sendJson(res, 200, response);
  const budget = budgetOf(url.searchParams.get('timeout'));
  deps.log(ms > budget / 2 ? 'warn' : outcome === 'denied' || outcome === 'unjudged' ? 'info' : 'debug', 'admission review', {
    uid: request.uid,
    operation: request.operation,
    object: decision?.object ?? objectLabel(request),
    outcome,
    ...(decision === undefined ? { why } : { denied: decision.denied.map((f) => f.rule), warned: decision.warned.length, suppressed: decision.suppressed.length, ...(decision.skipped === undefined ? {} : { skipped: decision.skipped }) }),
    user: request.userInfo?.username,
    dryRun: request.dryRun === true,
    ms: Math.round(ms * 10) / 10,
    ...(ms > budget / 2 ? { budgetMs: budget } : {}),
  });
  deps.onDecision?.({ request, outcome, ms });
}

export type WebhookTls = TlsFiles;

export type RunningWebhook = TlsListening;

/**
 * Listen on host:port over TLS (serve's listener: the same keep-alive and timeouts, one line when the port is
 * taken); the certificate is re-read when cert-manager renews it in place. With `clientCa` (PEM; `clientCaFlag`
 * names its flag in refusals) a review needs a client certificate that chains to it: the API server's.
 */
export async function startWebhook(options: { host: string; port: number; tls: WebhookTls; deps: WebhookDeps; clientCa?: Buffer | undefined; clientCaFlag?: string; pollMs?: number }): Promise<RunningWebhook> {
  const deps = options.clientCa === undefined ? options.deps : { ...options.deps, clientCertificate: options.clientCaFlag ?? '--client-ca' };
  return listenTls(webhookHandler(deps), { host: options.host, port: options.port, tls: options.tls, clientCa: options.clientCa, pollMs: options.pollMs, log: options.deps.log });
}
