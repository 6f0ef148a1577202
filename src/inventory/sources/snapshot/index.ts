/**
 * The `snapshot` inventory source: files of `kubectl get … -o json|yaml` output.
 * Accepts a directory (read recursively, `.json`, `.yaml`, `.yml`) or one file; each file holds a
 * single object, a `List`/`PodList`/… (items without `kind` take it from the list's kind), or
 * several YAML documents. A file that cannot be parsed, or an object that fails validation, becomes
 * an issue naming the file and the JSON path or YAML line; everything else is still read.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { isMap, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import { InputError, errorMessage } from '../../../core/errors.js';
import { CLUSTER_SCOPED_KINDS, RESOURCE_KINDS, type ResourceKind } from '../../../core/inventory.js';
import { issue, type Issue } from '../../../core/issue.js';
import { identityCheck } from '../../identity.js';
import { OBJECT_SCHEMAS, emptyClusterObjects, type ClusterObjects } from '../../schema.js';
import type { InventorySource, LoadOptions, SourceResult } from '../../source.js';
import { ConfigMap, isNodeReportConfigMap } from '../../schema.js';
import type { NodeReportObjects } from '../../source.js';
import { readSnapshotVersion, SNAPSHOT_VERSION_FILE } from './version.js';

const EXTENSIONS = new Set(['.json', '.yaml', '.yml']);
const KINDS = new Set<string>(RESOURCE_KINDS);

export interface SnapshotOptions {
  /** A directory or a file. */
  path: string;
  /** Label for reports (`demo` for the bundled demo). */
  type?: 'snapshot' | 'demo';
  /** Shown instead of the absolute path in origins and the report (keeps reports portable). */
  displayRoot?: string | undefined;
}

export function snapshotSource(options: SnapshotOptions): InventorySource {
  return { id: 'snapshot', load: (loadOptions) => loadSnapshot(options, loadOptions) };
}

/** Position of a document inside a file, for messages: `file.yaml:12` or `file.json $.items[3]`. */
type Locate = (path: ReadonlyArray<string | number>) => string;

interface Collector {
  objects: ClusterObjects;
  origins: WeakMap<object, string>;
  issues: Issue[];
  /**
   * kind/namespace/name → origins, to drop exact duplicates seen in two files. Objects are
   * serialised only once a name repeats (`jsons`); until then `first` is the object as read (never
   * mutated: a kept object that needs a change is copied first).
   */
  seen: Map<string, { origins: string[]; first: Record<string, unknown>; jsons: Set<string> | undefined }>;
  kindsSeen: Set<ResourceKind>;
  ignored: Map<string, number>;
  namespaces: Set<string> | undefined;
  /** The node agents' report ConfigMaps (src/agent/); undefined until one is seen. */
  nodeReports?: NodeReportObjects | undefined;
}

