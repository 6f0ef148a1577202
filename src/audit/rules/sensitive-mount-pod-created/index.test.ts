import { describe, expect, it } from 'vitest';
import { podCreate, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditSettings } from '../../rule.js';
import { sensitiveMountPodCreated } from './index.js';

const detector = (settings: Partial<AuditSettings> = {}): Detector => new Detector(settings, [sensitiveMountPodCreated]);

const traceFindings = (file: string, settings: Partial<AuditSettings> = {}) => {
  const d = detector(settings);
  return traceEvents(file).flatMap((e) => d.push(e));
};

const hostPath = (name: string, path: string) => ({ name, hostPath: { path } });

describe('sensitive-mount-pod-created', () => {
  it('detects the upstream /etc mount trace at high', () => {
    const [finding, ...rest] = traceFindings('create_nginx_pod_sensitive_mount.json');
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('sensitive-mount-pod-created');
    expect(finding?.severity).toBe('high');
    expect(finding?.title).toBe('Pod mounting a sensitive host path created in default: /etc by system:serviceaccount:kube-system:replicaset-controller');
    expect(finding?.evidence['volumes']).toEqual([{ name: 'etc', path: '/etc', category: 'a sensitive host directory (/etc)' }]);
  });

  it('detects the upstream trace with two containers, and the second alone keeps it reported', () => {
    expect(traceFindings('create_nginx_pod_sensitive_mount_2nd_container.json')).toHaveLength(1);
    const [finding] = traceFindings('create_nginx_pod_sensitive_mount_2nd_container.json', { trustedImages: ['nginx'] });
    expect(finding?.evidence['untrustedContainers']).toEqual([{ name: 'mysql', image: 'mysql:latest', list: 'containers' }]);
  });

  it('ignores the upstream "unsensitive mount" trace (a get of a pod) and a pod of trusted images', () => {
    expect(traceFindings('create_nginx_pod_unsensitive_mount.json')).toEqual([]);
    expect(traceFindings('create_nginx_pod_sensitive_mount.json', { trustedImages: ['nginx'] })).toEqual([]);
  });

  it('is critical for the node root or a runtime socket, also spelled through /var/run', () => {
    const d = detector();
    const [root] = d.push(podCreate({ volumes: [hostPath('host', '/')] }));
    expect(root?.severity).toBe('critical');
    expect(root?.evidence['volumes']).toEqual([{ name: 'host', path: '/', category: "the node's root filesystem" }]);
    const [socket] = d.push(podCreate({ volumes: [hostPath('docker', '/var/run/docker.sock'), hostPath('logs', '/var/log')] }));
    expect(socket?.severity).toBe('critical');
    expect(socket?.evidence['volumes']).toEqual([
      { name: 'docker', path: '/var/run/docker.sock', category: 'a container runtime socket' },
      { name: 'logs', path: '/var/log', category: 'a sensitive host directory (/var/log)' },
    ]);
    expect(socket?.title).toMatch(/^Pod mounting sensitive host paths created in default: \/var\/run\/docker.sock, \/var\/log by /);
  });

  it('leaves out medium-rated host paths and other volume kinds', () => {
    const [finding] = detector().push(podCreate({ volumes: [hostPath('data', '/data/app'), { name: 'tmp', emptyDir: {} }, hostPath('proc', '/proc')] }));
    expect(finding?.evidence['volumes']).toEqual([{ name: 'proc', path: '/proc', category: 'a sensitive host directory (/proc)' }]);
    expect(detector().push(podCreate({ volumes: [hostPath('data', '/data/app'), { name: 'tmp', emptyDir: {} }] }))).toEqual([]);
  });

  it('ignores a refused create and a pod update', () => {
    const d = detector();
    const spec = { volumes: [hostPath('root', '/')] };
    expect(d.push(podCreate(spec, { responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(podCreate(spec, { verb: 'update', responseStatus: { code: 200 } }))).toEqual([]);
    expect(d.push(podCreate(spec))).toHaveLength(1);
  });
});
