import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.js';
import { fieldSegments, readManifests } from './index.js';

const TESTDATA = join(import.meta.dirname, 'testdata');

describe('reading manifests', () => {
  it('reads a directory of multi-document YAML and JSON Lists, skipping unknown kinds with a note', async () => {
    const m = await readManifests([join(TESTDATA, 'app')]);
    expect([m.files, m.objects, m.failures]).toEqual([3, 5, 0]);
    expect(m.result.objects.Deployment.map((d) => d.metadata.name)).toEqual(['web']);
    expect(m.result.objects.DaemonSet.map((d) => d.metadata.namespace)).toEqual(['shop']);
    expect(m.result.objects.CronJob.map((d) => d.metadata.name)).toEqual(['backup']);
    expect(m.result.issues.map((i) => i.message)).toEqual([`Skipped 1 object(s) of kind Ingress (first at ${join(TESTDATA, 'app', 'list.json')}:17): runwarden does not check this kind`]);
  });

  it('resolves a field path to the line of the deepest node that exists', async () => {
    const m = await readManifests([join(TESTDATA, 'app')]);
    const file = join(TESTDATA, 'app', 'agent.yaml');
    expect(m.locate('DaemonSet', 'shop', 'log-agent', 'spec.template.spec.containers[0].securityContext.privileged')).toEqual({ file, line: 20, column: 13, field: 'spec.template.spec.containers[0].securityContext.privileged' });
    // absent field: the nearest parent that exists
    expect(m.locate('DaemonSet', 'shop', 'log-agent', 'spec.template.spec.containers[0].securityContext.runAsNonRoot')?.line).toBe(19);
    expect(m.locate('CronJob', 'ops', 'backup', 'spec.jobTemplate.spec.template.spec.containers[0].image')).toMatchObject({ file: join(TESTDATA, 'app', 'list.json'), line: 13 });
    expect(m.locate('Deployment', 'nowhere', 'x', undefined)).toBeUndefined();
  });

  it('reads stdin, defaulting the namespace like kubectl apply -n', async () => {
    const m = await readManifests(['-'], { stdin: Readable.from(['# Source: chart/templates/pod.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: a, image: x}]\n']), namespace: 'team-a' });
    expect(m.result.objects.Pod.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['team-a/p']);
    expect(m.locate('Pod', 'team-a', 'p', 'spec.containers[0].image')).toEqual({ file: '<stdin>', line: 7, column: 26, field: 'spec.containers[0].image' });
  });

  it('reports invalid YAML with file, line and column, and invalid objects, without losing the valid ones (corrupt input)', async () => {
    const file = join(TESTDATA, 'broken', 'bad.yaml');
    const m = await readManifests([file]);
    expect(m.result.objects.Pod.map((p) => p.metadata.name)).toEqual(['ok-pod']);
    expect(m.failures).toBe(2);
    expect(m.result.issues.map((i) => i.message)).toEqual([
      `${file}:21:1: invalid YAML (document 2): Flow sequence in block collection must be sufficiently indented and end with a ]; the document was not checked`,
      `${file}:22: invalid Deployment: metadata: expected object, received undefined; the object was not checked`,
    ]);
  });

  it('skips documents that are not Kubernetes objects (Helm values) with one note and keeps them as Helm values; an object without a kind is still invalid (and no values)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-manifests-'));
    writeFileSync(join(dir, 'values.yaml'), 'replicaCount: 2\nimage:\n  repository: ghcr.io/acme/web\n  tag: 2.4.1\n---\nresources: {}\n');
    writeFileSync(join(dir, 'pod.yaml'), 'apiVersion: v1\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x}]}\n');
    const m = await readManifests([dir]);
    expect(m.result.issues.map((i) => [i.code, i.message])).toEqual([
      ['manifest-invalid', `${join(dir, 'pod.yaml')}:1: object has no "kind"`],
      ['manifest-not-object', `Skipped 2 document(s) without apiVersion, kind or metadata (first at ${join(dir, 'values.yaml')}:1): not Kubernetes objects (Helm values or other configuration?), so not checked`],
    ]);
    expect(m.helmValues.map((v) => [v.file, v.scalar(['image', 'tag'])?.value])).toEqual([
      [join(dir, 'values.yaml'), '2.4.1'],
      [join(dir, 'values.yaml'), undefined],
    ]);
  });

  it('notes an empty file and throws for a path that does not exist (empty input)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-manifests-'));
    writeFileSync(join(dir, 'empty.yaml'), '');
    const m = await readManifests([dir]);
    expect([m.objects, m.result.issues.map((i) => i.message)]).toEqual([0, [`${join(dir, 'empty.yaml')} is empty`]]);
    await expect(readManifests([join(dir, 'missing.yaml')])).rejects.toThrow(InputError);
    await expect(readManifests([join(dir, 'missing.yaml')])).rejects.toThrow(`Cannot read manifest path "${join(dir, 'missing.yaml')}": ENOENT`);
  });

  it('splits field paths, with bracketed map keys', () => {
    expect(fieldSegments('spec.template.spec.containers[0].ports[2].hostPort')).toEqual(['spec', 'template', 'spec', 'containers', 0, 'ports', 2, 'hostPort']);
    expect(fieldSegments('metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]')).toEqual(['metadata', 'annotations', 'container.apparmor.security.beta.kubernetes.io/app']);
  });
});
