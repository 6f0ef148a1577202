/**
 * zod schemas of the CRI (runtime.v1) and containerd images.v1 replies runwarden reads, as
 * @grpc/proto-loader decodes them (keepCase, longs and enums as strings, defaults filled in).
 * List replies are checked envelope first, then item by item, so one odd image never hides the
 * other 1,499 (and one odd container is known to be missing, see NodeRuntime.containersComplete).
 */
import { z } from 'zod';

/** proto-loader renders (u)int64 as decimal strings (longs: String). */
const Int64 = z.string().regex(/^-?\d{1,20}$/, 'expected a 64-bit integer');
const StringMap = z.record(z.string(), z.string());

export const VersionResponse = z.object({
  version: z.string(),
  runtime_name: z.string().min(1, 'the runtime sent no name'),
  runtime_version: z.string(),
  runtime_api_version: z.string(),
});
export type VersionResponse = z.infer<typeof VersionResponse>;

export const RuntimeCondition = z.object({
  type: z.string(),
  status: z.boolean(),
  reason: z.string(),
  message: z.string(),
});

export const StatusResponse = z.object({
  status: z.object({ conditions: z.array(RuntimeCondition) }).nullable(),
  info: StringMap,
});
export type StatusResponse = z.infer<typeof StatusResponse>;

/** containerd's `Status{verbose}` info["config"]: its CRI plugin config, JSON. Only what we read. */
export const ContainerdCriConfig = z.looseObject({
  sandboxImage: z.string().min(1),
});

export const ListEnvelope = <K extends string>(key: K) => z.object({ [key]: z.array(z.unknown()) } as Record<K, z.ZodArray<z.ZodUnknown>>);

export const Image = z.object({
  id: z.string().min(1, 'an image without an ID'),
  repo_tags: z.array(z.string()),
  repo_digests: z.array(z.string()),
  size: Int64,
  pinned: z.boolean(),
});
export type Image = z.infer<typeof Image>;

export const ImageStatusResponse = z.object({
  image: z.unknown().nullable(),
});

export const FilesystemUsage = z.object({
  timestamp: Int64,
  fs_id: z.object({ mountpoint: z.string() }).nullable(),
  used_bytes: z.object({ value: Int64 }).nullable(),
  inodes_used: z.object({ value: Int64 }).nullable(),
});
export type FilesystemUsage = z.infer<typeof FilesystemUsage>;

export const ContainerStates = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'] as const;

export const Container = z.object({
  id: z.string().min(1, 'a container without an ID'),
  pod_sandbox_id: z.string(),
  metadata: z.object({ name: z.string(), attempt: z.number().int().nonnegative() }).nullable(),
  image: z.object({ image: z.string() }).nullable(),
  image_ref: z.string(),
  // A state this proto does not know arrives as its number: treat it as "unknown", never as "not running".
  state: z.union([z.enum(ContainerStates), z.number()]),
  created_at: Int64,
  labels: StringMap,
});
export type Container = z.infer<typeof Container>;

export const PodSandbox = z.object({
  id: z.string().min(1, 'a sandbox without an ID'),
  metadata: z.object({ name: z.string(), uid: z.string(), namespace: z.string(), attempt: z.number().int().nonnegative() }).nullable(),
  state: z.union([z.enum(['SANDBOX_READY', 'SANDBOX_NOTREADY']), z.number()]),
  created_at: Int64,
  runtime_handler: z.string(),
});
export type PodSandbox = z.infer<typeof PodSandbox>;

/** google.protobuf.Timestamp as proto-loader decodes it. */
const Timestamp = z.object({ seconds: Int64, nanos: z.number().int() }).nullable();

/** containerd.services.images.v1.Image: one record per name (tags, repo digests and `sha256:<id>`). */
export const ContainerdImage = z.object({
  name: z.string().min(1),
  target: z.object({ media_type: z.string(), digest: z.string() }).nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type ContainerdImage = z.infer<typeof ContainerdImage>;

/** containerd.services.containers.v1.Container: every container of the namespace, CRI-managed or not. */
export const ContainerdContainer = z.object({
  id: z.string().min(1),
  labels: StringMap,
  image: z.string(),
  created_at: Timestamp,
});
export type ContainerdContainer = z.infer<typeof ContainerdContainer>;
