/**
 * Where registry credentials come from: docker `config.json` (`auths`; `credHelpers`/`credsStore`
 * only when the user turns helpers on — running an arbitrary executable named in a config file is
 * not a default), Kubernetes imagePullSecrets (`.dockerconfigjson` and legacy `.dockercfg`), and
 * explicit ones. Secrets never appear in messages: only where a credential came from.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, errorMessage } from '../core/errors.js';
import { issue, type Issue } from '../core/issue.js';
import { DockerCfg, DockerConfig, HelperReply, PullSecret, type AuthEntry } from './schema.js';

export interface Credential {
  username?: string | undefined;
  password?: string | undefined;
  /** OAuth2 refresh token (`identitytoken`; a helper's `<token>` user): exchanged at the token endpoint. */
  identityToken?: string | undefined;
  /** A bearer token to send as is (`registrytoken`). */
  registryToken?: string | undefined;
  /** Where it came from, for messages: never the secret itself. */
  source: string;
}

export interface CredentialStore {
  /** Credentials for `registry` (host[:port], normalised) and `repository`, or undefined. */
  lookup(registry: string, repository: string, signal?: AbortSignal): Promise<Credential | undefined>;
  /** A note for error hints when credentials exist but were not used (e.g. a helper that is off). */
  skipped?(registry: string): string | undefined;
}

const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io'];

/** `https://Registry.example.com:5000/v2/` → `registry.example.com:5000` (docker/cli `ConvertToHostname`). */
export function hostOfKey(key: string): string {
  let k = key.trim();
  const scheme = k.indexOf('://');
  if (scheme !== -1) k = k.slice(scheme + 3);
  const slash = k.indexOf('/');
  if (slash !== -1) k = k.slice(0, slash);
  k = k.toLowerCase();
  return k === 'index.docker.io' || k === 'registry-1.docker.io' ? 'docker.io' : k;
}

function fromAuthEntry(entry: AuthEntry, source: string, where: string): Credential | Issue {
  const out: Credential = { source };
  if (entry.auth !== undefined && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return issue('credentials-invalid', `The "auth" value for ${where} in ${source} is not base64 of "user:password"; it was ignored`, source, 'Re-create it with "docker login" or kubectl create secret docker-registry.');
    out.username = decoded.slice(0, colon);
    out.password = decoded.slice(colon + 1);
  }
  if (entry.username !== undefined && entry.username !== '') out.username = entry.username;
  if (entry.password !== undefined && entry.password !== '') out.password = entry.password;
  if (entry.identitytoken !== undefined && entry.identitytoken !== '') out.identityToken = entry.identitytoken;
  if (entry.registrytoken !== undefined && entry.registrytoken !== '') out.registryToken = entry.registrytoken;
  return out;
}

function isIssue(value: Credential | Issue): value is Issue {
  return 'code' in value;
}

/** A fixed map `host → credential` (flags, tests, a library caller). */
export function staticCredentials(entries: Record<string, Omit<Credential, 'source'> & { source?: string }>): CredentialStore {
  const map = new Map(Object.entries(entries).map(([k, v]) => [hostOfKey(k), { ...v, source: v.source ?? 'explicit credentials' }]));
  return { lookup: (registry) => Promise.resolve(map.get(registry)) };
}

/** Try each store in order; the first that has credentials wins. */
export function chainCredentials(...stores: CredentialStore[]): CredentialStore {
  return {
    async lookup(registry, repository, signal) {
      for (const s of stores) {
        const c = await s.lookup(registry, repository, signal);
        if (c !== undefined) return c;
      }
      return undefined;
    },
    skipped(registry) {
      for (const s of stores) {
        const note = s.skipped?.(registry);
        if (note !== undefined) return note;
      }
      return undefined;
    },
  };
}

export interface DockerConfigOptions {
  /** A `config.json` file or a folder holding one; default `$DOCKER_CONFIG/config.json`, then `~/.docker/config.json`. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Run `docker-credential-<helper> get` for registries with a helper. Off by default. */
  credentialHelpers?: boolean;
  /** Exec timeout for a helper. */
  helperTimeoutMs?: number;
}

/** Resolve the docker config file path the way the docker CLI does. */
export async function dockerConfigPath(options: DockerConfigOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const base = options.path ?? (env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : join(env.HOME ?? homedir(), '.docker'));
  const info = await stat(base).catch(() => undefined);
  return info?.isDirectory() === true ? join(base, 'config.json') : base;
}

/**
 * Credentials from a docker `config.json`. A missing default file means "no credentials"; a missing
 * file the user named, or an invalid one, is a ConfigError.
 */
