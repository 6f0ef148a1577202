/**
 * Followers of a shared history store serve the leader's latest scan (PRODUCT.md C10, C11): with
 * `--leader-elect` and `--store postgres://…`, only the leader scans; it publishes its latest report and the
 * parts of its inventory the API and the admission webhook read (one row of `history_latest`, replaced by each
 * scan), and each follower polls that row and loads a new scan when one appears. So every replica answers
 * admission reviews from verdicts, and `/api/v1/report`, the nodes, images and workload pages, the same way.
 */
import { constants as bufferConstants } from 'node:buffer';
import { once } from 'node:events';
// `turn()`: let the event loop run (API requests, admission reviews) between the long steps of reading a body
import { setImmediate as turn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createGzip, gunzip, constants as zlibConstants } from 'node:zlib';
import { z } from 'zod';
import { AppError, errorMessage } from '../../core/errors.js';
import { parseImageReference, type ImageReference, type RunningImage } from '../../core/image-ref.js';
import type { ContainerType, Inventory, NamespaceInfo, NodeInfo, WorkloadRef } from '../../core/inventory.js';
import type { ScanReport } from '../../core/report.js';
import { compactJsonChunks, utf8Batches } from '../../report/json-text.js';
import { reportFromJson } from '../../report/json/read.js';
import type { HistoryStore } from '../history/store.js';
import type { Logger } from '../log.js';

const gunzipAsync = promisify(gunzip);

/** The encoding's name and version, first in every body: a follower refuses what it cannot read, with the reason. */
export const LATEST_FORMAT = 'runwarden-latest-scan/1';
/**
 * Largest JSON a body holds: what a follower can parse, one string of at most V8's length limit (2^29 - 24
 * characters; its UTF-8 is never shorter). bench/follow's 30,000-pod scan is ~28 MiB of it; the same cluster with
 * its running images read and matched (bench/scan-images, ~640,000 vulnerability findings) is ~1.3 GiB, so the
 * leader stops encoding such a scan, says so, and does not publish it (encodeLatest).
 */
const MAX_BODY_JSON_BYTES = bufferConstants.MAX_STRING_LENGTH;
/** Default time between a follower's polls of the published scan. */
export const FOLLOW_INTERVAL_MS = 10_000;

export interface ViewContainer {
  name: string;
  type: ContainerType;
  image: string;
  ref: ImageReference | undefined;
  running: RunningImage | undefined;
}

export interface ViewPod {
  namespace: string;
  name: string;
  nodeName: string | undefined;
  workload: WorkloadRef;
  containers: readonly ViewContainer[];
}

/** What the API pages and the admission webhook read of an inventory (an Inventory is one). */
export interface InventoryView {
  namespaces: readonly NamespaceInfo[];
  nodes: ReadonlyArray<Pick<NodeInfo, 'name' | 'kubeletVersion' | 'osImage' | 'containerRuntimeVersion'>>;
  pods: readonly ViewPod[];
  workloads: readonly WorkloadRef[];
}

/** A finished scan as the API and the admission webhook read it: this replica's own (monitor.ts Latest) or the leader's, loaded. */
export interface LatestScan {
  scanId: string;
  finishedAt: Date;
  report: ScanReport;
  inventory: InventoryView;
}

/** The view's fields only, new objects: the inventory's raw API objects and specs stay with the leader. */
export function inventoryView(inventory: Inventory | InventoryView): InventoryView {
  return {
    namespaces: inventory.namespaces.map((n) => ({ name: n.name, labels: n.labels, annotations: n.annotations })),
    nodes: inventory.nodes.map((n) => ({ name: n.name, kubeletVersion: n.kubeletVersion, osImage: n.osImage, containerRuntimeVersion: n.containerRuntimeVersion })),
    pods: inventory.pods.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      nodeName: p.nodeName,
      workload: { kind: p.workload.kind, name: p.workload.name, namespace: p.workload.namespace },
      containers: p.containers.map((c) => ({ name: c.name, type: c.type, image: c.image, ref: c.ref, running: c.running })),
    })),
    workloads: inventory.workloads.map((w) => ({ kind: w.kind, name: w.name, namespace: w.namespace })),
  };
}

const CONTAINER_TYPES: readonly ContainerType[] = ['init', 'regular', 'ephemeral'];
const RUNNING_KINDS: ReadonlyArray<RunningImage['kind']> = ['repo-digest', 'image-id'];

