/**
 * Lifecycle and freshness for every container of the inventory: one verdict per pod container,
 * findings per workload container (as vulnerability findings), issues for what could not be read.
 * Images are evaluated once per (reference, running digest); registry questions go through one
 * `RegistryProbe`, so a repository's tag list and a tag's digest are fetched once per scan.
 */
import type { Finding, Subject } from '../core/finding.js';
import { formatImageReference } from '../core/image-ref.js';
import type { Inventory } from '../core/inventory.js';
import type { Issue } from '../core/issue.js';
import { isoDay } from './data/cycles.js';
import type { ImageFacts } from './detect/types.js';
import { observeFreshness, type Freshness, type RegistryProbe } from './freshness/index.js';
import { imageLifecycle, type ImageLifecycle, type LifecycleSettings } from './verdict/image.js';
import { lifecycleFindings, verdictOf, type ContainerVerdict } from './verdict/findings.js';

export interface ContainerLifecycleOptions {
  settings: LifecycleSettings;
  /** What the per-image pipeline learnt, by running manifest digest (OS, packages, env, created, referrers). */
  facts?: ReadonlyMap<string, ImageFacts> | undefined;
  /** Ask registries for drift, tags and lifecycle referrers; undefined = offline (freshness unknown). */
  probe?: RegistryProbe | undefined;
  /** Only containers of these namespaces. */
  namespaces?: ReadonlySet<string> | undefined;
  /**
   * `end-of-life` / `vendor-end-of-life` findings the per-image pipeline (src/scan/images, lifecycle
   * contributor) already placed on containers: they count in each container's verdict, and a finding
   * of the same id is not reported twice.
   */
  imageFindings?: readonly Finding[] | undefined;
  /**
   * Image evaluations kept across scans by a long-running caller (src/scan/incremental.ts), used only offline
   * (no probe, no per-image facts): an evaluation is then a function of the container's image and running
   * digest, the lifecycle data, the settings and the UTC day, which make the memo's key. Only the entries of
   * the images still running are kept.
   */
  memo?: ContainerLifecycleMemo | undefined;
}

type Evaluation = { image: ImageLifecycle; freshness: Freshness; probeIssues: Issue[] };

export interface ContainerLifecycleMemo {
  key?: string;
  images?: Map<string, Evaluation>;
}

function subjectKey(s: Subject): string {
  return `${s.namespace ?? ''}\0${s.workload?.kind ?? ''}\0${s.workload?.name ?? ''}\0${s.container ?? ''}\0${s.image ?? ''}`;
}

/** Fold end-of-life findings found inside the image into a container's verdict. */
function withImageFindings(v: ReturnType<typeof verdictOf>, found: readonly Finding[]): ReturnType<typeof verdictOf> {
  // The publisher's date, when the probe read the same referrer, is already a reason: not twice.
  const vendorKnown = v.reasons.some((r) => r.startsWith('the publisher declare'));
  found = found.filter((f) => !(vendorKnown && f.rule === 'vendor-end-of-life'));
  const past = found.filter((f) => f.evidence.state === 'eol');
  const soon = found.filter((f) => f.evidence.state === 'eol-soon');
  if (past.length > 0) {
    if (v.verdict === 'end-of-life') return { ...v, reasons: [...new Set([...v.reasons, ...past.map((f) => f.title)])] };
    // What made it outdated (a drifted digest, a newer tag) still holds: listed after the end of life.
    return { verdict: 'end-of-life', reasons: [...past.map((f) => f.title), ...(v.verdict === 'outdated' ? v.reasons : [])], fix: v.fix };
  }
  if (soon.length > 0 && (v.verdict === 'fresh' || v.verdict === 'unknown')) return { verdict: 'outdated', reasons: soon.map((f) => f.title), fix: undefined };
  if (soon.length > 0 && v.verdict === 'outdated') return { ...v, reasons: [...new Set([...v.reasons, ...soon.map((f) => f.title)])] };
  return v;
}

export interface ContainerLifecycleResult {
  findings: Finding[];
  verdicts: ContainerVerdict[];
  issues: Issue[];
}

