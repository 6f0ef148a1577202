/**
 * Findings and the one verdict per container, from an image's lifecycle and its freshness.
 * Verdict order: end-of-life (a product or the vendor date is past end of life) > outdated (drift,
 * newer patch/minor, end of life within the look-ahead, too old) > unknown (something could not be
 * asked) > fresh.
 */
import { fingerprint, type Finding, type Subject } from '../../core/finding.js';
import type { Severity } from '../../core/severity.js';
import type { Freshness } from '../freshness/index.js';
import type { ImageLifecycle, ProductStatus } from './image.js';

export const LIFECYCLE_RULES = ['end-of-life', 'vendor-end-of-life', 'digest-drift', 'newer-tag', 'image-age'] as const;

export type Verdict = 'fresh' | 'outdated' | 'end-of-life' | 'unknown';

export interface ContainerVerdict {
  namespace: string;
  pod: string;
  workload: { kind: string; name: string };
  container: string;
  image: string;
  digest: string | undefined;
  verdict: Verdict;
  /** Why, one line each (the first is the main reason). */
  reasons: string[];
  /** The smallest image change that fixes it, when one is known. */
  fix: string | undefined;
}

function productLine(p: ProductStatus): string {
  const d = p.detection;
  const cycle = d.cycle?.cycle ?? d.version;
  const when = p.status.eolDate === undefined ? '' : ` on ${p.status.eolDate}`;
  const extended = p.status.extendedUntil === undefined ? '' : ` (extended support ${p.status.extendedActive ? 'until' : 'ended'} ${p.status.extendedUntil})`;
  if (p.status.state === 'eol') return `${d.title} ${cycle} reached end of life${when}${extended}`;
  return `${d.title} ${cycle} reaches end of life${when} (in ${p.status.days ?? '?'} days)`;
}

export function verdictOf(image: ImageLifecycle, freshness: Freshness): { verdict: Verdict; reasons: string[]; fix: string | undefined } {
  const eol = image.products.filter((p) => p.status.state === 'eol');
  const soon = image.products.filter((p) => p.status.state === 'eol-soon');
  const reasons: string[] = [];
  let fix: string | undefined;
  const vendorDay = image.vendor?.endOfLife.toISOString().slice(0, 10);
  if (eol.length > 0 || image.vendorState === 'eol') {
    reasons.push(...eol.map(productLine));
    if (image.vendorState === 'eol') reasons.push(`the publisher declared end of life on ${vendorDay ?? '?'}`);
    fix = eol.find((p) => p.fix !== undefined)?.fix;
    return { verdict: 'end-of-life', reasons, fix };
  }
  reasons.push(...freshness.reasons, ...soon.map(productLine));
  if (image.vendorState === 'eol-soon') reasons.push(`the publisher declares end of life on ${vendorDay ?? '?'}`);
  if (reasons.length > 0) {
    const newer = freshness.newer?.patch ?? freshness.newer?.minor;
    fix = freshness.drift !== undefined ? `re-pull ${freshness.drift.tag} to ${freshness.drift.current}` : newer !== undefined && freshness.newer !== undefined ? `${freshness.newer.current.tag} → ${newer}` : soon.find((p) => p.fix !== undefined)?.fix;
    return { verdict: 'outdated', reasons, fix };
  }
  if (freshness.unknown.length > 0) return { verdict: 'unknown', reasons: [...freshness.unknown], fix: undefined };
  return { verdict: 'fresh', reasons: ['tag resolves to the running digest, no newer patch or minor tag, no product near end of life'], fix: undefined };
}

function finding(rule: (typeof LIFECYCLE_RULES)[number], kind: Finding['kind'], severity: Severity, title: string, subject: Subject, key: string, evidence: Record<string, unknown>, remediation: string): Finding {
  return { id: fingerprint(rule, subject, key), rule, kind, severity, title, subject, evidence, remediation };
}

