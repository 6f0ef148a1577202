/**
 * The scan service: read an inventory from a source, run every check, and assemble the report.
 * This is the library API behind `runwarden scan` (and `import { scan } from 'runwarden'`).
 */
import { FINDING_KINDS, subjectPath, type Finding, type FindingKind } from '../core/finding.js';
import { formatImageReference } from '../core/image-ref.js';
import type { Inventory } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import { REPORT_SCHEMA_VERSION, type NodeSummary, type ScanReport } from '../core/report.js';
import { SEVERITIES, compareSeverity, type Severity } from '../core/severity.js';
import { buildInventory } from '../inventory/build.js';
import type { InventorySource } from '../inventory/source.js';
import type { Check, CheckContext } from '../policy/check.js';
import { DEFAULT_SANDBOX_IMAGES } from '../policy/images.js';
import { CHECKS } from '../policy/registry.js';
import { VERSION } from '../version.js';
import { errorMessage } from '../core/errors.js';

export interface ScanOptions {
  source: InventorySource;
  /** Only these namespaces; undefined = all. */
  namespaces?: string[] | undefined;
  /** Extra sandbox image globs (added to the defaults). */
  sandboxImages?: string[] | undefined;
  /** Rule ids to run; undefined = all. */
  rules?: string[] | undefined;
  now?: Date | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

export interface ScanOutcome {
  inventory: Inventory;
  report: ScanReport;
}

export async function scan(options: ScanOptions): Promise<ScanOutcome> {
  const raw = await options.source.load({
    signal: options.signal,
    namespaces: options.namespaces,
    onProgress: (e) => options.onProgress?.(`read ${e.count} ${e.kind} object(s)`),
  });
  const inventory = buildInventory(raw);
  options.onProgress?.(`inventory: ${inventory.nodes.length} nodes, ${inventory.pods.length} pods`);
  const report = scanInventory(inventory, {
    sandboxImages: [...DEFAULT_SANDBOX_IMAGES, ...(options.sandboxImages ?? [])],
    now: options.now ?? new Date(),
    rules: options.rules,
  });
  return { inventory, report };
}

export interface ScanInventoryOptions extends CheckContext {
  rules?: string[] | undefined;
  checks?: readonly Check[] | undefined;
}

/** Run checks over an inventory already built (pure). */
export function scanInventory(inventory: Inventory, options: ScanInventoryOptions): ScanReport {
  const checks = (options.checks ?? CHECKS).filter((c) => options.rules === undefined || options.rules.includes(c.id));
  const findings: Finding[] = [];
  const issues: Issue[] = [...inventory.issues];
  for (const check of checks) {
    try {
      const result = check.run(inventory, options);
      findings.push(...result.findings);
      issues.push(...result.issues);
    } catch (error) {
      // A broken check loses its own findings, not the scan.
      issues.push(issue('check-failed', `Check ${check.id} failed: ${errorMessage(error)}`));
    }
  }
  findings.sort((a, b) => compareSeverity(a.severity, b.severity) || a.rule.localeCompare(b.rule) || subjectPath(a.subject).localeCompare(subjectPath(b.subject)));
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'runwarden', version: VERSION },
    generatedAt: options.now.toISOString(),
    source: inventory.source,
    summary: summarize(inventory, findings, issues),
    findings,
    issues,
  };
}

function summarize(inventory: Inventory, findings: Finding[], issues: Issue[]): ScanReport['summary'] {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byKind = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
  const byRule: Record<string, number> = {};
  const staleByNode = new Map<string, { count: number; bytes: number }>();
  for (const f of findings) {
    bySeverity[f.severity]++;
    byKind[f.kind]++;
    byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
    if (f.rule === 'stale-image' && f.subject.node !== undefined) {
      const entry = staleByNode.get(f.subject.node) ?? { count: 0, bytes: 0 };
      entry.count++;
      entry.bytes += typeof f.evidence.sizeBytes === 'number' ? f.evidence.sizeBytes : 0;
      staleByNode.set(f.subject.node, entry);
    }
  }
  // One row per node name (a broken snapshot can hold two nodes of one name: they are summed, as their findings are).
  const cacheByName = new Map<string, NodeSummary>();
  for (const n of inventory.nodes) {
    const row = cacheByName.get(n.name) ?? { name: n.name, cachedImages: 0, cachedBytes: 0, staleImages: staleByNode.get(n.name)?.count ?? 0, reclaimableBytes: staleByNode.get(n.name)?.bytes ?? 0 };
    row.cachedImages += n.images.length;
    row.cachedBytes += n.images.reduce((sum, i) => sum + i.sizeBytes, 0);
    cacheByName.set(n.name, row);
  }
  const nodeCaches = [...cacheByName.values()];
  const images = new Set<string>();
  let containers = 0;
  for (const pod of inventory.pods) {
    for (const c of pod.containers) {
      containers++;
      images.add(c.ref === undefined ? c.image : formatImageReference(c.ref));
    }
  }
  return {
    nodes: inventory.nodes.length,
    namespaces: new Set([...inventory.namespaces.map((n) => n.name), ...inventory.pods.map((p) => p.namespace)]).size,
    workloads: inventory.workloads.length,
    pods: inventory.pods.length,
    containers,
    images: images.size,
    findings: findings.length,
    bySeverity,
    byKind,
    byRule,
    reclaimableBytes: nodeCaches.reduce((sum, n) => sum + n.reclaimableBytes, 0),
    nodeCaches,
    issues: issues.length,
  };
}
