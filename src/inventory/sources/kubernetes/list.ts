/**
 * Paginated lists (`limit` + `continue`, apimachinery API concepts "Retrieving large results sets
 * in chunks"). A `continue` token that expired (410 Gone) restarts the list from the beginning, as
 * client-go's reflector does; the items of the abandoned pass are dropped, so nothing is counted twice.
 */
import { STATUS_CODES } from 'node:http';
import { KubeApiError } from '../../../core/errors.js';
import { issue, type Issue } from '../../../core/issue.js';
import type { ApiClient, ApiReply } from './client.js';
import { apiVersion, listPath, rbacName, type ResourcePath } from './resources.js';
import { ObjectList, Status } from './schema.js';

/** Re-lists after an expired `continue` token before giving up on the kind. */
export const MAX_RELISTS = 2;

export const CLUSTERROLE_FILE = 'deploy/clusterrole.yaml';

export interface ListContext {
  client: ApiClient;
  pageSize: number;
  signal: AbortSignal | undefined;
}

export interface ListResult {
  /** Raw items in API order; partial when `issue` is set. */
  items: unknown[];
  /** URL of the list, without query: the origin of its items. */
  url: string;
  /** Set when the list is incomplete (forbidden, expired, not served, bad reply). */
  issue?: Issue | undefined;
}

/** `selector`: a label selector (`labelSelector`), for the node reports; the inventory kinds are listed whole. */
export async function listAll(ctx: ListContext, resource: ResourcePath, namespace?: string, selector?: string): Promise<ListResult> {
  const path = listPath(resource, namespace);
  const url = ctx.client.url(path);
  for (let pass = 0; ; pass++) {
    const items: unknown[] = [];
    let token: string | undefined;
    let expired = false;
    do {
      const query: Record<string, string> = { limit: String(ctx.pageSize) };
      if (selector !== undefined) query.labelSelector = selector;
      if (token !== undefined) query.continue = token;
      const reply = await ctx.client.get(path, query, ctx.signal);
      if (reply.status === 410 && token !== undefined) {
        expired = true;
        break;
      }
      if (reply.status !== 200) return { items, url, issue: failure(ctx.client, reply, resource, 'list', namespace, url) };
      const list = ObjectList.safeParse(reply.body);
      if (!list.success) return { items, url, issue: badReply(reply, url) };
      for (const item of list.data.items ?? []) items.push(item);
      const next = list.data.metadata?.continue ?? '';
      if (next !== '' && next === token) {
        return { items, url, issue: issue('kube-bad-response', `The API server returned the same continue token twice for ${url}; the list was cut short`, url) };
      }
      token = next === '' ? undefined : next;
    } while (token !== undefined);
    if (!expired) return { items, url };
    if (pass >= MAX_RELISTS) {
      return {
        items,
        url,
        issue: issue(
          'kube-list-expired',
          `Cannot list ${rbacName(resource)} ${scope(namespace)}: the continue token expired (410 Gone) in ${pass + 1} passes; the list is incomplete`,
          url,
          'The resource changes faster than it can be paged: retry, or raise the page size so a pass takes fewer requests.',
        ),
      };
    }
  }
}

/** One Namespace by name (the namespace filter's cluster-scoped counterpart of a list). */
export async function getNamespace(ctx: ListContext, resource: ResourcePath, name: string): Promise<ListResult> {
  const path = `${listPath(resource)}/${encodeURIComponent(name)}`;
  const url = ctx.client.url(path);
  const reply = await ctx.client.get(path, {}, ctx.signal);
  if (reply.status === 404) {
    return { items: [], url, issue: issue('kube-namespace-not-found', `Namespace "${name}" does not exist`, url, 'Check --namespace against "kubectl get namespaces".') };
  }
  if (reply.status !== 200) return { items: [], url, issue: failure(ctx.client, reply, resource, 'get', name, url) };
  if (typeof reply.body !== 'object' || reply.body === null) return { items: [], url, issue: badReply(reply, url) };
  return { items: [reply.body], url };
}

/** An error reply as an issue; 401 is fatal (no other request can succeed either). */
function failure(client: ApiClient, reply: ApiReply, resource: ResourcePath, verb: 'list' | 'get', namespace: string | undefined, url: string): Issue {
  const status = Status.safeParse(reply.body);
  const serverMessage = status.success ? (status.data.message ?? '') : reply.text.trim();
  const said = `${reply.status} ${STATUS_CODES[reply.status] ?? ''}`.trim();
  const detail = serverMessage === '' ? '' : `: ${serverMessage.slice(0, 300)}`;
  const what = verb === 'get' ? `get namespace "${namespace ?? ''}"` : `${verb} ${rbacName(resource)} ${scope(namespace)}`;
  if (reply.status === 401) {
    throw new KubeApiError(`The API server at ${client.server} rejected the credentials of context "${client.context}" (401 Unauthorized)`, {
      status: 401,
      hint: 'Refresh the credentials (log in again, e.g. with your cloud CLI\u2019s get-credentials command) or check the token or client certificate of the kubeconfig user; in a pod, check the mounted service-account token.',
    });
  }
  if (reply.status === 403) {
    const where = namespace !== undefined ? ` -n ${namespace}` : resource.namespaced ? ' --all-namespaces' : '';
    const canI = verb === 'get' ? `get namespaces/${namespace ?? ''}` : `${verb} ${rbacName(resource)}${where}`;
    return issue(
      'kube-forbidden',
      `Forbidden to ${what} (${said})${detail}`,
      url,
      `Grant get/list/watch on ${rbacName(resource)} with the ClusterRole in ${CLUSTERROLE_FILE} (kubectl apply -f ${CLUSTERROLE_FILE}); check with "kubectl auth can-i ${canI}".`,
    );
  }
  if (reply.status === 404) {
    return issue(
      'kube-not-found',
      `The API server does not serve ${rbacName(resource)} in ${apiVersion(resource)} (${said}); cannot ${what}`,
      url,
      `runwarden reads ${apiVersion(resource)} ${resource.plural}, served by Kubernetes 1.21 and later.`,
    );
  }
  return issue('kube-api-error', `Cannot ${what}: the API server answered ${said}${detail}`, url, 'Retry; if it persists, check the API server\u2019s health ("kubectl get --raw /readyz?verbose").');
}

function badReply(reply: ApiReply, url: string): Issue {
  const type = reply.headers['content-type'] ?? 'no content type';
  return issue('kube-bad-response', `The reply from ${url} is not a Kubernetes object list (${type}): ${JSON.stringify(reply.text.slice(0, 80))}`, url, 'Is the server URL that of the API server itself, not a proxy or dashboard?');
}

function scope(namespace: string | undefined): string {
  return namespace === undefined ? 'cluster-wide' : `in namespace "${namespace}"`;
}
