/**
 * OCI image layouts (image-spec image-layout.md), in a folder or inside a tar: `oci-layout`,
 * `index.json` and `blobs/<alg>/<hex>`. Picks the image by `org.opencontainers.image.ref.name`
 * (or containerd's `io.containerd.image.name`, or a digest), resolves it through the blob store,
 * and finds referrers the way a layout stores them: manifests whose `subject` is the image, and the
 * `sha256-<hex>` tag-schema index.
 */
import { z } from 'zod';
import { InputError, errorMessage } from '../core/errors.js';
import { parseManifest } from '../registry/client.js';
import { isImageManifestMediaType, isIndexMediaType } from '../registry/media-types.js';
import { ImageIndex, type Descriptor } from '../registry/schema.js';
import { resolveFromStore, type BlobStore } from './store.js';
import type { ImageHandle, ImageSourceId, OpenImageOptions, ReferrersResult } from './types.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';
const LayoutMarker = z.object({ imageLayoutVersion: z.string() });

export interface LayoutAccess {
  source: ImageSourceId;
  input: string;
  /** `OCI layout /images/app` — for messages. */
  label: string;
  /** Path for InputError. */
  file: string;
  ref: string | undefined;
  readFile(name: string, maxBytes: number): Promise<Buffer | undefined>;
  /**
   * Which version of the layout's index.json this is (a folder: its inode, size and modification time), or
   * undefined. With a version, what is read from index.json is parsed once and kept (LayoutCatalog) for every
   * image opened from the same version: a scan opens image after image from one layout of thousands.
   */
  version?(): Promise<string | undefined>;
  store: BlobStore;
  close(): Promise<void>;
}

/**
 * What openLayout and referrers read of a layout's index.json, worked out once per version of it: the images, by
 * every name they are opened by, the tag-schema indexes, and (read on first need) the referrers of every subject.
 * Opening each of N images of one layout used to parse the whole index.json and read every manifest of the layout
 * to find the image's referrers: N² reads for N images (2,244 images of one layout took minutes, bench/scan-images).
 */
interface LayoutCatalog {
  index: ImageIndex;
  images: Descriptor[];
  /** The first image with this `org.opencontainers.image.ref.name`, `io.containerd.image.name` or digest. */
  byRef: Map<string, Descriptor>;
  /** Descriptors named `sha256-<hex>` (tag-schema referrer indexes), the first of each name. */
  byName: Map<string, Descriptor>;
  /** Subject digest → the manifests of the layout whose `subject` it is, with their index position; and the signal it was read under. */
  referrers: { map: Promise<Map<string, Array<{ at: number; digest: string; descriptor: Descriptor }>>>; signal: AbortSignal | undefined } | undefined;
}

/** Layout versions kept (least recently used dropped): only bounds memory. */
const CATALOGS_KEPT = 16;
const catalogs = new Map<string, LayoutCatalog>();

function catalogOf(index: ImageIndex): LayoutCatalog {
  const images = index.manifests.filter((m) => (isImageManifestMediaType(m.mediaType) || isIndexMediaType(m.mediaType)) && !/^sha(256|512)-/.test(m.annotations?.[REF_NAME] ?? ''));
  const byRef = new Map<string, Descriptor>();
  for (const m of images) {
    for (const key of [m.annotations?.[REF_NAME], m.annotations?.[CONTAINERD_NAME], m.digest]) if (key !== undefined && !byRef.has(key)) byRef.set(key, m);
  }
  const byName = new Map<string, Descriptor>();
  for (const m of index.manifests) {
    const name = m.annotations?.[REF_NAME];
    if (name !== undefined && !byName.has(name)) byName.set(name, m);
  }
  return { index, images, byRef, byName, referrers: undefined };
}

/** Every image manifest of the layout read once: which of them refer to which subject. */
async function referrerMap(catalog: LayoutCatalog, access: LayoutAccess, signal: AbortSignal | undefined): Promise<Map<string, Array<{ at: number; digest: string; descriptor: Descriptor }>>> {
  const out = new Map<string, Array<{ at: number; digest: string; descriptor: Descriptor }>>();
  for (const [at, m] of catalog.index.manifests.entries()) {
    if (!isImageManifestMediaType(m.mediaType)) continue;
    const bytes = await access.store.read(m, 4 * 1024 * 1024, signal).catch(() => undefined);
    // a read cut short is no answer about the layout: nothing of it is kept (referrersOf)
    signal?.throwIfAborted();
    if (bytes === undefined) continue;
    try {
      const got = parseManifest(bytes, m.digest, m.mediaType, `manifest ${m.digest}`, access.label);
      if (got.kind !== 'manifest' || got.manifest.subject === undefined) continue;
      const descriptor: Descriptor = { mediaType: got.mediaType, digest: m.digest, size: m.size, artifactType: got.manifest.artifactType ?? got.manifest.config.mediaType };
      const annotations = got.manifest.annotations ?? m.annotations;
      if (annotations !== undefined) descriptor.annotations = annotations;
      const list = out.get(got.manifest.subject.digest);
      if (list === undefined) out.set(got.manifest.subject.digest, [{ at, digest: m.digest, descriptor }]);
      else list.push({ at, digest: m.digest, descriptor });
    } catch {
      // not a manifest we can read: not a referrer
    }
  }
  return out;
}

