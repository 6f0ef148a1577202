/**
 * Lifecycle for a whole scan: node hygiene for every node, one freshness verdict per running
 * container, and the `lifecycle` section of the report (1.x additive). `scan/index.ts` calls this
 * once, after the per-image pipeline (whose end-of-life findings it folds into the verdicts).
 */
import { z } from 'zod';
import type { Finding } from '../core/finding.js';
import type { Inventory } from '../core/inventory.js';
import type { Issue } from '../core/issue.js';
import type { Db } from '../store/db.js';
import { containerLifecycle, type ContainerLifecycleMemo } from './containers.js';
import { isoDay } from './data/cycles.js';
import type { LifecycleData } from './data/schema.js';
import { loadLifecycle } from './data/store.js';
import type { RegistryProbe } from './freshness/probe.js';
import { CONTROL_PLANE_RULES, controlPlaneLifecycle, type ControlPlaneFacts, type ControlPlaneStatus } from './node/control-plane.js';
import { NODE_RULES, nodeHygiene } from './node/index.js';
import { LIFECYCLE_RULES, type ContainerVerdict, type Verdict } from './verdict/findings.js';
import { DEFAULT_EOL_LOOKAHEAD_DAYS } from './verdict/image.js';

/** Every rule id lifecycle findings carry (for `--rules` and exceptions). */
export const ALL_LIFECYCLE_RULES: readonly string[] = [...LIFECYCLE_RULES, ...NODE_RULES, ...CONTROL_PLANE_RULES];

export interface LifecycleScanOptions {
  /** The runwarden database holding the end-of-life data (seeded from the bundled snapshot); else the snapshot. */
  db?: Db | undefined;
  /** Data given directly (tests, library users); wins over `db`. */
  data?: LifecycleData | undefined;
  now: Date;
  /** `--eol-lookahead` in days (default 90). */
  eolLookaheadDays?: number | undefined;
  /** `--max-node-age` in days (default 30). */
  maxNodeAgeDays?: number | undefined;
  /** Report images built longer ago (days); undefined = not checked. */
  maxImageAgeDays?: number | undefined;
  /** `--control-plane-version`: wins over what the source read. */
  controlPlaneVersion?: string | undefined;
  /** What the inventory source read (`SourceResult.controlPlane`: the API server's /version, a snapshot's version.json). */
  controlPlane?: ControlPlaneFacts | undefined;
  /** Registries to ask (drift, newer tags, lifecycle referrers); undefined = offline, freshness unknown. */
  probe?: RegistryProbe | undefined;
  /** end-of-life findings the image pipeline placed on containers. */
  imageFindings?: readonly Finding[] | undefined;
  namespaces?: readonly string[] | undefined;
  /** Only these rules (`--rules`); undefined = all. */
  rules?: readonly string[] | undefined;
  /**
   * Node hygiene results kept across scans by a caller whose nodes did not change since the memo was filled
   * (src/scan/incremental.ts: a Node change is a full rescan, which starts a new memo). Keyed by what else
   * they depend on: the UTC day of `now`, the lifecycle data, the settings and the control plane version.
   */
  nodeMemo?: Map<string, { findings: Finding[]; issues: Issue[] }> | undefined;
  /** Per-image evaluations kept across scans (offline only): see `ContainerLifecycleOptions.memo`. */
  containerMemo?: ContainerLifecycleMemo | undefined;
}

export const LIFECYCLE_SECTION_VERSION = 1;

export interface LifecycleSection {
  schemaVersion: typeof LIFECYCLE_SECTION_VERSION;
  /** Where the end-of-life data came from and when it was fetched (`` for the bundled snapshot). */
  data: { source: string; fetchedAt: string };
  eolLookaheadDays: number;
  registry: 'consulted' | 'not-consulted';
  verdicts: Record<Verdict, number>;
  containers: ContainerVerdict[];
  /** The control plane's release: its verdict and why (unknown when its version could not be read). */
  controlPlane?: ControlPlaneStatus | undefined;
}

