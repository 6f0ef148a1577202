import { beforeAll, describe, expect, it } from 'vitest';
import type { ResourceKind } from '../core/inventory.js';
import { subjectPath, type Finding } from '../core/finding.js';
import type { ScanReport } from '../core/report.js';
import { compareSeverity } from '../core/severity.js';
import type { ClusterObjects } from '../inventory/schema.js';
import type { InventorySource, SourceResult } from '../inventory/source.js';
import { loadSnapshot } from '../inventory/sources/snapshot/index.js';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_FEEDS } from '../cli/commands/scan-setup.js';
import { demoSnapshotPath, packageRoot } from '../paths.js';
import { importAdvisories } from '../vulndb/import.js';
import { VULNERABILITY_RULE } from '../vulndb/match/index.js';
import { openVulnDb, type Db } from '../vulndb/store/index.js';
import { parseVex } from '../vulndb/vex/index.js';
import { imageDirLocator } from './images/locate.js';
import { IncrementalScanner, CHECK_SCOPES } from './incremental.js';
import { scan, type RunningImagesSettings } from './index.js';
import type { ImageLocator } from './images/locate.js';
import { CHECKS } from '../policy/registry.js';

type Obj = Record<string, unknown> & { metadata: { name: string; namespace?: string } };

/** An informer-like source: unchanged objects keep their identity between loads. */
class MutableSource implements InventorySource {
  readonly id = 'kubernetes';
  objects: ClusterObjects;
  constructor(private readonly base: SourceResult) {
    this.objects = Object.fromEntries(Object.entries(base.objects).map(([k, v]) => [k, [...(v as object[])]])) as unknown as ClusterObjects;
  }
  load(): Promise<SourceResult> {
    const objects = Object.fromEntries(Object.entries(this.objects).map(([k, v]) => [k, [...(v as object[])]])) as unknown as ClusterObjects;
    return Promise.resolve({ ...this.base, objects, issues: [...this.base.issues] });
  }
  list(kind: ResourceKind): Obj[] {
    return this.objects[kind] as unknown as Obj[];
  }
  /** Replace an object by a modified deep copy (as a watch MODIFIED event does). */
  modify(kind: ResourceKind, name: string, edit: (o: Obj) => void): void {
    const list = this.list(kind);
    const at = list.findIndex((o) => o.metadata.name === name);
    if (at === -1) throw new Error(`no ${kind} ${name}`);
    const copy = structuredClone(list[at]) as Obj;
    edit(copy);
    list[at] = copy;
  }
}

/** The report with order-free lists: findings by id, issues by text. */
function normal(report: ScanReport): unknown {
  return {
    summary: { ...report.summary, nodeCaches: [...report.summary.nodeCaches].sort((a, b) => a.name.localeCompare(b.name)) },
    findings: [...report.findings].map((f) => JSON.stringify(f)).sort(),
    issues: report.issues.map((i) => JSON.stringify(i)).sort(),
    nodeAgents: report.nodeAgents,
    images: report.images,
  };
}

const NOW = new Date('2026-12-01T00:00:00Z');
let base: SourceResult;

beforeAll(async () => {
  base = await loadSnapshot({ path: demoSnapshotPath() });
});

/** What the scans compare with: lifecycle on or off, the running images read or not. */
interface Settings {
  lifecycle?: boolean | undefined;
  images?: RunningImagesSettings | undefined;
}

async function setup(options: Settings = {}): Promise<{ source: MutableSource; scanner: IncrementalScanner; first: ScanReport }> {
  const source = new MutableSource(base);
  const scanner = new IncrementalScanner({ source, lifecycle: options.lifecycle === true ? {} : undefined, images: options.images });
  scanner.maxShare = 0.5;
  const first = await scanner.scan({ now: NOW });
  expect(first.plan.mode).toBe('full');
  // The scanner's own full scan (checks one at a time, lifecycle per namespace) is scan()'s report.
  const reference = await scan({ source, now: NOW, lifecycle: options.lifecycle === true ? {} : undefined, images: fresh(options.images) });
  expect(normal(first.report)).toEqual(normal(reference.report));
  expect(first.report.lifecycle).toEqual(reference.report.lifecycle);
  return { source, scanner, first: first.report };
}

