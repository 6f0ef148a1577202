/**
 * The cluster scan's view of the node agents: per node, the cleanup plan computed from
 * `Node.status.images` (the stale-image summary) next to the agent's own report, with issues for
 * what is missing or wrong. Pure.
 *
 * - A report older than the stale threshold is `stale` (an issue): the agent stopped, or cannot write.
 * - A node that runs an agent pod but has no report is `absent` (an issue) — only when every pod was
 *   read, otherwise agent pods cannot be told apart from unread ones.
 * - An undecodable ConfigMap is `malformed` (the decoder's issue); a report for a node the inventory
 *   does not have is an issue (a deleted node's report stays behind: nothing owns it).
 * - Reports that could not be listed matter only where agents run; without agents there is nothing to
 *   read and no issue, so a cluster without agents (and without the Role) scans as before.
 */
import type { Inventory } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import { NODE_AGENTS_SCHEMA_VERSION, type NodeAgentResult, type NodeAgentRow, type NodeAgentsSummary, type NodeSummary } from '../core/report.js';
import type { NodeReportObjects } from '../inventory/source.js';
import { decodeNodeReport, nodeReportName } from './configmap.js';
import type { NodeReport } from './schema.js';

/** Default stale threshold; an agent with a longer `--interval` gets twice its interval. */
export const DEFAULT_STALE_AFTER_HOURS = 48;
/** How many of an agent's candidates the scan report repeats. */
const TOP_CANDIDATES = 5;
const HOUR_MS = 3_600_000;

export interface NodeAgentsOptions {
  now: Date;
  /** Fixed stale threshold; default: max(48 h, twice the agent's interval), per report. */
  staleAfterMs?: number | undefined;
}

/** Labels of the node agent's pods (deploy/node-agent/daemonset.yaml). */
export const AGENT_POD_LABELS = { 'app.kubernetes.io/name': 'runwarden', 'app.kubernetes.io/component': 'node-agent' } as const;

