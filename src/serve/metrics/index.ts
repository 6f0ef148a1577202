/**
 * Prometheus metrics of `runwarden serve` (prom-client, its own registry so tests and the library never touch
 * the global one). Names follow the Prometheus conventions: `runwarden_` prefix, base units (`_seconds`,
 * `_bytes`), `_total` for counters. Documented in readme.md beside this file.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { countFindings } from '../../core/finding.js';
import type { Inventory } from '../../core/inventory.js';
import type { ScanReport } from '../../core/report.js';
import { formatImageReference } from '../../core/image-ref.js';
import type { InventoryView } from '../follow/index.js';

export const ADAPTERS = ['kubernetes', 'snapshot', 'watch', 'history', 'webhook', 'vulndb', 'scan'] as const;
export type Adapter = (typeof ADAPTERS)[number];

export class ServeMetrics {
  readonly registry = new Registry();
  readonly findings: Gauge<'kind' | 'severity' | 'namespace'>;
  readonly images: Gauge<'verdict'>;
  readonly reclaimable: Gauge<'node'>;
  readonly scanDuration: Histogram<'reason' | 'outcome'>;
  readonly queueDepth: Gauge;
  readonly dbAge: Gauge;
  readonly feedAge: Gauge<'feed' | 'url'>;
  readonly errors: Counter<'adapter'>;
  readonly issues: Gauge<'code'>;
  readonly lastScan: Gauge;
  readonly inventoryStale: Gauge;
  readonly notifications: Counter<'sink' | 'outcome'>;
  readonly admissionReviews: Counter<'kind' | 'operation' | 'outcome'>;
  readonly admissionDuration: Histogram<'outcome'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.findings = new Gauge({ name: 'runwarden_findings', help: 'Open (not suppressed) findings of the latest scan by kind, severity and namespace ("" for cluster-level).', labelNames: ['kind', 'severity', 'namespace'], registers });
    this.images = new Gauge({
      name: 'runwarden_images',
      help: 'Distinct running images of the latest scan by freshness verdict: end-of-life, outdated, or unflagged (no lifecycle finding).',
      labelNames: ['verdict'],
      registers,
    });
    this.reclaimable = new Gauge({ name: 'runwarden_node_reclaimable_bytes', help: 'Bytes held by stale cached images per node (latest scan).', labelNames: ['node'], registers });
    this.scanDuration = new Histogram({
      name: 'runwarden_scan_duration_seconds',
      help: 'Wall time of a scan, by what triggered it and whether it succeeded.',
      labelNames: ['reason', 'outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.queueDepth = new Gauge({ name: 'runwarden_scan_queue_depth', help: 'Scan triggers waiting while a scan runs (coalesced into the next scan).', registers });
    this.dbAge = new Gauge({ name: 'runwarden_vulndb_age_seconds', help: 'Seconds since the vulnerability database was last updated (absent without --sbom-dir).', registers });
    this.feedAge = new Gauge({
      name: 'runwarden_vulndb_feed_age_seconds',
      help: 'Seconds since each mirror of the last "runwarden db update" last gave data (an import or "not modified"); one failing for days shows here while the database age stays low.',
      labelNames: ['feed', 'url'],
      registers,
    });
    this.errors = new Counter({ name: 'runwarden_errors_total', help: 'Failures by adapter: a failed scan or list, a lost watch, a webhook delivery given up, a history write.', labelNames: ['adapter'], registers });
    this.issues = new Gauge({ name: 'runwarden_scan_issues', help: 'Issues (coverage gaps) of the latest scan by code.', labelNames: ['code'], registers });
    this.lastScan = new Gauge({ name: 'runwarden_last_scan_timestamp_seconds', help: 'Unix time of the latest successful scan.', registers });
    this.inventoryStale = new Gauge({ name: 'runwarden_inventory_stale', help: '1 while the watched inventory is not current (not synced, or a watch is down past its grace), else 0.', registers });
    this.notifications = new Counter({ name: 'runwarden_notifications_total', help: 'Notification deliveries by sink and outcome (delivered, failed, rate-limited, deduplicated).', labelNames: ['sink', 'outcome'], registers });
    this.admissionReviews = new Counter({
      name: 'runwarden_admission_reviews_total',
      help: 'Admission reviews answered (serve --admission-port) by kind, operation and outcome: allowed, warned, denied, skipped (not reviewed), unjudged (the failure mode answered).',
      labelNames: ['kind', 'operation', 'outcome'],
      registers,
    });
    this.admissionDuration = new Histogram({
      name: 'runwarden_admission_review_duration_seconds',
      help: 'Time from the request body read to the answer written, by outcome (the API server allows the webhook its timeoutSeconds).',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    for (const adapter of ADAPTERS) this.errors.inc({ adapter }, 0);
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'runwarden_' });
  }

  /** Replace the per-scan gauges with the latest scan's values. */
  updateFromScan(report: ScanReport, inventory: Inventory, finishedAt: Date): void {
    this.findings.reset();
    // the open ones, counted as they are met (a 674,000-finding scan filtered into a new array first cost ~5 MB a scan)
    for (const c of countFindings(report.findings, (f) => f.suppression === undefined)) this.findings.set({ kind: c.kind, severity: c.severity, namespace: c.namespace }, c.count);
    this.reclaimable.reset();
    for (const n of report.summary.nodeCaches) this.reclaimable.set({ node: n.name }, n.reclaimableBytes);
    this.issues.reset();
    const byCode = new Map<string, number>();
    for (const i of report.issues) byCode.set(i.code, (byCode.get(i.code) ?? 0) + 1);
    for (const [code, n] of byCode) this.issues.set({ code }, n);
    this.images.reset();
    const verdicts = imageVerdicts(report, inventory);
    for (const verdict of ['end-of-life', 'outdated', 'unflagged'] as const) this.images.set({ verdict }, [...verdicts.values()].filter((v) => v === verdict).length);
    this.lastScan.set(finishedAt.getTime() / 1000);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Image reference → the worst lifecycle verdict any finding on it gives. */
export function imageVerdicts(report: ScanReport, inventory: Pick<InventoryView, 'pods'>): Map<string, 'end-of-life' | 'outdated' | 'unflagged'> {
  const out = new Map<string, 'end-of-life' | 'outdated' | 'unflagged'>();
  // Containers share parsed references (one per distinct image string): format each once.
  const formatted = new Map<object, string>();
  for (const pod of inventory.pods) {
    for (const c of pod.containers) {
      if (c.ref === undefined) {
        out.set(c.image, 'unflagged');
        continue;
      }
      let name = formatted.get(c.ref);
      if (name === undefined) {
        name = formatImageReference(c.ref);
        formatted.set(c.ref, name);
      }
      out.set(name, 'unflagged');
    }
  }
  for (const f of report.findings) {
    if (f.suppression !== undefined || f.subject.image === undefined || !out.has(f.subject.image)) continue;
    if (f.kind === 'end-of-life') out.set(f.subject.image, 'end-of-life');
    else if (f.kind === 'outdated' && out.get(f.subject.image) !== 'end-of-life') out.set(f.subject.image, 'outdated');
  }
  return out;
}
