/**
 * A streaming GET for Kubernetes watches (`?watch=1`): the reply is one JSON event per line, kept open by the
 * server until `timeoutSeconds`. Credentials, TLS and proxies come from the resolved kubeconfig exactly as the
 * inventory source's ApiClient gets them (client-node's applyToHTTPSOptions). Lines are handed over as they
 * arrive; a connection that drops mid-stream rejects, a clean end resolves.
 */
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { buffer } from 'node:stream/consumers';
import { KubeApiError, errorMessage } from '../../core/errors.js';
import type { ResolvedKubeconfig } from '../../inventory/sources/kubernetes/index.js';

/** Longest watch event line accepted (a huge object is an issue, not an out-of-memory). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface StreamReply {
  status: number;
  /** The parsed error body when status is not 200. */
  body: unknown;
}

export class StreamClient {
  private readonly resolved: ResolvedKubeconfig;

  constructor(resolved: ResolvedKubeconfig) {
    this.resolved = resolved;
  }

  /** GET `path?query`, calling `onOpen` on a 200 reply, then `onLine` for each line until the server ends it. */
  async stream(path: string, query: Record<string, string>, signal: AbortSignal, onOpen: () => void, onLine: (line: string) => 'continue' | 'stop'): Promise<StreamReply> {
    const url = new URL(`${this.resolved.server}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const options = await this.requestOptions();
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = (url.protocol === 'http:' ? http : https).request(url, { ...options, method: 'GET', signal }, resolve);
      request.on('error', reject);
      request.end();
    });
    if (response.statusCode !== 200) {
      const text = (await buffer(response)).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.statusCode ?? 0, body };
    }
    onOpen();
    const lines = createInterface({ input: response, crlfDelay: Infinity });
    let ended = false;
    response.on('end', () => {
      ended = true;
    });
    try {
      for await (const line of lines) {
        if (line.length > MAX_LINE_BYTES) throw new KubeApiError(`A watch event from ${url.pathname} is larger than ${MAX_LINE_BYTES} bytes`);
        if (line.trim() === '') continue;
        if (onLine(line) === 'stop') {
          response.destroy();
          return { status: 200, body: undefined };
        }
      }
    } catch (error) {
      if (error instanceof KubeApiError) throw error;
      throw new KubeApiError(`The watch of ${url.pathname} broke: ${errorMessage(error)}`, { cause: error });
    }
    // readline ends on both a clean end and a reset socket; only `end` means the server closed the watch.
    if (!ended && !response.complete) throw new KubeApiError(`The watch of ${url.pathname} was cut off`);
    return { status: 200, body: undefined };
  }

  private async requestOptions(): Promise<https.RequestOptions> {
    const options: https.RequestOptions = {};
    await this.resolved.kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string | string[]> = {};
    // As ApiClient: a token file ending in a newline is common, a raw newline is an invalid header.
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.map((v) => v.trim()) : String(value).trim();
    }
    return {
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      headers: { ...headers, Accept: 'application/json', 'User-Agent': 'runwarden' },
      ...(options.auth === undefined ? {} : { auth: options.auth }),
    };
  }
}
