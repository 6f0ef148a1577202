/**
 * zod schemas for the parts of a pod spec that the Pod Security Standards and the run-stage
 * hardening checks read (k8s.io/api core/v1 PodSpec, Container, SecurityContext, Volume).
 *
 * A manifest or API object can carry a wrong type in one field (`privileged: "yes"`). Such a field
 * must not hide the rest of the pod: `readPodSpec` validates each container and volume on its own,
 * drops only the invalid fields (recording a `FieldIssue` with the field path) and evaluates the
 * rest. Paths are pod-relative, in the form the API server and PSA use
 * (`spec.containers[0].securityContext.privileged`, `metadata.annotations[key]`).
 */
import { z } from 'zod';
import { identityCheck } from '../../inventory/identity.js';

const bool = z.boolean().nullish();
const str = z.string().nullish();
const int64 = z.number().int().nullish();

export const Capabilities = z.looseObject({
  add: z.array(z.string().nullable()).nullish(),
  drop: z.array(z.string().nullable()).nullish(),
});

export const SeccompProfile = z.looseObject({ type: str, localhostProfile: str });
export const AppArmorProfile = z.looseObject({ type: str, localhostProfile: str });
export const SELinuxOptions = z.looseObject({ type: str, user: str, role: str, level: str });
export const WindowsOptions = z.looseObject({ hostProcess: bool, runAsUserName: str });

/** Container-level `securityContext` (core/v1 SecurityContext). */
export const SecurityContext = z.looseObject({
  privileged: bool,
  allowPrivilegeEscalation: bool,
  runAsNonRoot: bool,
  runAsUser: int64,
  runAsGroup: int64,
  readOnlyRootFilesystem: bool,
  procMount: str,
  capabilities: Capabilities.nullish(),
  seccompProfile: SeccompProfile.nullish(),
  appArmorProfile: AppArmorProfile.nullish(),
  seLinuxOptions: SELinuxOptions.nullish(),
  windowsOptions: WindowsOptions.nullish(),
});
export type SecurityContext = z.infer<typeof SecurityContext>;

/** Pod-level `securityContext` (core/v1 PodSecurityContext). */
export const PodSecurityContext = z.looseObject({
  runAsNonRoot: bool,
  runAsUser: int64,
  runAsGroup: int64,
  fsGroup: int64,
  seccompProfile: SeccompProfile.nullish(),
  appArmorProfile: AppArmorProfile.nullish(),
  seLinuxOptions: SELinuxOptions.nullish(),
  windowsOptions: WindowsOptions.nullish(),
  sysctls: z.array(z.looseObject({ name: z.string(), value: z.union([z.string(), z.number()]).nullish() }).nullable()).nullish(),
});
export type PodSecurityContext = z.infer<typeof PodSecurityContext>;

const HostAction = z.looseObject({ host: str });
/** A probe or lifecycle handler: only the `host` of httpGet/tcpSocket matters here. */
export const Handler = z.looseObject({ httpGet: HostAction.nullish(), tcpSocket: HostAction.nullish() });

/** Resource quantities as written: "500m", "1Gi", 2. */
export const Quantities = z.record(z.string(), z.union([z.string(), z.number()]).nullable());

export const Container = z.looseObject({
  name: str,
  image: str,
  imagePullPolicy: str,
  restartPolicy: str,
  ports: z.array(z.looseObject({ name: str, containerPort: int64, hostPort: int64, hostIP: str, protocol: str }).nullable()).nullish(),
  securityContext: SecurityContext.nullish(),
  resources: z.looseObject({ requests: Quantities.nullish(), limits: Quantities.nullish() }).nullish(),
  livenessProbe: Handler.nullish(),
  readinessProbe: Handler.nullish(),
  startupProbe: Handler.nullish(),
  lifecycle: z.looseObject({ postStart: Handler.nullish(), preStop: Handler.nullish() }).nullish(),
  volumeMounts: z.array(z.looseObject({ name: str, mountPath: str, readOnly: bool, subPath: str, subPathExpr: str }).nullable()).nullish(),
});
export type Container = z.infer<typeof Container>;