/**
 * The layout's referrer map, read once and shared. A read interrupted by another caller's signal is not kept, and
 * a caller whose own signal is still live reads again.
 */
async function referrersOf(catalog: LayoutCatalog, access: LayoutAccess, signal: AbortSignal | undefined): Promise<Map<string, Array<{ at: number; digest: string; descriptor: Descriptor }>>> {
  for (;;) {
    const pending = (catalog.referrers ??= { map: referrerMap(catalog, access, signal), signal });
    try {
      return await pending.map;
    } catch (error) {
      if (catalog.referrers === pending) catalog.referrers = undefined;
      // only another caller's interruption is retried
      if (pending.signal === signal || pending.signal?.aborted !== true || signal?.aborted === true) throw error;
    }
  }
}

/** The catalog of the layout's index.json: kept by version when the access has one, else parsed for this open only. */
async function layoutCatalog(access: LayoutAccess): Promise<LayoutCatalog> {
  const version = await access.version?.();
  const key = version === undefined ? undefined : `${access.file}\0${version}`;
  const kept = key === undefined ? undefined : catalogs.get(key);
  if (kept !== undefined && key !== undefined) {
    // most recently used last
    catalogs.delete(key);
    catalogs.set(key, kept);
    return kept;
  }
  const indexBytes = await access.readFile('index.json', 4 * 1024 * 1024);
  if (indexBytes === undefined) throw new InputError(access.file, `${access.label} has no index.json`, { hint: 'The layout is incomplete: recreate it.' });
  const catalog = catalogOf(parseJson(indexBytes, ImageIndex, access.file, `index.json of ${access.label}`));
  if (key !== undefined) {
    catalogs.set(key, catalog);
    if (catalogs.size > CATALOGS_KEPT) catalogs.delete(catalogs.keys().next().value as string);
  }
  return catalog;
}

function parseJson<T>(bytes: Buffer, schema: z.ZodType<T>, file: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new InputError(file, `${what} is not JSON: ${errorMessage(error)}`, { hint: 'The layout is corrupt: recreate it (e.g. with skopeo copy).' });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InputError(file, `${what} is invalid at ${first?.path.map(String).join('.') || '(root)'}: ${first?.message ?? 'unexpected shape'}`, { hint: 'The layout is corrupt: recreate it (e.g. with skopeo copy).' });
  }
  return parsed.data;
}

function refsOf(manifests: readonly Descriptor[]): string[] {
  return manifests.map((m) => m.annotations?.[REF_NAME] ?? m.annotations?.[CONTAINERD_NAME]).filter((r): r is string => r !== undefined && !/^sha(256|512)-/.test(r));
}

/** Several platform-specific manifests under one name (or none): index.json is itself the index. */
function isMultiPlatform(images: readonly Descriptor[]): boolean {
  const platformed = images.filter((m) => m.platform !== undefined);
  const names = new Set(platformed.map((m) => m.annotations?.[REF_NAME] ?? m.annotations?.[CONTAINERD_NAME] ?? ''));
  return platformed.length >= 2 && names.size === 1;
}

