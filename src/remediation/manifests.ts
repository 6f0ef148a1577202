/**
 * The plan's image changes as edits of the manifests the workloads are deployed from (`fix --manifests DIR`):
 * where GitOps (Argo CD, Flux) would revert a patch of the live object, the fix belongs in Git. Each changed
 * container's `image` value is found in its workload's manifest by kind, namespace, name and container name, and
 * replaced in place, written as it was (quotes kept); nothing else in the file changes. The result is a unified
 * diff (`git apply`) per file.
 */
import { createTwoFilesPatch } from 'diff';
import type { WorkloadRef } from '../core/inventory.js';
import type { Manifests } from '../manifests/index.js';
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

/** The edits of every changed container the manifests hold; the others with the reason. */
export function manifestEdits(plan: RemediationPlan, manifests: Pick<Manifests, 'find' | 'texts'>): ManifestEdits {
  const changes: ManifestChange[] = [];
  const notChanged: ManifestNotChanged[] = [];
  const byFile = new Map<string, Array<{ start: number; end: number; text: string }>>();
  for (const w of plan.workloads) {
    const { kind, namespace, name } = w.workload;
    for (const c of w.containers) {
      if (c.to === undefined) continue;
      const skip = (reason: string): void => void notChanged.push({ workload: w.workload, container: c.container, reason });
      const object = manifests.find(kind, namespace, name);
      if (object === undefined) {
        skip(`no ${kind} ${namespace}/${name} in the manifests`);
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
      if (normalisedImage(scalar.value) !== normalisedImage(c.from ?? c.image)) {
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
    // from the end, so earlier offsets stay valid; one value is edited once (two containers share no scalar)
    for (const e of [...edits].sort((a, b) => b.start - a.start)) after = after.slice(0, e.start) + e.text + after.slice(e.end);
    files.push({ file, before, after });
  }
  return { files, changes, notChanged };
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
