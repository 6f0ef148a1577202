/**
 * `clean --only vulnerable|eol`: each unused image the cleanup planner would remove is read from the node's own
 * containerd (by its image ID, read-only, no registry credentials) and scanned as a running image is — one pass
 * over its layers with the layer cache, then the vulnerability or the end-of-life contributor — and judged for
 * cleanup/only.ts. An image that cannot be read or scanned is an error judgement: the cleanup keeps it.
 */
import pMap from 'p-map';
import { errorMessage } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { atLeast, compareSeverity, type Severity } from '../core/severity.js';
import type { Judgement, OnlyFilter } from '../cleanup/only.js';
import { IMAGE_LIFECYCLE_RULES } from '../lifecycle/contribution.js';
import type { PlanEntry } from '../cleanup/planner.js';
import type { LayerCache } from '../image/analysis/cache.js';
import { containerdSource } from '../image/sources/containerd/index.js';
import { NO_ADVISORIES, VULNERABILITY_RULE } from '../vulndb/match/index.js';
import type { Db } from '../vulndb/store/index.js';
import { lifecycle } from './images/contributors/lifecycle/index.js';
import { vulnerabilities } from './images/contributors/vulnerabilities/index.js';
import { scanImage } from './images/index.js';

export interface CachedImageOptions {
  only: OnlyFilter;
  /** `vulnerable`: a vulnerability at or above this qualifies (default high). */
  severity?: Severity | undefined;
  /** The advisory database (`vulnerable`); for `eol` the lifecycle data in it, else the bundled snapshot. */
  db: Db | undefined;
  cache?: LayerCache | undefined;
  containerd: { address: string; namespace?: string | undefined; root?: string | undefined };
  now: Date;
  signal?: AbortSignal | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

/** Names shown in a reason before "and N more". */
const SHOWN = 3;

function listed(items: readonly string[]): string {
  return items.slice(0, SHOWN).join(', ') + (items.length > SHOWN ? ` and ${items.length - SHOWN} more` : '');
}

function judgeVulnerable(findings: readonly Finding[], notChecked: readonly string[], severity: Severity): Judgement {
  // a finding of state `unknown` (the range could not be evaluated) is no reason to remove an image
  const hits = findings.filter((f) => f.rule === VULNERABILITY_RULE && f.evidence['state'] === 'affected' && atLeast(f.severity, severity)).sort((a, b) => compareSeverity(a.severity, b.severity));
  const ids = [...new Set(hits.map((f) => String(f.evidence['vulnerability'])))];
  if (hits.length > 0) {
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    const shown = hits.map((f) => `${text(f.evidence['vulnerability'])} (${f.severity}, ${text((f.evidence['package'] as { name?: unknown } | undefined)?.name)} ${text(f.evidence['installedVersion'])})`);
    return { qualifies: true, message: `${ids.length} vulnerabilit${ids.length === 1 ? 'y' : 'ies'} at or above ${severity}: ${listed([...new Set(shown)])}`, findings: ids };
  }
  const unchecked = notChecked.length === 0 ? '' : `; not checked: ${notChecked.join(', ')} (the database holds no advisories for it)`;
  return { qualifies: false, message: `no vulnerability at or above ${severity}${unchecked}`, findings: [] };
}

function judgeEol(findings: readonly Finding[]): Judgement {
  const past = findings.filter((f) => (IMAGE_LIFECYCLE_RULES as readonly string[]).includes(f.rule) && f.evidence['state'] === 'eol');
  if (past.length > 0) return { qualifies: true, message: `past end of life: ${listed(past.map((f) => f.title.replace(/ in \S+$/, '')))}`, findings: past.map((f) => (f.rule === 'vendor-end-of-life' ? 'vendor-end-of-life' : `${String(f.evidence['product'])} ${String(f.evidence['cycle'])}`)) };
  return { qualifies: false, message: 'nothing in it is past end of life', findings: [] };
}

/** Judge each candidate (by image ID), two at a time; the map has one judgement per candidate. */
export async function judgeCachedImages(candidates: readonly PlanEntry[], options: CachedImageOptions): Promise<Map<string, Judgement>> {
  const severity = options.severity ?? 'high';
  const contributors = options.only === 'vulnerable' ? [vulnerabilities] : [lifecycle];
  const judged = new Map<string, Judgement>();
  let done = 0;
  const one = async (entry: PlanEntry): Promise<Judgement> => {
    let image;
    try {
      image = await containerdSource.open(entry.id, { containerd: options.containerd, signal: options.signal });
    } catch (error) {
      options.signal?.throwIfAborted();
      return { error: `cannot read it from containerd: ${errorMessage(error)}` };
    }
    try {
      const scan = await scanImage(image, { db: options.db, cache: options.cache, contributors, subject: { type: 'image', image: entry.name }, now: options.now, signal: options.signal });
      if (!scan.complete) return { error: 'a layer could not be read to its end, so the scan is incomplete' };
      const findings = scan.findings.map((f) => f.finding);
      const notChecked = scan.issues.filter((i) => i.code === NO_ADVISORIES).map((i) => i.location ?? i.message);
      return options.only === 'vulnerable' ? judgeVulnerable(findings, notChecked, severity) : judgeEol(findings);
    } catch (error) {
      options.signal?.throwIfAborted();
      return { error: `scanning it failed: ${errorMessage(error)}` };
    } finally {
      await image.close();
    }
  };
  await pMap(
    candidates,
    async (entry) => {
      judged.set(entry.id, await one(entry));
      options.onProgress?.(`[${++done}/${candidates.length}] scanned ${entry.name} for --only ${options.only}`);
    },
    { concurrency: 2 },
  );
  return judged;
}
