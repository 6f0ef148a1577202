/**
 * `runwarden fix`: the demo (its OCI layout and advisories, offline), a real registry (Debian's docker-registry)
 * holding the running image and its newer tags, and `--apply` against a replayed Kubernetes API (no API server
 * runs here: test/k8s-watch.ts serves the lists and plays the API server's JSON Patch semantics).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/cli.js';
import { requireComponent } from '../../../test/components.js';
import { layerOf } from '../../../test/images.js';
import { node, object, pod } from '../../../test/k8s.js';
import { replaySkipReason, startReplayApi, statusObject, type ReplayApi } from '../../../test/k8s-watch.js';
import { startRegistry, type Registry } from '../../../test/registry.js';
import { packageRoot } from '../../paths.js';
import { RegistryClient } from '../../registry/client.js';
import { MEDIA } from '../../registry/media-types.js';
import { RemediationPlanJson } from '../../remediation/schema.js';

const NOW = '2026-11-30T12:00:00Z';
const run = (args: string[]) => cli(args, { env: {} });

describe('runwarden fix --demo', () => {
  it('finds the patch release that fixes storefront-web and the current build of cart, scanned, as JSON Patches', async () => {
    const r = await run(['fix', '--demo', '--now', NOW, '-f', 'json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const plan = RemediationPlanJson.parse(JSON.parse(r.stdout));
    expect(plan.summary).toEqual({ workloads: 10, containers: 10, fixed: 3, partial: 0, unresolved: 7, patches: 3, candidatesScanned: 3 });
    const web = plan.workloads.find((w) => w.workload.name === 'web');
    expect(web?.containers[0]).toMatchObject({ container: 'web', outcome: 'fixed', from: 'ghcr.io/acme/storefront-web:2.4.1', to: 'ghcr.io/acme/storefront-web:2.4.3', change: 'patch', scanned: true, remaining: [], introduced: [] });
    expect(web?.containers[0]?.fixes.map((f) => f.what)).toEqual([
      'CVE-2021-44906 (minimist 1.2.5 → 1.2.6)',
      'CVE-2021-23337 (lodash 4.17.15 → 4.17.21)',
      'CVE-2024-45296 (path-to-regexp 0.1.7 → 0.1.10)',
      'CVE-2024-37890 (ws 8.17.0 → 8.17.1)',
      'newer tag 2.4.3 than 2.4.1',
    ]);
    expect(web?.patch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/acme/storefront-web:2.4.1' },
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/acme/storefront-web:2.4.3' },
    ]);
    // the tag moved on: the re-pull is pinned to the build that fixes it
    const cart = plan.workloads.find((w) => w.workload.name === 'cart')?.containers[0];
    expect(cart).toMatchObject({ outcome: 'fixed', change: 'digest', to: 'ghcr.io/acme/cart:latest@sha256:79b09a47fbfa49e58436fdb9f64569233682894e5c0ad862c478f1f3e938ac7b', scanned: true });
    // an image with no newer build or tag says what it needs
    const api = plan.workloads.find((w) => w.workload.name === 'payments-api')?.containers[0];
    expect(api).toMatchObject({ outcome: 'unresolved', note: 'no newer build or tag of registry.acme.io/payments/api:1.8.0 was found: the fix needs the image rebuilt with the fixed package versions' });
    expect(api?.remaining.map((t) => t.what)).toEqual(['CVE-2023-46136 (werkzeug 2.2.2 → 2.3.8)']);
    // who puts the patched image back: prometheus is a Helm release's, the storefront an Argo CD application's
    expect(plan.workloads.filter((w) => w.managedBy !== undefined).map((w) => [w.workload.name, w.managedBy?.tool, w.managedBy?.owner])).toEqual([
      ['prometheus', 'helm', 'Helm release monitoring/prometheus (chart prometheus-25.27.0)'],
      ['cart', 'argo-cd', 'Argo CD application storefront'],
      ['web', 'argo-cd', 'Argo CD application storefront'],
    ]);
  });

  it('prints a table, and a shell script of the patches that sh accepts', async () => {
    const table = await run(['fix', '--demo', '--now', NOW, '--no-color']);
    expect(table.stdout).toContain('10 container(s) of 10 workload(s) to fix (vulnerabilities ≥ high, end of life, outdated images): 3 fixed, 0 partly, 7 without a change; 3 patch(es); 3 candidate image(s) scanned\n');
    expect(table.stdout).toContain('Deployment storefront/web\n  web: ghcr.io/acme/storefront-web:2.4.1 → ghcr.io/acme/storefront-web:2.4.3 [patch, scanned]\n');
    expect(table.stdout).toContain("  patch: kubectl -n storefront patch deployment/web --type=json -p '[{\"op\":\"test\"");
    expect(table.stdout).toContain("\"}]'\n  managed by Helm release monitoring/prometheus (chart prometheus-25.27.0): the next helm upgrade puts the chart's image back; set the new image in the release's values (helm get values prometheus -n monitoring) for the fix to stay (fix --manifests edits a values file)\n");
    const file = join(mkdtempSync(join(tmpdir(), 'rw-fix-')), 'fix.sh');
    const script = await run(['fix', '--demo', '--now', NOW, '-f', 'kubectl', '-o', file]);
    expect([script.code, script.stderr]).toEqual([0, `runwarden: wrote kubectl report to ${file} (3 patches)\n`]);
    const text = readFileSync(file, 'utf8');
    execFileSync('sh', ['-n', file]);
    expect(text.split('\n').filter((l) => l.startsWith('kubectl ')).map((l) => l.split(' ').slice(0, 5).join(' '))).toEqual([
      'kubectl -n monitoring patch statefulset/prometheus',
      'kubectl -n storefront patch deployment/cart',
      'kubectl -n storefront patch deployment/web',
    ]);
    expect(text).toContain('#   web: ghcr.io/acme/storefront-web:2.4.1 → ghcr.io/acme/storefront-web:2.4.3 (fixed; fixes CVE-2021-44906');
    expect(text).toContain("#   managed by Argo CD application storefront: a sync (at once with automated self-heal) puts back the image its source gives; change the image in the application's source for the fix to stay (fix --manifests edits a checkout of it)\nkubectl -n storefront patch deployment/web ");
  });

  it('--manifests: the same changes as a unified diff of the files the workloads are deployed from, which git apply takes', async () => {
    const r = await run(['fix', '--demo', '--now', NOW, '--manifests', 'demo/cluster', '-f', 'diff']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([
      '-          image: quay.io/prometheus/prometheus:v2.54.1',
      '+          image: quay.io/prometheus/prometheus:v2.55.1',
      '-          image: ghcr.io/acme/storefront-web:2.4.1',
      '+          image: ghcr.io/acme/storefront-web:2.4.3',
      '-          image: ghcr.io/acme/cart:latest',
      '+          image: ghcr.io/acme/cart:latest@sha256:79b09a47fbfa49e58436fdb9f64569233682894e5c0ad862c478f1f3e938ac7b',
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'rw-fix-')), 'fix.diff');
    writeFileSync(file, r.stdout);
    // the paths are the ones given, relative to the checkout: git checks the patch against demo/cluster as it is
    execFileSync('git', ['apply', '--check', file], { cwd: packageRoot() });
    const json = RemediationPlanJson.parse(JSON.parse((await run(['fix', '--demo', '--now', NOW, '--manifests', 'demo/cluster', '-f', 'json'])).stdout));
    expect(json.manifests).toMatchObject({ files: ['demo/cluster/monitoring.yaml', 'demo/cluster/storefront.yaml'], notChanged: [] });
    expect(json.manifests?.changes.map((c) => [c.workload.name, c.line])).toEqual([['prometheus', 312], ['cart', 382], ['web', 30]]);
    const table = await run(['fix', '--demo', '--now', NOW, '--manifests', 'demo/cluster', '--no-color']);
    expect(table.stdout).toContain('Manifests: 3 image value(s) changed in 2 file(s) (-f diff for the patch)\n  demo/cluster/monitoring.yaml:312 StatefulSet monitoring/prometheus prometheus: quay.io/prometheus/prometheus:v2.54.1 → quay.io/prometheus/prometheus:v2.55.1\n');
  });

  it('--manifests with Helm values: the chart\'s tag changed where the values set it (a values file, a Flux HelmRelease)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-fix-helm-'));
    writeFileSync(join(dir, 'values.yaml'), 'image:\n  repository: ghcr.io/acme/storefront-web\n  tag: 2.4.1\n');
    writeFileSync(join(dir, 'prometheus.yaml'), 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: prometheus, namespace: monitoring}\nspec:\n  values:\n    server:\n      image: {repository: quay.io/prometheus/prometheus, tag: v2.54.1}\n');
    const r = await run(['fix', '--demo', '--now', NOW, '--manifests', dir, '-f', 'diff']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([
      '-      image: {repository: quay.io/prometheus/prometheus, tag: v2.54.1}',
      '+      image: {repository: quay.io/prometheus/prometheus, tag: v2.55.1}',
      '-  tag: 2.4.1',
      '+  tag: 2.4.3',
    ]);
    // cart's values are not among them: said on stderr with -f diff
    expect(r.stderr).toBe(`runwarden: not in the diff: Deployment storefront/cart cart: no Deployment storefront/cart in the manifests, and no Helm values among them set its image\n`);
  });

  it('--severity critical leaves high vulnerabilities and ends of life alone', async () => {
    const plan = RemediationPlanJson.parse(JSON.parse((await run(['fix', '--demo', '--now', NOW, '-f', 'json', '--severity', 'critical'])).stdout));
    const web = plan.workloads.find((w) => w.workload.name === 'web')?.containers[0];
    expect(web?.fixes.map((f) => f.what)).toEqual(['CVE-2021-44906 (minimist 1.2.5 → 1.2.6)', 'newer tag 2.4.3 than 2.4.1']);
    expect(plan.workloads.some((w) => w.workload.name === 'grafana')).toBe(false);
  });

  it('rejects bad flags with one actionable line, and --apply on files', async () => {
    const cases: Array<[string[], string]> = [
      [['--severity', 'urgent'], 'runwarden: error: Unknown --severity "urgent": expected one of critical, high, medium, low, info.\n'],
      [['--max-candidates', '0'], 'runwarden: error: Invalid --max-candidates "0": expected a whole number from 1 to 20, e.g. 3.\n'],
      [['-f', 'yaml'], 'runwarden: error: Unknown --format "yaml": expected one of table, json, kubectl, diff.\n'],
      [['--server-dry-run'], 'runwarden: error: --server-dry-run checks the patches of --apply: add --apply (nothing is changed with --server-dry-run).\n'],
      [['--apply'], 'runwarden: error: --apply patches the live cluster; --demo reads files. Print the patches with --format kubectl instead, or drop --demo.\n'],
      [['-f', 'diff'], 'runwarden: error: -f diff is a patch of the manifests: add --manifests DIR (the files the workloads are deployed from), or use -f kubectl for the live objects.\n'],
      [['--no-lifecycle'], 'runwarden: error: --no-lifecycle turns off what fix finds newer builds and tags with (digest drift, newer tags, the next supported cycle): drop it.\n'],
      [['--manifests', '-'], 'runwarden: error: --manifests reads files to change them: give files or folders, not "-" (stdin).\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await run(['fix', '--demo', ...args]);
      expect([r.code, r.stderr]).toEqual([2, stderr]);
    }
  });

  it('--manifests that cannot be read: one line naming the path and the flag, before any scan (no stdin offered)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'rw-fix-empty-'));
    const missing = join(empty, 'missing');
    const r = await run(['fix', '--demo', '--manifests', missing]);
    expect([r.code, r.stdout, r.stderr]).toEqual([3, '', `runwarden: error: Cannot read manifest path "${missing}": ENOENT: no such file or directory, stat '${missing}'. Hint: Give --manifests the manifest files or directories the workloads are deployed from.\n`]);
    const none = await run(['fix', '--demo', '--manifests', empty]);
    expect([none.code, none.stderr]).toEqual([3, `runwarden: error: No .yaml, .yml or .json files in directory "${empty}". Hint: Point --manifests at the directory that holds the manifests.\n`]);
  });
});

const skipRegistry = requireComponent('docker-registry', ['docker-registry']);
const replaySkip = replaySkipReason();

describe.skipIf(skipRegistry !== undefined || replaySkip !== undefined)('runwarden fix against a real registry (docker-registry) and --apply against a replayed API', () => {
  let registry: Registry;
  let dir: string;
  let db: string;
  const digests: Record<string, string> = {};
  const image = (tag: string): string => `${registry.host}/shop/web:${tag}`;

  /** The cluster the scan sees: a Deployment (a Helm release's) whose pod runs web:1.0.0. */
  const cluster = (): Array<Record<string, unknown>> => [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    { ...node('n1', []), status: { images: [], nodeInfo: { kubeletVersion: 'v1.31.2', osImage: 'Ubuntu 24.04.1 LTS', containerRuntimeVersion: 'containerd://1.7.22', architecture: 'amd64', operatingSystem: 'linux' } } },
    object('Deployment', 'web', 'shop', { metadata: { labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'web', 'meta.helm.sh/release-namespace': 'shop' } }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: image('1.0.0') }] } } } }),
    object('ReplicaSet', 'web-7c9d4', 'shop', { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }] }, spec: { selector: { matchLabels: { app: 'web' } } } }),
    pod('web-7c9d4-x2k8q', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'web-7c9d4'], containers: [{ name: 'web', image: image('1.0.0'), imageID: `${registry.host}/shop/web@${digests['1.0.0'] ?? ''}` }] }),
  ];

  beforeAll(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), 'rw-fix-e2e-'));
    const client = new RegistryClient({ hosts: { insecure: [registry.host] } });
    const repo = { registry: registry.host, repository: 'shop/web' };
    const npm = (modules: Array<[string, string]>) => modules.map(([name, version]) => ({ path: `app/node_modules/${name}/package.json`, content: JSON.stringify({ name, version, license: 'MIT' }) }));
    const push = async (tag: string, modules: Array<[string, string]>): Promise<void> => {
      const layer = await layerOf([{ path: 'app/' }, { path: 'app/node_modules/' }, ...modules.flatMap(([name]) => [{ path: `app/node_modules/${name}/` }]), ...npm(modules)].sort((a, b) => a.path.localeCompare(b.path)));
      const blob = await client.pushBlob(repo, layer.blob, MEDIA.ociLayerGzip);
      const config = await client.pushBlob(repo, Buffer.from(JSON.stringify({ created: '2026-11-01T00:00:00Z', architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layer.diffId] } })), MEDIA.ociConfig);
      digests[tag] = await client.putManifest(repo, tag, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [blob] })), MEDIA.ociManifest);
    };
    // running: lodash with a high advisory (and semver with a moderate one, below the threshold)
    await push('1.0.0', [['lodash', '4.17.15'], ['semver', '7.5.1']]);
    // the patch release fixes lodash but brings minimist with a critical advisory: not a fix
    await push('1.0.1', [['lodash', '4.17.21'], ['semver', '7.5.1'], ['minimist', '1.2.5']]);
    // the minor release fixes it and adds nothing
    await push('1.1.0', [['lodash', '4.17.21'], ['semver', '7.5.1']]);
    db = join(dir, 'rw.db');
    const imported = await run(['db', 'import', join(packageRoot(), 'demo', 'advisories', 'osv'), '--db', db]);
    expect(imported.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
  });

  it('skips the patch tag that adds a critical vulnerability and proposes the minor tag, both scanned from the registry', async () => {
    const snapshot = join(dir, 'cluster.json');
    writeFileSync(snapshot, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: cluster() }));
    const r = await run(['fix', '--snapshot', snapshot, '--pull-images', '--insecure-registry', registry.host, '--db', db, '--now', NOW, '-f', 'json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const plan = RemediationPlanJson.parse(JSON.parse(r.stdout));
    expect(plan.summary).toMatchObject({ containers: 1, fixed: 1, patches: 1, candidatesScanned: 2 });
    const c = plan.workloads[0]?.containers[0];
    expect(c).toMatchObject({ outcome: 'fixed', from: image('1.0.0'), to: image('1.1.0'), change: 'minor', digest: digests['1.1.0'], scanned: true, introduced: [] });
    expect(c?.fixes.map((f) => f.what)).toEqual(['CVE-2021-23337 (lodash 4.17.15 → 4.17.21)', 'newer tag 1.0.1 than 1.0.0']);
    expect(c?.considered).toEqual([
      { image: image('1.0.1'), change: 'patch', result: 'fixes all; adds CVE-2021-44906 minimist (critical)' },
      { image: image('1.1.0'), change: 'minor', result: 'fixes all' },
    ]);
  });

  describe('--apply', () => {
    let api: ReplayApi;
    let stored: Record<string, unknown>;
    let reply: { status: number; body: unknown } | undefined;

    const at = (obj: unknown, pointer: string): unknown => pointer.split('/').slice(1).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
    beforeAll(async () => {
      api = await startReplayApi();
      const objects = cluster();
      const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
      api.setList('/api/v1/namespaces', byKind('Namespace'), '10');
      api.setList('/api/v1/nodes', byKind('Node'), '10');
      api.setList('/api/v1/pods', byKind('Pod'), '10');
      api.setList('/apis/apps/v1/replicasets', byKind('ReplicaSet'), '10');
      api.setList('/apis/apps/v1/deployments', byKind('Deployment'), '10');
      // the API server's JSON Patch: every op or none; a failed test is a 422 with json-patch's error as the cause
      api.patch = ({ path, body }) => {
        if (reply !== undefined) return reply;
        if (path !== '/apis/apps/v1/namespaces/shop/deployments/web') return { status: 404, body: statusObject(404, 'NotFound', 'deployments.apps "x" not found') };
        const next = structuredClone(stored);
        for (const op of body as Array<{ op: string; path: string; value: string }>) {
          if (op.op === 'test' && at(next, op.path) !== op.value) {
            return { status: 422, body: { ...statusObject(422, 'Invalid', 'the server rejected our request due to an error in our request'), details: { causes: [{ reason: 'UnexpectedServerResponse', message: `testing value ${op.path} failed: test failed` }] } } };
          }
          if (op.op === 'replace') {
            const parts = op.path.split('/').slice(1);
            const parent = at(next, `/${parts.slice(0, -1).join('/')}`) as Record<string, unknown>;
            parent[parts[parts.length - 1] ?? ''] = op.value;
          }
        }
        stored = next;
        return { status: 200, body: stored };
      };
    });
    afterAll(async () => {
      await api?.close();
    });

    const fix = (...extra: string[]) => run(['fix', '--kubeconfig', api.kubeconfig, '--insecure-registry', registry.host, '--db', db, '--now', NOW, '-f', 'json', ...extra]);

    it('patches the Deployment with a JSON Patch that tests the running image first; the same patch again is refused as changed since the scan', async () => {
      stored = structuredClone(cluster().find((o) => o.kind === 'Deployment') as Record<string, unknown>);
      reply = undefined;
      api.writes.length = 0;
      const r = await fix('--apply');
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`runwarden: patched Deployment shop/web: web → ${image('1.1.0')}\nrunwarden: Deployment shop/web is managed by Helm release shop/web: the next helm upgrade puts the chart's image back; set the new image in the release's values (helm get values web -n shop) for the fix to stay (fix --manifests edits a values file)\n`);
      expect(r.stderr).toContain(`runwarden: 1 workload(s) patched (${api.url})\n`);
      const patches = api.writes.filter((w) => w.method === 'PATCH');
      expect(patches).toEqual([
        {
          method: 'PATCH',
          path: '/apis/apps/v1/namespaces/shop/deployments/web',
          contentType: 'application/json-patch+json',
          query: { fieldManager: 'runwarden' },
          body: [
            { op: 'test', path: '/spec/template/spec/containers/0/image', value: image('1.0.0') },
            { op: 'replace', path: '/spec/template/spec/containers/0/image', value: image('1.1.0') },
          ],
        },
      ]);
      expect(at(stored, '/spec/template/spec/containers/0/image')).toBe(image('1.1.0'));
      // the lists still show 1.0.0 (the scan's view), the object says 1.1.0: the test op fails, nothing is overwritten
      const again = await fix('--apply');
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('runwarden: not patched Deployment shop/web: changed since the scan, not patched (the server rejected our request due to an error in our request: testing value /spec/template/spec/containers/0/image failed: test failed)\n');
      expect(again.stderr).toContain(`runwarden: 0 workload(s) patched, 1 not (${api.url})\n`);
    });

    it('--server-dry-run asks the API server to check the patch and changes nothing; 403 names the permission to grant', async () => {
      stored = structuredClone(cluster().find((o) => o.kind === 'Deployment') as Record<string, unknown>);
      api.writes.length = 0;
      reply = { status: 200, body: {} };
      const dry = await fix('--apply', '--server-dry-run');
      expect(dry.code).toBe(0);
      expect(api.writes.filter((w) => w.method === 'PATCH').map((w) => w.query)).toEqual([{ fieldManager: 'runwarden', dryRun: 'All' }]);
      expect(dry.stderr).toContain(`runwarden: would patch (server dry run) Deployment shop/web: web → ${image('1.1.0')}\n`);
      expect(dry.stderr).toContain('runwarden: 1 workload(s) checked by the API server, nothing changed');
      reply = { status: 403, body: statusObject(403, 'Forbidden', 'deployments.apps "web" is forbidden: User "dev" cannot patch resource "deployments" in API group "apps" in the namespace "shop"') };
      const denied = await fix('--apply');
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain(`runwarden: not patched Deployment shop/web: ${api.url}/apis/apps/v1/namespaces/shop/deployments/web: the API server answered 403 Forbidden: deployments.apps "web" is forbidden: User "dev" cannot patch resource "deployments" in API group "apps" in the namespace "shop" (Grant patch on deployments.apps in "shop" to the identity that runs fix --apply; check with "kubectl auth can-i patch deployments.apps -n shop". The scanner's own ClusterRole is read-only on purpose.)\n`);
    });
  });
});