export async function dockerConfigCredentials(options: DockerConfigOptions = {}): Promise<{ store: CredentialStore; issues: Issue[]; path: string }> {
  const path = await dockerConfigPath(options);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (options.path === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return { store: { lookup: () => Promise.resolve(undefined) }, issues: [], path };
    throw new ConfigError(`Cannot read --docker-config "${path}": ${errorMessage(error)}`, { hint: 'Pass the path of a docker config.json (or the folder holding it), e.g. --docker-config ~/.docker/config.json.', cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Docker config "${path}" is not valid JSON: ${errorMessage(error)}`, { hint: 'Fix the file or run "docker login" again to rewrite it.', cause: error });
  }
  const parsed = DockerConfig.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(`Docker config "${path}" is invalid at ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'unexpected shape'}`, { hint: 'Expected {"auths": {"<registry>": {"auth": "<base64 user:password>"}}}.' });
  }
  const issues: Issue[] = [];
  const source = `docker config ${path}`;
  const auths = new Map<string, Credential>();
  for (const [key, entry] of Object.entries(parsed.data.auths ?? {})) {
    const c = fromAuthEntry(entry, source, key);
    if (isIssue(c)) issues.push(c);
    else if (c.username !== undefined || c.identityToken !== undefined || c.registryToken !== undefined) auths.set(hostOfKey(key), c);
  }
  const helpers = new Map<string, string>(Object.entries(parsed.data.credHelpers ?? {}).map(([k, v]) => [hostOfKey(k), v]));
  const store = parsed.data.credsStore;
  const helperFor = (registry: string): string | undefined => helpers.get(registry) ?? store;
  const cache = new Map<string, Promise<Credential | undefined>>();
  return {
    path,
    issues,
    store: {
      async lookup(registry, _repository, signal) {
        const helper = helperFor(registry);
        if (helper !== undefined && options.credentialHelpers === true) {
          let pending = cache.get(registry);
          if (pending === undefined) {
            pending = runHelper(helper, registry, options.helperTimeoutMs ?? 10_000, signal);
            cache.set(registry, pending);
          }
          const c = await pending;
          if (c !== undefined) return c;
        }
        return auths.get(registry);
      },
      skipped(registry) {
        const helper = helperFor(registry);
        if (helper === undefined || options.credentialHelpers === true) return undefined;
        return `${path} names the credential helper "docker-credential-${helper}" for ${registry}; helpers are off — pass --credential-helpers to run it`;
      },
    },
  };
}

async function runHelper(helper: string, registry: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Credential | undefined> {
  if (!/^[a-zA-Z0-9_.-]+$/.test(helper)) throw new ConfigError(`Invalid credential helper name "${helper}": expected letters, digits, ".", "_" or "-"`);
  const server = registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
  const program = `docker-credential-${helper}`;
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(program, ['get'], { timeout: timeoutMs, signal, maxBuffer: 1024 * 1024 }, (error, out, err) => {
      if (error !== null) {
        // "credentials not found" is the documented answer for an unknown server: no credentials.
        if (/not found/i.test(`${out}${err}`)) resolve('');
        else reject(new ConfigError(`Credential helper ${program} failed for ${registry}: ${errorMessage(error).split('\n')[0] ?? ''}`, { hint: `Check that ${program} is installed and logged in, or drop --credential-helpers.`, cause: error }));
        return;
      }
      resolve(out);
    });
    child.stdin?.end(server);
  });
  if (stdout.trim() === '') return undefined;
  let reply;
  try {
    reply = HelperReply.parse(JSON.parse(stdout));
  } catch (error) {
    throw new ConfigError(`Credential helper ${program} printed an unexpected reply for ${registry}`, { hint: 'Expected {"Username": "...", "Secret": "..."}.', cause: error });
  }
  const source = `credential helper ${program}`;
  return reply.Username === '<token>' ? { identityToken: reply.Secret, source } : { username: reply.Username, password: reply.Secret, source };
}

interface KeyringEntry {
  host: string;
  port: string | undefined;
  path: string;
  credential: Credential;
}

/** kubelet keyring matching (pkg/credentialprovider/keyring.go): glob host labels, same port, path prefix. */
function keyringMatch(entry: KeyringEntry, registry: string, repository: string): boolean {
  const colon = registry.lastIndexOf(':');
  const host = colon === -1 || registry.endsWith(']') ? registry : registry.slice(0, colon);
  const port = colon === -1 || registry.endsWith(']') ? undefined : registry.slice(colon + 1);
  if ((entry.port ?? '') !== (port ?? '')) return false;
  const want = entry.host.split('.');
  const have = host.split('.');
  if (want.length !== have.length) return false;
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const h = have[i] ?? '';
    if (w === h) continue;
    if (w.includes('*')) {
      const re = new RegExp(`^${w.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
      if (re.test(h)) continue;
    }
    return false;
  }
  if (entry.path === '') return true;
  return repository === entry.path || repository.startsWith(`${entry.path}/`);
}

function keyringEntry(key: string, credential: Credential): KeyringEntry | undefined {
  let k = key.trim().toLowerCase();
  const scheme = k.indexOf('://');
  if (scheme !== -1) k = k.slice(scheme + 3);
  const slash = k.indexOf('/');
  let path = slash === -1 ? '' : k.slice(slash + 1).replace(/\/+$/, '');
  let hostPort = slash === -1 ? k : k.slice(0, slash);
  if (DOCKER_HUB_KEYS.some((d) => hostOfKey(d) === hostOfKey(hostPort))) {
    hostPort = 'docker.io';
    if (path === 'v1' || path === 'v2') path = '';
  }
  if (hostPort === '') return undefined;
  const colon = hostPort.lastIndexOf(':');
  return colon === -1 ? { host: hostPort, port: undefined, path, credential } : { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1), path, credential };
}

