/**
 * The containerd source's gRPC side (images API, content API or blob files); see readme.md. Kept out
 * of index.ts so @grpc/grpc-js is only loaded when a containerd: image is opened.
 */
import { Transform, type Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { z } from 'zod';
import { RegistryError, errorMessage } from '../../../core/errors.js';
import { formatImageReference, tryParseImageReference } from '../../../core/image-ref.js';
import { verified, verifyContent } from '../../../registry/digest.js';
import { isImageManifestMediaType, isIndexMediaType } from '../../../registry/media-types.js';
import type { Descriptor } from '../../../registry/schema.js';
import { folderStore, resolveFromStore, type BlobStore } from '../../store.js';
import type { ImageHandle, OpenImageOptions } from '../../types.js';
import { DEFAULT_CONTAINERD_ADDRESS, DEFAULT_CONTAINERD_NAMESPACE, grpcTarget } from './index.js';
import { CONTAINERD_PROTO } from './proto.js';

const ImageRecord = z.object({
  name: z.string(),
  target: z.object({ media_type: z.string(), digest: z.string(), size: z.union([z.string(), z.number()]) }),
});
const GetReply = z.object({ image: ImageRecord.nullable().optional() });
const ListReply = z.object({ images: z.array(ImageRecord) });
const ReadChunk = z.object({ data: z.instanceof(Buffer) });

type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;
interface ImagesClient extends grpc.Client {
  Get(request: { name: string }, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback<unknown>): grpc.ClientUnaryCall;
  List(request: { filters: string[] }, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback<unknown>): grpc.ClientUnaryCall;
}
interface ContentClient extends grpc.Client {
  Read(request: { digest: string; offset: string; size: string }, metadata: grpc.Metadata, options: grpc.CallOptions): grpc.ClientReadableStream<unknown>;
}

function serviceConstructor(path: string): grpc.ServiceClientConstructor {
  // protobufjs' typings demand fields (`comment`) that JSON descriptors may omit.
  const definition = fromJSON(CONTAINERD_PROTO as Parameters<typeof fromJSON>[0], { keepCase: true, longs: String, enums: String, defaults: true });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const key of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  if (typeof node !== 'function') throw new Error(`gRPC service ${path} missing from the descriptor`);
  return node as grpc.ServiceClientConstructor;
}


function translate(error: grpc.ServiceError, address: string, what: string): RegistryError {
  if (error.code === grpc.status.NOT_FOUND) return new RegistryError('not-found', `containerd at ${address} has no ${what}`, { hint: 'List what it has: ctr -n k8s.io images ls (names are fully qualified, e.g. docker.io/library/nginx:1.27).' });
  if (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED) {
    const denied = /EACCES|permission denied/i.test(error.details);
    return new RegistryError('unreachable', `Cannot reach containerd at ${address}: ${error.details}`, { hint: denied ? 'The socket needs root (or the socket owner group): run as root on the node.' : 'Check --containerd-address (default /run/containerd/containerd.sock) and that containerd runs.', cause: error });
  }
  return new RegistryError('containerd-error', `containerd at ${address} failed ${what}: ${error.details || errorMessage(error)} (gRPC ${error.code})`, { cause: error });
}

function unary<T>(call: (metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback<unknown>) => void, metadata: grpc.Metadata, schema: z.ZodType<T>, address: string, what: string, signal: AbortSignal | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    call(metadata, { deadline: Date.now() + 30_000 }, (error, value) => {
      signal?.removeEventListener('abort', onAbort);
      if (error !== null) {
        reject(translate(error, address, what));
        return;
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) reject(new RegistryError('invalid-reply', `containerd at ${address} answered ${what} with an unexpected message: ${parsed.error.issues[0]?.message ?? ''}`));
      else resolve(parsed.data);
    });
  });
}

