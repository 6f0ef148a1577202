import { describe, expect, it } from 'vitest';
import { auditEvent, podCreate, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditSettings } from '../../rule.js';
import { privilegedPodCreated } from './index.js';

const detector = (settings: Partial<AuditSettings> = {}): Detector => new Detector(settings, [privilegedPodCreated]);

const traceFindings = (file: string, settings: Partial<AuditSettings> = {}) => {
  const d = detector(settings);
  return traceEvents(file).flatMap((e) => d.push(e));
};

describe('privileged-pod-created', () => {
  it('detects the upstream privileged pod trace', () => {
    const [finding, ...rest] = traceFindings('create_nginx_pod_privileged.json');
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('privileged-pod-created');
    expect(finding?.severity).toBe('high');
    expect(finding?.title).toBe('Privileged pod created in default (nginx (nginx)) by system:serviceaccount:kube-system:replicaset-controller');
    expect(finding?.evidence['privilegedContainers']).toEqual([{ name: 'nginx', image: 'nginx', list: 'containers' }]);
  });

  it('names only the privileged container when it is the second one', () => {
    for (const file of ['create_nginx_pod_privileged_2nd_container.json', 'create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json']) {
      const findings = traceFindings(file);
      expect(findings, file).toHaveLength(1);
      expect(findings[0]?.evidence['privilegedContainers'], file).toEqual([{ name: 'mysql', image: 'mysql:latest', list: 'containers' }]);
    }
  });

  it('ignores the upstream unprivileged pod trace', () => {
    expect(traceFindings('create_nginx_pod_unprivileged.json')).toEqual([]);
  });

  it('trusts an image by repository in trustedImages, but only that image', () => {
    expect(traceFindings('create_nginx_pod_privileged.json', { trustedImages: ['nginx'] })).toEqual([]);
    expect(traceFindings('create_nginx_pod_privileged.json', { trustedImages: ['docker.io/library/nginx'] })).toEqual([]);
    // mysql is privileged and not trusted
    expect(traceFindings('create_nginx_pod_privileged_2nd_container.json', { trustedImages: ['nginx'] })).toHaveLength(1);
  });

  it('detects privileged init and ephemeral containers and says which list they are in', () => {
    const [finding] = detector().push(
      podCreate({
        initContainers: [{ name: 'setup', image: 'busybox:1.36', securityContext: { privileged: true } }],
        ephemeralContainers: [{ name: 'debug', image: 'alpine', securityContext: { privileged: true } }],
      }),
    );
    expect(finding?.evidence['privilegedContainers']).toEqual([
      { name: 'setup', image: 'busybox:1.36', list: 'initContainers' },
      { name: 'debug', image: 'alpine', list: 'ephemeralContainers' },
    ]);
    expect(finding?.subject).toEqual({ type: 'pod', namespace: 'default', pod: 'web-abcde' });
  });

  it('ignores privileged: false, a refused create, an update and the ephemeralcontainers subresource', () => {
    const d = detector();
    const privileged = { containers: [{ name: 'web', image: 'nginx:1.27', securityContext: { privileged: true } }] };
    expect(d.push(podCreate({ containers: [{ name: 'web', image: 'nginx:1.27', securityContext: { privileged: false } }] }))).toEqual([]);
    expect(d.push(podCreate(privileged, { responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(podCreate(privileged, { verb: 'update', responseStatus: { code: 200 } }))).toEqual([]);
    expect(d.push(podCreate(privileged, { objectRef: { resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'web-1' } }))).toEqual([]);
    // the same create is reported
    expect(d.push(podCreate(privileged))).toHaveLength(1);
  });
});

describe('privileged-pod-created on workloads', () => {
  it('names the person who wrote a privileged template, not only the controller that made its pods', () => {
    const event = auditEvent({
      verb: 'create',
      user: { username: 'mallory@contractor.example', groups: ['system:authenticated'] },
      objectRef: { resource: 'daemonsets', namespace: 'kube-system', name: 'node-tuner', apiGroup: 'apps', apiVersion: 'v1' },
      requestObject: { kind: 'DaemonSet', spec: { template: { spec: { containers: [{ name: 'tuner', image: 'alpine:3.20', securityContext: { privileged: true } }] } } } },
    });
    const [finding] = new Detector({}, [privilegedPodCreated]).push(event);
    expect(finding?.title).toBe('Privileged DaemonSet kube-system/node-tuner created (tuner (alpine:3.20)) by mallory@contractor.example');
    expect(finding?.subject).toEqual({ type: 'workload', namespace: 'kube-system', workload: { kind: 'DaemonSet', name: 'node-tuner' } });
    expect(new Detector({ trustedImages: ['alpine'] }, [privilegedPodCreated]).push({ ...event, auditID: 'other' })).toEqual([]);
  });
});
