/**
 * Kubernetes manifests before deploy, for `runwarden check`: files, directories (`.yaml`, `.yml`,
 * `.json`, recursively) and stdin (`-`: `helm template` or `kustomize build` output). Each file may
 * hold several YAML documents, single objects or Lists (items without `kind` take it from the list).
 *
 * Like the snapshot source (inventory/sources/snapshot), it validates objects with the inventory's
 * schemas and turns bad input into issues naming the file, line and column. Unlike it, it keeps
 * every document's syntax tree, so a finding's field path (`spec.template.spec.containers[0]…`)
 * resolves to the line a user edits. The parsing idea is copied rather than shared because the
 * snapshot source keeps no syntax trees (it reads 30,000-pod dumps where that would cost memory).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import { InputError, errorMessage } from '../core/errors.js';
import type { FindingLocation } from '../core/finding.js';
import { CLUSTER_SCOPED_KINDS, RESOURCE_KINDS, type ResourceKind } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import { OBJECT_SCHEMAS, emptyClusterObjects } from '../inventory/schema.js';
import type { SourceResult } from '../inventory/source.js';

const EXTENSIONS = new Set(['.json', '.yaml', '.yml']);
const KINDS = new Set<string>(RESOURCE_KINDS);
export const STDIN = '-';
const STDIN_NAME = '<stdin>';

export interface ReadManifestsOptions {
  /** Read for `-`. */
  stdin?: NodeJS.ReadableStream | undefined;
  /** Namespace of objects that set none (as `kubectl apply -n`); default `default`. */
  namespace?: string | undefined;
  signal?: AbortSignal | undefined;
  /**
   * The flag the paths came from (`--manifests` of `runwarden fix`), for the hints of a path that cannot be read:
   * they name it and leave out stdin. Default: the paths are `runwarden check`'s arguments, `-` included.
   */
  flag?: string | undefined;
}

interface Placed {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  /** Path of the object inside its document (`['items', 3]` for a List item). */
  path: Array<string | number>;
  /** The object as parsed (after defaults such as the namespace). */
  value?: unknown;
  /** The object sets no namespace (it takes the one it is applied to). */
  implicitNamespace?: boolean;
  kind?: string;
  name?: string;
}

/** A string value as written in its file: where it is and how it reads there (quotes included). */
export interface ManifestScalar {
  file: string;
  value: string;
  /** Offsets of the value's source in the file's text. */
  start: number;
  end: number;
  /** The value's source text (`ghcr.io/a:1`, `"ghcr.io/a:1"`). */
  source: string;
  line: number;
}

/** One object of the manifests, for editing a value in place (`runwarden fix --manifests`). */
export interface ManifestObject {
  file: string;
  value: unknown;
  /**
   * The string scalar at `path` inside the object, or undefined when there is none (absent, templated, not a string).
   * `numbers`: a number is taken too, as written (kustomize's `newTag: 1.25` is the tag "1.25").
   */
  scalar(path: ReadonlyArray<string | number>, options?: { numbers?: boolean }): ManifestScalar | undefined;
}

export interface Manifests {
  /** Raw objects in the shape inventory/build.ts takes. */
  result: SourceResult;
  /** Files read (stdin counts as one). */
  files: number;
  /** Objects accepted for checking. */
  objects: number;
  /** Documents or files that could not be read or parsed: nothing in them was checked. */
  failures: number;
  /** Where a field of an object is: the deepest node of `field` that exists in the file. */
  locate(kind: string, namespace: string | undefined, name: string, field: string | undefined): FindingLocation | undefined;
  /** An object by kind, namespace and name (an object that sets no namespace matches any, if it is the only one of its name). */
  find(kind: string, namespace: string, name: string): ManifestObject | undefined;
  /** The text of each file read (not stdin). */
  texts: ReadonlyMap<string, string>;
  /**
   * The kustomize Kustomization objects read (kustomization.yaml: not checked, but their `images` entries set the
   * images the workloads run, which `runwarden fix --manifests` edits), in file order.
   */
  kustomizations: readonly ManifestObject[];
  /**
   * Helm values, in file order: YAML documents without `apiVersion`, `kind` or `metadata` (a chart's values.yaml,
   * an environment's values file), the `spec.values` of Flux HelmReleases and the `helm.valuesObject` of Argo CD
   * Applications. Not checked (`check` notes such documents once), but they set the images a chart's workloads run,
   * which `runwarden fix --manifests` edits.
   */
  helmValues: readonly ManifestObject[];
}

