import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../src/config/load.js';
import { snapshotSource } from '../src/inventory/sources/snapshot/index.js';
import { demoSnapshotPath } from '../src/paths.js';
import { parsePolicyVersion } from '../src/policy/pss/version.js';
import { ScanReportJson } from '../src/report/json/schema.js';
import { scan } from '../src/scan/index.js';
import { DEMO_FEEDS } from '../src/cli/commands/scan.js';
import { packageRoot } from '../src/paths.js';
import { imageDirLocator } from '../src/scan/images/locate.js';
import type { RunningImagesSettings } from '../src/scan/index.js';
import { importAdvisories } from '../src/vulndb/import.js';
import { openVulnDb } from '../src/vulndb/store/index.js';
import { cli } from './cli.js';

const NOW = '2026-11-28T12:00:00Z';

/** What `scan --demo` sets up: the demo advisories in memory, demo/images and demo/sboms. */
async function demoImages(): Promise<RunningImagesSettings> {
  const db = openVulnDb(':memory:');
  for (const feed of DEMO_FEEDS) await importAdvisories(db, join(packageRoot(), 'demo', 'advisories', feed), { workers: 0 });
  return { db, sbomDir: join(packageRoot(), 'demo', 'sboms'), locators: [imageDirLocator(join(packageRoot(), 'demo', 'images'))] };
}