/**
 * Pods as rows over one table of the strings they repeat (namespaces, nodes, workload kinds, images, digests,
 * repositories): a 30,000-pod cluster's pods are ~3 MiB of JSON this way instead of ~28 MiB as objects, which
 * is what a follower parses. A container's parsed reference is not written: it is `parseImageReference(image)`,
 * as the inventory made it, and the follower parses each distinct image once.
 * Row: [namespace, name, node (-1: none), workload kind, workload name, containers]; container: [name, type,
 * image, running digest (-1: none), running kind, running repository (-1: none)]; numbers are table indexes but
 * for the type and kind (their position in CONTAINER_TYPES and RUNNING_KINDS).
 */
interface PodTable {
  strings: string[];
  rows: Array<[number, string, number, number, string, Array<[string, number, number, number, number, number]>]>;
}

function podTable(pods: readonly ViewPod[]): PodTable {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const at = (value: string | undefined): number => {
    if (value === undefined) return -1;
    let i = index.get(value);
    if (i === undefined) {
      i = strings.push(value) - 1;
      index.set(value, i);
    }
    return i;
  };
  const rows: PodTable['rows'] = pods.map((p) => [
    at(p.namespace),
    p.name,
    at(p.nodeName),
    at(p.workload.kind),
    p.workload.name,
    p.containers.map((c) => [c.name, CONTAINER_TYPES.indexOf(c.type), at(c.image), at(c.running?.digest), c.running === undefined ? -1 : RUNNING_KINDS.indexOf(c.running.kind), at(c.running?.repository)]),
  ]);
  return { strings, rows };
}

const index = z.number().int().min(-1);
const Labels = z.record(z.string(), z.string());
const WorkloadRefJson = z.object({ kind: z.string(), name: z.string(), namespace: z.string() });
const PodTableJson = z
  .object({
    strings: z.array(z.string()),
    rows: z.array(z.tuple([index, z.string(), index, index, z.string(), z.array(z.tuple([z.string(), z.number().int().min(0).max(CONTAINER_TYPES.length - 1), index, index, z.number().int().min(-1).max(RUNNING_KINDS.length - 1), index]))])),
  })
  .superRefine((table, ctx) => {
    // every index names a string of the table: a row that does not is refused, not read as undefined
    const size = table.strings.length;
    const bad = (i: number, required: boolean): boolean => i >= size || (required && i < 0);
    for (const [r, [ns, , node, kind, , containers]] of table.rows.entries()) {
      if (bad(ns, true) || bad(node, false) || bad(kind, true) || containers.some(([, , image, digest, , repository]) => bad(image, true) || bad(digest, false) || bad(repository, false))) {
        ctx.addIssue({ code: 'custom', path: ['rows', r], message: `an index outside the ${size} strings of the table` });
        return;
      }
    }
  });
const LatestJson = z.object({
  format: z.literal(LATEST_FORMAT),
  scanId: z.string().min(1),
  finishedAt: z.iso.datetime(),
  inventory: z.object({
    namespaces: z.array(z.object({ name: z.string(), labels: Labels, annotations: Labels })),
    nodes: z.array(z.object({ name: z.string(), kubeletVersion: z.string().nullish(), osImage: z.string().nullish(), containerRuntimeVersion: z.string().nullish() })),
    pods: PodTableJson,
    workloads: z.array(WorkloadRefJson),
  }),
  report: z.unknown(),
});

/** The pods of a table, each distinct image parsed once (an invalid one has no reference, as in the inventory). */
function podsOf(table: z.infer<typeof PodTableJson>): ViewPod[] {
  const { strings } = table;
  const text = (i: number): string => strings[i] as string;
  const optionalText = (i: number): string | undefined => (i < 0 ? undefined : strings[i]);
  const refs = new Map<number, ImageReference | undefined>();
  const refOf = (i: number): ImageReference | undefined => {
    if (refs.has(i)) return refs.get(i);
    let ref: ImageReference | undefined;
    try {
      ref = text(i) === '' ? undefined : parseImageReference(text(i));
    } catch {
      ref = undefined;
    }
    refs.set(i, ref);
    return ref;
  };
  return table.rows.map(([ns, name, node, kind, workload, containers]) => ({
    namespace: text(ns),
    name,
    nodeName: optionalText(node),
    workload: { kind: text(kind), name: workload, namespace: text(ns) },
    containers: containers.map(([cname, type, image, digest, runningKind, repository]) => ({
      name: cname,
      type: CONTAINER_TYPES[type] as ContainerType,
      image: text(image),
      ref: refOf(image),
      running: digest < 0 ? undefined : { digest: text(digest), kind: RUNNING_KINDS[runningKind] ?? 'repo-digest', repository: optionalText(repository) },
    })),
  }));
}

