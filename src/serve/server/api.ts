/**
 * The REST API, `/api/v1/…` (read-only; documented by openapi.ts). Query parameters are validated with zod;
 * a bad one is a 400 with one line saying what was expected. Findings, scans, trends and time-to-fix come from
 * the history store; workloads, nodes and images from the latest scan kept in memory (this replica's own, or on a
 * follower the leader's published one: serve/follow).
 */
import { z } from 'zod';
import { FINDING_KINDS, type Finding } from '../../core/finding.js';
import { formatImageReference } from '../../core/image-ref.js';
import { podKey, workloadKey } from '../../core/inventory.js';
import { SEVERITIES } from '../../core/severity.js';
import { HTML_CSP } from '../../report/html/index.js';
import { renderChunks } from '../../report/format.js';
import { FORMATS, findFormat } from '../../report/registry.js';
import type { HistoryStore, StoredFinding } from '../history/store.js';
import type { LatestScan } from '../follow/index.js';
import { imageVerdicts } from '../metrics/index.js';

export class ApiError extends Error {
  readonly status: number;
  readonly hint: string | undefined;
  constructor(status: number, message: string, hint?: string) {
    super(message);
    this.status = status;
    this.hint = hint;
  }
}

/** What the API reads of the scanning side: the latest scan (this replica's, or the leader's it loaded) and the last scan error. */
export interface ScanState {
  readonly latest: LatestScan | undefined;
  readonly lastError: string | undefined;
}

export interface ApiDeps {
  history: HistoryStore;
  monitor: ScanState;
}

const isoTime = z.iso.datetime({ offset: true });
const limit = z.coerce.number().int().min(1).max(1000);

export const FindingsQuery = z.strictObject({
  state: z.enum(['open', 'fixed', 'all']).optional(),
  severity: z.enum(SEVERITIES).optional(),
  kind: z.enum(FINDING_KINDS).optional(),
  namespace: z.string().max(253).optional(),
  rule: z.string().max(100).optional(),
  workload: z.string().max(400).optional(),
  q: z.string().max(200).optional(),
  since: isoTime.optional(),
  fixedSince: isoTime.optional(),
  limit: limit.optional(),
  cursor: z.string().max(2000).optional(),
});

const ScansQuery = z.strictObject({ limit: limit.optional(), before: isoTime.optional() });
const TrendsQuery = z.strictObject({ since: isoTime.optional(), namespace: z.string().max(253).optional() });
const SinceQuery = z.strictObject({ since: isoTime.optional() });
const WorkloadsQuery = z.strictObject({ namespace: z.string().max(253).optional(), limit: limit.optional() });
const NoQuery = z.strictObject({});

function parseQuery<T extends z.ZodType>(schema: T, params: URLSearchParams): z.infer<T> {
  const raw: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in raw) throw new ApiError(400, `Query parameter "${key}" is given twice; give it once`);
    raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.map(String).join('.') ?? '';
    const message = first?.code === 'unrecognized_keys' ? `unknown query parameter ${first.keys.map((k) => `"${k}"`).join(', ')}` : `invalid "${where}": ${first?.message ?? 'bad value'}`;
    throw new ApiError(400, `Bad request: ${message}`, 'See /api/v1/openapi.json for the parameters of each endpoint.');
  }
  return parsed.data;
}

function findingView(f: StoredFinding): Record<string, unknown> {
  return {
    fingerprint: f.fingerprint,
    rule: f.rule,
    kind: f.kind,
    severity: f.severity,
    title: f.title,
    namespace: f.namespace === '' ? null : f.namespace,
    workload: f.workload === '' ? null : f.workload,
    subject: f.subjectPath,
    firstSeen: f.firstSeen,
    openedAt: f.openedAt,
    fixedAt: f.closedAt,
    evidence: f.finding.evidence,
    remediation: f.finding.remediation,
  };
}

const ReportQuery = z.strictObject({ format: z.enum(FORMATS.map((f) => f.id) as [string, ...string[]]).optional() });

/** A report to send: how, and its text (rendered only when the client does not have it already). */
export interface RenderedReport {
  mediaType: string;
  /** The scan and the format: a client that sends it back in If-None-Match gets 304 until the next scan. */
  etag: string;
  /** The text in pieces (report/format.ts renderChunks): a large report is never one string. */
  body: () => Iterable<string>;
  /** The page's own Content-Security-Policy (the HTML report's). */
  csp: string | undefined;
  filename: string;
}

