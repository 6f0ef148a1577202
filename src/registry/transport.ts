/**
 * HTTP for the registry client on Node's built-in fetch (undici): retries with exponential backoff
 * and full jitter on 429, 5xx and dropped connections, honouring `Retry-After`; redirects followed
 * by hand so credentials never travel to another origin (blob downloads redirect to object stores)
 * and HTTPS is never downgraded; and a per-registry concurrency limit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError, errorMessage } from '../core/errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the request fails with the server's answer. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  /** Buffers only, so a retry can send the body again. */
  body?: Buffer | string | undefined;
  signal?: AbortSignal | undefined;
}

export interface TransportOptions {
  retry?: Partial<RetryPolicy>;
  /** Requests in flight per registry host (blob downloads hold their slot until read). Default 4. */
  concurrency?: number;
  userAgent?: string;
  /** Called before each retry (for logs and tests). */
  onRetry?: (event: { url: string; attempt: number; delayMs: number; reason: string }) => void;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const MAX_REDIRECTS = 5;

/** `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The error code under fetch's `TypeError: fetch failed` (undici puts it on `cause`). */
export function networkErrorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async acquire(signal: AbortSignal | undefined): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = (): void => {
          signal?.removeEventListener('abort', abort);
          resolve();
        };
        const abort = (): void => {
          const i = this.waiting.indexOf(go);
          if (i !== -1) this.waiting.splice(i, 1);
          reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        signal?.addEventListener('abort', abort, { once: true });
        this.waiting.push(go);
      });
    }
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}

export class Transport {
  readonly retry: RetryPolicy;
  private readonly concurrency: number;
  private readonly limits = new Map<string, Semaphore>();
  private readonly userAgent: string;
  private readonly onRetry: TransportOptions['onRetry'];

  constructor(options: TransportOptions = {}) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.userAgent = options.userAgent ?? 'runwarden';
    this.onRetry = options.onRetry;
  }

  /** A slot of the registry's concurrency limit; call the returned function to give it back. */
  acquire(registry: string, signal?: AbortSignal): Promise<() => void> {
    let s = this.limits.get(registry);
    if (s === undefined) {
      s = new Semaphore(this.concurrency);
      this.limits.set(registry, s);
    }
    return s.acquire(signal);
  }

  /**
   * Send with retries and safe redirects. Returns the final response, also for a status that
   * stayed retryable after the last attempt: the caller turns statuses into errors. The caller
   * must consume or cancel the body.
   */
  async send(request: HttpRequest): Promise<Response> {
    let attempt = 0;
    for (;;) {
      let response: Response;
      try {
        response = await this.sendFollowingRedirects(request);
      } catch (error) {
        if (request.signal?.aborted === true) throw request.signal.reason instanceof Error ? request.signal.reason : error;
        if (error instanceof RegistryError) throw error;
        const code = networkErrorCode(error);
        if (code !== undefined && RETRY_CODES.has(code) && attempt < this.retry.retries) {
          await this.wait(request, ++attempt, undefined, code);
          continue;
        }
        throw this.networkError(request.url, error, code, attempt);
      }
      if (RETRY_STATUS.has(response.status) && attempt < this.retry.retries) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
        if (retryAfter !== undefined && retryAfter > this.retry.maxRetryAfterMs) return response;
        await response.body?.cancel().catch(() => undefined);
        await this.wait(request, ++attempt, retryAfter, `HTTP ${response.status}`);
        continue;
      }
      return response;
    }
  }

  private async wait(request: HttpRequest, attempt: number, retryAfterMs: number | undefined, reason: string): Promise<void> {
    const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    // Full jitter, but never sooner than the server asked.
    const delayMs = retryAfterMs !== undefined ? retryAfterMs : Math.round(backoff / 2 + Math.random() * (backoff / 2));
    this.onRetry?.({ url: request.url.href, attempt, delayMs, reason });
    await sleep(delayMs, undefined, { signal: request.signal });
  }

  private async sendFollowingRedirects(request: HttpRequest): Promise<Response> {
    let url = request.url;
    let method = request.method;
    let body = request.body;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...request.headers };
    for (let hop = 0; ; hop++) {
      const response = await fetch(url, { method, headers, body, redirect: 'manual', signal: request.signal });
      const location = response.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(response.status) || location === null) return response;
      await response.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new RegistryError('too-many-redirects', `More than ${MAX_REDIRECTS} redirects from ${request.url.host} for ${request.url.pathname}`);
      const next = new URL(location, url);
      if (url.protocol === 'https:' && next.protocol !== 'https:') {
        throw new RegistryError('insecure-redirect', `${url.host} redirected ${url.pathname} to plain ${next.protocol.replace(':', '')} (${next.host}); runwarden does not downgrade HTTPS`, { registry: request.url.host });
      }
      if (next.origin !== url.origin) {
        // Credentials are for the registry only (fetch spec: drop Authorization across origins).
        delete headers.authorization;
      }
      if (response.status === 303) {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  }

  private networkError(url: URL, error: unknown, code: string | undefined, attempts: number): RegistryError {
    const cause = networkErrorCause(error);
    const tries = attempts > 0 ? ` after ${attempts + 1} attempts` : '';
    let hint = 'Check the registry host and port, and your network or proxy.';
    if (code === 'ECONNREFUSED') hint = `Nothing accepts connections at ${url.host}: check the host and port.`;
    else if (code === 'ENOTFOUND') hint = `The name ${url.hostname} does not resolve: check the registry host.`;
    else if (url.protocol === 'https:' && /wrong version number|EPROTO|packet length too long/i.test(cause)) {
      hint = `${url.host} does not speak HTTPS. If it is a plain-HTTP registry you trust, pass --insecure-registry ${url.host}.`;
    } else if (/certificate|self.signed|CERT_/i.test(cause)) {
      hint = `The TLS certificate of ${url.host} is not trusted: add its CA with NODE_EXTRA_CA_CERTS=<ca.pem>.`;
    }
    return new RegistryError('unreachable', `Cannot reach registry ${url.host} (${url.protocol}//${url.host}${url.pathname})${tries}: ${cause}`, { hint, cause: error, registry: url.host });
  }
}

function networkErrorCause(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    const m = errorMessage(e);
    if (m !== 'fetch failed' && m !== '') parts.push(m);
    e = typeof e === 'object' ? (e as { cause?: unknown }).cause : undefined;
  }
  return parts.join(': ') || 'connection failed';
}
