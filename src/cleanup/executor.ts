/**
 * Executes a cleanup plan over CRI. The plan is only a proposal: right before each RemoveImage the
 * executor re-reads the containers and the image (ImageStatus) and re-applies the planner's rules,
 * because containerd does not refuse to remove an image a container uses. An image that became
 * used, pinned or excluded is skipped and reported; one that vanished is "already gone".
 * Removals are capped (--max-removals) and the run stops after N consecutive runtime failures.
 * ImageFsInfo is read before and after, waiting (bounded) for figures collected after the removals.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../core/errors.js';
import { issue, type Issue } from '../core/issue.js';
import type { ImageFsUsage, NodeContainer, NodeImage, NodeSandbox } from '../core/node-runtime.js';
import { evaluateImage, usesOf, type CleanupPlan, type PlanEntry, type Reason, type Rules } from './planner.js';

/** What the executor needs from the runtime; `inventory/sources/cri`'s CriClient provides it. */
export interface CleanupRuntime {
  listContainers(signal?: AbortSignal): Promise<{ containers: NodeContainer[]; invalid: unknown[] }>;
  imageStatus(image: string, signal?: AbortSignal): Promise<NodeImage | undefined>;
  removeImage(image: string, signal?: AbortSignal): Promise<void>;
  imageFsInfo(signal?: AbortSignal): Promise<ImageFsUsage[]>;
  /** Optional: names the pods of containers that started after the plan. */
  listPodSandbox?(signal?: AbortSignal): Promise<{ sandboxes: NodeSandbox[] }>;
}

export type RemovalResult = 'removed' | 'already-gone' | 'skipped' | 'failed' | 'deferred' | 'not-attempted';

export interface RemovalOutcome {
  id: string;
  name: string;
  sizeBytes: number;
  result: RemovalResult;
  /** Why it was skipped, deferred or not attempted. */
  reasons: Reason[];
  /** The runtime's error, for `failed`. */
  error: string | undefined;
  /** Set when a container appeared on the image while it was being removed (the TOCTOU window of CRI). */
  warning: string | undefined;
  at: string;
}

export type ExecutionEvent =
  | { type: 'start'; total: number }
  | { type: 'checking'; entry: PlanEntry; index: number; total: number }
  | { type: 'outcome'; entry: PlanEntry; outcome: RemovalOutcome; index: number; total: number }
  | { type: 'waiting-for-fs'; timeoutMs: number };

export interface ExecuteOptions {
  /** At most this many RemoveImage calls in this run; the rest are `deferred`. */
  maxRemovals?: number | undefined;
  /** Stop after this many runtime failures in a row (default 3); the rest are `not-attempted`. */
  stopAfterFailures?: number | undefined;
  /** Wait up to this long for ImageFsInfo figures collected after the last removal (default 0: read once). */
  fsRefreshTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Awaited: progress, audit lines. */
  onEvent?: ((event: ExecutionEvent) => void | Promise<void>) | undefined;
  /** Sandboxes, to name the pods of containers in reasons. */
  sandboxes?: NodeSandbox[] | undefined;
}

export interface ExecutionResult {
  outcomes: RemovalOutcome[];
  counts: Record<RemovalResult, number>;
  /** Sum of the runtime's sizes of the removed images. */
  removedBytes: number;
  fsBefore: ImageFsUsage[] | undefined;
  fsAfter: ImageFsUsage[] | undefined;
  /** True when `fsAfter` was collected after the last removal (containerd refreshes every 10 s). */
  fsAfterFresh: boolean;
  /** Drop of ImageFsInfo used bytes, when both readings exist and the after reading is fresh. */
  fsReclaimedBytes: number | undefined;
  /** Why the run ended early, if it did. */
  stopped: string | undefined;
  startedAt: string;
  finishedAt: string;
  issues: Issue[];
}

export const DEFAULT_STOP_AFTER_FAILURES = 3;

