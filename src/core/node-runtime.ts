/**
 * A node's own view of what it caches and runs, read from its container runtime over CRI
 * (PRODUCT.md C1, node part). The Kubernetes API shows at most 50 images per node and nothing about
 * exited containers; the runtime shows all of them. Pure types and helpers, no I/O: the CRI adapter
 * (`inventory/sources/cri`) fills these, `cleanup/` and the `node` command read them.
 */
import { formatImageReference, tryParseImageReference } from './image-ref.js';
import type { Issue } from './issue.js';

export interface NodeRuntimeInfo {
  /** `containerd`, `cri-o`, … (CRI VersionResponse.runtime_name). */
  name: string;
  version: string;
  /** CRI API version the runtime implements (`v1`). */
  apiVersion: string;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface NodeImage {
  /** Runtime image ID: the config digest (`sha256:…`; CRI-O reports bare hex). */
  id: string;
  /** Every `repo:tag` name of the image, as the runtime reports them. */
  repoTags: string[];
  /** Every `repo@sha256:…` name (manifest digests from a registry; empty for imported images). */
  repoDigests: string[];
  /** The runtime's size in bytes (containerd: manifest + config + compressed layers). */
  sizeBytes: number;
  /** The runtime asks that the image is never garbage-collected (CRI Image.pinned). */
  pinned: boolean;
  /**
   * The manifest or index digests the image's names point to (containerd image records); these are
   * what `ctr images ls` shows as DIGEST. Empty when the runtime has no such API.
   */
  targetDigests: string[];
  /** When the image first appeared on this node (earliest containerd record); undefined when unknown. */
  createdAt: string | undefined;
  /** Last change of any of its records (a re-pull or re-tag); undefined when unknown. */
  updatedAt: string | undefined;
}

export type NodeContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface NodeContainer {
  id: string;
  name: string;
  attempt: number;
  sandboxId: string;
  /** The image as the container was created with (a name or an ID). */
  image: string;
  /** The image the container runs; for containerd and CRI-O the image ID. */
  imageRef: string;
  state: NodeContainerState;
  createdAt: string | undefined;
  labels: Record<string, string>;
  /**
   * `cri`: a Kubernetes container (CRI ListContainers). `containerd`: a container in the CRI's
   * containerd namespace that CRI does not manage (nerdctl, ctr); its state is unknown, its image is
   * in use all the same.
   */
  origin: 'cri' | 'containerd';
}

export interface NodeSandbox {
  id: string;
  /** The pod this sandbox belongs to. */
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  state: 'ready' | 'notready';
  createdAt: string | undefined;
  runtimeHandler: string;
}

export interface ImageFsUsage {
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
  /** When the runtime collected the figures (containerd refreshes them every 10 s). */
  collectedAt: string;
  /** Nanoseconds since the epoch, exactly as the runtime reported them (for ordering). */
  timestampNs: string;
  /** False when the runtime has not collected any figures yet (containerd right after start reports 0 bytes, 0 inodes). */
  collected: boolean;
}

export interface NodeRuntime {
  /** Node name (the DaemonSet's NODE_NAME, `--node`, or the host name). */
  node: string;
  /** The CRI endpoint, `unix:///run/containerd/containerd.sock`. */
  address: string;
  runtime: NodeRuntimeInfo;
  conditions: RuntimeCondition[];
  /** The pod sandbox ("pause") image from the runtime's config; undefined when the runtime does not say. */
  sandboxImage: string | undefined;
  images: NodeImage[];
  containers: NodeContainer[];
  sandboxes: NodeSandbox[];
  imageFs: ImageFsUsage[];
  /**
   * False when some containers could not be read (an invalid reply item): image use is then unknown,
   * and cleanup must not remove anything.
   */
  containersComplete: boolean;
  /**
   * containerd's own container list (containers CRI does not manage): `listed` and merged into
   * `containers`, `failed` (an issue says so), or `not-containerd`.
   */
  containerdContainers: 'listed' | 'failed' | 'not-containerd';
  readAt: string;
  issues: Issue[];
}

/** `sha256:<hex>` for an ID with or without the algorithm prefix (CRI-O reports bare hex). */
export function normaliseImageId(id: string): string {
  return /^[a-f0-9]{64}$/.test(id) ? `sha256:${id}` : id;
}

/** A short, human form of an image ID: the first 12 hex characters. */
export function shortImageId(id: string): string {
  const hex = id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
  return hex.slice(0, 12);
}

/** A name to show for an image: its first tag, else its first repo digest, else its short ID. */
export function imageDisplayName(image: Pick<NodeImage, 'id' | 'repoTags' | 'repoDigests'>): string {
  return image.repoTags[0] ?? image.repoDigests[0] ?? shortImageId(image.id);
}

/** Parsed spellings by name: a node's 1,500 images are matched several times per plan (index, sandbox, exclusions). */
const FORMS = new Map<string, readonly string[]>();
const FORMS_MAX = 20_000;

/** Every spelling of a name worth matching: as written, fully normalised, and `:latest` when implied. */
export function nameForms(name: string): readonly string[] {
  let forms = FORMS.get(name);
  if (forms === undefined) {
    forms = computeNameForms(name);
    if (FORMS.size >= FORMS_MAX) FORMS.clear();
    FORMS.set(name, forms);
  }
  return forms;
}

function computeNameForms(name: string): string[] {
  const forms = [name];
  const ref = tryParseImageReference(name);
  if (ref !== undefined) {
    forms.push(formatImageReference(ref));
    if (ref.tag === undefined && ref.digest === undefined) forms.push(formatImageReference({ ...ref, tag: 'latest' }));
    // Docker Hub's familiar form: `nginx:1.27` for `docker.io/library/nginx:1.27`.
    if (ref.registry === 'docker.io') {
      const path = ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
      forms.push(`${path}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`);
    }
  }
  return [...new Set(forms)];
}

/**
 * Resolves container image references to cached images. A container "uses" every image that its
 * `image_ref` (the image it runs) or its `image` (what it was created from, often a tag that may
 * since point elsewhere) names: both are protected, because the kubelet recreates a container from
 * its spec name. Names are compared in every form (as written, normalised, `:latest` implied), IDs
 * with or without `sha256:`, and short ID prefixes of 12+ hex characters.
 */
export interface ImageIndex {
  /** The cached images a reference (name, ID, digest or short ID) names; empty when none. */
  resolve(reference: string): NodeImage[];
  /** The images a container uses (by what it runs and by what it was created from). */
  imagesOf(container: Pick<NodeContainer, 'image' | 'imageRef'>): NodeImage[];
}

export function imageIndex(images: NodeImage[]): ImageIndex {
  const byKey = new Map<string, NodeImage[]>();
  for (const image of images) {
    const keys = new Set<string>([image.id, normaliseImageId(image.id), ...image.targetDigests]);
    for (const name of [...image.repoTags, ...image.repoDigests]) {
      for (const form of nameForms(name)) keys.add(form);
      const at = name.lastIndexOf('@');
      if (at !== -1) keys.add(name.slice(at + 1));
    }
    for (const key of keys) {
      const list = byKey.get(key) ?? [];
      if (!list.includes(image)) list.push(image);
      byKey.set(key, list);
    }
  }
  function resolve(reference: string): NodeImage[] {
    const value = reference.trim();
    if (value === '') return [];
    for (const form of [value, normaliseImageId(value), ...nameForms(value)]) {
      const hit = byKey.get(form);
      if (hit !== undefined) return hit;
    }
    const prefix = /^(?:sha256:)?([a-f0-9]{12,63})$/.exec(value)?.[1];
    if (prefix !== undefined) return images.filter((i) => normaliseImageId(i.id).startsWith(`sha256:${prefix}`));
    return [];
  }
  return {
    resolve,
    imagesOf: (container) => [...new Set([...resolve(container.imageRef), ...resolve(container.image)])],
  };
}

export interface ImageUse {
  container: NodeContainer;
  sandbox: NodeSandbox | undefined;
}

/** For each image ID, the containers (any state) that use it; plus containers whose image is no longer cached. */
export function imageUsage(images: NodeImage[], containers: NodeContainer[], sandboxes: NodeSandbox[]): { byImage: Map<string, ImageUse[]>; uncached: NodeContainer[] } {
  const index = imageIndex(images);
  const sandboxById = new Map(sandboxes.map((s) => [s.id, s]));
  const byImage = new Map<string, ImageUse[]>();
  const uncached: NodeContainer[] = [];
  for (const container of containers) {
    const used = index.imagesOf(container);
    if (used.length === 0) uncached.push(container);
    for (const image of used) {
      const list = byImage.get(image.id) ?? [];
      list.push({ container, sandbox: sandboxById.get(container.sandboxId) });
      byImage.set(image.id, list);
    }
  }
  return { byImage, uncached };
}

/** `namespace/pod/container` for a container; its name and short ID when its pod is unknown. */
export function containerLabel(use: ImageUse): string {
  const name = use.container.name === '' ? use.container.id.slice(0, 12) : use.container.name;
  if (use.container.origin === 'containerd') return `${name} (containerd, not a pod)`;
  return use.sandbox === undefined ? `${name} (${use.container.id.slice(0, 12)})` : `${use.sandbox.namespace}/${use.sandbox.name}/${name}`;
}