/**
 * The published body of a scan: base64 of the gzip of one JSON document (portable text in SQLite and PostgreSQL).
 * The JSON is written in pieces into the compressor, never as one string: a scan of a large cluster with its images
 * read is more text than one string can hold, and building it held the event loop for seconds and the heap for
 * another gigabyte before V8 gave up (docs/PERFORMANCE.md, bench/follow). A document that passes `maxJsonBytes`
 * is abandoned where it passes it: ScanTooLargeToPublishError, nothing published.
 */
export async function encodeLatest(scan: LatestScan, maxJsonBytes = MAX_BODY_JSON_BYTES): Promise<string> {
  const view = inventoryView(scan.inventory);
  const inventory = { ...view, pods: podTable(view.pods) };
  const document = { format: LATEST_FORMAT, scanId: scan.scanId, finishedAt: scan.finishedAt.toISOString(), inventory, report: scan.report };
  const gz = createGzip({ level: zlibConstants.Z_BEST_SPEED });
  const packed: Buffer[] = [];
  gz.on('data', (chunk: Buffer) => packed.push(chunk));
  const ended = once(gz, 'end');
  // an error of the compressor rejects `ended`: awaited in the loop's race or at the end (never unhandled)
  ended.catch(() => undefined);
  let bytes = 0;
  try {
    for (const batch of utf8Batches(compactJsonChunks(document))) {
      bytes += batch.length;
      if (bytes > maxJsonBytes) throw new ScanTooLargeToPublishError(scan, maxJsonBytes);
      // each batch (1 MiB) fills the compressor's buffer: the event loop runs while it drains
      if (!gz.write(batch)) await Promise.race([once(gz, 'drain'), ended]);
    }
    gz.end();
    await ended;
  } finally {
    gz.destroy();
  }
  return Buffer.concat(packed).toString('base64');
}

/** A scan whose JSON is more than a follower could read: not published; the followers keep the scan they have. */
export class ScanTooLargeToPublishError extends AppError {
  constructor(scan: LatestScan, maxJsonBytes: number) {
    super('follow', `Scan ${scan.scanId} is too large to publish for the followers: its JSON passes ${size(maxJsonBytes)} (${scan.report.findings.length} findings), more than a follower can read`, {
      hint: 'The followers keep the scan they have. Run one replica, or scan less per service (--namespace), so the scan fits.',
    });
  }
}

const size = (bytes: number): string => (bytes >= 1048576 ? `${Math.floor(bytes / 1048576)} MiB` : `${Math.floor(bytes / 1024)} KiB`);

/**
 * Read a published body back; one line naming what is wrong when it is not a scan this runwarden can read.
 * Inflating runs on libuv's pool; parsing and each validation hold the event loop in turn, with a turn of it
 * in between.
 */
