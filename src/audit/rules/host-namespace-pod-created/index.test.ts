import { describe, expect, it } from 'vitest';
import { podCreate, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditSettings } from '../../rule.js';
import { hostNamespacePodCreated } from './index.js';

const detector = (settings: Partial<AuditSettings> = {}): Detector => new Detector(settings, [hostNamespacePodCreated]);

const traceFindings = (file: string, settings: Partial<AuditSettings> = {}) => {
  const d = detector(settings);
  return traceEvents(file).flatMap((e) => d.push(e));
};

describe('host-namespace-pod-created', () => {
  it('detects the upstream host network trace', () => {
    const [finding, ...rest] = traceFindings('create_nginx_pod_hostnetwork.json');
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('host-namespace-pod-created');
    expect(finding?.severity).toBe('high');
    expect(finding?.title).toBe("Pod using the node's network namespace created in default (nginx1 (nginx)) by system:serviceaccount:kube-system:replicaset-controller");
    expect(finding?.evidence).toMatchObject({ hostNamespaces: ['network'], untrustedContainers: [{ name: 'nginx1', image: 'nginx', list: 'containers' }] });
  });

  it('ignores the upstream pod without host network', () => {
    expect(traceFindings('create_nginx_pod_nohostnetwork.json')).toEqual([]);
  });

  it('reports one detection naming every shared namespace', () => {
    const findings = detector().push(podCreate({ hostNetwork: true, hostPID: true, hostIPC: true }));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.evidence['hostNamespaces']).toEqual(['network', 'pid', 'ipc']);
    expect(findings[0]?.title).toMatch(/^Pod using the node's network, PID and IPC namespaces created in default /);
    expect(detector().push(podCreate({ hostPID: true }))[0]?.evidence['hostNamespaces']).toEqual(['pid']);
    expect(detector().push(podCreate({ hostIPC: true }))[0]?.evidence['hostNamespaces']).toEqual(['ipc']);
  });

  it('skips a pod whose images are all trusted, but not one with an untrusted init container', () => {
    expect(traceFindings('create_nginx_pod_hostnetwork.json', { trustedImages: ['nginx'] })).toEqual([]);
    const [finding] = detector({ trustedImages: ['nginx'] }).push(podCreate({ hostPID: true, initContainers: [{ name: 'setup', image: 'busybox' }] }));
    expect(finding?.evidence['untrustedContainers']).toEqual([{ name: 'setup', image: 'busybox', list: 'initContainers' }]);
  });

  it('ignores host namespaces set to false, a refused create and a pod update', () => {
    const d = detector();
    expect(d.push(podCreate({ hostNetwork: false, hostPID: false, hostIPC: false }))).toEqual([]);
    expect(d.push(podCreate({ hostNetwork: true }, { responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(podCreate({ hostNetwork: true }, { verb: 'update', responseStatus: { code: 200 } }))).toEqual([]);
    expect(d.push(podCreate({ hostNetwork: true }))).toHaveLength(1);
  });
});