export async function containerLifecycle(inventory: Inventory, options: ContainerLifecycleOptions): Promise<ContainerLifecycleResult> {
  const { settings, probe } = options;
  const images = new Map<string, Promise<{ image: ImageLifecycle; freshness: Freshness; probeIssues: Issue[] }>>();
  const issues: Issue[] = [];
  const issueKeys = new Set<string>();
  const addIssue = (i: Issue): void => {
    const key = `${i.code}\0${i.message}\0${i.location ?? ''}`;
    if (!issueKeys.has(key)) {
      issueKeys.add(key);
      issues.push(i);
    }
  };
  // One evaluation per image (promise), then one synchronous step per container: no promise per container.
  const jobs: Array<{ key: string; apply: (evaluated: Evaluation) => void }> = [];
  const memo = probe === undefined && options.facts === undefined ? options.memo : undefined;
  const memoKey = JSON.stringify([isoDay(settings.now), settings.data.source, settings.data.fetchedAt, settings.eolLookaheadDays, settings.maxImageAgeDays]);
  const known = memo !== undefined && memo.key === memoKey ? memo.images : undefined;
  const used = new Map<string, Promise<Evaluation>>();
  const verdicts: ContainerVerdict[] = [];
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const fromImages = new Map<string, Finding[]>();
  const knownIds = new Set<string>();
  for (const f of options.imageFindings ?? []) {
    if (f.kind !== 'end-of-life' || f.suppression !== undefined) continue;
    const key = subjectKey(f.subject);
    fromImages.set(key, [...(fromImages.get(key) ?? []), f]);
    knownIds.add(f.id);
  }
  for (const pod of inventory.pods) {
    if (options.namespaces !== undefined && !options.namespaces.has(pod.namespace)) continue;
    for (const c of pod.containers) {
      const name = c.ref === undefined ? c.image : formatImageReference(c.ref);
      const digest = c.running?.kind === 'repo-digest' ? c.running.digest : undefined;
      const key = `${name}\0${c.running?.digest ?? ''}`;
      let evaluation = images.get(key);
      const firstOfKey = evaluation === undefined;
      // The same inputs as below (reference, running image, settings): the previous scan's answer.
      const exact = memo === undefined ? undefined : `${key}\0${c.image}\0${JSON.stringify(c.running ?? null)}`;
      const before = evaluation === undefined && exact !== undefined ? known?.get(exact) : undefined;
      if (evaluation === undefined && before !== undefined) {
        evaluation = Promise.resolve(before);
        images.set(key, evaluation);
      }
      if (evaluation === undefined) {
        const given = digest === undefined ? undefined : options.facts?.get(digest);
        const facts: ImageFacts = { ...given, reference: c.ref, digest: digest ?? given?.digest };
        evaluation = (async () => {
          let referrers = facts.referrers;
          const probeIssues: Issue[] = [];
          if (referrers === undefined && probe !== undefined && c.ref !== undefined && digest !== undefined) {
            const r = await probe.lifecycleReferrers(c.ref, digest);
            if (r.ok) referrers = r.value;
            else probeIssues.push({ code: 'lifecycle-referrers-failed', message: `Cannot read lifecycle referrers of ${name}@${digest}: ${r.reason}`, location: `${c.ref.registry}/${c.ref.repository}`, hint: r.hint });
          }
          const image = imageLifecycle({ ...facts, referrers }, settings, c.image);
          const freshness = await observeFreshness({ ref: c.ref, running: c.running, created: facts.created }, probe, { now: settings.now, maxImageAgeDays: settings.maxImageAgeDays });
          return { image, freshness, probeIssues };
        })();
        images.set(key, evaluation);
      }
      if (exact !== undefined && firstOfKey) used.set(exact, evaluation);
      const subject: Subject = { type: 'container', namespace: pod.namespace, workload: { kind: pod.workload.kind, name: pod.workload.name }, container: c.name, image: name };
      const findingKey = `${pod.namespace}\0${pod.workload.kind}\0${pod.workload.name}\0${c.name}\0${key}`;
      const first = !seen.has(findingKey);
      seen.add(findingKey);
      const row: ContainerVerdict = { namespace: pod.namespace, pod: pod.name, workload: { kind: pod.workload.kind, name: pod.workload.name }, container: c.name, image: name, digest: c.running?.digest, verdict: 'unknown', reasons: [], fix: undefined };
      verdicts.push(row);
      const digestSeen = c.running?.digest;
      jobs.push({
        key,
        apply: ({ image, freshness, probeIssues }) => {
          const v = withImageFindings(verdictOf(image, freshness), fromImages.get(subjectKey(subject)) ?? []);
          row.verdict = v.verdict;
          row.reasons = v.reasons;
          row.fix = v.fix;
          if (!first) return;
          for (const i of probeIssues) addIssue(i);
          for (const i of image.issues) addIssue({ ...i, location: i.location ?? name });
          for (const f of lifecycleFindings(subject, image, freshness, digestSeen)) if (!knownIds.has(f.id)) findings.push(f);
        },
      });
    }
  }
  // Applied in inventory order, whatever order the registry answered in: the same inventory gives the same report.
  const evaluated = new Map<string, Evaluation>();
  await Promise.all([...images].map(async ([key, evaluation]) => evaluated.set(key, await evaluation)));
  for (const { key, apply } of jobs) {
    const e = evaluated.get(key);
    if (e !== undefined) apply(e);
  }
  if (memo !== undefined) {
    const next = new Map<string, Evaluation>();
    for (const [k, evaluation] of used) next.set(k, await evaluation);
    memo.key = memoKey;
    memo.images = next;
  }
  return { findings, verdicts, issues };
}
