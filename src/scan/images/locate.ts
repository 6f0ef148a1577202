/**
 * Where the image behind a running digest is read from. A pod's `imageID` names the digest that runs
 * (`repo@sha256:…`: the manifest or index digest the node pulled; a bare `sha256:…`: a local image
 * ID, i.e. the config digest). Locators are tried in order — a directory of OCI layouts (offline,
 * demo), the node's containerd (node agent: no credentials), the registry — and the first that has
 * the image wins. A locator that does not have it throws; its message goes into the issue.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorMessage } from '../../core/errors.js';
import { issue, type Issue } from '../../core/issue.js';
import { containerdSource } from '../../image/sources/containerd/index.js';
import { ociLayout } from '../../image/sources/oci-layout/index.js';
import { readCapped, folderStore } from '../../image/store.js';
import type { ImageHandle } from '../../image/types.js';
import { parseManifest, type RegistryClient } from '../../registry/client.js';
import { isImageManifestMediaType, isIndexMediaType } from '../../registry/media-types.js';
import { ImageIndex, type Platform } from '../../registry/schema.js';
import { registrySource } from '../../image/sources/registry/index.js';

/** One running image to find: its digest and the repositories and platform it runs under. */
export interface RunningImageWant {
  digest: string;
  /** `repo-digest`: manifest or index digest; `image-id`: config digest. */
  kind: 'repo-digest' | 'image-id';
  /** Normalised `registry/repository` names it runs under (imageID, else the spec's image). */
  repositories: string[];
  /** The node's platform (from its status); undefined = this machine's. */
  platform: Platform | undefined;
}

export interface ImageLocator {
  id: 'image-dir' | 'containerd' | 'registry';
  /** The image, or a thrown error saying why it is not available this way. */
  open(want: RunningImageWant, signal: AbortSignal | undefined): Promise<ImageHandle>;
  /** How to make an unresolved image available this way (the issue's fix). */
  hint: string;
  /** Problems found while preparing (an unreadable directory): reported once. */
  issues(): Issue[];
}

/** The image's name for messages: `ghcr.io/acme/web@sha256:…`. */
export function wantLabel(want: RunningImageWant): string {
  return want.repositories.length === 0 ? want.digest : `${want.repositories[0] ?? ''}@${want.digest}`;
}

interface DirEntry {
  layout: string;
  /** The descriptor of index.json to open (a manifest or an index). */
  ref: string;
  /** Set when `ref` is an index and the wanted digest is one of its platform manifests. */
  platform?: Platform | undefined;
}

/**
 * `--image-dir DIR`: OCI image layouts — DIR itself, or each folder in it — indexed by every digest a
 * runtime may report: each image's manifest (or index) digest, the platform manifests of an index, and
 * every config digest (image ID). Layouts as `skopeo copy docker://repo@sha256:… oci:DIR/name` writes
 * them; one layout may hold many images (shared layers are stored once).
 */
export function imageDirLocator(dir: string): ImageLocator {
  let indexed: Promise<Map<string, DirEntry>> | undefined;
  const problems: Issue[] = [];
  const index = (): Promise<Map<string, DirEntry>> => (indexed ??= indexImageDir(dir, problems));
  return {
    id: 'image-dir',
    hint: `add its OCI layout to ${dir} (skopeo copy docker://<repo>@<digest> oci:${dir}/<name>)`,
    issues: () => problems,
    async open(want, signal) {
      const entry = (await index()).get(want.digest);
      if (entry === undefined) throw new Error(`not in ${dir}`);
      return ociLayout.open(`${entry.layout}:${entry.ref}`, { platform: entry.platform ?? want.platform, signal });
    },
  };
}

