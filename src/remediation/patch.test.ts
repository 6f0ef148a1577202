import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { workloadKey, type Inventory, type WorkloadRef } from '../core/inventory.js';
import { packageRoot } from '../paths.js';
import { apiResourceOf, rbacName } from '../inventory/sources/kubernetes/resources.js';
import { changedImage, containerPlace, isPinned, jsonPatch, kubectlPatch, PATCHABLE, rawObjects, shellQuote, workloadObject } from './patch.js';

/** The workload object as planRemediation finds it: by workloadKey among the inventory's objects. */
const objectIn = (inv: Inventory, ref: WorkloadRef) => workloadObject(ref, rawObjects(inv).get(workloadKey(ref)));

const podSpec = { initContainers: [{ name: 'migrate', image: 'ghcr.io/acme/web:2.4.1' }], containers: [{ name: 'proxy', image: 'envoyproxy/envoy:v1.31.0' }, { name: 'web', image: 'ghcr.io/acme/web:2.4.1' }] };

function inventory(): Inventory {
  const workload = (kind: string, name: string, raw: unknown) => ({ kind, name, namespace: 'shop', uid: undefined, labels: {}, pods: [], template: undefined, origin: undefined, raw });
  return {
    workloads: [
      workload('Deployment', 'web', { kind: 'Deployment', spec: { template: { spec: podSpec } } }),
      workload('CronJob', 'report', { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: podSpec } } } } }),
      workload('Job', 'once', { kind: 'Job', spec: { template: { spec: podSpec } } }),
    ],
    pods: [{ name: 'debug', namespace: 'shop', raw: { kind: 'Pod', spec: podSpec } }],
  } as unknown as Inventory;
}

describe('workloadObject and containerPlace', () => {
  it('finds the image of a container, init containers too, for each patchable kind', () => {
    const inv = inventory();
    const deployment = objectIn(inv, { kind: 'Deployment', namespace: 'shop', name: 'web' });
    expect(deployment.apiPath).toBe('/apis/apps/v1/namespaces/shop/deployments/web');
    expect(containerPlace(deployment, 'web')).toEqual({ ok: true, path: '/spec/template/spec/containers/1/image', image: 'ghcr.io/acme/web:2.4.1', type: 'regular' });
    expect(containerPlace(deployment, 'migrate')).toEqual({ ok: true, path: '/spec/template/spec/initContainers/0/image', image: 'ghcr.io/acme/web:2.4.1', type: 'init' });
    const cron = objectIn(inv, { kind: 'CronJob', namespace: 'shop', name: 'report' });
    expect(cron.apiPath).toBe('/apis/batch/v1/namespaces/shop/cronjobs/report');
    expect(containerPlace(cron, 'web')).toMatchObject({ ok: true, path: '/spec/jobTemplate/spec/template/spec/containers/1/image' });
    const pod = objectIn(inv, { kind: 'Pod', namespace: 'shop', name: 'debug' });
    expect(pod.apiPath).toBe('/api/v1/namespaces/shop/pods/debug');
    expect(containerPlace(pod, 'web')).toMatchObject({ ok: true, path: '/spec/containers/1/image' });
  });

  it('says why a workload or container cannot be patched', () => {
    const inv = inventory();
    expect(containerPlace(objectIn(inv, { kind: 'Job', namespace: 'shop', name: 'once' }), 'web')).toEqual({ ok: false, reason: expect.stringContaining("a Job's pod template cannot be changed") as string });
    expect(containerPlace(objectIn(inv, { kind: 'StatefulSet', namespace: 'shop', name: 'db' }), 'db')).toEqual({ ok: false, reason: 'the StatefulSet object was not read (only its pods were)' });
    expect(containerPlace(objectIn(inv, { kind: 'ReplicationController', namespace: 'shop', name: 'old' }), 'x')).toEqual({ ok: false, reason: 'runwarden does not patch ReplicationController objects' });
    expect(containerPlace(objectIn(inv, { kind: 'Deployment', namespace: 'shop', name: 'web' }), 'istio-proxy')).toEqual({ ok: false, reason: expect.stringContaining('not in the Deployment') as string });
  });
});

