/**
 * Product detection per image: which end-of-life-tracked products (OS, runtimes, servers) an image
 * holds, at which release cycle, and how each was found. Detections of one product and cycle by
 * several methods are merged (their evidence listed together); two cycles of one product are both
 * kept (an image can carry Python 3.11 from Debian and 3.12 from /usr/local).
 */
import type { Issue } from '../../core/issue.js';
import type { LifecycleData } from '../data/schema.js';
import { DETECTORS } from './registry.js';
import type { Detection, ImageFacts } from './types.js';

export type { Detection, ImageFacts, OsFacts, ReferrerFacts, RuntimeFileFacts, DetectionMethod } from './types.js';

export function detectProducts(facts: ImageFacts, data: LifecycleData): { detections: Detection[]; issues: Issue[] } {
  const byKey = new Map<string, Detection>();
  const issues: Issue[] = [];
  const unversioned: Array<{ product: string; issue: Issue }> = [];
  for (const detector of DETECTORS) {
    const r = detector.detect(facts, data);
    issues.push(...r.issues);
    unversioned.push(...(r.unversioned ?? []));
    for (const d of r.detections) {
      const key = `${d.product}\0${d.cycle?.cycle ?? `?${d.version}`}`;
      const known = byKey.get(key);
      if (known === undefined) byKey.set(key, { ...d, how: [...d.how] });
      else for (const h of d.how) if (!known.how.some((k) => k.method === h.method && k.evidence === h.evidence)) known.how.push(h);
    }
  }
  const detections = [...byKey.values()];
  for (const u of unversioned) if (!detections.some((d) => d.product === u.product) && !issues.includes(u.issue)) issues.push(u.issue);
  return { detections, issues };
}
