/**
 * The images that run, scanned once each: every running container's digest (pod status `imageID`)
 * is resolved to its image (locate.ts: OCI layouts directory, the node's containerd, the registry),
 * scanned ONCE per unique digest and platform (index.ts: catalogers + contributors, layer cache), a
 * few images at a time, and each finding is placed on every workload container that runs the image.
 *
 * An SBOM given for a digest (`--sbom-dir`) is used instead of reading the image: the same digest is
 * never reported twice. An image no locator can read becomes one issue with the reasons and the fix.
 */
import pMap from 'p-map';
import { errorMessage } from '../../core/errors.js';
import { fingerprints, type Finding, type Subject } from '../../core/finding.js';
import { formatImageReference, repositoryName } from '../../core/image-ref.js';
import type { Inventory } from '../../core/inventory.js';
import { issue, type Issue } from '../../core/issue.js';
import type { LayerCache } from '../../image/analysis/cache.js';
import { formatPlatform } from '../../registry/platform.js';
import type { Platform } from '../../registry/schema.js';
import { NO_ADVISORIES, noAdvisoriesIssue, scopeLabel } from '../../vulndb/match/index.js';
import type { Db } from '../../vulndb/store/index.js';
import type { ImageContributor, ImagePackages } from './contributor.js';
import { scanImage, scanPackages, type ImageScan, type PackagesProvider } from './index.js';
import { wantLabel, type ImageLocator, type RunningImageWant } from './locate.js';
import { applyVex, type VexStatement } from '../../vulndb/vex/index.js';

export interface RunningImagesOptions {
  db: Db | undefined;
  /** Packages by manifest digest from SBOM files (`--sbom-dir`): used instead of reading the image. */
  sboms?: ReadonlyMap<string, ImagePackages> | undefined;
  /** Tried in order for each digest without an SBOM; none = only SBOMs are matched. */
  locators?: readonly ImageLocator[] | undefined;
  cache?: LayerCache | undefined;
  contributors?: readonly ImageContributor[] | undefined;
  /** Packages from a trusted attached SBOM instead of cataloging (see index.ts). */
  packages?: PackagesProvider | undefined;
  /** Only the images of pods on these nodes (a node agent scans its own node's images); default every node. */
  nodes?: readonly string[] | undefined;
  /** Images read at once (default 2: each one already reads 3 layers at once). */
  concurrency?: number | undefined;
  /** VEX statements (`--vex`) applied to the placed findings: by package purl, or by the image's digest. */
  vex?: readonly VexStatement[] | undefined;
  now?: Date | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

export interface RunningImage {
  want: RunningImageWant;
  /** Where its packages came from: `sbom`, a locator id, or undefined when it could not be read. */
  from: 'sbom' | ImageLocator['id'] | undefined;
  scan: RunningImageScan | undefined;
  /** Workload containers running it. */
  containers: number;
}

/**
 * What is kept of an image's scan once its findings are placed: the facts and counts, not the packages and findings
 * (a 30,000-pod cluster's 2,244 images held ~1 GB of them until the last image was read: bench/scan-images).
 */
export interface RunningImageScan {
  image: ImageScan['image'];
  os: ImageScan['os'];
  /** Packages found, and findings before they were placed on the containers. */
  packages: number;
  findings: number;
  complete: boolean;
  blobsRead: number;
}

function summaryOf(scan: ImageScan): RunningImageScan {
  return { image: scan.image, os: scan.os, packages: scan.packages.packages.length, findings: scan.findings.length, complete: scan.complete, blobsRead: scan.blobsRead };
}

export interface RunningImagesResult {
  findings: Finding[];
  issues: Issue[];
  images: RunningImage[];
}

/**
 * What each image's one read gave, kept between scans by a long-running service (scan/incremental.ts): an image
 * already read is not read or matched again, and containers that start running it get its findings. The caller
 * keeps a memo only while what the findings depend on holds (the same database state and UTC day, the same
 * settings); a fresh memo reads every image again.
 */
export interface RunningImagesMemo {
  readonly images: Map<string, ImageOutcome>;
}

export function newRunningImagesMemo(): RunningImagesMemo {
  return { images: new Map() };
}

/**
 * The images of `memo` that could not be read (no locator could open them, or their scan failed): a service tries
 * them again later (scan/incremental.ts), a registry that was down or rate-limited being the usual cause.
 */
export function unreadImages(memo: RunningImagesMemo): string[] {
  const keys: string[] = [];
  for (const [key, outcome] of memo.images) if (outcome.failed !== undefined || outcome.unresolved !== undefined) keys.push(key);
  return keys;
}

/** Forget the reads of these images (unreadImages' keys): the next call with the memo reads them again. */
export function forgetImages(memo: RunningImagesMemo, keys: Iterable<string>): void {
  for (const key of keys) memo.images.delete(key);
}

/** The namespaces whose workload containers run the images of `keys` (unreadImages' keys), on `nodes` (default every node). */
export function namespacesRunning(inventory: Inventory, keys: ReadonlySet<string>, nodes?: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const entry of runningWants(inventory, nodes)) {
    if (!keys.has(entry.key)) continue;
    for (const p of entry.placements) if (p.subject.namespace !== undefined) out.add(p.subject.namespace);
  }
  return out;
}

