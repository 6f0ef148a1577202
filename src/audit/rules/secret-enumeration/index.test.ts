import { describe, expect, it } from 'vitest';
import { auditEvent } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditSettings } from '../../rule.js';
import { secretEnumeration } from './index.js';

const detector = (settings: Partial<AuditSettings> = {}): Detector => new Detector(settings, [secretEnumeration]);

/** A read of Secrets at `second` seconds past 10:00 (`namespace` '' for every namespace, `name` '' for a list). */
function read(second: number, namespace: string, name: string, verb = 'get', username = 'mallory', stage = 'ResponseComplete', auditID?: string) {
  const at = new Date(Date.UTC(2026, 10, 30, 10, 0, second)).toISOString();
  return auditEvent({
    verb,
    stage,
    ...(auditID === undefined ? {} : { auditID }),
    user: { username, groups: ['system:authenticated'] },
    requestURI: `/api/v1/${namespace === '' ? '' : `namespaces/${namespace}/`}secrets${name === '' ? '' : `/${name}`}`,
    objectRef: { resource: 'secrets', apiVersion: 'v1', ...(namespace === '' ? {} : { namespace }), ...(name === '' ? {} : { name }) },
    requestReceivedTimestamp: at,
    stageTimestamp: at,
  });
}

describe('secret-enumeration', () => {
  it('reports ten different Secrets read by one identity within ten minutes, once, naming them; then counts again', () => {
    const d = detector();
    const found = [];
    for (let i = 0; i < 9; i++) found.push(...d.push(read(i * 30, i < 5 ? 'shop' : 'pay', `s${i}`)));
    // the same Secret again is not another one
    found.push(...d.push(read(280, 'shop', 's0')));
    expect(found).toEqual([]);
    const [finding, ...rest] = d.push(read(300, '', '', 'list'));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ rule: 'secret-enumeration', severity: 'high', title: '10 Secrets read within 10 minutes by mallory', subject: { type: 'cluster' } });
    expect(finding?.evidence['burst']).toEqual({
      count: 10,
      from: '2026-11-30T10:00:00.000Z',
      to: '2026-11-30T10:05:00.000Z',
      withinMinutes: 10,
      secrets: ['shop/s0', 'shop/s1', 'shop/s2', 'shop/s3', 'shop/s4', 'pay/s5', 'pay/s6', 'pay/s7', 'pay/s8', '*/*'],
    });
    expect(finding?.evidence).toMatchObject({ verb: 'list', user: 'mallory' });
    // counting starts again
    expect(d.push(read(310, 'shop', 's99'))).toEqual([]);
  });

  it('does not count reads further apart than ten minutes, watches, the control plane, allowed readers, or a service account in its own namespace', () => {
    const d = detector({ secretReaders: ['backup-*'] });
    const found = [];
    // one read every 70 s: at most nine fall within any ten minutes
    for (let i = 0; i < 15; i++) found.push(...d.push(read(i * 70, 'shop', `slow${i}`)));
    for (let i = 0; i < 12; i++) {
      found.push(...d.push(read(i, 'shop', `w${i}`, 'watch')));
      found.push(...d.push(read(i, 'shop', `c${i}`, 'get', 'system:kube-controller-manager')));
      found.push(...d.push(read(i, 'shop', `b${i}`, 'get', 'backup-agent')));
      found.push(...d.push(read(i, 'shop', `o${i}`, 'get', 'system:serviceaccount:shop:app')));
    }
    expect(found).toEqual([]);
    // the same service account outside its namespace counts
    const outside = [];
    for (let i = 0; i < 10; i++) outside.push(...d.push(read(i, 'pay', `p${i}`, 'get', 'system:serviceaccount:shop:app')));
    expect(outside.map((f) => f.title)).toEqual(['10 Secrets read within 10 minutes by system:serviceaccount:shop:app']);
  });

  it('counts a request logged at two stages once, and keeps identities apart', () => {
    const d = detector();
    const found = [];
    for (let i = 0; i < 9; i++) {
      found.push(...d.push(read(i, 'shop', `s${i}`, 'get', 'mallory', 'ResponseStarted', `twice-${i}`)));
      found.push(...d.push(read(i, 'shop', `s${i}`, 'get', 'mallory', 'ResponseComplete', `twice-${i}`)));
      found.push(...d.push(read(i, 'shop', `s${i}`, 'get', 'trudy')));
    }
    expect(found).toEqual([]);
  });
});
