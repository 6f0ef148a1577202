/**
 * Findings are per workload, not per replica: the pods of a workload (and its template when it has
 * none) are grouped by their verdict. Pods of one workload with different verdicts (one relabelled
 * by hand, say) get separate groups, each naming its pods.
 */
import type { PodView, WorkloadRef } from '../../core/inventory.js';
import { workloadKey } from '../../core/inventory.js';
import type { Direction, DirectionVerdict, PodNetworkVerdict } from './analysis.js';

export interface VerdictGroup {
  workload: WorkloadRef;
  verdict: DirectionVerdict;
  views: PodView[];
  /** Separates two groups of one workload (for fingerprints). */
  signature: string;
}

/** How many pod names evidence lists before it says "and N more". */
export const MAX_LISTED_PODS = 10;

export function groupByWorkload(verdicts: readonly PodNetworkVerdict[], direction: Direction, keep: (v: DirectionVerdict) => boolean): VerdictGroup[] {
  const groups = new Map<string, VerdictGroup>();
  for (const pv of verdicts) {
    if (pv.unknown !== undefined) continue;
    const verdict = pv[direction];
    if (!keep(verdict)) continue;
    const signature = `${verdict.reach}|${verdict.allPorts}|${verdict.hostNetwork}|${verdict.openings.map((o) => `${o.rule}:${o.ports?.join(',') ?? '*'}`).join(';')}`;
    const key = `${workloadKey(pv.view.workload)}\u0000${signature}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { workload: pv.view.workload, verdict, views: [pv.view], signature });
    else group.views.push(pv.view);
  }
  return [...groups.values()];
}

/** `Deployment web`, `pod debug-shell`. */
export function workloadLabel(workload: WorkloadRef): string {
  return workload.kind === 'Pod' ? `pod ${workload.name}` : `${workload.kind} ${workload.name}`;
}

/** Evidence about the pods of a group: how many, which (first ten), or that it is a template. */
export function podEvidence(views: readonly PodView[]): { pods: number; podNames?: string[]; template?: true } {
  const names = views.map((v) => v.pod).filter((n): n is string => n !== undefined);
  if (names.length === 0) return { pods: 0, template: true };
  const listed = names.slice(0, MAX_LISTED_PODS);
  return { pods: names.length, podNames: names.length > MAX_LISTED_PODS ? [...listed, `… and ${names.length - MAX_LISTED_PODS} more`] : listed };
}
