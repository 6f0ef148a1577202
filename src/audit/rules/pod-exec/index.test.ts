import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { execCommand, podExec } from './index.js';

const detector = (): Detector => new Detector({}, [podExec]);

describe('pod-exec', () => {
  it('detects the upstream exec trace with its command and container', () => {
    const [finding] = detector().push(traceEvents('exec_pod.json')[0]!);
    expect(finding?.rule).toBe('pod-exec');
    expect(finding?.title).toBe('Exec into pod default/nginx-deployment-7998647bdf-phvq7 (container nginx1): bash by minikube-user');
    expect(finding?.evidence).toMatchObject({ action: 'exec', container: 'nginx1', command: 'bash', tty: true, user: 'minikube-user', sourceIPs: ['192.168.99.1'] });
    expect(finding?.subject).toEqual({ type: 'pod', namespace: 'default', pod: 'nginx-deployment-7998647bdf-phvq7' });
  });

  it('detects the upstream attach trace', () => {
    expect(detector().push(traceEvents('attach_pod.json')[0]!).map((f) => f.evidence['action'])).toEqual(['attach']);
  });

  it('reports one exec once although the API server logs it at ResponseStarted and ResponseComplete', () => {
    const d = detector();
    const started = auditEvent({ auditID: 'same', stage: 'ResponseStarted', verb: 'create', objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' }, requestURI: '/api/v1/namespaces/shop/pods/web-1/exec?command=sh&command=-c&command=id', responseStatus: { code: 101 } });
    const complete = { ...started, stage: 'ResponseComplete' };
    expect(d.push(started)).toHaveLength(1);
    expect(d.push(complete)).toHaveLength(0);
    expect(execCommand(started.requestURI)).toBe('sh -c id');
  });

  it('ignores a refused exec, the pod itself and the RequestReceived stage', () => {
    const d = detector();
    expect(d.push(auditEvent({ verb: 'create', objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' }, responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(auditEvent({ verb: 'get', objectRef: { resource: 'pods', namespace: 'shop', name: 'web-1' } }))).toEqual([]);
    expect(d.push(auditEvent({ stage: 'RequestReceived', verb: 'create', objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' }, responseStatus: undefined }))).toEqual([]);
    expect(d.stats).toMatchObject({ events: 3, skipped: 1, detections: 0 });
  });
});
