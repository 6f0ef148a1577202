/**
 * A CRI client over the runtime's unix socket: @grpc/grpc-js with our own subset of the CRI
 * runtime.v1 proto (`cri.proto`), plus containerd's images API for image times. Every reply is
 * validated (`schema.ts`) and converted to the node view types of `core/node-runtime.ts`; every
 * failure becomes one `CriError` that names the socket, the call and the cause, here and nowhere else.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { z } from 'zod';
import { CriError, UsageError, errorMessage } from '../../../core/errors.js';
import type { ImageFsUsage, NodeContainer, NodeContainerState, NodeImage, NodeSandbox, RuntimeCondition } from '../../../core/node-runtime.js';
import { packageRoot } from '../../../paths.js';
import * as schema from './schema.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONTAINERD_NAMESPACE = 'k8s.io';

/** Where crictl looks when no endpoint is given (cri-tools `defaultRuntimeEndpoints`), in that order. */
export const DEFAULT_CRI_SOCKETS = ['/run/containerd/containerd.sock', '/run/crio/crio.sock', '/var/run/cri-dockerd.sock'] as const;

export interface CriClientOptions {
  /** Deadline of each call (default 10 s). */
  timeoutMs?: number | undefined;
  /** containerd namespace of the CRI plugin's images (default `k8s.io`). */
  containerdNamespace?: string | undefined;
  /** Where the address came from, for messages: `--cri`, `CONTAINER_RUNTIME_ENDPOINT`, … */
  origin?: string | undefined;
}

export interface CriVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface CriStatus {
  conditions: RuntimeCondition[];
  /** Verbose info, JSON strings by key (containerd: `config`, `golang`, …). */
  info: Record<string, string>;
}

/** One containerd image record (a name → target); the CRI plugin keeps one per tag, repo digest and ID. */
export interface ContainerdImageRecord {
  name: string;
  targetDigest: string | undefined;
  targetMediaType: string | undefined;
  createdAt: string | undefined;
  updatedAt: string | undefined;
}

/** A reply item that failed validation: its index and why. */
export interface InvalidItem {
  index: number;
  message: string;
}

/** One containerd container record: its image name, and when it was created. */
export interface ContainerdContainerRecord {
  id: string;
  image: string;
  labels: Record<string, string>;
  createdAt: string | undefined;
}

export interface CriClient {
  /** `unix:///…` */
  readonly address: string;
  readonly socketPath: string;
  version(signal?: AbortSignal): Promise<CriVersion>;
  status(signal?: AbortSignal): Promise<CriStatus>;
  /** All cached images; `invalid` lists reply items that failed validation (left out, so never removed). */
  listImages(signal?: AbortSignal): Promise<{ images: NodeImage[]; invalid: InvalidItem[] }>;
  /** The image a name or ID refers to, or undefined when the runtime has no such image. */
  imageStatus(image: string, signal?: AbortSignal): Promise<NodeImage | undefined>;
  /** Removes an image and all its names; OK when it is already gone (CRI: RemoveImage is idempotent). */
  removeImage(image: string, signal?: AbortSignal): Promise<void>;
  imageFsInfo(signal?: AbortSignal): Promise<ImageFsUsage[]>;
  /** All containers in every state; `invalid` counts reply items that failed validation. */
  listContainers(signal?: AbortSignal): Promise<{ containers: NodeContainer[]; invalid: InvalidItem[] }>;
  listPodSandbox(signal?: AbortSignal): Promise<{ sandboxes: NodeSandbox[]; invalid: InvalidItem[] }>;
  /** containerd only: its image records in the CRI namespace (names with created/updated times). */
  containerdImages(signal?: AbortSignal): Promise<ContainerdImageRecord[]>;
  /** containerd only: every container record in the CRI namespace, including those CRI does not manage (nerdctl, ctr). */
  containerdContainers(signal?: AbortSignal): Promise<{ containers: ContainerdContainerRecord[]; invalid: InvalidItem[] }>;
  close(): void;
}

