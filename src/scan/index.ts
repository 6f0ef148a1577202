/**
 * The scan service: read an inventory from a source, run every check, and assemble the report.
 * This is the library API behind `runwarden scan` (and `import { scan } from 'runwarden'`).
 */
import { FINDING_KINDS, subjectPath, type Finding, type FindingKind } from '../core/finding.js';
import { formatImageReference, type ImageReference } from '../core/image-ref.js';
import type { Inventory } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import type { VexStatement } from '../vulndb/vex/index.js';
import { REPORT_SCHEMA_VERSION, type ImageSummary, type NodeSummary, type ScanReport } from '../core/report.js';
import { SEVERITIES, compareSeverity, type Severity } from '../core/severity.js';
import { buildInventory } from '../inventory/build.js';
import type { InventorySource, NodeReportObjects } from '../inventory/source.js';
import { nodeAgentsSummary } from '../agent/cluster.js';
import { hostPackageFindings } from './host-packages.js';
import type { Check, CheckContext, PolicySettings } from '../policy/check.js';
import { MALWARE_RULE } from '../malware/findings.js';
import { staleDatabaseIssue } from '../vulndb/freshness.js';
import { VULNERABILITY_RULE } from '../vulndb/match/index.js';
import { applyExceptions, type ExceptionRule } from '../policy/exceptions/index.js';
import { DEFAULT_SANDBOX_IMAGES } from '../policy/images.js';
import { CHECKS } from '../policy/registry.js';
import { workloadSpecIssues } from '../policy/workload-specs.js';
import { VERSION } from '../version.js';
import { errorMessage } from '../core/errors.js';
import type { LayerCache } from '../image/analysis/cache.js';
import type { Db } from '../vulndb/store/index.js';
import type { ImageContributor, PackagesProvider } from './images/index.js';
import type { ImageLocator } from './images/locate.js';
import { contributorsFor } from './images/registry.js';
import { newRunningImagesMemo, scanRunningImages, type RunningImage, type RunningImagesMemo } from './images/running.js';
import { readSbomDir } from './vulnerabilities.js';
import { ALL_LIFECYCLE_RULES, lifecycleScan, type LifecycleScanOptions } from '../lifecycle/scan.js';

/** Rules of findings that are not policy checks: the per-image contributors and lifecycle. */
export const NON_CHECK_RULES: readonly string[] = [VULNERABILITY_RULE, MALWARE_RULE, ...ALL_LIFECYCLE_RULES];

/** The admission webhook's own rule (src/admission): an image without a verdict. Exceptions may name it, in any command's settings. */
export const UNSCANNED_IMAGE_RULE = 'unscanned-image';

/** Every rule id a scan can report (for `--rules`, exceptions and annotations). */
export function ruleIds(checks: readonly Check[] = CHECKS): string[] {
  return [...checks.map((c) => c.id), ...NON_CHECK_RULES];
}

export type { RunningImage } from './images/running.js';

export interface ScanOptions {
  source: InventorySource;
  /** Only these namespaces; undefined = all. */
  namespaces?: string[] | undefined;
  /** Extra sandbox image globs (added to the defaults). */
  sandboxImages?: string[] | undefined;
  /** Rule ids to run; undefined = all. */
  rules?: string[] | undefined;
  /** The policy checks (default: policy/registry.ts); the incremental rescan (incremental.ts) wraps them. */
  checks?: readonly Check[] | undefined;
  /** Registry allow-list, Pod Security version/level. */
  policy?: PolicySettings | undefined;
  /** Accepted findings (settings file `exceptions`); annotations on objects are always honoured. */
  exceptions?: readonly ExceptionRule[] | undefined;
  /** Findings about the running images (vulnerabilities; see scan/images/running.ts). */
  images?: RunningImagesSettings | undefined;
  now?: Date | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((message: string) => void) | undefined;
  /** Node agent reports older than this are stale (default: max(48 h, twice the agent's interval)). */
  nodeReportStaleAfterMs?: number | undefined;
  /** End of life and freshness (src/lifecycle): data, look-ahead, node age, control plane, registry probe; undefined = off. */
  lifecycle?: Omit<LifecycleScanOptions, 'now' | 'imageFindings' | 'namespaces' | 'rules'> | undefined;
}

