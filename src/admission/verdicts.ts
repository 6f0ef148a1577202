/**
 * The admission webhook's cached verdicts: what the last scan found in each running image, looked up by
 * digest or by the tag the image ran under. The API server gives a webhook seconds, not the minutes an
 * image scan takes, so admission answers from here and never reads an image itself.
 */
import type { Finding } from '../core/finding.js';
import { effectiveTag, repositoryName, tryParseImageReference, type ImageReference } from '../core/image-ref.js';
import type { ScanReport } from '../core/report.js';
import { MALWARE_RULE } from '../malware/findings.js';
import { VULNERABILITY_RULE } from '../vulndb/match/index.js';

/** Lifecycle rules whose findings say an image's product reached its end of life. */
export const END_OF_LIFE_RULES: readonly string[] = ['end-of-life', 'vendor-end-of-life'];

/** One scanned image: its unsuppressed findings of the kinds admission acts on. */
export interface ImageVerdict {
  digest: string;
  /** The references it ran under (normalised). */
  references: string[];
  /** The per-image contributors that ran on it: a kind that did not run is not known to be clean. */
  contributors: readonly string[];
  /** false when the scan read it in part (a rejected layer): its findings may be missing some. */
  complete: boolean;
  malware: Finding[];
  vulnerabilities: Finding[];
  endOfLife: Finding[];
}

export interface VerdictCache {
  /** When the scan that produced the verdicts ran (the report's `generatedAt`). */
  scannedAt: string;
  /** Where the verdicts came from: a report file, or `serve`'s latest scan. */
  origin: string;
  byDigest: ReadonlyMap<string, ImageVerdict>;
  /** By `registry/repository:tag` (the implicit `latest` spelled out): the digest the tag ran as when scanned. */
  byTag: ReadonlyMap<string, ImageVerdict>;
  /** Digests and tag keys of images the scan looked for but could not read: unscanned, with that reason. */
  unread: ReadonlySet<string>;
  /** false when the report has no `images` section: its scan did not read the running images at all. */
  imagesScanned: boolean;
}

/** `registry/repository:tag` of a reference without a digest; undefined for a digest reference. */
export function tagKey(ref: ImageReference): string | undefined {
  if (ref.digest !== undefined) return undefined;
  return `${repositoryName(ref)}:${effectiveTag(ref) ?? 'latest'}`;
}

/** The lists of an ImageVerdict that hold findings. */
type Kind = 'malware' | 'vulnerabilities' | 'endOfLife';

/**
 * Verdicts from a scan report. Needs the report's `images` section (a scan with images, report 1.0 of
 * this version or later): without it no image can be told clean from unscanned, so the cache is empty
 * and every image is admitted as unscanned.
 */
export function verdictsFromReport(report: ScanReport, origin: string): VerdictCache {
  const byDigest = new Map<string, ImageVerdict>();
  const byTag = new Map<string, ImageVerdict>();
  const unread = new Set<string>();
  for (const image of report.images ?? []) {
    if (image.status === 'unread') {
      unread.add(image.digest);
      for (const reference of image.references) {
        const ref = tryParseImageReference(reference);
        const key = ref === undefined ? undefined : tagKey(ref);
        if (key !== undefined) unread.add(key);
      }
      continue;
    }
    const verdict: ImageVerdict = { digest: image.digest, references: image.references, contributors: image.contributors, complete: image.complete !== false, malware: [], vulnerabilities: [], endOfLife: [] };
    byDigest.set(image.digest, verdict);
    for (const reference of image.references) {
      const ref = tryParseImageReference(reference);
      const key = ref === undefined ? undefined : tagKey(ref);
      if (key !== undefined) byTag.set(key, verdict);
    }
  }
  // each finding once per image, though the report places it on every container that runs the image: the
  // titles seen per image and list (no key string built per finding: a large cluster's report has ~10^6)
  const seen = new Map<ImageVerdict, Record<Kind, Set<string>>>();
  const add = (digest: unknown, list: Kind, f: Finding): void => {
    const verdict = typeof digest === 'string' ? byDigest.get(digest) : undefined;
    if (verdict === undefined) return;
    let titles = seen.get(verdict);
    if (titles === undefined) seen.set(verdict, (titles = { malware: new Set(), vulnerabilities: new Set(), endOfLife: new Set() }));
    const own = titles[list];
    if (own.has(f.title)) return;
    own.add(f.title);
    verdict[list].push(f);
  };
  for (const f of report.findings) {
    if (f.suppression !== undefined) continue;
    const list: Kind | undefined = f.rule === VULNERABILITY_RULE ? 'vulnerabilities' : f.rule === MALWARE_RULE ? 'malware' : END_OF_LIFE_RULES.includes(f.rule) ? 'endOfLife' : undefined;
    if (list === undefined) continue;
    add(f.evidence.imageDigest, list, f);
    const others = f.evidence.otherImageDigests;
    if (Array.isArray(others)) for (const d of others) add(d, list, f);
  }
  return { scannedAt: report.generatedAt, origin, byDigest, byTag, unread, imagesScanned: report.images !== undefined };
}

/** An empty cache: nothing scanned yet (every image is unscanned). */
export function emptyVerdicts(origin: string): VerdictCache {
  return { scannedAt: '', origin, byDigest: new Map(), byTag: new Map(), unread: new Set(), imagesScanned: true };
}

export type Lookup = { verdict: ImageVerdict; by: 'digest' | 'tag' } | { verdict: undefined; why: string };

/** The verdict of an image reference: by its digest, else by the digest its tag ran as when scanned. */
export function lookupImage(cache: VerdictCache, image: string): Lookup {
  const ref = tryParseImageReference(image);
  if (ref === undefined) return { verdict: undefined, why: 'the reference is not valid' };
  if (!cache.imagesScanned) return { verdict: undefined, why: 'the scan behind these verdicts does not read the running images (serve or scan without --db and image access)' };
  if (ref.digest !== undefined) {
    const verdict = cache.byDigest.get(ref.digest);
    if (verdict !== undefined) return { verdict, by: 'digest' };
    return { verdict: undefined, why: cache.unread.has(ref.digest) ? 'the last scan could not read it' : 'no scan has seen this digest run' };
  }
  const key = tagKey(ref);
  const verdict = key === undefined ? undefined : cache.byTag.get(key);
  if (verdict !== undefined) return { verdict, by: 'tag' };
  return { verdict: undefined, why: key !== undefined && cache.unread.has(key) ? 'the last scan could not read it' : 'no scan has seen this tag run' };
}
