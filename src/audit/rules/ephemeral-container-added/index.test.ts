import { describe, expect, it } from 'vitest';
import { auditEvent, podCreate } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { ephemeralContainerAdded } from './index.js';

const detector = (): Detector => new Detector({}, [ephemeralContainerAdded]);

const debugRequest = (overrides: Record<string, unknown> = {}) =>
  auditEvent({
    verb: 'patch',
    requestURI: '/api/v1/namespaces/shop/pods/web-1/ephemeralcontainers',
    objectRef: { resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'shop', name: 'web-1', apiVersion: 'v1' },
    // what kubectl debug sends: a strategic merge patch of the pod
    requestObject: { spec: { ephemeralContainers: [{ name: 'debugger-x7k2p', image: 'busybox:1.36', targetContainerName: 'web', stdin: true, tty: true }] } },
    ...overrides,
  });

describe('ephemeral-container-added', () => {
  it('detects kubectl debug and names the container from the patch body', () => {
    const [finding, ...rest] = detector().push(debugRequest());
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('ephemeral-container-added');
    expect(finding?.severity).toBe('medium');
    expect(finding?.title).toBe('Ephemeral container added to pod shop/web-1: debugger-x7k2p (busybox:1.36) by alice');
    expect(finding?.evidence['ephemeralContainers']).toEqual([{ name: 'debugger-x7k2p', image: 'busybox:1.36' }]);
    expect(finding?.subject).toEqual({ type: 'pod', namespace: 'shop', pod: 'web-1' });
  });

  it('reads the EphemeralContainers kind of older clusters, a whole Pod (update) and a JSON patch', () => {
    const d = detector();
    const legacy = d.push(debugRequest({ verb: 'update', requestObject: { kind: 'EphemeralContainers', apiVersion: 'v1', ephemeralContainers: [{ name: 'dbg', image: 'alpine' }] } }));
    expect(legacy[0]?.evidence['ephemeralContainers']).toEqual([{ name: 'dbg', image: 'alpine' }]);
    const pod = d.push(debugRequest({ verb: 'update', requestObject: { kind: 'Pod', apiVersion: 'v1', spec: { containers: [{ name: 'web', image: 'nginx' }], ephemeralContainers: [{ name: 'dbg', image: 'alpine' }] } } }));
    expect(pod[0]?.evidence['ephemeralContainers']).toEqual([{ name: 'dbg', image: 'alpine' }]);
    const jsonPatch = d.push(debugRequest({ requestObject: [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'shell', image: 'nicolaka/netshoot', securityContext: { privileged: true } } }] }));
    expect(jsonPatch[0]?.evidence['ephemeralContainers']).toEqual([{ name: 'shell', image: 'nicolaka/netshoot', privileged: true }]);
  });

  it('still reports a request whose body does not name the containers, saying they are unknown', () => {
    const d = detector();
    const [metadataLevel] = d.push(debugRequest({ level: 'Metadata', requestObject: undefined }));
    expect(metadataLevel?.title).toBe('Ephemeral container added to pod shop/web-1 by alice');
    expect(metadataLevel?.evidence['ephemeralContainers']).toBe('unknown');
    const [otherPatch] = d.push(debugRequest({ requestObject: { metadata: { labels: { debug: 'true' } } } }));
    expect(otherPatch?.evidence['ephemeralContainers']).toBe('unknown');
  });

  it('ignores a read of the subresource, a refused request and a pod created with ephemeral containers', () => {
    const d = detector();
    expect(d.push(debugRequest({ verb: 'get' }))).toEqual([]);
    expect(d.push(debugRequest({ responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(podCreate({ ephemeralContainers: [{ name: 'dbg', image: 'alpine' }] }))).toEqual([]);
    expect(d.push(debugRequest({ verb: 'create' }))).toHaveLength(1);
  });
});
