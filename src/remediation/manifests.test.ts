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
});
