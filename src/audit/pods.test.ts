import { describe, expect, it } from 'vitest';
import { auditEvent, podCreate } from '../../test/audit.js';
import { imageTrusted, requestedPods } from './pods.js';

describe('imageTrusted', () => {
  it.each([
    ['nginx:1.27', 'nginx', true],
    ['docker.io/library/nginx@sha256:' + 'a'.repeat(64), 'nginx', true],
    ['nginx', 'docker.io/library/*', true],
    ['calico/node:v3.28', 'calico/*', true],
    ['docker.io/calico/node:v3.28', 'calico/*', true],
    ['docker.io/calico/node:v3.28', 'docker.io/calico/*', true],
    ['registry.k8s.io/kube-proxy:v1.30.4', 'registry.k8s.io/*', true],
    ['registry.k8s.io.evil.example/kube-proxy', 'registry.k8s.io/*', false],
    ['nginx-unprivileged:1', 'nginx', false],
    ['ghcr.io/acme/web:2', 'ghcr.io/acme/*', true],
    ['ghcr.io/acme-evil/web:2', 'ghcr.io/acme/*', false],
    ['localhost:5000/tools/x', 'localhost:5000/*', true],
  ])('%s against %s: %s', (image, pattern, trusted) => {
    expect(imageTrusted(image, [pattern])).toBe(trusted);
  });

  it('trusts nothing with no patterns', () => {
    expect(imageTrusted('nginx', [])).toBe(false);
  });
});

describe('requestedPods', () => {
  const privileged = { containers: [{ name: 'tuner', image: 'alpine:3.20', securityContext: { privileged: true } }] };
  const workload = (resource: string, verb: string, body: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    auditEvent({ verb, objectRef: { resource, namespace: 'kube-system', name: 'node-tuner', apiGroup: resource === 'cronjobs' || resource === 'jobs' ? 'batch' : 'apps', apiVersion: 'v1' }, requestObject: body, ...extra });

  it('reads a Pod create, and the pod template of a workload\'s create, update or patch', () => {
    expect(requestedPods(podCreate(privileged))).toMatchObject({ kind: 'pod', noun: 'pod', place: ' in default', done: 'created' });
    const ds = requestedPods(workload('daemonsets', 'create', { kind: 'DaemonSet', spec: { template: { spec: privileged } } }));
    expect(ds).toMatchObject({ kind: 'DaemonSet', noun: 'DaemonSet kube-system/node-tuner', place: '', done: 'created' });
    expect(ds?.spec.containers.map((c) => c.privileged)).toEqual([true]);
    const cron = requestedPods(workload('cronjobs', 'update', { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: privileged } } } } }));
    expect(cron).toMatchObject({ kind: 'CronJob', done: 'updated' });
    expect(cron?.spec.containers).toHaveLength(1);
  });

  it('judges a patch on the stored object when the event has it, else on the patch body', () => {
    const patch = [{ op: 'replace', path: '/spec/template/spec/containers/0/securityContext/privileged', value: true }];
    const stored = { kind: 'Deployment', spec: { template: { spec: privileged } } };
    expect(requestedPods(workload('deployments', 'patch', patch as unknown as Record<string, unknown>, { responseObject: stored }))?.spec.containers[0]?.privileged).toBe(true);
    const merge = { spec: { template: { spec: { containers: [{ name: 'tuner', securityContext: { privileged: true } }] } } } };
    expect(requestedPods(workload('deployments', 'patch', merge))?.spec.containers[0]?.privileged).toBe(true);
    // a JSON patch without the stored object says nothing about the template
    expect(requestedPods(workload('deployments', 'patch', patch as unknown as Record<string, unknown>))).toBeUndefined();
  });

  it('leaves out what creates no pods: a pod\'s update, subresources, deletes, other kinds', () => {
    expect(requestedPods(auditEvent({ verb: 'update', requestObject: { kind: 'Pod', spec: privileged } }))).toBeUndefined();
    expect(requestedPods(workload('deployments', 'delete', {}))).toBeUndefined();
    expect(requestedPods(auditEvent({ verb: 'update', objectRef: { resource: 'deployments', subresource: 'scale', namespace: 'shop', name: 'web' }, requestObject: { spec: { replicas: 3 } } }))).toBeUndefined();
    expect(requestedPods(auditEvent({ verb: 'create', objectRef: { resource: 'configmaps', namespace: 'shop', name: 'x' }, requestObject: { data: {} } }))).toBeUndefined();
  });
});
