import { describe, expect, it } from 'vitest';
import { cronJob, ctx, inv } from '../../../../test/workloads.js';
import { hostNamespaces } from './index.js';

describe('host-namespaces', () => {
  it('reports each shared namespace once per workload, with the field in the CronJob template', () => {
    const findings = hostNamespaces.run(inv([cronJob('debug', { hostPID: true, hostNetwork: true, hostIPC: false })]), ctx).findings;
    expect(findings.map((f) => [f.evidence.namespace, f.severity, f.evidence.fields])).toEqual([
      ['hostPID', 'high', ['spec.jobTemplate.spec.template.spec.hostPID']],
      ['hostNetwork', 'high', ['spec.jobTemplate.spec.template.spec.hostNetwork']],
    ]);
    expect(findings[0]?.subject).toEqual({ type: 'workload', namespace: 'ops', workload: { kind: 'CronJob', name: 'debug' } });
    expect(new Set(findings.map((f) => f.id)).size).toBe(2);
  });

  it('reports hostIPC as medium and nothing for a pod without host namespaces', () => {
    expect(hostNamespaces.run(inv([cronJob('a', { hostIPC: true }), cronJob('b', {})]), ctx).findings.map((f) => [f.subject.workload?.name, f.severity])).toEqual([['a', 'medium']]);
  });
});
