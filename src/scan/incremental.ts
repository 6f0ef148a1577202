/**
 * Incremental rescans for a long-running service (`runwarden serve` over a watched cluster): the same report
 * `scan()` would produce, recomputing only what a change can affect. The first scan, and any change the
 * incremental path cannot prove local, is an ordinary `scan()`.
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
 *   - `global` checks (RBAC, mTLS — and any check not in the table) run on the whole new inventory.
 *   - lifecycle (end of life, freshness, node age: time-dependent) runs on the whole new inventory, as in scan();
 *   Then exceptions, sorting, the summary and the node-agent summary are the ordinary `scanInventory` steps.
 * - Anything else is a full scan: a cluster-scoped object (Namespace, Node, ClusterRole, ClusterRoleBinding),
 *   a Role, RoleBinding or PeerAuthentication, the source's issues, coverage or control-plane version, more than a
 *   quarter of the namespaces, or per-image findings being configured (their per-digest caches are the image code's).
 */
import type { Finding } from '../core/finding.js';
import type { Inventory, ResourceKind } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import type { ScanReport } from '../core/report.js';
import { errorMessage } from '../core/errors.js';
import type { ContainerLifecycleMemo } from '../lifecycle/containers.js';
import { lifecycleScan } from '../lifecycle/scan.js';
import { buildInventory } from '../inventory/build.js';
import { emptyClusterObjects } from '../inventory/schema.js';
import type { SourceResult } from '../inventory/source.js';
import type { Check, CheckContext, CheckResult } from '../policy/check.js';
import { DEFAULT_SANDBOX_IMAGES } from '../policy/images.js';
import { CHECKS } from '../policy/registry.js';
import { scan, scanInventory, type ScanOptions, type ScanOutcome } from './index.js';

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

export type RescanPlan = { mode: 'full'; why: string } | { mode: 'incremental'; namespaces: string[] };
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
}

/**
 * Keeps the previous scan's raw objects, inventory and per-check results. `scan({ full: true })` is always a
 * full scan; otherwise the rescan is incremental when the change allows it.
 */
export class IncrementalScanner {
  private readonly options: Omit<ScanOptions, 'signal' | 'now'>;
  private readonly checks: readonly Check[];
  private state: State | undefined;
  /** The largest share of namespaces an incremental rescan handles (default ¼). */
  maxShare = 0.25;

  constructor(options: Omit<ScanOptions, 'signal' | 'now'>) {
    this.options = options;
    const all = options.checks ?? CHECKS;
    this.checks = all.filter((c) => options.rules === undefined || options.rules.includes(c.id));
  }

  /** Forget the previous scan (the next one is full). */
  reset(): void {
    this.state = undefined;
  }

  /** `full`: why this scan must be full (startup, the schedule, a DB update), or undefined to let the change decide. */
  async scan(input: { now: Date; signal?: AbortSignal | undefined; full?: string | undefined }): Promise<IncrementalOutcome> {
    const prev = this.state;
    if (input.full !== undefined || prev === undefined) return this.full(input, input.full ?? 'no previous scan');
    if (this.options.images !== undefined) return this.full(input, 'per-image findings are configured');
    const raw = await this.options.source.load({ signal: input.signal, namespaces: this.options.namespaces });
    const byNamespace = groupByNamespace(raw);
    const plan = planRescan(prev, raw, this.maxShare, byNamespace);
    if (plan.mode === 'full') return this.full(input, plan.why, raw);
    const outcome = await this.incremental(prev, raw, byNamespace, plan.namespaces, input.now, input.signal);
    return outcome ?? this.full(input, 'a check reported different issues for the changed namespaces', raw);
  }

  private async full(input: { now: Date; signal?: AbortSignal | undefined }, why: string, loaded?: SourceResult): Promise<IncrementalOutcome> {
    this.state = undefined;
    let raw = loaded;
    const results = new Map<string, CheckResult>();
    const outcome = await scan({
      ...this.options,
      now: input.now,
      signal: input.signal,
      // The objects of this very scan: re-reading the source could see a newer state than the report.
      source: { id: this.options.source.id, load: async (o) => (raw ??= await this.options.source.load(o)) },
      checks: this.checks.map((c) => recording(c, results)),
    });
    // A shallow copy: the checks' analyses are memoised per inventory object (policy/*/analysis.ts), ~20 MB
    // for 30,000 pods that a long-running service need not keep.
    const inventory = { ...outcome.inventory };
    if (raw !== undefined) this.state = { raw, byNamespace: groupByNamespace(raw), inventory, results, nodeMemo: new Map(), containerMemo: {} };
    return { ...outcome, inventory, plan: { mode: 'full', why } };
  }