/**
 * `/api/v1/report?format=json|sarif|cyclonedx|html|table`: the latest scan's whole report in any report format, as
 * `runwarden scan --format …` writes it (for code-scanning uploads, Dependency-Track, an HTML page to archive).
 */
export function latestReport(deps: ApiDeps, params: URLSearchParams): RenderedReport {
  const q = parseQuery(ReportQuery, params);
  const latest = deps.monitor.latest;
  if (latest === undefined) throw new ApiError(503, 'No scan has finished yet in this replica', 'Ask again after the first scan (see /readyz); with --leader-elect, a follower has the leader\'s scan once the leader has published one to the shared --store postgres://….');
  const format = findFormat(q.format ?? 'json');
  if (format === undefined) throw new ApiError(400, `Bad request: unknown format "${q.format ?? ''}"`);
  return {
    mediaType: format.mediaType,
    etag: `"${latest.scanId}-${format.id}"`,
    body: () => renderChunks(format, latest.report, { color: false }),
    csp: format.id === 'html' ? HTML_CSP : undefined,
    filename: `runwarden-report.${format.extension}`,
  };
}

/** Route one API request; returns the JSON body, or throws ApiError. */
export async function handleApi(deps: ApiDeps, path: string, params: URLSearchParams): Promise<unknown> {
  const { history, monitor } = deps;
  let segments: string[];
  try {
    segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    throw new ApiError(400, `Bad request: the path /api/v1/${path} is not valid percent-encoding`);
  }
  const [resource, ...rest] = segments;
  switch (resource) {
    case 'summary': {
      parseQuery(NoQuery, params);
      const latest = await history.latestScan();
      return { scan: latest === undefined ? null : { id: latest.id, startedAt: latest.startedAt, finishedAt: latest.finishedAt, reason: latest.reason }, summary: latest?.summary ?? null, lastError: monitor.lastError ?? null };
    }
    case 'findings': {
      if (rest.length > 0) throw notFound(path);
      const q = parseQuery(FindingsQuery, params);
      const page = await history.findings({ state: q.state, severity: q.severity, kind: q.kind, namespace: q.namespace, rule: q.rule, workload: q.workload, text: q.q, openedAfter: q.since, closedAfter: q.fixedSince, limit: q.limit, cursor: q.cursor });
      return { items: page.items.map(findingView), next: page.next ?? null };
    }
    case 'scans': {
      if (rest.length > 0) throw notFound(path);
      const q = parseQuery(ScansQuery, params);
      return { items: (await history.scans({ limit: q.limit, before: q.before })).map(({ summary, ...scan }) => ({ ...scan, nodes: summary?.nodes ?? null, pods: summary?.pods ?? null })) };
    }
    case 'trends': {
      const q = parseQuery(TrendsQuery, params);
      return { items: await history.trends({ since: q.since, namespace: q.namespace }) };
    }
    case 'time-to-fix': {
      const q = parseQuery(SinceQuery, params);
      return { items: await history.timeToFix({ since: q.since }) };
    }
    case 'workloads': {
      if (rest.length === 0) {
        const q = parseQuery(WorkloadsQuery, params);
        return { items: await history.workloadRisk({ namespace: q.namespace, limit: q.limit }) };
      }
      parseQuery(NoQuery, params);
      if (rest.length !== 3) throw notFound(path);
      return workloadDetail(deps, rest.join('/'));
    }
    case 'nodes': {
      parseQuery(NoQuery, params);
      return { items: nodes(monitor) };
    }
    case 'images': {
      parseQuery(NoQuery, params);
      return { items: images(monitor) };
    }
    case 'end-of-life': {
      parseQuery(NoQuery, params);
      const page = await history.findings({ kind: 'end-of-life', limit: 1000 });
      return { items: page.items.map((f) => ({ ...findingView(f), date: eolDate(f.finding) })).sort((a, b) => String(a.date ?? '9999').localeCompare(String(b.date ?? '9999'))) };
    }
    default:
      throw notFound(path);
  }
}

function notFound(path: string): ApiError {
  return new ApiError(404, `No API resource at /api/v1/${path.replace(/^\//, '')}`, 'See /api/v1/openapi.json for the endpoints.');
}

