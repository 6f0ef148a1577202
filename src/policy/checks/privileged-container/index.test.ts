import { describe, expect, it } from 'vitest';
import { barePod, container, ctx, deployment, inv } from '../../../../test/workloads.js';
import { privilegedContainer } from './index.js';

describe('privileged-container', () => {
  it('reports a privileged container of a Deployment once, with the template field path', () => {
    const findings = privilegedContainer.run(inv([deployment('proxy', { containers: [container({ name: 'proxy', securityContext: { privileged: true } }), container({ name: 'sidecar' })] })]), ctx).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'privileged-container',
      severity: 'critical',
      title: 'Container proxy of Deployment proxy runs privileged: full access to the node',
      subject: { type: 'container', namespace: 'shop', workload: { kind: 'Deployment', name: 'proxy' }, container: 'proxy' },
      evidence: { fields: ['spec.template.spec.containers[0].securityContext.privileged'], settings: ['privileged: true'] },
    });
  });

  it('reports init containers and Windows HostProcess containers (pod-level setting inherited)', () => {
    const pod = barePod('win', { securityContext: { windowsOptions: { hostProcess: true } }, hostNetwork: true, initContainers: [container({ name: 'setup', securityContext: { privileged: true } })], containers: [container({ name: 'agent' })] });
    const findings = privilegedContainer.run(inv([pod]), ctx).findings;
    expect(findings.map((f) => [f.subject.container, f.evidence.fields])).toEqual([
      ['setup', ['spec.initContainers[0].securityContext.privileged', 'spec.securityContext.windowsOptions.hostProcess']],
      ['agent', ['spec.securityContext.windowsOptions.hostProcess']],
    ]);
  });

  it('accepts privileged: false and containers without a security context', () => {
    expect(privilegedContainer.run(inv([deployment('web', { containers: [container({ securityContext: { privileged: false } }), container({ name: 'b' })] })]), ctx).findings).toEqual([]);
  });
});
