import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { anonymousRequestAllowed, publicEndpoint } from './index.js';

const detector = (): Detector => new Detector({}, [anonymousRequestAllowed]);

const anonymous = (overrides: Record<string, unknown> = {}) =>
  auditEvent({
    verb: 'list',
    requestURI: '/api/v1/namespaces/kube-system/secrets',
    user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    objectRef: { resource: 'secrets', namespace: 'kube-system', apiVersion: 'v1' },
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "oops" of ClusterRole "cluster-admin" to User "system:anonymous"' },
    ...overrides,
  });

describe('anonymous-request-allowed', () => {
  it('detects the upstream trace of an anonymous user creating a namespace', () => {
    const d = detector();
    const [finding, ...rest] = traceEvents('anonymous_creates_namespace_foo.json').flatMap((e) => d.push(e));
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('anonymous-request-allowed');
    expect(finding?.severity).toBe('high');
    expect(finding?.title).toBe('Anonymous request allowed: create /api/v1/namespaces by system:anonymous');
    expect(finding?.evidence).toMatchObject({ decision: 'allow', authorizationReason: '' });
  });

  it('detects a user of the system:unauthenticated group, with the authorization reason', () => {
    const [byName] = detector().push(anonymous());
    expect(byName?.evidence).toMatchObject({ decision: 'allow', authorizationReason: 'RBAC: allowed by ClusterRoleBinding "oops" of ClusterRole "cluster-admin" to User "system:anonymous"' });
    const [byGroup] = detector().push(anonymous({ user: { username: 'guest', groups: ['system:unauthenticated'] } }));
    expect(byGroup?.title).toBe('Anonymous request allowed: list /api/v1/namespaces/kube-system/secrets by guest');
  });

  it('leaves out the public health and version endpoints, but not look-alikes', () => {
    const d = detector();
    for (const uri of ['/healthz', '/healthz?verbose', '/healthz/etcd', '/livez', '/livez/ping', '/readyz?exclude=etcd', '/readyz', '/version', '/version?timeout=32s']) {
      expect(d.push(anonymous({ verb: 'get', requestURI: uri, objectRef: undefined })), uri).toEqual([]);
    }
    expect(publicEndpoint('/healthzzz')).toBe(false);
    expect(publicEndpoint('/versions')).toBe(false);
    expect(publicEndpoint('/api/v1/healthz')).toBe(false);
    expect(d.push(anonymous({ verb: 'get', requestURI: '/.well-known/openid-configuration', objectRef: undefined }))).toHaveLength(1);
  });

  it('ignores a denied anonymous request, an authenticated user and an event without a decision', () => {
    const d = detector();
    expect(d.push(anonymous({ annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' }, responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(anonymous({ user: { username: 'alice', groups: ['system:authenticated'] } }))).toEqual([]);
    expect(d.push(anonymous({ annotations: undefined }))).toEqual([]);
    expect(d.push(anonymous())).toHaveLength(1);
  });

  it('judges the impersonated user, not the one who impersonated', () => {
    const d = detector();
    expect(d.push(anonymous({ user: { username: 'alice', groups: ['system:authenticated'] }, impersonatedUser: { username: 'system:anonymous', groups: ['system:unauthenticated'] } }))).toHaveLength(1);
    expect(d.push(anonymous({ user: { username: 'system:anonymous', groups: ['system:unauthenticated'] }, impersonatedUser: { username: 'bob', groups: ['system:authenticated'] } }))).toEqual([]);
  });
});
