import { describe, expect, it } from 'vitest';
import { container, ctx, deployment, inv } from '../../../../test/workloads.js';
import { canonicalHostPath, hostPath, rateHostPath } from './index.js';

function withHostPath(path: string, readOnly?: boolean, mounted = true): Record<string, unknown> {
  return deployment('agent', {
    volumes: [{ name: 'host', hostPath: { path } }],
    containers: [container({ name: 'agent', ...(mounted ? { volumeMounts: [{ name: 'host', mountPath: '/host', ...(readOnly === undefined ? {} : { readOnly }) }] } : {}) })],
  });
}
const severityOf = (path: string, readOnly?: boolean, mounted = true): string | undefined => hostPath.run(inv([withHostPath(path, readOnly, mounted)]), ctx).findings[0]?.severity;

describe('host-path', () => {
  it.each([
    ['/var/run/docker.sock', 'critical'],
    ['/run/containerd/containerd.sock', 'critical'],
    ['/var/run', 'critical'],
    ['/', 'critical'],
    ['/etc', 'high'],
    ['/etc/kubernetes/pki', 'high'],
    ['/var/lib/kubelet/pods', 'high'],
    ['/var', 'high'],
    ['/var/log', 'high'],
    ['/opt/data', 'medium'],
    ['/data/../etc/', 'high'],
  ])('rates hostPath %s (read-write) %s', (path, severity) => {
    expect(severityOf(path)).toBe(severity);
  });

  it('rates read-only mounts one step lower, except runtime sockets, and unmounted volumes low', () => {
    expect(severityOf('/etc', true)).toBe('medium');
    expect(severityOf('/', true)).toBe('high');
    expect(severityOf('/var/run/docker.sock', true)).toBe('critical');
    expect(severityOf('/opt/data', true)).toBe('low');
    expect(severityOf('/var/run/docker.sock', undefined, false)).toBe('low');
  });

  it('names the volume, the mounts and the fields', () => {
    const f = hostPath.run(inv([withHostPath('/var/run/docker.sock')]), ctx).findings[0];
    expect(f).toMatchObject({
      subject: { type: 'workload', namespace: 'shop', workload: { kind: 'Deployment', name: 'agent' } },
      title: 'Deployment agent mounts a container runtime socket: hostPath /var/run/docker.sock at agent:/host',
      evidence: {
        volume: 'host',
        sensitivePath: '/run/docker.sock',
        readOnly: false,
        mounts: [{ container: 'agent', mountPath: '/host', readOnly: false }],
        fields: ['spec.template.spec.volumes[0].hostPath.path', 'spec.template.spec.containers[0].volumeMounts[0]'],
      },
    });
  });

  it('normalises paths: .., trailing slashes and /var/run', () => {
    expect(canonicalHostPath('/var/run/crio/crio.sock')).toBe('/run/crio/crio.sock');
    expect(canonicalHostPath('/a/b/../c/')).toBe('/a/c');
    expect(rateHostPath('/srv').severity).toBe('medium');
  });
});