describe('rollout', () => {
  it('says how the new image reaches the pods when it is not a rolling update that starts at once', () => {
    const workload = (kind: string, name: string, raw: unknown) => ({ kind, name, namespace: 'shop', uid: undefined, labels: {}, pods: [], template: undefined, origin: undefined, raw });
    const inv = {
      workloads: [
        workload('Deployment', 'paused', { spec: { paused: true, template: { spec: podSpec } } }),
        workload('Deployment', 'rolling', { spec: { template: { spec: podSpec } } }),
        workload('DaemonSet', 'ondelete', { spec: { updateStrategy: { type: 'OnDelete' }, template: { spec: podSpec } } }),
        workload('StatefulSet', 'rolling', { spec: { updateStrategy: { type: 'RollingUpdate' }, template: { spec: podSpec } } }),
      ],
      pods: [],
    } as unknown as Inventory;
    const rollout = (kind: string, name: string) => objectIn(inv, { kind, namespace: 'shop', name }).rollout;
    expect(rollout('Deployment', 'paused')).toBe('the Deployment is paused: the new image rolls out when it is resumed (kubectl rollout resume)');
    expect(rollout('Deployment', 'rolling')).toBeUndefined();
    expect(rollout('DaemonSet', 'ondelete')).toBe("the DaemonSet's updateStrategy is OnDelete: each pod keeps the old image until it is deleted");
    expect(rollout('StatefulSet', 'rolling')).toBeUndefined();
    expect(objectIn(inventory(), { kind: 'CronJob', namespace: 'shop', name: 'report' }).rollout).toBe('the next Job runs the new image; Jobs already created keep theirs');
    expect(objectIn(inventory(), { kind: 'Pod', namespace: 'shop', name: 'debug' }).rollout).toBe('the kubelet restarts the container with the new image (a bare pod: no rollout)');
  });
});

describe('changedImage', () => {
  it('keeps the image as written, moves the tag, and pins when a digest is given', () => {
    const d = `sha256:${'b'.repeat(64)}`;
    expect(changedImage('ghcr.io/acme/web:2.4.1', '2.4.3', undefined)).toBe('ghcr.io/acme/web:2.4.3');
    expect(changedImage('nginx', 'latest', d)).toBe(`nginx:latest@${d}`);
    expect(changedImage(`registry:5000/team/app:1.0@sha256:${'a'.repeat(64)}`, '1.1', d)).toBe(`registry:5000/team/app:1.1@${d}`);
    expect(changedImage('registry:5000/app', '2', undefined)).toBe('registry:5000/app:2');
    expect(isPinned(`app@sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isPinned('registry:5000/app:1')).toBe(false);
  });
});

describe('jsonPatch and kubectlPatch', () => {
  it('tests each image before replacing it', () => {
    expect(jsonPatch([{ path: '/spec/containers/0/image', from: 'a:1', to: 'a:2' }])).toEqual([
      { op: 'test', path: '/spec/containers/0/image', value: 'a:1' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'a:2' },
    ]);
  });

  it('quotes every word so a shell passes the patch to kubectl byte for byte (a quote in a name too)', () => {
    const ops = jsonPatch([{ path: '/spec/template/spec/containers/0/image', from: "odd'name:1", to: 'odd:2 $(touch /tmp/x)' }]);
    const line = kubectlPatch({ ref: { kind: 'Deployment', namespace: 'shop', name: 'web' }, resource: 'deployment' }, ops);
    expect(line.startsWith('kubectl -n shop patch deployment/web --type=json -p ')).toBe(true);
    // a real shell splits the words: the last one is the patch, unchanged
    const words = execFileSync('sh', ['-c', `printf '%s\\n' ${line.slice('kubectl '.length)}`], { encoding: 'utf8' }).trimEnd().split('\n');
    expect(JSON.parse(words[words.length - 1] ?? '')).toEqual(ops);
    expect(shellQuote('plain-word')).toBe('plain-word');
  });
});

describe('deploy/remediation/clusterrole.yaml', () => {
  it('grants patch on exactly the kinds fix --apply patches, and no other verb', () => {
    const role = parse(readFileSync(join(packageRoot(), 'deploy', 'remediation', 'clusterrole.yaml'), 'utf8')) as { kind: string; rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    expect(role.kind).toBe('ClusterRole');
    // RBAC spelling: `pods` for the core group, `deployments.apps`
    const granted = role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => (g === '' ? res : `${res}.${g}`)))).sort();
    const patched = Object.keys(PATCHABLE).map((kind) => {
      const api = apiResourceOf(kind);
      expect(api?.namespaced, `${kind} is a namespaced resource the inventory reads`).toBe(true);
      return api === undefined ? kind : rbacName(api);
    });
    expect(granted).toEqual(patched.sort());
    expect(new Set(role.rules.flatMap((r) => r.verbs))).toEqual(new Set(['patch']));
  });
});