export async function executePlan(plan: CleanupPlan, runtime: CleanupRuntime, rules: Rules, options: ExecuteOptions = {}): Promise<ExecutionResult> {
  const startedAt = new Date().toISOString();
  const { signal, onEvent } = options;
  const stopAfter = options.stopAfterFailures ?? DEFAULT_STOP_AFTER_FAILURES;
  const candidates = plan.entries.filter((e) => e.decision === 'remove');
  const issues: Issue[] = [];
  const outcomes: RemovalOutcome[] = [];
  const emit = async (event: ExecutionEvent): Promise<void> => {
    if (onEvent !== undefined) await onEvent(event);
  };

  const fsBefore = await readFs(runtime, signal, issues, 'before');
  await emit({ type: 'start', total: candidates.length });

  let removals = 0;
  let failuresInRow = 0;
  let stopped: string | undefined;
  let lastRemovalNs: bigint | undefined;
  for (const [index, entry] of candidates.entries()) {
    const base = { id: entry.id, name: entry.name, sizeBytes: entry.sizeBytes, error: undefined, warning: undefined };
    let outcome: RemovalOutcome;
    if (stopped === undefined && signal?.aborted === true) stopped = `interrupted: ${errorMessage(signal.reason)}`;
    if (stopped !== undefined) {
      outcome = { ...base, result: 'not-attempted', reasons: [{ code: 'run-stopped', message: `not attempted: the run stopped (${stopped})` }], at: now() };
    } else if (options.maxRemovals !== undefined && removals >= options.maxRemovals) {
      outcome = { ...base, result: 'deferred', reasons: [{ code: 'max-removals', message: `deferred: --max-removals ${options.maxRemovals} reached; a later run removes it` }], at: now() };
    } else {
      await emit({ type: 'checking', entry, index, total: candidates.length });
      outcome = await removeOne(entry, runtime, rules, options);
      if (outcome.result === 'removed') {
        removals++;
        lastRemovalNs = BigInt(Date.now()) * 1_000_000n;
      }
      if (signal?.aborted === true) stopped = `interrupted: ${errorMessage(signal.reason)}`;
      else if (outcome.result === 'failed') {
        failuresInRow++;
        if (failuresInRow >= stopAfter) stopped = `${failuresInRow} runtime failures in a row (--stop-after-failures ${stopAfter})`;
      } else failuresInRow = 0;
    }
    outcomes.push(outcome);
    await emit({ type: 'outcome', entry, outcome, index, total: candidates.length });
  }

  let fsAfter: ImageFsUsage[] | undefined;
  let fsAfterFresh = false;
  if (lastRemovalNs === undefined) {
    fsAfter = await readFs(runtime, signal, issues, 'after');
    fsAfterFresh = fsAfter !== undefined;
  } else {
    const timeoutMs = options.fsRefreshTimeoutMs ?? 0;
    if (timeoutMs > 0) await emit({ type: 'waiting-for-fs', timeoutMs });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      fsAfter = await readFs(runtime, signal, issues, 'after');
      fsAfterFresh = fsAfter !== undefined && fsAfter.length > 0 && fsAfter.every((f) => f.collected && BigInt(f.timestampNs) > (lastRemovalNs ?? 0n));
      if (fsAfterFresh || fsAfter === undefined || Date.now() >= deadline || signal?.aborted === true) break;
      await sleep(Math.min(1000, Math.max(0, deadline - Date.now())), undefined, { signal }).catch(() => undefined);
    }
    if (!fsAfterFresh && fsAfter !== undefined) {
      issues.push(issue('cleanup-imagefs-stale', 'ImageFsInfo after the removals still shows figures collected before them (containerd refreshes every 10 s), so the disk saving is not measured', undefined, 'Wait longer with --fs-wait, or read the figures later with "runwarden node images".'));
    }
  }
  const fsReclaimedBytes = fsAfterFresh && fsBefore !== undefined && fsAfter !== undefined && fsBefore.every((f) => f.collected) ? sumUsed(fsBefore) - sumUsed(fsAfter) : undefined;

  const counts: Record<RemovalResult, number> = { removed: 0, 'already-gone': 0, skipped: 0, failed: 0, deferred: 0, 'not-attempted': 0 };
  for (const o of outcomes) counts[o.result]++;
  return {
    outcomes,
    counts,
    removedBytes: outcomes.filter((o) => o.result === 'removed').reduce((n, o) => n + o.sizeBytes, 0),
    fsBefore,
    fsAfter,
    fsAfterFresh,
    fsReclaimedBytes,
    stopped,
    startedAt,
    finishedAt: now(),
    issues,
  };
}

