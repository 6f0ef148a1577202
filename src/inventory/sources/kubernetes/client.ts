/**
 * A minimal JSON client for the Kubernetes API (GETs; the node agent's report create-or-replace; `fix --apply`'s JSON Patch). Authentication, TLS and proxies come from
 * client-node's `KubeConfig.applyToHTTPSOptions`; the replies stay plain JSON (as `kubectl get -o json`),
 * not client-node's model classes with `Date` fields. Transport failures become `KubeApiError`s
 * that name the server and the cause, here and nowhere else; tokens and headers never appear in them.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import { ConfigError, KubeApiError, errorMessage } from '../../../core/errors.js';
import type { ResolvedKubeconfig } from './kubeconfig.js';

export interface ApiReply {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when the body is not JSON (`text` holds its start). */
  body: unknown;
  text: string;
}

/** client-go retries 429 and 5xx only when the server sends Retry-After; so do we, a few times, briefly. */
const MAX_RETRIES = 3;
const MAX_RETRY_AFTER_S = 10;

const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

export class ApiClient {
  readonly server: string;
  readonly context: string;
  private readonly resolved: ResolvedKubeconfig;
  private readonly timeoutMs: number;
  private agent: http.Agent | undefined;

  constructor(resolved: ResolvedKubeconfig, timeoutMs: number) {
    this.resolved = resolved;
    this.server = resolved.server;
    this.context = resolved.context;
    this.timeoutMs = timeoutMs;
  }

  /** Full URL of an API path, without query: the `origin` of what it returns. */
  url(path: string): string {
    return `${this.server}${path}`;
  }

  async get(path: string, query: Record<string, string>, signal: AbortSignal | undefined): Promise<ApiReply> {
    return this.send('GET', path, query, undefined, signal);
  }

  /** A write (`POST` create, `PUT` replace) with a JSON body (the node agent's report). */
  async write(method: 'POST' | 'PUT', path: string, body: unknown, signal: AbortSignal | undefined): Promise<ApiReply> {
    return this.send(method, path, {}, JSON.stringify(body), signal);
  }

  /** A JSON Patch (RFC 6902) of one object (`fix --apply`). */
  async patch(path: string, ops: unknown, query: Record<string, string>, signal: AbortSignal | undefined): Promise<ApiReply> {
    return this.send('PATCH', path, query, JSON.stringify(ops), signal, 'application/json-patch+json');
  }

