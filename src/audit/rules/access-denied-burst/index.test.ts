import { describe, expect, it } from 'vitest';
import { auditEvent } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { accessDeniedBurst } from './index.js';

const detector = (): Detector => new Detector({}, [accessDeniedBurst]);

/** A request refused with `code` at `second` seconds past 10:00, by `username` ('' unauthenticated) from `ip`. */
function refused(second: number, code: number, username = 'mallory', ip = '203.0.113.9', uri = `/api/v1/namespaces/kube-system/secrets/s${second}`) {
  const at = new Date(Date.UTC(2026, 10, 30, 10, 0, 0) + second * 1000).toISOString();
  return auditEvent({
    verb: 'get',
    user: username === '' ? { username: 'system:anonymous', groups: ['system:unauthenticated'] } : { username, groups: ['system:authenticated'] },
    sourceIPs: [ip],
    requestURI: uri,
    objectRef: { resource: 'secrets', apiVersion: 'v1', namespace: 'kube-system', name: `s${second}` },
    responseStatus: { code },
    requestReceivedTimestamp: at,
    stageTimestamp: at,
    annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
  });
}

describe('access-denied-burst', () => {
  it('reports twenty refused requests of one identity from one address within five minutes, once, with what they asked for', () => {
    const d = detector();
    const found = [];
    for (let i = 0; i < 19; i++) found.push(...d.push(refused(i * 10, i % 2 === 0 ? 403 : 401)));
    expect(found).toEqual([]);
    const [finding, ...rest] = d.push(refused(200, 403));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ rule: 'access-denied-burst', severity: 'medium', title: '20 requests refused within 5 minutes by mallory', subject: { type: 'cluster' } });
    const burst = finding?.evidence['burst'] as { count: number; requests: string[]; from: string; to: string };
    expect([burst.count, burst.from, burst.to, burst.requests.length]).toEqual([20, '2026-11-30T10:00:00.000Z', '2026-11-30T10:03:20.000Z', 20]);
    expect(burst.requests[0]).toMatch(/^get \/api\/v1\/namespaces\/kube-system\/secrets\/s0 \(test-\d+\)$/);
    expect(finding?.evidence).toMatchObject({ outcome: 'refused', responseCode: 403, sourceIPs: ['203.0.113.9'] });
  });

  it('keeps identities and addresses apart, leaves out allowed requests and refusals spread over more than five minutes', () => {
    const d = detector();
    const found = [];
    for (let i = 0; i < 15; i++) {
      found.push(...d.push(refused(i, 403, 'mallory', '203.0.113.9')));
      found.push(...d.push(refused(i, 403, 'mallory', '198.51.100.7')));
      found.push(...d.push(refused(i, 401, '', '192.0.2.1')));
      found.push(...d.push(refused(i, 200, 'mallory', '203.0.113.9', `/api/v1/namespaces/shop/pods/p${i}`)));
    }
    // one a minute: never twenty within five
    for (let i = 0; i < 30; i++) found.push(...d.push(refused(600 + i * 60, 403, 'bob')));
    expect(found).toEqual([]);
    // anonymous callers are counted by address
    const anonymous = [];
    for (let i = 15; i < 20; i++) anonymous.push(...d.push(refused(i, 401, '', '192.0.2.1')));
    expect(anonymous.map((f) => f.title)).toEqual(['20 requests refused within 5 minutes by system:anonymous']);
  });
});
