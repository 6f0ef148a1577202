/** Audit events for tests: a builder with sensible defaults, and the upstream Falco trace files (testdata/upstream/falco-k8s-audit). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditEventSchema, type AuditEvent } from '../src/audit/event.js';

export const TRACES_DIR = join(import.meta.dirname, '..', 'testdata', 'upstream', 'falco-k8s-audit', 'traces');

let counter = 0;

/**
 * An audit.k8s.io/v1 Event at ResponseComplete, by `alice`, allowed with HTTP 200 (201 for a create), with
 * `overrides` laid over it (objectRef and user replace the defaults whole). Validated by the real schema.
 */
export function auditEvent(overrides: Record<string, unknown> = {}): AuditEvent {
  counter++;
  const verb = (overrides['verb'] as string | undefined) ?? 'get';
  const base: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: `test-${counter}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods',
    verb,
    user: { username: 'alice', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.1'],
    userAgent: 'kubectl/v1.31.0',
    objectRef: { resource: 'pods', namespace: 'default', name: 'web-1', apiVersion: 'v1' },
    responseStatus: { code: verb === 'create' ? 201 : 200 },
    requestReceivedTimestamp: '2026-11-30T10:00:00.000000Z',
    stageTimestamp: '2026-11-30T10:00:00.100000Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  };
  return AuditEventSchema.parse({ ...base, ...overrides });
}

/** A Pod create by the ReplicaSet controller with `spec` (containers default to one nginx). */
export function podCreate(spec: Record<string, unknown>, overrides: Record<string, unknown> = {}): AuditEvent {
  const namespace = (overrides['namespace'] as string | undefined) ?? 'default';
  const rest = { ...overrides };
  delete rest['namespace'];
  return auditEvent({
    verb: 'create',
    requestURI: `/api/v1/namespaces/${namespace}/pods`,
    user: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:authenticated'] },
    objectRef: { resource: 'pods', namespace, apiVersion: 'v1' },
    requestObject: { kind: 'Pod', apiVersion: 'v1', metadata: { generateName: 'web-', namespace }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], ...spec } },
    responseObject: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web-abcde', namespace } },
    ...rest,
  });
}

/** The events of one upstream trace file (JSON lines), parsed as the reader would; malformed lines are skipped. */
export function traceEvents(file: string): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (const line of readFileSync(join(TRACES_DIR, file), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const parsed = AuditEventSchema.safeParse(JSON.parse(line));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/**
 * A create (or `verb`) of ClusterRole `name` (a Role when `namespace` is given) with `rules`, by alice; `body`
 * replaces the request body (a patch), `overrides` are laid over the event.
 */
export function roleWriteEvent(rules: unknown, options: { name: string; namespace?: string; verb?: string; body?: unknown; overrides?: Record<string, unknown> }): AuditEvent {
  const { name, namespace, verb = 'create' } = options;
  const resource = namespace === undefined ? 'clusterroles' : 'roles';
  return auditEvent({
    verb,
    requestURI: `/apis/rbac.authorization.k8s.io/v1/${namespace === undefined ? '' : `namespaces/${namespace}/`}${resource}`,
    objectRef: { resource, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1', name, ...(namespace === undefined ? {} : { namespace }) },
    requestObject: options.body ?? { kind: namespace === undefined ? 'ClusterRole' : 'Role', metadata: { name }, rules },
    ...options.overrides,
  });
}
