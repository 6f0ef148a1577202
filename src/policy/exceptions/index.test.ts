import { describe, expect, it } from 'vitest';
import { container, ctx, deployment, inv, namespace, service } from '../../../test/workloads.js';
import { scanInventory } from '../../scan/index.js';
import { CHECKS } from '../registry.js';
import { applyExceptions } from './index.js';

const exempt = (rules: string, reason?: string): Record<string, string> => ({ 'runwarden.io/exempt': rules, ...(reason === undefined ? {} : { 'runwarden.io/exempt-reason': reason }) });
const privileged = (name: string, annotations?: Record<string, string>, ns = 'shop'): Record<string, unknown> => deployment(name, { containers: [container({ securityContext: { privileged: true } })] }, { ns, annotations });
const known = CHECKS.map((c) => c.id);
const run = (objects: Array<Record<string, unknown>>, exceptions?: Parameters<typeof applyExceptions>[2]['exceptions']) => scanInventory(inv(objects), { ...ctx, rules: ['privileged-container', 'exposed-service'], exceptions });

describe('exceptions', () => {
  it('suppresses the named checks of an annotated workload with the reason, keeping the finding', () => {
    const report = run([privileged('agent', exempt('privileged-container, host-path', 'node agent, reviewed SEC-142')), privileged('other')]);
    const agent = report.findings.find((f) => f.subject.workload?.name === 'agent');
    expect(agent?.suppression).toEqual({ kind: 'annotation', reason: 'node agent, reviewed SEC-142', source: 'annotation runwarden.io/exempt on Deployment shop/agent' });
    expect(report.findings.find((f) => f.subject.workload?.name === 'other')?.suppression).toBeUndefined();
    expect(report.summary.findings).toBe(1);
    expect(report.summary.bySeverity.critical).toBe(1);
  });

  it('honours exemptions on the pod template, a Service and the Namespace', () => {
    const templated = deployment('t', { containers: [container({ securityContext: { privileged: true } })] }, { templateAnnotations: exempt('privileged-container', 'template says so') });
    const ns = { ...namespace('infra'), metadata: { name: 'infra', annotations: exempt('privileged-container', 'infra namespace holds node agents') } };
    const svc = service('lb', 'shop', { type: 'NodePort' }, exempt('exposed-service', 'public demo endpoint'));
    const report = run([templated, ns, privileged('agent', undefined, 'infra'), svc]);
    expect(report.findings.map((f) => [f.subject.workload?.name, f.suppression?.source])).toEqual([
      ['agent', 'annotation runwarden.io/exempt on Namespace infra'],
      ['t', 'annotation runwarden.io/exempt on Deployment shop/t (pod template)'],
      ['lb', 'annotation runwarden.io/exempt on Service shop/lb'],
    ]);
  });

  it('ignores an exemption without a reason or for an unknown check, with an issue naming the fix', () => {
    const report = run([privileged('a', exempt('privileged-container')), privileged('b', exempt('privileged', 'typo'))]);
    expect(report.findings.every((f) => f.suppression === undefined)).toBe(true);
    expect(report.issues.map((i) => i.message)).toEqual([
      'Deployment shop/a has annotation runwarden.io/exempt: "privileged-container" but no runwarden.io/exempt-reason; the exemption is ignored',
      'Deployment shop/b: runwarden.io/exempt names unknown check "privileged"; did you mean "privileged-container"?',
    ]);
  });

  it('applies config exceptions by rule, namespace glob and Kind/name glob, until they expire', () => {
    const objects = [privileged('billing'), privileged('billing-v2'), privileged('web', undefined, 'legacy-eu')];
    const report = run(objects, [
      { rules: ['privileged-container'], namespace: 'legacy-*', reason: 'legacy estate, OPS-77' },
      { rules: ['privileged-container'], workload: 'Deployment/billing', reason: 'vendor image', expires: '2027-01-31' },
      { rules: ['privileged-container'], workload: 'billing-*', reason: 'expired', expires: '2026-01-01' },
    ]);
    const rows = report.findings.map((f) => [f.subject.workload?.name, f.suppression?.source ?? null, f.suppression?.expires ?? null]);
    expect(rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['billing', 'config exceptions[1]', '2027-01-31'],
      ['billing-v2', null, null],
      ['web', 'config exceptions[0]', null],
    ]);
    expect(report.issues.map((i) => i.code)).toEqual(['exception-expired']);
    expect(report.issues[0]?.message).toBe('config exceptions[2] (privileged-container: "expired") expired on 2026-01-01; its findings are reported again');
  });

  it('reports config exceptions naming unknown checks', () => {
    const { issues } = applyExceptions([], inv([]), { exceptions: [{ rules: ['host-paths'], reason: 'x' }], knownRules: known, now: ctx.now });
    expect(issues.map((i) => i.message)).toEqual(['config exceptions[0] names unknown check "host-paths"; did you mean "host-path"?']);
  });
});
