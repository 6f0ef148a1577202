/**
 * OCI distribution client (distribution-spec v1.1 "Pull", "Content discovery", "Push"): tag →
 * digest (HEAD, then GET by digest), manifests and indexes in OCI and Docker v2s2 media types,
 * platform selection, streamed blobs verified against their digest, tag lists with `Link`
 * pagination, referrers through the API or the `sha256-<hex>` tag schema, and the small push API
 * that tests and attachments need. Every reply is validated (schema.ts); every failure is a
 * RegistryError that names the registry, the repository and what to do.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { RegistryError, errorMessage } from '../core/errors.js';
import { formatImageReference, parseImageReference, type ImageReference } from '../core/image-ref.js';
import { Authenticator, readLimitedBytes, readLimited, type AuthContext } from './auth.js';
import type { CredentialStore } from './credentials.js';
import { digestOf, isDigest, parseDigest, verified, verifyContent } from './digest.js';
import { MANIFEST_ACCEPT, MEDIA, isImageManifestMediaType, isIndexMediaType, isSchema1MediaType } from './media-types.js';
import { assertPlatform, defaultPlatform, selectPlatform } from './platform.js';
import { ErrorBody, ImageConfig, ImageIndex, ImageManifest, RegistryHostsConfig, TagList, type Descriptor, type Platform } from './schema.js';
import { Transport, parseRetryAfter, type TransportOptions } from './transport.js';

export interface RegistryClientOptions {
  credentials?: CredentialStore | undefined;
  /** Insecure (plain-HTTP) hosts, mirrors and rewrites. */
  hosts?: Partial<RegistryHostsConfig> | undefined;
  transport?: TransportOptions | undefined;
  /** Largest manifest or index accepted (distribution spec: registries SHOULD accept 4 MiB). */
  maxManifestBytes?: number | undefined;
  maxConfigBytes?: number | undefined;
}

/** A repository on a registry (`registry` as in ImageReference: host[:port], `docker.io` for Hub). */
export interface Repository {
  registry: string;
  repository: string;
}

export interface Endpoint {
  /** host[:port] requests go to. */
  host: string;
  scheme: 'https' | 'http';
  /** Key for credentials and challenges (`docker.io` for Docker Hub's API host). */
  authHost: string;
  mirror: boolean;
}

interface ManifestBase {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
  servedBy: string;
}
export type ManifestResult = (ManifestBase & { kind: 'index'; index: ImageIndex }) | (ManifestBase & { kind: 'manifest'; manifest: ImageManifest });

export interface ResolvedRegistryImage {
  /** The reference after rewrites, normalised (`docker.io/library/nginx:1.27`). */
  reference: ImageReference;
  repository: Repository;
  /** Digest of the image manifest. */
  digest: string;
  mediaType: string;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  config: ImageConfig;
  configBytes: Buffer;
  /** The index the manifest was chosen from, when the reference named one. */
  index: { digest: string; mediaType: string; manifests: Descriptor[] } | undefined;
  platform: Platform;
  servedBy: string;
}

export interface Referrers {
  /** `api`: the registry's referrers API; `tag-schema`: the `sha256-<hex>` fallback tag. */
  via: 'api' | 'tag-schema';
  manifests: Descriptor[];
}

const DEFAULT_MAX_MANIFEST = 4 * 1024 * 1024;
const DEFAULT_MAX_CONFIG = 8 * 1024 * 1024;
const DOCKER_HUB_API = 'registry-1.docker.io';

export class RegistryClient {
  readonly transport: Transport;
  readonly auth: Authenticator;
  private readonly hosts: RegistryHostsConfig;
  private readonly maxManifest: number;
  private readonly maxConfig: number;

  constructor(options: RegistryClientOptions = {}) {
    this.hosts = RegistryHostsConfig.parse(options.hosts ?? {});
    this.transport = new Transport(options.transport);
    this.auth = new Authenticator({ credentials: options.credentials, transport: this.transport, isInsecure: (h) => this.isInsecure(h) });
    this.maxManifest = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST;
    this.maxConfig = options.maxConfigBytes ?? DEFAULT_MAX_CONFIG;
  }

  isInsecure(host: string): boolean {
    const h = host.toLowerCase();
    return this.hosts.insecure.some((i) => i.toLowerCase() === h);
  }