async function workloadDetail(deps: ApiDeps, key: string): Promise<unknown> {
  const latest = deps.monitor.latest;
  const workload = latest?.inventory.workloads.find((w) => workloadKey(w) === key);
  const pods = latest?.inventory.pods.filter((p) => workloadKey(p.workload) === key) ?? [];
  const findings = await deps.history.findings({ workload: key, limit: 1000 });
  if (workload === undefined && pods.length === 0 && findings.items.length === 0) throw new ApiError(404, `No workload "${key}" in the latest scan`, 'Workload keys are namespace/Kind/name, e.g. shop/Deployment/web.');
  const [namespace, kind, name] = key.split('/');
  const containers = new Map<string, { name: string; type: string; image: string; digests: Set<string>; pods: number }>();
  for (const p of pods) {
    for (const c of p.containers) {
      const entry = containers.get(c.name) ?? { name: c.name, type: c.type, image: c.image, digests: new Set<string>(), pods: 0 };
      if (c.running?.digest !== undefined) entry.digests.add(c.running.digest);
      entry.pods++;
      containers.set(c.name, entry);
    }
  }
  return {
    namespace,
    kind,
    name,
    pods: pods.map(podKey),
    containers: [...containers.values()].map((c) => ({ ...c, digests: [...c.digests] })),
    findings: findings.items.map(findingView),
  };
}

function nodes(monitor: ScanState): unknown[] {
  const latest = monitor.latest;
  if (latest === undefined) return [];
  const caches = new Map(latest.report.summary.nodeCaches.map((n) => [n.name, n]));
  const findingsByNode = new Map<string, number>();
  for (const f of latest.report.findings) if (f.suppression === undefined && f.subject.node !== undefined) findingsByNode.set(f.subject.node, (findingsByNode.get(f.subject.node) ?? 0) + 1);
  const podsByNode = new Map<string, number>();
  for (const p of latest.inventory.pods) if (p.nodeName !== undefined) podsByNode.set(p.nodeName, (podsByNode.get(p.nodeName) ?? 0) + 1);
  return latest.inventory.nodes.map((n) => ({
    name: n.name,
    kubeletVersion: n.kubeletVersion ?? null,
    osImage: n.osImage ?? null,
    containerRuntimeVersion: n.containerRuntimeVersion ?? null,
    pods: podsByNode.get(n.name) ?? 0,
    cachedImages: caches.get(n.name)?.cachedImages ?? 0,
    cachedBytes: caches.get(n.name)?.cachedBytes ?? 0,
    staleImages: caches.get(n.name)?.staleImages ?? 0,
    reclaimableBytes: caches.get(n.name)?.reclaimableBytes ?? 0,
    findings: findingsByNode.get(n.name) ?? 0,
  }));
}

function images(monitor: ScanState): unknown[] {
  const latest = monitor.latest;
  if (latest === undefined) return [];
  const verdicts = imageVerdicts(latest.report, latest.inventory);
  const rows = new Map<string, { image: string; digests: Set<string>; containers: number; namespaces: Set<string>; findings: number }>();
  for (const p of latest.inventory.pods) {
    for (const c of p.containers) {
      const image = c.ref === undefined ? c.image : formatImageReference(c.ref);
      const row = rows.get(image) ?? { image, digests: new Set<string>(), containers: 0, namespaces: new Set<string>(), findings: 0 };
      if (c.running?.digest !== undefined) row.digests.add(c.running.digest);
      row.containers++;
      row.namespaces.add(p.namespace);
      rows.set(image, row);
    }
  }
  for (const f of latest.report.findings) {
    const row = f.subject.image === undefined ? undefined : rows.get(f.subject.image);
    if (row !== undefined && f.suppression === undefined) row.findings++;
  }
  return [...rows.values()]
    .sort((a, b) => b.findings - a.findings || a.image.localeCompare(b.image))
    .map((r) => ({ image: r.image, digests: [...r.digests], containers: r.containers, namespaces: [...r.namespaces].sort(), findings: r.findings, verdict: verdicts.get(r.image) ?? 'unflagged' }));
}

/** The end-of-life date a lifecycle finding carries in its evidence (the first ISO date among the usual keys). */
function eolDate(f: Finding): string | null {
  for (const key of ['eol', 'eolDate', 'endOfLife', 'date', 'eolAt']) {
    const value = f.evidence[key];
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) return value.slice(0, 10);
  }
  return null;
}
