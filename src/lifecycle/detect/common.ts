import { issue, type Issue } from '../../core/issue.js';
import { findCycle } from '../data/cycles.js';
import type { LifecycleData } from '../data/schema.js';
import type { Detection, DetectionMethod } from './types.js';

/** A detection of `product` at `version`, or an issue when the data has no such product or cycle. */
export function detection(data: LifecycleData, product: string, version: string, method: DetectionMethod, evidence: string): { detection?: Detection; issue?: Issue } {
  const p = data.products.get(product);
  if (p === undefined) return { issue: issue('lifecycle-no-product', `${evidence}: no lifecycle data for product "${product}"`, undefined, 'Run "runwarden lifecycle update" to refresh the data.') };
  const cycle = findCycle(p, version);
  const d: Detection = { product, title: p.title, version, cycle, how: [{ method, evidence }] };
  if (cycle === undefined) return { detection: d, issue: issue('lifecycle-no-cycle', `${p.title} ${version} (${evidence}): no release cycle for this version in the lifecycle data`, undefined, 'Newer releases may be missing: run "runwarden lifecycle update".') };
  return { detection: d };
}

/** Upstream version of a distribution package version: `1:1.22.1-9+deb12u1` → `1.22.1`, `3.11.6-r0` → `3.11.6`. */
export function upstreamVersion(version: string): string {
  let v = version.trim();
  const colon = v.indexOf(':');
  if (colon !== -1 && /^\d+$/.test(v.slice(0, colon))) v = v.slice(colon + 1);
  const dash = v.lastIndexOf('-');
  if (dash > 0) v = v.slice(0, dash);
  return v.replace(/^v/, '');
}
