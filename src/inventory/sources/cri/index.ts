/**
 * The node's view over CRI: what the container runtime caches and runs. Unlike the Kubernetes
 * sources (`InventorySource`, cluster objects), this source reads one node's runtime over its unix
 * socket; the node agent (`runwarden node`, `runwarden clean`) is its user.
 */
import { existsSync } from 'node:fs';
import { CriError, errorMessage } from '../../../core/errors.js';
import { issue, type Issue } from '../../../core/issue.js';
import type { NodeContainer, NodeImage, NodeRuntime } from '../../../core/node-runtime.js';
import { DEFAULT_CRI_SOCKETS, criClient, parseCriAddress, type ContainerdImageRecord, type CriClient, type InvalidItem } from './client.js';
import { ContainerdCriConfig } from './schema.js';

export { DEFAULT_CONTAINERD_NAMESPACE, DEFAULT_CRI_SOCKETS, DEFAULT_TIMEOUT_MS, criClient, parseCriAddress, protoDir } from './client.js';
export type { ContainerdContainerRecord, ContainerdImageRecord, CriClient, CriClientOptions, CriStatus, CriVersion, InvalidItem } from './client.js';

export interface ReadNodeRuntimeOptions {
  /** Node name recorded in the view (the DaemonSet passes NODE_NAME). */
  node: string;
  signal?: AbortSignal | undefined;
}

/**
 * Reads the whole node view in one go: Version first (it proves the socket is a CRI v1 runtime),
 * then Status, ListImages, ListContainers, ListPodSandbox, ImageFsInfo and, on containerd, its image
 * records, concurrently over one connection. Images and containers are required (throws CriError);
 * the rest degrade to issues. An invalid container item makes `containersComplete` false.
 */