export async function decodeLatest(body: string, label: string, maxJsonBytes = MAX_BODY_JSON_BYTES): Promise<LatestScan> {
  let json: string;
  try {
    json = (await gunzipAsync(Buffer.from(body, 'base64'), { maxOutputLength: maxJsonBytes })).toString('utf8');
    await turn();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AppError('follow', `${label} holds more than ${size(maxJsonBytes)} of JSON, more than this runwarden can read`, { hint: 'A leader of this version does not publish such a scan; run the same runwarden version on every replica.' });
    }
    throw new AppError('follow', `${label} is not a gzip body: ${errorMessage(error)}`, { hint: 'The leader publishes it after each scan; it is replaced by the next one.' });
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new AppError('follow', `${label} is not JSON: ${errorMessage(error)}`, { hint: 'The leader publishes it after each scan; it is replaced by the next one.' });
  }
  await turn();
  const format = typeof value === 'object' && value !== null && 'format' in value ? value.format : undefined;
  if (format !== LATEST_FORMAT) {
    throw new AppError('follow', `${label} is in format ${JSON.stringify(format ?? null)}; this runwarden reads ${LATEST_FORMAT}`, { hint: 'Run the same runwarden version on every replica (a rolling upgrade passes once the leader runs the new one).' });
  }
  const parsed = LatestJson.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AppError('follow', `${label} does not match ${LATEST_FORMAT}: ${first === undefined ? 'invalid' : `${first.path.join('.')}: ${first.message}`}`, { hint: 'Run the same runwarden version on every replica.' });
  }
  await turn();
  const report = reportFromJson(parsed.data.report, label);
  const { inventory } = parsed.data;
  return {
    scanId: parsed.data.scanId,
    finishedAt: new Date(parsed.data.finishedAt),
    report,
    inventory: {
      namespaces: inventory.namespaces,
      nodes: inventory.nodes.map((n) => ({ name: n.name, kubeletVersion: n.kubeletVersion ?? undefined, osImage: n.osImage ?? undefined, containerRuntimeVersion: n.containerRuntimeVersion ?? undefined })),
      pods: podsOf(inventory.pods),
      workloads: inventory.workloads,
    },
  };
}

/** Publish the leader's scan (after it is stored). Returns the body's size in bytes, or undefined when a newer scan was there already. */
export async function publishLatest(history: HistoryStore, scan: LatestScan, now: Date): Promise<number | undefined> {
  const body = await encodeLatest(scan);
  return (await history.publishLatest({ scanId: scan.scanId, finishedAt: scan.finishedAt, publishedAt: now, body })) ? body.length : undefined;
}

export interface FollowerOptions {
  history: HistoryStore;
  log: Logger;
  /** Time between polls of the published scan (default FOLLOW_INTERVAL_MS). */
  intervalMs?: number | undefined;
  /** While true (this replica leads), polls are skipped: its own scans are the latest. */
  paused?: (() => boolean) | undefined;
}

/**
 * Polls the published scan and keeps the last one it could read. A body it cannot read, or a store that does
 * not answer, keeps the previous scan and is logged once per distinct error.
 */
export class Follower {
  private readonly options: FollowerOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private loggedError: string | undefined;
  /** The leader's latest scan, as last loaded. */
  latest: LatestScan | undefined;
  /** Whether the store held a published scan at the last poll (false: the leader has not published one yet). */
  published = false;
  /** Why the last poll could not load the published scan; undefined when it could (or nothing was published). */
  lastError: string | undefined;

  constructor(options: FollowerOptions) {
    this.options = options;
  }

  /** Poll now, then every interval until stopped. */
  start(): Promise<void> {
    const first = this.poll();
    const schedule = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.poll().finally(schedule);
      }, this.options.intervalMs ?? FOLLOW_INTERVAL_MS);
      this.timer.unref();
    };
    void first.finally(schedule);
    return first;
  }

  /** One poll: load the published scan when it is not the one held. Never throws; polls do not overlap. */
  poll(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private async pollOnce(): Promise<void> {
    if (this.stopped || this.options.paused?.() === true) return;
    const { history, log } = this.options;
    try {
      const head = await history.publishedScan();
      this.published = head !== undefined;
      if (head === undefined || head.scanId === this.latest?.scanId) {
        this.lastError = undefined;
        return;
      }
      const row = await history.publishedBody();
      if (row === undefined) return;
      const started = performance.now();
      const scan = await decodeLatest(row.body, `the published scan ${row.scanId}`);
      // a scan older than the one held (a deposed leader's late write) is not taken
      if (this.latest !== undefined && scan.finishedAt < this.latest.finishedAt) return;
      this.latest = scan;
      this.lastError = undefined;
      this.loggedError = undefined;
      log('info', "loaded the leader's latest scan", { scan: scan.scanId, finishedAt: scan.finishedAt.toISOString(), findings: scan.report.findings.length, bytes: row.body.length, ms: Math.round(performance.now() - started) });
    } catch (error) {
      this.lastError = errorMessage(error);
      if (this.lastError !== this.loggedError) {
        this.loggedError = this.lastError;
        log('warn', "cannot load the leader's latest scan; keeping the previous one", { error: this.lastError, hint: error instanceof AppError ? error.hint : undefined, held: this.latest?.scanId ?? null });
      }
    }
  }
}