describe('bundled demo environment (npm start)', async () => {
  const run = await cli(['scan', '--demo', '--format', 'json', '--now', NOW]);
  const report = ScanReportJson.parse(JSON.parse(run.stdout));
  const active = report.findings.filter((f) => f.suppression === undefined);
  const of = (rule: string): typeof active => active.filter((f) => f.rule === rule);
  const names = (rule: string): string[] => [...new Set(of(rule).map((f) => `${f.subject.namespace}/${f.subject.workload?.name}`))].sort();

  it('exits 0 and validates against the JSON report schema', () => {
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(report.schemaVersion).toBe('1.0');
    expect(report.source).toEqual({ type: 'demo', location: 'demo/cluster' });
  });

  it('is a realistic cluster: ≥ 3 nodes, ≥ 25 pods, ≥ 6 namespaces, every workload kind', () => {
    expect(report.summary.nodes).toBe(3);
    expect(report.summary.pods).toBe(29);
    expect(report.summary.namespaces).toBe(8);
    // The bundled advisories are a slice (Alpine v3.11, PyPI, npm): the images' Debian 12 and Alpine v3.20
    // packages are said to be unchecked, once per release for all the images, not passed over as clean.
    expect(report.issues.map((i) => [i.code, i.location])).toEqual([
      ['vuln-no-advisories', 'Alpine:v3.20'],
      ['vuln-no-advisories', 'Debian:12'],
    ]);
    // the Alpine advisories it does hold are of another release, which the hint names (one of them could be this
    // release under another name)
    expect(report.issues[0]?.hint).toMatch(/^The database's Alpine advisories are for release v3\.11 only\. Import those of this release/);
    expect(report.issues[1]?.message).toMatch(/^The database holds no advisories for Debian 12: the Debian 12 packages of 10 images \(docker\.io\/library\/postgres@sha256:[0-9a-f]{12}…, .* and 7 more\) were not checked for vulnerabilities$/);
  });

  it('exercises stale-image on every node with the reclaimable total', () => {
    const stale = of('stale-image');
    expect(stale).toHaveLength(12);
    expect(new Set(stale.map((f) => f.subject.node)).size).toBe(3);
    expect(report.summary.nodeCaches.every((n) => n.staleImages > 0 && n.reclaimableBytes > 0)).toBe(true);
    expect(report.summary.reclaimableBytes).toBe(report.summary.nodeCaches.reduce((s, n) => s + n.reclaimableBytes, 0));
    // the old cart build, cached only by digest after its tag moved
    expect(stale.some((f) => f.subject.image?.startsWith('ghcr.io/acme/cart@sha256:'))).toBe(true);
    // the sandbox image is on every node and never stale
    expect(stale.some((f) => f.subject.image?.includes('pause'))).toBe(false);
  });

  it('exercises unpinned-image on pods, an init container and a CronJob template with no pods', () => {
    const unpinned = of('unpinned-image').map((f) => `${f.subject.namespace}/${f.subject.workload?.name}/${f.subject.container}`);
    expect(unpinned.sort()).toEqual(['batch/db-backup/backup', 'batch/nightly-report/wait-for-db', 'default/debug-shell/shell', 'monitoring/grafana/grafana', 'payments/fraud-scorer/scorer', 'storefront/cart/cart']);
  });

  it('catalogs every running image from demo/images once and reports real CVEs per workload container, with the layer that introduced the package', () => {
    const vulns = report.findings.filter((f) => f.kind === 'vulnerability');
    expect(vulns.map((f) => `${f.subject.namespace}/${f.subject.workload?.name}/${f.subject.container} ${String(f.evidence.vulnerability)} ${f.severity}`).sort()).toEqual([
      'batch/nightly-report/report CVE-2019-1551 unknown',
      'batch/nightly-report/report CVE-2019-1551 unknown',
      'batch/nightly-report/report CVE-2019-19242 unknown',
      'batch/nightly-report/report CVE-2019-20477 unknown',
      'batch/nightly-report/report CVE-2020-14343 unknown',
      'batch/nightly-report/report CVE-2020-1747 unknown',
      'batch/nightly-report/report CVE-2020-26137 unknown',
      'batch/nightly-report/report CVE-2020-28493 unknown',
      'batch/nightly-report/report CVE-2020-7212 unknown',
      'batch/nightly-report/report CVE-2021-33503 unknown',
      'batch/nightly-report/report CVE-2023-32681 unknown',
      'batch/nightly-report/report CVE-2023-43804 high',
      'batch/nightly-report/report CVE-2023-45803 medium',
      'payments/fraud-scorer/scorer CVE-2023-32681 unknown',
      'payments/payments-api/api CVE-2023-23934 unknown',
      'payments/payments-api/api CVE-2023-25577 unknown',
      'payments/payments-api/api CVE-2023-45803 medium',
      'payments/payments-api/api CVE-2023-46136 high',
      'storefront/cart/cart CVE-2021-23337 high',
      'storefront/cart/cart CVE-2022-25883 medium',
      'storefront/cart/cart CVE-2024-45296 high',
      'storefront/web/web CVE-2021-23337 high',
      'storefront/web/web CVE-2021-44906 critical',
      'storefront/web/web CVE-2022-25883 medium',
      'storefront/web/web CVE-2024-37890 high',
      'storefront/web/web CVE-2024-45296 high',
    ]);
    // lodash came with the app's `npm ci` layer, on top of the shared Debian base layer
    const lodash = vulns.find((f) => f.subject.workload?.name === 'web' && f.evidence.vulnerability === 'CVE-2021-23337');
    expect(lodash?.title).toBe('CVE-2021-23337: Command Injection in lodash (lodash 4.17.15)');
    expect(lodash?.location).toMatchObject({ file: '/app/node_modules/lodash/package.json', field: expect.stringMatching(/^layer 2\/2 sha256:[a-f0-9]{12}$/) });
    expect(lodash?.evidence.layer).toMatchObject({ index: 1, createdBy: 'RUN npm ci --omit=dev # buildkit' });
    expect(lodash?.evidence.packagesFrom).toMatch(/^image-dir oci:.*demo\/images:sha256:[a-f0-9]{64}$/);
    // the legacy Alpine 3.11 base brings OS CVEs from Alpine's secdb, credited to the base layer
    const openssl = vulns.filter((f) => f.evidence.vulnerability === 'CVE-2019-1551').map((f) => [(f.evidence.package as { name: string }).name, (f.evidence.layer as { index: number }).index]);
    expect(openssl).toEqual([['libcrypto1.1', 0], ['libssl1.1', 0]]);
    // only the cart replica still on last week's digest has lodash 4.17.20: the finding names that digest
    const cart = vulns.find((f) => f.subject.workload?.name === 'cart' && f.evidence.vulnerability === 'CVE-2021-23337');
    expect(cart?.title).toBe('CVE-2021-23337: Command Injection in lodash (lodash 4.17.20)');
    // fraud-scorer is matched from the SBOM its CI attached (demo/sboms), not twice
    const scorer = vulns.filter((f) => f.subject.workload?.name === 'fraud-scorer');
    expect(scorer.map((f) => String(f.evidence.packagesFrom).replace(/^.*demo\//, 'demo/'))).toEqual([expect.stringMatching(/^demo\/sboms\/sha256-[a-f0-9]{64}\.cdx\.json$/)]);
    expect(lodash?.rule).toBe('vulnerable-package');
  });

  it('resolves every running image: no image is left unscanned', async () => {
    const { images } = await scan({
      source: snapshotSource({ path: demoSnapshotPath(), type: 'demo', displayRoot: 'demo/cluster' }),
      now: new Date(NOW),
      images: await demoImages(),
    });
    expect(images.filter((i) => i.from === undefined)).toEqual([]);
    expect(images.map((i) => i.from).filter((f) => f === 'sbom')).toHaveLength(1);
    expect(images).toHaveLength(19);
    // Docker Hub images are multi-platform: the pods report the index digest, the node's platform picks amd64
    const redis = images.find((i) => i.want.repositories.includes('docker.io/library/redis'));
    expect(redis?.scan?.image?.platform).toBe('linux/amd64');
    expect(redis?.scan?.image?.digest).not.toBe(redis?.want.digest);
  });

  it('finds malware in the layers of running images: EICAR deleted by a later layer, a miner config by the bundled demo signature', () => {
    const malware = active.filter((f) => f.kind === 'malware');
    expect(malware.map((f) => `${f.subject.namespace}/${f.subject.workload?.name}/${f.subject.container} ${String(f.evidence.signature)} ${String(f.evidence.path)} present=${String(f.evidence.present)}`).sort()).toEqual([
      'batch/nightly-report/report Eicar-Test-Signature /tmp/vendor-sdk/install.com present=false',
      'default/debug-shell/shell Runwarden.Demo.Miner.StratumPool-1 /root/.config/xmrig/config.json present=true',
    ]);
    for (const f of malware) {
      expect(f.severity).toBe('critical');
      expect(String(f.evidence.layer)).toMatch(/^sha256:[a-f0-9]{64}$/);
    }
  });

  it('shows each lifecycle case offline: end of life inside images and on nodes, drift, a newer tag (outdated) and a vendor lifecycle referrer', () => {
    const lifecycle = report.lifecycle;
    expect(lifecycle?.registry).toBe('consulted');
    expect(lifecycle?.verdicts).toEqual({ 'end-of-life': 24, outdated: 1, unknown: 1, fresh: 4 });
    const verdict = (image: string): { verdict: string; reasons: string[]; fix?: string | undefined } | undefined => lifecycle?.containers.find((c) => c.image === image);
    // outdated: prometheus runs v2.54.1 while demo/images (standing in for quay.io) holds v2.55.1
    expect(verdict('quay.io/prometheus/prometheus:v2.54.1')).toMatchObject({ verdict: 'outdated', reasons: ['newer minor v2.55.1'], fix: 'v2.54.1 → v2.55.1' });
    // …and storefront-web 2.4.1 while it holds the patch release 2.4.3 (the one `runwarden fix --demo` proposes)
    expect(of('newer-tag').map((f) => [f.subject.workload?.name, f.evidence.current, f.evidence.newestPatch ?? f.evidence.newestMinor])).toEqual([['web', '2.4.1', '2.4.3'], ['prometheus', 'v2.54.1', 'v2.55.1']]);
    // end-of-life from the publisher: CBL-Mariner's lifecycle referrer, stored in the layout with the image as subject
    expect(verdict('mcr.microsoft.com/cbl-mariner/busybox:2.0')).toMatchObject({ verdict: 'end-of-life', reasons: ['the publisher declared end of life on 2025-07-31'] });
    const vendor = of('vendor-end-of-life');
    expect(vendor.map((f) => [f.subject.workload?.name, f.severity, f.evidence.annotation, f.evidence.lifecycleReferrers])).toEqual([['node-debugger-aks-apps-27182818-vmss000002-7xk2p', 'high', '2025-07-31', 1]]);
    expect(String(vendor[0]?.evidence.referrer)).toMatch(/^sha256:[a-f0-9]{64}$/);
    // end-of-life of the OS inside an image, with the smallest fix; drift on the cart replica still on last week's build
    expect(verdict('ghcr.io/acme/reports:1.2.0')).toMatchObject({ verdict: 'end-of-life', reasons: [expect.stringMatching(/^Alpine Linux 3\.11 reached end of life on 2021-11-01/)] });
    expect(of('digest-drift').map((f) => [f.subject.workload?.name, f.evidence.tag])).toEqual([['cart', 'latest']]);
    expect(lifecycle?.containers.filter((c) => c.verdict === 'fresh').map((c) => c.image).sort()).toEqual(['docker.io/library/busybox:latest', 'quay.io/prometheus/node-exporter:v1.8.2', 'quay.io/prometheus/node-exporter:v1.8.2', 'quay.io/prometheus/node-exporter:v1.8.2']);
    // node hygiene on every node; the control plane's release comes from the snapshot's version.json
    expect(new Set(of('node-kubelet-eol').map((f) => f.subject.node)).size).toBe(3);
    expect(lifecycle?.controlPlane?.verdict).toBe('end-of-life');
    expect(of('control-plane-eol').map((f) => [f.severity, f.title])).toEqual([['high', expect.stringMatching(/^Control plane v1\.30\.6: Kubernetes 1\.30 reached end of life on /)]]);
  });

  it('exercises mixed-versions on the cart Deployment', () => {
    expect(of('mixed-versions').map((f) => f.subject.workload)).toEqual([{ kind: 'Deployment', name: 'cart' }]);
  });

  it('exercises pod-security: enforced restricted (cart), enforced baseline (fraud-scorer), unlabelled namespaces at baseline; not the privileged kube-system', () => {
    const pss = of('pod-security').map((f) => `${f.subject.workload?.name}:${String(f.evidence.control)}:${f.severity}`);
    expect(pss.sort()).toEqual([
      'cart:allowPrivilegeEscalation:high',
      'cart:capabilities_restricted:high',
      'cart:runAsNonRoot:high',
      'cart:seccompProfile_restricted:high',
      'debug-shell:hostNamespaces:medium',
      'fraud-scorer:capabilities_baseline:high',
      'image-builder:hostPathVolumes:medium',
      'node-debugger-aks-apps-27182818-vmss000002-7xk2p:hostNamespaces:medium',
      'node-debugger-aks-apps-27182818-vmss000002-7xk2p:hostPathVolumes:medium',
    ]);
    expect(of('pod-security').find((f) => f.subject.workload?.name === 'cart')?.evidence.standards).toEqual(['restricted:v1.30']);
  });

  it('exercises the hardening checks on realistic workloads', () => {
    expect(names('privileged-container')).toEqual(['kube-system/kube-proxy']);
    expect(of('host-path').map((f) => `${f.subject.workload?.name}:${String(f.evidence.path)}:${f.severity}`).sort()).toEqual([
      'image-builder:/run/containerd/containerd.sock:critical',
      'kube-proxy:/lib/modules:medium',
      'kube-proxy:/run/xtables.lock:medium',
      'node-debugger-aks-apps-27182818-vmss000002-7xk2p:/:critical',
      'node-exporter:/:high',
    ]);
    expect(names('host-namespaces')).toEqual(['default/debug-shell', 'default/node-debugger-aks-apps-27182818-vmss000002-7xk2p', 'kube-system/kube-proxy']);
    expect(names('host-ports')).toEqual(['monitoring/node-exporter']);
    expect(of('added-capabilities').map((f) => [f.subject.workload?.name, f.evidence.capabilities, f.severity])).toEqual([['fraud-scorer', ['SYS_PTRACE'], 'high']]);
    expect(of('privilege-escalation').find((f) => f.subject.workload?.name === 'ingress-nginx-controller')?.severity).toBe('high');
    expect(names('run-as-root')).toContain('storefront/cart');
    expect(names('run-as-root')).not.toContain('storefront/web');
    expect(names('writable-root-filesystem')).toContain('ingress-nginx/ingress-nginx-controller');
    expect(names('missing-resources')).toContain('payments/redis');
    expect(names('service-account-token')).toEqual(['batch/db-backup', 'batch/image-builder', 'batch/nightly-report', 'data/postgres', 'default/debug-shell', 'default/node-debugger-aks-apps-27182818-vmss000002-7xk2p', 'monitoring/grafana', 'payments/fraud-scorer', 'payments/redis', 'storefront/cart']);
    expect(of('exposed-service').map((f) => [f.subject.workload?.name, f.severity])).toEqual([['ingress-nginx-controller', 'high'], ['grafana', 'medium']]);
    expect(of('registry-allow-list').map((f) => [f.subject.workload?.name, f.evidence.allowListFrom])).toEqual([['redis', 'namespace annotation runwarden.io/allowed-registries']]);
    expect(of('image-pull-policy').length).toBeGreaterThan(5);
  });

  it('shows annotation exemptions: node-exporter\'s host namespaces stay in JSON with the reason, out of the counts', () => {
    const suppressed = report.findings.filter((f) => f.suppression !== undefined);
    expect(suppressed.map((f) => `${f.rule}:${f.subject.workload?.name}`).sort()).toEqual([
      'host-namespaces:node-exporter',
      'host-namespaces:node-exporter',
      'pod-security:node-exporter',
      'pod-security:node-exporter',
      'pod-security:node-exporter',
    ]);
    expect(suppressed[0]?.suppression).toMatchObject({ kind: 'annotation', reason: 'node-exporter reads the node network stack and process table by design; reviewed in SEC-142' });
    expect(report.summary.findings).toBe(report.findings.length - 5);
  });

  it('maps every hardening finding to CIS / NSA-CISA / PSS in its evidence', () => {
    const hardening = active.filter((f) => !['vulnerability', 'malware', 'end-of-life', 'outdated', 'node'].includes(f.kind) && !/^(network|mtls|rbac)-/.test(f.rule) && !['stale-image', 'mixed-versions', 'unpinned-image', 'image-pull-policy', 'missing-resources', 'exposed-service', 'writable-root-filesystem', 'registry-allow-list', 'service-account-token'].includes(f.rule));
    expect(hardening.length).toBeGreaterThan(20);
    expect(hardening.every((f) => (f.evidence.mappings as { pss: string[] }).pss.length > 0)).toBe(true);
  });
});

describe('demo settings file (demo/cluster/.runwarden.yaml)', async () => {
  const settings = await readConfigFile(join(demoSnapshotPath(), '.runwarden.yaml'));
  const { report } = await scan({
    source: snapshotSource({ path: demoSnapshotPath(), type: 'demo', displayRoot: 'demo/cluster' }),
    now: new Date(NOW),
    policy: { allowedRegistries: settings.allowedRegistries, pssVersion: settings.pssVersion === undefined ? undefined : parsePolicyVersion(settings.pssVersion), pssLevel: settings.pssLevel },
    exceptions: settings.exceptions,
  });

  it('adds the cluster-wide registry allow-list: Docker Hub images outside docker.io/library and grafana', () => {
    const registry = report.findings.filter((f) => f.rule === 'registry-allow-list').map((f) => `${f.subject.workload?.name}:${String(f.evidence.repository)}`);
    expect(registry.sort()).toEqual(['debug-shell:docker.io/nicolaka/netshoot', 'image-builder:docker.io/moby/buildkit', 'redis:docker.io/library/redis']);
  });

  it('accepts kube-proxy\'s privileged container by config exception until it expires', () => {
    const kubeProxy = report.findings.find((f) => f.rule === 'privileged-container');
    expect(kubeProxy?.suppression).toEqual({ kind: 'config', reason: 'AKS-managed component: the platform ships it privileged; tracked with the vendor in OPS-311', source: 'config exceptions[0]', expires: '2027-06-30' });
    expect(report.summary.bySeverity.critical).toBe(5);
  });
});
