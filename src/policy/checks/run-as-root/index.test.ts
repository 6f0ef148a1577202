import { describe, expect, it } from 'vitest';
import { barePod, container, ctx, deployment, inv } from '../../../../test/workloads.js';
import { runAsRoot } from './index.js';

describe('run-as-root', () => {
  it('rates runAsUser: 0 high and a missing runAsNonRoot medium, per container', () => {
    const findings = runAsRoot.run(inv([deployment('web', { containers: [container({ name: 'root', securityContext: { runAsUser: 0 } }), container({ name: 'maybe' })] })]), ctx).findings;
    expect(findings.map((f) => [f.subject.container, f.severity, f.evidence.fields])).toEqual([
      ['root', 'high', ['spec.template.spec.containers[0].securityContext.runAsUser']],
      ['maybe', 'medium', ['spec.template.spec.containers[1].securityContext.runAsNonRoot']],
    ]);
    expect(findings[1]?.title).toBe('Container maybe of Deployment web may run as root (no runAsNonRoot or runAsUser: the image decides)');
  });

  it('lets the container setting win over the pod setting, as the kubelet does', () => {
    const findings = runAsRoot.run(inv([barePod('p', { securityContext: { runAsNonRoot: true, runAsUser: 1000 }, containers: [container({ name: 'a', securityContext: { runAsUser: 0 } }), container({ name: 'b' })] })]), ctx).findings;
    expect(findings.map((f) => [f.subject.container, f.evidence.runAsUser])).toEqual([['a', 0]]);
  });

  it('accepts runAsNonRoot: true or a non-zero runAsUser at pod level', () => {
    expect(runAsRoot.run(inv([barePod('a', { securityContext: { runAsNonRoot: true } }), barePod('b', { securityContext: { runAsUser: 10001 } })]), ctx).findings).toEqual([]);
  });

  it('points at the pod-level field that says runAsNonRoot: false', () => {
    const f = runAsRoot.run(inv([barePod('p', { securityContext: { runAsNonRoot: false } })]), ctx).findings[0];
    expect(f?.evidence.fields).toEqual(['spec.securityContext.runAsNonRoot']);
    expect(f?.title).toContain('runAsNonRoot: false');
  });

  it('rates root in a user namespace (hostUsers: false) low and skips Windows pods', () => {
    const findings = runAsRoot.run(inv([barePod('userns', { hostUsers: false, securityContext: { runAsUser: 0 } }), barePod('win', { os: { name: 'windows' } })]), ctx).findings;
    expect(findings.map((f) => [f.subject.workload?.name, f.severity])).toEqual([['userns', 'low']]);
  });
});
