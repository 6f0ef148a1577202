/**
 * One suite, two real databases: the embedded SQLite (better-sqlite3) and a PostgreSQL 15 started by
 * test/postgres.ts on a unix socket. Both run the same migrations and must give the same answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, postgresSkipReason, type PostgresServer } from '../../../test/postgres.js';
import { UsageError } from '../../core/errors.js';
import { fingerprint, type Finding, type FindingKind } from '../../core/finding.js';
import type { ScanReport } from '../../core/report.js';
import type { Severity } from '../../core/severity.js';
import { openDatabase } from '../../store/db.js';
import { openPostgresHistory } from './postgres.js';
import { sqliteExecutor } from './sqlite.js';
import type { SqlExecutor } from './sql.js';
import { HistoryStore } from './store.js';

function finding(rule: string, ns: string, workload: string, severity: Severity, kind: FindingKind = 'misconfiguration', key = ''): Finding {
  const subject = { type: 'workload' as const, namespace: ns, workload: { kind: 'Deployment', name: workload } };
  return { id: fingerprint(rule, subject, key), rule, kind, severity, title: `${rule} on ${workload}`, subject, evidence: { key }, remediation: 'fix it' };
}

function report(findings: Finding[]): ScanReport {
  return {
    schemaVersion: '1.0',
    tool: { name: 'runwarden', version: 'test' },
    generatedAt: '2026-11-01T00:00:00.000Z',
    source: { type: 'snapshot', location: 'test' },
    summary: { nodes: 1, namespaces: 1, workloads: 1, pods: 1, containers: 1, images: 1, findings: findings.length, bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0, unknown: 0 }, byKind: { vulnerability: 0, malware: 0, 'end-of-life': 0, outdated: 0, 'stale-image': 0, misconfiguration: 0, node: 0, detection: 0 }, byRule: {}, reclaimableBytes: 0, nodeCaches: [], issues: 0 },
    findings,
    issues: [],
  };
}

const day = (n: number): Date => new Date(Date.UTC(2026, 10, n, 12));

const A = finding('privileged', 'shop', 'web', 'high');
const B = finding('run-as-root', 'shop', 'web', 'medium');
const C = finding('vuln', 'shop', 'api', 'critical', 'vulnerability', 'CVE-2021-23337');
const D = finding('vuln', 'pay', 'ledger', 'low', 'vulnerability', 'CVE-2023-32681');

const pgSkip = postgresSkipReason();
let pgServer: PostgresServer | undefined;

beforeAll(async () => {
  if (pgSkip === undefined) pgServer = await startPostgres();
});
afterAll(async () => {
  await pgServer?.stop();
});

let dbCounter = 0;
const backends: Array<{ name: string; skip: string | undefined; open: () => Promise<SqlExecutor> }> = [
  { name: 'SQLite', skip: undefined, open: () => Promise.resolve(sqliteExecutor(openDatabase(':memory:'), { closeDb: true })) },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    open: async () => {
      if (pgServer === undefined) throw new Error('PostgreSQL not started');
      return openPostgresHistory(await pgServer.createDatabase(`history_${++dbCounter}`));
    },
  },
];

for (const backend of backends) {
  describe.skipIf(backend.skip !== undefined)(`history store on ${backend.name}`, () => {
    async function withStore(fn: (store: HistoryStore) => Promise<void>): Promise<void> {
      const store = new HistoryStore(await backend.open());
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    }

    async function record(store: HistoryStore, id: string, n: number, findings: Finding[]): ReturnType<HistoryStore['recordScan']> {
      return store.recordScan({ id, startedAt: day(n), finishedAt: day(n), reason: 'interval', report: report(findings) });
    }

    it('returns new and fixed findings by fingerprint between scans', async () => {
      await withStore(async (store) => {
        const first = await record(store, 's1', 1, [A, B, C]);
        expect(first.opened.map((f) => f.id).sort()).toEqual([A.id, B.id, C.id].sort());
        expect(first.fixed).toEqual([]);
        const second = await record(store, 's2', 2, [A, C, D]);
        expect(second.opened.map((f) => f.id)).toEqual([D.id]);
        expect(second.fixed.map((f) => f.fingerprint)).toEqual([B.id]);
        expect(second.fixed[0]?.closedAt).toBe(day(2).toISOString());
        expect(second.scan).toMatchObject({ findings: 3, opened: 1, fixed: 1, status: 'ok' });
        // Unchanged third scan: nothing new, nothing fixed.
        const third = await record(store, 's3', 3, [A, C, D]);
        expect(third.opened).toEqual([]);
        expect(third.fixed).toEqual([]);
      });
    });

    it('another writer in between (a second replica on the same database): the next diff is against what is stored, not what this store last wrote', async () => {
      await withStore(async (store) => {
        const other = new HistoryStore(store.sql);
        await record(store, 's1', 1, [A, B]);
        // This store remembers A and B open; the other one fixes B and opens C, then a rescan here sees A, B, C.
        await record(other, 's2', 2, [A, C]);
        const third = await record(store, 's3', 3, [A, B, C]);
        expect(third.opened.map((f) => f.id)).toEqual([B.id]);
        expect(third.fixed).toEqual([]);
        // A failed write (a duplicate scan id) leaves the database, and what this store remembers, as they were.
        await expect(record(store, 's3', 4, [A])).rejects.toThrow();
        const fourth = await record(store, 's4', 5, [A]);
        expect(fourth.fixed.map((f) => f.fingerprint).sort()).toEqual([B.id, C.id].sort());
        // Unchanged: nothing new, nothing fixed (from memory or not, the same answer).
        const fifth = await record(store, 's5', 6, [A]);
        expect([fifth.opened, fifth.fixed]).toEqual([[], []]);
      });
    });

    it('stores a finding\'s detail packed, rewrites it only when it changed, and reads rows written before the packing', async () => {
      await withStore(async (store) => {
        const long = { ...C, evidence: { ...C.evidence, note: 'a vulnerability finding carries the why of its match: '.repeat(20) } };
        await record(store, 's1', 1, [A, long]);
        const rows = await store.sql.all<{ fingerprint: string; detail: string; detail_packed: Uint8Array | null }>('SELECT fingerprint, detail, detail_packed FROM history_findings');
        expect(rows.map((r) => r.detail)).toEqual(['', '']);
        const packed = rows.find((r) => r.fingerprint === long.id)?.detail_packed;
        expect(packed?.byteLength).toBeLessThan(JSON.stringify(long).length / 4);
        expect((await store.findings({ state: 'open' })).items.map((f) => f.finding).sort((a, b) => a.id.localeCompare(b.id))).toEqual([A, long].sort((a, b) => a.id.localeCompare(b.id)));
        // a row of an older runwarden: the JSON as text, nothing packed; read as it is, packed once the finding changes
        await store.sql.run('UPDATE history_findings SET detail = ?, detail_packed = NULL WHERE fingerprint = ?', [JSON.stringify(A), A.id]);
        expect((await store.findings({ state: 'open', rule: A.rule })).items[0]?.finding).toEqual(A);
        const changed = { ...A, title: 'privileged on web, again' };
        await record(store, 's2', 2, [changed, long]);
        const [row] = await store.sql.all<{ detail: string; detail_packed: Uint8Array | null }>('SELECT detail, detail_packed FROM history_findings WHERE fingerprint = ?', [A.id]);
        expect(row?.detail).toBe('');
        expect((await store.findings({ state: 'open', rule: A.rule })).items[0]?.finding).toEqual(changed);
      });
    });

    it('lets the event loop run while it writes a large scan', async () => {
      await withStore(async (store) => {
        const many = Array.from({ length: 3000 }, (_, i) => finding('vuln', `ns-${i % 7}`, `app-${i}`, 'high', 'vulnerability', `CVE-2026-${i}`));
        let turns = 0;
        let writing = true;
        const tick = (): void => {
          turns++;
          if (writing) setImmediate(tick);
        };
        setImmediate(tick);
        await record(store, 's1', 1, many);
        writing = false;
        // a turn every 500 findings, inside the transaction too
        expect(turns).toBeGreaterThanOrEqual(5);
        expect((await store.findings({ state: 'open', limit: 1000 })).items.length).toBe(1000);
      });
    });

    it('a rescan handing back the same objects: a finding that changed counts under its new severity, a duplicate once', async () => {
      await withStore(async (store) => {
        await record(store, 's1', 1, [A, B, C]);
        // B again as a new object rated critical; A the same object listed twice; C gone; D new
        const worse = { ...B, severity: 'critical' as const };
        const diff = await record(store, 's2', 2, [A, worse, A, D]);
        expect([diff.opened.map((f) => f.id), diff.fixed.map((f) => f.fingerprint), diff.scan.findings]).toEqual([[D.id], [C.id], 3]);
        const trends = await store.trends();
        expect(trends.map((t) => [t.scan, t.total, t.bySeverity.critical, t.bySeverity.high, t.bySeverity.medium, t.bySeverity.low])).toEqual([
          ['s1', 3, 1, 1, 1, 0],
          ['s2', 3, 1, 1, 0, 1],
        ]);
        expect((await store.findings({ state: 'open', rule: B.rule })).items[0]?.finding.severity).toBe('critical');
      });
    });

    it('a write that fails leaves what it remembered behind: the next diff is against what is stored', async () => {
      await withStore(async (store) => {
        await record(store, 's1', 1, [A, B]);
        // the same scan id again: refused at the end of the transaction, after the open spans were gone through
        // (B gone, C new: as many open as stored, so only dropping what was remembered keeps the next diff right)
        await expect(record(store, 's1', 2, [A, C])).rejects.toThrow();
        const diff = await record(store, 's2', 3, [A, B]);
        expect([diff.opened.map((f) => f.id), diff.fixed.map((f) => f.fingerprint)]).toEqual([[], []]);
      });
    });

    it('reopens a finding that comes back after a fix, keeping its first sighting', async () => {
      await withStore(async (store) => {
        await record(store, 's1', 1, [A]);
        await record(store, 's2', 2, []);
        const back = await record(store, 's3', 4, [A]);
        expect(back.opened.map((f) => f.id)).toEqual([A.id]);
        const all = await store.findings({ state: 'all' });
        expect(all.items.map((f) => [f.openedAt, f.closedAt])).toEqual([
          [day(1).toISOString(), day(2).toISOString()],
          [day(4).toISOString(), null],
        ]);
        expect(all.items.every((f) => f.firstSeen === day(1).toISOString())).toBe(true);
      });
    });

    it('ignores suppressed findings and duplicate fingerprints', async () => {
      await withStore(async (store) => {
        const suppressed = { ...B, suppression: { kind: 'config' as const, reason: 'accepted', source: 'config exceptions[0]' } };
        const diff = await record(store, 's1', 1, [A, A, suppressed]);
        expect(diff.opened.map((f) => f.id)).toEqual([A.id]);
        expect(diff.scan.findings).toBe(1);
      });
    });

    it('filters findings by state, severity, kind, namespace, workload and text, worst first', async () => {
      await withStore(async (store) => {
        await record(store, 's1', 1, [A, B, C]);
        await record(store, 's2', 2, [A, C, D]);
        const open = await store.findings();
        expect(open.items.map((f) => f.fingerprint)).toEqual([C.id, A.id, D.id]);
        expect((await store.findings({ severity: 'high' })).items.map((f) => f.fingerprint)).toEqual([C.id, A.id]);
        expect((await store.findings({ kind: 'vulnerability' })).items.map((f) => f.fingerprint)).toEqual([C.id, D.id]);
        expect((await store.findings({ namespace: 'pay' })).items.map((f) => f.fingerprint)).toEqual([D.id]);
        expect((await store.findings({ workload: 'shop/Deployment/web' })).items.map((f) => f.fingerprint)).toEqual([A.id]);
        expect((await store.findings({ text: 'LEDGER' })).items.map((f) => f.fingerprint)).toEqual([D.id]);
        expect((await store.findings({ text: '100%_' })).items).toEqual([]);
        expect((await store.findings({ state: 'fixed' })).items.map((f) => f.fingerprint)).toEqual([B.id]);
        expect((await store.findings({ openedAfter: day(1).toISOString() })).items.map((f) => f.fingerprint)).toEqual([D.id]);
        expect((await store.findings({ state: 'all', closedAfter: day(1).toISOString() })).items.map((f) => f.fingerprint)).toEqual([B.id]);
        expect(open.items[0]?.finding).toEqual(C);
      });
    });

    it('pages with a cursor until every finding is seen once', async () => {
      await withStore(async (store) => {
        const many = Array.from({ length: 25 }, (_, i) => finding('vuln', 'shop', `w${i}`, i % 3 === 0 ? 'high' : 'low', 'vulnerability', `CVE-${i}`));
        await record(store, 's1', 1, many);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.findings({ limit: 10, cursor });
          seen.push(...page.items.map((f) => f.fingerprint));
          cursor = page.next;
          pages++;
        } while (cursor !== undefined);
        expect(pages).toBe(3);
        expect(new Set(seen).size).toBe(25);
        expect(seen.slice(0, 9).every((fp) => many.find((f) => f.id === fp)?.severity === 'high')).toBe(true);
      });
    });

    it('throws UsageError on a cursor it did not issue', async () => {
      await withStore(async (store) => {
        await expect(store.findings({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(UsageError);
        await expect(store.findings({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(/Invalid cursor/);
      });
    });

    it('answers trends per scan and time to fix per severity', async () => {
      await withStore(async (store) => {
        await record(store, 's1', 1, [A, B, C]);
        await record(store, 's2', 3, [A, D]);
        await store.recordFailure({ id: 's3', startedAt: day(4), finishedAt: day(4), reason: 'interval', source: 'test', error: 'boom' });
        const trends = await store.trends();
        expect(trends.map((t) => [t.scan, t.total, t.bySeverity.critical, t.byKind.vulnerability ?? 0])).toEqual([
          ['s1', 3, 1, 1],
          ['s2', 2, 0, 1],
        ]);
        expect((await store.trends({ namespace: 'pay' })).map((t) => t.total)).toEqual([0, 1]);
        const ttf = await store.timeToFix();
        expect(ttf).toEqual([
          { severity: 'critical', fixed: 1, meanSeconds: 2 * 86400, medianSeconds: 2 * 86400, maxSeconds: 2 * 86400 },
          { severity: 'medium', fixed: 1, meanSeconds: 2 * 86400, medianSeconds: 2 * 86400, maxSeconds: 2 * 86400 },
        ]);
        const scans = await store.scans();
        expect(scans.map((s) => [s.id, s.status])).toEqual([
          ['s3', 'failed'],
          ['s2', 'ok'],
          ['s1', 'ok'],
        ]);
        expect((await store.latestScan())?.id).toBe('s2');
      });
    });

    it('ranks workloads by the weighted severity of their open findings', async () => {
      await withStore(async (store) => {
        await record(store, 's1', 1, [A, B, C, D]);
        const risk = await store.workloadRisk();
        expect(risk.map((r) => [r.workload, r.score, r.findings])).toEqual([
          ['shop/Deployment/api', 100, 1],
          ['shop/Deployment/web', 40, 2],
          ['pay/Deployment/ledger', 3, 1],
        ]);
      });
    });

    it('prunes scans and fixed spans older than the retention, keeping open findings', async () => {
      await withStore(async (store) => {
        await record(store, 's1', 1, [A, B, C]);
        await record(store, 's2', 2, [A]);
        // C comes back: its old span goes, the finding stays with its open one
        await record(store, 's3', 20, [A, C]);
        const pruned = await store.prune(day(10));
        expect(pruned).toEqual({ scans: 2, spans: 2, findings: 1 });
        expect((await store.scans()).map((s) => s.id)).toEqual(['s3']);
        expect((await store.findings({ state: 'all' })).items.map((f) => f.fingerprint).sort()).toEqual([A.id, C.id].sort());
        expect((await store.findings({ state: 'all', rule: C.rule })).items.map((f) => f.openedAt)).toEqual([day(20).toISOString()]);
        // The next scan still diffs against what is open.
        const next = await record(store, 's4', 21, []);
        expect(next.fixed.map((f) => f.fingerprint).sort()).toEqual([A.id, C.id].sort());
      });
    });

    it('publishes one latest scan for followers: replaced by a newer one, never by an older one (a deposed leader\'s late write)', async () => {
      await withStore(async (store) => {
        expect(await store.publishedScan()).toBeUndefined();
        expect(await store.publishedBody()).toBeUndefined();
        const body = 'x'.repeat(300_000);
        expect(await store.publishLatest({ scanId: 's2', finishedAt: day(2), publishedAt: day(2), body })).toBe(true);
        expect(await store.publishedScan()).toEqual({ scanId: 's2', finishedAt: day(2).toISOString() });
        expect(await store.publishedBody()).toEqual({ scanId: 's2', finishedAt: day(2).toISOString(), body });
        expect(await store.publishLatest({ scanId: 's1', finishedAt: day(1), publishedAt: day(3), body: 'older' })).toBe(false);
        expect((await store.publishedBody())?.scanId).toBe('s2');
        expect(await store.publishLatest({ scanId: 's3', finishedAt: day(3), publishedAt: day(3), body: 'newer' })).toBe(true);
        expect(await store.publishedBody()).toEqual({ scanId: 's3', finishedAt: day(3).toISOString(), body: 'newer' });
        // pruning the scans leaves the published one: followers keep answering from it
        await record(store, 's4', 30, [A]);
        await store.prune(day(29));
        expect((await store.publishedScan())?.scanId).toBe('s3');
      });
    });
  });
}
