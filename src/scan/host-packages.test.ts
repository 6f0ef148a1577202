/**
 * The nodes' own packages matched like an image's: the demo cluster, node reports carrying a host read from Alpine's
 * real installed database (agent/testdata/host-root.ts), and the demo's real Alpine v3.11 secdb in a database.
 * Then through `scan()` from a snapshot holding the report ConfigMap, as `kubectl get cm -o json` gives it.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHostPackages } from '../agent/host.js';
import { nodeReportConfigMap } from '../agent/configmap.js';
import type { NodeReport } from '../agent/schema.js';
import { encodeNodeReport } from '../agent/summary.js';
import { makeHostRoot } from '../agent/testdata/host-root.js';
import { sampleReport } from '../agent/testdata/reports.js';
import { buildInventory } from '../inventory/build.js';
import type { NodeReportObjects } from '../inventory/source.js';
import { snapshotSource } from '../inventory/sources/snapshot/index.js';
import { demoSnapshotPath, packageRoot } from '../paths.js';
import { importAdvisories } from '../vulndb/import.js';
import { openVulnDb, type Db } from '../vulndb/store/index.js';
import { hostPackageFindings } from './host-packages.js';
import type { Finding } from '../core/finding.js';
import { contributorsFor } from './images/registry.js';
import { newImagePartMemo, scan, scanImagePart } from './index.js';

const NODE = 'aks-apps-27182818-vmss000001';
let dir = '';
let db: Db;
let withHost: NodeReport;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-host-scan-'));
  const root = await makeHostRoot(join(dir, 'host'));
  withHost = { ...sampleReport(NODE, '2026-11-30T10:00:00.000Z'), host: (await readHostPackages(root)).host };
  db = openVulnDb(':memory:');
  await importAdvisories(db, join(packageRoot(), 'demo', 'advisories', 'alpine-secdb'), { workers: 0 });
});
afterAll(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

function objects(...reports: NodeReport[]): NodeReportObjects {
  return { location: 'test', status: 'read', configMaps: reports.map((r) => nodeReportConfigMap(r.node, encodeNodeReport(r).text, 'runwarden-node')), origins: new WeakMap() };
}

describe('host package vulnerabilities', () => {
  it("finds the host's vulnerable packages on its node, matched on the source package, each saying why", async () => {
    const inventory = buildInventory(await snapshotSource({ path: demoSnapshotPath(), type: 'demo' }).load({}));
    const { findings, issues, nodes } = hostPackageFindings(inventory, objects(withHost), { db });
    expect(nodes).toBe(1);
    expect(issues).toEqual([]);
    expect(findings.length).toBeGreaterThan(5);
    expect(findings.every((f) => f.rule === 'vulnerable-package' && f.kind === 'vulnerability' && f.subject.type === 'node' && f.subject.node === NODE)).toBe(true);
    const ssl = findings.find((f) => f.title.startsWith('CVE-2019-1551') && f.title.includes('libssl1.0'));
    expect(ssl?.evidence).toMatchObject({ state: 'affected', fixedVersions: ['1.1.1d-r3'], package: { name: 'libssl1.0', source: { name: 'openssl' } } });
    expect((ssl?.evidence.matches as Array<{ source: string }>)[0]?.source).toBe('alpine-secdb');
  });

  it('nodes of one pool (the same packages) get the same vulnerabilities, each finding their own (ids and subject as if matched alone)', async () => {
    const inventory = buildInventory(await snapshotSource({ path: demoSnapshotPath(), type: 'demo' }).load({}));
    const other = 'aks-system-31415926-vmss000000';
    const both = hostPackageFindings(inventory, objects(withHost, { ...withHost, node: other }), { db });
    const alone = hostPackageFindings(inventory, objects({ ...withHost, node: other }), { db });
    expect(both.nodes).toBe(2);
    const onOther = both.findings.filter((f) => f.subject.node === other);
    expect(onOther.length).toBe(both.findings.length / 2);
    // byte for byte what matching that node alone gives
    expect(JSON.stringify(onOther)).toBe(JSON.stringify(alone.findings));
    expect(new Set(both.findings.map((f) => f.id)).size).toBe(both.findings.length);
  });

  it("takes each node's newest report: one without host packages (the agent no longer reads them) gives none; unknown nodes none", async () => {
    const inventory = buildInventory(await snapshotSource({ path: demoSnapshotPath(), type: 'demo' }).load({}));
    const newer = sampleReport(NODE, '2026-11-30T11:00:00.000Z');
    expect(hostPackageFindings(inventory, objects(withHost, newer), { db })).toMatchObject({ findings: [], nodes: 0 });
    expect(hostPackageFindings(inventory, objects({ ...withHost, node: 'gone-node' }), { db })).toMatchObject({ findings: [], nodes: 0 });
    expect(hostPackageFindings(inventory, undefined, { db })).toEqual({ findings: [], issues: [], nodes: 0 });
  });

  it('a release the database holds nothing for is one issue naming the nodes, not "not vulnerable"', async () => {
    const inventory = buildInventory(await snapshotSource({ path: demoSnapshotPath(), type: 'demo' }).load({}));
    const other = (node: string): NodeReport => ({ ...withHost, node, host: { ...withHost.host!, purls: withHost.host!.purls.map((p) => p.replace('distro=alpine-3.11.6', 'distro=alpine-3.19.1')) } });
    const { findings, issues } = hostPackageFindings(inventory, objects(other(NODE), other('aks-system-31415926-vmss000000')), { db });
    expect(findings).toEqual([]);
    expect(issues.map((i) => i.message)).toEqual(['The database holds no advisories for Alpine v3.19: the Alpine v3.19 host packages of 2 nodes (aks-apps-27182818-vmss000001, aks-system-31415926-vmss000000) were not checked for vulnerabilities']);
  });

  it('scan(): a snapshot with the node report ConfigMap reports the node\'s vulnerabilities next to the images\'', async () => {
    const snapshot = join(dir, 'cluster');
    await cp(demoSnapshotPath(), snapshot, { recursive: true });
    await writeFile(join(snapshot, 'zz-node-reports.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects(withHost).configMaps }));
    const { report } = await scan({ source: snapshotSource({ path: snapshot }), now: new Date('2026-11-30T12:00:00Z'), images: { db } });
    const onNode = report.findings.filter((f) => f.subject.type === 'node' && f.rule === 'vulnerable-package');
    expect(onNode.length).toBeGreaterThan(5);
    expect(onNode.every((f) => f.subject.node === NODE)).toBe(true);
    expect(report.nodeAgents?.nodes.find((n) => n.node === NODE)?.report).toBe('fresh');
  });

  it("a service's rescan (the images' part with a memo) matches the hosts again only when a node report changed", async () => {
    const inventory = buildInventory(await snapshotSource({ path: demoSnapshotPath(), type: 'demo' }).load({}));
    const memo = newImagePartMemo();
    const options = { images: { db }, contributors: contributorsFor(undefined, undefined), now: new Date('2026-11-30T12:00:00Z') };
    const reports = objects(withHost);
    const onNode = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.subject.type === 'node');
    const first = onNode((await scanImagePart(inventory, reports, options, { memo })).findings);
    expect(first.length).toBeGreaterThan(5);
    // the same ConfigMap objects (an informer's store): the same findings, not matched again
    const again = onNode((await scanImagePart(inventory, { ...reports, configMaps: [...reports.configMaps] }, options, { memo })).findings);
    expect(again.every((f, i) => f === first[i])).toBe(true);
    // the agent published again: matched again (new objects, the same vulnerabilities)
    const republished = onNode((await scanImagePart(inventory, objects(withHost), options, { memo })).findings);
    expect(republished.map((f) => f.id)).toEqual(first.map((f) => f.id));
    expect(republished.some((f, i) => f === first[i])).toBe(false);
  });
});