export async function lifecycleScan(inventory: Inventory, options: LifecycleScanOptions): Promise<{ findings: Finding[]; issues: Issue[]; section: LifecycleSection }> {
  const loaded = options.data === undefined ? await loadLifecycle(options.db) : { data: options.data, issues: [] };
  const data = loaded.data;
  const eolLookaheadDays = options.eolLookaheadDays ?? DEFAULT_EOL_LOOKAHEAD_DAYS;
  const wanted = (rule: string): boolean => options.rules === undefined || options.rules.includes(rule);
  const findings: Finding[] = [];
  const issues: Issue[] = [...loaded.issues];
  // The flag wins over the source; the source's failure is an issue only when the flag does not answer it.
  const plane: ControlPlaneFacts | undefined = options.controlPlaneVersion !== undefined ? { gitVersion: options.controlPlaneVersion, location: '--control-plane-version' } : options.controlPlane;
  const controlPlane = controlPlaneLifecycle(plane, { data, now: options.now, eolLookaheadDays });
  findings.push(...controlPlane.findings.filter((f) => wanted(f.rule)));
  issues.push(...controlPlane.issues);
  if (NODE_RULES.some(wanted)) {
    const key = JSON.stringify([isoDay(options.now), data.source, data.fetchedAt, eolLookaheadDays, options.maxNodeAgeDays, plane?.gitVersion]);
    let nodes = options.nodeMemo?.get(key);
    if (nodes === undefined) {
      nodes = nodeHygiene(inventory, { data, now: options.now, eolLookaheadDays, maxNodeAgeDays: options.maxNodeAgeDays, controlPlaneVersion: plane?.gitVersion });
      options.nodeMemo?.clear();
      options.nodeMemo?.set(key, nodes);
    }
    findings.push(...nodes.findings.filter((f) => wanted(f.rule)));
    issues.push(...nodes.issues);
  }
  const containers = await containerLifecycle(inventory, {
    settings: { data, now: options.now, eolLookaheadDays, maxImageAgeDays: options.maxImageAgeDays },
    probe: options.probe,
    imageFindings: options.imageFindings,
    namespaces: options.namespaces === undefined ? undefined : new Set(options.namespaces),
    memo: options.containerMemo,
  });
  findings.push(...containers.findings.filter((f) => wanted(f.rule)));
  issues.push(...containers.issues);
  const verdicts: Record<Verdict, number> = { 'end-of-life': 0, outdated: 0, unknown: 0, fresh: 0 };
  for (const v of containers.verdicts) verdicts[v.verdict]++;
  return {
    findings,
    issues,
    section: {
      schemaVersion: LIFECYCLE_SECTION_VERSION,
      data: { source: data.source, fetchedAt: data.fetchedAt },
      eolLookaheadDays,
      registry: options.probe === undefined ? 'not-consulted' : 'consulted',
      verdicts,
      containers: containers.verdicts,
      controlPlane: controlPlane.status,
    },
  };
}

/** The JSON report's `lifecycle` section (for report/json/schema.ts). */
export const LifecycleSectionJson = z.strictObject({
  schemaVersion: z.literal(LIFECYCLE_SECTION_VERSION),
  data: z.strictObject({ source: z.string(), fetchedAt: z.string() }),
  eolLookaheadDays: z.number().int().nonnegative(),
  registry: z.enum(['consulted', 'not-consulted']),
  verdicts: z.strictObject({ 'end-of-life': z.number().int().nonnegative(), outdated: z.number().int().nonnegative(), unknown: z.number().int().nonnegative(), fresh: z.number().int().nonnegative() }),
  containers: z.array(
    z.strictObject({
      namespace: z.string(),
      pod: z.string(),
      workload: z.strictObject({ kind: z.string(), name: z.string() }),
      container: z.string(),
      image: z.string(),
      digest: z.string().optional(),
      verdict: z.enum(['fresh', 'outdated', 'end-of-life', 'unknown']),
      reasons: z.array(z.string()),
      fix: z.string().optional(),
    }),
  ),
  controlPlane: z
    .strictObject({
      version: z.string().optional(),
      from: z.string().optional(),
      cycle: z.string().optional(),
      verdict: z.enum(['fresh', 'outdated', 'end-of-life', 'unknown']),
      reason: z.string(),
      next: z.string().optional(),
    })
    .optional(),
});

/** Table lines: the verdict counts, then one line per container that is not fresh (worst first). */
export function lifecycleTableLines(section: LifecycleSection, limit = 30): string[] {
  const v = section.verdicts;
  const total = v['end-of-life'] + v.outdated + v.unknown + v.fresh;
  const lines = [`Lifecycle: ${total} container(s): ${v['end-of-life']} end-of-life, ${v.outdated} outdated, ${v.unknown} unknown, ${v.fresh} fresh${section.registry === 'not-consulted' ? ' (registries not consulted: drift and newer tags unknown)' : ''}`];
  const cp = section.controlPlane;
  if (cp !== undefined) lines.push(`  Control plane ${cp.version ?? '(version unknown)'}: ${cp.verdict.toUpperCase()}, ${cp.reason}${cp.next === undefined ? '' : ` → fix: upgrade to Kubernetes ${cp.next}`}`);
  const order: Record<Verdict, number> = { 'end-of-life': 0, outdated: 1, unknown: 2, fresh: 3 };
  const rows = section.containers.filter((c) => c.verdict !== 'fresh' && !(c.verdict === 'unknown' && section.registry === 'not-consulted')).sort((a, b) => order[a.verdict] - order[b.verdict]);
  for (const c of rows.slice(0, limit)) {
    lines.push(`  ${c.verdict.toUpperCase().padEnd(11)} ${c.namespace}/${c.pod}/${c.container} ${c.image}: ${c.reasons[0] ?? ''}${c.fix === undefined ? '' : ` → fix: ${c.fix}`}`);
  }
  if (rows.length > limit) lines.push(`  … ${rows.length - limit} more in the JSON report`);
  return lines;
}