/**
 * Validate a CRI endpoint: `unix:///abs/path.sock`, `unix:/abs/path.sock` or a bare absolute path.
 * CRI runtimes on Linux listen on unix sockets only; TCP and Windows named pipes are refused.
 */
export function parseCriAddress(input: string, origin = '--cri'): { address: string; socketPath: string } {
  const value = input.trim();
  let path: string | undefined;
  if (value.startsWith('unix://')) path = value.slice('unix://'.length);
  else if (value.startsWith('unix:')) path = value.slice('unix:'.length);
  else if (value.startsWith('/')) path = value;
  if (path === undefined || !path.startsWith('/') || path.length < 2) {
    throw new UsageError(`Invalid ${origin} "${input}": expected a unix socket address such as "unix:///run/containerd/containerd.sock" (or an absolute path).`, {
      hint: value.includes('://') && !value.startsWith('unix') ? 'CRI runtimes on Linux listen on a unix socket; TCP and named pipes are not supported.' : 'containerd: unix:///run/containerd/containerd.sock, CRI-O: unix:///run/crio/crio.sock.',
    });
  }
  return { address: `unix://${path}`, socketPath: path };
}

type Loaded = {
  runtime: grpc.ServiceClientConstructor;
  image: grpc.ServiceClientConstructor;
  v1alpha2: grpc.ServiceClientConstructor;
  containerdImages: grpc.ServiceClientConstructor;
  containerdContainers: grpc.ServiceClientConstructor;
};
let loaded: Loaded | undefined;

/** The proto files live beside this file in src/ (tsc does not copy them to dist/): found from the package root. */
export function protoDir(): string {
  return join(packageRoot(), 'src', 'inventory', 'sources', 'cri');
}

function loadProtos(): Loaded {
  if (loaded !== undefined) return loaded;
  const options: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
  const dir = protoDir();
  const service = (file: string, path: string[]): grpc.ServiceClientConstructor => {
    let node: unknown = grpc.loadPackageDefinition(protoLoader.loadSync(join(dir, file), options));
    for (const part of path) node = (node as Record<string, unknown>)[part];
    if (typeof node !== 'function') throw new Error(`service ${path.join('.')} missing from ${file}`);
    return node as grpc.ServiceClientConstructor;
  };
  loaded = {
    runtime: service('cri.proto', ['runtime', 'v1', 'RuntimeService']),
    image: service('cri.proto', ['runtime', 'v1', 'ImageService']),
    v1alpha2: service('cri-v1alpha2.proto', ['runtime', 'v1alpha2', 'RuntimeService']),
    containerdImages: service('containerd-images.proto', ['containerd', 'services', 'images', 'v1', 'Images']),
    containerdContainers: service('containerd-containers.proto', ['containerd', 'services', 'containers', 'v1', 'Containers']),
  };
  return loaded;
}

type UnaryMethod = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, reply: unknown) => void) => grpc.ClientUnaryCall;