/** Open `target` from containerd (the source's `open`; loaded on demand so gRPC is not imported otherwise). */
export async function openContainerdImage(target: string, options: OpenImageOptions): Promise<ImageHandle> {
  const address = options.containerd?.address ?? DEFAULT_CONTAINERD_ADDRESS;
  const namespace = options.containerd?.namespace ?? DEFAULT_CONTAINERD_NAMESPACE;
  const root = options.containerd?.root;
  const metadata = new grpc.Metadata();
  metadata.set('containerd-namespace', namespace);
  const channel = grpcTarget(address);
  const images = new (serviceConstructor('containerd.services.images.v1.Images'))(channel, grpc.credentials.createInsecure()) as unknown as ImagesClient;
  const content = root === undefined ? (new (serviceConstructor('containerd.services.content.v1.Content'))(channel, grpc.credentials.createInsecure()) as unknown as ContentClient) : undefined;
  const close = (): Promise<void> => {
    images.close();
    content?.close();
    return Promise.resolve();
  };
  try {
    const label = `containerd ${address} (namespace ${namespace})`;
    const store: BlobStore = root !== undefined ? folderStore(`${root}/io.containerd.content.v1.content`, label) : contentApiStore(content, metadata, address, label);
    const record = await findImage(target, images, metadata, address, store, options.signal);
    const root0: Descriptor = { mediaType: record.target.media_type, digest: record.target.digest, size: Number(record.target.size) };
    const image = await resolveFromStore(store, root0, { platform: options.platform, signal: options.signal, what: `containerd image ${record.name}` });
    const ref = tryParseImageReference(record.name);
    return {
      source: 'containerd',
      input: `containerd:${target}`,
      name: ref === undefined ? record.name : formatImageReference(ref),
      digest: image.digest,
      mediaType: image.mediaType,
      manifest: image.manifest,
      config: image.config,
      configDigest: image.configDigest,
      platform: image.platform,
      index: image.index,
      layers: image.layers,
      openLayer: (layer, o = {}) => store.open({ digest: layer.digest, size: layer.size }, o.signal ?? options.signal),
      referrers: () => Promise.resolve({ supported: false, via: undefined, manifests: [] }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** By name (as given, then normalised), or by digest: an image's target digest or its config digest (the image ID). */
async function findImage(target: string, images: ImagesClient, metadata: grpc.Metadata, address: string, store: BlobStore, signal: AbortSignal | undefined): Promise<z.infer<typeof ImageRecord>> {
  if (/^sha256:[a-f0-9]{64}$/.test(target)) {
    const list = await unary((m, o, cb) => images.List({ filters: [] }, m, o, cb), metadata, ListReply, address, 'image list', signal);
    const byTarget = list.images.find((i) => i.target.digest === target);
    if (byTarget !== undefined) return byTarget;
    for (const i of list.images) {
      if (await configDigestsOf(store, i.target, signal).then((ds) => ds.includes(target), () => false)) return i;
    }
    throw new RegistryError('not-found', `containerd at ${address} has no image with manifest or config digest ${target}`, { hint: 'List what it has: ctr -n k8s.io images ls.' });
  }
  const names = [target];
  const ref = tryParseImageReference(target);
  if (ref !== undefined) names.push(formatImageReference(ref));
  let lastError: unknown;
  for (const name of [...new Set(names)]) {
    try {
      const reply = await unary((m, o, cb) => images.Get({ name }, m, o, cb), metadata, GetReply, address, `image "${name}"`, signal);
      if (reply.image !== undefined && reply.image !== null) return reply.image;
    } catch (error) {
      if (!(error instanceof RegistryError && error.code === 'not-found')) throw error;
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new RegistryError('not-found', `containerd at ${address} has no image "${target}"`);
}

async function configDigestsOf(store: BlobStore, target: { media_type: string; digest: string; size: string | number }, signal: AbortSignal | undefined): Promise<string[]> {
  const bytes = await store.read({ digest: target.digest, size: Number(target.size) }, 4 * 1024 * 1024, signal);
  const json = JSON.parse(bytes.toString('utf8')) as { config?: { digest?: unknown }; manifests?: Array<{ digest?: unknown; mediaType?: unknown; size?: unknown }> };
  if (isImageManifestMediaType(target.media_type) || json.config !== undefined) return typeof json.config?.digest === 'string' ? [json.config.digest] : [];
  if (!isIndexMediaType(target.media_type) && json.manifests === undefined) return [];
  const out: string[] = [];
  for (const m of json.manifests ?? []) {
    if (typeof m.digest !== 'string' || typeof m.mediaType !== 'string') continue;
    out.push(...(await configDigestsOf(store, { media_type: m.mediaType, digest: m.digest, size: Number(m.size ?? 0) }, signal).catch(() => [])));
  }
  return out;
}

function contentApiStore(client: ContentClient | undefined, metadata: grpc.Metadata, address: string, label: string): BlobStore {
  const open = (digest: string, signal: AbortSignal | undefined): Readable => {
    if (client === undefined) throw new Error('content client missing');
    const call = client.Read({ digest, offset: '0', size: '0' }, metadata, {});
    const onAbort = (): void => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    const data = new Transform({
      readableHighWaterMark: 1024 * 1024,
      writableObjectMode: true,
      transform(message: unknown, _encoding, callback) {
        const parsed = ReadChunk.safeParse(message);
        callback(parsed.success ? null : new RegistryError('invalid-reply', `containerd at ${address} sent an unexpected content chunk for ${digest}`), parsed.success ? parsed.data.data : undefined);
      },
    });
    let ended = false;
    call.on('error', (error: grpc.ServiceError) => data.destroy(translate(error, address, `blob ${digest}`)));
    call.on('end', () => {
      ended = true;
      signal?.removeEventListener('abort', onAbort);
    });
    // A consumer that stops early (a rejected layer) must not leave the stream running on the daemon.
    data.once('close', () => {
      if (!ended) call.cancel();
      signal?.removeEventListener('abort', onAbort);
    });
    return call.pipe(data);
  };
  return {
    label,
    async read(d, maxBytes, signal) {
      if (d.size !== undefined && d.size > maxBytes) throw new RegistryError('too-large', `Blob ${d.digest} in ${label} is ${d.size} bytes, more than the ${maxBytes} accepted`);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of open(d.digest, signal)) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) throw new RegistryError('too-large', `Blob ${d.digest} in ${label} is more than ${maxBytes} bytes`);
        chunks.push(chunk as Buffer);
      }
      const bytes = Buffer.concat(chunks);
      verifyContent(bytes, d, `blob ${d.digest} in ${label}`);
      return bytes;
    },
    open(d, signal) {
      return Promise.resolve(verified(open(d.digest, signal), d, `blob ${d.digest} in ${label}`));
    },
  };
}