export async function loadSnapshot(options: SnapshotOptions, loadOptions: LoadOptions = {}): Promise<SourceResult> {
  const files = await listFiles(options.path);
  const displayRoot = options.displayRoot ?? options.path;
  const collector: Collector = {
    objects: emptyClusterObjects(),
    origins: new WeakMap(),
    issues: [],
    seen: new Map(),
    kindsSeen: new Set(),
    ignored: new Map(),
    namespaces: loadOptions.namespaces === undefined ? undefined : new Set(loadOptions.namespaces),
  };
  // The next file is read (off the main thread) while this one is parsed, into one buffer for all
  // files: a file's bytes are decoded before the next read starts.
  const scratch = { buffer: Buffer.alloc(0) };
  const read = (file: string): Promise<string | { error: unknown }> => readText(file, scratch, loadOptions.signal).catch((error: unknown) => ({ error }));
  let next: ReturnType<typeof read> | undefined;
  for (const [i, file] of files.entries()) {
    const text = await (next ?? read(file));
    loadOptions.signal?.throwIfAborted();
    const following = files[i + 1];
    next = following === undefined ? undefined : read(following);
    const display = displayName(file, options.path, displayRoot);
    if (typeof text !== 'string') {
      collector.issues.push(issue('snapshot-read', `Cannot read ${display}: ${errorMessage(text.error)}`, display));
      continue;
    }
    parseFile(text, display, collector);
  }
  for (const [key, entry] of collector.seen) {
    if (entry.jsons !== undefined && entry.jsons.size > 1) {
      collector.issues.push(issue('snapshot-conflict', `${key} appears ${entry.jsons.size} times with different content (${entry.origins.join(', ')}); all copies are kept`, entry.origins[0], 'A live cluster has one object per name: dump each cluster into its own snapshot.'));
    }
  }
  for (const [kind, count] of collector.ignored) {
    collector.issues.push(issue('snapshot-ignored-kind', `Ignored ${count} object(s) of kind ${kind}: not part of the inventory`, displayRoot));
  }
  if (files.length > 0 && collector.kindsSeen.size === 0) {
    collector.issues.push(issue('snapshot-empty', `No Kubernetes objects of a known kind in ${displayRoot}`, displayRoot, `Expected kubectl output, e.g. "kubectl get pods,nodes -A -o json > cluster.json".`));
  }
  for (const kind of RESOURCE_KINDS) loadOptions.onProgress?.({ kind, count: collector.objects[kind].length });
  return {
    source: { type: options.type ?? 'snapshot', location: displayRoot },
    objects: collector.objects,
    origins: collector.origins,
    // A snapshot is complete for a kind when it contains that kind at all: the user dumped it.
    complete: RESOURCE_KINDS.filter((k) => collector.kindsSeen.has(k)),
    namespaces: loadOptions.namespaces,
    issues: collector.issues,
    nodeReports: collector.nodeReports === undefined ? undefined : { ...collector.nodeReports, location: displayRoot },
    controlPlane: await readSnapshotVersion(options.path, displayRoot),
  };
}

async function listFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new InputError(path, `Cannot read snapshot "${path}": ${errorMessage(error)}`, {
      hint: 'Pass a directory or file of "kubectl get … -o json|yaml" output to --snapshot.',
      cause: error,
    });
  }
  if (info.isFile()) return [path];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (dir === path && entry.name === SNAPSHOT_VERSION_FILE) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
    }
  };
  await walk(path);
  if (out.length === 0) {
    throw new InputError(path, `No .json, .yaml or .yml files in snapshot directory "${path}"`, {
      hint: 'Save cluster state with e.g. "kubectl get nodes,pods,deploy,rs,ds,sts,jobs,cronjobs,svc,netpol,ns,sa,roles,clusterroles,rolebindings,clusterrolebindings -A -o json > cluster.json".',
    });
  }
  return out;
}

/**
 * The file as text, as `readFile(file, 'utf8')` returns it, with less work on large dumps: one read
 * into one buffer and one decoding (not 512 KiB chunks decoded one by one and joined, which JSON.parse
 * then copies again into one flat string). Not Latin-1 for ASCII files: Node makes large Latin-1
 * strings external, which JSON.parse reads far slower (measured ×1.5 CPU on bench/inventory).
 */
