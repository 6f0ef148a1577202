/**
 * The plan for a person (table), for programs (JSON) and as a shell script of `kubectl patch` commands a
 * user can read, edit and run.
 */
import pc from 'picocolors';
import type { ContainerRemediation, RemediationPlan, TargetView } from './index.js';

export const PLAN_FORMATS = ['table', 'json', 'kubectl', 'diff'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

function list(targets: readonly TargetView[], limit = 4): string {
  const shown = targets.slice(0, limit).map((t) => t.what);
  return shown.join('; ') + (targets.length > limit ? `; and ${targets.length - limit} more` : '');
}

function headline(plan: RemediationPlan): string {
  const s = plan.summary;
  return `${s.containers} container(s) of ${s.workloads} workload(s) to fix (vulnerabilities ≥ ${plan.severity}, end of life, outdated images): ${s.fixed} fixed, ${s.partial} partly, ${s.unresolved} without a change; ${s.patches} patch(es); ${s.candidatesScanned} candidate image(s) scanned`;
}

function containerLines(c: ContainerRemediation, color: boolean): string[] {
  const paint = (f: (s: string) => string, s: string): string => (color ? f(s) : s);
  const lines: string[] = [];
  if (c.to === undefined) {
    lines.push(`  ${c.container}: ${c.image} — ${paint(pc.red, 'no change found')}: ${c.note ?? ''}`);
    if (c.remaining.length > 0) lines.push(`    to fix: ${list(c.remaining)}`);
  } else {
    const tag = `${c.change ?? ''}${c.scanned ? ', scanned' : ', not scanned'}`;
    lines.push(`  ${c.container}: ${c.from ?? c.image} → ${paint(pc.green, c.to)} [${tag}]`);
    lines.push(`    fixes: ${list(c.fixes)}`);
    if (c.remaining.length > 0) lines.push(`    ${paint(pc.yellow, 'still open')}: ${list(c.remaining)}`);
    if (c.note !== undefined) lines.push(`    note: ${c.note}`);
    if (c.noPatch !== undefined) lines.push(`    ${paint(pc.yellow, 'not in the patch')}: ${c.noPatch}`);
  }
  for (const k of c.considered) if (k.image !== c.to) lines.push(`    tried ${k.image} (${k.change}): ${k.result}`);
  return lines;
}

export function renderPlanTable(plan: RemediationPlan, options: { color: boolean }): string {
  const lines = [headline(plan), ''];
  for (const w of plan.workloads) {
    lines.push(`${w.workload.kind} ${w.workload.namespace}/${w.workload.name}`);
    for (const c of w.containers) lines.push(...containerLines(c, options.color));
    if (w.kubectl !== undefined) lines.push(`  patch: ${w.kubectl}`, ...(w.rollout === undefined ? [] : [`  then: ${w.rollout}`]));
    else if (w.note !== undefined) lines.push(`  no patch: ${w.note}`);
    // the patch is a hotfix: whoever deploys the workload puts its image back
    if (w.managedBy !== undefined && w.kubectl !== undefined) lines.push(`  ${options.color ? pc.yellow(w.managedBy.note) : w.managedBy.note}`);
    lines.push('');
  }
  if (plan.manifests !== undefined) lines.push(...manifestLines(plan.manifests), '');
  for (const i of plan.issues) lines.push(`issue: ${i.message}${i.hint === undefined ? '' : ` (${i.hint})`}`);
  return `${lines.join('\n').trimEnd()}\n`;
}

/** What `--manifests` changed (see `-f diff`) and what it could not. */
function manifestLines(m: NonNullable<RemediationPlan['manifests']>): string[] {
  const lines = [`Manifests: ${m.changes.length} image value(s) changed in ${m.files.length} file(s) (-f diff for the patch)`];
  for (const c of m.changes) lines.push(`  ${c.file}:${c.line} ${c.workload.kind} ${c.workload.namespace}/${c.workload.name} ${c.container}: ${c.from} → ${c.to}`);
  for (const n of m.notChanged) lines.push(`  not changed: ${n.workload.kind} ${n.workload.namespace}/${n.workload.name} ${n.container}: ${n.reason}`);
  return lines;
}

export function renderPlanJson(plan: RemediationPlan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

/** `#` comment lines: the text on one line each, nothing that ends the comment. */
function comment(text: string): string {
  return `# ${text.replace(/[\r\n]+/g, ' ')}`;
}

/** A POSIX shell script of the patches, each preceded by what it changes and why; nothing runs on its own. */
export function renderPlanScript(plan: RemediationPlan): string {
  const lines = ['#!/bin/sh', comment(`runwarden fix: image changes for ${plan.source.type} ${plan.source.location}, scanned ${plan.generatedAt}`), comment(headline(plan)), comment('Each patch first tests the image it replaces: a workload changed since the scan is left as it is.'), ''];
  for (const w of plan.workloads) {
    if (w.kubectl === undefined) continue;
    lines.push(comment(`${w.workload.kind} ${w.workload.namespace}/${w.workload.name}`));
    for (const c of w.containers) {
      if (c.to === undefined || c.from === undefined) continue;
      lines.push(comment(`  ${c.container}: ${c.from} → ${c.to} (${c.outcome}; fixes ${list(c.fixes)})`));
    }
    if (w.rollout !== undefined) lines.push(comment(`  then: ${w.rollout}`));
    if (w.managedBy !== undefined) lines.push(comment(`  ${w.managedBy.note}`));
    lines.push(w.kubectl, '');
  }
  const left = plan.workloads.flatMap((w) => w.containers.filter((c) => c.to === undefined).map((c) => `${w.workload.kind} ${w.workload.namespace}/${w.workload.name} ${c.container}: ${c.note ?? ''}`));
  if (left.length > 0) lines.push(comment('Without a change:'), ...left.map((l) => comment(`  ${l}`)));
  return `${lines.join('\n').trimEnd()}\n`;
}
