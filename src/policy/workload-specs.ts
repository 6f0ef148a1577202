/**
 * The unit the hardening checks and the Pod Security Standards evaluate: one pod spec per
 * workload — the pod template of a Deployment/StatefulSet/DaemonSet/ReplicaSet/Job/CronJob, or
 * the spec of a bare pod — never one per replica. Read once per inventory and shared by every
 * check (memoised), with the field-path prefix that turns a pod-relative path
 * (`spec.containers[0]…`) into the path in the object a user edits
 * (`spec.template.spec.containers[0]…`).
 */
import { fingerprint, type Finding, type FindingKind, type Subject } from '../core/finding.js';
import { podKey, workloadKey, type Inventory, type PodInfo } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import type { Severity } from '../core/severity.js';
import { readPod, type ContainerView, type PodSpecView } from './pss/schema.js';

export interface WorkloadSpec {
  namespace: string;
  workload: { kind: string; name: string };
  /** `template`: a controller's pod template; `pod`: a pod's own spec (bare pods, or owners not in the inventory). */
  from: 'template' | 'pod';
  /** Object-relative prefix of the pod spec: `spec`, `spec.template.spec`, `spec.jobTemplate.spec.template.spec`. */
  specPrefix: string;
  /** Object-relative prefix of the pod metadata. */
  metadataPrefix: string;
  pod: PodSpecView;
  /** Pods of this workload in the inventory (0 for a CronJob between runs or a Deployment scaled to 0). */
  pods: number;
  /** The object's own labels and annotations (the workload, or the pod). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  origin: string | undefined;
}

/** Spec prefix, metadata prefix, and the path to the pod template. */
const TEMPLATE_PATHS: Record<string, [string, string, string[]] | undefined> = {
  Deployment: ['spec.template.spec', 'spec.template.metadata', ['spec', 'template']],
  StatefulSet: ['spec.template.spec', 'spec.template.metadata', ['spec', 'template']],
  DaemonSet: ['spec.template.spec', 'spec.template.metadata', ['spec', 'template']],
  ReplicaSet: ['spec.template.spec', 'spec.template.metadata', ['spec', 'template']],
  ReplicationController: ['spec.template.spec', 'spec.template.metadata', ['spec', 'template']],
  Job: ['spec.template.spec', 'spec.template.metadata', ['spec', 'template']],
  CronJob: ['spec.jobTemplate.spec.template.spec', 'spec.jobTemplate.spec.template.metadata', ['spec', 'jobTemplate', 'spec', 'template']],
};

const memo = new WeakMap<Inventory, WorkloadSpec[]>();

/**
 * `readPod` per pod spec object (and its metadata object): a long-running service builds inventories that share
 * most workloads' objects (src/scan/incremental.ts), which are not mutated once read.
 */
const readPods = new WeakMap<object, { metadata: unknown; view: PodSpecView }>();
function readPodOnce(metadata: unknown, spec: unknown): PodSpecView {
  if (typeof spec !== 'object' || spec === null) return readPod(metadata, spec);
  const was = readPods.get(spec);
  if (was !== undefined && was.metadata === metadata) return was.view;
  const view = readPod(metadata, spec);
  readPods.set(spec, { metadata, view });
  return view;
}

/** One evaluable pod spec per workload, in inventory order. */
export function workloadSpecs(inventory: Inventory): WorkloadSpec[] {
  const cached = memo.get(inventory);
  if (cached !== undefined) return cached;
  // Only workloads without a readable controller object need their pods: the index is built on first use.
  let podsByKey: Map<string, PodInfo> | undefined;
  const out: WorkloadSpec[] = [];
  for (const w of inventory.workloads) {
    const paths = TEMPLATE_PATHS[w.kind];
    const raw = w.raw as Record<string, unknown> | undefined;
    const meta = metadataOf(raw);
    if (paths !== undefined && raw !== undefined) {
      const template = valueAt(raw, paths[2]);
      const t = template as { metadata?: unknown; spec?: unknown } | undefined;
      out.push({
        namespace: w.namespace,
        workload: { kind: w.kind, name: w.name },
        from: 'template',
        specPrefix: paths[0],
        metadataPrefix: paths[1],
        pod: readPodOnce(t?.metadata, t?.spec),
        pods: w.pods.length,
        labels: meta.labels,
        annotations: meta.annotations,
        origin: w.origin,
      });
      continue;
    }
    // A bare pod, or a workload whose controller object was not read: the (first) pod stands for it.
    if (podsByKey === undefined) {
      podsByKey = new Map();
      for (const pod of inventory.pods) podsByKey.set(podKey(pod), pod);
    }
    const index = podsByKey;
    const first = w.pods.map((k) => index.get(k)).find((p) => p !== undefined);
    if (first === undefined) continue;
    const podRaw = first.raw as { metadata?: unknown; spec?: unknown } | undefined;
    const podMeta = metadataOf(first.raw);
    out.push({
      namespace: w.namespace,
      workload: { kind: w.kind, name: w.name },
      from: 'pod',
      specPrefix: 'spec',
      metadataPrefix: 'metadata',
      pod: readPodOnce(podRaw?.metadata, podRaw?.spec),
      pods: w.pods.length,
      labels: w.kind === 'Pod' ? podMeta.labels : w.labels,
      annotations: w.kind === 'Pod' ? podMeta.annotations : {},
      origin: first.origin,
    });
  }
  memo.set(inventory, out);
  return out;
}

/** Fields of workload pod specs that could not be read: one issue each, reported once per scan. */
export function workloadSpecIssues(inventory: Inventory): Issue[] {
  const issues: Issue[] = [];
  for (const ws of workloadSpecs(inventory)) {
    for (const fi of ws.pod.issues) {
      const field = objectField(ws, fi.path);
      issues.push(issue('workload-field-invalid', `${ws.namespace}/${ws.workload.kind}/${ws.workload.name}: ${field}: ${fi.message}; checked without it`, ws.origin, 'Fix the field: the API server rejects this value, so the checks evaluated the rest of the pod spec.'));
    }
  }
  return issues;
}

/** `spec.containers[0].x` (pod-relative) → `spec.template.spec.containers[0].x` (in the object). */
export function objectField(ws: WorkloadSpec, podPath: string): string {
  if (podPath === 'spec' || podPath.startsWith('spec.') || podPath.startsWith('spec[')) return ws.specPrefix + podPath.slice('spec'.length);
  if (podPath === 'metadata' || podPath.startsWith('metadata.') || podPath.startsWith('metadata[')) return ws.metadataPrefix + podPath.slice('metadata'.length);
  return podPath;
}

/** Object-relative path of a field of a container: `containerField(ws, c, 'securityContext.privileged')`. */
export function containerField(ws: WorkloadSpec, container: ContainerView, relative: string): string {
  return objectField(ws, `${container.path}.${relative}`);
}

export interface WorkloadFindingInput {
  rule: string;
  kind: FindingKind;
  severity: Severity;
  title: string;
  remediation: string;
  /** The container the finding is about; omitted for pod-level findings. */
  container?: ContainerView | undefined;
  /** Object-relative paths of the offending fields (the first one is where a report points). */
  fields: string[];
  evidence?: Record<string, unknown>;
  /** Separates two findings of one rule on one subject. */
  key?: string;
}

/** A finding about a workload (or one of its containers), with the field paths as evidence. */
export function workloadFinding(ws: WorkloadSpec, input: WorkloadFindingInput): Finding {
  const subject: Subject = {
    type: input.container === undefined ? 'workload' : 'container',
    namespace: ws.namespace,
    workload: ws.workload,
    ...(input.container === undefined ? {} : { container: input.container.name }),
  };
  const evidence: Record<string, unknown> = { ...(input.evidence ?? {}), fields: input.fields, pods: ws.pods };
  if (input.container !== undefined) {
    evidence.containerType = input.container.type;
    if (input.container.spec.image != null) evidence.image = input.container.spec.image;
  }
  return {
    id: fingerprint(input.rule, subject, input.key ?? ''),
    rule: input.rule,
    kind: input.kind,
    severity: input.severity,
    title: input.title,
    subject,
    evidence,
    remediation: input.remediation,
  };
}

/** `Deployment web`, `pod debug-shell`: how titles name a workload. */
export function workloadLabel(ws: WorkloadSpec): string {
  return ws.workload.kind === 'Pod' ? `pod ${ws.workload.name}` : `${ws.workload.kind} ${ws.workload.name}`;
}

/** The key of a workload spec, as `workloadKey` gives for inventory workloads. */
export function workloadSpecKey(ws: WorkloadSpec): string {
  return workloadKey({ ...ws.workload, namespace: ws.namespace });
}

function metadataOf(raw: unknown): { labels: Record<string, string>; annotations: Record<string, string> } {
  const meta = (raw as { metadata?: { labels?: unknown; annotations?: unknown } } | undefined)?.metadata;
  return { labels: stringRecord(meta?.labels), annotations: stringRecord(meta?.annotations) };
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || typeof value !== 'object') return out;
  for (const k in value) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
    const v = (value as Record<string, unknown>)[k];
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** The value at `path` of a parsed object (undefined where a step is missing or not an object). */
export function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