export function criClient(addressInput: string, options: CriClientOptions = {}): CriClient {
  const origin = options.origin ?? '--cri';
  const { address, socketPath } = parseCriAddress(addressInput, origin);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const namespace = options.containerdNamespace ?? DEFAULT_CONTAINERD_NAMESPACE;
  const protos = loadProtos();
  const credentials = grpc.credentials.createInsecure();
  // 1,500 images with several names each fit in a few MB; leave room for much bigger nodes.
  const channelOptions: grpc.ChannelOptions = { 'grpc.max_receive_message_length': 256 * 1024 * 1024 };
  const runtimeService = new protos.runtime(address, credentials, channelOptions);
  // Clients of one address share a channel in grpc-js: one connection, many streams.
  const imageService = new protos.image(address, credentials, channelOptions);
  let checked: Promise<void> | undefined;
  let versionChecked: Promise<CriVersion> | undefined;

  const where = `${origin} ${address}`;

  /** The socket file must exist, be a socket and be writable by us (connect(2) on a unix socket needs write permission). */
  async function checkSocket(): Promise<void> {
    let info;
    try {
      info = await stat(socketPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new CriError('missing-socket', address, `CRI socket ${socketPath} does not exist (${origin} ${address}).`, {
          hint: 'Is the container runtime running on this node? containerd listens on /run/containerd/containerd.sock, CRI-O on /run/crio/crio.sock; in a pod, mount the host socket (deploy/node-agent).',
          cause: error,
        });
      }
      if (code === 'EACCES' || code === 'EPERM') throw permissionDenied(error);
      throw new CriError('unavailable', address, `Cannot read CRI socket ${socketPath} (${where}): ${errorMessage(error)}.`, { cause: error });
    }
    if (!info.isSocket()) {
      throw new CriError('not-cri', address, `${socketPath} (${where}) is not a unix socket but a ${info.isDirectory() ? 'directory' : info.isFile() ? 'regular file' : 'special file'}.`, {
        hint: 'Point --cri at the runtime\'s socket, e.g. unix:///run/containerd/containerd.sock.',
      });
    }
    try {
      await access(socketPath, fsConstants.W_OK);
    } catch (error) {
      throw permissionDenied(error, info);
    }
  }

  function permissionDenied(cause: unknown, info?: { mode: number; uid: number; gid: number }): CriError {
    const who = typeof process.getuid === 'function' ? `uid ${process.getuid()}${typeof process.getgid === 'function' ? `, gid ${process.getgid()}` : ''}` : 'this user';
    const owner = info === undefined ? '' : ` (owner uid ${info.uid}, group gid ${info.gid}, mode ${(info.mode & 0o777).toString(8).padStart(3, '0')})`;
    return new CriError('permission-denied', address, `Permission denied on CRI socket ${socketPath}${owner} for ${who} (${origin} ${address}).`, {
      hint: 'Run as root, or as a user in the socket\'s group with group write permission on it; in Kubernetes see deploy/node-agent/readme.md ("Socket permissions").',
      cause,
    });
  }

  function translate(error: grpc.ServiceError, method: string): CriError {
    const details = error.details || error.message;
    const base = { method, grpcCode: error.code, cause: error };
    switch (error.code) {
      case grpc.status.UNAVAILABLE:
        if (/ENOENT/.test(details)) return new CriError('missing-socket', address, `CRI socket ${socketPath} disappeared (${where}) during ${method}.`, { ...base, hint: 'The runtime stopped or restarted; retry when it is back.' });
        if (/EACCES|EPERM/.test(details)) return permissionDenied(error);
        if (/ECONNREFUSED/.test(details)) {
          return new CriError('connection-refused', address, `Nothing accepts connections on ${socketPath} (${where}): connection refused.`, { ...base, hint: 'The socket file is stale or the runtime is starting; check that the container runtime is running.' });
        }
        if (/Protocol error|Failed to connect|HTTP status code|RST_STREAM|parse|frame/i.test(details)) {
          return new CriError('not-cri', address, `${socketPath} (${where}) is not a CRI endpoint: the server did not speak gRPC over HTTP/2 (${shorten(details)}).`, {
            ...base,
            hint: 'Point --cri at the container runtime\'s gRPC socket (containerd: /run/containerd/containerd.sock, CRI-O: /run/crio/crio.sock), not another service\'s socket.',
          });
        }
        return new CriError('unavailable', address, `CRI runtime at ${socketPath} is unavailable (${where}) for ${method}: ${shorten(details)}.`, { ...base, hint: 'Check that the container runtime is running and healthy.' });
      case grpc.status.DEADLINE_EXCEEDED:
        return new CriError('timeout', address, `CRI call ${method} to ${socketPath} (${where}) timed out after ${formatMs(timeoutMs)}.`, {
          ...base,
          hint: 'The runtime is overloaded or something that is not a CRI runtime holds the socket; raise --timeout or check the runtime.',
        });
      case grpc.status.UNIMPLEMENTED:
        return new CriError('not-cri', address, `The server on ${socketPath} (${where}) does not implement ${method}: ${shorten(details)}.`, {
          ...base,
          hint: 'Point --cri at a CRI runtime (containerd ≥ 1.6, CRI-O ≥ 1.23) that implements CRI runtime.v1.',
        });
      case grpc.status.PERMISSION_DENIED:
      case grpc.status.UNAUTHENTICATED:
        return new CriError('permission-denied', address, `The CRI runtime at ${socketPath} (${where}) refused ${method}: ${shorten(details)}.`, { ...base, hint: 'Run with the privileges the runtime requires (usually root).' });
      default:
        return new CriError('runtime-error', address, `CRI ${method} failed on ${socketPath} (${where}): ${grpc.status[error.code] ?? error.code} ${shorten(details)}.`, { ...base, hint: 'See the container runtime\'s log for the cause.' });
    }
  }

  function call(client: grpc.Client, rpc: string, method: string, request: unknown, signal: AbortSignal | undefined, metadata = new grpc.Metadata()): Promise<unknown> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const fn = (client as unknown as Record<string, UnaryMethod>)[rpc];
      if (fn === undefined) {
        reject(new Error(`CRI method ${rpc} is not in the proto`));
        return;
      }
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        handle.cancel();
        const reason: unknown = signal?.reason;
        reject(reason instanceof Error ? reason : new Error(`CRI ${method} aborted`, { cause: reason }));
      };
      const handle = fn.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (error, reply) => {
        signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        if (error !== null) reject(translate(error, method));
        else resolve(reply);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  function parse<S extends z.ZodType>(s: S, reply: unknown, method: string): z.infer<S> {
    const result = s.safeParse(reply);
    if (result.success) return result.data;
    throw invalidReply(method, result.error);
  }

  function invalidReply(method: string, error: z.ZodError, index?: number): CriError {
    const first = error.issues[0];
    const path = [...(index === undefined ? [] : [index]), ...(first?.path ?? [])].map(String).join('.');
    return new CriError('invalid-reply', address, `CRI ${method} reply from ${socketPath} does not match CRI runtime.v1${path === '' ? '' : ` at ${path}`}: ${first?.message ?? 'invalid'}.`, {
      method,
      hint: 'The runtime speaks a CRI version runwarden does not understand; report it with the runtime name and version.',
    });
  }

  /** Validate list items one by one: the good ones come back, the bad ones are counted with why. */
  function items<S extends z.ZodType>(s: S, list: unknown[]): { ok: Array<z.infer<S>>; invalid: InvalidItem[] } {
    const ok: Array<z.infer<S>> = [];
    const invalid: InvalidItem[] = [];
    list.forEach((item, index) => {
      const result = s.safeParse(item);
      if (result.success) ok.push(result.data);
      else {
        const first = result.error.issues[0];
        invalid.push({ index, message: `${[index, ...(first?.path ?? [])].map(String).join('.')}: ${first?.message ?? 'invalid'}` });
      }
    });
    return { ok, invalid };
  }

  /** First contact: socket checks, then Version on runtime.v1 (and, when unimplemented, on v1alpha2 to say why). */
  function ready(signal: AbortSignal | undefined): Promise<CriVersion> {
    checked ??= checkSocket();
    versionChecked ??= checked.then(async () => {
      try {
        const reply = parse(schema.VersionResponse, await call(runtimeService, 'Version', 'Version', { version: 'v1' }, signal), 'Version');
        return { runtimeName: reply.runtime_name, runtimeVersion: reply.runtime_version, runtimeApiVersion: reply.runtime_api_version };
      } catch (error) {
        if (error instanceof CriError && error.grpcCode === grpc.status.UNIMPLEMENTED) throw await explainUnimplemented(error, signal);
        throw error;
      }
    });
    // A failed first contact is not cached: the next call tries again (the runtime may be back).
    versionChecked.catch(() => {
      checked = undefined;
      versionChecked = undefined;
    });
    return versionChecked;
  }

  async function explainUnimplemented(v1Error: CriError, signal: AbortSignal | undefined): Promise<CriError> {
    const old = new protos.v1alpha2(address, credentials, channelOptions);
    try {
      const reply = parse(schema.VersionResponse, await call(old, 'Version', 'v1alpha2 Version', { version: 'v1alpha2' }, signal), 'v1alpha2 Version');
      return new CriError('v1alpha2-only', address, `${reply.runtime_name} ${reply.runtime_version} on ${socketPath} (${where}) speaks only the deprecated CRI v1alpha2 API; runwarden needs CRI runtime.v1.`, {
        method: 'Version',
        grpcCode: v1Error.grpcCode,
        hint: 'Upgrade the runtime: containerd ≥ 1.6 or CRI-O ≥ 1.23 serve runtime.v1 (Kubernetes ≥ 1.26 requires it too).',
      });
    } catch (error) {
      if (error instanceof CriError && error.grpcCode === grpc.status.UNIMPLEMENTED) {
        return new CriError('not-cri', address, `The gRPC server on ${socketPath} (${where}) is not a CRI runtime: it implements neither runtime.v1 nor runtime.v1alpha2.`, {
          method: 'Version',
          grpcCode: v1Error.grpcCode,
          hint: 'Point --cri at the container runtime\'s CRI socket (containerd: /run/containerd/containerd.sock, CRI-O: /run/crio/crio.sock).',
        });
      }
      return v1Error;
    } finally {
      old.close();
    }
  }

  async function rpc(client: grpc.Client, name: string, request: unknown, signal: AbortSignal | undefined, metadata?: grpc.Metadata, display = name): Promise<unknown> {
    await ready(signal);
    return call(client, name, display, request, signal, metadata);
  }

  return {
    address,
    socketPath,
    version: (signal) => ready(signal),
    async status(signal) {
      const reply = parse(schema.StatusResponse, await rpc(runtimeService, 'Status', { verbose: true }, signal), 'Status');
      return { conditions: reply.status?.conditions ?? [], info: reply.info };
    },
    async listImages(signal) {
      const reply = parse(schema.ListEnvelope('images'), await rpc(imageService, 'ListImages', {}, signal), 'ListImages');
      const { ok, invalid } = items(schema.Image, reply.images);
      return { images: ok.map(toImage), invalid };
    },
    async imageStatus(image, signal) {
      const reply = parse(schema.ImageStatusResponse, await rpc(imageService, 'ImageStatus', { image: { image } }, signal), 'ImageStatus');
      if (reply.image === null || reply.image === undefined) return undefined;
      return toImage(parse(schema.Image, reply.image, 'ImageStatus'));
    },
    async removeImage(image, signal) {
      await rpc(imageService, 'RemoveImage', { image: { image } }, signal);
    },
    async imageFsInfo(signal) {
      const reply = parse(schema.ListEnvelope('image_filesystems'), await rpc(imageService, 'ImageFsInfo', {}, signal), 'ImageFsInfo');
      return reply.image_filesystems.map((item, index) => {
        const result = schema.FilesystemUsage.safeParse(item);
        if (!result.success) throw invalidReply('ImageFsInfo', result.error, index);
        return toFsUsage(result.data);
      });
    },
    async listContainers(signal) {
      const reply = parse(schema.ListEnvelope('containers'), await rpc(runtimeService, 'ListContainers', {}, signal), 'ListContainers');
      const { ok, invalid } = items(schema.Container, reply.containers);
      return { containers: ok.map(toContainer), invalid };
    },
    async listPodSandbox(signal) {
      const reply = parse(schema.ListEnvelope('items'), await rpc(runtimeService, 'ListPodSandbox', {}, signal), 'ListPodSandbox');
      const { ok, invalid } = items(schema.PodSandbox, reply.items);
      return { sandboxes: ok.map(toSandbox), invalid };
    },
    async containerdImages(signal) {
      const containerd = new protos.containerdImages(address, credentials, channelOptions);
      try {
        const metadata = new grpc.Metadata();
        metadata.set('containerd-namespace', namespace);
        const reply = parse(schema.ListEnvelope('images'), await rpc(containerd, 'List', {}, signal, metadata, 'containerd Images/List'), 'containerd Images/List');
        const { ok } = items(schema.ContainerdImage, reply.images);
        return ok.map((r) => ({
          name: r.name,
          targetDigest: r.target?.digest || undefined,
          targetMediaType: r.target?.media_type || undefined,
          createdAt: timestampToIso(r.created_at),
          updatedAt: timestampToIso(r.updated_at),
        }));
      } finally {
        containerd.close();
      }
    },
    async containerdContainers(signal) {
      const containerd = new protos.containerdContainers(address, credentials, channelOptions);
      try {
        const metadata = new grpc.Metadata();
        metadata.set('containerd-namespace', namespace);
        const reply = parse(schema.ListEnvelope('containers'), await rpc(containerd, 'List', {}, signal, metadata, 'containerd Containers/List'), 'containerd Containers/List');
        const { ok, invalid } = items(schema.ContainerdContainer, reply.containers);
        return { containers: ok.map((c) => ({ id: c.id, image: c.image, labels: c.labels, createdAt: timestampToIso(c.created_at) })), invalid };
      } finally {
        containerd.close();
      }
    },
    close() {
      runtimeService.close();
      imageService.close();
    },
  };
}

