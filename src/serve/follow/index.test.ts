/**
 * The published scan: the demo's real scan encoded and read back (what the API and the admission webhook read
 * of it is the same), bodies a follower cannot read (each one line), and the follower's polls over the
 * embedded history store.
 */
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { verdictsFromReport } from '../../admission/verdicts.js';
import type { Finding } from '../../core/finding.js';
import { snapshotSource } from '../../inventory/sources/snapshot/index.js';
import { DEMO_FEEDS } from '../../cli/commands/scan.js';
import { demoSnapshotPath, packageRoot } from '../../paths.js';
import { imageDirLocator } from '../../scan/images/locate.js';
import { scan } from '../../scan/index.js';
import { importAdvisories } from '../../vulndb/import.js';
import { openVulnDb } from '../../vulndb/store/index.js';
import { openDatabase } from '../../store/db.js';
import { sqliteExecutor } from '../history/sqlite.js';
import { HistoryStore } from '../history/store.js';
import type { Logger } from '../log.js';
import { imageVerdicts } from '../metrics/index.js';
import type { Latest } from '../monitor.js';
import { decodeLatest, encodeLatest, Follower, inventoryView, LATEST_FORMAT, publishLatest, ScanTooLargeToPublishError } from './index.js';

let demo: Latest;
beforeAll(async () => {
  // the demo as `scan --demo` runs it: its images read and matched against its advisories
  const db = openVulnDb(':memory:');
  for (const feed of DEMO_FEEDS) await importAdvisories(db, join(packageRoot(), 'demo', 'advisories', feed), { workers: 0 });
  const finishedAt = new Date('2026-11-30T10:00:00.000Z');
  try {
    const outcome = await scan({ source: snapshotSource({ path: demoSnapshotPath(), type: 'demo' }), now: finishedAt, images: { db, sbomDir: join(packageRoot(), 'demo', 'sboms'), locators: [imageDirLocator(join(packageRoot(), 'demo', 'images'))] } });
    demo = { scanId: '20261130T100000Z-aaaaaa', finishedAt, inventory: outcome.inventory, report: outcome.report };
  } finally {
    db.close();
  }
});

/** The admission verdicts of a report, as comparable JSON. */
function verdictsOf(report: Latest['report']): unknown {
  const cache = verdictsFromReport(report, 'x');
  return { ...cache, byDigest: [...cache.byDigest], byTag: [...cache.byTag], unread: [...cache.unread] };
}

/** A body's JSON with these pods (the table) and report, nothing else in the inventory. */
function envelope(pods: unknown, report: unknown = {}): string {
  return JSON.stringify({ format: LATEST_FORMAT, scanId: 's', finishedAt: '2026-11-30T10:00:00.000Z', inventory: { namespaces: [], nodes: [], pods, workloads: [] }, report });
}

const pack = async (text: string): Promise<string> => (await promisify(gzip)(text)).toString('base64');