export function nodeAgentsSummary(inventory: Inventory, nodeCaches: NodeSummary[], objects: NodeReportObjects | undefined, options: NodeAgentsOptions): { summary: NodeAgentsSummary | undefined; issues: Issue[] } {
  const issues: Issue[] = [];
  const agentNodes = new Set<string>();
  for (const pod of inventory.pods) {
    if (pod.nodeName === undefined || pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
    if (Object.entries(AGENT_POD_LABELS).every(([k, v]) => pod.labels[k] === v)) agentNodes.add(pod.nodeName);
  }
  const podsKnown = inventory.coverage.complete.includes('Pod') && inventory.coverage.namespaces === undefined;

  const reports = new Map<string, { report: NodeReport; configMap: string; origin: string }>();
  const malformed = new Set<string>();
  for (const configMap of objects?.configMaps ?? []) {
    const origin = objects?.origins.get(configMap) ?? objects?.location ?? '';
    const decoded = decodeNodeReport(configMap, origin);
    if (!decoded.ok) {
      issues.push(decoded.issue);
      // A malformed report of a known node still marks that node (by its ConfigMap name, when it follows the pattern).
      malformed.add(decoded.configMap);
      continue;
    }
    const previous = reports.get(decoded.report.node);
    if (previous === undefined || previous.report.publishedAt < decoded.report.publishedAt) reports.set(decoded.report.node, { report: decoded.report, configMap: decoded.configMap, origin });
  }
  if (objects === undefined || (reports.size === 0 && malformed.size === 0 && agentNodes.size === 0)) return { summary: undefined, issues };

  const unreadable = objects.status === 'unreadable';
  if (unreadable && objects.issue !== undefined) issues.push(objects.issue);
  const caches = new Map(nodeCaches.map((n) => [n.name, n]));
  const names = [...new Set([...inventory.nodes.map((n) => n.name), ...reports.keys(), ...agentNodes])].sort();
  const nodesKnown = inventory.coverage.complete.includes('Node');
  let thresholdHours = options.staleAfterMs === undefined ? DEFAULT_STALE_AFTER_HOURS : options.staleAfterMs / HOUR_MS;
  const rows: NodeAgentRow[] = [];
  for (const name of names) {
    const cache = caches.get(name);
    const statusImages = cache === undefined ? null : { cachedImages: cache.cachedImages, cachedBytes: cache.cachedBytes, staleImages: cache.staleImages, reclaimableBytes: cache.reclaimableBytes };
    const agentPod = agentNodes.has(name);
    const found = reports.get(name);
    if (found !== undefined) {
      const { report, configMap, origin: location } = found;
      const ageMs = Math.max(0, options.now.getTime() - Date.parse(report.publishedAt));
      const staleAfterMs = options.staleAfterMs ?? Math.max(DEFAULT_STALE_AFTER_HOURS * HOUR_MS, 2 * (report.intervalSeconds ?? 0) * 1000);
      if (options.staleAfterMs === undefined) thresholdHours = Math.max(thresholdHours, staleAfterMs / HOUR_MS);
      const stale = ageMs > staleAfterMs;
      if (stale) {
        issues.push(
          issue(
            'node-report-stale',
            `The node agent's report for node ${name} is ${formatHours(ageMs)} old (published ${report.publishedAt}, stale after ${formatHours(staleAfterMs)}); its figures may no longer hold`,
            location,
            agentPod ? `The agent pod on ${name} runs but has not published since: check its logs ("kubectl -n ${namespaceOf(configMap)} logs" on the runwarden-node-agent pod of that node).` : `No agent pod runs on ${name}: deploy the DaemonSet (deploy/node-agent) or delete the ConfigMap ${configMap}.`,
          ),
        );
      }
      if (statusImages === null && nodesKnown) {
        issues.push(issue('node-report-unknown-node', `ConfigMap ${configMap} reports node ${name}, which the cluster does not have (a deleted node's report stays behind)`, location, `Delete it: kubectl -n ${namespaceOf(configMap)} delete configmap ${configMap.slice(configMap.indexOf('/') + 1)}`));
      }
      rows.push({ node: name, statusImages, agentPod, report: stale ? 'stale' : 'fresh', agent: agentResult(report, configMap, ageMs) });
      continue;
    }
    const isMalformed = [...malformed].some((m) => m.endsWith(`/${nodeReportName(name)}`));
    let state: NodeAgentRow['report'] = 'none';
    if (isMalformed) state = 'malformed';
    else if (agentPod && unreadable) state = 'unreadable';
    else if (agentPod) {
      state = 'absent';
      if (podsKnown) {
        issues.push(
          issue(
            'node-report-absent',
            `A runwarden node agent pod runs on node ${name}, but it has published no report`,
            objects.location,
            'Check that the agent runs with --publish-report and may write ConfigMaps (the Role in deploy/node-agent/rbac.yaml), and its logs.',
          ),
        );
      }
    }
    rows.push({ node: name, statusImages, agentPod, report: state, agent: null });
  }
  return {
    summary: { schemaVersion: NODE_AGENTS_SCHEMA_VERSION, location: objects.location, status: objects.status, staleAfterHours: Math.round(thresholdHours * 10) / 10, nodes: rows },
    issues,
  };
}

function agentResult(report: NodeReport, configMap: string, ageMs: number): NodeAgentResult {
  const execution = report.execution;
  const used = report.cache.imageFs.filter((f) => f.collected);
  return {
    configMap,
    publishedAt: report.publishedAt,
    ageHours: Math.round((ageMs / HOUR_MS) * 10) / 10,
    run: report.run,
    mode: report.mode,
    runtime: `${report.runtime.name} ${report.runtime.version}`,
    images: report.cache.images,
    imageBytes: report.cache.imageBytes,
    unusedImages: report.cache.unusedImages,
    containers: report.cache.containers,
    candidates: report.plan.candidates,
    reclaimableBytes: report.plan.reclaimableBytes,
    removed: execution?.removed ?? (report.mode === 'apply' ? 0 : null),
    removedBytes: execution?.removedBytes ?? (report.mode === 'apply' ? 0 : null),
    failed: execution?.failed ?? (report.mode === 'apply' ? 0 : null),
    skipped: execution?.skipped ?? (report.mode === 'apply' ? 0 : null),
    fsReclaimedBytes: execution?.fsReclaimedBytes ?? null,
    imageFsUsedBytes: used.length === 0 ? null : used.reduce((n, f) => n + f.usedBytes, 0),
    topCandidates: report.candidates.slice(0, TOP_CANDIDATES).map((c) => ({ name: c.name, sizeBytes: c.sizeBytes, result: c.result })),
    issues: report.issues.length + report.issuesOmitted,
  };
}

function namespaceOf(configMap: string): string {
  return configMap.slice(0, Math.max(0, configMap.indexOf('/')));
}

function formatHours(ms: number): string {
  const hours = ms / HOUR_MS;
  return hours >= 48 ? `${Math.floor(hours / 24)}d ${Math.floor(hours % 24)}h` : `${Math.floor(hours)}h ${Math.floor((ms % HOUR_MS) / 60_000)}m`;
}
