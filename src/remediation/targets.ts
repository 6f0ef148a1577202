/**
 * What needs fixing per workload container, and which image changes could fix it — from a scan's
 * findings alone (pure). Targets: fixable vulnerabilities and ends of life (`end-of-life`,
 * `vendor-end-of-life`) at or above the threshold, a drifted digest and a newer tag. Candidates, smallest change
 * first: the tag's current digest (`digest-drift`), the newest patch tag, the newest minor tag (`newer-tag`),
 * the next supported cycle when the image's own tag names the product (`end-of-life`), and the newest
 * major tag only when asked for.
 */
import type { Finding, Subject } from '../core/finding.js';
import { tryParseImageReference } from '../core/image-ref.js';
import { atLeast, type Severity } from '../core/severity.js';
import { IMAGE_LIFECYCLE_RULES } from '../lifecycle/contribution.js';
import { retag } from '../lifecycle/verdict/image.js';
import { VULNERABILITY_RULE } from '../vulndb/match/index.js';

export { VULNERABILITY_RULE };
const EOL_RULES: ReadonlySet<string> = new Set(IMAGE_LIFECYCLE_RULES);

/** One thing a change must fix. `key` identifies it across the running image and a candidate. */
export type Target =
  | { type: 'vulnerability'; key: string; id: string; package: string; installed: string; fixed: string[]; severity: Severity }
  | { type: 'end-of-life'; key: string; title: string; severity: Severity }
  | { type: 'digest-drift'; key: string; tag: string; current: string }
  | { type: 'newer-tag'; key: string; current: string; newest: string };

