/**
 * Per image, pure: which tracked products it holds and where each stands (supported, end of life
 * within the look-ahead, past end of life), the next supported cycle and the smallest image change
 * that reaches it; plus the vendor's own lifecycle statement from referrers.
 */
import { formatImageReference, type ImageReference } from '../../core/image-ref.js';
import type { Issue } from '../../core/issue.js';
import { eolStatus, isoDay, nextSupportedCycle, type EolStatus } from '../data/cycles.js';
import type { LifecycleData, ReleaseCycle } from '../data/schema.js';
import { detectProducts } from '../detect/index.js';
import type { Detection, ImageFacts } from '../detect/types.js';
import { tagVersion } from '../detect/reference.js';
import { vendorLifecycle, type VendorLifecycle } from '../referrers/index.js';

export interface LifecycleSettings {
  data: LifecycleData;
  /** "Now" from the scan context (`--now`). */
  now: Date;
  /** Warn this many days before end of life (`--eol-lookahead`, default 90). */
  eolLookaheadDays: number;
  /** Report images built longer ago than this (days); undefined = not checked. */
  maxImageAgeDays?: number | undefined;
}

export const DEFAULT_EOL_LOOKAHEAD_DAYS = 90;

export interface ProductStatus {
  detection: Detection;
  status: EolStatus;
  /** The next supported cycle, when this one is (nearly) past end of life. */
  next: ReleaseCycle | undefined;
  /** The smallest change that fixes it, for a person. */
  fix: string | undefined;
}

export interface ImageLifecycle {
  products: ProductStatus[];
  vendor: VendorLifecycle | undefined;
  /** `eol` when the vendor date passed, `eol-soon` within the look-ahead. */
  vendorState: 'eol' | 'eol-soon' | 'supported' | undefined;
  issues: Issue[];
}

/** `node:16-alpine` → `node:22-alpine`: the tag's leading version replaced, the rest kept as written. */
export function retag(image: string, ref: ImageReference, nextCycle: string): string | undefined {
  if (ref.tag === undefined) return undefined;
  const version = tagVersion(ref.tag);
  if (version === undefined || !ref.tag.startsWith(version) && !ref.tag.startsWith(`v${version}`)) return undefined;
  const prefix = ref.tag.startsWith('v') && !version.startsWith('v') ? 'v' : '';
  const tag = `${prefix}${nextCycle}${ref.tag.slice(prefix.length + version.length)}`;
  const at = image.lastIndexOf('@');
  const name = at === -1 ? image : image.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/') && name.slice(colon + 1) === ref.tag) return `${name.slice(0, colon)}:${tag}`;
  return formatImageReference({ ...ref, tag, digest: undefined });
}

function fixFor(d: Detection, next: ReleaseCycle | undefined, image: string | undefined, ref: ImageReference | undefined): string | undefined {
  if (next === undefined) return undefined;
  if (ref !== undefined && image !== undefined && d.how.some((h) => h.method === 'image-reference')) {
    const to = retag(image, ref, next.cycle);
    if (to !== undefined) return `${image} → ${to}`;
  }
  const method = d.how[0]?.method;
  if (method === 'os-release') return `rebuild on the ${d.title} ${next.cycle} base image`;
  return `upgrade ${d.title} to ${next.cycle}${method === 'package' ? ' (or a base image that ships it)' : ''}`;
}

export function imageLifecycle(facts: ImageFacts, settings: LifecycleSettings, image?: string): ImageLifecycle {
  const today = isoDay(settings.now);
  const { detections, issues } = detectProducts(facts, settings.data);
  const products: ProductStatus[] = [];
  for (const d of detections) {
    if (d.cycle === undefined) continue;
    const status = eolStatus(d.cycle, today, settings.eolLookaheadDays);
    const product = settings.data.products.get(d.product);
    const next = status.state === 'supported' || product === undefined ? undefined : nextSupportedCycle(product, d.cycle, today, settings.eolLookaheadDays);
    products.push({ detection: d, status, next, fix: fixFor(d, next, image, facts.reference) });
  }
  const vendor = vendorLifecycle(facts.referrers ?? [], facts.digest);
  issues.push(...vendor.issues);
  let vendorState: ImageLifecycle['vendorState'];
  if (vendor.lifecycle !== undefined) {
    const left = vendor.lifecycle.endOfLife.getTime() - settings.now.getTime();
    vendorState = left <= 0 ? 'eol' : left <= settings.eolLookaheadDays * 86_400_000 ? 'eol-soon' : 'supported';
  }
  return { products, vendor: vendor.lifecycle, vendorState, issues };
}
