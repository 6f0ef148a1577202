/**
 * Registry authentication: anonymous, basic, and the bearer-token flow of the Docker token auth spec
 * (a 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` → GET the realm with those
 * parameters, with basic credentials when there are any → `{token, expires_in, issued_at}`), plus
 * the OAuth2 refresh-token grant for identity tokens. Tokens are cached per realm, service, scope
 * and credential, refreshed shortly before they expire, and dropped when the registry rejects one.
 * After a host has challenged once, later requests authenticate up front (no extra 401 round trip).
 */
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { RegistryError, errorMessage } from '../core/errors.js';
import { parseWwwAuthenticate, type Challenge } from './challenge.js';
import type { Credential, CredentialStore } from './credentials.js';
import { TokenReply } from './schema.js';
import type { Transport } from './transport.js';

type KnownChallenge = { kind: 'basic' } | { kind: 'bearer'; realm: URL; service: string | undefined };

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface AuthContext {
  /** The host requests go to (a mirror or the registry). */
  host: string;
  repository: string;
  /** `pull` or `pull,push`. */
  actions: string;
  signal?: AbortSignal | undefined;
}

export interface AuthenticatorOptions {
  credentials?: CredentialStore | undefined;
  transport: Transport;
  /** Hosts reachable over plain HTTP; a token realm on plain HTTP must be one of them. */
  isInsecure: (host: string) => boolean;
  now?: () => number;
}

const MAX_TOKEN_REPLY = 1024 * 1024;

export class Authenticator {
  private readonly challenges = new Map<string, KnownChallenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  private readonly now: () => number;
  /** Token endpoint requests made (for tests and progress). */
  tokenRequests = 0;

  constructor(private readonly options: AuthenticatorOptions) {
    this.now = options.now ?? Date.now;
  }

  private credential(ctx: AuthContext): Promise<Credential | undefined> {
    return this.options.credentials?.lookup(ctx.host, ctx.repository, ctx.signal) ?? Promise.resolve(undefined);
  }

  /** The Authorization header for a request, from what the host asked for before; undefined = anonymous. */
  async header(ctx: AuthContext): Promise<string | undefined> {
    const challenge = this.challenges.get(ctx.host);
    if (challenge === undefined) return undefined;
    const credential = await this.credential(ctx);
    if (challenge.kind === 'basic') {
      if (credential?.username === undefined) return undefined;
      return `Basic ${Buffer.from(`${credential.username}:${credential.password ?? ''}`).toString('base64')}`;
    }
    if (credential?.registryToken !== undefined) return `Bearer ${credential.registryToken}`;
    const token = await this.token(challenge, ctx, credential);
    return `Bearer ${token.token}`;
  }

  /**
   * Learn from a 401. Returns true when a retry with fresh authorization can succeed: the first
   * challenge of a host, or a bearer token the registry no longer accepts. The body is consumed.
   */
  async unauthorized(ctx: AuthContext, response: Response, sent: string | undefined): Promise<boolean> {
    await response.body?.cancel().catch(() => undefined);
    const challenges = parseWwwAuthenticate(response.headers.get('www-authenticate') ?? '');
    const next = this.pick(challenges, ctx.host);
    if (next === undefined) return false;
    this.challenges.set(ctx.host, next);
    if (next.kind === 'basic') {
      if (sent?.startsWith('Basic ') === true) return false; // those credentials were refused
      return (await this.credential(ctx))?.username !== undefined;
    }
    if (sent?.startsWith('Bearer ') === true) {
      // The registry refused our token (expired, revoked, or too narrow): drop it; the caller
      // retries once with a fresh one.
      const token = sent.slice('Bearer '.length);
      for (const [key, cached] of this.tokens) if (cached.token === token) this.tokens.delete(key);
    }
    return true;
  }

  /** The hint for a final 401 or 403. */
  async explain(ctx: AuthContext): Promise<string> {
    const credential = await this.credential(ctx);
    const skipped = this.options.credentials?.skipped?.(ctx.host);
    if (credential === undefined) {
      return skipped ?? `No credentials for ${ctx.host}: run "docker login ${ctx.host}" (or pass --docker-config, or an imagePullSecret).`;
    }
    return `The credentials from ${credential.source} were refused for ${ctx.repository} (${ctx.actions}): check the user, password or token and its access to the repository.`;
  }