/** Every volume source of core/v1 VolumeSource, in the order PSA's restrictedVolumes check tests them. */
export const VOLUME_SOURCES = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'nfs',
  'iscsi',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
] as const;
export type VolumeSource = (typeof VOLUME_SOURCES)[number];
const VOLUME_SOURCE_SET = new Set<string>(VOLUME_SOURCES);

export const Volume = z.looseObject({
  name: str,
  hostPath: z.looseObject({ path: z.string(), type: str }).nullish(),
  projected: z.looseObject({ sources: z.array(z.unknown()).nullish() }).nullish(),
});

/** Top-level PodSpec fields; containers and volumes are validated one by one. */
export const PodSpecTop = z.looseObject({
  hostNetwork: bool,
  hostPID: bool,
  hostIPC: bool,
  hostUsers: bool,
  os: z.looseObject({ name: str }).nullish(),
  securityContext: PodSecurityContext.nullish(),
  serviceAccountName: str,
  serviceAccount: str,
  automountServiceAccountToken: bool,
  nodeName: str,
  containers: z.array(z.unknown()).nullish(),
  initContainers: z.array(z.unknown()).nullish(),
  ephemeralContainers: z.array(z.unknown()).nullish(),
  volumes: z.array(z.unknown()).nullish(),
});
export type PodSpecTop = z.infer<typeof PodSpecTop>;

export const PodMetadata = z.looseObject({
  name: str,
  namespace: str,
  labels: z.record(z.string(), z.string().nullable()).nullish(),
  annotations: z.record(z.string(), z.string().nullable()).nullish(),
});

export type ContainerType = 'init' | 'regular' | 'ephemeral';

export interface ContainerView {
  type: ContainerType;
  index: number;
  /** `spec.containers[0]` (pod-relative). */
  path: string;
  /** The container name, or `#<index>` when the manifest has none. */
  name: string;
  spec: Container;
}

export interface VolumeView {
  index: number;
  /** `spec.volumes[0]`. */
  path: string;
  name: string;
  /** The volume source: the first one set, in PSA's order; `emptyDir` when none is set (API defaulting). */
  source: VolumeSource;
  /** True when no source was given and the API server's defaulting (emptyDir) applies. */
  defaulted: boolean;
  hostPath: { path: string; type: string | undefined } | undefined;
  /** `projected.sources[*]` contains a `serviceAccountToken` projection. */
  projectsServiceAccountToken: boolean;
}

/** A field that could not be read, and why: evaluation goes on without it. */
export interface FieldIssue {
  /** Pod-relative field path. */
  path: string;
  message: string;
}

/** A validated pod (spec + the metadata PSS reads). */
export interface PodSpecView {
  annotations: Record<string, string>;
  labels: Record<string, string>;
  spec: PodSpecTop;
  containers: ContainerView[];
  volumes: VolumeView[];
  /** `spec.os.name == "windows"`. */
  windows: boolean;
  issues: FieldIssue[];
}

const CONTAINER_LISTS: ReadonlyArray<[ContainerType, 'initContainers' | 'containers' | 'ephemeralContainers']> = [
  ['init', 'initContainers'],
  ['regular', 'containers'],
  ['ephemeral', 'ephemeralContainers'],
];

/**
 * Reads a pod's metadata and spec (a Pod, or the `template` of a workload). Never throws: invalid
 * fields become `issues` and are left out of the view.
 */