/** How the running images are read and matched. */
export interface RunningImagesSettings {
  /** The advisory database. */
  db: Db;
  /** A directory of per-image SBOMs named sha256-<hex>.cdx.json / .spdx.json (scan/vulnerabilities.ts). */
  sbomDir?: string | undefined;
  /** Where images are read from, in order (scan/images/locate.ts); none = SBOMs only. */
  locators?: readonly ImageLocator[] | undefined;
  /** Layer result cache (the runwarden DB). */
  cache?: LayerCache | undefined;
  /** Packages from trusted attached SBOMs instead of cataloging. */
  packages?: PackagesProvider | undefined;
  /** Images read at once (default 2). */
  concurrency?: number | undefined;
  /** Only the images of pods on these nodes (the node agent's own node); default every node. */
  nodes?: readonly string[] | undefined;
  /** The per-image contributors (default: scan/images/registry.ts; configured ones such as malware are added by the caller). */
  contributors?: readonly ImageContributor[] | undefined;
  /** VEX documents read (`--vex`): their statements suppress or annotate the vulnerability findings; their issues are reported. */
  vex?: { statements: readonly VexStatement[]; issues: readonly Issue[] } | undefined;
  /** Advisory data older than this (hours) is reported as `vuln-db-stale` (default 24, the vulndb config's). */
  staleAfterHours?: number | undefined;
}

export interface ScanOutcome {
  inventory: Inventory;
  report: ScanReport;
  /** Each running image scanned (empty without `images`). */
  images: RunningImage[];
}

export async function scan(options: ScanOptions): Promise<ScanOutcome> {
  const raw = await options.source.load({
    signal: options.signal,
    namespaces: options.namespaces,
    onProgress: (e) => options.onProgress?.(`read ${e.count} ${e.kind} object(s)`),
  });
  const inventory = buildInventory(raw);
  options.onProgress?.(`inventory: ${inventory.nodes.length} nodes, ${inventory.pods.length} pods`);
  let imageFindings: ScanInventoryOptions['images'];
  let images: RunningImage[] = [];
  const contributors = contributorsFor(options.rules, options.images?.contributors);
  if (options.images !== undefined && contributors.length > 0) {
    const sboms = options.images.sbomDir === undefined ? undefined : await readSbomDir(options.images.sbomDir);
    try {
      const part = await scanImagePart(inventory, raw.nodeReports, { ...options, images: options.images, contributors, sboms });
      images = part.images;
      imageFindings = part;
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      imageFindings = { findings: [], issues: [...(sboms?.issues ?? []), issue('images-failed', `Scanning the running images failed: ${errorMessage(error)}`)] };
    }
  }
  let lifecycleSection: ScanReport['lifecycle'];
  if (options.lifecycle !== undefined) {
    try {
      const lc = await lifecycleScan(inventory, { ...options.lifecycle, controlPlane: options.lifecycle.controlPlane ?? raw.controlPlane, now: options.now ?? new Date(), imageFindings: imageFindings?.findings, namespaces: options.namespaces, rules: options.rules });
      lifecycleSection = lc.section;
      imageFindings = { findings: [...(imageFindings?.findings ?? []), ...lc.findings], issues: [...(imageFindings?.issues ?? []), ...lc.issues] };
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      imageFindings = { findings: imageFindings?.findings ?? [], issues: [...(imageFindings?.issues ?? []), issue('lifecycle-failed', `End-of-life and freshness checks failed: ${errorMessage(error)}`)] };
    }
  }
  const report = scanInventory(inventory, {
    images: imageFindings,
    sandboxImages: [...DEFAULT_SANDBOX_IMAGES, ...(options.sandboxImages ?? [])],
    now: options.now ?? new Date(),
    rules: options.rules,
    checks: options.checks,
    policy: options.policy,
    exceptions: options.exceptions,
    nodeReports: raw.nodeReports,
    nodeReportStaleAfterMs: options.nodeReportStaleAfterMs,
  });
  if (lifecycleSection !== undefined) report.lifecycle = lifecycleSection;
  if (options.images !== undefined && contributors.length > 0) report.images = imageSummaries(inventory, images, contributors);
  return { inventory, report, images };
}

/**
 * What a scan's running-images part keeps for the next scan of a long-running service (scan/incremental.ts): the
 * images already read, the SBOM directory as read, the nodes' host packages as matched for the reports read.
 */
export interface ImagePartMemo {
  images: RunningImagesMemo;
  sboms: SbomDir | undefined;
  hosts: { configMaps: readonly object[]; result: ReturnType<typeof hostPackageFindings> } | undefined;
}

export function newImagePartMemo(): ImagePartMemo {
  return { images: newRunningImagesMemo(), sboms: undefined, hosts: undefined };
}

