import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditSettings } from '../../rule.js';
import { unexpectedNamespaceCreated } from './index.js';

const detector = (settings: Partial<AuditSettings>): Detector => new Detector(settings, [unexpectedNamespaceCreated]);

const traceFindings = (file: string, settings: Partial<AuditSettings>) => {
  const d = detector(settings);
  return traceEvents(file).flatMap((e) => d.push(e));
};

function namespaceCreate(name: string, overrides: Record<string, unknown> = {}) {
  return auditEvent({
    verb: 'create',
    requestURI: '/api/v1/namespaces',
    objectRef: { resource: 'namespaces', name, apiVersion: 'v1' },
    requestObject: { kind: 'Namespace', apiVersion: 'v1', metadata: { name } },
    ...overrides,
  });
}

describe('unexpected-namespace-created', () => {
  it('detects the upstream namespace foo outside Falco\'s default list', () => {
    const [finding, ...rest] = traceFindings('some-user_creates_namespace_foo.json', { allowedNamespaces: ['kube-system', 'kube-public', 'default'] });
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('unexpected-namespace-created');
    expect(finding?.severity).toBe('low');
    expect(finding?.title).toBe('Namespace foo created outside the allowed namespaces by some-user');
    expect(finding?.evidence['namespace']).toBe('foo');
    expect(finding?.subject).toEqual({ type: 'namespace', namespace: 'foo' });
  });

  it('is quiet when foo is allowed, and off without allowedNamespaces', () => {
    expect(traceFindings('some-user_creates_namespace_foo.json', { allowedNamespaces: ['foo'] })).toEqual([]);
    expect(traceFindings('minikube_creates_namespace_foo.json', { allowedNamespaces: ['foo'] })).toEqual([]);
    expect(traceFindings('some-user_creates_namespace_foo.json', {})).toEqual([]);
    expect(detector({}).rules).toEqual([]);
  });

  it('matches globs and always allows the built-in namespaces', () => {
    const d = detector({ allowedNamespaces: ['team-*'] });
    expect(d.push(namespaceCreate('team-shop'))).toEqual([]);
    expect(d.push(namespaceCreate('kube-node-lease', { user: { username: 'system:apiserver' } }))).toEqual([]);
    expect(d.push(namespaceCreate('default'))).toEqual([]);
    expect(d.push(namespaceCreate('teamshop')).map((f) => f.evidence['namespace'])).toEqual(['teamshop']);
  });

  it('finds the name of a generateName create in the response', () => {
    const event = namespaceCreate('', { objectRef: { resource: 'namespaces', apiVersion: 'v1' }, requestObject: { metadata: { generateName: 'tmp-' } }, responseObject: { metadata: { name: 'tmp-x7k2p' } } });
    expect(detector({ allowedNamespaces: [] }).push(event).map((f) => f.title)).toEqual(['Namespace tmp-x7k2p created outside the allowed namespaces by alice']);
  });

  it('ignores deletes, updates, other resources and refused creates', () => {
    const d = detector({ allowedNamespaces: [] });
    expect(traceFindings('delete_namespace_foo.json', { allowedNamespaces: [] })).toEqual([]);
    expect(d.push(namespaceCreate('foo', { verb: 'update' }))).toEqual([]);
    expect(d.push(namespaceCreate('foo', { objectRef: { resource: 'namespaces', subresource: 'finalize', name: 'foo' } }))).toEqual([]);
    expect(d.push(namespaceCreate('foo', { responseStatus: { code: 409 } }))).toEqual([]);
    expect(d.push(auditEvent({ verb: 'create', objectRef: { resource: 'configmaps', namespace: 'foo', name: 'x' } }))).toEqual([]);
    expect(d.push(namespaceCreate('foo'))).toHaveLength(1);
  });
});