function toImage(image: schema.Image): NodeImage {
  return {
    id: image.id,
    repoTags: image.repo_tags,
    repoDigests: image.repo_digests,
    sizeBytes: Number(image.size),
    pinned: image.pinned,
    targetDigests: [],
    createdAt: undefined,
    updatedAt: undefined,
  };
}

const CONTAINER_STATES: Record<string, NodeContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

function toContainer(c: schema.Container): NodeContainer {
  return {
    id: c.id,
    name: c.metadata?.name ?? '',
    attempt: c.metadata?.attempt ?? 0,
    sandboxId: c.pod_sandbox_id,
    image: c.image?.image ?? '',
    imageRef: c.image_ref,
    state: typeof c.state === 'string' ? (CONTAINER_STATES[c.state] ?? 'unknown') : 'unknown',
    createdAt: nanosToIso(c.created_at),
    labels: c.labels,
    origin: 'cri',
  };
}

function toSandbox(s: schema.PodSandbox): NodeSandbox {
  return {
    id: s.id,
    name: s.metadata?.name ?? '',
    namespace: s.metadata?.namespace ?? '',
    uid: s.metadata?.uid ?? '',
    attempt: s.metadata?.attempt ?? 0,
    state: s.state === 'SANDBOX_READY' ? 'ready' : 'notready',
    createdAt: nanosToIso(s.created_at),
    runtimeHandler: s.runtime_handler,
  };
}

function toFsUsage(f: schema.FilesystemUsage): ImageFsUsage {
  const usedBytes = Number(f.used_bytes?.value ?? '0');
  const inodesUsed = Number(f.inodes_used?.value ?? '0');
  return {
    mountpoint: f.fs_id?.mountpoint ?? '',
    usedBytes,
    inodesUsed,
    collectedAt: nanosToIso(f.timestamp) ?? new Date(0).toISOString(),
    timestampNs: f.timestamp,
    collected: usedBytes > 0 || inodesUsed > 0,
  };
}

/** CRI times are nanoseconds since the epoch; 0 means "not set". */
export function nanosToIso(nanos: string): string | undefined {
  const value = BigInt(nanos);
  if (value <= 0n) return undefined;
  return new Date(Number(value / 1_000_000n)).toISOString();
}

function timestampToIso(ts: { seconds: string; nanos: number } | null): string | undefined {
  if (ts === null) return undefined;
  const ms = Number(BigInt(ts.seconds) * 1000n) + Math.floor(ts.nanos / 1e6);
  return ms <= 0 ? undefined : new Date(ms).toISOString();
}

function shorten(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
