import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditSettings } from '../../rule.js';
import { secretRead } from './index.js';

const detector = (settings: Partial<AuditSettings> = {}): Detector => new Detector(settings, [secretRead]);

/** A read of Secrets: `namespace` '' for every namespace, `name` '' for a list or watch. */
function secretAccess(verb: string, namespace: string, name: string, username = 'alice', overrides: Record<string, unknown> = {}) {
  return auditEvent({
    verb,
    user: { username, groups: ['system:authenticated'] },
    requestURI: `/api/v1/${namespace === '' ? '' : `namespaces/${namespace}/`}secrets${name === '' ? '' : `/${name}`}`,
    objectRef: { resource: 'secrets', apiVersion: 'v1', ...(namespace === '' ? {} : { namespace }), ...(name === '' ? {} : { name }) },
    responseObject: { kind: 'Secret', metadata: { name, namespace }, data: { password: 'c2VjcmV0' } },
    ...overrides,
  });
}

describe('secret-read', () => {
  it('reports a person reading one Secret, with its name and never its data', () => {
    const [finding, ...rest] = detector().push(secretAccess('get', 'shop', 'db-password'));
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('secret-read');
    expect(finding?.severity).toBe('medium');
    expect(finding?.title).toBe('Secret shop/db-password read by alice');
    expect(finding?.evidence).toMatchObject({ secret: 'db-password', namespace: 'shop', clusterWide: false, verb: 'get' });
    expect(JSON.stringify(finding)).not.toContain('c2VjcmV0');
    expect(finding?.subject).toEqual({ type: 'namespace', namespace: 'shop' });
  });

  it('reports a list or watch across every namespace as high', () => {
    const d = detector();
    const [list] = d.push(secretAccess('list', '', ''));
    expect(list?.title).toBe('Secrets of every namespace listed by alice');
    expect(list?.severity).toBe('high');
    expect(list?.evidence).toMatchObject({ clusterWide: true });
    expect(list?.evidence['namespace']).toBeUndefined();
    expect(d.push(secretAccess('watch', 'shop', '')).map((f) => [f.title, f.severity])).toEqual([['Secrets in namespace shop watched by alice', 'medium']]);
  });

  it('reports a service account only outside its own namespace or across all of them', () => {
    const d = detector();
    const sa = 'system:serviceaccount:shop:api';
    expect(d.push(secretAccess('get', 'shop', 'db-password', sa))).toEqual([]);
    expect(d.push(secretAccess('list', 'shop', '', sa))).toEqual([]);
    expect(d.push(secretAccess('get', 'billing', 'stripe-key', sa)).map((f) => f.title)).toEqual([`Secret billing/stripe-key read by ${sa}`]);
    expect(d.push(secretAccess('list', '', '', sa))).toHaveLength(1);
    // a namespace that only starts like the account's is another namespace
    expect(d.push(secretAccess('get', 'shop-prod', 'x', sa))).toHaveLength(1);
  });

  it('leaves out the control plane, and reports other system identities and anonymous', () => {
    const d = detector();
    for (const user of ['system:kube-controller-manager', 'system:kube-scheduler', 'system:apiserver', 'system:node:worker-1', 'system:serviceaccount:kube-system:namespace-controller']) {
      expect(d.push(secretAccess('list', '', '', user))).toEqual([]);
    }
    expect(d.push(secretAccess('get', 'shop', 'x', 'system:anonymous'))).toHaveLength(1);
    expect(d.push(secretAccess('get', 'shop', 'x', 'system:kube-proxy'))).toHaveLength(1);
  });

  it('leaves out secretReaders, exact or by glob', () => {
    const settings = { secretReaders: ['system:serviceaccount:vault:*', 'backup-bot'] };
    const d = detector(settings);
    expect(d.push(secretAccess('list', '', '', 'system:serviceaccount:vault:vault'))).toEqual([]);
    expect(d.push(secretAccess('get', 'shop', 'x', 'backup-bot'))).toEqual([]);
    expect(d.push(secretAccess('get', 'shop', 'x', 'backup-bot-2'))).toHaveLength(1);
  });

  it('judges the user behind an impersonated control-plane identity', () => {
    const d = detector();
    const impersonating = secretAccess('get', 'shop', 'x', 'alice', { impersonatedUser: { username: 'system:kube-controller-manager' } });
    expect(d.push(impersonating).map((f) => f.evidence['impersonatedBy'])).toEqual(['alice']);
    const proxied = secretAccess('get', 'shop', 'x', 'system:kube-controller-manager', { impersonatedUser: { username: 'system:node:worker-1' } });
    expect(d.push(proxied)).toEqual([]);
  });

  it('ignores refused reads, writes, other resources and subresources', () => {
    const d = detector();
    expect(d.push(secretAccess('get', 'shop', 'x', 'alice', { responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(secretAccess('create', 'shop', 'x'))).toEqual([]);
    expect(d.push(secretAccess('delete', 'shop', 'x'))).toEqual([]);
    expect(d.push(auditEvent({ verb: 'get', objectRef: { resource: 'configmaps', namespace: 'shop', name: 'x' } }))).toEqual([]);
    expect(d.push(secretAccess('get', 'shop', 'x', 'alice', { objectRef: { resource: 'secrets', apiGroup: 'example.com', namespace: 'shop', name: 'x' } }))).toEqual([]);
    expect(d.push(secretAccess('get', 'shop', 'x'))).toHaveLength(1);
  });

  it('finds nothing in the upstream Secret create and delete traces', () => {
    const d = detector();
    for (const file of ['create_secret.json', 'delete_secret.json', 'create_kube_system_secret.json', 'create_service_account_token_secret.json']) {
      expect(traceEvents(file).flatMap((e) => d.push(e))).toEqual([]);
    }
    expect(d.stats.events).toBeGreaterThanOrEqual(4);
  });
});