export function readPod(metadata: unknown, spec: unknown): PodSpecView {
  const issues: FieldIssue[] = [];
  const meta = parseLenient(PodMetadata, metadata ?? {}, 'metadata', issues) ?? {};
  const top = (spec === undefined || spec === null ? {} : parseLenient(PodSpecTop, spec, 'spec', issues)) ?? {};
  const containers: ContainerView[] = [];
  for (const [type, key] of CONTAINER_LISTS) {
    (top[key] ?? []).forEach((raw, index) => {
      const path = `spec.${key}[${index}]`;
      const parsed = parseLenient(Container, raw, path, issues);
      if (parsed === undefined) return;
      containers.push({ type, index, path, name: parsed.name ?? `#${index}`, spec: parsed });
    });
  }
  const volumes: VolumeView[] = [];
  (top.volumes ?? []).forEach((raw, index) => {
    const path = `spec.volumes[${index}]`;
    const parsed = parseLenient(Volume, raw, path, issues);
    if (parsed === undefined) return;
    const keys = Object.keys(parsed).filter((k) => k !== 'name' && parsed[k] !== undefined && parsed[k] !== null);
    for (const k of keys) if (!VOLUME_SOURCE_SET.has(k)) issues.push({ path: `${path}.${k}`, message: `unknown volume source "${k}" (ignored)` });
    const set = VOLUME_SOURCES.filter((s) => keys.includes(s));
    const sources = (parsed.projected?.sources ?? []) as Array<Record<string, unknown> | null>;
    volumes.push({
      index,
      path,
      name: parsed.name ?? `#${index}`,
      source: set[0] ?? 'emptyDir',
      defaulted: set.length === 0,
      hostPath: parsed.hostPath == null ? undefined : { path: parsed.hostPath.path, type: parsed.hostPath.type ?? undefined },
      projectsServiceAccountToken: sources.some((s) => s !== null && typeof s === 'object' && s.serviceAccountToken != null),
    });
  });
  return {
    annotations: compact(meta.annotations),
    labels: compact(meta.labels),
    spec: top,
    containers,
    volumes,
    windows: top.os?.name === 'windows',
    issues,
  };
}

function compact(record: Record<string, string | null> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record ?? {})) out[k] = v ?? '';
  return out;
}

/**
 * Validates `value` with `schema`; fields that fail are removed (array elements become null) and
 * reported, and validation is retried, so one bad field never discards its siblings. Returns
 * undefined when the value as a whole is unusable (not an object).
 */
export function parseLenient<T>(schema: z.ZodType<T>, value: unknown, basePath: string, issues: FieldIssue[]): T | undefined {
  // Valid, and zod's copy would equal the value as read: keep it (inventory/identity.ts).
  if (identityCheck(schema)(value)) return value as T;
  let current = value;
  let copied = false;
  for (let attempt = 0; attempt < 8; attempt++) {
    const result = schema.safeParse(current);
    if (result.success) return result.data;
    if (!copied) {
      current = structuredClone(current);
      copied = true;
    }
    for (const zi of result.error.issues) {
      const path = zi.path.filter((p): p is string | number => typeof p !== 'symbol');
      const bad = valueAt(current, path);
      issues.push({ path: joinPath(basePath, path), message: `${describeExpected(zi)}, found ${describeValue(bad)}` });
      if (path.length === 0) return undefined;
      removeAt(current, path);
    }
  }
  return undefined;
}

function describeExpected(zi: z.core.$ZodIssue): string {
  if (zi.code === 'invalid_type') return `expected ${zi.expected}`;
  return zi.message.replace(/^Invalid input: /, '');
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return `${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value} ${json.length > 40 ? `${json.slice(0, 37)}...` : json}`;
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function removeAt(root: unknown, path: ReadonlyArray<string | number>): void {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (parent === null || typeof parent !== 'object' || key === undefined) return;
  if (Array.isArray(parent) && typeof key === 'number') parent[key] = null;
  else delete (parent as Record<string | number, unknown>)[key];
}

/** `spec.containers[0].securityContext` from a base path and path segments. */
export function joinPath(base: string, path: ReadonlyArray<string | number>): string {
  let out = base;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][\w]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${part}]`;
  }
  return out;
}