interface State {
  objects: ReturnType<typeof emptyClusterObjects>;
  origins: WeakMap<object, string>;
  placed: Map<string, Placed>;
  issues: Issue[];
  kindsSeen: Set<ResourceKind>;
  skipped: Map<string, { count: number; where: string }>;
  failures: number;
  accepted: number;
  namespace: string;
  texts: Map<string, string>;
  kustomizations: Placed[];
  helmValues: Placed[];
  /** Documents with neither apiVersion, kind nor metadata (Helm values, other configuration): how many, the first. */
  plainDocuments: { count: number; where: string | undefined };
}

/** Reads every input; throws InputError only for a path that does not exist or holds no manifest files. */
export async function readManifests(inputs: readonly string[], options: ReadManifestsOptions = {}): Promise<Manifests> {
  const state: State = { objects: emptyClusterObjects(), origins: new WeakMap(), placed: new Map(), issues: [], kindsSeen: new Set(), skipped: new Map(), failures: 0, accepted: 0, namespace: options.namespace ?? 'default', texts: new Map(), kustomizations: [], helmValues: [], plainDocuments: { count: 0, where: undefined } };
  let files = 0;
  for (const input of inputs) {
    if (input === STDIN) {
      files++;
      parseText(await readStream(options.stdin ?? process.stdin, options.signal), STDIN_NAME, state);
      continue;
    }
    for (const file of await listFiles(input, options.flag)) {
      options.signal?.throwIfAborted();
      files++;
      let text: string;
      try {
        text = await readFile(file, { encoding: 'utf8', signal: options.signal });
      } catch (error) {
        state.failures++;
        state.issues.push(issue('manifest-read', `Cannot read ${file}: ${errorMessage(error)}`, file));
        continue;
      }
      state.texts.set(file, text);
      parseText(text, file, state);
    }
  }
  if (state.plainDocuments.count > 0) {
    const { count, where: first } = state.plainDocuments;
    state.issues.push(issue('manifest-not-object', `Skipped ${count} document(s) without apiVersion, kind or metadata (first at ${first ?? ''}): not Kubernetes objects (Helm values or other configuration?), so not checked`, first, 'runwarden checks Kubernetes objects; "runwarden fix --manifests" reads Helm values to change the images they set.'));
  }
  for (const [kind, { count, where }] of state.skipped) {
    state.issues.push(issue('manifest-unknown-kind', `Skipped ${count} object(s) of kind ${kind} (first at ${where}): runwarden does not check this kind`, where));
  }
  return {
    result: {
      source: { type: 'snapshot', location: inputs.map((i) => (i === STDIN ? STDIN_NAME : i)).join(', ') },
      objects: state.objects,
      origins: state.origins,
      complete: RESOURCE_KINDS.filter((k) => state.kindsSeen.has(k)),
      namespaces: undefined,
      issues: state.issues,
    },
    files,
    objects: state.accepted,
    failures: state.failures,
    locate: (kind, namespace, name, field) => locate(state.placed.get(objectKey(kind, namespace, name)), field),
    find: (kind, namespace, name) => findObject(state, kind, namespace, name),
    texts: state.texts,
    kustomizations: state.kustomizations.map((k) => manifestObject(state, k)),
    helmValues: state.helmValues.map((v) => manifestObject(state, v)),
  };
}

function manifestObject(state: State, placed: Placed): ManifestObject {
  return { file: placed.file, value: placed.value, scalar: (path, options) => scalarAt(placed, path, state.texts.get(placed.file), options?.numbers === true) };
}

function findObject(state: State, kind: string, namespace: string, name: string): ManifestObject | undefined {
  let placed = state.placed.get(objectKey(kind, namespace, name));
  if (placed === undefined) {
    // a manifest without a namespace is applied to one (kubectl -n, kustomize's namespace): it may be this one
    const loose = [...state.placed.values()].filter((p) => p.implicitNamespace === true && p.kind === kind && p.name === name);
    if (loose.length === 1) placed = loose[0];
  }
  return placed === undefined ? undefined : manifestObject(state, placed);
}

/** The string scalar at `path` inside a placed object, exactly (no nearest parent). */
function scalarAt(placed: Placed, path: ReadonlyArray<string | number>, text: string | undefined, numbers = false): ManifestScalar | undefined {
  if (text === undefined) return undefined;
  let node: unknown = placed.doc.contents;
  for (const key of [...placed.path, ...path]) {
    if (isMap(node)) node = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key)?.value;
    else if (isSeq(node) && typeof key === 'number') node = node.items[key];
    else return undefined;
  }
  if (!isScalar(node) || node.range === undefined || node.range === null) return undefined;
  if (typeof node.value !== 'string' && !(numbers && typeof node.value === 'number')) return undefined;
  const [start, end] = node.range;
  const source = text.slice(start, end);
  return { file: placed.file, value: typeof node.value === 'string' ? node.value : source, start, end, source, line: placed.lineCounter.linePos(start).line };
}

