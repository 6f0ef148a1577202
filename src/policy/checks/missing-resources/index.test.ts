import { describe, expect, it } from 'vitest';
import { container, ctx, deployment, inv } from '../../../../test/workloads.js';
import { missingResources } from './index.js';

describe('missing-resources', () => {
  it('lists what is missing; a missing memory limit is medium', () => {
    const d = deployment('api', {
      containers: [
        container({ name: 'none' }),
        container({ name: 'cpu-only', resources: { requests: { cpu: '100m' }, limits: { cpu: '1' } } }),
        container({ name: 'complete', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } } }),
      ],
    });
    const findings = missingResources.run(inv([d]), ctx).findings;
    expect(findings.map((f) => [f.subject.container, f.severity, f.evidence.missing, f.evidence.fields])).toEqual([
      ['none', 'medium', ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'], ['spec.template.spec.containers[0].resources']],
      ['cpu-only', 'medium', ['requests.memory', 'limits.memory'], ['spec.template.spec.containers[1].resources.requests.memory']],
    ]);
    expect(findings[1]?.title).toBe('Container cpu-only of Deployment api has no requests memory, limits memory');
  });

  it('counts a request defaulted from its limit as set, and only reports a missing CPU limit as low', () => {
    const d = deployment('api', { containers: [container({ resources: { limits: { memory: '1Gi' } } })] });
    const findings = missingResources.run(inv([d]), ctx).findings;
    expect(findings.map((f) => [f.severity, f.evidence.missing])).toEqual([['low', ['requests.cpu', 'limits.cpu']]]);
  });
});