export async function openLayout(access: LayoutAccess, options: OpenImageOptions): Promise<ImageHandle> {
  const marker = await access.readFile('oci-layout', 64 * 1024);
  if (marker === undefined) {
    throw new InputError(access.file, `${access.label} is not an OCI image layout: it has no "oci-layout" file`, { hint: 'Give a folder (oci:) or tar (oci-archive:) written by skopeo, buildah, or "docker save" 25+.' });
  }
  parseJson(marker, LayoutMarker, access.file, `"oci-layout" of ${access.label}`);
  const catalog = await layoutCatalog(access);
  const { index, images } = catalog;

  let root: Descriptor;
  if (access.ref !== undefined) {
    const ref = access.ref;
    const found = catalog.byRef.get(ref);
    if (found === undefined) {
      const refs = refsOf(images);
      throw new InputError(access.file, `${access.label} has no image "${ref}"${refs.length === 0 ? '' : `; it has ${refs.map((r) => `"${r}"`).join(', ')}`}`, { hint: refs.length === 0 ? 'Omit the reference: the layout names none.' : `Use ${access.source === 'oci-layout' ? 'oci' : access.source}:<path>:${refs[0] ?? ''}` });
    }
    root = found;
  } else if (images.length === 1 && images[0] !== undefined) {
    root = images[0];
  } else if (isMultiPlatform(images)) {
    // A multi-platform layout: index.json itself is the index to choose from.
    return finish(access, options, catalog, { kind: 'inline', index });
  } else {
    const refs = refsOf(images);
    throw new InputError(access.file, images.length === 0 ? `${access.label} holds no image` : `${access.label} holds ${images.length} images; say which one`, {
      hint: refs.length === 0 ? 'Pick one by digest: <path>:sha256:<hex>.' : `Add the reference: ${access.source === 'oci-layout' ? 'oci' : access.source}:<path>:${refs[0] ?? ''} (it has ${refs.join(', ')})`,
    });
  }
  return finish(access, options, catalog, { kind: 'descriptor', root, index });
}

async function finish(access: LayoutAccess, options: OpenImageOptions, catalog: LayoutCatalog, pick: { kind: 'descriptor'; root: Descriptor; index: ImageIndex } | { kind: 'inline'; index: ImageIndex }): Promise<ImageHandle> {
  const what = `${access.label}${access.ref === undefined ? '' : `:${access.ref}`}`;
  let resolved;
  if (pick.kind === 'descriptor') {
    resolved = await resolveFromStore(access.store, pick.root, { platform: options.platform, signal: options.signal, what });
  } else {
    // Resolve through a store view whose "root" is the in-memory index.json.
    const inline = Buffer.from(JSON.stringify(pick.index));
    const fake = 'sha256:'.padEnd(71, '0');
    const store: BlobStore = {
      label: access.store.label,
      read: (d, max, signal) => (d.digest === fake ? Promise.resolve(inline) : access.store.read(d, max, signal)),
      open: (d, signal) => access.store.open(d, signal),
    };
    resolved = await resolveFromStore(store, { mediaType: 'application/vnd.oci.image.index.v1+json', digest: fake, size: inline.length }, { platform: options.platform, signal: options.signal, what });
    if (resolved.index !== undefined) resolved.index = { ...resolved.index, digest: undefined };
  }
  const rootDescriptor = pick.kind === 'descriptor' ? pick.root : undefined;
  const name = rootDescriptor?.annotations?.[CONTAINERD_NAME] ?? rootDescriptor?.annotations?.[REF_NAME];
  const image = resolved;
  return {
    source: access.source,
    input: access.input,
    name,
    digest: image.digest,
    mediaType: image.mediaType,
    manifest: image.manifest,
    config: image.config,
    configDigest: image.configDigest,
    platform: image.platform,
    index: image.index,
    layers: image.layers,
    openLayer: (layer, o = {}) => access.store.open({ digest: layer.digest, size: layer.size }, o.signal ?? options.signal),
    referrers: async (o = {}): Promise<ReferrersResult> => {
      const subjects = new Set([image.digest, image.index?.digest].filter((d): d is string => d !== undefined));
      const map = await referrersOf(catalog, access, o.signal);
      const hits = [...subjects].flatMap((subject) => map.get(subject) ?? []).filter((r) => !subjects.has(r.digest));
      hits.sort((a, b) => a.at - b.at);
      const found: Descriptor[] = [];
      for (const r of hits) if (!found.some((f) => f.digest === r.digest)) found.push(r.descriptor);
      // The tag-schema fallback stored in the layout: an index named sha256-<hex>.
      for (const subject of subjects) {
        const tagged = catalog.byName.get(subject.replace(':', '-'));
        if (tagged === undefined) continue;
        const bytes = await access.store.read(tagged, 4 * 1024 * 1024, o.signal).catch(() => undefined);
        let parsed;
        try {
          parsed = bytes === undefined ? undefined : ImageIndex.safeParse(JSON.parse(bytes.toString('utf8')));
        } catch {
          // not JSON: no referrers from it
        }
        if (parsed?.success === true) for (const d of parsed.data.manifests) if (!found.some((f) => f.digest === d.digest)) found.push(d);
      }
      const want = o.artifactType;
      return { supported: true, via: 'layout', manifests: want === undefined ? found : found.filter((d) => d.artifactType === want) };
    },
    close: () => access.close(),
  };
}