async function readText(file: string, scratch: { buffer: Buffer }, signal: AbortSignal | undefined): Promise<string> {
  signal?.throwIfAborted();
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    // One byte more than the size, so the end of the file is one read of 0 bytes.
    if (scratch.buffer.length <= size) scratch.buffer = Buffer.allocUnsafe(Math.max(size + 1, 64 * 1024));
    let length = 0;
    for (;;) {
      if (length === scratch.buffer.length) {
        // The file grew while it was read (or has no size, like a pipe): keep reading.
        const bigger = Buffer.allocUnsafe(scratch.buffer.length * 2);
        scratch.buffer.copy(bigger, 0, 0, length);
        scratch.buffer = bigger;
      }
      const { bytesRead } = await handle.read(scratch.buffer, length, scratch.buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      signal?.throwIfAborted();
    }
    return scratch.buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

function displayName(file: string, root: string, displayRoot: string): string {
  const rel = relative(root, file);
  return rel === '' ? displayRoot : join(displayRoot, rel);
}

function parseFile(text: string, file: string, collector: Collector): void {
  const trimmed = text.trimStart();
  if (trimmed === '') {
    collector.issues.push(issue('snapshot-empty-file', `${file} is empty`, file));
    return;
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      collector.issues.push(issue('snapshot-parse', `${file}: invalid JSON ${jsonErrorPosition(text, error)}`, file, 'Re-export the file with "kubectl get … -o json".'));
      return;
    }
    const locate: Locate = (path) => `${file} ${jsonPath(path)}`;
    collectValue(value, [], locate, undefined, collector);
    return;
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
  // parseAllDocuments returns an EmptyStream for a file of comments only
  if (!Array.isArray(docs)) return;
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      const first = doc.errors[0];
      const pos = first === undefined ? undefined : lineCounter.linePos(first.pos[0]);
      const line = pos === undefined ? '?' : `${pos.line}`;
      const message = (first?.message.split('\n')[0] ?? 'parse error').replace(/ at line \d+, column \d+:?$/, '') + (pos === undefined ? '' : ` (column ${pos.col})`);
      collector.issues.push(issue('snapshot-parse', `${file}:${line}: invalid YAML (document ${index + 1}): ${message}`, `${file}:${line}`, 'Fix the YAML or re-export with "kubectl get … -o yaml".'));
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    const locate: Locate = (path) => `${file}:${yamlLine(doc, lineCounter, path)}`;
    collectValue(value, [], locate, undefined, collector);
  });
}

function collectValue(value: unknown, path: Array<string | number>, locate: Locate, inheritedKind: string | undefined, collector: Collector): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => collectValue(item, [...path, i], locate, inheritedKind, collector));
    return;
  }
  if (typeof value !== 'object' || value === null) {
    collector.issues.push(issue('snapshot-invalid', `${locate(path)}: expected a Kubernetes object, found ${value === null ? 'null' : typeof value}`, locate(path)));
    return;
  }
  const record = value as Record<string, unknown>;
  const kind = typeof record.kind === 'string' ? record.kind : inheritedKind;
  if (Array.isArray(record.items) && (kind === undefined || kind === 'List' || kind.endsWith('List'))) {
    const itemKind = kind !== undefined && kind !== 'List' ? kind.slice(0, -'List'.length) : undefined;
    if (itemKind !== undefined && KINDS.has(itemKind)) collector.kindsSeen.add(itemKind as ResourceKind);
    record.items.forEach((item: unknown, i) => collectValue(item, [...path, 'items', i], locate, itemKind, collector));
    return;
  }
  if (kind === undefined) {
    collector.issues.push(issue('snapshot-invalid', `${locate(path)}: object has no "kind"`, locate(path), 'Each object needs "kind" (kubectl output always has it).'));
    return;
  }
  if (kind === 'ConfigMap' && collectNodeReport(record, locate(path), collector)) return;
  if (!KINDS.has(kind)) {
    collector.ignored.set(kind, (collector.ignored.get(kind) ?? 0) + 1);
    return;
  }
  const resourceKind = kind as ResourceKind;
  collector.kindsSeen.add(resourceKind);
  const schema: z.ZodType = OBJECT_SCHEMAS[resourceKind];
  type Envelope = { metadata: { name: string; namespace?: string | null | undefined } };
  let object: Envelope;
  if (identityCheck(schema)(record)) {
    // Valid, and zod's copy would equal the object as read: keep it (see identity.ts).
    object = record as Envelope;
  } else {
    const parsed = schema.safeParse(record);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const issuePath = [...path, ...(first?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol')];
      const where = locate(issuePath);
      const name = objectName(record);
      collector.issues.push(issue('snapshot-invalid', `${where}: invalid ${kind}${name}: ${first?.message ?? 'does not match the schema'} at ${jsonPath(first?.path ?? [])}`, where, 'The object was skipped; fix or re-export it.'));
      return;
    }
    object = parsed.data as Envelope;
  }
  const clusterScoped = CLUSTER_SCOPED_KINDS.has(resourceKind);
  // The object may be the record as read, which stays unchanged for duplicate detection: metadata
  // is replaced by a changed copy, never edited in place.
  if (!clusterScoped && (object.metadata.namespace === undefined || object.metadata.namespace === null || object.metadata.namespace === '')) {
    // As kubectl apply does: a namespaced object without a namespace lives in "default".
    object = { ...object, metadata: { ...object.metadata, namespace: 'default' } };
  }
  if (clusterScoped && object.metadata.namespace !== undefined && object.metadata.namespace !== null && object.metadata.namespace !== '') {
    // kubectl ignores metadata.namespace on cluster-scoped objects; so does the inventory.
    const { namespace: _ignored, ...metadata } = object.metadata;
    object = { ...object, metadata };
  }
  if (collector.namespaces !== undefined) {
    const ns = resourceKind === 'Namespace' ? object.metadata.name : object.metadata.namespace;
    if (ns !== undefined && ns !== null && (resourceKind === 'Namespace' || !clusterScoped) && !collector.namespaces.has(ns)) return;
  }
  const origin = locate(path);
  const key = `${kind} ${object.metadata.namespace ?? ''}${object.metadata.namespace == null ? '' : '/'}${object.metadata.name}`;
  const previous = collector.seen.get(key);
  if (previous !== undefined) {
    // The same object dumped twice (a List and a single file): drop the copy. Different content
    // under one name is kept as it is (never drop data) and reported once per name.
    previous.jsons ??= new Set([JSON.stringify(previous.first)]);
    const json = JSON.stringify(record);
    if (previous.jsons.has(json)) return;
    previous.jsons.add(json);
    previous.origins.push(origin);
  } else {
    collector.seen.set(key, { origins: [origin], first: record, jsons: undefined });
  }
  (collector.objects[resourceKind] as object[]).push(object);
  collector.origins.set(object, origin);
}

