/**
 * `runwarden fix --apply`: one JSON Patch per workload through the API server. The patch tests each image
 * before replacing it, so a workload changed since the scan is refused as a whole (422) and left as it is.
 */
import { STATUS_CODES } from 'node:http';
import { ApiClient } from './client.js';
import { resolveKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import { apiResourceOf, objectPath, rbacName } from './resources.js';
import { Status } from './schema.js';

export type PatchOutcome =
  | { status: 'patched' }
  | { status: 'changed'; message: string }
  | { status: 'failed'; message: string; hint: string };

export interface WorkloadPatcher {
  /** The API server, for messages. */
  readonly server: string;
  /** Apply `ops` to the workload; with `dryRun` the API server checks it and changes nothing. */
  patch(workload: PatchTarget, ops: unknown, options?: { dryRun?: boolean | undefined; signal?: AbortSignal | undefined }): Promise<PatchOutcome>;
  close(): void;
}

/** A namespaced object of a kind the inventory reads (API_RESOURCES): a Deployment, a bare Pod, … */
export interface PatchTarget {
  kind: string;
  namespace: string;
  name: string;
}

/** Resolves the kubeconfig once (a bad kubeconfig fails before anything is patched). */
export async function workloadPatcher(options: KubeconfigOptions & { requestTimeoutMs?: number | undefined }): Promise<WorkloadPatcher> {
  const resolved = await resolveKubeconfig(options);
  const client = new ApiClient(resolved, options.requestTimeoutMs ?? 30_000);
  return {
    server: client.server,
    async patch(workload, ops, { dryRun, signal } = {}) {
      const api = apiResourceOf(workload.kind);
      if (api === undefined || !api.namespaced) throw new Error(`runwarden cannot patch ${workload.kind} objects`);
      const apiPath = objectPath(api, workload.namespace, workload.name);
      const reply = await client.patch(apiPath, ops, { fieldManager: 'runwarden', ...(dryRun === true ? { dryRun: 'All' } : {}) }, signal);
      if (reply.status === 200) return { status: 'patched' };
      const status = Status.safeParse(reply.body);
      const causes = status.success ? (status.data.details?.causes ?? []).map((c) => c.message ?? '').filter((m) => m !== '') : [];
      const detail = (status.success && status.data.message ? [status.data.message, ...causes].join(': ') : reply.text).slice(0, 300);
      // A failed `test` op: the image is no longer the one the scan saw. The API server answers 422 with a generic
      // message and json-patch's error as a cause ("testing value /spec/…/image failed: test failed").
      if (reply.status === 422 && causes.some((c) => /^testing value .* failed/.test(c))) return { status: 'changed', message: `changed since the scan, not patched (${detail})` };
      const resource = rbacName(api);
      const { namespace } = workload;
      const said = `${reply.status} ${STATUS_CODES[reply.status] ?? ''}`.trim();
      const hint =
        reply.status === 403
          ? `Grant patch on ${resource} in "${namespace}" to the identity that runs fix --apply; check with "kubectl auth can-i patch ${resource} -n ${namespace}". The scanner's own ClusterRole is read-only on purpose.`
          : reply.status === 401
            ? 'The credentials were rejected: log in again or check the kubeconfig user.'
            : reply.status === 404
              ? 'The workload is gone since the scan; scan again.'
              : reply.status === 422
                ? 'The API server refused the new image (an admission policy?); the message says why.'
                : 'Retry; if it persists, check the API server\u2019s health.';
      return { status: 'failed', message: `${client.url(apiPath)}: the API server answered ${said}${detail === '' ? '' : `: ${detail}`}`, hint };
    },
    close: () => client.close(),
  };
}