export async function readNodeRuntime(client: CriClient, options: ReadNodeRuntimeOptions): Promise<NodeRuntime> {
  const { signal } = options;
  const version = await client.version(signal);
  const isContainerd = version.runtimeName === 'containerd';
  const [status, images, containers, sandboxes, imageFs, records] = await Promise.allSettled([
    client.status(signal),
    client.listImages(signal),
    listNodeContainers(client, isContainerd ? 'listed' : 'not-containerd', signal).catch(async (error: unknown) => {
      // containerd's container list is extra protection: without it, fall back to CRI's alone, and say so.
      if (!isContainerd || !(error instanceof CriError) || error.method !== CONTAINERD_CONTAINERS) throw error;
      return { ...(await client.listContainers(signal)), failed: error };
    }),
    client.listPodSandbox(signal),
    client.imageFsInfo(signal),
    isContainerd ? client.containerdImages(signal) : Promise.resolve(undefined),
  ]);
  if (images.status === 'rejected') throw images.reason;
  if (containers.status === 'rejected') throw containers.reason;
  const issues: Issue[] = [];
  const where = client.address;

  for (const bad of images.value.invalid) {
    issues.push(issue('cri-invalid-image', `Image ${bad.message} in the ListImages reply is invalid and was left out (it will never be removed)`, where));
  }
  const containerdContainers: NodeRuntime['containerdContainers'] = !isContainerd ? 'not-containerd' : 'failed' in containers.value ? 'failed' : 'listed';
  if ('failed' in containers.value) {
    issues.push(issue('cri-containerd-containers-failed', `containerd's container list failed, so containers it runs outside Kubernetes (nerdctl, ctr) in its CRI namespace are not seen and their images are not protected: ${containers.value.failed.message}`, where));
  }
  for (const bad of containers.value.invalid) {
    issues.push(issue('cri-invalid-container', `Container ${bad.message} in the ListContainers reply is invalid: image use on this node is unknown, so cleanup removes nothing`, where, 'Report it with the runtime name and version.'));
  }

  let sandboxImage: string | undefined;
  let conditions: NodeRuntime['conditions'] = [];
  if (status.status === 'fulfilled') {
    conditions = status.value.conditions;
    sandboxImage = sandboxImageFrom(status.value.info);
    if (sandboxImage === undefined) {
      issues.push(issue('cri-sandbox-image-unknown', `${version.runtimeName} ${version.runtimeVersion} does not report its pod sandbox (pause) image in Status`, where, 'Images matching the default sandbox globs (*/pause*) are kept; add yours with --sandbox-image.'));
    }
  } else {
    issues.push(issue('cri-status-failed', `CRI Status failed, so the sandbox image is unknown: ${errorMessage(status.reason)}`, where, 'Images matching the default sandbox globs (*/pause*) are kept; add yours with --sandbox-image.'));
  }

  let sandboxList: NodeRuntime['sandboxes'] = [];
  if (sandboxes.status === 'fulfilled') {
    sandboxList = sandboxes.value.sandboxes;
    for (const bad of sandboxes.value.invalid) issues.push(issue('cri-invalid-sandbox', `Pod sandbox ${bad.message} in the ListPodSandbox reply is invalid and was left out`, where));
  } else {
    issues.push(issue('cri-sandboxes-failed', `CRI ListPodSandbox failed; containers are shown without their pods: ${errorMessage(sandboxes.reason)}`, where));
  }

  let fs: NodeRuntime['imageFs'] = [];
  if (imageFs.status === 'fulfilled') fs = imageFs.value;
  else issues.push(issue('cri-imagefs-failed', `CRI ImageFsInfo failed; image filesystem usage is unknown: ${errorMessage(imageFs.reason)}`, where));

  const imageList = images.value.images;
  if (records.status === 'fulfilled') {
    if (records.value !== undefined) mergeContainerdRecords(imageList, records.value);
  } else {
    const reason = records.reason instanceof CriError ? records.reason.message : errorMessage(records.reason);
    issues.push(issue('cri-image-times-unknown', `containerd's images API failed, so image creation times are unknown (--older-than keeps every image): ${reason}`, where));
  }
  if (!isContainerd) {
    issues.push(issue('cri-image-times-unknown', `${version.runtimeName} has no image time API runwarden reads; image creation times are unknown (--older-than keeps every image)`, where));
  }

  return {
    node: options.node,
    address: client.address,
    runtime: { name: version.runtimeName, version: version.runtimeVersion, apiVersion: version.runtimeApiVersion },
    conditions,
    sandboxImage,
    images: imageList,
    containers: containers.value.containers,
    sandboxes: sandboxList,
    imageFs: fs,
    containersComplete: containers.value.invalid.length === 0,
    containerdContainers,
    readAt: new Date().toISOString(),
    issues,
  };
}

const CONTAINERD_CONTAINERS = 'containerd Containers/List';

/**
 * Every container that uses the node's images: CRI's (Kubernetes pods, any state) and, with
 * `containerd: 'listed'`, the containers in the CRI's containerd namespace that CRI does not manage
 * (nerdctl, ctr). CRI's own records carry the label `io.cri-containerd.kind` (container or sandbox)
 * and are not listed twice. Throws when either list fails: callers decide what that means.
 */
export async function listNodeContainers(client: CriClient, containerd: NodeRuntime['containerdContainers'], signal?: AbortSignal): Promise<{ containers: NodeContainer[]; invalid: InvalidItem[] }> {
  const [cri, other] = await Promise.all([client.listContainers(signal), containerd === 'listed' ? client.containerdContainers(signal) : undefined]);
  if (other === undefined) return cri;
  const known = new Set(cri.containers.map((c) => c.id));
  const extra: NodeContainer[] = other.containers
    .filter((c) => !known.has(c.id) && c.labels['io.cri-containerd.kind'] === undefined)
    .map((c) => ({ id: c.id, name: c.labels['nerdctl/name'] ?? c.id.slice(0, 12), attempt: 0, sandboxId: '', image: c.image, imageRef: '', state: 'unknown', createdAt: c.createdAt, labels: c.labels, origin: 'containerd' }));
  return { containers: [...cri.containers, ...extra], invalid: [...cri.invalid, ...other.invalid.map((i) => ({ ...i, message: `containerd ${i.message}` }))] };
}

