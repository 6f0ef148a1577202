/**
 * `docker-archive:<file>[:<name:tag>|:@<n>]` — a `docker save` tar: `manifest.json` lists each
 * image's config and layer files (legacy `<id>/layer.tar` or, since Docker 25, `blobs/sha256/…`).
 * A docker-archive stores no manifest, so the image digest is unknown unless the archive also
 * carries an OCI index (Docker 25+); the image ID is the config digest. Legacy layer files are
 * uncompressed tars: their digest is the config's diff ID, verified while they stream.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { InputError, errorMessage } from '../../../core/errors.js';
import { formatImageReference, tryParseImageReference } from '../../../core/image-ref.js';
import { parseConfig, parseManifest } from '../../../registry/client.js';
import { digestOf, verified } from '../../../registry/digest.js';
import { MEDIA, isImageManifestMediaType } from '../../../registry/media-types.js';
import { ImageIndex, type ImageManifest } from '../../../registry/schema.js';
import { TarArchive } from '../../archive.js';
import { normalizeTarPath } from '../../layers/path.js';
import { archiveStore } from '../../store.js';
import { splitPathRef } from '../../target.js';
import type { ImageSource, LayerRef } from '../../types.js';

const ArchiveManifest = z.array(z.object({ Config: z.string().min(1), RepoTags: z.array(z.string()).nullable().optional(), Layers: z.array(z.string()) })).min(1);
type ArchiveEntry = z.infer<typeof ArchiveManifest>[number];

const MAX_JSON = 8 * 1024 * 1024;

function normalizeName(name: string): string {
  const ref = tryParseImageReference(name);
  return ref === undefined ? name : formatImageReference(ref);
}

function pick(entries: ArchiveEntry[], ref: string | undefined, file: string): ArchiveEntry {
  const tags = entries.flatMap((e) => e.RepoTags ?? []);
  if (ref === undefined) {
    if (entries.length === 1 && entries[0] !== undefined) return entries[0];
    throw new InputError(file, `docker archive "${file}" holds ${entries.length} images; say which one`, { hint: tags.length > 0 ? `Use docker-archive:${file}:${tags[0] ?? ''} (or :@0 … :@${entries.length - 1}).` : `Use docker-archive:${file}:@0 … :@${entries.length - 1}.` });
  }
  const at = /^@(\d+)$/.exec(ref);
  if (at !== null) {
    const e = entries[Number(at[1])];
    if (e === undefined) throw new InputError(file, `docker archive "${file}" has no image @${at[1]}: it holds ${entries.length}`, { hint: `Use :@0 … :@${entries.length - 1}.` });
    return e;
  }
  const want = normalizeName(ref);
  const found = entries.find((e) => (e.RepoTags ?? []).some((t) => t === ref || normalizeName(t) === want));
  if (found === undefined) throw new InputError(file, `docker archive "${file}" has no image "${ref}"${tags.length === 0 ? '' : `; it has ${tags.join(', ')}`}`, { hint: 'Use one of the listed names, or :@<n>.' });
  return found;
}

export const dockerArchive: ImageSource = {
  id: 'docker-archive',
  prefixes: ['docker-archive:'],
  syntax: 'docker-archive:<file>[:<name:tag>|:@<n>]',
  description: 'a "docker save" tar (legacy or Docker 25+ layout)',
  async open(target, options) {
    const { path, ref } = await splitPathRefDockerArchive(target);
    const archive = await TarArchive.open(path, 'docker archive');
    const label = `docker archive ${path}`;
    if (!archive.has('manifest.json')) throw new InputError(path, `${label} has no manifest.json: not a "docker save" archive`, { hint: 'For an OCI layout tar use oci-archive: instead.' });
    let entries: ArchiveEntry[];
    try {
      entries = ArchiveManifest.parse(JSON.parse((await archive.read('manifest.json', MAX_JSON)).toString('utf8')));
    } catch (error) {
      throw new InputError(path, `manifest.json of ${label} is invalid: ${errorMessage(error).split('\n')[0] ?? ''}`, { hint: 'Expected [{"Config": "…", "RepoTags": […], "Layers": […]}]: export the image again.' });
    }
    const entry = pick(entries, ref, path);
    if (!archive.has(entry.Config)) throw new InputError(path, `${label} lacks the config "${entry.Config}" its manifest.json names`);
    const configBytes = await archive.read(entry.Config, MAX_JSON);
    const config = parseConfig(configBytes, `config ${entry.Config} of ${label}`);
    const configDigest = digestOf(configBytes);
    const named = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(normalizeTarPath(entry.Config).path);
    if (named !== null && `sha256:${named[1] ?? ''}` !== configDigest) throw new InputError(path, `config ${entry.Config} of ${label} does not match its digest (${configDigest}); the archive is corrupt or tampered with`);
    if (entry.Layers.length !== config.rootfs.diff_ids.length) {
      throw new InputError(path, `${label}: manifest.json lists ${entry.Layers.length} layers but the config has ${config.rootfs.diff_ids.length} diff IDs`, { hint: 'The archive is inconsistent: export the image again.' });
    }
    const layers: LayerRef[] = [];
    for (const [index, name] of entry.Layers.entries()) {
      const member = archive.member(name);
      if (member === undefined) throw new InputError(path, `${label} lacks layer "${name}" its manifest.json names`);
      const diffId = config.rootfs.diff_ids[index];
      const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(normalizeTarPath(name).path);
      const head = await archive.head(name, 2);
      const gzip = head[0] === 0x1f && head[1] === 0x8b;
      let digest: string;
      if (blob !== null) digest = `sha256:${blob[1] ?? ''}`;
      else if (!gzip && diffId !== undefined) digest = diffId;
      else digest = await hashMember(archive, name);
      layers.push({ index, digest, size: member.size, mediaType: gzip ? MEDIA.dockerLayerGzip : MEDIA.dockerLayerTar, diffId });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, digest: configDigest, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    };
    const store = archiveStore(archive, label);
    const digest = await ociDigestOf(archive, store, configDigest);
    const tag = entry.RepoTags?.[0];
    return {
      source: 'docker-archive',
      input: `docker-archive:${target}`,
      name: tag === undefined ? undefined : normalizeName(tag),
      digest,
      mediaType: MEDIA.dockerManifest,
      manifest,
      config,
      configDigest,
      platform: config.variant === undefined ? { os: config.os ?? 'linux', architecture: config.architecture ?? 'amd64' } : { os: config.os ?? 'linux', architecture: config.architecture ?? 'amd64', variant: config.variant },
      index: undefined,
      layers,
      openLayer: (layer, o = {}) => {
        const file = entry.Layers[layer.index];
        if (file === undefined) return Promise.reject(new RangeError(`No layer ${layer.index}`));
        return Promise.resolve(verified(archive.stream(file, o.signal ?? options.signal), { digest: layer.digest, size: layer.size }, `layer ${file} of ${label}`));
      },
      referrers: () => Promise.resolve({ supported: false, via: undefined, manifests: [] }),
      close: () => Promise.resolve(),
    };
  },
};

/** `docker-archive:<file>:<name:tag>` — the name has a colon too, so split after the file. */
async function splitPathRefDockerArchive(target: string): Promise<{ path: string; ref: string | undefined }> {
  const isFile = async (p: string): Promise<boolean> => (await stat(p).catch(() => undefined))?.isFile() === true;
  if (await isFile(target)) return { path: target, ref: undefined };
  for (let i = target.indexOf(':'); i > 0; i = target.indexOf(':', i + 1)) {
    if (await isFile(target.slice(0, i))) return { path: target.slice(0, i), ref: target.slice(i + 1) || undefined };
  }
  return splitPathRef(target, 'docker-archive', 'file');
}

async function hashMember(archive: TarArchive, name: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of archive.stream(name)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Docker 25+ archives also hold an OCI index: the manifest whose config is ours gives the digest. */
async function ociDigestOf(archive: TarArchive, store: ReturnType<typeof archiveStore>, configDigest: string): Promise<string | undefined> {
  if (!archive.has('index.json')) return undefined;
  try {
    const index = ImageIndex.parse(JSON.parse((await archive.read('index.json', MAX_JSON)).toString('utf8')));
    for (const d of index.manifests) {
      if (!isImageManifestMediaType(d.mediaType)) continue;
      const got = parseManifest(await store.read(d, 4 * 1024 * 1024), d.digest, d.mediaType, `manifest ${d.digest}`, store.label);
      if (got.kind === 'manifest' && got.manifest.config.digest === configDigest) return d.digest;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
