/** What the pod rules share: which containers of a request's pod are not from a trusted image. */
import { asRecord, imageRepository, podSpecOf, requestObject, requestPodSpec, target, type AuditEvent, type ContainerView, type PodSpecView } from './event.js';
import { matchesPattern } from './rule.js';

/**
 * A pattern normalised like an image's repository, so either spelling works: an exact `nginx` is
 * `docker.io/library/nginx`; a prefix keeps a first part that is a registry host (it has `.` or `:`, or is
 * `localhost`) and otherwise lives on Docker Hub: `calico/*` → `docker.io/calico/*`, `registry.k8s.io/*` stays.
 */
function normalisedPattern(pattern: string): string {
  if (!pattern.endsWith('*')) return imageRepository(pattern);
  const prefix = pattern.slice(0, -1);
  const first = prefix.split('/')[0] ?? '';
  if (prefix === '' || first.includes('.') || first.includes(':') || first === 'localhost') return pattern;
  return `docker.io/${pattern}`;
}

/** The image is from a trusted repository (`patterns`: exact repositories, or prefixes ending in `*`). */
export function imageTrusted(image: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return false;
  const repo = imageRepository(image);
  return patterns.some((p) => matchesPattern(repo, normalisedPattern(p)) || matchesPattern(image, p));
}

/** The containers whose image is not trusted. */
export function untrusted(containers: readonly ContainerView[], patterns: readonly string[]): ContainerView[] {
  return containers.filter((c) => !imageTrusted(c.image, patterns));
}

/** `name (image)` of each container, for titles and evidence. */
export function containerList(containers: readonly ContainerView[]): string[] {
  return containers.map((c) => `${c.name || '?'} (${c.image || 'no image'})`);
}

/** Workload resources and their kinds: their pod template is judged like a pod. */
export const WORKLOAD_KINDS: Readonly<Record<string, string>> = {
  deployments: 'Deployment',
  daemonsets: 'DaemonSet',
  statefulsets: 'StatefulSet',
  replicasets: 'ReplicaSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
  replicationcontrollers: 'ReplicationController',
};

const DONE: Readonly<Record<string, string>> = { create: 'created', update: 'updated', patch: 'patched' };

/** The pod spec a request asks for: a Pod's, or a workload's template, with how to name it in a title. */
export interface RequestedPods {
  spec: PodSpecView;
  /** `pod` or the workload kind. */
  kind: string;
  /** `pod` (a new pod's name is often generated), `DaemonSet kube-system/node-tuner`. */
  noun: string;
  /** Where, for a pod: ` in shop`; empty for a workload (its noun names the namespace). */
  place: string;
  /** `created`, `updated` or `patched`. */
  done: string;
}

/** `noun` with a capital first letter, to start a title. */
export function capitalised(noun: string): string {
  return noun.charAt(0).toUpperCase() + noun.slice(1);
}

/**
 * The pods a request creates or changes: a Pod's create, or the template of a workload's create, update or
 * patch — who wrote the template is the person behind the pods its controller then creates (those come
 * again as pod creates by the controller). A patch is judged on the stored object when the event has it
 * (RequestResponse), else on the patch body, which holds what it changed.
 */
export function requestedPods(event: AuditEvent): RequestedPods | undefined {
  const t = target(event);
  if (t.subresource !== '') return undefined;
  if (t.resource === 'pods') {
    if (event.verb !== 'create') return undefined;
    const spec = requestPodSpec(event);
    return spec === undefined ? undefined : { spec, kind: 'pod', noun: 'pod', place: ` in ${t.namespace || 'an unknown namespace'}`, done: 'created' };
  }
  const kind = WORKLOAD_KINDS[t.resource];
  const done = DONE[event.verb];
  if (kind === undefined || done === undefined) return undefined;
  const body = (event.verb === 'patch' ? asRecord(event.responseObject) : undefined) ?? requestObject(event);
  const spec = asRecord(body?.['spec']);
  const template = kind === 'CronJob' ? asRecord(asRecord(asRecord(spec?.['jobTemplate'])?.['spec'])?.['template']) : asRecord(spec?.['template']);
  const podSpec = podSpecOf(template?.['spec']);
  if (podSpec === undefined) return undefined;
  return { spec: podSpec, kind, noun: `${kind} ${t.namespace === '' ? t.name : `${t.namespace}/${t.name}`}`, place: '', done };
}