/**
 * The running images' findings and issues (scan() with `images`): every running image read once and its findings
 * placed on the containers that run it, the nodes' host packages where agents published them, the database's
 * staleness. With `memo` (a service's incremental rescan), what an earlier call read is reused, and `namespaces`
 * limits the placed findings to those namespaces' containers (the caller keeps the others'). `sboms`: the SBOM
 * folder already read (else read here, once per memo). Throws when the images cannot be scanned at all (scan()
 * reports it as one issue).
 */
export async function scanImagePart(
  inventory: Inventory,
  nodeReports: NodeReportObjects | undefined,
  options: Pick<ScanOptions, 'now' | 'signal' | 'onProgress'> & { images: RunningImagesSettings; contributors: readonly ImageContributor[]; sboms?: SbomDir | undefined },
  incremental?: { memo: ImagePartMemo; namespaces?: ReadonlySet<string> | undefined },
): Promise<{ findings: Finding[]; issues: Issue[]; images: RunningImage[] }> {
  const settings = options.images;
  const memo = incremental?.memo;
  const sboms = options.sboms ?? memo?.sboms ?? (settings.sbomDir === undefined ? undefined : await readSbomDir(settings.sbomDir));
  if (memo !== undefined) memo.sboms = sboms;
  const result = await scanRunningImages(inventory, {
    db: settings.db,
    sboms: sboms?.byDigest,
    locators: settings.locators,
    cache: settings.cache,
    packages: settings.packages,
    concurrency: settings.concurrency,
    nodes: settings.nodes,
    contributors: options.contributors,
    vex: settings.vex?.statements,
    now: options.now,
    signal: options.signal,
    onProgress: options.onProgress,
    memo: memo?.images,
    namespaces: incremental?.namespaces,
  });
  const vulnerabilities = options.contributors.some((c) => c.rules.includes(VULNERABILITY_RULE));
  // the nodes' own packages, where their agents published them (clean --host-root): matched again only when a report changed
  let hosts: ReturnType<typeof hostPackageFindings> | undefined;
  if (vulnerabilities) {
    const configMaps = nodeReports?.configMaps ?? [];
    const kept = memo?.hosts;
    hosts = kept !== undefined && sameItems(kept.configMaps, configMaps) ? kept.result : hostPackageFindings(inventory, nodeReports, { db: settings.db, vex: settings.vex?.statements });
    if (memo !== undefined) memo.hosts = { configMaps: [...configMaps], result: hosts };
  }
  if (hosts !== undefined && hosts.nodes > 0) options.onProgress?.(`host packages of ${hosts.nodes} node(s): ${hosts.findings.length} vulnerabilities`);
  // vulnerabilities matched against old data: said on every report, as `db status` says it
  const stale = vulnerabilities ? staleDatabaseIssue(settings.db, options.now ?? new Date(), settings.staleAfterHours) : undefined;
  return {
    findings: [...result.findings, ...(hosts?.findings ?? [])],
    issues: [...(sboms?.issues ?? []), ...(settings.vex?.issues ?? []), ...result.issues, ...(hosts?.issues ?? []), ...(stale === undefined ? [] : [stale])],
    images: result.images,
  };
}

/** The `--sbom-dir` folder as read (scan/vulnerabilities.ts). */
type SbomDir = Awaited<ReturnType<typeof readSbomDir>>;