/**
 * The runtime calls the cleanup executor makes, reading containers exactly as the plan did: when
 * containerd's own list was part of the plan, the re-check before each removal needs it too (a
 * failure then stops that removal).
 */
export function cleanupRuntime(client: CriClient, view: Pick<NodeRuntime, 'containerdContainers'>): Pick<CriClient, 'imageStatus' | 'removeImage' | 'imageFsInfo' | 'listPodSandbox'> & { listContainers(signal?: AbortSignal): Promise<{ containers: NodeContainer[]; invalid: InvalidItem[] }> } {
  return {
    listContainers: (signal) => listNodeContainers(client, view.containerdContainers, signal),
    imageStatus: (image, signal) => client.imageStatus(image, signal),
    removeImage: (image, signal) => client.removeImage(image, signal),
    imageFsInfo: (signal) => client.imageFsInfo(signal),
    listPodSandbox: (signal) => client.listPodSandbox(signal),
  };
}

/** containerd: Status{verbose}.info.config is its CRI plugin config as JSON, with `sandboxImage`. */
export function sandboxImageFrom(info: Record<string, string>): string | undefined {
  const config = info.config;
  if (config === undefined) return undefined;
  try {
    const parsed = ContainerdCriConfig.safeParse(JSON.parse(config));
    return parsed.success ? parsed.data.sandboxImage : undefined;
  } catch {
    return undefined;
  }
}

/**
 * containerd keeps one record per name of an image (each tag, each repo digest and `sha256:<id>`):
 * the image appeared on the node at its earliest record, and last changed at its latest.
 */
export function mergeContainerdRecords(images: NodeImage[], records: ContainerdImageRecord[]): void {
  const byName = new Map<string, NodeImage>();
  for (const image of images) {
    byName.set(image.id, image);
    for (const name of [...image.repoTags, ...image.repoDigests]) byName.set(name, image);
  }
  for (const record of records) {
    const image = byName.get(record.name);
    if (image === undefined) continue;
    if (record.targetDigest !== undefined && !image.targetDigests.includes(record.targetDigest)) image.targetDigests.push(record.targetDigest);
    if (record.createdAt !== undefined && (image.createdAt === undefined || record.createdAt < image.createdAt)) image.createdAt = record.createdAt;
    if (record.updatedAt !== undefined && (image.updatedAt === undefined || record.updatedAt > image.updatedAt)) image.updatedAt = record.updatedAt;
  }
}

/**
 * Which CRI endpoint to use: `--cri`, else RUNWARDEN_CRI, else crictl's CONTAINER_RUNTIME_ENDPOINT,
 * else the first of the well-known sockets that exists.
 */
export function resolveCriAddress(flag: string | undefined, env: NodeJS.ProcessEnv, candidates: readonly string[] = DEFAULT_CRI_SOCKETS): { address: string; origin: string } {
  if (flag !== undefined) return { address: parseCriAddress(flag, '--cri').address, origin: '--cri' };
  for (const name of ['RUNWARDEN_CRI', 'CONTAINER_RUNTIME_ENDPOINT']) {
    const value = env[name];
    if (value !== undefined && value !== '') return { address: parseCriAddress(value, name).address, origin: name };
  }
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new CriError('missing-socket', `unix://${candidates[0] ?? ''}`, `No CRI socket found: none of ${candidates.join(', ')} exists and neither --cri nor RUNWARDEN_CRI is set.`, {
      hint: 'Pass the runtime socket, e.g. --cri unix:///run/containerd/containerd.sock; in a pod, mount the host socket (deploy/node-agent).',
    });
  }
  return { address: `unix://${found}`, origin: `default socket ${found}` };
}

/** A client for the resolved endpoint. */
export function connectCri(flag: string | undefined, env: NodeJS.ProcessEnv, options: { timeoutMs?: number | undefined; containerdNamespace?: string | undefined } = {}): CriClient {
  const { address, origin } = resolveCriAddress(flag, env);
  return criClient(address, { ...options, origin });
}
