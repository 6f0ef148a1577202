/**
 * The cleanup planner (pure): a node view + options → one decision per cached image, with every
 * reason, and the total the removals would reclaim. PRODUCT.md C9: an image is a candidate only when
 * no container uses it (running, exited or created: the kubelet restarts exited containers from the
 * same image), it is not the pod sandbox image, not pinned by the runtime, matches no exclusion, and
 * (with --older-than) appeared on the node long enough ago. Anything uncertain keeps the image.
 */
import picomatch from 'picomatch';
import { containerLabel, imageDisplayName, imageIndex, imageUsage, nameForms, normaliseImageId, shortImageId, type ImageUse, type NodeContainer, type NodeImage, type NodeRuntime, type NodeSandbox } from '../core/node-runtime.js';
import type { Issue } from '../core/issue.js';

/**
 * Sandbox images kept whatever the runtime says: any repository whose last component is `pause`
 * (registry.k8s.io/pause, mcr.microsoft.com/oss/kubernetes/pause, …/eks/pause, pause-amd64).
 */
export const DEFAULT_SANDBOX_GLOBS = ['*/pause', '*/pause:*', '*/pause@*', '*/pause-*'] as const;

export interface ExclusionRule {
  glob: string;
  /** Where it came from: `--exclude`, `file /etc/runwarden/exclude:3`, `default`. */
  origin: string;
}

export interface PlanOptions {
  /** Images matching any of these globs are kept (`*` matches across `/`; `?`, `[…]`, `{a,b}` work). */
  exclusions: ExclusionRule[];
  /** Sandbox image globs, on top of the sandbox image the runtime reports. Default DEFAULT_SANDBOX_GLOBS. */
  sandboxImages?: readonly string[] | undefined;
  /** Only images that appeared on the node at least this long ago. */
  olderThan?: { ms: number; text: string } | undefined;
  now: Date;
}

export type ReasonCode =
  | 'unused'
  | 'old-enough'
  | 'in-use'
  | 'sandbox-image'
  | 'pinned'
  | 'excluded'
  | 'too-recent'
  | 'age-unknown'
  | 'containers-unknown'
  // --only (cleanup/only.ts): judged by scanning the unused image
  | 'vulnerable'
  | 'end-of-life'
  | 'not-vulnerable'
  | 'not-end-of-life'
  | 'not-judged'
  // Executor outcomes for candidates that were not removed:
  | 'already-gone'
  | 'max-removals'
  | 'run-stopped'
  | 'recheck-failed'
  | 'remove-failed';

export interface Reason {
  code: ReasonCode;
  message: string;
}

export type Decision = 'remove' | 'keep';

export interface PlanEntry {
  id: string;
  name: string;
  repoTags: string[];
  repoDigests: string[];
  targetDigests: string[];
  sizeBytes: number;
  pinned: boolean;
  createdAt: string | undefined;
  decision: Decision;
  /** Why it qualifies (remove) or every reason it is kept (keep), most important first. */
  reasons: Reason[];
  /** `namespace/pod/container (state)` of every container using it. */
  usedBy: string[];
  /** With `--only`: the ids of the image's findings that qualify it (CVEs, end of life); undefined when not judged. */
  findings?: string[] | undefined;
}

export interface CleanupPlan {
  node: string;
  address: string;
  runtime: string;
  sandboxImage: string | undefined;
  plannedAt: string;
  options: {
    exclusions: Array<ExclusionRule & { kept: number }>;
    sandboxImages: string[];
    olderThan: string | undefined;
    /** `--only vulnerable` (with its severity) or `--only eol`. */
    only?: string | undefined;
  };
  /** Candidates first (largest first), then kept images (by name). */
  entries: PlanEntry[];
  candidates: number;
  kept: number;
  /**
   * Sum of the runtime's sizes of the candidates. Layers shared with kept images stay on disk, so
   * the disk saving can be smaller; `runwarden clean --apply` measures it with ImageFsInfo.
   */
  reclaimableBytes: number;
  issues: Issue[];
}

/** The compiled rules; the executor re-applies them to fresh state right before each removal. */
export interface Rules {
  isSandbox(image: NodeImage): boolean;
  exclusionOf(image: NodeImage): ExclusionRule | undefined;
  olderThan: { ms: number; text: string } | undefined;
  now: Date;
}

export function compileRules(options: PlanOptions, sandboxImage: string | undefined): Rules {
  const glob = (pattern: string): ((s: string) => boolean) => picomatch(pattern, { bash: true, dot: true });
  const sandboxMatchers = (options.sandboxImages ?? DEFAULT_SANDBOX_GLOBS).map(glob);
  const exclusions = options.exclusions.map((rule) => ({ rule, match: glob(rule.glob) }));
  const sandboxForms = new Set(sandboxImage === undefined ? [] : [...nameForms(sandboxImage), normaliseImageId(sandboxImage)]);
  // Both rules look at the same names: parse each image's names once.
  const cache = new WeakMap<NodeImage, string[]>();
  const namesOf = (image: NodeImage): string[] => {
    let names = cache.get(image);
    if (names === undefined) {
      names = candidateNames(image);
      cache.set(image, names);
    }
    return names;
  };
  return {
    isSandbox(image) {
      const names = namesOf(image);
      if (names.some((n) => sandboxForms.has(n))) return true;
      return names.some((n) => sandboxMatchers.some((m) => m(n)));
    },
    exclusionOf(image) {
      const names = namesOf(image);
      return exclusions.find((e) => names.some((n) => e.match(n)))?.rule;
    },
    olderThan: options.olderThan,
    now: options.now,
  };
}

