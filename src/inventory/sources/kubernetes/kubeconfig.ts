/**
 * Finds and loads the Kubernetes client configuration, in this order:
 * `--kubeconfig` > `KUBECONFIG` (a `:`-separated list merged like kubectl: the first file that
 * defines a name wins) > the in-cluster service account > `~/.kube/config`.
 * client-node's `KubeConfig` keeps doing what it does well: auth providers (exec, OIDC, token
 * files), client certificates and TLS options.
 */
import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { isIPv6 } from 'node:net';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { closest } from 'fastest-levenshtein';
import { ConfigError, UsageError, errorMessage } from '../../../core/errors.js';

/**
 * client-node is loaded when a cluster is first read, not at start-up: it costs ~0.4–0.9 s of CPU and
 * ~60 MiB to import, which every command that never talks to a cluster (check, db, image, sbom, the
 * demo) would otherwise pay.
 */
async function newKubeConfig(): Promise<KubeConfig> {
  const { KubeConfig: Impl } = await import('@kubernetes/client-node');
  return new Impl();
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Name given to the one context built from the in-cluster service account. */
export const IN_CLUSTER_CONTEXT = 'in-cluster';

const NO_CONFIG_HINT = 'Pass --kubeconfig <file>, set KUBECONFIG, or scan a snapshot instead with --snapshot <dir>.';

export interface KubeconfigOptions {
  /** `--kubeconfig`: one file; wins over everything else. */
  kubeconfig?: string | undefined;
  /** `--context`: defaults to the kubeconfig's `current-context`. */
  context?: string | undefined;
  /** true: only the in-cluster service account; false: never; undefined: when running in a pod. */
  inCluster?: boolean | undefined;
  /** Environment for `KUBECONFIG`, `KUBERNETES_SERVICE_HOST/PORT` and `HOME`; defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Where the service-account token and CA are mounted (tests point it elsewhere). */
  serviceAccountDir?: string | undefined;
}

export interface ResolvedKubeconfig {
  kubeConfig: KubeConfig;
  context: string;
  /** API server URL without a trailing slash. */
  server: string;
  /** Where the configuration came from, for messages: `--kubeconfig /x`, `KUBECONFIG`, `in-cluster service account`, `~/.kube/config`. */
  origin: string;
}

export async function resolveKubeconfig(options: KubeconfigOptions): Promise<ResolvedKubeconfig> {
  const env = options.env ?? process.env;
  if (options.inCluster === true && options.kubeconfig !== undefined) {
    throw new UsageError('--kubeconfig and in-cluster mode exclude each other', { hint: 'Drop one of them.' });
  }
  const { kubeConfig, origin } = await load(options, env);
  const context = selectContext(kubeConfig, options.context, origin);
  return { kubeConfig, context, server: serverOf(kubeConfig, context, origin), origin };
}

async function load(options: KubeconfigOptions, env: Readonly<Record<string, string | undefined>>): Promise<{ kubeConfig: KubeConfig; origin: string }> {
  if (options.kubeconfig !== undefined) {
    const origin = `--kubeconfig ${options.kubeconfig}`;
    if (!(await exists(options.kubeconfig))) {
      throw new ConfigError(`Kubeconfig file "${options.kubeconfig}" (--kubeconfig) does not exist`, { hint: 'Check the path, or drop --kubeconfig to use KUBECONFIG or ~/.kube/config.' });
    }
    return { kubeConfig: await loadFiles([options.kubeconfig], origin), origin };
  }
  const serviceAccountDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (options.inCluster === true) {
    const why = await inClusterUnavailable(env, serviceAccountDir);
    if (why !== undefined) {
      throw new ConfigError(`Cannot use the in-cluster service account: ${why}`, {
        hint: 'In-cluster mode works inside a pod with a service-account token mounted (see deploy/clusterrole.yaml); elsewhere use --kubeconfig.',
      });
    }
    return { kubeConfig: await loadInCluster(env, serviceAccountDir), origin: 'in-cluster service account' };
  }

  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (list.length > 0) {
    // kubectl skips files of the list that do not exist; only an all-missing list is an error.
    const present: string[] = [];
    for (const file of list) if (await exists(file)) present.push(file);
    if (present.length === 0) {
      throw new ConfigError(`None of the kubeconfig files in KUBECONFIG exist: ${list.join(', ')}`, { hint: `Fix KUBECONFIG (environment) or unset it. ${NO_CONFIG_HINT}` });
    }
    return { kubeConfig: await loadFiles(present, 'KUBECONFIG'), origin: `KUBECONFIG (${present.join(delimiter)})` };
  }

  if (options.inCluster !== false && (await inClusterUnavailable(env, serviceAccountDir)) === undefined) {
    return { kubeConfig: await loadInCluster(env, serviceAccountDir), origin: 'in-cluster service account' };
  }

  const home = env.HOME ?? homedir();
  const file = join(home, '.kube', 'config');
  if (await exists(file)) return { kubeConfig: await loadFiles([file], file), origin: file };
  throw new ConfigError(`No Kubernetes configuration found: no --kubeconfig, KUBECONFIG is not set, not running in a pod, and ${file} does not exist`, { hint: NO_CONFIG_HINT });
}

/** Loads and merges kubeconfig files; the first file that names a cluster, user or context wins (kubectl semantics). */
async function loadFiles(files: string[], origin: string): Promise<KubeConfig> {
  const clusters: Cluster[] = [];
  const users: User[] = [];
  const contexts: Context[] = [];
  let currentContext = '';
  for (const file of files) {
    const one = await newKubeConfig();
    try {
      one.loadFromString(await readFile(file, 'utf8'));
      // certificate-authority, client-certificate and client-key are relative to the file that names them.
      one.makePathsAbsolute(dirname(file));
    } catch (error) {
      throw new ConfigError(`Invalid kubeconfig "${file}" (${origin}): ${errorMessage(error)}`, { cause: error, hint: 'Check the file with "kubectl config view --kubeconfig <file>".' });
    }
    addNew(clusters, one.getClusters());
    addNew(users, one.getUsers());
    addNew(contexts, one.getContexts());
    // A file without current-context leaves `currentContext` undefined at runtime despite its type.
    const current = one.getCurrentContext() as string | undefined;
    if (currentContext === '' && current !== undefined && current !== '') currentContext = current;
  }
  const kubeConfig = await newKubeConfig();
  kubeConfig.loadFromOptions({ clusters, users, contexts, currentContext });
  return kubeConfig;
}

function addNew<T extends { name: string }>(into: T[], from: T[]): void {
  for (const item of from) if (!into.some((i) => i.name === item.name)) into.push(item);
}

/** Why the in-cluster service account cannot be used here, or undefined when it can. */
async function inClusterUnavailable(env: Readonly<Record<string, string | undefined>>, dir: string): Promise<string | undefined> {
  if (env.KUBERNETES_SERVICE_HOST === undefined || env.KUBERNETES_SERVICE_HOST === '') return 'KUBERNETES_SERVICE_HOST is not set';
  const tokenFile = join(dir, 'token');
  return (await exists(tokenFile)) ? undefined : `the service-account token ${tokenFile} does not exist`;
}

/**
 * The service-account token and CA mounted into every pod, and the API server address from
 * KUBERNETES_SERVICE_HOST/PORT, as client-go's InClusterConfig. client-node re-reads the token
 * file every minute (bound tokens are rotated).
 */
async function loadInCluster(env: Readonly<Record<string, string | undefined>>, dir: string): Promise<KubeConfig> {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const caFile = join(dir, 'ca.crt');
  const kubeConfig = await newKubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: IN_CLUSTER_CONTEXT, server, skipTLSVerify: false, ...((await exists(caFile)) ? { caFile } : {}) }],
    users: [{ name: IN_CLUSTER_CONTEXT, authProvider: { name: 'tokenFile', config: { tokenFile: join(dir, 'token') } } }],
    contexts: [{ name: IN_CLUSTER_CONTEXT, cluster: IN_CLUSTER_CONTEXT, user: IN_CLUSTER_CONTEXT }],
    currentContext: IN_CLUSTER_CONTEXT,
  });
  return kubeConfig;
}

