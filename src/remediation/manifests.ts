/**
 * The plan's image changes as edits of the manifests the workloads are deployed from (`fix --manifests DIR`):
 * where GitOps (Argo CD, Flux) would revert a patch of the live object, the fix belongs in Git. Each changed
 * container's `image` value is found in its workload's manifest by kind, namespace, name and container name, and
 * replaced in place, written as it was (quotes kept); nothing else in the file changes. The result is a unified
 * diff (`git apply`) per file.
 *
 * Kustomize: an `images` entry of a Kustomization among the manifests that names the workload's image (as written,
 * without tag or digest) sets the image that runs, so that entry is edited instead (its `newTag`, `digest` or
 * `newName`, whichever the change needs and the entry has); a change the entry cannot take without a new field, or
 * an image several Kustomizations set (overlays) of which not exactly one gives the running image, is reported
 * with what to change, not guessed.
 *
 * Helm: a chart's workloads are not in Git, its values are. For a workload the manifests do not hold, the Helm values
 * among them (values files, Flux HelmRelease `spec.values`, Argo CD Application `helm.valuesObject`) that give the
 * running image are edited: an `image: repo:tag` string, or a map of `repository` (with `registry`), `tag` and
 * `digest` — the shapes charts use. Exactly one such place must give the image that runs; a map without the field
 * the change needs (a tag left to the chart's appVersion, no `digest`) is reported with what to add.
 */
import { createTwoFilesPatch } from 'diff';
import type { WorkloadRef } from '../core/inventory.js';
import { tryParseImageReference } from '../core/image-ref.js';
import type { ManifestObject, ManifestScalar, Manifests } from '../manifests/index.js';
import type { RemediationPlan } from './index.js';
import { normalisedImage, PATCHABLE } from './patch.js';

export interface ManifestChange {
  workload: WorkloadRef;
  container: string;
  file: string;
  line: number;
  from: string;
  to: string;
}

export interface ManifestNotChanged {
  workload: WorkloadRef;
  container: string;
  reason: string;
}

export interface ManifestEdits {
  /** Files with their text before and after, in file order. */
  files: Array<{ file: string; before: string; after: string }>;
  changes: ManifestChange[];
  notChanged: ManifestNotChanged[];
}

/** The new value written the way the old one was: in the same quotes, or plain. */
function written(source: string, to: string): string {
  const quote = source.startsWith('"') ? '"' : source.startsWith("'") ? "'" : '';
  return `${quote}${to}${quote}`;
}

/** `ghcr.io/acme/cart` of `ghcr.io/acme/cart:1.2@sha256:…` as written: what a kustomize `images` entry's name matches. */
function imageName(written: string): string {
  const at = written.indexOf('@');
  const bare = at < 0 ? written : written.slice(0, at);
  const colon = bare.lastIndexOf(':');
  return colon > bare.lastIndexOf('/') ? bare.slice(0, colon) : bare;
}

/** One `images` entry of a Kustomization: its fields as scalars (absent: undefined). */
interface KustomizeImage {
  object: ManifestObject;
  name: ManifestScalar;
  newName: ManifestScalar | undefined;
  newTag: ManifestScalar | undefined;
  digest: ManifestScalar | undefined;
}

/** The entries of the Kustomizations that set the image written as `written`. */
function kustomizeImages(kustomizations: readonly ManifestObject[], written: string): KustomizeImage[] {
  const name = imageName(written);
  const out: KustomizeImage[] = [];
  for (const object of kustomizations) {
    const images = (object.value as { images?: unknown } | null)?.images;
    if (!Array.isArray(images)) continue;
    images.forEach((_, i) => {
      // a tag written as a number (newTag: 1.25) is that text
      const field = (key: string): ManifestScalar | undefined => object.scalar(['images', i, key], { numbers: key === 'newTag' });
      const entry = field('name');
      if (entry?.value === name) out.push({ object, name: entry, newName: field('newName'), newTag: field('newTag'), digest: field('digest') });
    });
  }
  return out;
}

/** The image an entry makes of `written` (kustomize: the digest wins over the tag; without either, the written one stays). */
function kustomizedImage(entry: KustomizeImage, written: string): string {
  const repo = entry.newName?.value ?? entry.name.value;
  if (entry.digest !== undefined) return `${repo}@${entry.digest.value}`;
  if (entry.newTag !== undefined) return `${repo}:${entry.newTag.value}`;
  return repo + written.slice(imageName(written).length);
}