/** Rescan incrementally and compare with a full scan of the same objects. */
async function equivalent(source: MutableSource, scanner: IncrementalScanner, expectMode: 'incremental' | 'full', settings: boolean | Settings = false, later = new Date(NOW.getTime() + 60_000)): Promise<{ report: ScanReport; namespaces: string[]; why: string | undefined; retried: number | undefined }> {
  const { lifecycle, images } = typeof settings === 'boolean' ? { lifecycle: settings, images: undefined } : settings;
  const inc = await scanner.scan({ now: later });
  expect(inc.plan.mode).toBe(expectMode);
  const full = await scan({ source, now: later, lifecycle: lifecycle === true ? {} : undefined, images: fresh(images) });
  expect(normal(inc.report)).toEqual(normal(full.report));
  // Worst first, then by rule and subject, as scan() orders them (its sort reuses the previous order).
  const order = (a: Finding, b: Finding): number => compareSeverity(a.severity, b.severity) || a.rule.localeCompare(b.rule) || subjectPath(a.subject).localeCompare(subjectPath(b.subject));
  const unsorted = inc.report.findings.findIndex((f, i) => i > 0 && order(inc.report.findings[i - 1] as Finding, f) > 0);
  expect(unsorted, `finding ${unsorted} out of order`).toBe(-1);
  expect(inc.report.lifecycle).toEqual(full.report.lifecycle);
  expect(inc.inventory.pods.map((p) => `${p.namespace}/${p.name}`).sort()).toEqual(full.inventory.pods.map((p) => `${p.namespace}/${p.name}`).sort());
  expect(inc.inventory.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}:${w.pods.join(',')}`).sort()).toEqual(full.inventory.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}:${w.pods.join(',')}`).sort());
  return { report: inc.report, namespaces: inc.plan.mode === 'incremental' ? inc.plan.namespaces : [], why: inc.plan.mode === 'full' ? inc.plan.why : undefined, retried: inc.plan.mode === 'incremental' ? inc.plan.retried : undefined };
}

/** The same image settings for the reference scan, its reads not counted (`counted`). */
function fresh(images: RunningImagesSettings | undefined): RunningImagesSettings | undefined {
  return images === undefined ? undefined : { ...images, locators: images.locators?.map((l) => uncounted.get(l) ?? l) };
}

const uncounted = new WeakMap<ImageLocator, ImageLocator>();

/** A locator that notes the digests it opens (the images a scan reads). */
function counted(locator: ImageLocator, opened: string[]): ImageLocator {
  const out: ImageLocator = { ...locator, open: (want, signal) => (opened.push(want.digest), locator.open(want, signal)) };
  uncounted.set(out, locator);
  return out;
}

const ids = (r: ScanReport): string[] => r.findings.map((f) => f.id).sort();