function selectContext(kubeConfig: KubeConfig, wanted: string | undefined, origin: string): string {
  const names = kubeConfig.getContexts().map((c) => c.name);
  if (names.length === 0) {
    throw new ConfigError(`Kubeconfig ${origin} defines no contexts`, { hint: `Add one with "kubectl config set-context", or: ${NO_CONFIG_HINT}` });
  }
  const list = names.map((n) => `"${n}"`).join(', ');
  if (wanted !== undefined) {
    if (!names.includes(wanted)) {
      throw new ConfigError(`Unknown context "${wanted}" (--context): ${origin} defines ${list}`, {
        hint: `Did you mean "${closest(wanted, names)}"? List them with "kubectl config get-contexts".`,
      });
    }
  } else {
    const current = kubeConfig.getCurrentContext() as string | undefined;
    if (current === undefined || current === '') {
      throw new ConfigError(`Kubeconfig ${origin} sets no current-context`, { hint: `Pass --context with one of ${list}, or run "kubectl config use-context <name>".` });
    }
    if (!names.includes(current)) {
      throw new ConfigError(`The current-context "${current}" of ${origin} is not defined there; it defines ${list}`, {
        hint: `Pass --context "${closest(current, names)}" or run "kubectl config use-context <name>".`,
      });
    }
    wanted = current;
  }
  kubeConfig.setCurrentContext(wanted);
  return wanted;
}

