/**
 * Findings of one RBAC risk, shared by the rbac-* checks: one per principal (User, Group, or a
 * ServiceAccount no workload runs as) and one per workload whose pods run as a ServiceAccount that
 * holds the risk — attributed through direct bindings and through the groups every ServiceAccount
 * is in (system:serviceaccounts, system:serviceaccounts:<ns>, system:authenticated).
 */
import { fingerprint, type Finding, type Subject } from '../../core/finding.js';
import { compareSeverity, type Severity } from '../../core/severity.js';
import type { CheckResult } from '../check.js';
import type { Inventory, WorkloadRef } from '../../core/inventory.js';
import { analyzeRbac, type Grant, type RbacAnalysis, type RbacRisk } from './analysis.js';

const SEVERITY: Record<RbacRisk, { cluster: Severity; namespace: Severity; narrow: Severity }> = {
  'cluster-admin': { cluster: 'critical', namespace: 'high', narrow: 'high' },
  wildcard: { cluster: 'high', namespace: 'medium', narrow: 'medium' },
  'secrets-read': { cluster: 'high', namespace: 'medium', narrow: 'low' },
  'pod-exec': { cluster: 'high', namespace: 'medium', narrow: 'medium' },
  'privilege-escalation': { cluster: 'high', namespace: 'high', narrow: 'high' },
};

const MAX_LISTED_PODS = 10;

export function grantSeverity(grant: Grant): Severity {
  const s = SEVERITY[grant.risk];
  return grant.narrow ? s.narrow : grant.namespace === undefined ? s.cluster : s.namespace;
}

function worst(grants: readonly Grant[]): Severity {
  return grants.map(grantSeverity).sort(compareSeverity)[0] ?? 'unknown';
}

/** One step down (critical → high, …, low → info): the permission exists but is harder to use. */
export function lower(severity: Severity): Severity {
  const order: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
  const i = order.indexOf(severity);
  return i < 0 || i === order.length - 1 ? severity : (order[i + 1] ?? severity);
}

function scope(grant: Grant): string {
  return grant.namespace === undefined ? 'cluster-wide' : `in namespace ${grant.namespace}`;
}

function through(grants: readonly Grant[]): string {
  const first = grants[0];
  if (first === undefined) return '';
  const more = new Set(grants.map((g) => g.binding)).size - 1;
  return `${first.binding} \u2192 ${first.role}${more > 0 ? `, and ${more} more binding${more === 1 ? '' : 's'}` : ''}`;
}

function grantEvidence(grants: readonly Grant[]): Array<Record<string, unknown>> {
  return grants.map((g) => ({ binding: g.binding, role: g.role, scope: g.namespace === undefined ? 'cluster' : g.namespace, via: g.via, detail: g.detail, rules: g.rules, severity: grantSeverity(g) }));
}

function widest(grants: readonly Grant[]): Grant | undefined {
  return [...grants].sort((a, b) => compareSeverity(grantSeverity(a), grantSeverity(b)))[0];
}

function workloadLabel(w: WorkloadRef): string {
  return w.kind === 'Pod' ? `pod ${w.name}` : `${w.kind} ${w.name}`;
}

export interface RiskCheckText {
  /** What an attacker holding the permission can do (evidence). */
  impact: string;
  /** How to fix it for one principal or workload. */
  remediation: (who: string, grants: readonly Grant[]) => string;
}

export function riskFindings(inventory: Inventory, rule: string, risk: RbacRisk, text: RiskCheckText): CheckResult {
  const analysis: RbacAnalysis = analyzeRbac(inventory);
  if (!analysis.available) return { findings: [], issues: analysis.issues };
  const findings: Finding[] = [];
  for (const p of analysis.principals) {
    const grants = p.grants.filter((g) => g.risk === risk);
    if (grants.length === 0) continue;
    if (p.kind === 'ServiceAccount' && !p.unused) continue; // reported on the workloads that run as it
    const top = widest(grants);
    if (top === undefined) continue;
    const namespaces = new Set(grants.map((g) => g.namespace));
    const subject: Subject =
      p.kind === 'ServiceAccount' ? { type: 'namespace', namespace: p.namespace } : namespaces.size === 1 && top.namespace !== undefined ? { type: 'namespace', namespace: top.namespace } : { type: 'cluster' };
    const who = p.kind === 'ServiceAccount' ? `ServiceAccount ${p.namespace ?? ''}/${p.name}` : `${p.kind} ${p.name}`;
    const severity = p.unused ? lower(worst(grants)) : worst(grants);
    findings.push({
      id: fingerprint(rule, subject, who),
      rule,
      kind: 'misconfiguration',
      severity,
      title: `${who}${p.unused ? ' (no workload runs as it)' : ''} ${top.detail} ${scope(top)} (${through(grants)})`,
      subject,
      evidence: {
        principal: { kind: p.kind, name: p.name, ...(p.namespace === undefined ? {} : { namespace: p.namespace }) },
        ...(p.kind === 'ServiceAccount' ? { usedByWorkloads: !p.unused } : {}),
        grants: grantEvidence(grants),
        attackerCanReach: `Whoever holds the credentials of ${who} ${text.impact}${p.unused ? ' (anyone who can create pods in its namespace can run as it)' : ''}.`,
      },
      remediation: text.remediation(who, grants),
    });
  }
  for (const w of analysis.workloads) {
    const grants = w.grants.filter((g) => g.risk === risk);
    if (grants.length === 0) continue;
    const top = widest(grants);
    if (top === undefined) continue;
    const subject: Subject = { type: 'workload', namespace: w.workload.namespace, workload: { kind: w.workload.kind, name: w.workload.name } };
    const who = workloadLabel(w.workload);
    const via = top.via === `ServiceAccount ${w.serviceAccount}` ? '' : ` via ${top.via}`;
    findings.push({
      id: fingerprint(rule, subject, `${w.serviceAccount}\u0000${w.tokenMounted}`),
      rule,
      kind: 'misconfiguration',
      severity: w.tokenMounted ? worst(grants) : lower(worst(grants)),
      title: `${who} runs as ServiceAccount ${w.serviceAccount}, which ${top.detail} ${scope(top)} (${through(grants)}${via})`,
      subject,
      evidence: {
        serviceAccount: w.serviceAccount,
        tokenMounted: w.tokenMounted,
        token: w.tokenBecause,
        pods: w.pods.length,
        ...(w.pods.length === 0 ? { template: true } : { podNames: w.pods.length > MAX_LISTED_PODS ? [...w.pods.slice(0, MAX_LISTED_PODS), `… and ${w.pods.length - MAX_LISTED_PODS} more`] : w.pods }),
        grants: grantEvidence(grants),
        attackerCanReach: `An attacker who compromises a container of ${who} ${w.tokenMounted ? 'finds the ServiceAccount token mounted and' : 'cannot read a mounted token (automount is off), but anyone who can create pods in the namespace can mount it and'} ${text.impact}.`,
      },
      remediation: text.remediation(`ServiceAccount ${w.serviceAccount} (used by ${who})`, grants),
    });
  }
  return { findings, issues: analysis.issues };
}
