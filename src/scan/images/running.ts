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

interface Placement {
  subject: Subject;
  digest: string;
}

/** Scan every running image once and place its findings on the workload containers that run it. */
export async function scanRunningImages(inventory: Inventory, options: RunningImagesOptions): Promise<RunningImagesResult> {
  const wants = new Map<string, { want: RunningImageWant; placements: Placement[]; placed: Set<string> }>();
  const platforms = new Map(inventory.nodes.map((n) => [n.name, n.architecture === undefined ? undefined : ({ os: n.operatingSystem ?? 'linux', architecture: n.architecture } satisfies Platform)]));
  for (const pod of inventory.pods) {
    if (options.nodes !== undefined && (pod.nodeName === undefined || !options.nodes.includes(pod.nodeName))) continue;
    const platform = pod.nodeName === undefined ? undefined : platforms.get(pod.nodeName);
    for (const c of pod.containers) {
      if (c.running === undefined) continue;
      const key = `${c.running.digest}\0${platform === undefined ? '' : formatPlatform(platform)}`;
      let entry = wants.get(key);
      if (entry === undefined) {
        entry = { want: { digest: c.running.digest, kind: c.running.kind, repositories: [], platform }, placements: [], placed: new Set() };
        wants.set(key, entry);
      }
      const repository = c.running.repository ?? (c.ref === undefined ? undefined : repositoryName(c.ref));
      if (repository !== undefined && !entry.want.repositories.includes(repository)) entry.want.repositories.push(repository);
      // one finding per workload container, not per replica
      const placedKey = `${pod.namespace}\0${pod.workload.kind}\0${pod.workload.name}\0${c.name}`;
      if (entry.placed.has(placedKey)) continue;
      entry.placed.add(placedKey);
      entry.placements.push({
        digest: c.running.digest,
        subject: { type: 'container', namespace: pod.namespace, workload: { kind: pod.workload.kind, name: pod.workload.name }, container: c.name, image: c.ref === undefined ? c.image : formatImageReference(c.ref) },
      });
    }
  }

  const locators = options.locators ?? [];
  const list = [...wants.values()];
  const results = new Array<RunningImage | undefined>(list.length);
  /** Each image's findings placed on its containers as soon as it is scanned (its packages are not kept). */
  const placedOf = new Array<Finding[] | undefined>(list.length);
  const issuesOf = new Array<Issue[]>(list.length);
  /** Images whose packages of a scope (NO_ADVISORIES' location) the database has no advisories for: one issue each scope. */
  const uncovered = new Map<string, { images: string[]; hint: string | undefined }>();
  const keep = (own: Issue[], found: readonly Issue[], label: string): void => {
    for (const x of found) {
      if (x.code === NO_ADVISORIES && x.location !== undefined) {
        const seen = uncovered.get(x.location);
        if (seen === undefined) uncovered.set(x.location, { images: [label], hint: x.hint });
        else seen.images.push(label);
      } else own.push(about(x, label));
    }
  };
  let done = 0;
  const one = async (i: number): Promise<void> => {
    const entry = list[i];
    if (entry === undefined) return;
    const { want } = entry;
    const label = wantLabel(want);
    const own: Issue[] = [];
    issuesOf[i] = own;
    const imageSubject: Subject = { type: 'image', image: label };
    const sbom = options.sboms?.get(want.digest);
    if (sbom !== undefined) {
      const scan = await scanPackages(sbom, { db: options.db, contributors: options.contributors, now: options.now, signal: options.signal, subject: imageSubject });
      keep(own, scan.issues, label);
      placedOf[i] = placed(entry.placements, scan, 'sbom');
      results[i] = { want, from: 'sbom', scan: summaryOf(scan), containers: entry.placements.length };
      return;
    }
    if (locators.length === 0) {
      results[i] = { want, from: undefined, scan: undefined, containers: entry.placements.length };
      return;
    }
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
        const scan = await scanImage(handle, { db: options.db, cache: options.cache, contributors: options.contributors, packages: options.packages, now: options.now, signal: options.signal, subject: imageSubject });
        keep(own, scan.issues, label);
        placedOf[i] = placed(entry.placements, scan, locator.id);
        results[i] = { want, from: locator.id, scan: summaryOf(scan), containers: entry.placements.length };
      } catch (error) {
        if (options.signal?.aborted === true) throw error;
        own.push(issue('image-scan-failed', `${label} was found (${locator.id}) but could not be scanned: ${errorMessage(error)}`, label));
        results[i] = { want, from: undefined, scan: undefined, containers: entry.placements.length };
      } finally {
        await handle.close();
      }
      return;
    }
    const who = entry.placements.slice(0, 3).map((p) => `${p.subject.namespace ?? ''}/${p.subject.workload?.name ?? ''}`).join(', ') + (entry.placements.length > 3 ? ` and ${entry.placements.length - 3} more` : '');
    own.push(issue('image-unresolved', `Image ${label}${want.platform === undefined ? '' : ` (${formatPlatform(want.platform)})`}, run by ${who}, could not be read, so it was not checked for vulnerabilities — ${reasons.join('; ')}`, label, `To scan it: ${locators.map((l) => l.hint).join('; or ')}.`));
    results[i] = { want, from: undefined, scan: undefined, containers: entry.placements.length };
  };
  await pMap(
    list.keys(),
    async (i) => {
      await one(i);
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
  list.forEach((_entry, i) => {
    issues.push(...(issuesOf[i] ?? []));
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
  for (const [scope, { images, hint }] of [...uncovered].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    images.sort();
    // digests cut to 12 hex digits, as `docker images` shows them: the line names images, the report lists every one elsewhere
    const named = images.slice(0, 3).map((l) => l.replace(/@(sha256:[0-9a-f]{12})[0-9a-f]{52}$/, '@$1…')).join(', ') + (images.length > 3 ? ` and ${images.length - 3} more` : '');
    // the hint (which releases the database does hold) is the same for every image of the scope
    issues.push({ ...noAdvisoriesIssue(scope, `the ${scopeLabel(scope)} packages of ${images.length === 1 ? `image ${named}` : `${images.length} images (${named})`} were`), hint });
  }
  return { findings: options.vex === undefined ? findings : applyVex(findings, options.vex), issues, images: results.filter((r): r is RunningImage => r !== undefined) };
}

/**
 * An image's findings on each workload container that runs it (placement order, then the scan's order). The
 * evidence of one finding of one digest is the same on every container: one object, shared read-only (a finding
 * that merges another digest gets its own copy first) instead of a copy per container.
 */
function placed(placements: readonly Placement[], scan: ImageScan, from: RunningImage['from']): Finding[] {
  const packagesFrom = from === 'sbom' ? scan.packages.origin : `${from ?? ''} ${scan.image?.input ?? ''}`.trim();
  const evidenceBy = new Map<string, Array<Finding['evidence']>>();
  const out: Finding[] = [];
  for (const p of placements) {
    let evidence = evidenceBy.get(p.digest);
    if (evidence === undefined) {
      evidence = scan.findings.map(({ finding }) => ({ ...finding.evidence, imageDigest: p.digest, packagesFrom }));
      evidenceBy.set(p.digest, evidence);
    }
    // the subject's path is built once per container and rule, not per finding
    const idsBy = new Map<string, (key: string) => string>();
    for (const [j, { finding, key }] of scan.findings.entries()) {
      let ids = idsBy.get(finding.rule);
      if (ids === undefined) idsBy.set(finding.rule, (ids = fingerprints(finding.rule, p.subject)));
      out.push({ ...finding, id: ids(key), subject: p.subject, evidence: evidence[j] as Finding['evidence'] });
    }
  }
  return out;
}

/** An issue of one image's scan, saying which image. */
function about(i: Issue, label: string): Issue {
  return { ...i, message: `${label}: ${i.message}`, location: i.location === undefined ? label : `${label} ${i.location}` };
}