/** One image's read, apart from the containers that run it. */
interface ImageOutcome {
  from: RunningImage['from'];
  scan: RunningImageScan | undefined;
  /** Its findings before placement, each with the evidence every container's copy shares (one object per finding). */
  found: ImageScan['findings'] | undefined;
  /** Its scan's issues, as the scan said them (each scan says them about the image by the name it runs by then). */
  issues: Issue[];
  /** Why it could not be scanned once found: the locator and the error. */
  failed: { locator: string; error: string } | undefined;
  /** Scopes (NO_ADVISORIES' location) the database has no advisories for, with the issue's hint. */
  uncovered: Array<{ scope: string; hint: string | undefined }>;
  /** Why no locator could read it. */
  unresolved: string[] | undefined;
}

interface Placement {
  subject: Subject;
}

interface Want {
  key: string;
  want: RunningImageWant;
  placements: Placement[];
  placed: Set<string>;
}

/**
 * Scan every running image once and place its findings on the workload containers that run it.
 * `memo`: images read by an earlier call are taken from it, new ones added. `namespaces`: the findings are placed
 * on the containers of these namespaces only (a service's incremental rescan has the others' from before); every
 * running image is still listed and its issues said.
 */
export async function scanRunningImages(inventory: Inventory, options: RunningImagesOptions & { memo?: RunningImagesMemo | undefined; namespaces?: ReadonlySet<string> | undefined }): Promise<RunningImagesResult> {
  const list = runningWants(inventory, options.nodes);
  const memo = options.memo;
  const locators = options.locators ?? [];
  const outcomes = new Array<ImageOutcome | undefined>(list.length);
  /** Each image's findings placed on its containers as soon as it is read (without a memo its packages and findings are not kept). */
  const placedOf = new Array<Finding[] | undefined>(list.length);
  const inScope = (p: Placement): boolean => options.namespaces === undefined || options.namespaces.has(p.subject.namespace ?? '');
  const read = async (want: RunningImageWant): Promise<ImageOutcome> => {
    const label = wantLabel(want);
    const outcome: ImageOutcome = { from: undefined, scan: undefined, found: undefined, issues: [], failed: undefined, uncovered: [], unresolved: undefined };
    const imageSubject: Subject = { type: 'image', image: label };
    const keep = (scan: ImageScan, from: RunningImage['from']): void => {
      for (const x of scan.issues) {
        if (x.code === NO_ADVISORIES && x.location !== undefined) outcome.uncovered.push({ scope: x.location, hint: x.hint });
        else outcome.issues.push(x);
      }
      outcome.from = from;
      outcome.scan = summaryOf(scan);
      const packagesFrom = from === 'sbom' ? scan.packages.origin : `${from ?? ''} ${scan.image?.input ?? ''}`.trim();
      // the evidence every container's copy shares (the scan's own objects are not kept, nor changed)
      outcome.found = scan.findings.map(({ finding, key }) => ({ finding: { ...finding, evidence: { ...finding.evidence, imageDigest: want.digest, packagesFrom } }, key }));
    };
    const sbom = options.sboms?.get(want.digest);
    if (sbom !== undefined) {
      keep(await scanPackages(sbom, { db: options.db, contributors: options.contributors, now: options.now, signal: options.signal, subject: imageSubject }), 'sbom');
      return outcome;
    }
    if (locators.length === 0) return outcome;
    const reasons: string[] = [];
    for (const locator of locators) {
      options.signal?.throwIfAborted();
      let handle;
      try {
        handle = await locator.open(want, options.signal);
      } catch (error) {
        if (options.signal?.aborted === true) throw error;
        reasons.push(`${locator.id}: ${errorMessage(error)}`);
        continue;
      }
      try {
        keep(await scanImage(handle, { db: options.db, cache: options.cache, contributors: options.contributors, packages: options.packages, now: options.now, signal: options.signal, subject: imageSubject }), locator.id);
      } catch (error) {
        if (options.signal?.aborted === true) throw error;
        outcome.failed = { locator: locator.id, error: errorMessage(error) };
      } finally {
        await handle.close();
      }
      return outcome;
    }
    outcome.unresolved = reasons;
    return outcome;
  };
  let done = 0;
  await pMap(
    list.keys(),
    async (i) => {
      const entry = list[i] as Want;
      let outcome = memo?.images.get(entry.key);
      if (outcome === undefined) {
        outcome = await read(entry.want);
        memo?.images.set(entry.key, outcome);
      }
      outcomes[i] = outcome;
      // placed now, so that without a memo the image's findings are not kept past this point
      placedOf[i] = outcome.found === undefined ? [] : placed(entry.placements.filter(inScope), outcome.found);
      if (memo === undefined) outcome.found = undefined;
      done++;
      options.onProgress?.(`images: ${done}/${list.length} scanned`);
    },
    { concurrency: Math.max(1, options.concurrency ?? 2) },
  );

  const findings: Finding[] = [];
  // Two digests of one workload container (a tag that moved between replicas) may share a finding:
  // it is reported once, naming every digest.
  const byId = new Map<string, Finding>();
  const merged = new Set<Finding>();
  const issues: Issue[] = locators.flatMap((l) => l.issues());
  /** Images whose packages of a scope the database has no advisories for: one issue each scope. */
  const uncovered = new Map<string, { images: string[]; hint: string | undefined }>();
  const images: RunningImage[] = [];
  list.forEach((entry, i) => {
    const outcome = outcomes[i] as ImageOutcome;
    const label = wantLabel(entry.want);
    for (const x of outcome.issues) issues.push(about(x, label));
    if (outcome.failed !== undefined) issues.push(issue('image-scan-failed', `${label} was found (${outcome.failed.locator}) but could not be scanned: ${outcome.failed.error}`, label));
    if (outcome.unresolved !== undefined) issues.push(unresolvedIssue(entry, outcome.unresolved, locators));
    for (const { scope, hint } of outcome.uncovered) {
      const seen = uncovered.get(scope);
      if (seen === undefined) uncovered.set(scope, { images: [label], hint });
      else seen.images.push(label);
    }
    // the image as this scan sees it: the repositories it runs from now, the containers that run it now
    images.push({ want: entry.want, from: outcome.from, scan: outcome.scan, containers: entry.placements.length });
    for (const f of placedOf[i] ?? []) {
      const seen = byId.get(f.id);
      if (seen !== undefined) {
        const digest = f.evidence.imageDigest as string;
        // the evidence is shared by the image's containers (placed): this finding's own from here on
        if (!merged.has(seen)) {
          seen.evidence = { ...seen.evidence };
          merged.add(seen);
        }
        const others = (seen.evidence.otherImageDigests ??= []) as string[];
        if (seen.evidence.imageDigest !== digest && !others.includes(digest)) others.push(digest);
        continue;
      }
      byId.set(f.id, f);
      findings.push(f);
    }
    placedOf[i] = undefined;
  });
  // images are scanned a few at a time, so the order they finish in varies: scopes and images sorted (stable reports)
  for (const [scope, { images: named, hint }] of [...uncovered].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    named.sort();
    // digests cut to 12 hex digits, as `docker images` shows them: the line names images, the report lists every one elsewhere
    const shown = named.slice(0, 3).map((l) => l.replace(/@(sha256:[0-9a-f]{12})[0-9a-f]{52}$/, '@$1…')).join(', ') + (named.length > 3 ? ` and ${named.length - 3} more` : '');
    // the hint (which releases the database does hold) is the same for every image of the scope
    issues.push({ ...noAdvisoriesIssue(scope, `the ${scopeLabel(scope)} packages of ${named.length === 1 ? `image ${shown}` : `${named.length} images (${shown})`} were`), hint });
  }
  return { findings: options.vex === undefined ? findings : applyVex(findings, options.vex), issues, images };
}