describe('published scan', () => {
  it('reads back the report, byte for byte as JSON, and the inventory the API and the admission webhook read', async () => {
    const body = await encodeLatest(demo);
    const back = await decodeLatest(body, 'the published scan');
    expect(back.scanId).toBe(demo.scanId);
    expect(back.finishedAt).toEqual(demo.finishedAt);
    expect(JSON.stringify(back.report)).toBe(JSON.stringify(demo.report));
    expect(back.inventory).toEqual(inventoryView(demo.inventory));
    expect(back.inventory.pods.length).toBe(demo.inventory.pods.length);
    expect(back.inventory.namespaces.find((n) => n.labels['pod-security.kubernetes.io/enforce'] !== undefined)).toBeDefined();
    // what the pages and the webhook compute from it is the same as from the leader's own scan
    expect(imageVerdicts(back.report, back.inventory)).toEqual(imageVerdicts(demo.report, demo.inventory));
    expect(JSON.stringify(verdictsOf(back.report))).toBe(JSON.stringify(verdictsOf(demo.report)));
    expect(verdictsFromReport(back.report, 'x').byDigest.size).toBeGreaterThan(5);
    // the raw API objects stay with the leader: the body is a fraction of the report's JSON
    expect(body.length).toBeLessThan(JSON.stringify(demo.report).length / 4);
  });

  it('stops encoding a scan whose JSON passes the bound, where it passes it, and says so in one line', async () => {
    // ~10 MB of JSON: 10,000 findings, each counted as it is written
    const base = demo.report.findings;
    let written = 0;
    const findings = Array.from({ length: 10_000 }, (_, i) => {
      const f = { ...(base[i % base.length] as Finding), id: i.toString(16).padStart(16, '0') };
      return { ...f, toJSON: () => (written++, f) };
    });
    const big = { ...demo, report: { ...demo.report, findings } };
    const error = (await encodeLatest(big, 2 * 1048576).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ScanTooLargeToPublishError);
    expect(error.message).toBe(`Scan ${demo.scanId} is too large to publish for the followers: its JSON passes 2 MiB (10000 findings), more than a follower can read`);
    expect((error as ScanTooLargeToPublishError).hint).toMatch(/keep the scan they have/);
    // abandoned near the bound, not after writing the whole document
    expect(written).toBeGreaterThan(500);
    expect(written).toBeLessThan(5000);
    // under the bound it is the whole document, read back as it was
    written = 0;
    const body = await encodeLatest(big, 64 * 1048576);
    expect(written).toBe(10_000);
    const back = await decodeLatest(body, 'the published scan');
    expect(back.report.findings.map((f) => f.id)).toEqual(findings.map((f) => f.id));
    // a reader with a lower bound refuses it in one line
    const refused = (await decodeLatest(body, 'the published scan', 1048576).catch((e: unknown) => e)) as Error;
    expect(refused.message).toBe('the published scan holds more than 1 MiB of JSON, more than this runwarden can read');
  });

  it.each([
    ['not gzip', () => Promise.resolve('bm90IGd6aXA='), /^the published scan is not a gzip body: /],
    ['gzip of something not JSON', () => pack('{"format": '), /^the published scan is not JSON: /],
    ['another format', () => pack(JSON.stringify({ format: 'runwarden-latest-scan/2' })), /^the published scan is in format "runwarden-latest-scan\/2"; this runwarden reads runwarden-latest-scan\/1$/],
    ['no format at all', () => pack('[]'), /^the published scan is in format null; this runwarden reads runwarden-latest-scan\/1$/],
    ['a pod without containers', () => pack(envelope({ strings: ['shop', 'Pod'], rows: [[0, 'web-1', -1, 1, 'web-1']] })), /^the published scan does not match runwarden-latest-scan\/1: inventory\.pods\.rows\.0: /],
    ['an index outside the table', () => pack(envelope({ strings: ['shop', 'Pod', 'nginx'], rows: [[0, 'web-1', -1, 1, 'web-1', [['web', 1, 7, -1, -1, -1]]]] })), /^the published scan does not match runwarden-latest-scan\/1: inventory\.pods\.rows\.0: an index outside the 3 strings of the table$/],
    ['a report that is not one', () => pack(envelope({ strings: [], rows: [] }, { schemaVersion: '1.0' })), /^"the published scan" is not a runwarden JSON report \(schema 1\.x\): /],
  ])('refuses %s with one line', async (_what, body, message) => {
    const error = (await decodeLatest(await body(), 'the published scan').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });
});

describe('Follower', () => {
  it('loads each newly published scan once, keeps the one it has when a body cannot be read (logged once), and skips polls while leading', async () => {
    const history = new HistoryStore(sqliteExecutor(openDatabase(':memory:'), { closeDb: true }));
    const logs: Array<[string, string, Record<string, unknown> | undefined]> = [];
    const log: Logger = (level, msg, fields) => logs.push([level, msg, fields]);
    let leading = false;
    const follower = new Follower({ history, log, intervalMs: 60_000, paused: () => leading });
    try {
      await follower.start();
      expect([follower.published, follower.latest, follower.lastError]).toEqual([false, undefined, undefined]);

      expect(await publishLatest(history, demo, new Date())).toBeGreaterThan(0);
      await follower.poll();
      expect(follower.latest?.scanId).toBe(demo.scanId);
      await follower.poll();
      expect(logs.filter(([, msg]) => msg === "loaded the leader's latest scan")).toHaveLength(1);

      // a newer scan whose body is broken: the follower keeps the one it has, says why, and logs it once
      const later = new Date(demo.finishedAt.getTime() + 60_000);
      await history.publishLatest({ scanId: 'broken', finishedAt: later, publishedAt: later, body: await pack('{') });
      await follower.poll();
      await follower.poll();
      expect(follower.latest?.scanId).toBe(demo.scanId);
      expect(follower.lastError).toMatch(/^the published scan broken is not JSON: /);
      expect(logs.filter(([level]) => level === 'warn').map(([, msg, fields]) => [msg, fields?.held])).toEqual([["cannot load the leader's latest scan; keeping the previous one", demo.scanId]]);

      // the next good scan is taken, and the error is gone
      const next = { ...demo, scanId: 'next', finishedAt: new Date(later.getTime() + 60_000) };
      await publishLatest(history, next, new Date());
      await follower.poll();
      expect([follower.latest?.scanId, follower.lastError]).toEqual(['next', undefined]);

      // while this replica leads, polls do nothing: its own scans are the latest
      leading = true;
      await publishLatest(history, { ...demo, scanId: 'while-leading', finishedAt: new Date(later.getTime() + 120_000) }, new Date());
      await follower.poll();
      expect(follower.latest?.scanId).toBe('next');
      leading = false;
      await follower.poll();
      expect(follower.latest?.scanId).toBe('while-leading');
      // a deposed leader's late, older scan is refused by the store
      expect(await publishLatest(history, { ...demo, scanId: 'late' }, new Date())).toBeUndefined();
    } finally {
      await follower.stop();
      await history.close();
    }
  });

  it('a store that does not answer keeps the scan it has and says why', async () => {
    const history = new HistoryStore(sqliteExecutor(openDatabase(':memory:'), { closeDb: true }));
    const follower = new Follower({ history, log: () => undefined, intervalMs: 60_000 });
    await publishLatest(history, demo, new Date());
    await follower.poll();
    await history.close();
    await follower.poll();
    expect(follower.latest?.scanId).toBe(demo.scanId);
    expect(follower.lastError).toMatch(/database connection is not open/);
    await follower.stop();
  });
});
