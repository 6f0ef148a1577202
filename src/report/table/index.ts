/**
 * Terminal report: findings grouped by workload (or node for node-cache findings), worst first,
 * with colours on a TTY and plain text when piped (NO_COLOR / FORCE_COLOR honoured by the CLI).
 * Findings accepted by an exception are counted, not listed (JSON keeps them with the reason);
 * findings from manifests show the file and line of the offending field.
 */
import pc from 'picocolors';
import type { Finding } from '../../core/finding.js';
import type { NodeAgentsSummary, ScanReport } from '../../core/report.js';
import { SEVERITIES, compareSeverity, severityRank, type Severity } from '../../core/severity.js';
import { formatBytes } from '../../core/format.js';
import { lifecycleTableLines } from '../../lifecycle/scan.js';
import type { RenderOptions, ReportFormat } from '../format.js';

export const tableFormat: ReportFormat = {
  id: 'table',
  description: 'Terminal table grouped by workload (colours on a TTY)',
  extension: 'txt',
  mediaType: 'text/plain; charset=utf-8',
  render: renderTable,
};

type Colors = ReturnType<typeof pc.createColors>;

function severityLabel(c: Colors, s: Severity): string {
  const text = s.toUpperCase().padEnd(8);
  switch (s) {
    case 'critical':
      return c.bold(c.magenta(text));
    case 'high':
      return c.red(text);
    case 'medium':
      return c.yellow(text);
    case 'low':
      return c.cyan(text);
    default:
      return c.dim(text);
  }
}

/** The group a finding is listed under: its workload, else its image, node or namespace, else the cluster. */
function groupOf(f: Finding): string {
  const s = f.subject;
  if (s.workload !== undefined) return `${s.namespace ?? ''} / ${s.workload.kind} ${s.workload.name}`;
  if (s.type === 'image' && s.image !== undefined && s.node === undefined) return `image ${s.image}`;
  if (s.node !== undefined) return `node ${s.node}`;
  // a pod outside any workload (a detection in an audit log: the pod a request created or exec'd into)
  if (s.pod !== undefined) return `${s.namespace ?? ''} / pod ${s.pod}`;
  if (s.namespace !== undefined) return `namespace ${s.namespace}`;
  return 'cluster';
}

/** The heading a finding of `report` is listed under (the table's and the HTML page's groups). */
export function groupKey(report: ScanReport, f: Finding): string {
  // an SBOM's findings are about the packages it lists: one group, named by the document
  return report.source.type === 'sbom' ? `sbom ${report.source.location}` : groupOf(f);
}

/** What was looked at: the cluster's counts, for one image or an SBOM (no cluster) its packages, for audit logs their events. */
export function countsLine(report: ScanReport): string {
  const s = report.summary;
  if (report.source.type === 'audit-log' && s.events !== undefined) return `${s.events} audit event${s.events === 1 ? '' : 's'}`;
  if ((report.source.type === 'image' || report.source.type === 'sbom') && s.packages !== undefined) {
    const packages = `${s.packages} package${s.packages === 1 ? '' : 's'}`;
    return report.source.type === 'image' ? `1 image, ${packages}` : packages;
  }
  return `${s.nodes} nodes, ${s.namespaces} namespaces, ${s.workloads} workloads, ${s.pods} pods, ${s.containers} containers, ${s.images} images`;
}

