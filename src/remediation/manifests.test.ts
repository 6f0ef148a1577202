import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifests } from '../manifests/index.js';
import type { ContainerRemediation, RemediationPlan, WorkloadRemediation } from './index.js';
import { manifestEdits, renderManifestDiff } from './manifests.js';

const D = `sha256:${'b'.repeat(64)}`;

function change(container: string, from: string, to: string): ContainerRemediation {
  return { container, image: from, from, to, outcome: 'fixed', scanned: true, fixes: [], remaining: [], introduced: [], considered: [] };
}

function plan(workloads: Array<Pick<WorkloadRemediation, 'workload' | 'containers'>>): RemediationPlan {
  return { schemaVersion: 1, generatedAt: '2026-11-30T12:00:00Z', source: { type: 'snapshot', location: 'test' }, severity: 'high', summary: { workloads: 0, containers: 0, fixed: 0, partial: 0, unresolved: 0, patches: 0, candidatesScanned: 0 }, workloads, issues: [] };
}

const WEB = `# the shop's web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: "ghcr.io/acme/web:2.4.1"   # same image, quoted
      containers:
        - name: web
          image: ghcr.io/acme/web:2.4.1
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              image: 'ghcr.io/acme/report:1.0'
`;

describe('manifestEdits', () => {
  it('changes exactly the image values, quotes and comments kept, and the diff applies with git apply', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-fix-manifests-'));
    mkdirSync(join(dir, 'k8s'));
    writeFileSync(join(dir, 'k8s', 'web.yaml'), WEB);
    const json = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'shop' }, spec: { template: { spec: { containers: [{ name: 'db', image: 'postgres:16.4' }] } } } };
    writeFileSync(join(dir, 'k8s', 'db.json'), `${JSON.stringify(json, null, 2)}\n`);
    execFileSync('git', ['init', '-q', dir]);
    return readManifests([join(dir, 'k8s')]).then((manifests) => {
      const edits = manifestEdits(
        plan([
          { workload: { kind: 'Deployment', namespace: 'shop', name: 'web' }, containers: [change('web', 'ghcr.io/acme/web:2.4.1', 'ghcr.io/acme/web:2.4.3'), change('migrate', 'ghcr.io/acme/web:2.4.1', 'ghcr.io/acme/web:2.4.3')] },
          // set no namespace in its file: it is the one applied to "batch"
          { workload: { kind: 'CronJob', namespace: 'batch', name: 'report' }, containers: [change('report', 'ghcr.io/acme/report:1.0', `ghcr.io/acme/report:1.0@${D}`)] },
          { workload: { kind: 'StatefulSet', namespace: 'shop', name: 'db' }, containers: [change('db', 'docker.io/library/postgres:16.4', 'postgres:16.6')] },
          { workload: { kind: 'Deployment', namespace: 'shop', name: 'cart' }, containers: [change('cart', 'cart:1', 'cart:2')] },
          { workload: { kind: 'Deployment', namespace: 'shop', name: 'web' }, containers: [change('istio-proxy', 'istio/proxyv2:1.22.0', 'istio/proxyv2:1.22.3')] },
        ]),
        manifests,
      );
      expect(edits.changes.map((c) => [c.file.slice(dir.length + 1), c.line, c.container, c.from, c.to])).toEqual([
        ['k8s/web.yaml', 15, 'web', 'ghcr.io/acme/web:2.4.1', 'ghcr.io/acme/web:2.4.3'],
        ['k8s/web.yaml', 12, 'migrate', 'ghcr.io/acme/web:2.4.1', 'ghcr.io/acme/web:2.4.3'],
        ['k8s/web.yaml', 28, 'report', 'ghcr.io/acme/report:1.0', `ghcr.io/acme/report:1.0@${D}`],
        ['k8s/db.json', 14, 'db', 'postgres:16.4', 'postgres:16.6'],
      ]);
      expect(edits.notChanged.map((n) => [n.container, n.reason])).toEqual([
        ['cart', 'no Deployment shop/cart in the manifests'],
        ['istio-proxy', `container "istio-proxy" is not in ${join(dir, 'k8s', 'web.yaml')}`],
      ]);
      const web = edits.files.find((f) => f.file.endsWith('web.yaml'))?.after;
      expect(web).toBe(WEB.replace('image: "ghcr.io/acme/web:2.4.1"', 'image: "ghcr.io/acme/web:2.4.3"').replace('image: ghcr.io/acme/web:2.4.1', 'image: ghcr.io/acme/web:2.4.3').replace("image: 'ghcr.io/acme/report:1.0'", `image: 'ghcr.io/acme/report:1.0@${D}'`));
      // the patch, with paths relative to the repository, as git apply reads it
      const diff = renderManifestDiff({ ...edits, files: edits.files.map((f) => ({ ...f, file: f.file.slice(dir.length + 1) })) });
      writeFileSync(join(dir, 'fix.diff'), diff);
      execFileSync('git', ['apply', 'fix.diff'], { cwd: dir });
      expect(readFileSync(join(dir, 'k8s', 'web.yaml'), 'utf8')).toBe(web);
      expect(JSON.parse(readFileSync(join(dir, 'k8s', 'db.json'), 'utf8'))).toEqual({ ...json, spec: { template: { spec: { containers: [{ name: 'db', image: 'postgres:16.6' }] } } } });
    });
  });

  it('leaves a value that is not the image the cluster runs, or not a string, and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-fix-manifests-'));
    const file = join(dir, 'web.yaml');
    writeFileSync(file, WEB.replace('image: ghcr.io/acme/web:2.4.1', 'image: ghcr.io/acme/web:2.4.2').replace('image: "ghcr.io/acme/web:2.4.1"   # same image, quoted', 'image: 12'));
    const edits = manifestEdits(plan([{ workload: { kind: 'Deployment', namespace: 'shop', name: 'web' }, containers: [change('web', 'ghcr.io/acme/web:2.4.1', 'ghcr.io/acme/web:2.4.3'), change('migrate', 'ghcr.io/acme/web:2.4.1', 'ghcr.io/acme/web:2.4.3')] }]), await readManifests([file]));
    expect(edits.files).toEqual([]);
    expect(edits.notChanged.map((n) => n.reason)).toEqual([`${file}:15 names ghcr.io/acme/web:2.4.2, not ghcr.io/acme/web:2.4.1 (changed already?)`, `the image of container "migrate" in ${file} is not a plain string (a template?)`]);
  });

  it('edits the kustomize images entry that sets the running image, not the base value it replaces; says what to add where it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-fix-kustomize-'));
    mkdirSync(join(dir, 'base'));
    mkdirSync(join(dir, 'prod'));
    const deployment = (name: string, image: string): string => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${name}\n          image: ${image}\n`;
    writeFileSync(join(dir, 'base', 'apps.yaml'), [deployment('web', 'ghcr.io/acme/web'), deployment('cart', 'ghcr.io/acme/cart:dev'), deployment('api', 'ghcr.io/acme/api:dev'), deployment('auth', 'ghcr.io/acme/auth:dev')].join('---\n'));
    writeFileSync(join(dir, 'base', 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [apps.yaml]\n');
    const PROD = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources: [../base]',
      'images:',
      '  - name: ghcr.io/acme/web   # the storefront',
      '    newTag: "2.4.1"',
      '  - name: ghcr.io/acme/cart',
      `    newTag: latest`,
      `    digest: sha256:${'a'.repeat(64)}`,
      '  - name: ghcr.io/acme/api',
      '    newTag: 1.0',
      '  - name: ghcr.io/acme/auth',
      '    newName: registry.internal/acme/auth',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'prod', 'kustomization.yaml'), PROD);
    execFileSync('git', ['init', '-q', dir]);
    const manifests = await readManifests([dir]);
    expect(manifests.kustomizations.map((k) => k.file.slice(dir.length + 1))).toEqual(['base/kustomization.yaml', 'prod/kustomization.yaml']);
    const edits = manifestEdits(
      plan([
        { workload: { kind: 'Deployment', namespace: 'shop', name: 'web' }, containers: [change('web', 'ghcr.io/acme/web:2.4.1', 'ghcr.io/acme/web:2.4.3')] },
        { workload: { kind: 'Deployment', namespace: 'shop', name: 'cart' }, containers: [change('cart', `ghcr.io/acme/cart@sha256:${'a'.repeat(64)}`, `ghcr.io/acme/cart:latest@${D}`)] },
        // pinning by digest needs a digest field the entry does not have
        { workload: { kind: 'Deployment', namespace: 'shop', name: 'api' }, containers: [change('api', 'ghcr.io/acme/api:1.0', `ghcr.io/acme/api:1.0@${D}`)] },
        // the cluster runs another image than the entry gives
        { workload: { kind: 'Deployment', namespace: 'shop', name: 'auth' }, containers: [change('auth', 'ghcr.io/acme/auth:dev', 'ghcr.io/acme/auth:2.0')] },
      ]),
      manifests,
    );
    const prod = join(dir, 'prod', 'kustomization.yaml');
    expect(edits.changes.map((c) => [c.file.slice(dir.length + 1), c.line, c.container, c.from, c.to])).toEqual([
      ['prod/kustomization.yaml', 6, 'web', '2.4.1', '2.4.3'],
      ['prod/kustomization.yaml', 9, 'cart', `sha256:${'a'.repeat(64)}`, D],
    ]);
    expect(edits.notChanged.map((n) => [n.container, n.reason])).toEqual([
      ['api', `${prod}:10 sets ghcr.io/acme/api by newTag: add "digest: ${D}" there`],
      ['auth', `kustomize sets the image at ${prod}:12, not to ghcr.io/acme/auth:dev (changed already?)`],
    ]);
    // only the overlay changes, quotes and comments kept; the base's values are left to kustomize
    expect(edits.files.map((f) => f.file)).toEqual([prod]);
    const after = PROD.replace('newTag: "2.4.1"', 'newTag: "2.4.3"').replace(`digest: sha256:${'a'.repeat(64)}`, `digest: ${D}`);
    expect(edits.files[0]?.after).toBe(after);
    const diff = renderManifestDiff({ ...edits, files: edits.files.map((f) => ({ ...f, file: f.file.slice(dir.length + 1) })) });
    writeFileSync(join(dir, 'fix.diff'), diff);
    execFileSync('git', ['apply', 'fix.diff'], { cwd: dir });
    expect(readFileSync(prod, 'utf8')).toBe(after);
  });

  it('reports an image that several overlays set to the running image, instead of choosing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-fix-kustomize-'));
    writeFileSync(join(dir, 'app.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {template: {spec: {containers: [{name: web, image: ghcr.io/acme/web}]}}}\n');
    const overlay = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: ghcr.io/acme/web\n    newTag: "2.4.1"\n';
    for (const env of ['staging', 'prod']) {
      mkdirSync(join(dir, env));
      writeFileSync(join(dir, env, 'kustomization.yaml'), overlay);
    }
    const edits = manifestEdits(plan([{ workload: { kind: 'Deployment', namespace: 'shop', name: 'web' }, containers: [change('web', 'ghcr.io/acme/web:2.4.1', 'ghcr.io/acme/web:2.4.3')] }]), await readManifests([dir]));
    expect(edits.files).toEqual([]);
    expect(edits.notChanged.map((n) => n.reason)).toEqual([`2 Kustomizations set the image (${join(dir, 'prod', 'kustomization.yaml')}:4, ${join(dir, 'staging', 'kustomization.yaml')}:4): change the one that is deployed to ghcr.io/acme/web:2.4.3`]);
  });

  it("edits the Helm values that give a chart's running images (values files, a Flux HelmRelease, an Argo CD Application); says what to add or choose where it cannot", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-fix-helm-'));
    const VALUES = [
      '# storefront chart, production',
      'replicaCount: 3',
      'image:',
      '  registry: ghcr.io',
      '  repository: acme/web   # the storefront',
      '  tag: "2.4.1"',
      'cart:',
      '  image: ghcr.io/acme/cart:latest',
      'api:',
      '  image:',
      '    repository: ghcr.io/acme/api',
      '    tag: 1.0',
      'auth:',
      '  image:',
      '    repository: ghcr.io/acme/auth',
      '    tag: ""',
      'jobs:',
      '  - name: report',
      '    image: {repository: ghcr.io/acme/report, tag: "1.0", digest: "sha256:' + 'c'.repeat(64) + '"}',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'values-prod.yaml'), VALUES);
    const RELEASE = 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: prometheus, namespace: monitoring}\nspec:\n  chart: {spec: {chart: prometheus}}\n  values:\n    server:\n      image:\n        repository: quay.io/prometheus/prometheus\n        tag: v2.54.1\n';
    writeFileSync(join(dir, 'release.yaml'), RELEASE);
    // two environments setting the same image: ambiguous
    writeFileSync(join(dir, 'values-a.yaml'), 'metrics:\n  image: docker.io/bitnami/redis-exporter:1.62.0\n');
    writeFileSync(join(dir, 'values-b.yaml'), 'metrics:\n  image: bitnami/redis-exporter:1.62.0\n');
    // an Argo CD Application with its values inline (its second source)
    const APP = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: search, namespace: argocd}\nspec:\n  sources:\n    - repoURL: https://git.example/values\n    - chart: search\n      helm:\n        valuesObject:\n          image: {repository: ghcr.io/acme/search, tag: "3.0"}\n';
    writeFileSync(join(dir, 'app.yaml'), APP);
    execFileSync('git', ['init', '-q', dir]);
    const manifests = await readManifests([dir]);
    expect(manifests.helmValues.map((v) => v.file.slice(dir.length + 1))).toEqual(['app.yaml', 'release.yaml', 'values-a.yaml', 'values-b.yaml', 'values-prod.yaml']);
    const workload = (name: string, namespace = 'shop') => ({ kind: 'Deployment', namespace, name });
    const edits = manifestEdits(
      plan([
        { workload: workload('web'), containers: [change('web', 'ghcr.io/acme/web:2.4.1', 'ghcr.io/acme/web:2.4.3')] },
        { workload: workload('cart'), containers: [change('cart', 'ghcr.io/acme/cart:latest', `ghcr.io/acme/cart:latest@${D}`)] },
        { workload: workload('prometheus', 'monitoring'), containers: [change('prometheus', 'quay.io/prometheus/prometheus:v2.54.1', 'quay.io/prometheus/prometheus:v2.55.1')] },
        { workload: workload('report'), containers: [change('report', `ghcr.io/acme/report:1.0@sha256:${'c'.repeat(64)}`, `ghcr.io/acme/report:1.1@${D}`)] },
        { workload: workload('search'), containers: [change('search', 'ghcr.io/acme/search:3.0', 'ghcr.io/acme/search:3.1')] },
        // pinning needs a digest field; a tag left to the chart; two files; no values for it at all
        { workload: workload('api'), containers: [change('api', 'ghcr.io/acme/api:1.0', `ghcr.io/acme/api:1.0@${D}`)] },
        { workload: workload('auth'), containers: [change('auth', 'ghcr.io/acme/auth:1.4.0', 'ghcr.io/acme/auth:1.4.2')] },
        { workload: workload('exporter'), containers: [change('exporter', 'bitnami/redis-exporter:1.62.0', 'bitnami/redis-exporter:1.62.1')] },
        { workload: workload('catalog'), containers: [change('catalog', 'ghcr.io/acme/catalog:3.0', 'ghcr.io/acme/catalog:3.1')] },
      ]),
      manifests,
    );
    const rel = (file: string): string => file.slice(dir.length + 1);
    expect(edits.changes.map((c) => [rel(c.file), c.line, c.container, c.from, c.to])).toEqual([
      ['values-prod.yaml', 6, 'web', '2.4.1', '2.4.3'],
      ['values-prod.yaml', 8, 'cart', 'ghcr.io/acme/cart:latest', `ghcr.io/acme/cart:latest@${D}`],
      ['release.yaml', 10, 'prometheus', 'v2.54.1', 'v2.55.1'],
      ['values-prod.yaml', 19, 'report', `sha256:${'c'.repeat(64)}`, D],
      ['values-prod.yaml', 19, 'report', '1.0', '1.1'],
      ['app.yaml', 10, 'search', '3.0', '3.1'],
    ]);
    const prod = join(dir, 'values-prod.yaml');
    expect(edits.notChanged.map((n) => [n.container, n.reason])).toEqual([
      ['api', `the Helm values at ${prod}:11 set ghcr.io/acme/api by tag: the change pins ghcr.io/acme/api:1.0@${D}; add "digest: ${D}" there, if the chart reads it`],
      ['auth', `the Helm values at ${prod}:15 set the repository without a tag (the chart's appVersion decides it): add "tag: 1.4.2" there, if the chart reads them`],
      ['exporter', `2 Helm values set the image (${join(dir, 'values-a.yaml')}:2, ${join(dir, 'values-b.yaml')}:2): change the one that is deployed to bitnami/redis-exporter:1.62.1`],
      ['catalog', 'no Deployment shop/catalog in the manifests, and no Helm values among them set its image'],
    ]);
    // quotes and comments kept; the diff applies
    const after = VALUES.replace('tag: "2.4.1"', 'tag: "2.4.3"').replace('image: ghcr.io/acme/cart:latest', `image: ghcr.io/acme/cart:latest@${D}`).replace(`tag: "1.0", digest: "sha256:${'c'.repeat(64)}"`, `tag: "1.1", digest: "${D}"`);
    expect(edits.files.find((f) => f.file === prod)?.after).toBe(after);
    const diff = renderManifestDiff({ ...edits, files: edits.files.map((f) => ({ ...f, file: rel(f.file) })) });
    writeFileSync(join(dir, 'fix.diff'), diff);
    execFileSync('git', ['apply', 'fix.diff'], { cwd: dir });
    expect(readFileSync(prod, 'utf8')).toBe(after);
    expect(readFileSync(join(dir, 'release.yaml'), 'utf8')).toBe(RELEASE.replace('tag: v2.54.1', 'tag: v2.55.1'));
    expect(readFileSync(join(dir, 'app.yaml'), 'utf8')).toBe(APP.replace('tag: "3.0"', 'tag: "3.1"'));
  });
});
