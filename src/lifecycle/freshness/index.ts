/**
 * Freshness of one running image: digest drift (the tag the pod asked for now names another digest
 * than the one running), newer tags of the same suffix family, and the image's age. Whatever could
 * not be asked (registry down, tag gone, the runtime reported only a local image ID) leaves the
 * state `unknown` with the reason — it is never reported as fresh.
 */
import { effectiveTag, formatImageReference, type ImageReference, type RunningImage } from '../../core/image-ref.js';
import { daysBetween, isoDay } from '../data/cycles.js';
import type { RegistryProbe } from './probe.js';
import { newerTags, type NewerTags } from './tags.js';

export { newerTags, parseTagVersion, type NewerTags, type TagVersion } from './tags.js';
export { RegistryProbe, type ProbeClient, type ProbeOptions, type Outcome } from './probe.js';

export interface DigestDrift {
  tag: string;
  running: string;
  current: string;
  /** The current digest's config `created`, when it could be read. */
  currentCreated: string | undefined;
  /** Days since the current digest was built. */
  currentAgeDays: number | undefined;
}

export interface Freshness {
  state: 'fresh' | 'outdated' | 'unknown';
  drift: DigestDrift | undefined;
  newer: NewerTags | undefined;
  /** Days since the running image was built (config `created`). */
  ageDays: number | undefined;
  created: string | undefined;
  /** Why parts could not be evaluated; non-empty means `unknown` unless something made it `outdated`. */
  unknown: string[];
  /** Why it is outdated. */
  reasons: string[];
}

function ageDays(created: string | undefined, now: Date): number | undefined {
  if (created === undefined) return undefined;
  const t = Date.parse(created);
  if (Number.isNaN(t)) return undefined;
  return daysBetween(isoDay(new Date(t)), isoDay(now));
}

export interface FreshnessInput {
  ref: ImageReference | undefined;
  running: RunningImage | undefined;
  /** The running image's config `created`. */
  created?: string | undefined;
  /** Why `running` is undefined, when the caller knows better than "not reported yet". */
  noRunningReason?: string | undefined;
}

/**
 * Ask the registry (through the probe's caches) and judge. `probe` undefined means the registry is
 * not consulted (offline scan, demo): drift and newer tags are then unknown.
 */
export async function observeFreshness(input: FreshnessInput, probe: RegistryProbe | undefined, options: { now: Date; maxImageAgeDays?: number | undefined }): Promise<Freshness> {
  const out: Freshness = { state: 'unknown', drift: undefined, newer: undefined, ageDays: ageDays(input.created, options.now), created: input.created, unknown: [], reasons: [] };
  // Collected per question and joined in a fixed order below, whatever order the registry answers in.
  const driftReasons: string[] = [];
  const tagReasons: string[] = [];
  const driftUnknown: string[] = [];
  const tagUnknown: string[] = [];
  const { ref, running } = input;
  if (options.maxImageAgeDays !== undefined && out.ageDays !== undefined && out.ageDays > options.maxImageAgeDays) {
    out.reasons.push(`image built ${out.ageDays} days ago (more than ${options.maxImageAgeDays})`);
  }
  const tag = ref === undefined ? undefined : effectiveTag(ref);
  if (ref === undefined) out.unknown.push('the image reference is invalid');
  else if (probe === undefined) out.unknown.push('registry not consulted (offline scan)');
  else {
    const pending: Array<Promise<void>> = [];
    if (tag !== undefined) {
      if (ref.digest !== undefined) {
        // `name:tag@digest` runs what the digest says whatever the tag does: no drift to judge.
      } else if (running === undefined) out.unknown.push(input.noRunningReason ?? 'the running digest is not reported yet (imageID empty)');
      else if (running.kind !== 'repo-digest') out.unknown.push(`the runtime reports a local image ID (${running.digest.slice(0, 19)}…), not a registry digest`);
      else {
        pending.push(
          probe.tagDigest(ref, tag).then(async (r) => {
            if (!r.ok) {
              driftUnknown.push(`cannot resolve ${formatImageReference({ ...ref, tag, digest: undefined })}: ${r.reason}`);
              return;
            }
            if (r.value === running.digest) return;
            const created = await probe.createdOf(ref, r.value);
            const currentCreated = created.ok ? created.value : undefined;
            out.drift = { tag, running: running.digest, current: r.value, currentCreated, currentAgeDays: ageDays(currentCreated, options.now) };
            driftReasons.push(`running an outdated build of ${tag}`);
          }),
        );
      }
      pending.push(
        probe.tags(ref).then((r) => {
          if (!r.ok) {
            tagUnknown.push(`cannot list tags of ${ref.registry}/${ref.repository}: ${r.reason}`);
            return;
          }
          const newer = newerTags(tag, r.value);
          out.newer = newer;
          if (newer?.patch !== undefined) tagReasons.push(`newer patch ${newer.patch}`);
          else if (newer?.minor !== undefined) tagReasons.push(`newer minor ${newer.minor}`);
        }),
      );
    } else out.unknown.push('pinned by digest without a tag: no tag to compare');
    await Promise.all(pending);
    out.reasons.push(...driftReasons, ...tagReasons);
    out.unknown.push(...driftUnknown, ...tagUnknown);
  }
  out.state = out.reasons.length > 0 ? 'outdated' : out.unknown.length > 0 ? 'unknown' : 'fresh';
  return out;
}
