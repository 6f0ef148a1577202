/**
 * The control plane's version: `GET /version` (apimachinery `version.Info`, what `kubectl version`
 * prints as serverVersion). Every authenticated user may read it through the default
 * `system:public-info-viewer` ClusterRole; a cluster that removed that binding answers 403. A
 * failure is an issue (lifecycle then reports the control plane as unknown), never a fatal error:
 * the inventory was read, and the version is one more fact about it.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { errorMessage } from '../../../core/errors.js';
import { issue } from '../../../core/issue.js';
import type { ControlPlaneVersion } from '../../source.js';
import type { ApiClient } from './client.js';
import { Status } from './schema.js';

export const VERSION_PATH = '/version';

/** `version.Info`: gitVersion is what matters (`v1.29.4-eks-036c24b`); major/minor may carry a `+`. */
export const VersionInfo = z.looseObject({
  major: z.string().optional(),
  minor: z.string().optional(),
  gitVersion: z.string().regex(/^v?\d+\.\d+/, 'expected a version like v1.31.2'),
});

export async function readServerVersion(client: ApiClient, signal: AbortSignal | undefined): Promise<ControlPlaneVersion> {
  const location = client.url(VERSION_PATH);
  const unknown = (message: string, hint: string): ControlPlaneVersion => ({ location, issue: issue('kube-version-unreadable', `Cannot read the control plane's version from ${location}: ${message}; control-plane end of life and kubelet skew are unknown`, location, hint) });
  let reply;
  try {
    reply = await client.get(VERSION_PATH, {}, signal);
  } catch (error) {
    signal?.throwIfAborted();
    return unknown(errorMessage(error), 'Check the connection to the API server, or pass --control-plane-version v1.x.y.');
  }
  if (reply.status !== 200) {
    const status = Status.safeParse(reply.body);
    const said = `${reply.status} ${STATUS_CODES[reply.status] ?? ''}`.trim();
    const detail = status.success && (status.data.message ?? '') !== '' ? `: ${String(status.data.message).slice(0, 300)}` : '';
    const hint = reply.status === 403
      ? 'Kubernetes grants "get /version" to everyone through the ClusterRole system:public-info-viewer; restore that binding, grant nonResourceURLs ["/version"] get, or pass --control-plane-version v1.x.y.'
      : 'Retry, or pass --control-plane-version v1.x.y.';
    return unknown(`the API server answered ${said}${detail}`, hint);
  }
  const info = VersionInfo.safeParse(reply.body);
  if (!info.success) return unknown(`the reply is not a version.Info object (${info.error.issues[0]?.path.join('.') || 'body'}: ${info.error.issues[0]?.message ?? 'invalid'})`, 'Pass --control-plane-version v1.x.y.');
  return { gitVersion: info.data.gitVersion, location };
}
