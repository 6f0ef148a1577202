import { describe, expect, it } from 'vitest';
import { container, ctx, deployment, inv } from '../../../../test/workloads.js';
import { hostPorts } from './index.js';

describe('host-ports', () => {
  it('reports the host ports of a container with the field of each', () => {
    const d = deployment('ingress', { containers: [container({ name: 'nginx', ports: [{ containerPort: 80, hostPort: 80 }, { containerPort: 8443 }, { containerPort: 443, hostPort: 443, protocol: 'TCP' }] })] });
    const findings = hostPorts.run(inv([d]), ctx).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'medium',
      title: 'Container nginx of Deployment ingress binds host ports 80/TCP, 443/TCP on its node',
      evidence: { fields: ['spec.template.spec.containers[0].ports[0].hostPort', 'spec.template.spec.containers[0].ports[2].hostPort'] },
    });
  });

  it('ignores hostPort 0 (unset)', () => {
    expect(hostPorts.run(inv([deployment('a', { containers: [container({ ports: [{ containerPort: 80, hostPort: 0 }] })] })]), ctx).findings).toEqual([]);
  });
});
