/**
 * An OCI image layout (image-spec `image-layout.md`) standing in for the registries: its
 * `index.json` names images with `org.opencontainers.image.ref.name` (full references, as
 * `ctr`/skopeo/`scan --image-dir` layouts carry them), so it can answer "what does this tag point to
 * now" and "which tags does this repository have" offline — a mirror in an air-gapped cluster, or the
 * demo's images. Blobs are read from `blobs/<alg>/<hex>` and checked against their digest.
 * Referrers are what a layout stores for them (image-spec: manifests listed in `index.json` whose
 * `subject` is the image — `oras attach --oci-layout` writes them so — and `sha256-<hex>` tag-schema
 * indexes), read once, on the first question.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { RegistryError } from '../../core/errors.js';
import { formatImageReference, tryParseImageReference, type ImageReference } from '../../core/image-ref.js';
import type { ProbeClient } from './probe.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const Descriptor = z.object({ mediaType: z.string().optional(), digest: z.string().regex(/^sha256:[a-f0-9]{64}$/), annotations: z.record(z.string(), z.string()).optional(), artifactType: z.string().optional() });
const Index = z.object({ manifests: z.array(Descriptor) });
const Manifest = z.object({ config: Descriptor.optional(), manifests: z.array(Descriptor).optional(), annotations: z.record(z.string(), z.string()).optional() });
const Config = z.object({ created: z.string().optional() });
const Referrer = z.object({
  artifactType: z.string().optional(),
  config: z.object({ mediaType: z.string() }).optional(),
  subject: z.object({ digest: z.string() }).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  manifests: z.array(Descriptor).optional(),
});
type Found = { digest: string; artifactType?: string | undefined; annotations?: Record<string, string> | undefined };

export async function layoutProbeClient(dir: string): Promise<ProbeClient> {
  const index = Index.parse(JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')));
  // `registry/repository:tag` → digest, and `registry/repository` → tags.
  const byTag = new Map<string, string>();
  const tags = new Map<string, string[]>();
  for (const m of index.manifests) {
    const name = m.annotations?.[REF_NAME];
    const ref = name === undefined ? undefined : tryParseImageReference(name);
    if (ref?.tag === undefined) continue;
    byTag.set(formatImageReference({ ...ref, digest: undefined }), m.digest);
    const repo = `${ref.registry}/${ref.repository}`;
    tags.set(repo, [...(tags.get(repo) ?? []), ref.tag]);
  }
  const notFound = (what: string): RegistryError => new RegistryError('not-found', `${what} not found in the OCI layout ${dir}`, { hint: 'The layout stands in for the registry; add the image to it, or ask the registry itself.' });
  async function blob(digest: string): Promise<unknown> {
    const bytes = await readFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length))).catch(() => undefined);
    if (bytes === undefined) throw notFound(`blob ${digest}`);
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (actual !== digest) throw new RegistryError('digest-mismatch', `Blob ${digest} of the OCI layout ${dir} hashes to ${actual}; not used`);
    return JSON.parse(bytes.toString('utf8')) as unknown;
  }
  // Subject digest → referrer descriptors, from every manifest the layout lists (built on first use).
  let referrers: Promise<Map<string, Found[]>> | undefined;
  async function referrerIndex(): Promise<Map<string, Found[]>> {
    const out = new Map<string, Found[]>();
    const add = (subject: string, d: Found): void => {
      const list = out.get(subject) ?? [];
      if (!list.some((x) => x.digest === d.digest)) list.push(d);
      out.set(subject, list);
    };
    for (const m of index.manifests) {
      const name = m.annotations?.[REF_NAME];
      const tagSchema = name !== undefined && /^sha256-[a-f0-9]{64}$/.test(name);
      // Named images are not referrers; a missing or corrupt blob is skipped here and reported where it is used.
      if (name !== undefined && !tagSchema) continue;
      const parsed = Referrer.safeParse(await blob(m.digest).catch(() => undefined));
      if (!parsed.success) continue;
      const r = parsed.data;
      if (tagSchema) for (const d of r.manifests ?? []) add(`sha256:${name.slice('sha256-'.length)}`, { digest: d.digest, artifactType: d.artifactType, annotations: d.annotations });
      else if (r.subject !== undefined) add(r.subject.digest, { digest: m.digest, artifactType: r.artifactType ?? r.config?.mediaType, annotations: r.annotations ?? m.annotations });
    }
    return out;
  }
  const tagDigest = (ref: ImageReference): string => {
    const digest = byTag.get(formatImageReference({ ...ref, tag: ref.tag ?? 'latest', digest: undefined }));
    if (digest === undefined) throw notFound(`${formatImageReference(ref)}`);
    return digest;
  };
  return {
    resolve: (ref) => new Promise((resolve) => resolve({ digest: ref.digest ?? tagDigest(ref) })),
    listTags: (repo) => {
      const list = tags.get(`${repo.registry}/${repo.repository}`);
      return list === undefined ? Promise.reject(notFound(`repository ${repo.registry}/${repo.repository}`)) : Promise.resolve(list);
    },
    // The layout answers like a referrers API (by subject), so the probe never falls back to tags here.
    async referrers(_repo, digest, options = {}) {
      const all = (await (referrers ??= referrerIndex())).get(digest) ?? [];
      return { via: 'api', manifests: options.artifactType === undefined ? all : all.filter((d) => d.artifactType === options.artifactType) };
    },
    async resolveImage(ref) {
      let m = Manifest.parse(await blob(ref.digest ?? tagDigest(ref)));
      const first = m.manifests?.[0];
      // An index: the first platform's manifest (every platform of one build shares its creation time).
      if (m.config === undefined && first !== undefined) m = Manifest.parse(await blob(first.digest));
      if (m.config === undefined) throw notFound(`config of ${formatImageReference(ref)}`);
      return { config: Config.parse(await blob(m.config.digest)) };
    },
    async getManifest(repo, reference) {
      const digest = reference.startsWith('sha256:') ? reference : byTag.get(`${repo.registry}/${repo.repository}:${reference}`);
      if (digest === undefined) throw notFound(`${repo.registry}/${repo.repository}:${reference}`);
      const m = Manifest.parse(await blob(digest));
      return m.manifests !== undefined ? { kind: 'index', index: { manifests: m.manifests } } : { kind: 'manifest', manifest: { annotations: m.annotations } };
    },
  };
}
