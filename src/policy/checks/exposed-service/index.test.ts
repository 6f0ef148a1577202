import { describe, expect, it } from 'vitest';
import { ctx, deployment, inv, service } from '../../../../test/workloads.js';
import { exposedService } from './index.js';

describe('exposed-service', () => {
  const web = deployment('web', {}, { labels: { app: 'web' } });

  it('rates public LoadBalancers and externalIPs high, NodePort medium, internal or source-restricted LoadBalancers low', () => {
    const objects = [
      web,
      service('public', 'shop', { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 443 }] }),
      service('internal', 'shop', { type: 'LoadBalancer', selector: { app: 'web' } }, { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' }),
      service('ranges', 'shop', { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8'] }),
      service('node', 'shop', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }),
      service('ext', 'shop', { type: 'ClusterIP', externalIPs: ['203.0.113.7'] }),
      service('plain', 'shop', { type: 'ClusterIP', selector: { app: 'web' } }),
    ];
    const findings = exposedService.run(inv(objects), ctx).findings;
    expect(findings.map((f) => [f.subject.workload?.name, f.severity])).toEqual([
      ['public', 'high'],
      ['internal', 'low'],
      ['ranges', 'low'],
      ['node', 'medium'],
      ['ext', 'high'],
    ]);
    expect(findings[0]).toMatchObject({
      subject: { type: 'workload', namespace: 'shop', workload: { kind: 'Service', name: 'public' } },
      title: 'Service public is exposed outside the cluster: public LoadBalancer open to any source address → Deployment/web',
      evidence: { selects: ['Deployment/web'], fields: ['spec.type'] },
    });
    expect(findings[3]?.title).toBe('Service node is exposed outside the cluster: NodePort (30080 on every node)');
  });
});
