import { describe, expect, it } from 'vitest';
import { barePod, container, ctx, deployment, inv } from '../../../../test/workloads.js';
import { writableRootFilesystem } from './index.js';

describe('writable-root-filesystem', () => {
  it('reports containers without readOnlyRootFilesystem: true, init containers included', () => {
    const d = deployment('web', { initContainers: [container({ name: 'migrate' })], containers: [container({ name: 'web', securityContext: { readOnlyRootFilesystem: false } }), container({ name: 'ok', securityContext: { readOnlyRootFilesystem: true } })] });
    const findings = writableRootFilesystem.run(inv([d]), ctx).findings;
    expect(findings.map((f) => [f.subject.container, f.severity, f.evidence.fields])).toEqual([
      ['migrate', 'low', ['spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem']],
      ['web', 'low', ['spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem']],
    ]);
    expect(findings[1]?.title).toBe('Container web of Deployment web has a writable root filesystem (readOnlyRootFilesystem: false)');
  });

  it('skips Windows pods, where the setting is not supported', () => {
    expect(writableRootFilesystem.run(inv([barePod('w', { os: { name: 'windows' } })]), ctx).findings).toEqual([]);
  });
});