/** The scalars of `entry` to rewrite so that it gives `to`, or why it cannot without a field it lacks. */
function kustomizeEdits(entry: KustomizeImage, to: string): Array<{ scalar: ManifestScalar; value: string }> | string {
  const ref = tryParseImageReference(to);
  if (ref === undefined) return `"${to}" is not an image reference`;
  const where = `${entry.name.file}:${entry.name.line}`;
  const edits: Array<{ scalar: ManifestScalar; value: string }> = [];
  const repo = imageName(to);
  if (normalisedRepo(entry.newName?.value ?? entry.name.value) !== normalisedRepo(repo)) {
    if (entry.newName === undefined) return `${where} sets ${entry.name.value} without newName: add "newName: ${repo}" there`;
    edits.push({ scalar: entry.newName, value: repo });
  }
  if (ref.digest !== undefined) {
    if (entry.digest === undefined) return `${where} sets ${entry.name.value} by ${entry.newTag === undefined ? 'name only' : 'newTag'}: add "digest: ${ref.digest}" there`;
    edits.push({ scalar: entry.digest, value: ref.digest });
    if (ref.tag !== undefined && entry.newTag !== undefined && entry.newTag.value !== ref.tag) edits.push({ scalar: entry.newTag, value: ref.tag });
  } else {
    if (entry.digest !== undefined) return `${where} pins ${entry.name.value} by digest: set "newTag: ${ref.tag ?? 'latest'}" and remove its digest there`;
    if (entry.newTag === undefined) return `${where} sets ${entry.name.value} without newTag: add "newTag: ${ref.tag ?? 'latest'}" there`;
    edits.push({ scalar: entry.newTag, value: ref.tag ?? 'latest' });
  }
  return edits;
}

function normalisedRepo(name: string): string {
  const ref = tryParseImageReference(name);
  return ref === undefined ? name : `${ref.registry}/${ref.repository}`;
}