  private async send(method: Method, path: string, query: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined, contentType = 'application/json'): Promise<ApiReply> {
    const url = new URL(this.url(path));
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    for (let attempt = 0; ; attempt++) {
      const reply = await this.once(method, url, body, signal, contentType);
      const retryAfter = retryAfterSeconds(reply);
      if (retryAfter === undefined || attempt >= MAX_RETRIES) return reply;
      await sleep(Math.min(retryAfter, MAX_RETRY_AFTER_S) * 1000, undefined, signal === undefined ? undefined : { signal });
    }
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async once(method: Method, url: URL, body: string | undefined, signal: AbortSignal | undefined, contentType: string): Promise<ApiReply> {
    const options = await this.requestOptions();
    if (body !== undefined) options.headers = { ...options.headers, 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) };
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      const response = await send(url, { ...options, method, signal: combined }, body);
      const encoding = response.headers['content-encoding'];
      const stream = encoding === 'gzip' ? pipeline(response, createGunzip(), () => undefined) : response;
      const text = (await buffer(stream)).toString('utf8');
      return { status: response.statusCode ?? 0, headers: response.headers, body: parseJson(text), text: text.slice(0, 200) };
    } catch (error) {
      signal?.throwIfAborted();
      if (timeout.aborted) throw this.unreachable(`no reply within ${this.timeoutMs / 1000}s (timeout)`, 'Check the network, VPN or firewall between here and the API server.', error);
      throw this.transportError(error);
    }
  }

  /** Agent (TLS, proxy) once per load; headers per request, so exec/token-file credentials stay fresh. */
  private async requestOptions(): Promise<https.RequestOptions> {
    const options: https.RequestOptions = {};
    try {
      await this.resolved.kubeConfig.applyToHTTPSOptions(options);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'EACCES') {
        throw new ConfigError(`Cannot read a file named by context "${this.context}" (${this.resolved.origin}): ${errorMessage(error)}`, {
          cause: error,
          hint: 'Check certificate-authority, client-certificate, client-key and token-file paths in the kubeconfig.',
        });
      }
      throw new KubeApiError(`Cannot obtain credentials for context "${this.context}" (${this.resolved.origin}): ${errorMessage(error)}`, {
        cause: error,
        hint: 'Check the exec plugin or auth-provider of the kubeconfig user, e.g. log in again with your cloud CLI.',
      });
    }
    if (this.agent === undefined) this.agent = options.agent instanceof http.Agent ? options.agent : undefined;
    else if (options.agent instanceof http.Agent && options.agent !== this.agent) options.agent.destroy();
    const headers: Record<string, string | string[]> = {};
    // A token file ending in a newline is common (client-go trims it too); a raw newline is an invalid header.
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.map((v) => v.trim()) : String(value).trim();
    }
    return {
      agent: this.agent,
      headers: { ...headers, Accept: 'application/json', 'Accept-Encoding': 'gzip', 'User-Agent': 'runwarden' },
      ...(options.auth === undefined ? {} : { auth: options.auth }),
    };
  }

  private transportError(error: unknown): KubeApiError {
    const code = errorCode(error) ?? '';
    const host = new URL(this.server).hostname;
    if (TLS_VERIFY_CODES.has(code)) {
      const hint =
        code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? `The server certificate is not valid for "${host}": use the name the certificate was issued for, or set tls-server-name for the cluster in the kubeconfig.`
          : code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
            ? 'Renew the API server certificate, or check this machine’s clock.'
            : `The server certificate is not signed by a CA the kubeconfig trusts: set certificate-authority (a file) or certificate-authority-data for the cluster of context "${this.context}", e.g. "kubectl config set-cluster <name> --certificate-authority=ca.crt --embed-certs".`;
      return this.unreachable(`TLS certificate verification failed: ${errorMessage(error)} (${code})`, hint, error);
    }
    const known: Record<string, [string, string]> = {
      ECONNREFUSED: ['connection refused', `Is the cluster running and the server URL right? Try "kubectl cluster-info --context ${this.context}".`],
      ENOTFOUND: [`host name "${host}" not found`, 'Check the server host name in the kubeconfig, and DNS or VPN.'],
      EAI_AGAIN: [`host name "${host}" could not be resolved (DNS unavailable)`, 'Check DNS or VPN, then retry.'],
      ETIMEDOUT: ['connection timed out', 'Check the network, VPN or firewall between here and the API server.'],
      EHOSTUNREACH: ['host unreachable', 'Check the network or VPN.'],
      ENETUNREACH: ['network unreachable', 'Check the network or VPN.'],
      ECONNRESET: ['connection reset by the server or a proxy', 'Retry; if it persists, check proxies and load balancers in between.'],
      EPROTO: ['TLS handshake failed', 'Is the scheme (https) and port that of the API server?'],
      ERR_SSL_WRONG_VERSION_NUMBER: ['TLS handshake failed (the server does not speak TLS)', 'Is the scheme (https) and port that of the API server?'],
    };
    const [cause, hint] = known[code] ?? [errorMessage(error), `Check the server URL of context "${this.context}" and the network.`];
    return this.unreachable(code === '' || cause.includes(code) ? cause : `${cause} (${code})`, hint, error);
  }

  private unreachable(cause: string, hint: string, error: unknown): KubeApiError {
    return new KubeApiError(`Cannot reach the Kubernetes API server at ${this.server} (context "${this.context}"): ${cause}`, { cause: error, hint });
  }
}

function send(url: URL, options: https.RequestOptions, body: string | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'http:' ? http : https).request(url, options, resolve);
    request.on('error', reject);
    request.end(body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function retryAfterSeconds(reply: ApiReply): number | undefined {
  if (reply.status !== 429 && reply.status < 500) return undefined;
  const header = reply.headers['retry-after'];
  if (header === undefined || !/^\d{1,6}$/.test(header)) return undefined;
  return Number(header);
}

function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Wrappers keep the socket error as `cause`.
  return errorCode((error as { cause?: unknown }).cause, depth + 1);
}