/** The same objects in the same order (an informer's store hands back an unchanged object as it was). */
export function sameItems(a: readonly object[], b: readonly object[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The report's `images`: each running digest, the references it runs by, and whether it was read (one row per digest, sorted). */
export function imageSummaries(inventory: Inventory, images: readonly RunningImage[], contributors: readonly ImageContributor[]): ImageSummary[] {
  const references = new Map<string, Set<string>>();
  for (const pod of inventory.pods) {
    for (const c of pod.containers) {
      if (c.running === undefined) continue;
      let refs = references.get(c.running.digest);
      if (refs === undefined) references.set(c.running.digest, (refs = new Set()));
      refs.add(c.ref === undefined ? c.image : formatImageReference(c.ref));
    }
  }
  const rows = new Map<string, ImageSummary>();
  for (const image of images) {
    const { digest } = image.want;
    const scanned = image.scan !== undefined;
    const ran = scanned ? contributors.filter((c) => image.from !== 'sbom' || !c.needsImage).map((c) => c.id) : [];
    const row: ImageSummary = { digest, references: [...(references.get(digest) ?? [])].sort(), status: scanned ? 'scanned' : 'unread', ...(image.from === undefined ? {} : { from: image.from }), contributors: ran };
    if (image.scan !== undefined && !image.scan.complete) row.complete = false;
    const seen = rows.get(digest);
    // one digest on two platforms: read only if every platform was, and only what ran on all of them
    if (seen === undefined) rows.set(digest, row);
    else {
      if (row.status === 'unread') seen.status = 'unread';
      seen.contributors = seen.contributors.filter((c) => row.contributors.includes(c));
      if (row.complete === false) seen.complete = false;
    }
  }
  return [...rows.values()].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
}

export interface ScanInventoryOptions extends CheckContext {
  /** Findings about the running images, already placed on containers (scan/images/running.ts). */
  images?: { findings: readonly Finding[]; issues: readonly Issue[] } | undefined;
  rules?: string[] | undefined;
  checks?: readonly Check[] | undefined;
  exceptions?: readonly ExceptionRule[] | undefined;
  /** The node agents' report ConfigMaps as the source read them (`agent/cluster.ts`). */
  nodeReports?: NodeReportObjects | undefined;
  nodeReportStaleAfterMs?: number | undefined;
  /** `workloadSpecIssues(inventory)`, when the caller has them already (an incremental rescan: scan/incremental.ts). */
  workloadSpecIssues?: readonly Issue[] | undefined;
  /** The previous report's findings (sorted), when most are the same objects again (an incremental rescan): sorts less. */
  sortedBefore?: readonly Finding[] | undefined;
  /** This report's findings will be the next call's `sortedBefore` (a service's scanner): their places are noted for it. */
  notesOrder?: boolean | undefined;
}

/** Run checks over an inventory already built (pure). */
export function scanInventory(inventory: Inventory, options: ScanInventoryOptions): ScanReport {
  const all = options.checks ?? CHECKS;
  const checks = all.filter((c) => options.rules === undefined || options.rules.includes(c.id));
  let findings: Finding[] = [];
  const issues: Issue[] = [...inventory.issues, ...(options.workloadSpecIssues ?? workloadSpecIssues(inventory))];
  const seen = new Set(issues.map(issueKey));
  const addIssue = (i: Issue): void => {
    const key = issueKey(i);
    if (seen.has(key)) return;
    seen.add(key);
    issues.push(i);
  };
  const inScope = inventory.coverage.namespaces === undefined ? undefined : new Set(inventory.coverage.namespaces);
  for (const check of checks) {
    try {
      const result = check.run(inventory, options);
      const hasMappings = check.mappings.cis.length + check.mappings.nsa.length + check.mappings.pss.length > 0;
      for (const f of result.findings) {
        // --namespace limits the report too: cluster-scoped objects (bindings) are read whole, but a
        // finding about another namespace is not what was asked for. Cluster-level findings stay.
        if (inScope !== undefined && f.subject.namespace !== undefined && !inScope.has(f.subject.namespace)) continue;
        // Where the rule sits in CIS / NSA-CISA / PSS, for auditors reading one finding.
        if (hasMappings && f.evidence.mappings === undefined) f.evidence.mappings = check.mappings;
        findings.push(f);
      }
      // Checks sharing one analysis (network, rbac) report its issues once.
      for (const i of result.issues) addIssue(i);
    } catch (error) {
      // A broken check loses its own findings, not the scan.
      issues.push(issue('check-failed', `Check ${check.id} failed: ${errorMessage(error)}`));
    }
  }
  if (options.images !== undefined) {
    for (const i of options.images.issues) addIssue(i);
    for (const f of options.images.findings) {
      if (options.rules !== undefined && !options.rules.includes(f.rule)) continue;
      if (inScope === undefined || f.subject.namespace === undefined || inScope.has(f.subject.namespace)) findings.push(f);
    }
  }
  const excepted = applyExceptions(findings, inventory, { exceptions: options.exceptions, knownRules: [...ruleIds(all), UNSCANNED_IMAGE_RULE], now: options.now });
  findings = excepted.findings;
  issues.push(...excepted.issues);
  findings = sortFindings(findings, options.sortedBefore, options.notesOrder === true);
  const summary = summarize(inventory, findings, issues);
  const agents = nodeAgentsSummary(inventory, summary.nodeCaches, options.nodeReports, { now: options.now, staleAfterMs: options.nodeReportStaleAfterMs });
  for (const i of agents.issues) addIssue(i);
  summary.issues = issues.length;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'runwarden', version: VERSION },
    generatedAt: options.now.toISOString(),
    source: inventory.source,
    summary,
    findings,
    issues,
    ...(agents.summary === undefined ? {} : { nodeAgents: agents.summary }),
  };
}