/** The edits of every changed container the manifests hold; the others with the reason. */
export function manifestEdits(plan: RemediationPlan, manifests: Pick<Manifests, 'find' | 'texts' | 'kustomizations'> & Partial<Pick<Manifests, 'helmValues'>>): ManifestEdits {
  const changes: ManifestChange[] = [];
  const notChanged: ManifestNotChanged[] = [];
  const byFile = new Map<string, Array<{ start: number; end: number; text: string }>>();
  for (const w of plan.workloads) {
    const { kind, namespace, name } = w.workload;
    for (const c of w.containers) {
      if (c.to === undefined) continue;
      const skip = (reason: string): void => void notChanged.push({ workload: w.workload, container: c.container, reason });
      const claim = (edits: ReadonlyArray<{ scalar: ManifestScalar; value: string }>): void => {
        // one value may set the image of several workloads: another container may have claimed it for another change
        const clash = edits.find((e) => (byFile.get(e.scalar.file) ?? []).some((x) => x.start === e.scalar.start && x.text !== written(e.scalar.source, e.value)));
        if (clash !== undefined) {
          skip(`${clash.scalar.file}:${clash.scalar.line} sets the image of other workloads too, which need another change`);
          return;
        }
        for (const e of edits) {
          const list = byFile.get(e.scalar.file) ?? [];
          list.push({ start: e.scalar.start, end: e.scalar.end, text: written(e.scalar.source, e.value) });
          byFile.set(e.scalar.file, list);
          changes.push({ workload: w.workload, container: c.container, file: e.scalar.file, line: e.scalar.line, from: e.scalar.value, to: e.value });
        }
      };
      const object = manifests.find(kind, namespace, name);
      if (object === undefined) {
        // a chart's workload: its image is set by Helm values
        const edits = helmValuesEdits(manifests.helmValues ?? [], normalisedImage(c.from ?? c.image), c.to);
        if (edits === undefined) skip(`no ${kind} ${namespace}/${name} in the manifests${(manifests.helmValues ?? []).length > 0 ? ', and no Helm values among them set its image' : ''}`);
        else if (typeof edits === 'string') skip(edits);
        else claim(edits);
        continue;
      }
      const spec = PATCHABLE[kind]?.spec;
      if (spec === undefined) {
        skip(`runwarden does not edit ${kind} objects`);
        continue;
      }
      const specPath = spec.split('/').slice(1);
      let located: { path: Array<string | number>; value: unknown } | undefined;
      for (const field of ['containers', 'initContainers']) {
        const list = specPath.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], object.value) as Record<string, unknown> | undefined;
        const items = list?.[field];
        if (!Array.isArray(items)) continue;
        const index = items.findIndex((x: unknown) => (x as { name?: unknown } | null)?.name === c.container);
        if (index >= 0) located = { path: [...specPath, field, index, 'image'], value: (items[index] as { image?: unknown }).image };
        if (located !== undefined) break;
      }
      if (located === undefined) {
        skip(`container "${c.container}" is not in ${object.file}`);
        continue;
      }
      const scalar = object.scalar(located.path);
      if (scalar === undefined) {
        skip(`the image of container "${c.container}" in ${object.file} is not a plain string (a template?)`);
        continue;
      }
      const running = normalisedImage(c.from ?? c.image);
      const set = kustomizeImages(manifests.kustomizations, scalar.value);
      if (set.length > 0) {
        // the Kustomization's entry is what runs: the workload's own image value is replaced by kustomize
        const giving = set.filter((k) => normalisedImage(kustomizedImage(k, scalar.value)) === running);
        const entry = giving.length === 1 ? giving[0] : undefined;
        if (entry === undefined) {
          const where = set.map((k) => `${k.name.file}:${k.name.line}`).join(', ');
          skip(giving.length === 0 ? `kustomize sets the image at ${where}, not to ${c.from ?? c.image} (changed already?)` : `${giving.length} Kustomizations set the image (${where}): change the one that is deployed to ${c.to}`);
          continue;
        }
        const edits = kustomizeEdits(entry, c.to);
        if (typeof edits === 'string') skip(edits);
        else claim(edits);
        continue;
      }
      if (normalisedImage(scalar.value) !== running) {
        skip(`${object.file}:${scalar.line} names ${scalar.value}, not ${c.from ?? c.image} (changed already?)`);
        continue;
      }
      const list = byFile.get(scalar.file) ?? [];
      list.push({ start: scalar.start, end: scalar.end, text: written(scalar.source, c.to) });
      byFile.set(scalar.file, list);
      changes.push({ workload: w.workload, container: c.container, file: scalar.file, line: scalar.line, from: scalar.value, to: c.to });
    }
  }
  const files: ManifestEdits['files'] = [];
  for (const [file, edits] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    const before = manifests.texts.get(file) ?? '';
    let after = before;
    // from the end, so earlier offsets stay valid; a value is edited once (two containers of one image set by one
    // kustomize entry give it the same text)
    let last: number | undefined;
    for (const e of [...edits].sort((a, b) => b.start - a.start)) {
      if (e.start === last) continue;
      last = e.start;
      after = after.slice(0, e.start) + e.text + after.slice(e.end);
    }
    files.push({ file, before, after });
  }
  return { files, changes, notChanged };
}

/** A place in Helm values that sets an image: an `image: repo:tag` string, or a map of repository (registry), tag, digest. */
type ValuesImage =
  | { type: 'string'; scalar: ManifestScalar }
  | { type: 'map'; at: string; repository: string; tag: ManifestScalar | undefined; digest: ManifestScalar | undefined };

/** Nested values deeper than this are not searched (charts nest images a few levels down: `controller.image`). */
const VALUES_DEPTH = 12;

/** Every image setting in one values object, by walking it (keys `image`, or maps with a string `repository`). */
function valuesImages(values: ManifestObject): ValuesImage[] {
  const out: ValuesImage[] = [];
  const walk = (node: unknown, path: Array<string | number>): void => {
    if (path.length > VALUES_DEPTH || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, i]));
      return;
    }
    const map = node as Record<string, unknown>;
    if (typeof map.repository === 'string' && map.repository !== '') {
      const registry = typeof map.registry === 'string' && map.registry !== '' ? `${map.registry}/` : '';
      const tag = values.scalar([...path, 'tag'], { numbers: true });
      const where = values.scalar([...path, 'repository']);
      out.push({ type: 'map', at: where === undefined ? values.file : `${where.file}:${where.line}`, repository: `${registry}${map.repository}`, tag: tag?.value === '' ? undefined : tag, digest: values.scalar([...path, 'digest']) });
    }
    for (const [key, value] of Object.entries(map)) {
      if (key === 'image' && typeof value === 'string') {
        const scalar = values.scalar([...path, key]);
        if (scalar !== undefined) out.push({ type: 'string', scalar });
      } else walk(value, [...path, key]);
    }
  };
  walk(values.value, []);
  return out;
}

