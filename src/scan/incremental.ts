/**
 * Incremental rescans for a long-running service (`runwarden serve` over a watched cluster): the same report
 * `scan()` would produce, recomputing only what a change can affect. The first scan, and any change the
 * incremental path cannot prove local, is a full scan: the same steps as `scan()` computed here (`fullHere`: checks
 * one at a time and lifecycle a namespace at a time, giving the event loop back in between so the service's API
 * keeps answering, and keeping what the next rescan reuses).
 *
 * How a change is found: the source hands back the same object (by identity) for an object that did not
 * change (the watch's informer stores do; a snapshot read from files never does, so every rescan of it is
 * full). The objects of each kind are grouped by namespace and compared with the previous scan's.
 *
 * What is recomputed for which change (the `CHECK_SCOPES` table):
 * - Changes confined to namespaced workload objects — Pod, ReplicaSet, Deployment, StatefulSet, DaemonSet,
 *   Job, CronJob, Service, NetworkPolicy, ServiceAccount — in a set D of namespaces (at most a quarter of them):
 *   - the inventory of D is rebuilt from D's objects and replaces D's part of the previous inventory;
 *   - `namespace` checks (a finding about namespace n depends only on n's objects and cluster-scoped ones)
 *     run on D's inventory before and after the change: D's findings are replaced; if the check's issues
 *     differ between before and after, the rescan is full instead;
 *   - `node` checks (stale-image: a node's findings depend on the node and the pods on it) run on the nodes
 *     that the changed pods ran on before or run on now, with every pod on those nodes;
 *   - `global` checks (RBAC, mTLS — and any check not in the table) run on the whole new inventory (the mesh
 *     analysis memoises each pod's enrolment by object identity, policy/mesh/analysis.ts);
 *   - lifecycle (end of life, freshness, node age: time-dependent): offline (no registry probe), the container
 *     part is kept per namespace for the UTC day, data and settings, and computed again for D only; node
 *     hygiene is memoised by day (nodes cannot change here); with a probe, lifecycleScan on the whole inventory;
 *   - the workload-spec issues are D's swapped for the new ones; the findings are sorted by merging the new
 *     ones into the previous report's order (`scanInventory`'s `sortedBefore`);
 *   - running images (per-image findings configured): every image a full scan read is kept with its findings
 *     before placement (`scanRunningImages`' memo); the findings of D's containers are placed again (an image
 *     not read yet is read now), the other namespaces' are the previous scan's objects; the nodes' host packages
 *     are matched again only when a node report changed; lifecycle folds each namespace's image findings in.
 *   Then exceptions, the summary and the node-agent summary are the ordinary `scanInventory` steps.
 * - Anything else is a full scan: a cluster-scoped object (Namespace, Node, ClusterRole, ClusterRoleBinding),
 *   a Role, RoleBinding or PeerAuthentication, the source's issues, coverage or control-plane version, more than a
 *   quarter of the namespaces; with per-image findings also new advisory data (the latest import's time), a new
 *   UTC day (the images' end-of-life look-ahead) or images that could not be scanned at all. A full scan reads every
 *   image again.
 * - Images that could not be read (a registry down or rate-limiting, a node's containerd unreachable) are tried
 *   again without waiting for the next full scan: `retryAt()` says when (2 minutes after the scan that missed them,
 *   then 4, 8, … up to 30 minutes while they still fail; the service triggers an `image-retry` rescan then), and an
 *   incremental rescan from that time on reads them again (the `--sbom-dir` folder too: an SBOM added for one is
 *   used) and places their findings anew in every namespace that runs them (those namespaces count as changed).
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Finding } from '../core/finding.js';
import type { Inventory, ResourceKind } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import type { ScanReport } from '../core/report.js';
import { errorMessage } from '../core/errors.js';
import { containerLifecycle, type ContainerLifecycleMemo, type ContainerLifecycleResult } from '../lifecycle/containers.js';
import { isoDay } from '../lifecycle/data/cycles.js';
import { loadLifecycle } from '../lifecycle/data/store.js';
import { lifecycleScan } from '../lifecycle/scan.js';
import type { ContainerVerdict, Verdict } from '../lifecycle/verdict/findings.js';
import { DEFAULT_EOL_LOOKAHEAD_DAYS } from '../lifecycle/verdict/image.js';
import { buildInventory } from '../inventory/build.js';
import { emptyClusterObjects } from '../inventory/schema.js';
import type { SourceResult } from '../inventory/source.js';
import type { Check, CheckContext, CheckResult } from '../policy/check.js';
import { DEFAULT_SANDBOX_IMAGES } from '../policy/images.js';
import { workloadSpecIssues } from '../policy/workload-specs.js';
import { CHECKS } from '../policy/registry.js';
import { vulnDbVersion } from '../vulndb/freshness.js';
import { imageSummaries, newImagePartMemo, sameItems, scanImagePart, scanInventory, type ImagePartMemo, type RunningImage, type ScanOptions, type ScanOutcome } from './index.js';
import type { ImageContributor } from './images/index.js';
import { forgetImages, namespacesRunning, unreadImages } from './images/running.js';
import { contributorsFor } from './images/registry.js';

export type CheckScope = 'namespace' | 'node' | 'global';

/**
 * How far a check's findings reach (see the header). A check missing here is `global`: always correct,
 * only slower. `namespace` is a claim about the check's code; src/scan/incremental.test.ts tests it.
 */