function objectName(record: Record<string, unknown>): string {
  const meta = record.metadata;
  if (typeof meta === 'object' && meta !== null && typeof (meta as Record<string, unknown>).name === 'string') {
    return ` "${String((meta as Record<string, unknown>).name)}"`;
  }
  return '';
}

export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '$';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

function yamlLine(doc: Document, lineCounter: LineCounter, path: ReadonlyArray<string | number>): number {
  // Walk down as far as the path exists; report the line of the deepest node found.
  let node: unknown = doc.contents;
  let best: number | undefined;
  const lineOf = (n: unknown): number | undefined => {
    const range = (n as { range?: [number, number, number] } | null)?.range;
    return range === undefined ? undefined : lineCounter.linePos(range[0]).line;
  };
  best = lineOf(node);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (pair === undefined) break;
      best = lineOf(pair.key) ?? best;
      node = pair.value;
    } else if (node !== null && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items) && typeof key === 'number') {
      node = (node as { items: unknown[] }).items[key];
      if (node === undefined) break;
      best = lineOf(node) ?? best;
    } else {
      break;
    }
  }
  return best ?? 1;
}

function jsonErrorPosition(text: string, error: unknown): string {
  const message = errorMessage(error);
  const match = /position (\d+)/.exec(message);
  if (match?.[1] === undefined) return `(${message})`;
  const pos = Number(match[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `at line ${line} column ${column} (${message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*$/, '')})`;
}

/**
 * A ConfigMap labelled as a node agent's report (`kubectl get cm -n runwarden-node -l
 * app.kubernetes.io/component=node-report -o json`) goes to `nodeReports`; any other ConfigMap is
 * not part of the inventory. Returns whether it was taken.
 */
function collectNodeReport(record: Record<string, unknown>, origin: string, collector: Collector): boolean {
  const parsed = ConfigMap.safeParse(record);
  if (!parsed.success || !isNodeReportConfigMap(parsed.data)) return false;
  collector.nodeReports ??= { location: '', status: 'read', configMaps: [], origins: new WeakMap() };
  const name = `${parsed.data.metadata.namespace ?? ''}/${parsed.data.metadata.name}`;
  // The same report dumped twice (a List and a single file): keep the first.
  if (collector.nodeReports.configMaps.some((c) => `${c.metadata.namespace ?? ''}/${c.metadata.name}` === name && JSON.stringify(c.data) === JSON.stringify(parsed.data.data))) return true;
  collector.nodeReports.configMaps.push(parsed.data);
  collector.nodeReports.origins.set(parsed.data, origin);
  return true;
}