describe('IncrementalScanner: an incremental rescan equals a full scan', () => {
  it('with no change: nothing recomputed, the same report', async () => {
    const { source, scanner, first } = await setup();
    const { report, namespaces } = await equivalent(source, scanner, 'incremental');
    expect(namespaces).toEqual([]);
    expect(ids(report)).toEqual(ids(first));
  });

  it('pod added: a privileged bare pod on another node', async () => {
    const { source, scanner, first } = await setup();
    const pod = structuredClone(source.list('Pod').find((p) => p.metadata.namespace === 'storefront')) as Obj & { spec: { nodeName: string; containers: Array<Record<string, unknown>> } };
    pod.metadata = { name: 'debug-shell', namespace: 'storefront' };
    pod.spec.containers = [{ name: 'sh', image: 'busybox:latest', securityContext: { privileged: true } }];
    pod.spec.nodeName = (source.list('Node')[2] ?? source.list('Node')[0])?.metadata.name ?? '';
    delete (pod as Record<string, unknown>).status;
    source.list('Pod').push(pod);
    const { report, namespaces } = await equivalent(source, scanner, 'incremental');
    expect(namespaces).toEqual(['storefront']);
    expect(report.findings.some((f) => f.rule === 'privileged-container' && f.subject.workload?.name === 'debug-shell')).toBe(true);
    expect(ids(report)).not.toEqual(ids(first));
  });

  it('image changed: a pod runs another digest (mixed versions, stale images on its node)', async () => {
    const { source, scanner, first } = await setup();
    const pods = source.list('Pod') as Array<Obj & { status?: { containerStatuses?: Array<{ imageID?: string }> }; spec: { nodeName?: string } }>;
    const target = pods.find((p) => p.metadata.namespace === 'storefront' && (p.metadata as { ownerReferences?: unknown[] }).ownerReferences !== undefined && (p.status?.containerStatuses?.length ?? 0) > 0);
    expect(target).toBeDefined();
    source.modify('Pod', target?.metadata.name ?? '', (p) => {
      const status = p.status as { containerStatuses: Array<{ imageID: string }> };
      const first0 = status.containerStatuses[0];
      if (first0 !== undefined) first0.imageID = `${first0.imageID.slice(0, first0.imageID.lastIndexOf('sha256:'))}sha256:${'e'.repeat(64)}`;
    });
    const { report, namespaces } = await equivalent(source, scanner, 'incremental');
    expect(namespaces).toEqual(['storefront']);
    expect(ids(report)).not.toEqual(ids(first));
  });

  it('pod moved to another node: the stale images of both nodes are recomputed', async () => {
    const { source, scanner } = await setup();
    const nodes = source.list('Node').map((n) => n.metadata.name);
    const pod = source.list('Pod').find((p) => p.metadata.namespace === 'payments') as Obj & { spec: { nodeName: string } };
    const other = nodes.find((n) => n !== pod.spec.nodeName) ?? '';
    source.modify('Pod', pod.metadata.name, (p) => {
      (p.spec as { nodeName: string }).nodeName = other;
    });
    const { namespaces } = await equivalent(source, scanner, 'incremental');
    expect(namespaces).toEqual(['payments']);
  });

  it('pod deleted, then a Deployment template made privileged, then a Service added', async () => {
    const { source, scanner, first } = await setup();
    const pods = source.list('Pod');
    const victim = pods.findIndex((p) => p.metadata.namespace === 'monitoring');
    pods.splice(victim, 1);
    const deleted = await equivalent(source, scanner, 'incremental');
    expect(deleted.namespaces).toEqual(['monitoring']);
    expect(deleted.report.summary.pods).toBe(first.summary.pods - 1);

    const deployment = source.list('Deployment').find((d) => d.metadata.namespace === 'storefront') as Obj;
    source.modify('Deployment', deployment.metadata.name, (d) => {
      const containers = (d.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers;
      for (const c of containers) c.securityContext = { privileged: true };
    });
    const privileged = await equivalent(source, scanner, 'incremental');
    expect(privileged.report.findings.some((f) => f.rule === 'privileged-container' && f.subject.workload?.name === deployment.metadata.name)).toBe(true);

    const service = structuredClone(source.list('Service').find((s) => s.metadata.namespace === 'storefront')) as Obj & { spec: Record<string, unknown> };
    service.metadata = { name: 'public', namespace: 'storefront' };
    service.spec = { type: 'LoadBalancer', selector: (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, ports: [{ port: 80 }] };
    source.list('Service').push(service);
    await equivalent(source, scanner, 'incremental');
  });

  it('with lifecycle configured: a Deployment image changed, rescanned incrementally, lifecycle recomputed', async () => {
    const { source, scanner } = await setup({ lifecycle: true });
    const deployment = source.list('Deployment').find((d) => d.metadata.namespace === 'storefront') as Obj;
    source.modify('Deployment', deployment.metadata.name, (d) => {
      const containers = (d.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers;
      for (const c of containers) c.image = 'python:3.7-slim';
    });
    const { report } = await equivalent(source, scanner, 'incremental', true);
    expect(report.lifecycle).toBeDefined();
    // Node and control-plane lifecycle findings (time-dependent) come from the recomputed lifecycle scan.
    expect(report.findings.some((f) => f.rule === 'node-age' || f.rule === 'control-plane-eol')).toBe(true);
  });

  it('with lifecycle: successive rescans reuse node hygiene and per-image verdicts yet equal a full scan (new image, pod gone, days later)', async () => {
    const { source, scanner } = await setup({ lifecycle: true });
    const at = (minutes: number): Date => new Date(NOW.getTime() + minutes * 60_000);
    // 1. Nothing changed: the memos are filled.
    await equivalent(source, scanner, 'incremental', true, at(1));
    // 2. A pod now runs an old image (and another digest): evaluated anew, the other images come from the memo.
    const pods = source.list('Pod') as Array<Obj & { spec: { containers: Array<{ image?: string }> }; status?: { containerStatuses?: Array<{ image?: string; imageID?: string }> } }>;
    const target = pods.find((p) => p.metadata.namespace === 'storefront' && (p.status?.containerStatuses?.length ?? 0) > 0);
    expect(target).toBeDefined();
    source.modify('Pod', target?.metadata.name ?? '', (p) => {
      const pod = p as unknown as { spec: { containers: Array<{ image?: string }> }; status: { containerStatuses: Array<{ image?: string; imageID?: string }> } };
      const c0 = pod.spec.containers[0];
      if (c0 !== undefined) c0.image = 'python:3.7-slim';
      const s0 = pod.status.containerStatuses[0];
      if (s0 !== undefined) {
        s0.image = 'docker.io/library/python:3.7-slim';
        s0.imageID = `docker.io/library/python@sha256:${'7'.repeat(64)}`;
      }
    });
    const second = await equivalent(source, scanner, 'incremental', true, at(2));
    expect(second.report.lifecycle?.containers.some((c) => c.image.includes('python:3.7-slim') && c.verdict === 'end-of-life')).toBe(true);
    // 3. The pod is gone again, and another one of the namespace too.
    source.objects.Pod = source.list('Pod').filter((p) => p.metadata.name !== target?.metadata.name) as unknown as ClusterObjects['Pod'];
    await equivalent(source, scanner, 'incremental', true, at(3));
    // 4. 400 days later, nothing changed: end-of-life dates and node ages moved on (a new day: nothing reused).
    const later = await equivalent(source, scanner, 'incremental', true, at(400 * 24 * 60));
    expect(JSON.stringify(later.report.lifecycle?.verdicts)).not.toBe(JSON.stringify(second.report.lifecycle?.verdicts));
  });

  it('with lifecycle: containers of unchanged namespaces keep their results (the same objects), the changed namespace is evaluated anew', async () => {
    const { source, scanner } = await setup({ lifecycle: true });
    const at = (minutes: number): Date => new Date(NOW.getTime() + minutes * 60_000);
    const before = await equivalent(source, scanner, 'incremental', true, at(1));
    const pods = source.list('Pod') as Array<Obj & { status?: { containerStatuses?: unknown[] } }>;
    const target = pods.find((p) => p.metadata.namespace === 'storefront' && (p.status?.containerStatuses?.length ?? 0) > 0);
    source.modify('Pod', target?.metadata.name ?? '', (p) => {
      const c0 = (p.spec as { containers: Array<{ image?: string }> }).containers[0];
      if (c0 !== undefined) c0.image = 'node:14-alpine';
    });
    const after = await equivalent(source, scanner, 'incremental', true, at(2));
    expect(after.namespaces).toEqual(['storefront']);
    const rows = (r: ScanReport, inside: boolean): unknown[] => (r.lifecycle?.containers ?? []).filter((c) => (c.namespace === 'storefront') === inside);
    expect(rows(after.report, false).length).toBeGreaterThan(0);
    rows(after.report, false).forEach((row, i) => expect(row).toBe(rows(before.report, false)[i]));
    expect(rows(after.report, true).some((row, i) => row !== rows(before.report, true)[i])).toBe(true);
    expect(after.report.lifecycle?.containers.some((c) => c.namespace === 'storefront' && c.image.includes('node:14-alpine') && c.verdict === 'end-of-life')).toBe(true);
  });

  it('an unreadable workload field appears, then is fixed: its issue comes and goes as in a full scan', async () => {
    const { source, scanner } = await setup();
    const deployment = source.list('Deployment').find((d) => d.metadata.namespace === 'payments') as Obj;
    const edit = (value: unknown) => (d: Obj): void => {
      const c0 = (d.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0];
      if (c0 !== undefined) c0.securityContext = { runAsUser: value };
    };
    source.modify('Deployment', deployment.metadata.name, edit('root'));
    const broken = await equivalent(source, scanner, 'incremental');
    expect(broken.report.issues.filter((i) => i.code === 'workload-field-invalid' && i.message.startsWith(`payments/Deployment/${deployment.metadata.name}:`))).toHaveLength(1);
    source.modify('Deployment', deployment.metadata.name, edit(1000));
    const fixed = await equivalent(source, scanner, 'incremental');
    expect(fixed.report.issues.some((i) => i.code === 'workload-field-invalid' && i.message.startsWith(`payments/Deployment/${deployment.metadata.name}:`))).toBe(false);
  });

  it('NetworkPolicy changed: the namespace is recomputed (ingress/egress/default-deny)', async () => {
    const { source, scanner, first } = await setup();
    const policy = source.list('NetworkPolicy').find((p) => p.metadata.namespace === 'payments') as Obj;
    source.modify('NetworkPolicy', policy.metadata.name, (p) => {
      p.spec = { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] };
    });
    const { report, namespaces } = await equivalent(source, scanner, 'incremental');
    expect(namespaces).toEqual(['payments']);
    expect(ids(report)).not.toEqual(ids(first));
  });

  it('RoleBinding, Namespace or Node changed: a full rescan', async () => {
    const { source, scanner } = await setup();
    const binding = source.list('RoleBinding')[0] as Obj;
    source.modify('RoleBinding', binding.metadata.name, (b) => {
      b.subjects = [{ kind: 'ServiceAccount', name: 'default', namespace: 'storefront' }];
    });
    await equivalent(source, scanner, 'full');
    const ns = source.list('Namespace')[0] as Obj;
    source.modify('Namespace', ns.metadata.name, (n) => {
      (n.metadata as { labels?: Record<string, string> }).labels = { 'pod-security.kubernetes.io/enforce': 'restricted' };
    });
    await equivalent(source, scanner, 'full');
  });

  it('changes in more namespaces than the share allows, or a scheduled rescan: full', async () => {
    const { source, scanner } = await setup();
    scanner.maxShare = 0.1;
    for (const ns of ['storefront', 'payments']) {
      const pods = source.list('Pod');
      pods.splice(
        pods.findIndex((p) => p.metadata.namespace === ns),
        1,
      );
    }
    await equivalent(source, scanner, 'full');
    const scheduled = await scanner.scan({ now: NOW, full: 'interval' });
    expect(scheduled.plan).toEqual({ mode: 'full', why: 'interval' });
  });

  it('a snapshot read from files (new objects on every load) is always rescanned in full', async () => {
    const { snapshotSource } = await import('../inventory/sources/snapshot/index.js');
    const scanner = new IncrementalScanner({ source: snapshotSource({ path: demoSnapshotPath() }) });
    await scanner.scan({ now: NOW });
    const again = await scanner.scan({ now: NOW });
    expect(again.plan.mode).toBe('full');
  });

  it('every registered check has a scope, or is global by default', () => {
    for (const c of CHECKS) expect(['namespace', 'node', 'global', undefined]).toContain(CHECK_SCOPES[c.id]);
    expect(CHECK_SCOPES['stale-image']).toBe('node');
  });
});

describe('IncrementalScanner with running images: a rescan reads only new images and places findings only in the changed namespaces', () => {
  const WEB_243 = 'sha256:9a41dc958f7d5f696774733b88c9bb5ddb238a1f8637a4b840b9156220083a1b';
  const REDIS = 'sha256:f7ddcce717d14cbbb43bda6a40e63df8731cb667bf68112cb1321268406de0a9';
  const WEB_241 = 'sha256:00b5974ccd0c722eac4aaa27a0b27d019fcc53b60e2b2f3423916ba016ac5246';
  let db: Db;

  beforeAll(async () => {
    db = await demoDb();
  });

  /** The demo's images as `scan --demo` reads them (SBOM directory, OCI layouts), the layouts' reads counted. */
  function demoImages(on: Db, opened: string[], vex?: RunningImagesSettings['vex']): RunningImagesSettings {
    return { db: on, sbomDir: join(packageRoot(), 'demo', 'sboms'), locators: [counted(imageDirLocator(join(packageRoot(), 'demo', 'images')), opened)], vex };
  }

  type PodObj = Obj & { spec: { nodeName?: string; containers: Array<{ name: string; image?: string }> }; status?: { containerStatuses?: Array<{ name?: string; image?: string; imageID?: string }> } };

  /** Make the first container of pod `name` run `image` at `digest` (spec and status, as the kubelet reports it). */
  function runs(source: MutableSource, name: string, image: string, digest: string): void {
    source.modify('Pod', name, (p) => {
      const pod = p as unknown as PodObj;
      const c0 = pod.spec.containers[0];
      if (c0 !== undefined) c0.image = image;
      const s0 = pod.status?.containerStatuses?.[0];
      if (s0 !== undefined) {
        s0.image = image;
        s0.imageID = `${image.replace(/[:@].*$/, '')}@${digest}`;
      }
    });
  }

  const pods = (source: MutableSource, ns: string, prefix: string): PodObj[] => (source.list('Pod') as PodObj[]).filter((p) => p.metadata.namespace === ns && p.metadata.name.startsWith(prefix));

  it('no change: no image read again, the same findings (the same objects), the report a full scan gives', async () => {
    const opened: string[] = [];
    const images = demoImages(db, opened);
    const { source, scanner, first } = await setup({ images });
    expect(opened.length).toBeGreaterThan(10);
    expect(first.images?.length).toBe(19);
    opened.length = 0;
    const { report, namespaces } = await equivalent(source, scanner, 'incremental', { images });
    expect(namespaces).toEqual([]);
    expect(opened).toEqual([]);
    expect(ids(report)).toEqual(ids(first));
    const vulnerable = (r: ScanReport): Finding[] => r.findings.filter((f) => f.rule === VULNERABILITY_RULE);
    expect(vulnerable(report).length).toBeGreaterThan(20);
    const before = new Set(vulnerable(first));
    expect(vulnerable(report).every((f) => before.has(f))).toBe(true);
  });

  it('a pod runs an image read before: nothing read, only its namespace placed again; cart keeps its two digests on one finding', async () => {
    const opened: string[] = [];
    const images = demoImages(db, opened);
    const { source, scanner, first } = await setup({ images });
    opened.length = 0;
    const web = pods(source, 'storefront', 'web-')[0] as PodObj;
    runs(source, web.metadata.name, 'redis:7.2.5', REDIS);
    const { report, namespaces } = await equivalent(source, scanner, 'incremental', { images });
    expect(namespaces).toEqual(['storefront']);
    expect(opened).toEqual([]);
    const redis = report.images?.find((i) => i.digest === REDIS);
    expect(redis?.references).toContain('docker.io/library/redis:7.2.5');
    // the other namespaces' image findings are the previous scan's objects; storefront's are placed anew
    const kept = new Set(first.findings);
    const image = report.findings.filter((f) => f.rule === VULNERABILITY_RULE);
    expect(image.filter((f) => f.subject.namespace !== 'storefront').every((f) => kept.has(f))).toBe(true);
    expect(image.filter((f) => f.subject.namespace === 'storefront').some((f) => kept.has(f))).toBe(false);
    const cart = report.findings.filter((f) => f.subject.workload?.name === 'cart' && Array.isArray(f.evidence.otherImageDigests));
    expect(cart.map((f) => f.rule)).toEqual(['end-of-life']);
    expect(cart[0]?.evidence.otherImageDigests).toHaveLength(1);
    // and once more, with the pod back: the merged evidence is copied, never the shared one mutated
    runs(source, web.metadata.name, 'ghcr.io/acme/storefront-web:2.4.1', WEB_241);
    const back = await equivalent(source, scanner, 'incremental', { images });
    expect(ids(back.report)).toEqual(ids(first));
    expect(opened).toEqual([]);
  });

  it('a Deployment rolls out a new image: read once, its findings on the workload; an unreadable digest is said naming who runs it, as a full scan says it', async () => {
    const opened: string[] = [];
    const images = demoImages(db, opened);
    const { source, scanner } = await setup({ images });
    opened.length = 0;
    for (const pod of pods(source, 'storefront', 'web-')) runs(source, pod.metadata.name, 'ghcr.io/acme/storefront-web:2.4.3', WEB_243);
    const rolled = await equivalent(source, scanner, 'incremental', { images });
    expect(rolled.namespaces).toEqual(['storefront']);
    expect(opened).toEqual([WEB_243]);
    expect(rolled.report.images?.find((i) => i.digest === WEB_243)?.status).toBe('scanned');
    expect(rolled.report.images?.some((i) => i.digest.startsWith('sha256:00b5974c'))).toBe(false);

    // a digest no layout holds, first in payments, then in monitoring too: the issue names both (made per scan)
    const missing = `sha256:${'e'.repeat(64)}`;
    const api = pods(source, 'payments', 'payments-api-')[0] as PodObj;
    runs(source, api.metadata.name, 'registry.acme.io/payments/api:1.9.0', missing);
    const one = await equivalent(source, scanner, 'incremental', { images });
    const unresolved = (r: ScanReport): string[] => r.issues.filter((i) => i.code === 'image-unresolved').map((i) => i.message);
    expect(unresolved(one.report)).toHaveLength(1);
    expect(unresolved(one.report)[0]).toContain('run by payments/payments-api, could not be read');
    const grafana = pods(source, 'monitoring', 'grafana-')[0] as PodObj;
    runs(source, grafana.metadata.name, 'registry.acme.io/payments/api:1.9.0', missing);
    const two = await equivalent(source, scanner, 'incremental', { images });
    expect(two.namespaces).toEqual(['monitoring']);
    expect(unresolved(two.report)[0]).toContain('run by monitoring/grafana, payments/payments-api, could not be read');
  });

  it('with lifecycle and VEX: the images end-of-life findings fold into the changed namespace verdicts; VEX suppresses the placed findings', async () => {
    const opened: string[] = [];
    const vex = parseVex({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-2024-45296' }, products: ['pkg:npm/path-to-regexp@0.1.7'], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }] }, 'vex.json');
    const images = demoImages(db, opened, vex);
    const { source, scanner, first } = await setup({ images, lifecycle: true });
    const suppressed = (r: ScanReport): unknown[] => r.findings.filter((f) => f.rule === VULNERABILITY_RULE && f.suppression !== undefined).map((f) => f.subject.workload?.name);
    expect(suppressed(first).sort()).toEqual(['cart', 'web']);
    for (const pod of pods(source, 'storefront', 'web-')) runs(source, pod.metadata.name, 'ghcr.io/acme/storefront-web:2.4.3', WEB_243);
    const { report } = await equivalent(source, scanner, 'incremental', { images, lifecycle: true });
    // 2.4.3 ships a fixed path-to-regexp: web's statement has nothing left to suppress, cart's still holds
    expect(suppressed(report)).toEqual(['cart']);
    expect(report.lifecycle?.containers.filter((c) => c.namespace === 'storefront' && c.verdict === 'end-of-life').length).toBeGreaterThan(0);
  });

  it('an image that could not be read is tried again at retryAt (2 minutes, then 4 more), in every namespace that runs it, until it reads', async () => {
    const opened: string[] = [];
    const down = new Set([WEB_241]);
    const layouts = imageDirLocator(join(packageRoot(), 'demo', 'images'));
    // a registry answering 503 for one image while `down` holds it (the reference full scans see the same)
    const flaky: ImageLocator = { ...layouts, open: (want, signal) => (down.has(want.digest) ? Promise.reject(new Error('503 Service Unavailable')) : layouts.open(want, signal)) };
    const images: RunningImagesSettings = { db, sbomDir: join(packageRoot(), 'demo', 'sboms'), locators: [counted(flaky, opened)] };
    const source = new MutableSource(base);
    // grafana runs storefront-web 2.4.1 too: two namespaces run the image
    runs(source, (pods(source, 'monitoring', 'grafana-')[0] as PodObj).metadata.name, 'ghcr.io/acme/storefront-web:2.4.1', WEB_241);
    const scanner = new IncrementalScanner({ source, images });
    scanner.maxShare = 0.5;
    const at = (minutes: number): Date => new Date(NOW.getTime() + minutes * 60_000);
    const unresolved = (r: ScanReport): string[] => r.issues.filter((i) => i.code === 'image-unresolved').map((i) => i.message);
    const onWeb = (r: ScanReport): string[] => r.findings.filter((f) => f.rule === VULNERABILITY_RULE && f.evidence.imageDigest === WEB_241).map((f) => `${f.subject.namespace ?? ''}/${f.subject.workload?.name ?? ''}`);

    const first = await scanner.scan({ now: NOW });
    expect(first.plan.mode).toBe('full');
    expect(unresolved(first.report)).toEqual([expect.stringContaining('run by monitoring/grafana, storefront/web, could not be read, so it was not checked for vulnerabilities — image-dir: 503 Service Unavailable')]);
    expect(onWeb(first.report)).toEqual([]);
    expect(scanner.retryAt()).toEqual(at(2));
    opened.length = 0;

    // before the retry is due, a rescan does not try it
    const early = await equivalent(source, scanner, 'incremental', { images }, at(1));
    expect([early.namespaces, early.retried, opened]).toEqual([[], undefined, []]);
    // due, still failing: tried once, both namespaces rescanned, the next try 4 minutes later
    const second = await equivalent(source, scanner, 'incremental', { images }, at(2));
    expect([second.namespaces, second.retried, opened]).toEqual([['monitoring', 'storefront'], 1, [WEB_241]]);
    expect(unresolved(second.report)).toHaveLength(1);
    expect(scanner.retryAt()).toEqual(at(6));
    opened.length = 0;

    // the registry is back: not tried before its time (a full scan would read it now), then read once and placed on both workloads
    down.clear();
    const waiting = await scanner.scan({ now: at(5) });
    expect([waiting.plan, opened, unresolved(waiting.report).length]).toEqual([{ mode: 'incremental', namespaces: [] }, [], 1]);
    const back = await equivalent(source, scanner, 'incremental', { images }, at(6));
    expect([back.namespaces, back.retried, opened]).toEqual([['monitoring', 'storefront'], 1, [WEB_241]]);
    expect(unresolved(back.report)).toEqual([]);
    expect(new Set(onWeb(back.report))).toEqual(new Set(['monitoring/grafana', 'storefront/web']));
    expect(scanner.retryAt()).toBeUndefined();
  });

  it('an SBOM added to --sbom-dir for an image that could not be read is used when the image is tried again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-sboms-'));
    try {
      cpSync(join(packageRoot(), 'demo', 'sboms'), dir, { recursive: true });
      const opened: string[] = [];
      const layouts = imageDirLocator(join(packageRoot(), 'demo', 'images'));
      const never: ImageLocator = { ...layouts, open: (want, signal) => (want.digest === WEB_241 ? Promise.reject(new Error('401 Unauthorized')) : layouts.open(want, signal)) };
      const images: RunningImagesSettings = { db, sbomDir: dir, locators: [counted(never, opened)] };
      const { source, scanner } = await setup({ images });
      expect(scanner.retryAt()).toEqual(new Date(NOW.getTime() + 120_000));
      opened.length = 0;
      // the SBOM of another demo image, filed under this digest: its packages stand for the image's
      const [other] = readdirSync(dir);
      copyFileSync(join(dir, other as string), join(dir, `${WEB_241.replace(':', '-')}.cdx.json`));
      const retried = await equivalent(source, scanner, 'incremental', { images }, new Date(NOW.getTime() + 120_000));
      expect([retried.namespaces, retried.retried, opened]).toEqual([['storefront'], 1, []]);
      expect(retried.report.issues.filter((i) => i.code === 'image-unresolved')).toEqual([]);
      expect(retried.report.findings.some((f) => f.evidence.imageDigest === WEB_241 && f.rule === VULNERABILITY_RULE)).toBe(true);
      expect(scanner.retryAt()).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('new advisory data or a new UTC day: a full rescan that reads every image again', async () => {
    const own = await demoDb();
    const opened: string[] = [];
    const images = demoImages(own, opened);
    const { source, scanner } = await setup({ images });
    opened.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await importAdvisories(own, join(packageRoot(), 'demo', 'advisories', 'alpine-secdb'), { workers: 0 });
    const updated = await equivalent(source, scanner, 'full', { images });
    expect(updated.why).toBe('the vulnerability database changed');
    expect(opened.length).toBeGreaterThan(10);
    opened.length = 0;
    const tomorrow = await equivalent(source, scanner, 'full', { images }, new Date(NOW.getTime() + 86_400_000));
    expect(tomorrow.why).toBe('a new UTC day (per-image end-of-life findings count days)');
    expect(opened.length).toBeGreaterThan(10);
    own.close();
  });
});

async function demoDb(): Promise<Db> {
  const db = openVulnDb(':memory:');
  for (const feed of DEMO_FEEDS) await importAdvisories(db, join(packageRoot(), 'demo', 'advisories', feed), { workers: 0 });
  return db;
}