  private pick(challenges: Challenge[], host: string): KnownChallenge | undefined {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer !== undefined) {
      const realmText = bearer.params.realm;
      if (realmText === undefined || realmText === '') {
        throw new RegistryError('auth-challenge-invalid', `Registry ${host} asked for a bearer token without a realm (WWW-Authenticate has no realm)`, { registry: host });
      }
      let realm: URL;
      try {
        realm = new URL(realmText);
      } catch {
        throw new RegistryError('auth-challenge-invalid', `Registry ${host} named an invalid token realm "${realmText}"`, { registry: host });
      }
      if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.options.isInsecure(realm.host))) {
        throw new RegistryError('insecure-token-realm', `Registry ${host} sends credentials to a token endpoint over ${realm.protocol.replace(':', '')} (${realm.host}); runwarden only uses plain HTTP for hosts listed as insecure`, {
          hint: `If you trust ${realm.host} on this network, pass --insecure-registry ${realm.host}.`,
          registry: host,
        });
      }
      return { kind: 'bearer', realm, service: bearer.params.service };
    }
    if (challenges.some((c) => c.scheme === 'basic')) return { kind: 'basic' };
    return undefined;
  }

  private async token(challenge: Extract<KnownChallenge, { kind: 'bearer' }>, ctx: AuthContext, credential: Credential | undefined): Promise<CachedToken> {
    const scope = `repository:${ctx.repository}:${ctx.actions}`;
    const key = [challenge.realm.href, challenge.service ?? '', scope, credential?.source ?? 'anonymous', credential?.username ?? ''].join('\n');
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached;
    let pending = this.pending.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(challenge, scope, ctx, credential).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    const token = await pending;
    this.tokens.set(key, token);
    return token;
  }

  private async fetchToken(challenge: Extract<KnownChallenge, { kind: 'bearer' }>, scope: string, ctx: AuthContext, credential: Credential | undefined): Promise<CachedToken> {
    this.tokenRequests++;
    const realm = challenge.realm;
    let response: Response;
    if (credential?.identityToken !== undefined) {
      // OAuth2 refresh-token grant (docker/distribution docs/spec/auth/oauth.md).
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, client_id: 'runwarden', scope });
      if (challenge.service !== undefined) form.set('service', challenge.service);
      response = await this.options.transport.send({ method: 'POST', url: realm, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), signal: ctx.signal });
    } else {
      const url = new URL(realm.href);
      if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
      url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      if (credential?.username !== undefined) {
        url.searchParams.set('account', credential.username);
        headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password ?? ''}`).toString('base64')}`;
      }
      response = await this.options.transport.send({ method: 'GET', url, headers, signal: ctx.signal });
    }
    const who = credential === undefined ? 'anonymous access' : `the credentials from ${credential.source}`;
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel().catch(() => undefined);
      throw new RegistryError('auth-failed', `Token endpoint ${realm.host} refused ${who} for ${scope} (HTTP ${response.status})`, {
        hint: credential === undefined ? `Log in: "docker login ${ctx.host}", or pass --docker-config.` : 'Check the user and password (or token) and their access to this repository.',
        status: response.status,
        registry: ctx.host,
      });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new RegistryError('auth-failed', `Token endpoint ${realm.host} answered HTTP ${response.status} for ${scope}`, { status: response.status, registry: ctx.host, hint: 'The token service is failing; retry later.' });
    }
    const text = await readLimited(response, MAX_TOKEN_REPLY, `token reply from ${realm.host}`);
    let reply: TokenReply;
    try {
      reply = TokenReply.parse(JSON.parse(text));
    } catch (error) {
      throw new RegistryError('auth-failed', `Token endpoint ${realm.host} sent an invalid reply: ${errorMessage(error).split('\n')[0] ?? ''}`, { registry: ctx.host, hint: 'Expected JSON {"token": "…", "expires_in": seconds}.' });
    }
    // Token spec: expires_in defaults to 60 s; refresh a little before the end.
    const lifetimeMs = (reply.expires_in ?? 60) * 1000;
    const issued = reply.issued_at === undefined ? Number.NaN : Date.parse(reply.issued_at);
    const start = Number.isNaN(issued) || issued > this.now() ? this.now() : issued;
    const margin = Math.min(30_000, lifetimeMs / 5);
    return { token: reply.token ?? reply.access_token ?? '', expiresAt: start + lifetimeMs - margin };
  }
}

/** Read a response body as text, failing once it exceeds `limit` bytes. */
export async function readLimited(response: Response, limit: number, what: string): Promise<string> {
  return (await readLimitedBytes(response, limit, what)).toString('utf8');
}

export async function readLimitedBytes(response: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new RegistryError('too-large', `${what} is ${declared} bytes, more than the ${limit} runwarden accepts`);
  }
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = (response.body as WebReadableStream<Uint8Array>).getReader();
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    const value = next.value;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new RegistryError('too-large', `${what} is more than the ${limit} bytes runwarden accepts`);
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks);
}