/**
 * Credentials from Kubernetes imagePullSecrets (Secret objects as `kubectl get secret -o json`
 * prints them). Invalid secrets become issues; the valid ones still work. Matching follows the
 * kubelet: `*.example.com` globs, ports, and repository path prefixes, the most specific first.
 */
export function pullSecretCredentials(secrets: readonly unknown[]): { store: CredentialStore; issues: Issue[] } {
  const issues: Issue[] = [];
  const entries: KeyringEntry[] = [];
  secrets.forEach((raw, i) => {
    const parsed = PullSecret.safeParse(raw);
    const name = parsed.success && parsed.data.metadata?.name !== undefined ? `${parsed.data.metadata.namespace ?? 'default'}/${parsed.data.metadata.name}` : `#${i + 1}`;
    const source = `pull secret ${name}`;
    if (!parsed.success) {
      issues.push(issue('pull-secret-invalid', `Pull secret ${name} is not a Secret object; it was ignored`, source, 'Pass the output of "kubectl get secret NAME -o json".'));
      return;
    }
    const s = parsed.data;
    const encoded = s.data?.['.dockerconfigjson'] ?? s.data?.['.dockercfg'];
    const plain = s.stringData?.['.dockerconfigjson'] ?? s.stringData?.['.dockercfg'];
    const legacy = s.data?.['.dockercfg'] !== undefined || s.stringData?.['.dockercfg'] !== undefined;
    if (encoded === undefined && plain === undefined) {
      issues.push(issue('pull-secret-invalid', `Pull secret ${name} (type ${s.type ?? 'unset'}) has no .dockerconfigjson or .dockercfg key; it was ignored`, source, 'Create it with "kubectl create secret docker-registry".'));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(plain ?? Buffer.from(encoded ?? '', 'base64').toString('utf8'));
    } catch {
      issues.push(issue('pull-secret-invalid', `Pull secret ${name}: ${legacy ? '.dockercfg' : '.dockerconfigjson'} is not base64-encoded JSON; it was ignored`, source));
      return;
    }
    const what = legacy ? '.dockercfg' : '.dockerconfigjson';
    let map: Record<string, AuthEntry> | undefined;
    if (legacy) {
      const r = DockerCfg.safeParse(json);
      if (r.success) map = r.data;
    } else {
      const r = DockerConfig.safeParse(json);
      if (r.success) map = r.data.auths ?? {};
    }
    if (map === undefined) {
      issues.push(issue('pull-secret-invalid', `Pull secret ${name}: ${what} does not have the docker config shape; it was ignored`, source));
      return;
    }
    for (const [key, entry] of Object.entries(map)) {
      const c = fromAuthEntry(entry, source, key);
      if (isIssue(c)) {
        issues.push(c);
        continue;
      }
      const e = keyringEntry(key, c);
      if (e !== undefined) entries.push(e);
    }
  });
  // Most specific first: longer host, then longer path (kubelet sorts keys the same way).
  entries.sort((a, b) => b.host.length - a.host.length || b.path.length - a.path.length);
  return {
    issues,
    store: { lookup: (registry, repository) => Promise.resolve(entries.find((e) => keyringMatch(e, registry, repository))?.credential) },
  };
}
