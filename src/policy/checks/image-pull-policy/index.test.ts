import { describe, expect, it } from 'vitest';
import { container, ctx, deployment, inv } from '../../../../test/workloads.js';
import { imagePullPolicy } from './index.js';

describe('image-pull-policy', () => {
  it('reports mutable tags pulled IfNotPresent (explicit or defaulted) or Never', () => {
    const d = deployment('w', {
      containers: [
        container({ name: 'defaulted', image: 'foo/bar:123' }),
        container({ name: 'never', image: 'foo/bar:123', imagePullPolicy: 'Never' }),
        container({ name: 'always', image: 'foo/bar:123', imagePullPolicy: 'Always' }),
        container({ name: 'latest', image: 'foo/bar:latest' }),
        container({ name: 'untagged', image: 'foo/bar' }),
        container({ name: 'digest', image: `foo/bar:1@sha256:${'a'.repeat(64)}`, imagePullPolicy: 'IfNotPresent' }),
      ],
    });
    const findings = imagePullPolicy.run(inv([d]), ctx).findings;
    expect(findings.map((f) => [f.subject.container, f.evidence.effective, f.evidence.fields])).toEqual([
      ['defaulted', 'IfNotPresent', ['spec.template.spec.containers[0].image']],
      ['never', 'Never', ['spec.template.spec.containers[1].imagePullPolicy']],
    ]);
    expect(findings[0]?.title).toBe('Container defaulted of Deployment w pulls foo/bar:123 with imagePullPolicy IfNotPresent (default): nodes run whatever they cached under the tag');
  });
});