async function indexImageDir(dir: string, problems: Issue[]): Promise<Map<string, DirEntry>> {
  const out = new Map<string, DirEntry>();
  const root = resolve(dir);
  let layouts: string[];
  try {
    if ((await stat(join(root, 'oci-layout')).catch(() => undefined)) !== undefined) layouts = [root];
    else {
      const entries = await readdir(root, { withFileTypes: true });
      layouts = entries.filter((e) => e.isDirectory()).map((e) => join(root, e.name)).sort();
    }
  } catch (error) {
    problems.push(issue('image-dir', `Cannot read the image directory "${dir}": ${errorMessage(error)}`, dir, 'Pass a folder of OCI image layouts (or one layout) with --image-dir.'));
    return out;
  }
  for (const layout of layouts) {
    try {
      await indexLayout(layout, out);
    } catch (error) {
      problems.push(issue('image-dir-layout', `Skipped ${layout}: not a readable OCI image layout: ${errorMessage(error)}`, layout, 'Recreate it with skopeo copy … oci:<dir>, or remove it from the image directory.'));
    }
  }
  return out;
}

async function indexLayout(layout: string, out: Map<string, DirEntry>): Promise<void> {
  if ((await readCapped(join(layout, 'oci-layout'), 64 * 1024)) === undefined) throw new Error('it has no "oci-layout" file');
  const bytes = await readCapped(join(layout, 'index.json'), 4 * 1024 * 1024);
  if (bytes === undefined) throw new Error('it has no index.json');
  const top = ImageIndex.parse(JSON.parse(bytes.toString('utf8')));
  const store = folderStore(layout, `OCI layout ${layout}`);
  const add = (digest: string, entry: DirEntry): void => {
    if (!out.has(digest)) out.set(digest, entry);
  };
  const configOf = async (digest: string, mediaType: string): Promise<string | undefined> => {
    const got = parseManifest(await store.read({ digest }, 4 * 1024 * 1024), digest, mediaType, `manifest ${digest}`, layout);
    return got.kind === 'manifest' ? got.manifest.config.digest : undefined;
  };
  for (const m of top.manifests) {
    if (isImageManifestMediaType(m.mediaType)) {
      add(m.digest, { layout, ref: m.digest });
      const config = await configOf(m.digest, m.mediaType);
      if (config !== undefined) add(config, { layout, ref: m.digest });
    } else if (isIndexMediaType(m.mediaType)) {
      add(m.digest, { layout, ref: m.digest });
      const got = parseManifest(await store.read(m, 4 * 1024 * 1024), m.digest, m.mediaType, `index ${m.digest}`, layout);
      if (got.kind !== 'index') continue;
      for (const child of got.index.manifests) {
        if (child.platform === undefined || !isImageManifestMediaType(child.mediaType)) continue;
        add(child.digest, { layout, ref: m.digest, platform: child.platform });
        // a platform the layout did not copy has no blobs: not indexed, not an error
        const config = await configOf(child.digest, child.mediaType).catch(() => undefined);
        if (config !== undefined) add(config, { layout, ref: m.digest, platform: child.platform });
      }
    }
  }
}

/** The node's containerd (node agent): content API or the content store's blob files, no credentials. */
export function containerdLocator(options: { address?: string | undefined; namespace?: string | undefined; root?: string | undefined }): ImageLocator {
  return {
    id: 'containerd',
    hint: 'run the scan on the node that runs it (node agent, --containerd-address / --containerd-root)',
    issues: () => [],
    open: (want, signal) => containerdSource.open(want.digest, { platform: want.platform, signal, containerd: options }),
  };
}

/** The registry, through src/registry (credentials, mirrors, insecure hosts): `repo@digest` for each repository it runs under. */
export function registryLocator(client: RegistryClient): ImageLocator {
  return {
    id: 'registry',
    hint: 'give pull access (--docker-config, --pull-secret) or a mirror (--registry-mirror)',
    issues: () => [],
    async open(want, signal) {
      if (want.kind === 'image-id') throw new Error('the runtime reports only a local image ID (config digest), which no registry can serve');
      if (want.repositories.length === 0) throw new Error('the runtime names no repository for the digest');
      const errors: string[] = [];
      for (const repo of want.repositories) {
        try {
          return await registrySource.open(`${repo}@${want.digest}`, { registry: client, platform: want.platform, signal });
        } catch (error) {
          errors.push(want.repositories.length === 1 ? errorMessage(error) : `${repo}: ${errorMessage(error)}`);
        }
      }
      throw new Error(errors.join('; '));
    },
  };
}