  /** Apply the first matching rewrite rule to `registry/repository`. */
  rewrite(ref: ImageReference): ImageReference {
    const name = `${ref.registry}/${ref.repository}`;
    for (const rule of this.hosts.rewrites) {
      if (`${name}/`.startsWith(rule.from) || name === rule.from) {
        const rewritten = (rule.to + `${name}/`.slice(rule.from.length)).replace(/\/+$/, '');
        const suffix = `${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
        return { ...parseImageReference(`${rewritten}${suffix}`), original: ref.original };
      }
    }
    return ref;
  }

  /** Where pulls go: each mirror of the registry in order, then the registry itself. */
  endpoints(registry: string, purpose: 'pull' | 'push' = 'pull'): Endpoint[] {
    const origin = registry === 'docker.io' ? DOCKER_HUB_API : registry;
    const out: Endpoint[] = [];
    if (purpose === 'pull') for (const m of this.hosts.mirrors[registry] ?? []) out.push({ host: m, scheme: this.isInsecure(m) ? 'http' : 'https', authHost: m, mirror: true });
    out.push({ host: origin, scheme: this.isInsecure(origin) || this.isInsecure(registry) ? 'http' : 'https', authHost: registry, mirror: false });
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  private url(endpoint: Endpoint, repository: string, path: string): URL {
    return new URL(`${endpoint.scheme}://${endpoint.host}/v2/${repository}/${path}`);
  }

  /** One request with authentication: a 401 teaches the challenge (or drops a refused token) and is retried. */
  private async send(
    endpoint: Endpoint,
    repo: Repository,
    request: { method: 'GET' | 'HEAD' | 'POST' | 'PUT'; url: URL; headers?: Record<string, string>; body?: Buffer | undefined; actions?: string; signal?: AbortSignal | undefined },
  ): Promise<Response> {
    const ctx: AuthContext = { host: endpoint.authHost, repository: repo.repository, actions: request.actions ?? 'pull', signal: request.signal };
    let authorization = await this.auth.header(ctx);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...request.headers };
      if (authorization !== undefined) headers.authorization = authorization;
      const response = await this.transport.send({ method: request.method, url: request.url, headers, body: request.body, signal: request.signal });
      // At most two retries: one to answer the first challenge, one with a fresh token.
      if (response.status !== 401 || attempt >= 2) return response;
      if (!(await this.auth.unauthorized(ctx, response, authorization))) {
        return new Response(null, { status: 401, statusText: 'Unauthorized' });
      }
      authorization = await this.auth.header(ctx);
    }
  }

  /** Try each endpoint; move on from a mirror that fails, report the registry's own failure. */
  private async onEndpoints<T>(repo: Repository, fn: (endpoint: Endpoint) => Promise<T>): Promise<T> {
    const endpoints = this.endpoints(repo.registry);
    let mirrorError: unknown;
    for (const endpoint of endpoints) {
      try {
        return await fn(endpoint);
      } catch (error) {
        if (!endpoint.mirror) throw error;
        if (error instanceof RegistryError && (error.code === 'digest-mismatch' || error.code === 'size-mismatch')) throw error;
        mirrorError = error;
      }
    }
    throw mirrorError;
  }

  private async statusError(response: Response, endpoint: Endpoint, repo: Repository, what: string, actions = 'pull'): Promise<RegistryError> {
    const status = response.status;
    let detail = '';
    if (response.body !== null && status !== 401) {
      const text = await readLimited(response, 64 * 1024, 'error body').catch(() => '');
      try {
        const body = ErrorBody.safeParse(JSON.parse(text));
        if (body.success) detail = body.data.errors.map((e) => `${e.code}${e.message === undefined ? '' : `: ${e.message}`}`).join('; ');
      } catch {
        detail = '';
      }
    } else {
      await response.body?.cancel().catch(() => undefined);
    }
    const where = `${endpoint.host}/${repo.repository}`;
    const suffix = detail === '' ? '' : ` (${detail})`;
    const ctx = { host: endpoint.authHost, repository: repo.repository, actions };
    if (status === 401) return new RegistryError('unauthorized', `Registry ${endpoint.host} requires authentication for ${what} of ${repo.repository}`, { status, registry: endpoint.host, hint: await this.auth.explain(ctx) });
    if (status === 403) return new RegistryError('denied', `Registry ${endpoint.host} denied ${what} of ${repo.repository} (HTTP 403)${suffix}`, { status, registry: endpoint.host, hint: await this.auth.explain(ctx) });
    if (status === 404) {
      return new RegistryError('not-found', `${what} not found at ${where} (HTTP 404)${suffix}`, { status, registry: endpoint.host, hint: `Check the repository name and tag or digest; "runwarden image inspect" needs the exact name as pushed.` });
    }
    if (status === 429) {
      const after = parseRetryAfter(response.headers.get('retry-after'));
      return new RegistryError('rate-limited', `Registry ${endpoint.host} rate-limited ${what} of ${repo.repository} (HTTP 429${after === undefined ? '' : `, retry after ${Math.ceil(after / 1000)} s`})`, { status, registry: endpoint.host, hint: 'Wait and retry, log in for a higher limit, or configure a mirror.' });
    }
    if (status >= 500) return new RegistryError('registry-error', `Registry ${endpoint.host} failed ${what} of ${repo.repository} with HTTP ${status}${suffix} after ${this.transport.retry.retries + 1} attempts`, { status, registry: endpoint.host, hint: 'The registry is failing; retry later.' });
    return new RegistryError('unexpected-status', `Registry ${endpoint.host} answered HTTP ${status} to ${what} of ${repo.repository}${suffix}`, { status, registry: endpoint.host });
  }

