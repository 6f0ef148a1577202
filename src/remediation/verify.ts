/**
 * Scanning a candidate image the way `scan` scans a running one: its digest from the registry (or the
 * --image-dir layout standing in for it), opened through the same locators, one pass over its layers
 * with the layer cache, the vulnerability and end-of-life contributors. Each digest is scanned once per
 * run, however many containers consider it.
 */
import { errorMessage } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { formatImageReference, repositoryName, type ImageReference } from '../core/image-ref.js';
import type { Issue } from '../core/issue.js';
import type { LayerCache } from '../image/analysis/cache.js';
import type { RegistryProbe } from '../lifecycle/freshness/index.js';
import type { Platform } from '../registry/schema.js';
import { formatPlatform } from '../registry/platform.js';
import { scanImage, type ImageContributor } from '../scan/images/index.js';
import type { ImageLocator } from '../scan/images/locate.js';
import type { Db } from '../vulndb/store/index.js';

export interface CandidateScannerOptions {
  /** Tag → digest (the scan's freshness probe: a registry, or the --image-dir layout). */
  probe: RegistryProbe | undefined;
  /** Where candidate images are read, in order; none = candidates are not scanned. */
  locators: readonly ImageLocator[];
  db: Db | undefined;
  cache?: LayerCache | undefined;
  /** The vulnerability and lifecycle contributors (what a candidate is judged by). */
  contributors: readonly ImageContributor[];
  now: Date;
  signal?: AbortSignal | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

export type Resolved = { digest: string } | { digest: undefined; reason: string };

export type CandidateScan =
  | { scanned: true; findings: Finding[]; issues: Issue[]; complete: boolean }
  | { scanned: false; reason: string };

export class CandidateScanner {
  private readonly scans = new Map<string, Promise<CandidateScan>>();
  /** Candidate images scanned (each digest and platform once). */
  scanned = 0;

  constructor(private readonly options: CandidateScannerOptions) {}

  /** The digest `ref`'s repository has for `tag` now. */
  async resolve(ref: ImageReference, tag: string): Promise<Resolved> {
    if (this.options.probe === undefined) return { digest: undefined, reason: 'the registry was not consulted (offline: give --image-dir or --pull-images)' };
    const got = await this.options.probe.tagDigest(ref, tag);
    return got.ok ? { digest: got.value } : { digest: undefined, reason: got.reason };
  }

  /** Scan `repository@digest` (for `platform`), once per run. */
  scan(ref: ImageReference, tag: string, digest: string, platform: Platform | undefined): Promise<CandidateScan> {
    const key = `${digest}\0${platform === undefined ? '' : formatPlatform(platform)}`;
    let p = this.scans.get(key);
    if (p === undefined) {
      p = this.scanOnce(ref, tag, digest, platform);
      this.scans.set(key, p);
    }
    return p;
  }

  private async scanOnce(ref: ImageReference, tag: string, digest: string, platform: Platform | undefined): Promise<CandidateScan> {
    const { locators } = this.options;
    if (locators.length === 0) return { scanned: false, reason: 'no way to read images was given (--image-dir, --pull-images or containerd flags)' };
    const name = formatImageReference({ ...ref, tag, digest: undefined });
    const errors: string[] = [];
    for (const locator of locators) {
      let image;
      try {
        image = await locator.open({ digest, kind: 'repo-digest', repositories: [repositoryName(ref)], platform }, this.options.signal);
      } catch (error) {
        this.options.signal?.throwIfAborted();
        errors.push(`${locator.id}: ${errorMessage(error)}`);
        continue;
      }
      try {
        this.options.onProgress?.(`scanning candidate ${name}@${digest.slice(0, 19)}…`);
        const scan = await scanImage(image, { db: this.options.db, cache: this.options.cache, contributors: this.options.contributors, subject: { type: 'image', image: name }, now: this.options.now, signal: this.options.signal });
        this.scanned++;
        return { scanned: true, findings: scan.findings.map((f) => f.finding), issues: scan.issues, complete: scan.complete };
      } catch (error) {
        this.options.signal?.throwIfAborted();
        return { scanned: false, reason: `scanning ${name}@${digest} failed: ${errorMessage(error)}` };
      } finally {
        await image.close();
      }
    }
    return { scanned: false, reason: `${name}@${digest} could not be read (${errors.join('; ')})` };
  }
}