function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

async function readStream(stream: NodeJS.ReadableStream, signal: AbortSignal | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    signal?.throwIfAborted();
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function listFiles(path: string, flag: string | undefined): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const hint = flag === undefined ? 'Pass manifest files or directories, or "-" to read from stdin (e.g. helm template … | runwarden check -).' : `Give ${flag} the manifest files or directories the workloads are deployed from.`;
    throw new InputError(path, `Cannot read manifest path "${path}": ${errorMessage(error)}`, { hint, cause: error });
  }
  if (info.isFile()) return [path];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
    }
  };
  await walk(path);
  if (out.length === 0) {
    const hint = flag === undefined ? 'Point runwarden check at the directory that holds the manifests, or pipe rendered output to "runwarden check -".' : `Point ${flag} at the directory that holds the manifests.`;
    throw new InputError(path, `No .yaml, .yml or .json files in directory "${path}"`, { hint });
  }
  return out;
}

function parseText(text: string, file: string, state: State): void {
  if (text.trim() === '') {
    state.issues.push(issue('manifest-empty', `${file} is empty`, file));
    return;
  }
  const lineCounter = new LineCounter();
  // JSON is YAML 1.2: one parser gives positions for both.
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  if (!Array.isArray(docs)) return; // comments only
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      state.failures++;
      const first = doc.errors[0];
      const pos = first === undefined ? undefined : lineCounter.linePos(first.pos[0]);
      const message = (first?.message.split('\n')[0] ?? 'parse error').replace(/ at line \d+, column \d+:?$/, '');
      const where = pos === undefined ? file : `${file}:${pos.line}:${pos.col}`;
      state.issues.push(issue('manifest-parse', `${where}: invalid YAML (document ${index + 1}): ${message}; the document was not checked`, where, 'Fix the YAML; "kubectl apply --dry-run=client -f <file>" shows the same error.'));
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      state.failures++;
      state.issues.push(issue('manifest-parse', `${file}: document ${index + 1}: ${errorMessage(error)}; the document was not checked`, file));
      return;
    }
    if (value === null || value === undefined) return;
    collect(value, [], { file, doc, lineCounter }, undefined, state);
  });
}

function lineOf(placed: Omit<Placed, 'path'>, path: ReadonlyArray<string | number>): { line: number; column: number } {
  let node: unknown = placed.doc.contents;
  const posOf = (n: unknown): { line: number; column: number } | undefined => {
    const range = (n as { range?: [number, number, number] } | null)?.range;
    if (range === undefined) return undefined;
    const p = placed.lineCounter.linePos(range[0]);
    return { line: p.line, column: p.col };
  };
  let best = posOf(node) ?? { line: 1, column: 1 };
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (pair === undefined) break;
      best = posOf(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      if (node === undefined) break;
      best = posOf(node) ?? best;
    } else break;
  }
  return best;
}

function where(placed: Omit<Placed, 'path'>, path: ReadonlyArray<string | number>): string {
  return `${placed.file}:${lineOf(placed, path).line}`;
}

/**
 * Where an object holds Helm values inline: a Flux HelmRelease's `spec.values`, an Argo CD Application's
 * `spec.source.helm.valuesObject` (and each of `spec.sources`). Values given as a YAML string are not read.
 */
function helmValuesPaths(kind: string, record: Record<string, unknown>): Array<Array<string | number>> {
  const api = typeof record.apiVersion === 'string' ? record.apiVersion : '';
  if (kind === 'HelmRelease' && api.startsWith('helm.toolkit.fluxcd.io/')) return [['spec', 'values']];
  if (kind !== 'Application' || !api.startsWith('argoproj.io/')) return [];
  const sources = (record.spec as { sources?: unknown } | undefined)?.sources;
  return [['spec', 'source', 'helm', 'valuesObject'], ...(Array.isArray(sources) ? sources.map((_, i) => ['spec', 'sources', i, 'helm', 'valuesObject']) : [])];
}