  // ------------------------------------------------------------------------------------------
  // Pull

  /** Tag or digest → manifest digest, media type and size: HEAD first, GET when HEAD says too little. */
  async resolve(input: ImageReference | string, options: { signal?: AbortSignal | undefined } = {}): Promise<{ digest: string; mediaType: string; size: number; servedBy: string }> {
    const ref = this.rewrite(typeof input === 'string' ? parseImageReference(input) : input);
    const repo = { registry: ref.registry, repository: ref.repository };
    const reference = ref.digest ?? ref.tag ?? 'latest';
    return this.onEndpoints(repo, async (endpoint) => {
      const url = this.url(endpoint, repo.repository, `manifests/${reference}`);
      const head = await this.send(endpoint, repo, { method: 'HEAD', url, headers: { accept: MANIFEST_ACCEPT }, signal: options.signal });
      const digest = head.headers.get('docker-content-digest');
      const mediaType = (head.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
      if (head.ok && digest !== null && isDigest(digest) && (ref.digest === undefined || digest === ref.digest)) {
        await head.body?.cancel().catch(() => undefined);
        return { digest, mediaType, size: Number(head.headers.get('content-length') ?? '0'), servedBy: endpoint.host };
      }
      if (!head.ok && head.status !== 405) throw await this.statusError(head, endpoint, repo, `manifest ${reference}`);
      await head.body?.cancel().catch(() => undefined);
      const got = await this.getManifestAt(endpoint, repo, reference, ref.digest, options.signal);
      return { digest: got.digest, mediaType: got.mediaType, size: got.size, servedBy: endpoint.host };
    });
  }

  /** A manifest or index by tag or digest, verified and validated. */
  async getManifest(repo: Repository, reference: string, options: { signal?: AbortSignal | undefined } = {}): Promise<ManifestResult> {
    const expected = reference.includes(':') ? reference : undefined;
    return this.onEndpoints(repo, (endpoint) => this.getManifestAt(endpoint, repo, reference, expected, options.signal));
  }

  private async getManifestAt(endpoint: Endpoint, repo: Repository, reference: string, expectedDigest: string | undefined, signal: AbortSignal | undefined): Promise<ManifestResult> {
    const url = this.url(endpoint, repo.repository, `manifests/${reference}`);
    const response = await this.send(endpoint, repo, { method: 'GET', url, headers: { accept: MANIFEST_ACCEPT }, signal });
    if (!response.ok) throw await this.statusError(response, endpoint, repo, `manifest ${reference}`);
    const bytes = await readLimitedBytes(response, this.maxManifest, `manifest ${reference} of ${repo.repository}`);
    const what = `manifest ${reference} of ${endpoint.host}/${repo.repository}`;
    let digest: string;
    if (expectedDigest !== undefined) {
      verifyContent(bytes, { digest: expectedDigest }, what);
      digest = expectedDigest;
    } else {
      const header = response.headers.get('docker-content-digest');
      const algorithm = header !== null && isDigest(header) ? parseDigest(header).algorithm : 'sha256';
      digest = digestOf(bytes, algorithm);
      if (header !== null && isDigest(header) && header !== digest) {
        throw new RegistryError('digest-mismatch', `${what}: the registry says its digest is ${header} but the content hashes to ${digest}; the manifest was rejected`, { registry: endpoint.host, hint: 'The registry or a proxy altered the manifest. Do not trust this registry path.' });
      }
    }
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim();
    return parseManifest(bytes, digest, contentType, what, endpoint.host);
  }

  /** A blob's bytes (configs, small artifacts), verified; bounded by `maxBytes`. */
  async getBlob(repo: Repository, descriptor: { digest: string; size?: number | undefined }, options: { signal?: AbortSignal | undefined; maxBytes?: number } = {}): Promise<Buffer> {
    const max = options.maxBytes ?? this.maxConfig;
    if (descriptor.size !== undefined && descriptor.size > max) throw new RegistryError('too-large', `Blob ${descriptor.digest} of ${repo.repository} is ${descriptor.size} bytes, more than the ${max} accepted here`);
    return this.onEndpoints(repo, async (endpoint) => {
      const url = this.url(endpoint, repo.repository, `blobs/${descriptor.digest}`);
      const release = await this.transport.acquire(endpoint.host, options.signal);
      try {
        const response = await this.send(endpoint, repo, { method: 'GET', url, signal: options.signal });
        if (!response.ok) throw await this.statusError(response, endpoint, repo, `blob ${descriptor.digest}`);
        const bytes = await readLimitedBytes(response, max, `blob ${descriptor.digest} of ${repo.repository}`);
        verifyContent(bytes, descriptor, `blob ${descriptor.digest} of ${endpoint.host}/${repo.repository}`);
        return bytes;
      } finally {
        release();
      }
    });
  }

  /**
   * A blob as a stream that fails at its end unless the content matches the descriptor's digest
   * and size: consumers must discard what they read when it errors. Holds one slot of the
   * registry's concurrency limit until the stream ends or is destroyed.
   */
  async openBlob(repo: Repository, descriptor: { digest: string; size?: number | undefined }, options: { signal?: AbortSignal | undefined } = {}): Promise<Readable> {
    return this.onEndpoints(repo, async (endpoint) => {
      const url = this.url(endpoint, repo.repository, `blobs/${descriptor.digest}`);
      const release = await this.transport.acquire(endpoint.host, options.signal);
      let response: Response;
      try {
        response = await this.send(endpoint, repo, { method: 'GET', url, signal: options.signal });
        if (!response.ok) throw await this.statusError(response, endpoint, repo, `blob ${descriptor.digest}`);
      } catch (error) {
        release();
        throw error;
      }
      const source = response.body === null ? Readable.from([]) : Readable.fromWeb(response.body as WebReadableStream<Uint8Array>, { highWaterMark: 1024 * 1024 });
      const verifier = verified(source, descriptor, `blob ${descriptor.digest} of ${endpoint.host}/${repo.repository}`);
      verifier.once('close', release);
      return verifier;
    });
  }

  /**
   * Resolve a reference to one image: tag → digest (HEAD), the manifest by digest, the platform's
   * manifest when it is an index, and the config. `platform` defaults to this machine's.
   */
  async resolveImage(input: ImageReference | string, options: { platform?: Platform | undefined; signal?: AbortSignal | undefined } = {}): Promise<ResolvedRegistryImage> {
    const ref = this.rewrite(typeof input === 'string' ? parseImageReference(input) : input);
    const repo = { registry: ref.registry, repository: ref.repository };
    const want = options.platform ?? defaultPlatform();
    const top = ref.digest !== undefined ? { digest: ref.digest } : await this.resolve(ref, options);
    let got = await this.getManifest(repo, top.digest, options);
    let index: ResolvedRegistryImage['index'];
    for (let depth = 0; got.kind === 'index'; depth++) {
      if (depth > 1) throw new RegistryError('index-too-deep', `${formatImageReference(ref)}: indexes nested more than two levels`, { registry: ref.registry });
      index ??= { digest: got.digest, mediaType: got.mediaType, manifests: got.index.manifests };
      const chosen = selectPlatform(got.index.manifests, want, `Index ${got.digest} of ${formatImageReference(ref)}`);
      got = await this.getManifest(repo, chosen.digest, options);
    }
    const manifest = got.manifest;
    if (!isImageConfigType(manifest.config.mediaType)) {
      throw new RegistryError('not-an-image', `${formatImageReference(ref)} is an artifact (config ${manifest.config.mediaType}${manifest.artifactType === undefined ? '' : `, artifactType ${manifest.artifactType}`}), not a container image`, { registry: ref.registry, hint: 'Give the reference of the image itself, not of an attached artifact.' });
    }
    const configBytes = await this.getBlob(repo, manifest.config, options);
    const config = parseConfig(configBytes, `config ${manifest.config.digest} of ${formatImageReference(ref)}`);
    const platform: Platform = { os: config.os ?? want.os, architecture: config.architecture ?? want.architecture };
    if (config.variant !== undefined) platform.variant = config.variant;
    if (index === undefined && options.platform !== undefined) assertPlatform(options.platform, platform, formatImageReference(ref));
    return { reference: ref, repository: repo, digest: got.digest, mediaType: got.mediaType, manifest, manifestBytes: got.bytes, config, configBytes, index, platform, servedBy: got.servedBy };
  }

  /** Every tag of a repository, following `Link: <…>; rel="next"` pages of `pageSize`. */
  async listTags(repo: Repository, options: { pageSize?: number | undefined; signal?: AbortSignal | undefined; maxPages?: number } = {}): Promise<string[]> {
    const maxPages = options.maxPages ?? 10_000;
    return this.onEndpoints(repo, async (endpoint) => {
      let url: URL | undefined = this.url(endpoint, repo.repository, 'tags/list');
      if (options.pageSize !== undefined) url.searchParams.set('n', String(options.pageSize));
      const tags: string[] = [];
      const seen = new Set<string>();
      for (let page = 0; url !== undefined; page++) {
        if (page >= maxPages) throw new RegistryError('too-many-pages', `Tag list of ${endpoint.host}/${repo.repository} has more than ${maxPages} pages`, { registry: endpoint.host });
        if (seen.has(url.href)) throw new RegistryError('pagination-loop', `Tag list of ${endpoint.host}/${repo.repository} links back to a page already read (${url.pathname}${url.search})`, { registry: endpoint.host });
        seen.add(url.href);
        const response = await this.send(endpoint, repo, { method: 'GET', url, headers: { accept: 'application/json' }, signal: options.signal });
        if (!response.ok) throw await this.statusError(response, endpoint, repo, 'tag list');
        const text = await readLimited(response, this.maxManifest, `tag list of ${repo.repository}`);
        const parsed = TagList.safeParse(safeJson(text));
        if (!parsed.success) throw new RegistryError('invalid-reply', `Tag list of ${endpoint.host}/${repo.repository} is not {"name", "tags": [...]}`, { registry: endpoint.host });
        tags.push(...(parsed.data.tags ?? []));
        url = nextLink(response.headers.get('link'), url);
      }
      return tags;
    });
  }

  /**
   * Manifests whose `subject` is `digest`: the referrers API (`/v2/<name>/referrers/<digest>`,
   * with Link pages), or when the registry has none (404, as distribution 2.8), the index tagged
   * `sha256-<hex>` (distribution-spec "Referrers Tag Schema"). Filtered by `artifactType` either way.
   */
  async referrers(repo: Repository, digest: string, options: { artifactType?: string | undefined; signal?: AbortSignal | undefined } = {}): Promise<Referrers> {
    const { algorithm, hex } = parseDigest(digest, 'subject digest');
    return this.onEndpoints(repo, async (endpoint) => {
      let url: URL | undefined = this.url(endpoint, repo.repository, `referrers/${digest}`);
      if (options.artifactType !== undefined) url.searchParams.set('artifactType', options.artifactType);
      const manifests: Descriptor[] = [];
      let filtered = false;
      for (let page = 0; url !== undefined && page < 1000; page++) {
        const response = await this.send(endpoint, repo, { method: 'GET', url, headers: { accept: MEDIA.ociIndex }, signal: options.signal });
        const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim();
        if (response.status === 404 || (response.ok && type !== MEDIA.ociIndex)) {
          await response.body?.cancel().catch(() => undefined);
          if (page > 0) throw new RegistryError('invalid-reply', `Referrers page ${url.pathname} of ${endpoint.host} vanished (HTTP ${response.status})`, { registry: endpoint.host });
          return this.referrersByTag(endpoint, repo, `${algorithm}-${hex}`, options);
        }
        if (!response.ok) throw await this.statusError(response, endpoint, repo, `referrers of ${digest}`);
        filtered ||= (response.headers.get('oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType');
        const bytes = await readLimitedBytes(response, this.maxManifest, `referrers of ${digest}`);
        const index = ImageIndex.safeParse(safeJson(bytes.toString('utf8')));
        if (!index.success) throw new RegistryError('invalid-reply', `Referrers of ${digest} at ${endpoint.host}/${repo.repository} is not an OCI index: ${index.error.issues[0]?.message ?? ''}`, { registry: endpoint.host });
        manifests.push(...index.data.manifests);
        url = nextLink(response.headers.get('link'), url);
      }
      const want = options.artifactType;
      return { via: 'api', manifests: want === undefined || filtered ? manifests : manifests.filter((m) => m.artifactType === want) };
    });
  }

  private async referrersByTag(endpoint: Endpoint, repo: Repository, tag: string, options: { artifactType?: string | undefined; signal?: AbortSignal | undefined }): Promise<Referrers> {
    const url = this.url(endpoint, repo.repository, `manifests/${tag}`);
    const response = await this.send(endpoint, repo, { method: 'GET', url, headers: { accept: MEDIA.ociIndex }, signal: options.signal });
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      return { via: 'tag-schema', manifests: [] };
    }
    if (!response.ok) throw await this.statusError(response, endpoint, repo, `referrers tag ${tag}`);
    const bytes = await readLimitedBytes(response, this.maxManifest, `referrers tag ${tag}`);
    const index = ImageIndex.safeParse(safeJson(bytes.toString('utf8')));
    if (!index.success) throw new RegistryError('invalid-reply', `Referrers tag ${tag} of ${endpoint.host}/${repo.repository} is not an image index`, { registry: endpoint.host, hint: 'The tag-schema fallback expects an OCI index at that tag.' });
    const want = options.artifactType;
    return { via: 'tag-schema', manifests: want === undefined ? index.data.manifests : index.data.manifests.filter((m) => m.artifactType === want) };
  }

  // ------------------------------------------------------------------------------------------
  // Push (monolithic uploads; enough for attaching artifacts and for tests)

  /** Upload a blob unless the registry has it; returns its descriptor. */
  async pushBlob(repo: Repository, data: Buffer, mediaType = 'application/octet-stream', options: { signal?: AbortSignal | undefined } = {}): Promise<Descriptor> {
    const digest = digestOf(data);
    const endpoint = this.originEndpoint(repo.registry);
    const actions = 'pull,push';
    const head = await this.send(endpoint, repo, { method: 'HEAD', url: this.url(endpoint, repo.repository, `blobs/${digest}`), actions, signal: options.signal });
    await head.body?.cancel().catch(() => undefined);
    if (head.ok) return { mediaType, digest, size: data.length };
    const start = await this.send(endpoint, repo, { method: 'POST', url: this.url(endpoint, repo.repository, 'blobs/uploads/'), actions, signal: options.signal });
    if (start.status !== 202) throw await this.statusError(start, endpoint, repo, 'blob upload', actions);
    await start.body?.cancel().catch(() => undefined);
    const location = start.headers.get('location');
    if (location === null) throw new RegistryError('invalid-reply', `Registry ${endpoint.host} started an upload without a Location header`, { registry: endpoint.host });
    const put = new URL(location, `${endpoint.scheme}://${endpoint.host}/`);
    put.searchParams.set('digest', digest);
    const done = await this.send(endpoint, repo, { method: 'PUT', url: put, headers: { 'content-type': 'application/octet-stream' }, body: data, actions, signal: options.signal });
    if (done.status !== 201) throw await this.statusError(done, endpoint, repo, `blob upload ${digest}`, actions);
    await done.body?.cancel().catch(() => undefined);
    return { mediaType, digest, size: data.length };
  }

  /** PUT a manifest or index under a tag or its digest; returns the digest. */
  async putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string, options: { signal?: AbortSignal | undefined } = {}): Promise<string> {
    const endpoint = this.originEndpoint(repo.registry);
    const actions = 'pull,push';
    const response = await this.send(endpoint, repo, { method: 'PUT', url: this.url(endpoint, repo.repository, `manifests/${reference}`), headers: { 'content-type': mediaType }, body: bytes, actions, signal: options.signal });
    if (response.status !== 201) throw await this.statusError(response, endpoint, repo, `manifest upload ${reference}`, actions);
    await response.body?.cancel().catch(() => undefined);
    const digest = digestOf(bytes);
    const header = response.headers.get('docker-content-digest');
    if (header !== null && header !== digest) throw new RegistryError('digest-mismatch', `Registry ${endpoint.host} stored manifest ${reference} as ${header}, but it hashes to ${digest}`, { registry: endpoint.host });
    return digest;
  }

