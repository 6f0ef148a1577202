/**
 * Remediation (PRODUCT.md "Remediation"): for each workload container with fixable vulnerabilities, an end of
 * life, a drifted digest or a newer tag, the smallest image change that fixes it — a fixed tag or digest —
 * checked by scanning the new image, and the change as a JSON Patch of the workload that tests the image it
 * replaces. `runwarden fix` prints it (table, JSON, a kubectl script) or applies it (`--apply`).
 */
import pMap from 'p-map';
import type { Finding } from '../core/finding.js';
import { formatImageReference, tryParseImageReference, type ImageReference } from '../core/image-ref.js';
import { workloadKey, type Inventory, type WorkloadRef } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import type { ScanReport } from '../core/report.js';
import { atLeast, type Severity } from '../core/severity.js';
import type { Platform } from '../registry/schema.js';
import { changedImage, containerPlace, isPinned, jsonPatch, kubectlPatch, normalisedImage, rawObjects, workloadObject, type PatchOp, type WorkloadObject } from './patch.js';
import { containerTargets, eolKey, fixesByConstruction, isEol, vulnerabilityKey, VULNERABILITY_RULE, type Candidate, type ChangeKind, type ContainerTargets, type Target } from './targets.js';
import type { ManifestChange, ManifestNotChanged } from './manifests.js';
import type { ManagedBy } from './owner.js';
import type { CandidateScan, CandidateScanner } from './verify.js';

export { CandidateScanner, type CandidateScannerOptions } from './verify.js';
export { CHANGE_KINDS, type ChangeKind, type Target } from './targets.js';
export type { PatchOp } from './patch.js';
export type { ManagedBy } from './owner.js';

export const REMEDIATION_SCHEMA_VERSION = 1;

/** Containers whose candidates are tried at once. */
const CONCURRENCY = 2;

