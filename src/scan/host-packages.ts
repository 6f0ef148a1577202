/**
 * The nodes' own OS packages, as their agents published them (`clean --host-root`; agent/host.ts), matched against
 * the vulnerability database like an image's (PRODUCT.md C8): `vulnerable-package` findings about the node
 * (subject `{ type: 'node', node }`), each saying why it matched. One report per node (the newest), for nodes of
 * the inventory only; the reports' own problems are the agent summary's issues (agent/cluster.ts).
 */
import { hostPackagesOf, hostSubject } from '../agent/host.js';
import { decodeNodeReport } from '../agent/configmap.js';
import type { NodeReport } from '../agent/schema.js';
import type { Finding } from '../core/finding.js';
import type { Inventory } from '../core/inventory.js';
import type { Issue } from '../core/issue.js';
import type { NodeReportObjects } from '../inventory/source.js';
import { forSubject, matchPackages, NO_ADVISORIES, noAdvisoriesIssue, scopeLabel, type MatchResult } from '../vulndb/match/index.js';
import type { Db } from '../vulndb/store/index.js';
import { applyVex, type VexStatement } from '../vulndb/vex/index.js';

export interface HostPackageOptions {
  db: Db;
  vex?: readonly VexStatement[] | undefined;
}

export function hostPackageFindings(inventory: Inventory, objects: NodeReportObjects | undefined, options: HostPackageOptions): { findings: Finding[]; issues: Issue[]; nodes: number } {
  const findings: Finding[] = [];
  const issues: Issue[] = [];
  const nodes = new Set(inventory.nodes.map((n) => n.name));
  const latest = new Map<string, { report: NodeReport; origin: string }>();
  const uncovered = new Map<string, { nodes: string[]; hint: string | undefined }>();
  const byPackages = new Map<string, MatchResult>();
  let withHost = 0;
  for (const configMap of objects?.configMaps ?? []) {
    const origin = objects?.origins.get(configMap) ?? objects?.location ?? '';
    // an undecodable report is the agent summary's issue
    const decoded = decodeNodeReport(configMap, origin);
    if (!decoded.ok || !nodes.has(decoded.report.node)) continue;
    const previous = latest.get(decoded.report.node);
    if (previous === undefined || previous.report.publishedAt < decoded.report.publishedAt) latest.set(decoded.report.node, { report: decoded.report, origin });
  }
  // the newest report of each node says what its host holds now (one without `host`: the agent no longer reads it)
  for (const [node, { report, origin }] of [...latest].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (report.host === undefined) continue;
    withHost++;
    const host = hostPackagesOf(report, origin);
    issues.push(...host.issues);
    if (host.packages.length === 0) continue;
    // nodes of one pool run one OS image: their packages are matched once, the findings re-made for each node
    const key = report.host.purls.join('\n');
    let matched = byPackages.get(key);
    const first = matched === undefined;
    if (matched === undefined) byPackages.set(key, (matched = matchPackages(options.db, host.packages, { subject: hostSubject(node) })));
    const own = first ? matched.findings : forSubject(matched.findings, hostSubject(node));
    findings.push(...(options.vex === undefined ? own : applyVex(own, options.vex)));
    for (const i of matched.issues) {
      if (i.code !== NO_ADVISORIES || i.location === undefined) {
        // about the packages: said once, with the first node that has them
        if (first) issues.push({ ...i, message: `Node ${node}: ${i.message}` });
      } else {
        // one issue per release the database does not cover, naming its nodes (a node pool shares one OS)
        const seen = uncovered.get(i.location);
        if (seen === undefined) uncovered.set(i.location, { nodes: [node], hint: i.hint });
        else seen.nodes.push(node);
      }
    }
  }
  for (const [scope, { nodes: named, hint }] of uncovered) {
    const list = named.slice(0, 3).join(', ') + (named.length > 3 ? ` and ${named.length - 3} more` : '');
    issues.push({ ...noAdvisoriesIssue(scope, `the ${scopeLabel(scope)} host packages of ${named.length === 1 ? `node ${list}` : `${named.length} nodes (${list})`} were`), hint });
  }
  return { findings, issues, nodes: withHost };
}