  private async incremental(prev: State, raw: SourceResult, byNamespace: Grouped, namespaces: string[], now: Date, signal: AbortSignal | undefined): Promise<IncrementalOutcome | undefined> {
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
        if (failed(was) || failed(is) || !sameIssues(was.issues, is.issues)) return undefined;
        const inside = (f: Finding): boolean => f.subject.namespace !== undefined && dirty.has(f.subject.namespace);
        results.set(check.id, { findings: [...old.findings.filter((f) => !inside(f)), ...is.findings.filter(inside)], issues: old.issues });
        continue;
      }
      // node: the nodes the changed pods ran on or run on, with every pod on them.
      const nodes = changedNodes(before, after);
      const scoped: Inventory = { ...inventory, nodes: inventory.nodes.filter((n) => nodes.has(n.name)), pods: inventory.pods.filter((p) => p.nodeName !== undefined && nodes.has(p.nodeName)) };
      const is = safeRun(check, scoped, context);
      if (failed(is) || !sameIssues(old.issues, is.issues)) return undefined;
      const onNodes = (f: Finding): boolean => f.subject.node !== undefined && nodes.has(f.subject.node);
      if (is.findings.some((f) => f.subject.node === undefined) || old.findings.some((f) => f.subject.node === undefined)) return undefined;
      results.set(check.id, { findings: [...old.findings.filter((f) => !onNodes(f)), ...is.findings], issues: old.issues });
    }
    await yieldToLoop();
    // Lifecycle (end of life, freshness, node age: time-dependent and cluster-wide) runs on the whole new
    // inventory, exactly as scan() runs it when per-image findings are off.
    let lifecycle: { findings: Finding[]; issues: Issue[]; section: ScanReport['lifecycle'] } | undefined;
    if (this.options.lifecycle !== undefined) {
      try {
        lifecycle = await lifecycleScan(inventory, { ...this.options.lifecycle, controlPlane: this.options.lifecycle.controlPlane ?? raw.controlPlane, now, imageFindings: undefined, namespaces: this.options.namespaces, rules: this.options.rules, nodeMemo: prev.nodeMemo, containerMemo: prev.containerMemo });
      } catch (error) {
        if (signal?.aborted === true) throw error;
        lifecycle = { findings: [], issues: [issue('lifecycle-failed', `End-of-life and freshness checks failed: ${errorMessage(error)}`)], section: undefined };
      }
    }
    const report = scanInventory(inventory, {
      images: lifecycle === undefined ? undefined : { findings: lifecycle.findings, issues: lifecycle.issues },
      sandboxImages: context.sandboxImages,
      now,
      rules: this.options.rules,
      policy: this.options.policy,
      exceptions: this.options.exceptions,
      nodeReports: raw.nodeReports,
      nodeReportStaleAfterMs: this.options.nodeReportStaleAfterMs,
      checks: this.checks.map((c) => replaying(c, results)),
    });
    if (lifecycle?.section !== undefined) report.lifecycle = lifecycle.section;
    const kept = { ...inventory };
    this.state = { raw, byNamespace, inventory: kept, results, nodeMemo: prev.nodeMemo, containerMemo: prev.containerMemo };
    return { inventory: kept, report, images: [], plan: { mode: 'incremental', namespaces: [...dirty].sort() } };
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
    if (!sameObjects(p.objects[kind], raw.objects[kind])) return { mode: 'full', why: `${kind} objects changed` };
  }
  const dirty = new Set<string>();
  for (const kind of LOCAL_KINDS) {
    const a = prev.byNamespace.get(kind) ?? new Map<string, object[]>();
    const b = now.get(kind) ?? new Map<string, object[]>();
    for (const ns of new Set([...a.keys(), ...b.keys()])) if (!sameObjects(a.get(ns) ?? [], b.get(ns) ?? [])) dirty.add(ns);
  }
  const total = new Set([...raw.objects.Namespace.map((n) => n.metadata.name), ...[...(now.get('Pod')?.keys() ?? [])]]).size;
  if (dirty.size > Math.max(1, Math.floor(total * maxShare))) return { mode: 'full', why: `${dirty.size} of ${total} namespaces changed` };
  return { mode: 'incremental', namespaces: [...dirty].sort() };
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

function sameObjects(a: readonly object[], b: readonly object[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
  const gone = new Map<string, number>();
  for (const i of before.issues) gone.set(issueKey(i), (gone.get(issueKey(i)) ?? 0) + 1);
  const issues: Issue[] = [];
  for (const i of prev.issues) {
    const n = gone.get(issueKey(i)) ?? 0;
    if (n > 0) gone.set(issueKey(i), n - 1);
    else issues.push(i);
  }
  inventory.issues = [...issues, ...after.issues];
  return inventory;
}

function safeRun(check: Check, inventory: Inventory, context: CheckContext): CheckResult {
  // A throwing check is reported by scanInventory when it replays the result: keep the error for it.
  try {
    return check.run(inventory, context);
  } catch (error) {
    return { findings: [], issues: [], error } as CheckResult & { error: unknown };
  }
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function failed(result: CheckResult): boolean {
  return 'error' in result;
}

function recording(check: Check, results: Map<string, CheckResult>): Check {
  return {
    ...check,
    run(inventory, context) {
      const result = check.run(inventory, context);
      results.set(check.id, result);
      return result;
    },
  };
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
