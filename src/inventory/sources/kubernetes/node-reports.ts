/**
 * The node agents' reports in the Kubernetes API: one ConfigMap per node in the agent's namespace
 * (`src/agent/` defines the payload). The scan lists them by label in that one namespace (a Role
 * there, never cluster-wide ConfigMap reads); the agent writes its own with create-or-replace.
 */
import { STATUS_CODES } from 'node:http';
import { KubeApiError, UsageError } from '../../../core/errors.js';
import { issue } from '../../../core/issue.js';
import { ConfigMap, NODE_REPORT_SELECTOR, isNodeReportConfigMap } from '../../schema.js';
import type { NodeReportObjects } from '../../source.js';
import { ApiClient, type ApiReply } from './client.js';
import { resolveKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import { listAll, type ListContext } from './list.js';
import { CONFIGMAPS, listPath } from './resources.js';
import { Status } from './schema.js';

/** Where the scanner's read access to the reports is granted. */
export const NODE_REPORT_RBAC_FILE = 'deploy/node-agent/rbac.yaml';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function checkReportNamespace(namespace: string, origin: string): string {
  if (!DNS_LABEL.test(namespace)) throw new UsageError(`Invalid ${origin} "${namespace}": must be a namespace name (DNS-1123 label), e.g. "runwarden-node".`);
  return namespace;
}

/** Lists the node report ConfigMaps in `namespace`; a failed list is `unreadable` with its issue, never fatal (except 401). */
export async function listNodeReports(ctx: ListContext, namespace: string): Promise<NodeReportObjects> {
  const result = await listAll(ctx, CONFIGMAPS, namespace, NODE_REPORT_SELECTOR);
  const origins = new WeakMap<object, string>();
  const configMaps: ConfigMap[] = [];
  const location = result.url;
  for (const item of result.items) {
    const parsed = ConfigMap.safeParse(item);
    // A server that ignored the selector (or a proxy) must not smuggle in other ConfigMaps.
    if (!parsed.success || !isNodeReportConfigMap(parsed.data)) continue;
    configMaps.push(parsed.data);
    origins.set(parsed.data, `${location} (${namespace}/${parsed.data.metadata.name})`);
  }
  if (result.issue === undefined) return { location, status: 'read', configMaps, origins };
  const forbidden = result.issue.code === 'kube-forbidden';
  return {
    location,
    status: 'unreadable',
    configMaps,
    origins,
    issue: forbidden
      ? issue(
          'node-report-forbidden',
          `Cannot read the node agents' reports: ${result.issue.message}`,
          location,
          `Grant list on configmaps in namespace "${namespace}" with the Role in ${NODE_REPORT_RBAC_FILE} (kubectl apply -k deploy/node-agent); check with "kubectl auth can-i list configmaps -n ${namespace}".`,
        )
      : { ...result.issue, code: 'node-report-unreadable', message: `Cannot read the node agents' reports: ${result.issue.message}` },
  };
}

export interface PublishOptions extends KubeconfigOptions {
  namespace: string;
  requestTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface NodeReportPublisher {
  /** Where reports go, for messages: `https://…/api/v1/namespaces/runwarden-node/configmaps`. */
  readonly location: string;
  readonly namespace: string;
  /** Create-or-replace of one ConfigMap; returns `created` or `replaced`. */
  publish(configMap: ConfigMap, signal?: AbortSignal): Promise<'created' | 'replaced'>;
  close(): void;
}

/** Resolves the configuration once (a bad kubeconfig fails before any cleanup runs). */
export async function nodeReportPublisher(options: PublishOptions): Promise<NodeReportPublisher> {
  const namespace = checkReportNamespace(options.namespace, '--report-namespace');
  const resolved = await resolveKubeconfig(options);
  const client = new ApiClient(resolved, options.requestTimeoutMs ?? 30_000);
  const collection = listPath(CONFIGMAPS, namespace);
  return {
    location: client.url(collection),
    namespace,
    publish: (configMap, signal) => createOrReplace(client, collection, configMap, signal ?? options.signal),
    close: () => client.close(),
  };
}

/**
 * PUT replaces the ConfigMap (no resourceVersion: an unconditional update, the last report wins);
 * 404 → POST creates it; 409 on the POST (another writer created it in between) → PUT once more.
 */
async function createOrReplace(client: ApiClient, collection: string, configMap: ConfigMap, signal: AbortSignal | undefined): Promise<'created' | 'replaced'> {
  const path = `${collection}/${encodeURIComponent(configMap.metadata.name)}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const put = await client.write('PUT', path, configMap, signal);
    if (put.status === 200 || put.status === 201) return 'replaced';
    if (put.status !== 404) throw writeError(client, put, 'replace', path);
    const post = await client.write('POST', collection, configMap, signal);
    if (post.status === 200 || post.status === 201) return 'created';
    if (post.status !== 409) throw writeError(client, post, 'create', collection);
  }
  throw new KubeApiError(`Cannot publish the node report ${configMap.metadata.name}: it was created and deleted again while writing`, { hint: 'Retry; something else manages this ConfigMap.' });
}

function writeError(client: ApiClient, reply: ApiReply, verb: 'create' | 'replace', path: string): KubeApiError {
  const status = Status.safeParse(reply.body);
  const said = `${reply.status} ${STATUS_CODES[reply.status] ?? ''}`.trim();
  const detail = status.success && status.data.message ? `: ${status.data.message.slice(0, 300)}` : '';
  const namespace = /\/namespaces\/([^/]+)\//.exec(path)?.[1] ?? '';
  const hint =
    reply.status === 403
      ? `Let the agent's service account create and update configmaps in "${namespace}" (the Role in ${NODE_REPORT_RBAC_FILE}); check with "kubectl auth can-i ${verb === 'create' ? 'create' : 'update'} configmaps -n ${namespace} --as=system:serviceaccount:${namespace}:runwarden-node-agent".`
      : reply.status === 401
        ? 'The service-account token was rejected: is automountServiceAccountToken enabled for the agent (deploy/node-agent/daemonset.yaml)?'
        : reply.status === 404
          ? `Does namespace "${namespace}" exist? Pass --report-namespace with the agent's namespace.`
          : reply.status === 413 || reply.status === 422
            ? 'The API server refused the ConfigMap; report it with the agent\u2019s logs.'
            : 'Retry; if it persists, check the API server\u2019s health.';
  return new KubeApiError(`Cannot ${verb} the node report ${client.url(path)}: the API server answered ${said}${detail}`, { status: reply.status, hint });
}