  private originEndpoint(registry: string): Endpoint {
    const last = this.endpoints(registry, 'push').at(-1);
    if (last === undefined) throw new RegistryError('no-endpoint', `No endpoint for ${registry}`);
    return last;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isImageConfigType(mediaType: string): boolean {
  return mediaType === MEDIA.ociConfig || mediaType === MEDIA.dockerConfig;
}

/** Validate manifest bytes: an index or an image manifest, by declared media type or by shape. */
export function parseManifest(bytes: Buffer, digest: string, contentType: string | undefined, what: string, servedBy: string): ManifestResult {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new RegistryError('invalid-manifest', `${what} is not JSON: ${errorMessage(error)}`, { registry: servedBy });
  }
  const declared = typeof json === 'object' && json !== null && typeof (json as { mediaType?: unknown }).mediaType === 'string' ? (json as { mediaType: string }).mediaType : undefined;
  const mediaType = declared ?? (contentType !== undefined && contentType !== '' && contentType !== 'application/octet-stream' ? contentType : undefined);
  if (isSchema1MediaType(mediaType) || (typeof json === 'object' && json !== null && (json as { schemaVersion?: unknown }).schemaVersion === 1)) {
    throw new RegistryError('unsupported-manifest', `${what} is a Docker schema 1 manifest, which runwarden does not read (deprecated since 2017)`, { registry: servedBy, hint: 'Re-push the image with a current client so the registry stores schema 2 or OCI.' });
  }
  const isIndex = isIndexMediaType(mediaType) || (mediaType === undefined && typeof json === 'object' && json !== null && Array.isArray((json as { manifests?: unknown }).manifests));
  const base = { digest, size: bytes.length, bytes, servedBy };
  if (isIndex) {
    const parsed = ImageIndex.safeParse(json);
    if (!parsed.success) throw invalid(what, parsed.error, servedBy);
    return { ...base, kind: 'index', mediaType: mediaType ?? MEDIA.ociIndex, index: parsed.data };
  }
  if (mediaType !== undefined && !isImageManifestMediaType(mediaType)) {
    throw new RegistryError('unsupported-manifest', `${what} has media type "${mediaType}", which is neither an image manifest nor an index`, { registry: servedBy });
  }
  const parsed = ImageManifest.safeParse(json);
  if (!parsed.success) throw invalid(what, parsed.error, servedBy);
  return { ...base, kind: 'manifest', mediaType: mediaType ?? MEDIA.ociManifest, manifest: parsed.data };
}

function invalid(what: string, error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }, servedBy: string): RegistryError {
  const first = error.issues[0];
  return new RegistryError('invalid-manifest', `${what} is invalid at ${first === undefined ? '(root)' : first.path.map(String).join('.') || '(root)'}: ${first?.message ?? 'unexpected shape'}`, { registry: servedBy });
}