/** The running images wanted, one per digest and platform, with the workload containers that run each (inventory order). */
function runningWants(inventory: Inventory, nodes: readonly string[] | undefined): Want[] {
  const wants = new Map<string, Want>();
  const platforms = new Map(inventory.nodes.map((n) => [n.name, n.architecture === undefined ? undefined : ({ os: n.operatingSystem ?? 'linux', architecture: n.architecture } satisfies Platform)]));
  for (const pod of inventory.pods) {
    if (nodes !== undefined && (pod.nodeName === undefined || !nodes.includes(pod.nodeName))) continue;
    const platform = pod.nodeName === undefined ? undefined : platforms.get(pod.nodeName);
    for (const c of pod.containers) {
      if (c.running === undefined) continue;
      const key = `${c.running.digest}\0${platform === undefined ? '' : formatPlatform(platform)}`;
      let entry = wants.get(key);
      if (entry === undefined) {
        entry = { key, want: { digest: c.running.digest, kind: c.running.kind, repositories: [], platform }, placements: [], placed: new Set() };
        wants.set(key, entry);
      }
      const repository = c.running.repository ?? (c.ref === undefined ? undefined : repositoryName(c.ref));
      if (repository !== undefined && !entry.want.repositories.includes(repository)) entry.want.repositories.push(repository);
      // one finding per workload container, not per replica
      const placedKey = `${pod.namespace}\0${pod.workload.kind}\0${pod.workload.name}\0${c.name}`;
      if (entry.placed.has(placedKey)) continue;
      entry.placed.add(placedKey);
      entry.placements.push({
        subject: { type: 'container', namespace: pod.namespace, workload: { kind: pod.workload.kind, name: pod.workload.name }, container: c.name, image: c.ref === undefined ? c.image : formatImageReference(c.ref) },
      });
    }
  }
  // in name order, whatever order the pods were listed in: the image's name in messages (its first repository) and
  // the containers an issue names are the same for the same cluster, in a full scan and in an incremental one
  for (const entry of wants.values()) {
    entry.want.repositories.sort(byText);
    entry.placements.sort((x, y) => byText(placementName(x), placementName(y)));
  }
  return [...wants.values()];
}

