/**
 * Kubernetes audit events (audit.k8s.io v1 and v1beta1, and the older captures without `apiVersion`) as the
 * API server writes them: the log backend one `Event` per line, the webhook backend an `EventList` per POST.
 * Only the fields the rules read are typed; everything else is kept as it came (passthrough).
 */
import { z } from 'zod';
import { repositoryName, tryParseImageReference } from '../core/image-ref.js';

const UserSchema = z
  .object({
    username: z.string().optional(),
    uid: z.string().optional(),
    groups: z.array(z.string()).nullish(),
    extra: z.record(z.string(), z.array(z.string())).nullish(),
  })
  .passthrough();

export const AuditEventSchema = z
  .object({
    kind: z.literal('Event').optional(),
    apiVersion: z.string().optional(),
    level: z.string().optional(),
    auditID: z.string().min(1, 'auditID is empty'),
    stage: z.string().optional(),
    requestURI: z.string().optional(),
    verb: z.string().min(1, 'verb is empty'),
    user: UserSchema,
    impersonatedUser: UserSchema.nullish(),
    sourceIPs: z.array(z.string()).nullish(),
    userAgent: z.string().optional(),
    objectRef: z
      .object({
        resource: z.string().optional(),
        namespace: z.string().optional(),
        name: z.string().optional(),
        uid: z.string().optional(),
        apiGroup: z.string().optional(),
        apiVersion: z.string().optional(),
        subresource: z.string().optional(),
      })
      .passthrough()
      .nullish(),
    responseStatus: z
      .object({ code: z.number().int().optional(), status: z.string().optional(), reason: z.string().optional(), message: z.string().optional() })
      .passthrough()
      .nullish(),
    requestObject: z.unknown().optional(),
    responseObject: z.unknown().optional(),
    requestReceivedTimestamp: z.string().optional(),
    stageTimestamp: z.string().optional(),
    /** The older captures' time. */
    timestamp: z.string().optional(),
    annotations: z.record(z.string(), z.string()).nullish(),
  })
  .passthrough();

export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** The webhook backend's body (and what `kubectl get --raw` of an audit sink would hold). */
export const EventListSchema = z.object({ kind: z.literal('EventList'), apiVersion: z.string().optional(), items: z.array(z.unknown()).nullish() }).passthrough();

/** A Pod spec in a request body, as far as the rules read it. */
export interface PodSpecView {
  containers: ContainerView[];
  hostNetwork: boolean;
  hostPID: boolean;
  hostIPC: boolean;
  volumes: Array<{ name: string; hostPath: string | undefined }>;
}

export interface ContainerView {
  name: string;
  image: string;
  /** `containers`, `initContainers` or `ephemeralContainers`. */
  list: 'containers' | 'initContainers' | 'ephemeralContainers';
  privileged: boolean;
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** The value when it is a JSON object (not an array, not null). */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The object of a request body (`requestObject`), when it is a JSON object. */
export function requestObject(event: AuditEvent): Record<string, unknown> | undefined {
  return asRecord(event.requestObject);
}

/** A pod spec read from a Pod (`spec`) or from a body that is the spec itself (the ephemeralcontainers subresource sends a Pod). */
export function podSpecOf(spec: unknown): PodSpecView | undefined {
  const s = asRecord(spec);
  if (s === undefined) return undefined;
  const containers: ContainerView[] = [];
  for (const list of CONTAINER_LISTS) {
    const items = s[list];
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const c = asRecord(item);
      if (c === undefined) continue;
      containers.push({ name: text(c['name']), image: text(c['image']), list, privileged: asRecord(c['securityContext'])?.['privileged'] === true });
    }
  }
  const volumes: PodSpecView['volumes'] = [];
  if (Array.isArray(s['volumes'])) {
    for (const item of s['volumes']) {
      const v = asRecord(item);
      if (v === undefined) continue;
      const hostPath = asRecord(v['hostPath']);
      volumes.push({ name: text(v['name']), hostPath: hostPath === undefined ? undefined : text(hostPath['path']) });
    }
  }
  return { containers, hostNetwork: s['hostNetwork'] === true, hostPID: s['hostPID'] === true, hostIPC: s['hostIPC'] === true, volumes };
}

/** The pod spec of a Pod request body. */
export function requestPodSpec(event: AuditEvent): PodSpecView | undefined {
  return podSpecOf(requestObject(event)?.['spec']);
}

/** The user the request acted as: the impersonated one when there is one. */
export function actingUser(event: AuditEvent): { username: string; groups: string[] } {
  const user = event.impersonatedUser ?? event.user;
  return { username: user.username ?? '', groups: user.groups ?? [] };
}

/** The HTTP status of the response, when the event has one (0 when not: the RequestReceived stage). */
export function responseCode(event: AuditEvent): number {
  return event.responseStatus?.code ?? 0;
}

/** The request was carried out: a 2xx, or 101 (exec, attach and port-forward upgrade the connection). */
export function succeeded(event: AuditEvent): boolean {
  const code = responseCode(event);
  return (code >= 200 && code < 300) || code === 101;
}

/** Resource, subresource, namespace and name of the target (empty strings when absent). */
export function target(event: AuditEvent): { resource: string; subresource: string; namespace: string; name: string; apiGroup: string } {
  const ref = event.objectRef;
  // a create's name is often only in the body (generateName) or the response
  const name = ref?.name ?? text(asRecord(asRecord(event.responseObject)?.['metadata'])?.['name']) ?? '';
  return { resource: ref?.resource ?? '', subresource: ref?.subresource ?? '', namespace: ref?.namespace ?? '', name: name !== '' ? name : text(asRecord(requestObject(event)?.['metadata'])?.['name']), apiGroup: ref?.apiGroup ?? '' };
}

/** `create namespaces foo`, `get pods/log shop/web-1`, `get /version`: the request as a person reads it. */
export function requestLabel(event: AuditEvent): string {
  const t = target(event);
  if (t.resource === '') return `${event.verb} ${(event.requestURI ?? '').split('?')[0] ?? ''}`.trim();
  const what = t.subresource === '' ? t.resource : `${t.resource}/${t.subresource}`;
  const name = t.name === '' ? (t.namespace === '' ? '' : ` in ${t.namespace}`) : ` ${t.namespace === '' ? t.name : `${t.namespace}/${t.name}`}`;
  return `${event.verb} ${what}${name}`;
}

/** The values of query parameter `name` in a request URI (`command` of an exec, `ports` of a port-forward). */
export function queryValues(requestURI: string | undefined, name: string): string[] {
  const query = requestURI?.indexOf('?') ?? -1;
  if (requestURI === undefined || query < 0) return [];
  return new URLSearchParams(requestURI.slice(query + 1)).getAll(name);
}

/** The image's repository, normalised, without tag or digest: `nginx:1.25` → `docker.io/library/nginx`. */
export function imageRepository(image: string): string {
  const ref = tryParseImageReference(image);
  if (ref !== undefined) return repositoryName(ref);
  const at = image.indexOf('@');
  const noDigest = at < 0 ? image : image.slice(0, at);
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}
