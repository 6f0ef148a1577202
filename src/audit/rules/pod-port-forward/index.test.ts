import { describe, expect, it } from 'vitest';
import { auditEvent } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { forwardedPorts, podPortForward } from './index.js';

const detector = (): Detector => new Detector({}, [podPortForward]);

const portForward = (overrides: Record<string, unknown> = {}) =>
  auditEvent({
    verb: 'create',
    stage: 'ResponseStarted',
    requestURI: '/api/v1/namespaces/shop/pods/db-0/portforward',
    objectRef: { resource: 'pods', subresource: 'portforward', namespace: 'shop', name: 'db-0', apiVersion: 'v1' },
    responseStatus: { code: 101 },
    ...overrides,
  });

describe('pod-port-forward', () => {
  it('detects a kubectl port-forward (POST, no ports in the URI)', () => {
    const [finding, ...rest] = detector().push(portForward());
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('pod-port-forward');
    expect(finding?.severity).toBe('medium');
    expect(finding?.title).toBe('Port-forward to pod shop/db-0 by alice');
    expect(finding?.evidence['ports']).toEqual([]);
    expect(finding?.subject).toEqual({ type: 'pod', namespace: 'shop', pod: 'db-0' });
  });

  it('reads the ports of a websocket client (GET) from the request URI', () => {
    const [finding] = detector().push(portForward({ verb: 'get', requestURI: '/api/v1/namespaces/shop/pods/db-0/portforward?ports=5432&ports=8080' }));
    expect(finding?.title).toBe('Port-forward to pod shop/db-0 (ports 5432, 8080) by alice');
    expect(finding?.evidence['ports']).toEqual([5432, 8080]);
  });

  it('keeps only valid, distinct port numbers', () => {
    expect(forwardedPorts('/api/v1/namespaces/a/pods/b/portforward?ports=80,443&ports=80&ports=x&ports=70000&ports=0')).toEqual([80, 443]);
    expect(forwardedPorts(undefined)).toEqual([]);
  });

  it('reports the two stages of one port-forward once', () => {
    const d = detector();
    const started = portForward({ auditID: 'pf-1' });
    expect(d.push(started)).toHaveLength(1);
    expect(d.push({ ...started, stage: 'ResponseComplete' })).toEqual([]);
  });

  it('ignores a refused port-forward, exec and the pod itself', () => {
    const d = detector();
    expect(d.push(portForward({ responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(portForward({ objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'db-0' } }))).toEqual([]);
    expect(d.push(portForward({ verb: 'get', objectRef: { resource: 'pods', namespace: 'shop', name: 'db-0' }, responseStatus: { code: 200 } }))).toEqual([]);
    expect(d.push(portForward({ objectRef: { resource: 'services', subresource: 'portforward', namespace: 'shop', name: 'db' } }))).toEqual([]);
  });
});