/** The image a map setting gives (undefined without a tag or digest: the chart decides, e.g. from its appVersion). */
function mapImage(setting: Extract<ValuesImage, { type: 'map' }>): string | undefined {
  if (setting.digest !== undefined && setting.digest.value !== '') return `${setting.repository}${setting.tag === undefined ? '' : `:${setting.tag.value}`}@${setting.digest.value}`;
  return setting.tag === undefined ? undefined : `${setting.repository}:${setting.tag.value}`;
}

/**
 * The edits of the Helm values that give `running` so that they give `to`; a reason when they cannot (ambiguous, or a
 * field to add); undefined when no values set the image at all.
 */
function helmValuesEdits(values: readonly ManifestObject[], running: string, to: string): Array<{ scalar: ManifestScalar; value: string }> | string | undefined {
  const settings = values.flatMap(valuesImages);
  const repo = normalisedRepo(imageName(running));
  const same = settings.filter((s) => normalisedRepo(s.type === 'string' ? imageName(s.scalar.value) : s.repository) === repo);
  if (same.length === 0) return undefined;
  const giving = same.filter((s) => {
    const image = s.type === 'string' ? s.scalar.value : mapImage(s);
    return image !== undefined && normalisedImage(image) === running;
  });
  const where = (s: ValuesImage): string => (s.type === 'string' ? `${s.scalar.file}:${s.scalar.line}` : s.at);
  if (giving.length > 1) return `${giving.length} Helm values set the image (${giving.map(where).join(', ')}): change the one that is deployed to ${to}`;
  const setting = giving[0];
  const target = tryParseImageReference(to);
  if (target === undefined) return `"${to}" is not an image reference`;
  if (setting === undefined) {
    const tagless = same.find((s) => s.type === 'map' && mapImage(s) === undefined);
    if (tagless !== undefined) return `the Helm values at ${where(tagless)} set the repository without a tag (the chart's appVersion decides it): add "tag: ${target.tag ?? 'latest'}"${target.digest === undefined ? '' : ` and "digest: ${target.digest}"`} there, if the chart reads them`;
    return `the Helm values that set ${imageName(running)} (${same.map(where).join(', ')}) do not give ${running} (changed already?)`;
  }
  if (setting.type === 'string') return [{ scalar: setting.scalar, value: to }];
  if (normalisedRepo(imageName(to)) !== repo) return `${setting.at} sets the repository ${setting.repository}; the change moves to ${imageName(to)}: change the repository there too`;
  const edits: Array<{ scalar: ManifestScalar; value: string }> = [];
  if (target.digest !== undefined) {
    if (setting.digest === undefined) return `the Helm values at ${setting.at} set ${setting.repository} by tag: the change pins ${to}; add "digest: ${target.digest}" there, if the chart reads it`;
    edits.push({ scalar: setting.digest, value: target.digest });
  } else if (setting.digest !== undefined && setting.digest.value !== '') return `the Helm values at ${setting.at} pin ${setting.repository} by digest: set "tag: ${target.tag ?? 'latest'}" and remove the digest there`;
  if (target.tag !== undefined && setting.tag !== undefined && setting.tag.value !== target.tag) edits.push({ scalar: setting.tag, value: target.tag });
  if (target.tag !== undefined && setting.tag === undefined) return `the Helm values at ${setting.at} set ${setting.repository} without a tag: add "tag: ${target.tag}" there`;
  if (edits.length === 0) return `the Helm values at ${setting.at} give ${to} already`;
  return edits;
}

/** A unified diff of the edits (`git apply`, `patch -p1`): paths as given, prefixed a/ and b/. */
export function renderManifestDiff(edits: ManifestEdits): string {
  return edits.files
    .map(({ file, before, after }) => {
      const path = file.replace(/^\.\//, '');
      const patch = createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 });
      // jsdiff starts with a line of "=": not part of a unified diff
      return patch.replace(/^=+\n/, '');
    })
    .join('');
}