/**
 * Worst first, then by rule and subject; the subject path is computed once per finding, not per comparison.
 * `previous`: findings already in this order (the previous report's, for a service's incremental rescan:
 * incremental.ts), mostly the same objects as `findings`. Those keep their relative order (a finding's severity,
 * rule and subject never change), so only the others are sorted, then each put in its place by halving: on a
 * report of 700,000 findings a rescan sorts a few hundred, not the whole report again.
 */
function sortFindings(findings: Finding[], previous: readonly Finding[] | undefined, note: boolean): Finding[] {
  type Keyed = { f: Finding; path: string };
  const compare = (a: Keyed, b: Keyed): number => compareSeverity(a.f.severity, b.f.severity) || (a.f.rule === b.f.rule ? 0 : collator.compare(a.f.rule, b.f.rule)) || (a.path === b.path ? 0 : collator.compare(a.path, b.path));
  const fresh: Keyed[] = [];
  // the findings of `previous` still here, at their place in it (a finding listed twice is one place: kept once, as before)
  const slots: Array<Finding | undefined> = previous === undefined ? [] : new Array<Finding | undefined>(previous.length);
  let kept = 0;
  for (const f of findings) {
    const at = previous === undefined ? undefined : places.get(f);
    if (at !== undefined && previous?.[at] === f && slots[at] === undefined) {
      slots[at] = f;
      kept++;
    } else fresh.push({ f, path: pathOf(f.subject) });
  }
  fresh.sort(compare);
  const known: Finding[] = new Array<Finding>(kept);
  let k = 0;
  for (const f of slots) if (f !== undefined) known[k++] = f;
  const out: Finding[] = [];
  let i = 0;
  for (const n of fresh) {
    // after every known finding that does not sort after it (ties: the known one first, as a stable merge has it)
    let lo = i;
    let hi = known.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = known[mid] as Finding;
      if (compare({ f: m, path: pathOf(m.subject) }, n) <= 0) lo = mid + 1;
      else hi = mid;
    }
    while (i < lo) out.push(known[i++] as Finding);
    out.push(n.f);
  }
  while (i < known.length) out.push(known[i++] as Finding);
  if (note) for (const [at, f] of out.entries()) places.set(f, at);
  return out;
}

/** Each finding's place in the last report sorted with `notesOrder` (sortFindings: where a finding of `previous` was, checked against it). */
const places = new WeakMap<Finding, number>();

/** Subject paths per subject object: a service's incremental rescan (incremental.ts) sorts mostly the same findings again. */
const paths = new WeakMap<Finding['subject'], string>();
function pathOf(subject: Finding['subject']): string {
  let path = paths.get(subject);
  if (path === undefined) {
    path = subjectPath(subject);
    paths.set(subject, path);
  }
  return path;
}

/** localeCompare's order, without building a collator per comparison. */
const collator = new Intl.Collator();

function issueKey(i: Issue): string {
  return `${i.code}\0${i.message}\0${i.location ?? ''}`;
}

function summarize(inventory: Inventory, findings: Finding[], issues: Issue[]): ScanReport['summary'] {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byKind = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
  const byRule: Record<string, number> = {};
  const staleByNode = new Map<string, { count: number; bytes: number }>();
  let active = 0;
  for (const f of findings) {
    // Counts are of findings still to act on; suppressed ones stay in `findings` with their reason.
    if (f.suppression === undefined) {
      active++;
      bySeverity[f.severity]++;
      byKind[f.kind]++;
      byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
    }
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
  // Containers share parsed references: each distinct one is formatted once.
  const refs = new Set<ImageReference>();
  const images = new Set<string>();
  const namespaces = new Set<string>();
  for (const n of inventory.namespaces) namespaces.add(n.name);
  let containers = 0;
  for (const pod of inventory.pods) {
    namespaces.add(pod.namespace);
    for (const c of pod.containers) {
      containers++;
      if (c.ref === undefined) images.add(c.image);
      else refs.add(c.ref);
    }
  }
  for (const ref of refs) images.add(formatImageReference(ref));
  return {
    nodes: inventory.nodes.length,
    namespaces: namespaces.size,
    workloads: inventory.workloads.length,
    pods: inventory.pods.length,
    containers,
    images: images.size,
    findings: active,
    bySeverity,
    byKind,
    byRule,
    reclaimableBytes: nodeCaches.reduce((sum, n) => sum + n.reclaimableBytes, 0),
    nodeCaches,
    issues: issues.length,
  };
}