/** Validate an image config. */
export function parseConfig(bytes: Buffer, what: string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new RegistryError('invalid-config', `${what} is not JSON: ${errorMessage(error)}`);
  }
  const parsed = ImageConfig.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new RegistryError('invalid-config', `${what} is invalid at ${first?.path.map(String).join('.') || '(root)'}: ${first?.message ?? 'unexpected shape'}`);
  }
  return parsed.data;
}

/** `Link: </v2/x/tags/list?n=2&last=b>; rel="next"` → absolute URL (RFC 8288), or undefined. */
export function nextLink(header: string | null, base: URL): URL | undefined {
  if (header === null) return undefined;
  for (const part of header.split(',')) {
    const open = part.indexOf('<');
    const close = part.indexOf('>', open + 1);
    if (open === -1 || close === -1) continue;
    const params = part.slice(close + 1).toLowerCase();
    if (!/rel\s*=\s*"?next"?/.test(params)) continue;
    try {
      const next = new URL(part.slice(open + 1, close).trim(), base);
      // Never let a Link move requests (and credentials) to another host, or downgrade HTTPS.
      if (next.origin !== base.origin) throw new RegistryError('invalid-reply', `Registry ${base.host} paginates to another origin (${next.origin}); runwarden does not follow it`, { registry: base.host });
      return next;
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryError('invalid-reply', `Registry ${base.host} sent an invalid Link header "${header.slice(0, 200)}"`, { registry: base.host });
    }
  }
  return undefined;
}