function collect(value: unknown, path: Array<string | number>, placed: Omit<Placed, 'path'>, inheritedKind: string | undefined, state: State): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => collect(item, [...path, i], placed, inheritedKind, state));
    return;
  }
  if (typeof value !== 'object' || value === null) {
    state.issues.push(issue('manifest-invalid', `${where(placed, path)}: expected a Kubernetes object, found ${value === null ? 'null' : typeof value}`, where(placed, path)));
    return;
  }
  const record = value as Record<string, unknown>;
  const kind = typeof record.kind === 'string' ? record.kind : inheritedKind;
  if (Array.isArray(record.items) && (kind === undefined || kind === 'List' || kind.endsWith('List'))) {
    const itemKind = kind !== undefined && kind !== 'List' ? kind.slice(0, -'List'.length) : undefined;
    record.items.forEach((item: unknown, i) => collect(item, [...path, 'items', i], placed, itemKind, state));
    return;
  }
  if (kind === undefined) {
    if (path.length === 0 && record.apiVersion === undefined && record.metadata === undefined) {
      // not an attempt at a Kubernetes object: Helm values (fix --manifests reads them) or other configuration;
      // skipped, said once, not "invalid"
      state.helmValues.push({ ...placed, path, value: record });
      const first = state.plainDocuments.where ?? where(placed, path);
      state.plainDocuments = { count: state.plainDocuments.count + 1, where: first };
      return;
    }
    state.issues.push(issue('manifest-invalid', `${where(placed, path)}: object has no "kind"`, where(placed, path), 'Every Kubernetes object needs apiVersion and kind.'));
    return;
  }
  if (!KINDS.has(kind)) {
    if (kind === 'Kustomization' && typeof record.apiVersion === 'string' && record.apiVersion.startsWith('kustomize.config.k8s.io/')) state.kustomizations.push({ ...placed, path, value: record, kind });
    for (const at of helmValuesPaths(kind, record)) {
      const values = at.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], record);
      if (values !== null && typeof values === 'object' && !Array.isArray(values)) state.helmValues.push({ ...placed, path: [...path, ...at], value: values, kind });
    }
    const entry = state.skipped.get(kind);
    if (entry === undefined) state.skipped.set(kind, { count: 1, where: where(placed, path) });
    else entry.count++;
    return;
  }
  const resourceKind = kind as ResourceKind;
  const schema: z.ZodType = OBJECT_SCHEMAS[resourceKind];
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const issuePath = [...path, ...(first?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol')];
    const at = where(placed, issuePath);
    state.failures++;
    const field = (first?.path ?? []).map(String).join('.');
    const message = (first?.message ?? 'does not match the schema').replace(/^Invalid input: /, '');
    state.issues.push(issue('manifest-invalid', `${at}: invalid ${kind}: ${field === '' ? '' : `${field}: `}${message}; the object was not checked`, at, 'Fix the object; the API server would reject it too.'));
    return;
  }
  state.kindsSeen.add(resourceKind);
  const object = parsed.data as { metadata: { name: string; namespace?: string | null | undefined } };
  const clusterScoped = CLUSTER_SCOPED_KINDS.has(resourceKind);
  if (clusterScoped) delete object.metadata.namespace;
  const implicitNamespace = !clusterScoped && (object.metadata.namespace == null || object.metadata.namespace === '');
  if (implicitNamespace) object.metadata.namespace = state.namespace;
  const key = objectKey(kind, object.metadata.namespace ?? undefined, object.metadata.name);
  if (state.placed.has(key)) {
    state.issues.push(issue('manifest-duplicate', `${where(placed, path)}: ${kind} ${object.metadata.namespace == null ? '' : `${object.metadata.namespace}/`}${object.metadata.name} is defined again (first at ${where(state.placed.get(key) ?? placed, state.placed.get(key)?.path ?? [])}); both are checked`, where(placed, path), 'kubectl apply keeps only the last one: remove the duplicate.'));
  } else {
    state.placed.set(key, { ...placed, path, value: object, implicitNamespace, kind, name: object.metadata.name });
  }
  (state.objects[resourceKind] as object[]).push(object);
  state.origins.set(object, where(placed, path));
  state.accepted++;
}

/** Field path `spec.template.spec.containers[0].securityContext` → segments; `[key]` brackets hold map keys. */
export function fieldSegments(field: string): Array<string | number> {
  const out: Array<string | number> = [];
  let i = 0;
  let current = '';
  const flush = (): void => {
    if (current !== '') out.push(current);
    current = '';
  };
  while (i < field.length) {
    const ch = field[i];
    if (ch === '.') {
      flush();
      i++;
    } else if (ch === '[') {
      flush();
      const end = field.indexOf(']', i);
      if (end < 0) break;
      const inner = field.slice(i + 1, end);
      out.push(/^\d+$/.test(inner) ? Number(inner) : inner);
      i = end + 1;
    } else {
      current += ch;
      i++;
    }
  }
  flush();
  return out;
}

function locate(placed: Placed | undefined, field: string | undefined): FindingLocation | undefined {
  if (placed === undefined) return undefined;
  const path = [...placed.path, ...(field === undefined ? [] : fieldSegments(field))];
  const { line, column } = lineOf(placed, path);
  return { file: placed.file, line, column, ...(field === undefined ? {} : { field }) };
}
