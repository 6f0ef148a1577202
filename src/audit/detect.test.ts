import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../test/audit.js';
import { Detector, expiredExceptions } from './detect.js';
import { requestLabel } from './event.js';
import type { AuditException } from './rule.js';

const exec = (overrides: Record<string, unknown> = {}) =>
  auditEvent({ verb: 'create', stage: 'ResponseStarted', objectRef: { resource: 'pods', subresource: 'exec', namespace: 'dev', name: 'web-1' }, requestURI: '/api/v1/namespaces/dev/pods/web-1/exec?command=sh', responseStatus: { code: 101 }, user: { username: 'alice@acme.io', groups: ['platform-oncall', 'system:authenticated'] }, ...overrides });
const NOW = () => new Date('2026-11-30T12:00:00Z');
const detect = (exceptions: AuditException[], event = exec()) => new Detector({ exceptions }, undefined, NOW).push(event);

describe('Detector exceptions (audit.exceptions)', () => {
  it('marks a detection accepted by rule, user, group and namespace with the reason, and keeps it', () => {
    const [f] = detect([{ rules: ['pod-exec'], groups: ['platform-*'], namespaces: ['dev'], reason: 'on-call debugging in dev', expires: '2027-01-31' }]);
    expect(f?.rule).toBe('pod-exec');
    expect(f?.suppression).toEqual({ kind: 'config', reason: 'on-call debugging in dev', source: 'config audit.exceptions[0]', expires: '2027-01-31' });
  });

  it('accepts only when every list given matches, and never once expired', () => {
    expect(detect([{ rules: ['pod-exec'], namespaces: ['prod'], reason: 'x' }])[0]?.suppression).toBeUndefined();
    expect(detect([{ rules: ['pod-exec'], users: ['bob@acme.io'], reason: 'x' }])[0]?.suppression).toBeUndefined();
    expect(detect([{ rules: ['secret-read'], reason: 'x' }])[0]?.suppression).toBeUndefined();
    expect(detect([{ rules: ['pod-exec'], users: ['alice@acme.io'], groups: ['sre'], reason: 'x' }])[0]?.suppression).toBeUndefined();
    expect(detect([{ rules: ['pod-exec'], users: ['alice@acme.io'], reason: 'x', expires: '2026-11-29' }])[0]?.suppression).toBeUndefined();
    expect(detect([{ rules: ['pod-exec'], users: ['alice@acme.io'], reason: 'x', expires: '2026-11-30' }])[0]?.suppression?.reason).toBe('x');
  });

  it('does not let an impersonated identity carry an exception for the person behind it', () => {
    const exceptions: AuditException[] = [{ rules: ['pod-exec'], users: ['system:serviceaccount:ci:*'], reason: 'CI smoke tests exec' }];
    const ci = exec({ user: { username: 'system:serviceaccount:ci:runner', groups: ['system:serviceaccounts'] } });
    expect(detect(exceptions, ci)[0]?.suppression?.reason).toBe('CI smoke tests exec');
    const impersonated = exec({ user: { username: 'mallory@contractor.example', groups: ['system:authenticated'] }, impersonatedUser: { username: 'system:serviceaccount:ci:runner', groups: ['system:serviceaccounts'] } });
    const [f] = detect(exceptions, impersonated);
    expect(f?.suppression).toBeUndefined();
    expect(f?.evidence).toMatchObject({ user: 'system:serviceaccount:ci:runner', impersonatedBy: 'mallory@contractor.example' });
  });

  it('says which exceptions expired', () => {
    expect(expiredExceptions({ exceptions: [{ rules: ['pod-exec'], reason: 'old', expires: '2026-01-01' }, { rules: ['pod-exec'], reason: 'new' }] }, NOW()).map((i) => i.message)).toEqual([
      'config audit.exceptions[0] (pod-exec: "old") expired on 2026-01-01; its detections are reported again',
    ]);
  });
});

describe('Detector', () => {
  it('names a target as a person reads it', () => {
    expect(requestLabel(traceEvents('exec_pod.json')[0]!)).toBe('create pods/exec default/nginx-deployment-7998647bdf-phvq7');
    expect(requestLabel(traceEvents('attach_cluster_admin_role.json')[0]!)).toBe('create clusterrolebindings some-reader-binding');
    expect(requestLabel(traceEvents('anonymous_creates_namespace_foo.json')[0]!)).toBe('create namespaces foo');
  });

  it('evaluates the older captures without a stage, and skips the Panic stage', () => {
    const d = new Detector();
    const { stage: _stage, ...older } = exec({ auditID: 'old' });
    expect(d.push(older as never).map((f) => f.rule)).toEqual(['pod-exec']);
    expect(d.push(exec({ auditID: 'panic', stage: 'Panic' }))).toEqual([]);
    expect(d.stats).toMatchObject({ events: 2, skipped: 1, detections: 1 });
  });
});