async function removeOne(entry: PlanEntry, runtime: CleanupRuntime, rules: Rules, options: ExecuteOptions): Promise<RemovalOutcome> {
  const { signal } = options;
  const base = { id: entry.id, name: entry.name, sizeBytes: entry.sizeBytes };
  // 1. Fresh state: the image as it is now (new tags may match an exclusion) and every container.
  let fresh: NodeImage | undefined;
  let containers: NodeContainer[];
  let complete: boolean;
  try {
    fresh = await runtime.imageStatus(entry.id, signal);
    if (fresh === undefined) return { ...base, result: 'already-gone', reasons: [{ code: 'already-gone', message: 'no longer on the node: removed by someone else since the plan' }], error: undefined, warning: undefined, at: now() };
    const listed = await runtime.listContainers(signal);
    containers = listed.containers;
    complete = listed.invalid.length === 0;
  } catch (error) {
    return { ...base, result: 'failed', reasons: [{ code: 'recheck-failed', message: 'not removed: could not re-read the image and containers right before removal' }], error: errorMessage(error), warning: undefined, at: now() };
  }
  // 2. The planner's rules again, on fresh state; times are not in ImageStatus, keep the plan's.
  const image: NodeImage = { ...fresh, createdAt: entry.createdAt, targetDigests: fresh.targetDigests.length > 0 ? fresh.targetDigests : entry.targetDigests };
  const context = { containersComplete: complete, containerCount: containers.length };
  const uses = usesOf(image, containers, options.sandboxes ?? []);
  let verdict = evaluateImage(image, uses, rules, context);
  if (verdict.decision === 'keep' && uses.some((u) => u.sandbox === undefined) && runtime.listPodSandbox !== undefined) {
    // A container that appeared since the plan is in a pod the plan never saw: name it in the reason.
    try {
      verdict = evaluateImage(image, usesOf(image, containers, (await runtime.listPodSandbox(signal)).sandboxes), rules, context);
    } catch {
      // The reason then names the container by its ID.
    }
  }
  if (verdict.decision === 'keep') {
    return { ...base, result: 'skipped', reasons: verdict.reasons.map((r) => ({ ...r, message: `not removed: ${r.message} (changed since the plan)` })), error: undefined, warning: undefined, at: now() };
  }
  // 3. Remove by ID: every tag and digest name of the image goes (CRI RemoveImage semantics).
  try {
    await runtime.removeImage(image.id, signal);
  } catch (error) {
    const interrupted = signal?.aborted === true ? ' (interrupted: the runtime may or may not have removed it)' : '';
    return { ...base, result: 'failed', reasons: [{ code: 'remove-failed', message: `RemoveImage failed${interrupted}` }], error: errorMessage(error), warning: undefined, at: now() };
  }
  // 4. The window between step 1 and 3 is milliseconds, not zero: say so if a container landed in it.
  let warning: string | undefined;
  try {
    const after = await runtime.listContainers(signal);
    const late = usesOf(image, after.containers, options.sandboxes ?? []);
    if (late.length > 0) {
      warning = `container ${late.map((u) => u.container.id.slice(0, 12)).join(', ')} was created from this image while it was being removed; running containers keep their layers, a restart pulls the image again`;
    }
  } catch {
    // The removal itself succeeded; a failed post-check only loses the warning.
  }
  return { ...base, result: 'removed', reasons: verdict.reasons, error: undefined, warning, at: now() };
}

async function readFs(runtime: CleanupRuntime, signal: AbortSignal | undefined, issues: Issue[], when: 'before' | 'after'): Promise<ImageFsUsage[] | undefined> {
  try {
    return await runtime.imageFsInfo(signal);
  } catch (error) {
    issues.push(issue('cleanup-imagefs-failed', `ImageFsInfo ${when} the removals failed: ${errorMessage(error)}`));
    return undefined;
  }
}

function sumUsed(fs: ImageFsUsage[]): number {
  return fs.reduce((n, f) => n + f.usedBytes, 0);
}

function now(): string {
  return new Date().toISOString();
}