function serverOf(kubeConfig: KubeConfig, context: string, origin: string): string {
  const ctx = kubeConfig.getContextObject(context);
  const cluster = ctx === null ? null : kubeConfig.getCluster(ctx.cluster);
  if (ctx === null || cluster === null) {
    throw new ConfigError(`Context "${context}" of ${origin} refers to cluster "${ctx?.cluster ?? ''}", which is not defined there`, { hint: 'Fix the context with "kubectl config set-context".' });
  }
  // client-node sends no CA and no client certificate when the context has no user; give it an anonymous one.
  const userName = ctx.user as string | undefined;
  if (userName === undefined) {
    const anonymous = `${context}-anonymous`;
    kubeConfig.loadFromOptions({
      clusters: kubeConfig.getClusters(),
      users: [...kubeConfig.getUsers(), { name: anonymous }],
      contexts: kubeConfig.getContexts().map((c) => (c.name === context ? { ...c, user: anonymous } : c)),
      currentContext: context,
    });
  } else if (kubeConfig.getUser(userName) === null) {
    throw new ConfigError(`Context "${context}" of ${origin} refers to user "${userName}", which is not defined there`, { hint: 'Fix the context with "kubectl config set-context --user".' });
  }
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch (error) {
    throw new ConfigError(`Invalid server "${cluster.server}" of cluster "${cluster.name}" (${origin}): not a URL`, { cause: error, hint: 'Expected e.g. "https://203.0.113.10:6443".' });
  }
  if (url.protocol === 'http:' && !cluster.skipTLSVerify) {
    // client-node refuses plain HTTP unless the cluster says insecure-skip-tls-verify (e.g. behind "kubectl proxy").
    throw new ConfigError(`Cluster "${cluster.name}" (${origin}) uses plain HTTP (${cluster.server})`, { hint: 'Use the https:// URL, or set insecure-skip-tls-verify: true for a local "kubectl proxy".' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`Invalid server "${cluster.server}" of cluster "${cluster.name}" (${origin}): expected an https:// URL`);
  }
  return cluster.server.replace(/\/+$/, '');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