function placementName(p: Placement): string {
  return `${p.subject.namespace ?? ''}/${p.subject.workload?.name ?? ''}`;
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An image no locator could read: one issue naming who runs it, the reasons, and how to make it readable. */
function unresolvedIssue(entry: Want, reasons: readonly string[], locators: readonly ImageLocator[]): Issue {
  const { want, placements } = entry;
  const who = placements.slice(0, 3).map(placementName).join(', ') + (placements.length > 3 ? ` and ${placements.length - 3} more` : '');
  return issue('image-unresolved', `Image ${wantLabel(want)}${want.platform === undefined ? '' : ` (${formatPlatform(want.platform)})`}, run by ${who}, could not be read, so it was not checked for vulnerabilities — ${reasons.join('; ')}`, wantLabel(want), `To scan it: ${locators.map((l) => l.hint).join('; or ')}.`);
}

/**
 * An image's findings on each workload container that runs it (placement order, then the scan's order). The
 * evidence of one finding is the same on every container: one object, shared read-only (a finding that merges
 * another digest gets its own copy first) instead of a copy per container.
 */
function placed(placements: readonly Placement[], found: NonNullable<ImageOutcome['found']>): Finding[] {
  const out: Finding[] = [];
  for (const p of placements) {
    // the subject's path is built once per container and rule, not per finding
    const idsBy = new Map<string, (key: string) => string>();
    for (const { finding, key } of found) {
      let ids = idsBy.get(finding.rule);
      if (ids === undefined) idsBy.set(finding.rule, (ids = fingerprints(finding.rule, p.subject)));
      out.push({ ...finding, id: ids(key), subject: p.subject });
    }
  }
  return out;
}

/** An issue of one image's scan, saying which image. */
function about(i: Issue, label: string): Issue {
  return { ...i, message: `${label}: ${i.message}`, location: i.location === undefined ? label : `${label} ${i.location}` };
}
