/**
 * The control plane's own end of life: the Kubernetes minor release the API server runs (its
 * `/version` gitVersion, a snapshot's `version.json`, or `--control-plane-version`) against the
 * `kubernetes` release cycles. One verdict for the cluster — end-of-life, outdated (end of life
 * within the look-ahead), fresh, or unknown when the version could not be read (never fresh without
 * one) — and a `control-plane-eol` finding when it is past or near its end of life. Pure.
 */
import { fingerprint, type Finding, type Subject } from '../../core/finding.js';
import { issue, type Issue } from '../../core/issue.js';
import type { Severity } from '../../core/severity.js';
import { eolStatus, findCycle, isoDay, nextSupportedCycle } from '../data/cycles.js';
import type { LifecycleData } from '../data/schema.js';
import type { Verdict } from '../verdict/findings.js';
import { kubernetesVersion } from './index.js';

export const CONTROL_PLANE_RULES = ['control-plane-eol'] as const;

/** What the inventory source (or the flag) says about the control plane's version (structurally inventory/source's ControlPlaneVersion). */
export interface ControlPlaneFacts {
  gitVersion?: string | undefined;
  /** Where it was read: the /version URL, the snapshot file, or `--control-plane-version`. */
  location: string;
  /** Why it could not be read. */
  issue?: Issue | undefined;
}

export interface ControlPlaneStatus {
  version?: string | undefined;
  from?: string | undefined;
  /** The Kubernetes release cycle (`1.29`). */
  cycle?: string | undefined;
  verdict: Verdict;
  reason: string;
  /** The next supported release when this one is (nearly) past end of life. */
  next?: string | undefined;
}

export interface ControlPlaneOptions {
  data: LifecycleData;
  now: Date;
  eolLookaheadDays: number;
}

export function controlPlaneLifecycle(facts: ControlPlaneFacts | undefined, options: ControlPlaneOptions): { status: ControlPlaneStatus; findings: Finding[]; issues: Issue[] } {
  const issues: Issue[] = [];
  if (facts?.gitVersion === undefined) {
    if (facts?.issue !== undefined) issues.push(facts.issue);
    const reason = facts?.issue !== undefined ? facts.issue.message : 'the control plane\'s version is not known (a snapshot without version.json): pass --control-plane-version, or add "kubectl version -o json" output as version.json';
    return { status: { verdict: 'unknown', reason, from: facts?.location }, findings: [], issues };
  }
  const version = facts.gitVersion;
  const parsed = kubernetesVersion(version);
  const product = options.data.products.get('kubernetes');
  if (parsed === undefined || product === undefined) {
    const reason = parsed === undefined ? `"${version}" is not a Kubernetes version like v1.31.2` : 'the lifecycle data has no Kubernetes release cycles';
    issues.push(issue('lifecycle-control-plane-unknown', `Control plane (${facts.location}): ${reason}; its end of life is not checked`, facts.location));
    return { status: { version, from: facts.location, verdict: 'unknown', reason }, findings: [], issues };
  }
  const cycle = findCycle(product, `${parsed[0]}.${parsed[1]}.${parsed[2]}`);
  if (cycle === undefined) {
    const reason = `Kubernetes ${parsed[0]}.${parsed[1]} has no release cycle in the lifecycle data`;
    issues.push(issue('lifecycle-no-cycle', `Control plane ${version} (${facts.location}): ${reason}`, facts.location, 'Run "runwarden lifecycle update".'));
    return { status: { version, from: facts.location, verdict: 'unknown', reason }, findings: [], issues };
  }
  const today = isoDay(options.now);
  const status = eolStatus(cycle, today, options.eolLookaheadDays);
  const base = { version, from: facts.location, cycle: cycle.cycle };
  if (status.state !== 'eol' && status.state !== 'eol-soon') {
    return { status: { ...base, verdict: 'fresh', reason: `Kubernetes ${cycle.cycle} is supported${status.eolDate === undefined ? '' : ` until ${status.eolDate}`}` }, findings: [], issues };
  }
  const next = nextSupportedCycle(product, cycle, today, options.eolLookaheadDays);
  const past = status.state === 'eol';
  const when = status.eolDate === undefined ? '' : ` on ${status.eolDate}`;
  const reason = `Kubernetes ${cycle.cycle} ${past ? 'reached' : 'reaches'} end of life${when}`;
  const severity: Severity = !past ? 'low' : status.extendedActive ? 'medium' : 'high';
  const subject: Subject = { type: 'cluster' };
  const finding: Finding = {
    id: fingerprint('control-plane-eol', subject, `kubernetes:${cycle.cycle}`),
    rule: 'control-plane-eol',
    kind: 'node',
    severity,
    title: `Control plane ${version}: ${reason}`,
    subject,
    evidence: { version, readFrom: facts.location, product: 'kubernetes', cycle: cycle.cycle, eol: status.eolDate ?? past, state: status.state, nextSupportedCycle: next?.cycle },
    remediation: next === undefined
      ? `Upgrade the control plane off Kubernetes ${cycle.cycle}; no supported later release is known in the lifecycle data.`
      : `Upgrade the control plane to Kubernetes ${next.cycle} (one minor release at a time; managed offerings such as AKS/EKS/GKE publish their own support windows), then the node pools.`,
  };
  return { status: { ...base, verdict: past ? 'end-of-life' : 'outdated', reason, next: next?.cycle }, findings: [finding], issues };
}
