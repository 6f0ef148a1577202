/**
 * From one `runwarden clean` run (its report and the node view it planned from) to the bounded node
 * report the agent publishes (schema.ts). Pure. Lists are capped first (the largest candidates, every
 * problem up to a cap, the first issues), strings are cut, and if the JSON is still above
 * MAX_NODE_REPORT_BYTES the lists are halved until it fits; what was left out is counted, never hidden.
 */
import type { CleanupReport } from '../cleanup/schema.js';
import type { Issue } from '../core/issue.js';
import type { NodeRuntime } from '../core/node-runtime.js';
import { VERSION } from '../version.js';
import {
  MAX_LISTED_CANDIDATES,
  MAX_LISTED_ISSUES,
  MAX_LISTED_PROBLEMS,
  MAX_NODE_REPORT_BYTES,
  MAX_NODE_REPORT_WITH_HOST_BYTES,
  MAX_TEXT,
  NODE_REPORT_KIND,
  NODE_REPORT_SCHEMA_VERSION,
  type NodeReport,
  type NodeReportHost,
  type NodeReportImage,
} from './schema.js';

export interface NodeReportContext {
  /** When the report is published. */
  publishedAt: Date;
  /** The agent's `--interval`; undefined for a one-shot run. */
  intervalMs: number | undefined;
  /** The host's packages (`clean --host-root`, host.ts readHostPackages) and the issues of reading them. */
  host?: { host: NodeReportHost; issues: readonly Issue[] } | undefined;
}

/** `text` cut to `max` characters, ending in "…" when cut. */
export function cut(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

type ReportImage = CleanupReport['images'][number];

function imageResult(image: ReportImage): NodeReportImage {
  const out: NodeReportImage = { id: image.id, name: cut(image.name), sizeBytes: image.sizeBytes, createdAt: image.createdAt, result: image.result };
  const parts: string[] = [];
  if (image.result !== 'planned' && image.result !== 'removed') {
    if (image.error !== undefined) parts.push(image.error);
    else if (image.reasons[0] !== undefined) parts.push(image.reasons[0].message);
  }
  if (image.warning !== undefined) parts.push(`warning: ${image.warning}`);
  if (parts.length > 0) out.message = cut(parts.join('; '));
  return out;
}

export function buildNodeReport(report: CleanupReport, view: NodeRuntime, context: NodeReportContext): NodeReport {
  const keptBy: Record<string, number> = {};
  const results: NodeReport['results'] = {};
  for (const image of report.images) {
    results[image.result] = (results[image.result] ?? 0) + 1;
    if (image.decision === 'keep') {
      const code = image.reasons[0]?.code ?? 'unknown';
      keptBy[code] = (keptBy[code] ?? 0) + 1;
    }
  }
  const issues = [...report.issues, ...(context.host?.issues ?? [])];
  const candidates = report.images.filter((i) => i.decision === 'remove').sort((a, b) => b.sizeBytes - a.sizeBytes);
  const problems = report.images.filter((i) => i.result === 'failed' || i.result === 'skipped' || i.warning !== undefined);
  const containersByState: Record<string, number> = {};
  for (const c of view.containers) containersByState[c.state] = (containersByState[c.state] ?? 0) + 1;
  const execution = report.execution;
  const imageFs = execution?.fsAfterFresh === true && execution.fsAfter !== null ? execution.fsAfter : view.imageFs;
  const s = report.summary;
  return {
    schemaVersion: NODE_REPORT_SCHEMA_VERSION,
    kind: NODE_REPORT_KIND,
    tool: { name: 'runwarden', version: VERSION },
    node: report.node,
    publishedAt: context.publishedAt.toISOString(),
    run: report.run,
    mode: report.mode,
    plannedAt: report.plannedAt,
    intervalSeconds: context.intervalMs === undefined ? null : Math.max(1, Math.round(context.intervalMs / 1000)),
    runtime: { name: view.runtime.name, version: view.runtime.version, apiVersion: view.runtime.apiVersion, address: report.address },
    sandboxImage: report.sandboxImage,
    options: { olderThan: report.options.olderThan, maxRemovals: report.options.maxRemovals, exclusions: report.options.exclusions.length },
    cache: {
      images: report.images.length,
      imageBytes: report.images.reduce((n, i) => n + i.sizeBytes, 0),
      unusedImages: report.images.filter((i) => i.usedBy.length === 0).length,
      containers: view.containers.length,
      containersByState,
      containersComplete: view.containersComplete,
      sandboxes: view.sandboxes.length,
      imageFs: imageFs.map((f) => ({ mountpoint: f.mountpoint, usedBytes: f.usedBytes, collected: f.collected })),
    },
    plan: { candidates: s.candidates, kept: s.kept, reclaimableBytes: s.reclaimableBytes, keptBy },
    execution:
      execution === null
        ? null
        : {
            removed: s.removed,
            removedBytes: s.removedBytes,
            alreadyGone: s.alreadyGone,
            skipped: s.skipped,
            failed: s.failed,
            deferred: s.deferred,
            notAttempted: s.notAttempted,
            fsReclaimedBytes: s.fsReclaimedBytes,
            stopped: execution.stopped === null ? null : cut(execution.stopped),
          },
    results,
    candidates: candidates.slice(0, MAX_LISTED_CANDIDATES).map(imageResult),
    candidatesOmitted: Math.max(0, candidates.length - MAX_LISTED_CANDIDATES),
    problems: problems.slice(0, MAX_LISTED_PROBLEMS).map(imageResult),
    problemsOmitted: Math.max(0, problems.length - MAX_LISTED_PROBLEMS),
    issues: issues.slice(0, MAX_LISTED_ISSUES).map((i) => ({ code: i.code, message: cut(i.message) })),
    issuesOmitted: Math.max(0, issues.length - MAX_LISTED_ISSUES),
    ...(context.host === undefined ? {} : { host: context.host.host }),
  };
}

/**
 * The report as compact JSON of at most `maxBytes` (UTF-8; larger by default with host packages): while it is
 * larger, the listed candidates, then problems, then issues, then host packages are halved (the omitted counts
 * grow accordingly).
 */
export function encodeNodeReport(report: NodeReport, maxBytes = report.host === undefined ? MAX_NODE_REPORT_BYTES : MAX_NODE_REPORT_WITH_HOST_BYTES): { text: string; report: NodeReport } {
  let current = report;
  for (;;) {
    const text = JSON.stringify(current);
    if (Buffer.byteLength(text) <= maxBytes) return { text, report: current };
    const next = shrink(current);
    if (next === undefined) throw new Error(`The node report of ${report.node} does not fit in ${maxBytes} bytes even without its lists`);
    current = next;
  }
}

function shrink(report: NodeReport): NodeReport | undefined {
  for (const [list, omitted] of [
    ['candidates', 'candidatesOmitted'],
    ['problems', 'problemsOmitted'],
    ['issues', 'issuesOmitted'],
  ] as const) {
    const items = report[list];
    if (items.length === 0) continue;
    const keep = Math.floor(items.length / 2);
    return { ...report, [list]: items.slice(0, keep), [omitted]: report[omitted] + items.length - keep };
  }
  const host = report.host;
  if (host !== undefined && host.purls.length > 0) {
    const keep = Math.floor(host.purls.length / 2);
    return { ...report, host: { ...host, purls: host.purls.slice(0, keep), purlsOmitted: host.purlsOmitted + host.purls.length - keep } };
  }
  return undefined;
}