/** How big a change is, smallest first. */
export const CHANGE_KINDS = ['digest', 'patch', 'minor', 'cycle', 'major'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One image change to try: a tag (with its digest resolved later) or the running tag's current digest. */
export interface Candidate {
  change: ChangeKind;
  tag: string;
  /** Known for `digest` (the tag's current digest); resolved from the registry for a tag. */
  digest: string | undefined;
}

export interface ContainerTargets {
  subject: Subject & { namespace: string; workload: { kind: string; name: string }; container: string };
  /** The image the findings are about (the spec's reference, normalised). */
  image: string;
  targets: Target[];
  candidates: Candidate[];
  /** The running image's vulnerabilities (`vulnerabilityKey`) and ends of life (`eolKey`), any severity: a candidate's others are new. */
  known: Set<string>;
}

export interface TargetOptions {
  /** Vulnerabilities and ends of life at or above this are targets (default high). */
  severity: Severity;
  /** Offer the newest major tag too (default off: a major is rarely "the smallest change"). */
  allowMajor: boolean;
}

/** `CVE-2024-1234 openssl`: one vulnerability of one package, as the running image and a candidate both say it. */
export function vulnerabilityKey(finding: Finding): string | undefined {
  const id = finding.evidence['vulnerability'];
  const pkg = finding.evidence['package'] as { name?: unknown } | undefined;
  return typeof id === 'string' && typeof pkg?.name === 'string' ? `${id} ${pkg.name}` : undefined;
}

/** The end-of-life key a candidate shares with the running image: the product (any cycle), or the publisher's date. */
export function eolKey(finding: Finding): string {
  return finding.rule === 'vendor-end-of-life' ? 'eol vendor' : `eol ${String(finding.evidence['product'])}`;
}

/** Whether an end-of-life finding is past (`eol`) or near (`eol-soon`) end of life. */
export function isEol(finding: Finding): boolean {
  return EOL_RULES.has(finding.rule) && (finding.evidence['state'] === 'eol' || finding.evidence['state'] === 'eol-soon');
}

function containerKey(s: Subject): string {
  return `${s.namespace ?? ''}\0${s.workload?.kind ?? ''}\0${s.workload?.name ?? ''}\0${s.container ?? ''}`;
}

function isContainerSubject(s: Subject): s is ContainerTargets['subject'] {
  return s.type === 'container' && s.namespace !== undefined && s.workload !== undefined && s.container !== undefined;
}

function addCandidate(list: Candidate[], candidate: Candidate): void {
  if (!list.some((c) => c.tag === candidate.tag && c.digest === candidate.digest && (c.change === 'digest') === (candidate.change === 'digest'))) list.push(candidate);
}

/** The tag of the next supported cycle, when the image's own tag names the product (`node:16-alpine` → `22-alpine`). */
function cycleTag(image: string, finding: Finding): string | undefined {
  const next = finding.evidence['nextSupportedCycle'];
  const how = finding.evidence['detectedBy'];
  if (typeof next !== 'string' || !Array.isArray(how) || !how.some((h) => typeof h === 'string' && h.startsWith('image-reference'))) return undefined;
  const ref = tryParseImageReference(image);
  if (ref === undefined) return undefined;
  const to = retag(image, ref, next);
  return to === undefined ? undefined : tryParseImageReference(to)?.tag;
}

/** Per workload container with something to fix: its targets and candidates, in scan order. */
export function containerTargets(findings: readonly Finding[], options: TargetOptions): ContainerTargets[] {
  const byKey = new Map<string, ContainerTargets>();
  const entry = (s: ContainerTargets['subject']): ContainerTargets => {
    const key = containerKey(s);
    let e = byKey.get(key);
    if (e === undefined) {
      e = { subject: s, image: s.image ?? '', targets: [], candidates: [], known: new Set() };
      byKey.set(key, e);
    }
    return e;
  };
  const cycles: Array<{ e: ContainerTargets; tag: string }> = [];
  const majors: Array<{ e: ContainerTargets; tag: string }> = [];
  for (const f of findings) {
    if (!isContainerSubject(f.subject)) continue;
    if (f.rule === VULNERABILITY_RULE) {
      const key = vulnerabilityKey(f);
      if (key === undefined) continue;
      // every vulnerability the running image has counts as known, suppressed or not: a candidate keeping it adds nothing new
      const e = entry(f.subject);
      e.known.add(key);
      if (f.suppression !== undefined || f.evidence['fixStatus'] !== 'fixed' || !atLeast(f.severity, options.severity)) continue;
      const pkg = f.evidence['package'] as { name: string };
      const fixed = Array.isArray(f.evidence['fixedVersions']) ? (f.evidence['fixedVersions'] as unknown[]).filter((v): v is string => typeof v === 'string') : [];
      if (!e.targets.some((t) => t.key === key)) e.targets.push({ type: 'vulnerability', key, id: String(f.evidence['vulnerability']), package: pkg.name, installed: typeof f.evidence['installedVersion'] === 'string' ? f.evidence['installedVersion'] : '', fixed, severity: f.severity });
      continue;
    }
    if (f.suppression !== undefined) continue;
    if (isEol(f)) {
      const key = eolKey(f);
      // past end of life is high, medium while extended support runs, low within the look-ahead: the threshold decides
      if (!atLeast(f.severity, options.severity)) {
        entry(f.subject).known.add(key);
        continue;
      }
      const e = entry(f.subject);
      e.known.add(key);
      if (!e.targets.some((t) => t.key === key)) e.targets.push({ type: 'end-of-life', key, title: f.title, severity: f.severity });
      const tag = f.rule === 'end-of-life' ? cycleTag(e.image, f) : undefined;
      if (tag !== undefined) cycles.push({ e, tag });
    } else if (f.rule === 'digest-drift') {
      const tag = f.evidence['tag'];
      const current = f.evidence['currentDigest'];
      if (typeof tag !== 'string' || typeof current !== 'string') continue;
      const e = entry(f.subject);
      e.targets.push({ type: 'digest-drift', key: 'digest-drift', tag, current });
      addCandidate(e.candidates, { change: 'digest', tag, digest: current });
    } else if (f.rule === 'newer-tag') {
      const current = f.evidence['current'];
      const patch = f.evidence['newestPatch'];
      const minor = f.evidence['newestMinor'];
      const major = f.evidence['newestMajor'];
      if (typeof current !== 'string') continue;
      const e = entry(f.subject);
      const newest = typeof patch === 'string' ? patch : typeof minor === 'string' ? minor : undefined;
      if (newest === undefined) continue;
      e.targets.push({ type: 'newer-tag', key: 'newer-tag', current, newest });
      if (typeof patch === 'string') addCandidate(e.candidates, { change: 'patch', tag: patch, digest: undefined });
      if (typeof minor === 'string') addCandidate(e.candidates, { change: 'minor', tag: minor, digest: undefined });
      if (options.allowMajor && typeof major === 'string') majors.push({ e, tag: major });
    }
  }
  // smallest first whatever order the findings came in: digest, patch, minor, then the next cycle, then a major
  for (const { e, tag } of cycles) addCandidate(e.candidates, { change: 'cycle', tag, digest: undefined });
  for (const { e, tag } of majors) addCandidate(e.candidates, { change: 'major', tag, digest: undefined });
  for (const e of byKey.values()) e.candidates.sort((a, b) => CHANGE_KINDS.indexOf(a.change) - CHANGE_KINDS.indexOf(b.change));
  return [...byKey.values()].filter((e) => e.targets.length > 0);
}

/**
 * Which lifecycle targets a change fixes by what it is: re-pulling the tag's current digest fixes the drift;
 * moving to another tag leaves the drifted tag behind, and a tag at least as new as the newest patch fixes
 * "newer tag". Vulnerabilities and end of life are known only from scanning the candidate.
 */
export function fixesByConstruction(target: Target, candidate: Candidate): boolean {
  if (target.type === 'digest-drift') return true;
  if (target.type === 'newer-tag') return candidate.change !== 'digest';
  return false;
}