/** Findings for one container of a workload (subject at workload level, as vulnerability findings). */
export function lifecycleFindings(subject: Subject, image: ImageLifecycle, freshness: Freshness, digest: string | undefined): Finding[] {
  const out: Finding[] = [];
  const name = subject.image ?? '';
  for (const p of image.products) {
    if (p.status.state !== 'eol' && p.status.state !== 'eol-soon') continue;
    const d = p.detection;
    const cycle = d.cycle?.cycle ?? d.version;
    const past = p.status.state === 'eol';
    const severity: Severity = !past ? 'low' : p.status.extendedActive ? 'medium' : 'high';
    const evidence: Record<string, unknown> = {
      state: p.status.state,
      product: d.product,
      cycle,
      version: d.version,
      eol: p.status.eolDate ?? (past ? true : false),
      detectedBy: d.how.map((h) => `${h.method}: ${h.evidence}`),
    };
    if (p.status.extendedUntil !== undefined) evidence.extendedSupportUntil = p.status.extendedUntil;
    if (p.next !== undefined) evidence.nextSupportedCycle = p.next.cycle;
    if (digest !== undefined) evidence.imageDigest = digest;
    const remediation = p.fix === undefined ? `Move off ${d.title} ${cycle}: no supported later cycle is known in the lifecycle data.` : `Move to ${d.title} ${p.next?.cycle ?? ''}: ${p.fix}.`;
    out.push(finding('end-of-life', 'end-of-life', severity, `${productLine(p)} in ${name}`, subject, `${d.product}:${cycle}`, evidence, remediation));
  }
  if (image.vendor !== undefined && (image.vendorState === 'eol' || image.vendorState === 'eol-soon')) {
    const v = image.vendor;
    const day = v.endOfLife.toISOString().slice(0, 10);
    out.push(
      finding('vendor-end-of-life', 'end-of-life', image.vendorState === 'eol' ? 'high' : 'low', `${name}: the publisher ${image.vendorState === 'eol' ? 'declared' : 'declares'} end of life on ${day}`, subject, 'vendor', {
        state: image.vendorState,
        annotation: v.value,
        referrer: v.referrer,
        referrerCreated: v.created,
        lifecycleReferrers: v.count,
        imageDigest: digest,
      }, 'Move to the image the publisher supports now (see its lifecycle page); the lifecycle referrer on the running digest says this one is retired.'),
    );
  }
  const drift = freshness.drift;
  if (drift !== undefined) {
    out.push(
      finding('digest-drift', 'outdated', 'medium', `${name}: running an outdated build of ${drift.tag}`, subject, 'drift', {
        tag: drift.tag,
        runningDigest: drift.running,
        currentDigest: drift.current,
        currentCreated: drift.currentCreated,
        currentAgeDays: drift.currentAgeDays,
      }, `Re-pull ${drift.tag} to the current digest ${drift.current} (e.g. "kubectl rollout restart" with imagePullPolicy Always), or pin the digest you mean to run.`),
    );
  }
  const newer = freshness.newer;
  const next = newer?.patch ?? newer?.minor;
  if (newer !== undefined && next !== undefined) {
    out.push(
      finding('newer-tag', 'outdated', newer.patch !== undefined ? 'low' : 'info', `${name}: newer ${newer.patch !== undefined ? 'patch' : 'minor'} tag ${next}`, subject, `newer:${newer.current.tag}`, {
        current: newer.current.tag,
        newestPatch: newer.patch,
        newestMinor: newer.minor,
        newestMajor: newer.major,
        suffixFamily: newer.current.family === '' ? '(none)' : newer.current.family,
      }, `Move ${newer.current.tag} → ${next}.`),
    );
  }
  if (freshness.reasons.some((r) => r.startsWith('image built'))) {
    out.push(finding('image-age', 'outdated', 'low', `${name}: ${freshness.reasons.find((r) => r.startsWith('image built')) ?? ''}`, subject, 'age', { created: freshness.created, ageDays: freshness.ageDays }, 'Rebuild the image to pick up base-image and package fixes.'));
  }
  return out;
}