export function renderTable(report: ScanReport, options: RenderOptions): string {
  const c = pc.createColors(options.color);
  const lines: string[] = [];
  const s = report.summary;
  lines.push(
    `${c.bold('runwarden')} ${report.tool.version} — ${report.source.type} ${report.source.location}${report.source.context === undefined ? '' : ` (context ${report.source.context})`}`,
  );
  lines.push(c.dim(countsLine(report)));
  lines.push('');

  const active = report.findings.filter((f) => f.suppression === undefined);
  const suppressed = report.findings.length - active.length;
  const groups = new Map<string, Finding[]>();
  for (const f of active) {
    const key = groupKey(report, f);
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  const worst = (list: Finding[]): number => Math.max(...list.map((f) => severityRank(f.severity)));
  const ordered = [...groups.entries()].sort((a, b) => worst(b[1]) - worst(a[1]) || a[0].localeCompare(b[0]));
  const ruleWidth = Math.max(4, ...active.map((f) => f.rule.length));
  for (const [group, findings] of ordered) {
    let heading = c.bold(group);
    if (group.startsWith('node ')) {
      const node = s.nodeCaches.find((n) => `node ${n.name}` === group);
      if (node !== undefined && node.staleImages > 0) heading += c.dim(`  ${node.staleImages} unused image(s), ${formatBytes(node.reclaimableBytes)} reclaimable`);
    }
    lines.push(heading);
    findings.sort((a, b) => compareSeverity(a.severity, b.severity) || a.rule.localeCompare(b.rule) || a.title.localeCompare(b.title));
    for (const f of findings) {
      lines.push(`  ${severityLabel(c, f.severity)} ${f.rule.padEnd(ruleWidth)}  ${f.title}`);
      if (f.location !== undefined) lines.push(`  ${' '.repeat(9 + ruleWidth)}  ${c.dim(`at ${f.location.file}${f.location.line === undefined ? '' : `:${f.location.line}`}${f.location.field === undefined ? '' : ` (${f.location.field})`}`)}`);
      lines.push(`  ${' '.repeat(9 + ruleWidth)}  ${c.dim(`→ ${f.remediation}`)}`);
    }
    lines.push('');
  }
  if (active.length === 0) lines.push(c.green('No findings.'), '');
  // Per-node agent reports and per-container lifecycle verdicts come before the summary, so a
  // terminal ends on the counts.
  if (report.nodeAgents !== undefined) lines.push(...nodeAgentLines(report.nodeAgents, c), '');
  if (report.lifecycle !== undefined) lines.push(...lifecycleTableLines(report.lifecycle).map((l, i) => (i === 0 ? c.bold(l) : l)), '');

  const counts = SEVERITIES.filter((sev) => s.bySeverity[sev] > 0).map((sev) => `${s.bySeverity[sev]} ${sev}`);
  lines.push(`${c.bold('Findings:')} ${s.findings}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}`);
  const rules = Object.entries(s.byRule)
    .sort((a, b) => b[1] - a[1])
    .map(([rule, n]) => `${rule} ${n}`);
  if (rules.length > 0) lines.push(c.dim(`  by rule: ${rules.join(', ')}`));
  if (suppressed > 0) {
    // exemption annotations and settings exceptions are exceptions; VEX statements say so themselves
    const byVex = report.findings.filter((f) => f.suppression?.kind === 'vex').length;
    const why = byVex === 0 ? 'accepted by exceptions' : byVex === suppressed ? 'not affected or fixed by VEX statements' : `accepted by exceptions (${suppressed - byVex}) or VEX statements (${byVex})`;
    lines.push(c.dim(`${c.bold('Suppressed:')} ${suppressed} finding(s) ${why} (listed with their reasons in --format json)`));
  }
  const staleNodes = s.nodeCaches.filter((n) => n.staleImages > 0);
  if (staleNodes.length > 0) {
    lines.push(`${c.bold('Reclaimable:')} ${formatBytes(s.reclaimableBytes)} in ${staleNodes.reduce((n, x) => n + x.staleImages, 0)} unused image(s) on ${staleNodes.length} node(s)`);
    for (const n of staleNodes) lines.push(c.dim(`  ${n.name}: ${formatBytes(n.reclaimableBytes)} of ${formatBytes(n.cachedBytes)} cached (${n.staleImages}/${n.cachedImages} images unused)`));
  }
  if (report.issues.length > 0) {
    lines.push(c.yellow(`${c.bold('Issues:')} ${report.issues.length} (parts of the inventory that could not be read or evaluated)`));
    for (const i of report.issues.slice(0, 20)) lines.push(c.yellow(`  ! ${i.message}`) + (i.hint === undefined ? '' : c.dim(` — ${i.hint}`)));
    if (report.issues.length > 20) lines.push(c.dim(`  … ${report.issues.length - 20} more in the JSON report`));
  }
  return `${lines.join('\n')}\n`;
}

/** Per node: the plan from status.images, then what the node agent reported (src/agent/). */
function nodeAgentLines(agents: NodeAgentsSummary, c: Colors): string[] {
  const lines = [`${c.bold('Node agents:')} ${c.dim(`status.images plan vs. agent reports (${agents.location}; stale after ${agents.staleAfterHours} h)`)}`];
  const width = Math.max(...agents.nodes.map((n) => n.node.length));
  for (const n of agents.nodes) {
    const plan = n.statusImages === null ? 'not in the cluster' : `status.images ${n.statusImages.staleImages}/${n.statusImages.cachedImages} unused, ${formatBytes(n.statusImages.reclaimableBytes)}`;
    let agent: string;
    const a = n.agent;
    if (a !== null) {
      const done = a.removed === null ? 'dry run' : `removed ${a.removed} (${formatBytes(a.removedBytes ?? 0)})${a.failed !== null && a.failed > 0 ? c.red(`, ${a.failed} failed`) : ''}${a.skipped !== null && a.skipped > 0 ? `, ${a.skipped} skipped` : ''}`;
      const text = `agent ${a.ageHours} h ago: ${a.candidates}/${a.images} to remove, ${formatBytes(a.reclaimableBytes)}; ${done}`;
      agent = n.report === 'stale' ? c.yellow(`${text} (stale)`) : text;
    } else {
      agent = { none: c.dim('no agent'), absent: c.yellow('agent pod runs, no report'), malformed: c.yellow('report unreadable (malformed)'), unreadable: c.yellow('reports not readable'), fresh: '', stale: '' }[n.report];
    }
    lines.push(`  ${n.node.padEnd(width)}  ${plan} · ${agent}`);
  }
  return lines;
}