export interface RemediationOptions {
  /** Vulnerabilities at or above this are to be fixed (default high). */
  severity?: Severity | undefined;
  /** Also try the newest major tag (default off). */
  allowMajor?: boolean | undefined;
  /** Candidate images tried per container (default 3). */
  maxCandidates?: number | undefined;
  /** Scans candidate images; undefined = candidates are judged by what they are only. */
  scanner?: CandidateScanner | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

/** A target as the plan shows it. */
export interface TargetView {
  type: Target['type'];
  /** `CVE-2024-1234 (openssl 3.0.13 → 3.0.14)`, the end-of-life title, `digest drift of 1.2`, `newer tag 2.4.3`. */
  what: string;
  severity?: Severity | undefined;
}

export interface ConsideredCandidate {
  image: string;
  change: ChangeKind;
  /** What became of it: `fixes all`, `fixes 2 of 3`, `not in the registry: …`, `adds CVE-… (critical)`. */
  result: string;
}

export interface ContainerRemediation {
  container: string;
  /** The running image (normalised), as the findings name it. */
  image: string;
  /** `fixed`: the change fixes every target; `partial`: some; `unresolved`: no change found. */
  outcome: 'fixed' | 'partial' | 'unresolved';
  /** The image as written in the workload, and the JSON pointer of it. */
  from?: string | undefined;
  path?: string | undefined;
  to?: string | undefined;
  change?: ChangeKind | undefined;
  /** The new image's digest, when known. */
  digest?: string | undefined;
  /** Whether the new image was scanned (its vulnerabilities and end of life checked). */
  scanned: boolean;
  fixes: TargetView[];
  remaining: TargetView[];
  /** At or above the threshold in the new image but not in the running one (a chosen change never has any). */
  introduced: string[];
  /** Why there is no change, or what the reader should know about it. */
  note?: string | undefined;
  /** Why the change is not in the workload's patch (the object was not read, a rollout is in progress, …). */
  noPatch?: string | undefined;
  considered: ConsideredCandidate[];
}

export interface WorkloadRemediation {
  workload: WorkloadRef;
  /** The API path patched by `--apply`; undefined when the workload cannot be patched (`note` says why). */
  apiPath?: string | undefined;
  containers: ContainerRemediation[];
  /** The JSON Patch of the changed containers (none when nothing can be changed). */
  patch?: PatchOp[] | undefined;
  /** The same as a kubectl command. */
  kubectl?: string | undefined;
  note?: string | undefined;
  /** How the new image reaches the running pods, when that is not a rolling update that starts at once (OnDelete, paused, a CronJob's next run). */
  rollout?: string | undefined;
  /** The Helm release, Argo CD application or Flux object that puts the patched image back, and where to change it instead (owner.ts). */
  managedBy?: ManagedBy | undefined;
}

export interface RemediationPlan {
  schemaVersion: typeof REMEDIATION_SCHEMA_VERSION;
  generatedAt: string;
  source: ScanReport['source'];
  severity: Severity;
  summary: { workloads: number; containers: number; fixed: number; partial: number; unresolved: number; patches: number; candidatesScanned: number };
  workloads: WorkloadRemediation[];
  issues: Issue[];
  /** With `fix --manifests`: the image values changed in the manifests, and the changes they do not hold. */
  manifests?: { files: string[]; changes: ManifestChange[]; notChanged: ManifestNotChanged[] } | undefined;
}

function targetView(t: Target): TargetView {
  switch (t.type) {
    case 'vulnerability':
      return { type: t.type, what: `${t.id} (${t.package} ${t.installed}${t.fixed.length === 0 ? '' : ` → ${t.fixed.join(' or ')}`})`, severity: t.severity };
    case 'end-of-life':
      return { type: t.type, what: t.title, severity: t.severity };
    case 'digest-drift':
      return { type: t.type, what: `digest drift of tag ${t.tag} (now ${t.current.slice(0, 19)}…)` };
    case 'newer-tag':
      return { type: t.type, what: `newer tag ${t.newest} than ${t.current}` };
  }
}

interface Evaluation {
  candidate: Candidate;
  image: string;
  digest: string | undefined;
  scan: CandidateScan | undefined;
  fixed: Target[];
  remaining: Target[];
  introduced: string[];
  /** Why it cannot be used at all (not in the registry, cannot be pinned, not readable while it must be). */
  unusable: string | undefined;
}

/** What a candidate fixes, leaves and adds. */
function judge(t: ContainerTargets, candidate: Candidate, scan: CandidateScan | undefined, severity: Severity): Pick<Evaluation, 'fixed' | 'remaining' | 'introduced'> {
  const findings: readonly Finding[] = scan?.scanned === true ? scan.findings : [];
  const vulns = new Set<string>();
  const eols = new Set<string>();
  const introduced: string[] = [];
  for (const f of findings) {
    if (f.rule === VULNERABILITY_RULE) {
      const key = vulnerabilityKey(f);
      if (key === undefined) continue;
      vulns.add(key);
      if (!t.known.has(key) && atLeast(f.severity, severity)) introduced.push(`${key} (${f.severity})`);
    } else if (isEol(f)) {
      const key = eolKey(f);
      eols.add(key);
      if (!t.known.has(key) && atLeast(f.severity, severity)) introduced.push(f.title);
    }
  }
  const fixed: Target[] = [];
  const remaining: Target[] = [];
  // a scan that could not read every layer may miss the package that still has the vulnerability: it proves no fix
  const trusted = scan?.scanned === true && scan.complete;
  for (const target of t.targets) {
    const ok = target.type === 'vulnerability' ? trusted && !vulns.has(target.key) : target.type === 'end-of-life' ? trusted && !eols.has(target.key) : fixesByConstruction(target, candidate);
    (ok ? fixed : remaining).push(target);
  }
  return { fixed, remaining, introduced: [...new Set(introduced)].sort() };
}

function describe(e: Evaluation, total: number): string {
  if (e.unusable !== undefined) return e.unusable;
  const parts = [e.remaining.length === 0 ? 'fixes all' : `fixes ${e.fixed.length} of ${total}`];
  if (e.introduced.length > 0) parts.push(`adds ${e.introduced.slice(0, 3).join(', ')}${e.introduced.length > 3 ? ` and ${e.introduced.length - 3} more` : ''}`);
  if (e.scan?.scanned === false) parts.push(`not scanned: ${e.scan.reason}`);
  else if (e.scan?.scanned === true && !e.scan.complete) parts.push('scanned in part (a layer could not be read)');
  return parts.join('; ');
}

/**
 * What a plan looks up per container, indexed once per plan (a container's lookups are then constant, not a walk
 * over every pod): the workload objects, the platform of the nodes running each workload (the first known, for
 * choosing from an index), and the lifecycle verdict of each workload container.
 */
interface PlanIndex {
  object(ref: WorkloadRef): WorkloadObject;
  platform(ref: WorkloadRef): Platform | undefined;
  lifecycleRow(t: ContainerTargets): NonNullable<ScanReport['lifecycle']>['containers'][number] | undefined;
}

function containerRowKey(namespace: string, kind: string, name: string, container: string): string {
  return `${namespace}\0${kind}\0${name}\0${container}`;
}

function planIndex(inventory: Inventory, lifecycle: ScanReport['lifecycle']): PlanIndex {
  const raws = rawObjects(inventory);
  const objects = new Map<string, WorkloadObject>();
  const nodes = new Map(inventory.nodes.map((n) => [n.name, n]));
  const platforms = new Map<string, Platform>();
  for (const pod of inventory.pods) {
    const key = workloadKey(pod.workload);
    const node = pod.nodeName === undefined ? undefined : nodes.get(pod.nodeName);
    if (!platforms.has(key) && node?.architecture !== undefined) platforms.set(key, { os: node.operatingSystem ?? 'linux', architecture: node.architecture });
  }
  const rows = new Map<string, NonNullable<ScanReport['lifecycle']>['containers'][number]>();
  for (const row of lifecycle?.containers ?? []) {
    const key = containerRowKey(row.namespace, row.workload.kind, row.workload.name, row.container);
    if (!rows.has(key)) rows.set(key, row);
  }
  return {
    object(ref) {
      const key = workloadKey(ref);
      let object = objects.get(key);
      if (object === undefined) {
        object = workloadObject(ref, raws.get(key));
        objects.set(key, object);
      }
      return object;
    },
    platform: (ref) => platforms.get(workloadKey(ref)),
    lifecycleRow: (t) => rows.get(containerRowKey(t.subject.namespace, t.subject.workload.kind, t.subject.workload.name, t.subject.container)),
  };
}

async function evaluate(t: ContainerTargets, ref: ImageReference, written: string | undefined, candidate: Candidate, options: RemediationOptions & { severity: Severity; platform: Platform | undefined }): Promise<Evaluation> {
  const base = written ?? t.image;
  const wantsScan = t.targets.some((x) => x.type === 'vulnerability' || x.type === 'end-of-life');
  let digest = candidate.digest;
  const out = (fields: Partial<Evaluation>): Evaluation => ({ candidate, image: changedImage(base, candidate.tag, digest), digest, scan: undefined, fixed: [], remaining: [...t.targets], introduced: [], unusable: undefined, ...fields });
  if (digest === undefined && options.scanner !== undefined) {
    const resolved = await options.scanner.resolve(ref, candidate.tag);
    if (resolved.digest === undefined) return out({ unusable: `${candidate.tag} not resolved: ${resolved.reason}` });
    digest = resolved.digest;
  }
  // a re-pull of the same tag is pinned to the digest that fixes it; an image that was pinned stays pinned
  const pin = candidate.change === 'digest' || isPinned(base);
  if (pin && digest === undefined) return out({ unusable: `${candidate.tag}: its digest is unknown, and the image must stay pinned` });
  const scan = options.scanner !== undefined && digest !== undefined ? await options.scanner.scan(ref, candidate.tag, digest, options.platform) : undefined;
  const judged = judge(t, candidate, scan, options.severity);
  const image = changedImage(base, candidate.tag, pin ? digest : undefined);
  if (wantsScan && scan?.scanned !== true && judged.fixed.length === 0) {
    return { candidate, image, digest, scan, ...judged, unusable: `not scanned: ${scan?.scanned === false ? scan.reason : 'no vulnerability database or way to read images'}` };
  }
  return { candidate, image, digest, scan, ...judged, unusable: undefined };
}

/**
 * Why a container has no candidate: an image pinned by digest alone has no tag line to move along; newer builds and
 * tags may be unknown (registry not consulted, or not answering); else the registry has none, and the fix is a rebuild.
 */
function noCandidateNote(t: ContainerTargets, ref: ImageReference, lifecycle: ScanReport['lifecycle'], index: PlanIndex): string {
  if (ref.tag === undefined && ref.digest !== undefined) return `${t.image} is pinned by digest without a tag: no tag says which newer image is the same line; write the tag with the digest (name:tag@sha256:…)`;
  if (lifecycle === undefined) return 'newer builds and tags were not looked for (end-of-life and freshness checks were off)';
  if (lifecycle.registry === 'not-consulted') return 'the registry was not consulted (offline), so newer builds and tags are unknown: give --pull-images or --image-dir';
  const row = index.lifecycleRow(t);
  if (row?.verdict === 'unknown' && row.reasons[0] !== undefined) return `newer builds and tags are unknown: ${row.reasons[0]}`;
  const vulns = t.targets.some((x) => x.type === 'vulnerability');
  return `no newer build or tag of ${formatImageReference({ ...ref, digest: undefined })} was found${vulns ? ': the fix needs the image rebuilt with the fixed package versions' : ''}`;
}

async function remediateContainer(index: PlanIndex, t: ContainerTargets, lifecycle: ScanReport['lifecycle'], options: RemediationOptions & { severity: Severity; maxCandidates: number }): Promise<ContainerRemediation> {
  const ref = tryParseImageReference(t.image);
  const object = index.object({ ...t.subject.workload, namespace: t.subject.namespace });
  const place = containerPlace(object, t.subject.container);
  const base: ContainerRemediation = { container: t.subject.container, image: t.image, outcome: 'unresolved', scanned: false, fixes: [], remaining: t.targets.map(targetView), introduced: [], considered: [] };
  if (place.ok) {
    base.from = place.image;
    base.path = place.path;
  }
  if (ref === undefined) return { ...base, note: `the image reference "${t.image}" is invalid` };
  if (t.candidates.length === 0) return { ...base, note: noCandidateNote(t, ref, lifecycle, index) };
  const platform = index.platform({ ...t.subject.workload, namespace: t.subject.namespace });
  const evaluations: Evaluation[] = [];
  let chosen: Evaluation | undefined;
  for (const candidate of t.candidates.slice(0, options.maxCandidates)) {
    const e = await evaluate(t, ref, place.ok ? place.image : undefined, candidate, { ...options, platform });
    evaluations.push(e);
    if (e.unusable === undefined && e.remaining.length === 0 && e.introduced.length === 0) {
      chosen = e;
      break;
    }
  }
  if (chosen === undefined) {
    // the one that fixes the most and adds nothing (the smaller change of equals)
    for (const e of evaluations) if (e.unusable === undefined && e.introduced.length === 0 && e.fixed.length > 0 && (chosen === undefined || e.fixed.length > chosen.fixed.length)) chosen = e;
  }
  const considered = evaluations.map((e) => ({ image: e.image, change: e.candidate.change, result: describe(e, t.targets.length) }));
  if (t.candidates.length > options.maxCandidates) considered.push(...t.candidates.slice(options.maxCandidates).map((c) => ({ image: changedImage(place.ok ? place.image : t.image, c.tag, c.digest), change: c.change, result: 'not tried (--max-candidates)' })));
  if (chosen === undefined) return { ...base, considered, note: 'no candidate image fixes any of it without adding vulnerabilities or an end of life' };
  const scanned = chosen.scan?.scanned === true;
  const fixed: ContainerRemediation = {
    ...base,
    outcome: chosen.remaining.length === 0 ? 'fixed' : 'partial',
    to: chosen.image,
    change: chosen.candidate.change,
    digest: chosen.digest,
    scanned,
    fixes: chosen.fixed.map(targetView),
    remaining: chosen.remaining.map(targetView),
    introduced: chosen.introduced,
    considered,
  };
  if (!scanned) fixed.note = `the new image was not scanned (${chosen.scan?.scanned === false ? chosen.scan.reason : 'no vulnerability database or way to read images'}): its vulnerabilities are unknown`;
  if (!place.ok) fixed.noPatch = place.reason;
  else if (normalisedImage(place.image) !== t.image) fixed.noPatch = `the ${t.subject.workload.kind} now names ${place.image}, not the ${t.image} its pods run (a rollout in progress?); scan again when it is done`;
  return fixed;
}


/** The plan: per workload, its containers' changes and one patch. */
export async function planRemediation(inventory: Inventory, report: ScanReport, options: RemediationOptions = {}): Promise<RemediationPlan> {
  const severity = options.severity ?? 'high';
  const maxCandidates = Math.max(1, options.maxCandidates ?? 3);
  const targets = containerTargets(report.findings, { severity, allowMajor: options.allowMajor ?? false });
  const index = planIndex(inventory, report.lifecycle);
  const issues: Issue[] = [];
  const byWorkload = new Map<string, WorkloadRemediation>();
  // containers two at a time (each candidate image is read with 3 layers at once, as scan reads running ones);
  // the results keep the findings' order
  let done = 0;
  const results = await pMap(
    targets,
    async (t) => {
      const result = await remediateContainer(index, t, report.lifecycle, { ...options, severity, maxCandidates });
      options.onProgress?.(`remediation ${++done}/${targets.length}: ${t.subject.namespace}/${t.subject.workload.name} ${t.subject.container}`);
      return result;
    },
    { concurrency: CONCURRENCY },
  );
  targets.forEach((t, i) => {
    const ref: WorkloadRef = { ...t.subject.workload, namespace: t.subject.namespace };
    const key = `${ref.namespace}\0${ref.kind}\0${ref.name}`;
    let w = byWorkload.get(key);
    if (w === undefined) {
      const object = index.object(ref);
      w = { workload: ref, apiPath: object.apiPath, containers: [], note: object.unpatchable, rollout: object.rollout, managedBy: object.managedBy };
      byWorkload.set(key, w);
    }
    w.containers.push(results[i] as ContainerRemediation);
  });
  for (const w of byWorkload.values()) {
    const changes = w.containers.filter((c) => c.to !== undefined && c.from !== undefined && c.path !== undefined && c.noPatch === undefined);
    if (changes.length === 0 || w.apiPath === undefined) {
      w.rollout = undefined;
      continue;
    }
    w.patch = jsonPatch(changes.map((c) => ({ path: c.path as string, from: c.from as string, to: c.to as string })));
    w.kubectl = kubectlPatch({ ref: w.workload, resource: w.workload.kind.toLowerCase() }, w.patch);
  }
  const workloads = [...byWorkload.values()].sort((a, b) => `${a.workload.namespace}/${a.workload.kind}/${a.workload.name}`.localeCompare(`${b.workload.namespace}/${b.workload.kind}/${b.workload.name}`));
  const containers = workloads.flatMap((w) => w.containers);
  const scannerIssues = options.scanner === undefined ? [issue('remediation-unverified', 'Candidate images were not scanned: which of them fixes a vulnerability or an end of life is unknown', undefined, 'Give the vulnerability database and a way to read images (--db with --pull-images or --image-dir).')] : [];
  issues.push(...(targets.some((t) => t.targets.some((x) => x.type === 'vulnerability' || x.type === 'end-of-life')) ? scannerIssues : []));
  return {
    schemaVersion: REMEDIATION_SCHEMA_VERSION,
    generatedAt: report.generatedAt,
    source: report.source,
    severity,
    summary: {
      workloads: workloads.length,
      containers: containers.length,
      fixed: containers.filter((c) => c.outcome === 'fixed').length,
      partial: containers.filter((c) => c.outcome === 'partial').length,
      unresolved: containers.filter((c) => c.outcome === 'unresolved').length,
      patches: workloads.filter((w) => w.patch !== undefined).length,
      candidatesScanned: options.scanner?.scanned ?? 0,
    },
    workloads,
    issues,
  };
}