export const CHECK_SCOPES: Readonly<Record<string, CheckScope>> = {
  'stale-image': 'node',
  'unpinned-image': 'namespace',
  'mixed-versions': 'namespace',
  'pod-security': 'namespace',
  'privileged-container': 'namespace',
  'host-path': 'namespace',
  'host-namespaces': 'namespace',
  'host-ports': 'namespace',
  'added-capabilities': 'namespace',
  'privilege-escalation': 'namespace',
  'run-as-root': 'namespace',
  'writable-root-filesystem': 'namespace',
  'missing-resources': 'namespace',
  // Reads RoleBindings of any namespace: a Role/RoleBinding change is a full rescan.
  'service-account-token': 'namespace',
  'exposed-service': 'namespace',
  'registry-allow-list': 'namespace',
  'image-pull-policy': 'namespace',
  'network-ingress-open': 'namespace',
  'network-egress-open': 'namespace',
  'network-no-default-deny': 'namespace',
  // The mesh control planes and "is a mesh in use" are cluster-wide.
  'mtls-not-strict': 'global',
};

/** Namespaced kinds whose changes the incremental path handles (everything else → full scan). */
const LOCAL_KINDS: readonly ResourceKind[] = ['Pod', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Service', 'NetworkPolicy', 'ServiceAccount'];
/** Kinds whose any change is a full scan. */
const FULL_KINDS: readonly ResourceKind[] = ['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'PeerAuthentication'];
/** The inventory arrays that hold D's namespaced objects. */
const NAMESPACED_FIELDS = ['pods', 'workloads', 'services', 'networkPolicies', 'serviceAccounts'] as const;

/** `retried`: the images that could not be read before, read again by this rescan (retryAt). */
export type RescanPlan = { mode: 'full'; why: string } | { mode: 'incremental'; namespaces: string[]; retried?: number | undefined };
type Grouped = Map<ResourceKind, Map<string, object[]>>;

export interface IncrementalOutcome extends ScanOutcome {
  plan: RescanPlan;
}

interface State {
  raw: SourceResult;
  byNamespace: Grouped;
  inventory: Inventory;
  results: Map<string, CheckResult>;
  /** Node hygiene by day (lifecycle): nodes do not change between incremental rescans. */
  nodeMemo: Map<string, { findings: Finding[]; issues: Issue[] }>;
  /** Lifecycle's per-image evaluations (offline): only new images are evaluated again. */
  containerMemo: ContainerLifecycleMemo;
  /**
   * Lifecycle's container results per namespace (offline only), under the key of what else they depend on
   * (UTC day, data, settings): a namespace that did not change keeps its findings, verdicts and issues.
   */
  containersByNamespace: { key: string; namespaces: Map<string, ContainerLifecycleResult> } | undefined;
  /** `workloadSpecIssues` of the inventory (per workload: an incremental rescan swaps the changed namespaces' ones). */
  specIssues: Issue[];
  /** The report's findings, in order: the next report sorts only what is new. */
  findings: Finding[];
  /** With per-image findings: what the images' part keeps (valid under `key`), and the containers' image findings by namespace. */
  images: ImagesState | undefined;
}

interface ImagesState {
  memo: ImagePartMemo;
  /** What every image's findings were read under: the advisory data's version and the UTC day (imagesKey). */
  key: { db: string; day: string };
  byNamespace: Map<string, Finding[]>;
  /** When the images that could not be read are tried again (ms since the epoch) and how often they were tried; undefined: none. */
  retry: { due: number; attempt: number } | undefined;
}

/** The first wait before images that could not be read are tried again, doubled after each failed try up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 2 * 60_000;
export const RETRY_MAX_MS = 30 * 60_000;

/** The running images' part of one scan. */
interface ImagesOutcome {
  findings: Finding[];
  issues: Issue[];
  list: RunningImage[];
  /** undefined when the images could not be scanned (the next rescan is full). */
  kept: ImagesState | undefined;
}

/** Why an incremental rescan gives way to a full one when a check's issues change with the change. */
const DIFFERENT_ISSUES = 'a check reported different issues for the changed namespaces';

type LifecycleOutcome = { findings: Finding[]; issues: Issue[]; section: ScanReport['lifecycle'] };

/**
 * Keeps the previous scan's raw objects, inventory and per-check results. `scan({ full: true })` is always a
 * full scan; otherwise the rescan is incremental when the change allows it.
 */
export class IncrementalScanner {
  private readonly options: Omit<ScanOptions, 'signal' | 'now'>;
  private readonly checks: readonly Check[];
  /** The per-image contributors when running images are scanned (as scan() decides), else undefined. */
  private readonly contributors: readonly ImageContributor[] | undefined;
  private state: State | undefined;
  /** The largest share of namespaces an incremental rescan handles (default ¼). */
  maxShare = 0.25;

  constructor(options: Omit<ScanOptions, 'signal' | 'now'>) {
    this.options = options;
    const all = options.checks ?? CHECKS;
    this.checks = all.filter((c) => options.rules === undefined || options.rules.includes(c.id));
    const contributors = contributorsFor(options.rules, options.images?.contributors);
    this.contributors = options.images !== undefined && contributors.length > 0 ? contributors : undefined;
  }

  /** Forget the previous scan (the next one is full). */
  reset(): void {
    this.state = undefined;
  }

  /** `full`: why this scan must be full (startup, the schedule, a DB update), or undefined to let the change decide. */
  async scan(input: { now: Date; signal?: AbortSignal | undefined; full?: string | undefined }): Promise<IncrementalOutcome> {
    const prev = this.state;
    if (input.full !== undefined || prev === undefined) return this.full(input, input.full ?? 'no previous scan');
    const imagesWhy = this.imagesStale(prev, input.now);
    if (imagesWhy !== undefined) return this.full(input, imagesWhy);
    const raw = await this.options.source.load({ signal: input.signal, namespaces: this.options.namespaces });
    const byNamespace = groupByNamespace(raw);
    const plan = planRescan(prev, raw, this.maxShare, byNamespace);
    if (plan.mode === 'full') return this.full(input, plan.why, raw);
    let namespaces = plan.namespaces;
    const retry = this.retryDue(prev, input.now);
    if (retry !== undefined && prev.images !== undefined) {
      const dirty = new Set([...namespaces, ...retry.namespaces]);
      const total = namespaceCount(raw, byNamespace);
      if (dirty.size > shareCap(total, this.maxShare)) return this.full(input, `${retry.keys.length} image(s) that could not be read are tried again, run in ${retry.namespaces.size} of ${total} namespaces`, raw);
      // read again by this rescan, their findings placed anew in every namespace that runs them; the --sbom-dir
      // folder read again too, so an SBOM added for one of them is used
      forgetImages(prev.images.memo.images, retry.keys);
      prev.images.memo.sboms = undefined;
      namespaces = [...dirty].sort();
    }
    const outcome = await this.incremental(prev, raw, byNamespace, namespaces, input.now, input.signal, retry?.keys.length);
    return typeof outcome === 'string' ? this.full(input, outcome, raw) : outcome;
  }

  /**
   * When the images the last scan could not read are tried again (an `image-retry` rescan then reads them), or
   * undefined when every running image was read (or images are not scanned).
   */
  retryAt(): Date | undefined {
    const due = this.state?.images?.retry?.due;
    return due === undefined ? undefined : new Date(due);
  }

  /** The images to read again in this rescan and the namespaces that ran them, when their retry is due. */
  private retryDue(prev: State, now: Date): { keys: string[]; namespaces: Set<string> } | undefined {
    const images = prev.images;
    if (images?.retry === undefined || images.retry.due > now.getTime()) return undefined;
    const keys = unreadImages(images.memo.images);
    if (keys.length === 0) return undefined;
    return { keys, namespaces: namespacesRunning(prev.inventory, new Set(keys), this.options.images?.nodes) };
  }

  /**
   * Why the images' findings kept from the previous scan cannot be reused (a full rescan reads every image again),
   * or undefined: new advisory data, or a new UTC day (lifecycle's end-of-life look-ahead counts days).
   */
  private imagesStale(prev: State, now: Date): string | undefined {
    if (this.contributors === undefined) return undefined;
    if (prev.images === undefined) return 'the running images were not scanned the last time';
    const key = this.imagesKey(now);
    if (key.db !== prev.images.key.db) return 'the vulnerability database changed';
    if (key.day !== prev.images.key.day) return 'a new UTC day (per-image end-of-life findings count days)';
    return undefined;
  }

  private imagesKey(now: Date): ImagesState['key'] {
    const db = this.options.images?.db;
    return { db: db === undefined ? '' : (vulnDbVersion(db) ?? ''), day: isoDay(now) };
  }

  /**
   * The running images' findings (undefined when not configured): every image read (a full scan: a new memo) or
   * only those not read before (`prev`), their findings placed on the containers of every namespace (full) or of
   * the changed ones only, the others' kept from the previous scan. An error is scan()'s one issue.
   */
  private async images(inventory: Inventory, raw: SourceResult, now: Date, signal: AbortSignal | undefined, prev?: { state: ImagesState; dirty: ReadonlySet<string>; retried: boolean }): Promise<ImagesOutcome | undefined> {
    const settings = this.options.images;
    const contributors = this.contributors;
    if (settings === undefined || contributors === undefined) return undefined;
    const key = this.imagesKey(now);
    const memo = prev?.state.memo ?? newImagePartMemo();
    let part: Awaited<ReturnType<typeof scanImagePart>>;
    try {
      part = await scanImagePart(inventory, raw.nodeReports, { images: settings, contributors, now, signal, onProgress: this.options.onProgress }, { memo, namespaces: prev?.dirty });
    } catch (error) {
      if (signal?.aborted === true) throw error;
      return { findings: [], issues: [issue('images-failed', `Scanning the running images failed: ${errorMessage(error)}`)], list: [], kept: undefined };
    }
    // the containers' findings by namespace (the unchanged namespaces' from before); the rest (nodes' host packages) as found now
    const byNamespace = new Map<string, Finding[]>();
    if (prev !== undefined) for (const [ns, list] of prev.state.byNamespace) if (!prev.dirty.has(ns)) byNamespace.set(ns, list);
    const others: Finding[] = [];
    for (const f of part.findings) {
      const ns = f.subject.type === 'container' ? f.subject.namespace : undefined;
      if (ns === undefined) {
        others.push(f);
        continue;
      }
      const list = byNamespace.get(ns);
      if (list === undefined) byNamespace.set(ns, [f]);
      else list.push(f);
    }
    const findings: Finding[] = [];
    for (const list of byNamespace.values()) for (const f of list) findings.push(f);
    for (const f of others) findings.push(f);
    return { findings, issues: part.issues, list: part.images, kept: { memo, key, byNamespace, retry: nextRetry(memo, now, prev?.state.retry, prev === undefined || prev.retried) } };
  }

  private async full(input: { now: Date; signal?: AbortSignal | undefined }, why: string, loaded?: SourceResult): Promise<IncrementalOutcome> {
    this.state = undefined;
    return this.fullHere(input, why, loaded);
  }

  /** The rescan of the changed namespaces, or why it must be full instead. */
  private async incremental(prev: State, raw: SourceResult, byNamespace: Grouped, namespaces: string[], now: Date, signal: AbortSignal | undefined, retried: number | undefined): Promise<IncrementalOutcome | string> {
    const dirty = new Set(namespaces);
    const before = buildInventory(subset(prev.raw, prev.byNamespace, dirty));
    const after = buildInventory(subset(raw, byNamespace, dirty));
    const inventory = merge(prev.inventory, before, after, raw, dirty);
    const context: CheckContext = { sandboxImages: [...DEFAULT_SANDBOX_IMAGES, ...(this.options.sandboxImages ?? [])], now, policy: this.options.policy };
    const results = new Map<string, CheckResult>();
    for (const check of this.checks) {
      // Between checks, let the HTTP API answer (a service's event loop is shared with it).
      await yieldToLoop();
      signal?.throwIfAborted();
      const old = prev.results.get(check.id);
      const scope = CHECK_SCOPES[check.id] ?? 'global';
      if (old === undefined || scope === 'global') {
        results.set(check.id, safeRun(check, inventory, context));
        continue;
      }
      if (scope === 'namespace') {
        const was = safeRun(check, before, context);
        const is = safeRun(check, after, context);
        if (failed(was) || failed(is) || !sameIssues(was.issues, is.issues)) return DIFFERENT_ISSUES;
        const inside = (f: Finding): boolean => f.subject.namespace !== undefined && dirty.has(f.subject.namespace);
        results.set(check.id, { findings: [...old.findings.filter((f) => !inside(f)), ...is.findings.filter(inside)], issues: old.issues });
        continue;
      }
      // node: the nodes the changed pods ran on or run on, with every pod on them.
      const nodes = changedNodes(before, after);
      const scoped: Inventory = { ...inventory, nodes: inventory.nodes.filter((n) => nodes.has(n.name)), pods: inventory.pods.filter((p) => p.nodeName !== undefined && nodes.has(p.nodeName)) };
      const is = safeRun(check, scoped, context);
      if (failed(is) || !sameIssues(old.issues, is.issues)) return DIFFERENT_ISSUES;
      const onNodes = (f: Finding): boolean => f.subject.node !== undefined && nodes.has(f.subject.node);
      if (is.findings.some((f) => f.subject.node === undefined) || old.findings.some((f) => f.subject.node === undefined)) return DIFFERENT_ISSUES;
      results.set(check.id, { findings: [...old.findings.filter((f) => !onNodes(f)), ...is.findings], issues: old.issues });
    }
    const specIssues = replaceIssues(prev.specIssues, workloadSpecIssues(before), workloadSpecIssues(after));
    await yieldToLoop();
    signal?.throwIfAborted();
    // the images of the changed namespaces' containers: read only if new, placed on those containers only
    const images = prev.images === undefined ? undefined : await this.images(inventory, raw, now, signal, { state: prev.images, dirty, retried: retried !== undefined });
    if (images !== undefined && images.kept === undefined) return 'the running images could not be scanned';
    const plan: RescanPlan = { mode: 'incremental', namespaces: [...dirty].sort(), ...(retried === undefined ? {} : { retried }) };
    return this.finish({ raw, byNamespace, inventory, results, specIssues, sortedBefore: prev.findings, memos: prev, images, dirty, now, signal, plan });
  }

  /**
   * A full scan, computed here rather than by `scan()`: the same steps (inventory, running images, checks,
   * lifecycle, `scanInventory`) with the event loop given back between checks and between namespaces of the
   * lifecycle (the service's HTTP API shares it), and what the incremental rescans that follow reuse kept: every
   * image read (a new memo: each full scan reads them all again), lifecycle's per-namespace results. Tests beside
   * this file hold it equal to `scan()`.
   */
  private async fullHere(input: { now: Date; signal?: AbortSignal | undefined }, why: string, loaded: SourceResult | undefined): Promise<IncrementalOutcome> {
    const raw = loaded ?? (await this.options.source.load({ signal: input.signal, namespaces: this.options.namespaces }));
    await yieldToLoop();
    input.signal?.throwIfAborted();
    const inventory = buildInventory(raw);
    const images = await this.images(inventory, raw, input.now, input.signal);
    const context: CheckContext = { sandboxImages: [...DEFAULT_SANDBOX_IMAGES, ...(this.options.sandboxImages ?? [])], now: input.now, policy: this.options.policy };
    const results = new Map<string, CheckResult>();
    for (const check of this.checks) {
      await yieldToLoop();
      input.signal?.throwIfAborted();
      results.set(check.id, safeRun(check, inventory, context));
    }
    const memos = { nodeMemo: new Map(), containerMemo: {}, containersByNamespace: undefined };
    return this.finish({ raw, byNamespace: groupByNamespace(raw), inventory, results, specIssues: workloadSpecIssues(inventory), memos, images, dirty: undefined, now: input.now, signal: input.signal, plan: { mode: 'full', why } });
  }

  /** Lifecycle, then `scanInventory` replaying the checks' results; the state for the next rescan. `dirty` undefined: every namespace. */
  private async finish(input: { raw: SourceResult; byNamespace: Grouped; inventory: Inventory; results: Map<string, CheckResult>; specIssues: Issue[]; sortedBefore?: readonly Finding[] | undefined; memos: Pick<State, 'nodeMemo' | 'containerMemo' | 'containersByNamespace'>; images: ImagesOutcome | undefined; dirty: ReadonlySet<string> | undefined; now: Date; signal: AbortSignal | undefined; plan: RescanPlan }): Promise<IncrementalOutcome> {
    const { raw, inventory, results, memos, images, dirty, now, signal } = input;
    await yieldToLoop();
    signal?.throwIfAborted();
    // Lifecycle (end of life, freshness, node age: time-dependent and cluster-wide) runs on the whole new
    // inventory, as scan() runs it, with the images' end-of-life findings folded into each container's verdict.
    let lifecycle: LifecycleOutcome | undefined;
    let containersByNamespace: State['containersByNamespace'];
    if (this.options.lifecycle !== undefined) {
      try {
        if (this.options.lifecycle.probe === undefined) {
          const out = await this.lifecycleByNamespace(memos, inventory, raw, dirty, now, signal, images?.kept?.byNamespace);
          lifecycle = out.lifecycle;
          containersByNamespace = out.byNamespace;
        } else {
          lifecycle = await lifecycleScan(inventory, { ...this.options.lifecycle, controlPlane: this.options.lifecycle.controlPlane ?? raw.controlPlane, now, imageFindings: images?.findings, namespaces: this.options.namespaces, rules: this.options.rules, nodeMemo: memos.nodeMemo, containerMemo: memos.containerMemo });
        }
      } catch (error) {
        if (signal?.aborted === true) throw error;
        lifecycle = { findings: [], issues: [issue('lifecycle-failed', `End-of-life and freshness checks failed: ${errorMessage(error)}`)], section: undefined };
      }
      await yieldToLoop();
      signal?.throwIfAborted();
    }
    const imagePart = images === undefined && lifecycle === undefined ? undefined : { findings: [...(images?.findings ?? []), ...(lifecycle?.findings ?? [])], issues: [...(images?.issues ?? []), ...(lifecycle?.issues ?? [])] };
    const report = scanInventory(inventory, {
      images: imagePart,
      sandboxImages: [...DEFAULT_SANDBOX_IMAGES, ...(this.options.sandboxImages ?? [])],
      now,
      rules: this.options.rules,
      policy: this.options.policy,
      exceptions: this.options.exceptions,
      nodeReports: raw.nodeReports,
      nodeReportStaleAfterMs: this.options.nodeReportStaleAfterMs,
      checks: this.checks.map((c) => replaying(c, results)),
      workloadSpecIssues: input.specIssues,
      sortedBefore: input.sortedBefore,
      notesOrder: true,
    });
    if (lifecycle?.section !== undefined) report.lifecycle = lifecycle.section;
    if (images !== undefined && this.contributors !== undefined) report.images = imageSummaries(inventory, images.list, this.contributors);
    // A shallow copy: the checks' analyses are memoised per inventory object (policy/*/analysis.ts), ~20 MB
    // for 30,000 pods that a long-running service need not keep.
    const kept = { ...inventory };
    this.state = { raw, byNamespace: input.byNamespace, inventory: kept, results, nodeMemo: memos.nodeMemo, containerMemo: memos.containerMemo, containersByNamespace, specIssues: input.specIssues, findings: report.findings, images: images?.kept };
    return { inventory: kept, report, images: images?.list ?? [], plan: input.plan };
  }

  /**
   * `lifecycleScan` of the whole inventory, offline, with the container part computed per namespace and only
   * for the changed namespaces (or all of them after a full scan or on a new UTC day): a container's lifecycle
   * findings, verdict and issues depend on its own image and running digest, the data, the settings and the day
   * only (`containerLifecycle` with no probe and no per-image facts). Node hygiene, the control plane and the
   * section's header come from `lifecycleScan` itself, run on the inventory without pods.
   */
  private async lifecycleByNamespace(prev: Pick<State, 'nodeMemo' | 'containerMemo' | 'containersByNamespace'>, inventory: Inventory, raw: SourceResult, dirty: ReadonlySet<string> | undefined, now: Date, signal: AbortSignal | undefined, imageFindings: ReadonlyMap<string, readonly Finding[]> | undefined): Promise<{ lifecycle: LifecycleOutcome; byNamespace: NonNullable<State['containersByNamespace']> }> {
    const options = this.options.lifecycle ?? {};
    const loaded = options.data === undefined ? await loadLifecycle(options.db) : { data: options.data, issues: [] };
    const data = loaded.data;
    const eolLookaheadDays = options.eolLookaheadDays ?? DEFAULT_EOL_LOOKAHEAD_DAYS;
    const rest = await lifecycleScan({ ...inventory, pods: [] }, { ...options, data, controlPlane: options.controlPlane ?? raw.controlPlane, now, imageFindings: undefined, namespaces: this.options.namespaces, rules: this.options.rules, nodeMemo: prev.nodeMemo });
    const settings = { data, now, eolLookaheadDays, maxImageAgeDays: options.maxImageAgeDays };
    const key = JSON.stringify([isoDay(now), data.source, data.fetchedAt, eolLookaheadDays, options.maxImageAgeDays]);
    const cached = prev.containersByNamespace?.key === key ? prev.containersByNamespace.namespaces : undefined;
    // One image evaluation memo shared by the per-namespace calls (each call hands back only its own images).
    const memo = prev.containerMemo;
    if (memo.key !== key) {
      memo.key = key;
      memo.images = new Map();
    }
    const filter = this.options.namespaces === undefined ? undefined : new Set(this.options.namespaces);
    const podsByNamespace = new Map<string, Inventory['pods']>();
    for (const pod of inventory.pods) {
      if (filter !== undefined && !filter.has(pod.namespace)) continue;
      const list = podsByNamespace.get(pod.namespace);
      if (list === undefined) podsByNamespace.set(pod.namespace, [pod]);
      else list.push(pod);
    }
    const namespaces = new Map<string, ContainerLifecycleResult>();
    for (const [ns, pods] of podsByNamespace) {
      let result = dirty === undefined || dirty.has(ns) ? undefined : cached?.get(ns);
      if (result === undefined) {
        // Between namespaces evaluated anew (all of them after a full scan), let the HTTP API answer.
        await yieldToLoop();
        signal?.throwIfAborted();
        const shared: ContainerLifecycleMemo = { key, images: memo.images };
        result = await containerLifecycle({ ...inventory, pods }, { settings, probe: undefined, memo: shared, imageFindings: imageFindings?.get(ns) });
        if (shared.images !== undefined && shared.images !== memo.images) for (const [k, v] of shared.images) memo.images?.set(k, v);
      }
      namespaces.set(ns, result);
    }
    // Assembled as containerLifecycle assembles one call over the whole inventory: verdicts in inventory order,
    // issues once each in order of first appearance.
    const wanted = (rule: string): boolean => this.options.rules === undefined || this.options.rules.includes(rule);
    const findings = [...rest.findings];
    const issues = [...loaded.issues, ...rest.issues];
    const issueKeys = new Set<string>();
    const next = new Map<string, number>();
    const containers: ContainerVerdict[] = [];
    const verdicts: Record<Verdict, number> = { 'end-of-life': 0, outdated: 0, unknown: 0, fresh: 0 };
    for (const pod of inventory.pods) {
      const result = namespaces.get(pod.namespace);
      if (result === undefined) continue;
      let at = next.get(pod.namespace);
      if (at === undefined) {
        at = 0;
        for (const f of result.findings) if (wanted(f.rule)) findings.push(f);
        for (const i of result.issues) {
          if (issueKeys.has(issueKey(i))) continue;
          issueKeys.add(issueKey(i));
          issues.push(i);
        }
      }
      for (let n = 0; n < pod.containers.length; n++) {
        const row = result.verdicts[at + n];
        if (row === undefined) throw new Error(`lifecycle: no verdict for a container of pod ${pod.namespace}/${pod.name}`);
        containers.push(row);
        verdicts[row.verdict]++;
      }
      next.set(pod.namespace, at + pod.containers.length);
    }
    const section = rest.section === undefined ? undefined : { ...rest.section, verdicts, containers };
    return { lifecycle: { findings, issues, section }, byNamespace: { key, namespaces } };
  }
}

/** Which namespaces changed, or why the rescan must be full. */
export function planRescan(prev: { raw: SourceResult; byNamespace: Grouped }, raw: SourceResult, maxShare: number, now: Grouped = groupByNamespace(raw)): RescanPlan {
  const p = prev.raw;
  if (p.source.location !== raw.source.location || p.source.type !== raw.source.type) return { mode: 'full', why: 'the source changed' };
  if (JSON.stringify([...p.complete].sort()) !== JSON.stringify([...raw.complete].sort())) return { mode: 'full', why: 'the kinds read completely changed' };
  if (JSON.stringify(p.namespaces) !== JSON.stringify(raw.namespaces)) return { mode: 'full', why: 'the namespace filter changed' };
  if (!sameIssues(p.issues, raw.issues)) return { mode: 'full', why: 'the source reported different issues' };
  if (JSON.stringify(p.controlPlane) !== JSON.stringify(raw.controlPlane)) return { mode: 'full', why: 'the control plane version changed' };
  for (const kind of FULL_KINDS) {
    if (!sameItems(p.objects[kind], raw.objects[kind])) return { mode: 'full', why: `${kind} objects changed` };
  }
  const dirty = new Set<string>();
  for (const kind of LOCAL_KINDS) {
    const a = prev.byNamespace.get(kind) ?? new Map<string, object[]>();
    const b = now.get(kind) ?? new Map<string, object[]>();
    for (const ns of new Set([...a.keys(), ...b.keys()])) if (!sameItems(a.get(ns) ?? [], b.get(ns) ?? [])) dirty.add(ns);
  }
  const total = namespaceCount(raw, now);
  if (dirty.size > shareCap(total, maxShare)) return { mode: 'full', why: `${dirty.size} of ${total} namespaces changed` };
  return { mode: 'incremental', namespaces: [...dirty].sort() };
}

/** The namespaces of the cluster: those listed, and those pods run in (a namespace filter lists none). */
function namespaceCount(raw: SourceResult, grouped: Grouped): number {
  return new Set([...raw.objects.Namespace.map((n) => n.metadata.name), ...(grouped.get('Pod')?.keys() ?? [])]).size;
}

/** The most namespaces an incremental rescan handles. */
function shareCap(total: number, maxShare: number): number {
  return Math.max(1, Math.floor(total * maxShare));
}

/**
 * When the images of `memo` that could not be read are tried again: none → undefined; `tried` (a full scan, or a
 * rescan that read them again) → RETRY_FIRST_MS after `now`, doubled for each try in a row that still failed, at most
 * RETRY_MAX_MS; otherwise the time already set (an image that fails in between waits for it), or the first wait.
 */
function nextRetry(memo: ImagePartMemo, now: Date, before: ImagesState['retry'], tried: boolean): ImagesState['retry'] {
  if (unreadImages(memo.images).length === 0) return undefined;
  if (!tried && before !== undefined) return before;
  const attempt = tried && before !== undefined ? before.attempt + 1 : 1;
  return { due: now.getTime() + Math.min(RETRY_FIRST_MS * 2 ** (attempt - 1), RETRY_MAX_MS), attempt };
}

/**
 * The nodes of the pods whose object changed (added, removed or modified) between two inventories of the same
 * namespaces: a node-scoped check reads a pod through its own object only (containers and node name).
 */
function changedNodes(before: Inventory, after: Inventory): Set<string> {
  const was = new Set(before.pods.map((p) => p.raw));
  const is = new Set(after.pods.map((p) => p.raw));
  const nodes = new Set<string>();
  for (const p of before.pods) if (!is.has(p.raw) && p.nodeName !== undefined) nodes.add(p.nodeName);
  for (const p of after.pods) if (!was.has(p.raw) && p.nodeName !== undefined) nodes.add(p.nodeName);
  return nodes;
}

function namespaceOf(o: object): string {
  return (o as { metadata: { namespace?: string | null } }).metadata.namespace ?? 'default';
}

function groupByNamespace(raw: SourceResult): Grouped {
  const out: Grouped = new Map();
  for (const kind of LOCAL_KINDS) {
    const groups = new Map<string, object[]>();
    for (const o of raw.objects[kind] as object[]) {
      const ns = namespaceOf(o);
      const list = groups.get(ns);
      if (list === undefined) groups.set(ns, [o]);
      else list.push(o);
    }
    out.set(kind, groups);
  }
  return out;
}

function issueKey(i: Issue): string {
  return `${i.code}\0${i.message}\0${i.location ?? ''}`;
}

function sameIssues(a: readonly Issue[], b: readonly Issue[]): boolean {
  if (a.length !== b.length) return false;
  const keys = a.map(issueKey).sort();
  const other = b.map(issueKey).sort();
  return keys.every((k, i) => k === other[i]);
}

/** D's namespaced objects (the local kinds) and every other object but Nodes (no namespace check reads them). */
function subset(raw: SourceResult, byNamespace: Grouped, dirty: ReadonlySet<string>): SourceResult {
  const objects = emptyClusterObjects();
  for (const kind of FULL_KINDS) if (kind !== 'Node') (objects[kind] as object[]).push(...(raw.objects[kind] as object[]));
  for (const kind of LOCAL_KINDS) {
    const groups = byNamespace.get(kind);
    for (const ns of dirty) (objects[kind] as object[]).push(...(groups?.get(ns) ?? []));
  }
  return { ...raw, objects, issues: [], nodeReports: undefined };
}

/** The previous inventory with D's namespaced part replaced by the new one (cluster-scoped parts did not change). */
function merge(prev: Inventory, before: Inventory, after: Inventory, raw: SourceResult, dirty: ReadonlySet<string>): Inventory {
  const inventory: Inventory = { ...prev, source: raw.source, coverage: { complete: raw.complete, namespaces: raw.namespaces } };
  for (const field of NAMESPACED_FIELDS) {
    (inventory[field] as Array<{ namespace: string }>) = [...(prev[field] as Array<{ namespace: string }>).filter((x) => !dirty.has(x.namespace)), ...(after[field] as Array<{ namespace: string }>)];
  }
  // Issues the inventory build raised about D's objects: the old ones out, the new ones in.
  inventory.issues = replaceIssues(prev.issues, before.issues, after.issues);
  return inventory;
}

/** `all` without (one occurrence each of) `out`, then `into`: issues about D's objects swapped for the new ones. */
function replaceIssues(all: readonly Issue[], out: readonly Issue[], into: readonly Issue[]): Issue[] {
  const gone = new Map<string, number>();
  for (const i of out) gone.set(issueKey(i), (gone.get(issueKey(i)) ?? 0) + 1);
  const issues: Issue[] = [];
  for (const i of all) {
    const n = gone.get(issueKey(i)) ?? 0;
    if (n > 0) gone.set(issueKey(i), n - 1);
    else issues.push(i);
  }
  return [...issues, ...into];
}

function safeRun(check: Check, inventory: Inventory, context: CheckContext): CheckResult {
  // A throwing check is reported by scanInventory when it replays the result: keep the error for it.
  try {
    return check.run(inventory, context);
  } catch (error) {
    return { findings: [], issues: [], error } as CheckResult & { error: unknown };
  }
}

function failed(result: CheckResult): boolean {
  return 'error' in result;
}

function replaying(check: Check, results: Map<string, CheckResult>): Check {
  return {
    ...check,
    run() {
      const result = results.get(check.id);
      if (result === undefined) return { findings: [], issues: [] };
      if (failed(result)) throw (result as CheckResult & { error: unknown }).error;
      return result;
    },
  };
}