/** Every name a glob may be meant for: tags and digests in each written form, the ID, the short ID. */
function candidateNames(image: NodeImage): string[] {
  const out = new Set<string>([image.id, normaliseImageId(image.id), shortImageId(image.id)]);
  for (const name of [...image.repoTags, ...image.repoDigests]) for (const form of nameForms(name)) out.add(form);
  return [...out];
}

/** One image against the rules, given the containers that use it now. */
export function evaluateImage(image: NodeImage, uses: ImageUse[], rules: Rules, context: { containersComplete: boolean; containerCount: number }): { decision: Decision; reasons: Reason[]; exclusion?: ExclusionRule | undefined } {
  const keep: Reason[] = [];
  if (!context.containersComplete) {
    keep.push({ code: 'containers-unknown', message: 'the runtime returned containers runwarden could not read, so image use is unknown' });
  }
  if (uses.length > 0) {
    const states = countStates(uses.map((u) => u.container));
    const shown = uses.slice(0, 3).map((u) => `${containerLabel(u)} (${u.container.state})`);
    keep.push({ code: 'in-use', message: `used by ${uses.length} container${uses.length === 1 ? '' : 's'} (${states}): ${shown.join(', ')}${uses.length > 3 ? ', …' : ''}` });
  }
  if (rules.isSandbox(image)) keep.push({ code: 'sandbox-image', message: 'the pod sandbox (pause) image, in use by every pod' });
  if (image.pinned) keep.push({ code: 'pinned', message: 'pinned by the runtime (CRI Image.pinned)' });
  const exclusion = rules.exclusionOf(image);
  if (exclusion !== undefined) keep.push({ code: 'excluded', message: `matches exclusion "${exclusion.glob}" (${exclusion.origin})` });
  let age: Reason | undefined;
  if (rules.olderThan !== undefined) {
    if (image.createdAt === undefined) keep.push({ code: 'age-unknown', message: `--older-than ${rules.olderThan.text}: the runtime does not say when the image appeared` });
    else {
      const ageMs = rules.now.getTime() - Date.parse(image.createdAt);
      if (ageMs < rules.olderThan.ms) keep.push({ code: 'too-recent', message: `appeared ${formatAge(ageMs)} ago, less than --older-than ${rules.olderThan.text}` });
      else age = { code: 'old-enough', message: `appeared ${formatAge(ageMs)} ago (--older-than ${rules.olderThan.text})` };
    }
  }
  if (keep.length > 0) return { decision: 'keep', reasons: keep, exclusion };
  const reasons: Reason[] = [{ code: 'unused', message: `no container uses it (${context.containerCount} on the node, any state); not the sandbox image, not pinned, no exclusion matches` }];
  if (age !== undefined) reasons.push(age);
  return { decision: 'remove', reasons };
}

export function planCleanup(view: NodeRuntime, options: PlanOptions): CleanupPlan {
  const rules = compileRules(options, view.sandboxImage);
  const { byImage } = imageUsage(view.images, view.containers, view.sandboxes);
  const context = { containersComplete: view.containersComplete, containerCount: view.containers.length };
  const kept = new Map<string, number>();
  const entries: PlanEntry[] = view.images.map((image) => {
    const uses = byImage.get(image.id) ?? [];
    const { decision, reasons, exclusion } = evaluateImage(image, uses, rules, context);
    if (exclusion !== undefined) kept.set(exclusion.glob, (kept.get(exclusion.glob) ?? 0) + 1);
    return {
      id: image.id,
      name: imageDisplayName(image),
      repoTags: image.repoTags,
      repoDigests: image.repoDigests,
      targetDigests: image.targetDigests,
      sizeBytes: image.sizeBytes,
      pinned: image.pinned,
      createdAt: image.createdAt,
      decision,
      reasons,
      usedBy: uses.map((u) => `${containerLabel(u)} (${u.container.state})`),
    };
  });
  entries.sort(planOrder);
  const candidates = entries.filter((e) => e.decision === 'remove');
  return {
    node: view.node,
    address: view.address,
    runtime: `${view.runtime.name} ${view.runtime.version}`,
    sandboxImage: view.sandboxImage,
    plannedAt: options.now.toISOString(),
    options: {
      exclusions: options.exclusions.map((e) => ({ ...e, kept: kept.get(e.glob) ?? 0 })),
      sandboxImages: [...(options.sandboxImages ?? DEFAULT_SANDBOX_GLOBS)],
      olderThan: options.olderThan?.text,
    },
    entries,
    candidates: candidates.length,
    kept: entries.length - candidates.length,
    reclaimableBytes: candidates.reduce((sum, e) => sum + e.sizeBytes, 0),
    issues: [...view.issues],
  };
}

/** Candidates first (largest first), then kept images (by name). */
export function planOrder(a: PlanEntry, b: PlanEntry): number {
  if (a.decision !== b.decision) return a.decision === 'remove' ? -1 : 1;
  if (a.decision === 'remove' && a.sizeBytes !== b.sizeBytes) return b.sizeBytes - a.sizeBytes;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The containers that use `image` now, resolved against that image alone (the executor's re-check). */
export function usesOf(image: NodeImage, containers: NodeContainer[], sandboxes: NodeSandbox[]): ImageUse[] {
  const index = imageIndex([image]);
  const sandboxById = new Map(sandboxes.map((s) => [s.id, s]));
  return containers.filter((c) => index.imagesOf(c).length > 0).map((container) => ({ container, sandbox: sandboxById.get(container.sandboxId) }));
}

function countStates(containers: NodeContainer[]): string {
  const counts = new Map<string, number>();
  for (const c of containers) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
}

/** `3d`, `5h`, `12m`, `40s`: the largest whole unit. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s >= 86_400) return `${Math.floor(s / 86_400)}d`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h`;
  if (s >= 60) return `${Math.floor(s / 60)}m`;
  return `${s}s`;
}
