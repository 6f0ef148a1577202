import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditSettings } from '../../rule.js';
import { requestLabel } from '../../event.js';
import { unexpectedUser } from './index.js';

const detector = (settings: Partial<AuditSettings>): Detector => new Detector(settings, [unexpectedUser]);

const traceFindings = (file: string, settings: Partial<AuditSettings>) => {
  const d = detector(settings);
  return traceEvents(file).flatMap((e) => d.push(e));
};

describe('unexpected-user', () => {
  it('detects the upstream some-user trace when only minikube-user is allowed', () => {
    const [finding, ...rest] = traceFindings('some-user_creates_namespace_foo.json', { allowedUsers: ['minikube-user'] });
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('unexpected-user');
    expect(finding?.severity).toBe('medium');
    expect(finding?.title).toBe('User outside the allowed users: create namespaces foo by some-user');
    expect(finding?.evidence['unexpectedUsers']).toEqual(['some-user']);
  });

  it('is quiet when the user is allowed, exactly or by glob, and off without allowedUsers', () => {
    expect(traceFindings('some-user_creates_namespace_foo.json', { allowedUsers: ['some-user'] })).toEqual([]);
    expect(traceFindings('some-user_creates_namespace_foo.json', { allowedUsers: ['some-*'] })).toEqual([]);
    expect(traceFindings('some-user_creates_namespace_foo.json', {})).toEqual([]);
    expect(detector({}).rules).toEqual([]);
    // an empty list allows nobody
    expect(traceFindings('some-user_creates_namespace_foo.json', { allowedUsers: [] })).toHaveLength(1);
  });

  it('leaves out system identities and anonymous requests', () => {
    const d = detector({ allowedUsers: [] });
    expect(d.push(auditEvent({ user: { username: 'system:serviceaccount:shop:api' } }))).toEqual([]);
    expect(d.push(auditEvent({ user: { username: 'system:node:worker-1' } }))).toEqual([]);
    expect(d.push(auditEvent({ user: { username: 'system:anonymous' } }))).toEqual([]);
    expect(traceFindings('anonymous_creates_namespace_foo.json', { allowedUsers: [] })).toEqual([]);
    expect(d.push(auditEvent({ user: { username: 'bob' } }))).toHaveLength(1);
  });

  it('judges both the user who sent the request and the one it impersonated', () => {
    const d = detector({ allowedUsers: ['alice'] });
    const [asBob] = d.push(auditEvent({ user: { username: 'alice' }, impersonatedUser: { username: 'bob' } }));
    expect(asBob?.evidence['unexpectedUsers']).toEqual(['bob']);
    const [byBob] = d.push(auditEvent({ user: { username: 'bob' }, impersonatedUser: { username: 'alice' } }));
    expect(byBob?.evidence['unexpectedUsers']).toEqual(['bob']);
    expect(byBob?.title).toBe('User outside the allowed users: get pods default/web-1 by alice');
    expect(d.push(auditEvent({ user: { username: 'alice' }, impersonatedUser: { username: 'system:serviceaccount:shop:api' } }))).toEqual([]);
  });

  it('ignores refused requests', () => {
    const d = detector({ allowedUsers: [] });
    expect(d.push(auditEvent({ user: { username: 'bob' }, responseStatus: { code: 401 } }))).toEqual([]);
  });

  it('labels requests without an object by their path', () => {
    expect(requestLabel(auditEvent({ verb: 'get', requestURI: '/version?timeout=32s', objectRef: undefined }))).toBe('get /version');
    expect(requestLabel(auditEvent({ verb: 'list', objectRef: { resource: 'pods', namespace: 'shop' } }))).toBe('list pods in shop');
    expect(requestLabel(auditEvent({ verb: 'get', objectRef: { resource: 'pods', subresource: 'log', namespace: 'shop', name: 'web-1' } }))).toBe('get pods/log shop/web-1');
  });
});
