/**
 * Scan history (issue 11 "History store"): each scan is one row plus what changed. A finding is stored once,
 * keyed by its stable fingerprint (core/finding.ts); the times it was open are spans (opened → fixed), so a
 * scan that changes nothing writes one row, and "new since", "fixed", "time to fix" and trends are queries.
 * Only active findings are tracked: a suppressed finding is an accepted one, and its span closes.
 * The same code runs on SQLite and PostgreSQL through `SqlExecutor`.
 */
import { createHash } from 'node:crypto';
import { setImmediate as turn } from 'node:timers/promises';
import { countFindings, subjectPath, type Finding, type FindingKind } from '../../core/finding.js';
import { UsageError } from '../../core/errors.js';
import type { ScanReport } from '../../core/report.js';
import { SEVERITIES, severityRank, type Severity } from '../../core/severity.js';
import { packDetail, unpackDetail } from './packed.js';
import { insertMany, type SqlExecutor, type SqlValue } from './sql.js';

export interface ScanRecord {
  id: string;
  startedAt: string;
  finishedAt: string;
  reason: string;
  source: string;
  status: 'ok' | 'failed';
  error: string | null;
  findings: number;
  opened: number;
  fixed: number;
  summary: ScanReport['summary'] | null;
}

/** A finding as stored, with the span that answers the query (open: closedAt null). */
export interface StoredFinding {
  fingerprint: string;
  rule: string;
  kind: FindingKind;
  severity: Severity;
  title: string;
  namespace: string;
  workload: string;
  subjectPath: string;
  firstSeen: string;
  openedAt: string;
  closedAt: string | null;
  finding: Finding;
}

export interface ScanDiff {
  scan: ScanRecord;
  /** Findings open now that were not open in the previous scan (first seen, or back after a fix). */
  opened: Finding[];
  /** Findings open in the previous scan and gone now. */
  fixed: StoredFinding[];
}

export interface FindingQuery {
  state?: 'open' | 'fixed' | 'all' | undefined;
  /** At or above this severity. */
  severity?: Severity | undefined;
  kind?: FindingKind | undefined;
  namespace?: string | undefined;
  rule?: string | undefined;
  /** `namespace/Kind/name`. */
  workload?: string | undefined;
  /** Case-insensitive substring of the subject path or title. */
  text?: string | undefined;
  /** Spans opened after this time ("new since yesterday"). */
  openedAfter?: string | undefined;
  /** Spans closed after this time ("fixed since"). */
  closedAfter?: string | undefined;
  limit?: number | undefined;
  /** Opaque cursor from the previous page's `next`. */
  cursor?: string | undefined;
}

export interface FindingPage {
  items: StoredFinding[];
  next: string | undefined;
}

export interface TrendPoint {
  scan: string;
  at: string;
  total: number;
  bySeverity: Record<Severity, number>;
  byKind: Partial<Record<FindingKind, number>>;
}

export interface TimeToFix {
  severity: Severity;
  fixed: number;
  meanSeconds: number;
  medianSeconds: number;
  maxSeconds: number;
}

export interface WorkloadRisk {
  namespace: string;
  workload: string;
  score: number;
  findings: number;
  bySeverity: Partial<Record<Severity, number>>;
}

export interface PruneResult {
  scans: number;
  spans: number;
  findings: number;
}

/** Risk weights of a workload's open findings: one critical outweighs three highs. */
export const RISK_WEIGHT: Record<Severity, number> = { critical: 100, high: 30, medium: 10, low: 3, unknown: 2, info: 0 };

export const MAX_PAGE = 1000;

interface FindingRow {
  fingerprint: string;
  rule: string;
  kind: string;
  severity: string;
  severity_rank: number | string;
  title: string;
  namespace: string;
  workload: string;
  subject_path: string;
  /** '' when detail_packed holds it. */
  detail: string;
  detail_packed: Uint8Array | null;
  first_seen: string;
  opened_at: string;
  closed_at: string | null;
}

interface ScanRow {
  id: string;
  started_at: string;
  finished_at: string;
  reason: string;
  source: string;
  status: string;
  error: string | null;
  findings: number | string;
  opened: number | string;
  fixed: number | string;
  summary: string;
}

const FINDING_COLUMNS = 'f.fingerprint, f.rule, f.kind, f.severity, f.severity_rank, f.title, f.namespace, f.workload, f.subject_path, f.detail, f.detail_packed, f.first_seen, s.opened_at, s.closed_at';

/**
 * The spans a scan left open, by fingerprint, as the store that wrote that scan knows them: the detail hash, the
 * finding object stored (when this store stored it), and the last scan that saw it (`seen`, a number per scan). The
 * next scan updates the map in place: a 700,000-entry map built anew cost ~0.5 s per scan, an update of it ~0.05 s.
 */
interface OpenSpans {
  lastScan: string;
  byFp: Map<string, OpenSpan>;
}

interface OpenSpan {
  hash: string;
  finding: Finding | undefined;
  seen: number;
}

export class HistoryStore {
  readonly sql: SqlExecutor;
  private openCache: OpenSpans | undefined;
  /** Numbers the scans this store records (`OpenSpan.seen`). */
  private recorded = 0;

  constructor(sql: SqlExecutor) {
    this.sql = sql;
  }

  /**
   * Store a finished scan and return what changed since the previous one. A finding's JSON is written once, packed
   * (packed.ts), and only when it is new or changed: its detail hash is memoised per finding object, so the unchanged
   * findings an incremental rescan hands back are not serialised at all (nor looked up: the open spans remember the
   * object stored). The event loop runs every YIELD_ROWS findings written, or TURN_MS of work, also inside the
   * transaction: a first scan of 674,000 findings takes a minute to write, and the API, the admission webhook and
   * the liveness probe must answer meanwhile (on SQLite, a request then reads this connection's uncommitted rows;
   * the findings pages show a finding once its span is in, at the end).
   */
  async recordScan(input: { id: string; startedAt: Date; finishedAt: Date; reason: string; report: ScanReport }): Promise<ScanDiff> {
    const at = input.finishedAt.toISOString();
    const scan = ++this.recorded;
    let pending: OpenSpans | undefined;
    const cached = this.openCache;
    // Dropped until this transaction commits: a failed write leaves the database as it was, not as cached (the
    // map is updated in place as the findings are written, so a failed write loses it).
    this.openCache = undefined;
    // With nothing remembered (a first write, most findings new), the findings that count are keyed up front. Besides
    // leaving the loop below the first of each id, this allocates in one burst what a large write holds, and V8 then
    // grows its heap for it: 674,214 findings written with ~3 full collections in 78 s, against ~40 in 113 s when the
    // same memory came a finding at a time (each collection marking the whole history's worth of findings).
    const keyed = cached === undefined ? firstOfEachId(input.report.findings) : undefined;
    const diff = await this.sql.transaction(async (tx) => {
      // What is open: updated in place into what is open now, for the next scan of this store (kept once the transaction commits).
      const open = await this.openSpans(tx, cached);
      /** The report's findings that count: not suppressed, the first of an id listed twice. */
      const current: Finding[] = [];
      const opened: Finding[] = [];
      const spans: SqlValue[][] = [];
      let rows: SqlValue[][] = [];
      let lastTurn = performance.now();
      for (const f of keyed?.values() ?? input.report.findings) {
        if (rows.length >= YIELD_ROWS || ((current.length & 1023) === 0 && performance.now() - lastTurn > TURN_MS)) {
          // written a batch at a time: a first scan would otherwise hold every finding's packed detail at once
          await upsertFindings(tx, rows);
          rows = [];
          await turn();
          lastTurn = performance.now();
        }
        if (f.suppression !== undefined) continue;
        const fp = f.id;
        let span = open.get(fp);
        if (span?.seen === scan) continue;
        if (span === undefined) {
          opened.push(f);
          spans.push([fp, at, input.id]);
          span = { hash: '', finding: undefined, seen: scan };
          open.set(fp, span);
          current.push(f);
        } else {
          span.seen = scan;
          current.push(f);
          // the object this store wrote last time: unchanged (a rescan hands back most findings as they were)
          if (span.finding === f) continue;
        }
        span.finding = f;
        let hash = hashes.get(f);
        let json: string | undefined;
        if (hash === undefined) {
          json = JSON.stringify(f);
          hash = hashOf(json);
          hashes.set(f, hash);
        }
        if (span.hash === hash) continue;
        span.hash = hash;
        rows.push(findingRow(f, packDetail(json ?? JSON.stringify(f)), hash, at));
      }
      await upsertFindings(tx, rows);
      const gone: string[] = [];
      for (const [fp, span] of open) if (span.seen !== scan) gone.push(fp);
      for (const fp of gone) open.delete(fp);
      const fixed: StoredFinding[] = [];
      for (let i = 0; i < gone.length; i += 500) {
        const chunk = gone.slice(i, i + 500);
        const rows = await tx.all<FindingRow>(
          `SELECT ${FINDING_COLUMNS} FROM history_spans s JOIN history_findings f ON f.fingerprint = s.fingerprint WHERE s.closed_at IS NULL AND s.fingerprint IN (${chunk.map(() => '?').join(', ')})`,
          chunk,
        );
        for (const r of rows) fixed.push(toStored({ ...r, closed_at: at }));
      }
      const summary = input.report.summary;
      await tx.run('INSERT INTO history_scans (id, started_at, finished_at, reason, source, status, error, findings, opened, fixed, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        input.id,
        input.startedAt.toISOString(),
        at,
        input.reason,
        input.report.source.location,
        'ok',
        null,
        current.length,
        opened.length,
        fixed.length,
        JSON.stringify(summary),
      ]);
      await insertMany(tx, 'INSERT INTO history_spans (fingerprint, opened_at, opened_scan)', 3, spans, 'ON CONFLICT (fingerprint, opened_at) DO NOTHING');
      for (let i = 0; i < fixed.length; i += 500) {
        const chunk = fixed.slice(i, i + 500).map((f) => f.fingerprint);
        await tx.run(`UPDATE history_spans SET closed_at = ?, closed_scan = ? WHERE closed_at IS NULL AND fingerprint IN (${chunk.map(() => '?').join(', ')})`, [at, input.id, ...chunk]);
      }
      await insertMany(tx, 'INSERT INTO history_scan_counts (scan_id, kind, severity, namespace, count)', 5, countRows(input.id, current));
      pending = { lastScan: input.id, byFp: open };
      const record: ScanRecord = {
        id: input.id,
        startedAt: input.startedAt.toISOString(),
        finishedAt: at,
        reason: input.reason,
        source: input.report.source.location,
        status: 'ok',
        error: null,
        findings: current.length,
        opened: opened.length,
        fixed: fixed.length,
        summary,
      };
      return { scan: record, opened, fixed };
    });
    this.openCache = pending;
    return diff;
  }

  /**
   * The open findings' fingerprints and detail hashes (only the keys: the full rows are read for the ones fixed
   * now). Kept in memory from this store's previous scan while that scan is still the latest one and as many
   * spans are open (no other writer — another replica, a prune, a demo seed — came in between); else read.
   */
  private async openSpans(tx: SqlExecutor, cached: OpenSpans | undefined): Promise<Map<string, OpenSpan>> {
    if (cached !== undefined) {
      const [last] = await tx.all<{ id: string }>('SELECT id FROM history_scans ORDER BY started_at DESC, id DESC LIMIT 1');
      const [open] = await tx.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM history_spans WHERE closed_at IS NULL');
      if (last?.id === cached.lastScan && Number(open?.n) === cached.byFp.size) return cached.byFp;
    }
    const rows = await tx.all<{ fingerprint: string; detail_hash: string }>('SELECT s.fingerprint, f.detail_hash FROM history_spans s JOIN history_findings f ON f.fingerprint = s.fingerprint WHERE s.closed_at IS NULL');
    return new Map(rows.map((r) => [r.fingerprint, { hash: r.detail_hash, finding: undefined, seen: 0 }]));
  }

  /** A scan that failed: kept so the API and metrics show it; open findings are left as they were. */
  async recordFailure(input: { id: string; startedAt: Date; finishedAt: Date; reason: string; source: string; error: string }): Promise<void> {
    await this.sql.run('INSERT INTO history_scans (id, started_at, finished_at, reason, source, status, error, findings, opened, fixed, summary) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?)', [
      input.id,
      input.startedAt.toISOString(),
      input.finishedAt.toISOString(),
      input.reason,
      input.source,
      'failed',
      input.error,
      'null',
    ]);
  }

  async scans(options: { limit?: number; before?: string | undefined; status?: 'ok' | 'failed' | undefined } = {}): Promise<ScanRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (options.before !== undefined) {
      where.push('started_at < ?');
      params.push(options.before);
    }
    if (options.status !== undefined) {
      where.push('status = ?');
      params.push(options.status);
    }
    const rows = await this.sql.all<ScanRow>(
      `SELECT * FROM history_scans ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`,
      [...params, clampLimit(options.limit ?? 50)],
    );
    return rows.map(toScan);
  }

  async latestScan(): Promise<ScanRecord | undefined> {
    return (await this.scans({ limit: 1, status: 'ok' }))[0];
  }

  /** Findings by state and filters, worst first, paginated by an opaque keyset cursor. */
  async findings(query: FindingQuery = {}): Promise<FindingPage> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const state = query.state ?? 'open';
    if (state === 'open') where.push('s.closed_at IS NULL');
    if (state === 'fixed') where.push('s.closed_at IS NOT NULL');
    const add = (clause: string, value: SqlValue): void => {
      where.push(clause);
      params.push(value);
    };
    if (query.severity !== undefined) add('f.severity_rank >= ?', severityRank(query.severity));
    if (query.kind !== undefined) add('f.kind = ?', query.kind);
    if (query.namespace !== undefined) add('f.namespace = ?', query.namespace);
    if (query.rule !== undefined) add('f.rule = ?', query.rule);
    if (query.workload !== undefined) add('f.workload = ?', query.workload);
    if (query.openedAfter !== undefined) add('s.opened_at > ?', query.openedAfter);
    if (query.closedAfter !== undefined) add('s.closed_at > ?', query.closedAfter);
    if (query.text !== undefined && query.text !== '') {
      const pattern = `%${query.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push("(LOWER(f.subject_path) LIKE ? ESCAPE '\\' OR LOWER(f.title) LIKE ? ESCAPE '\\')");
      params.push(pattern, pattern);
    }
    const cursor = decodeCursor(query.cursor);
    if (cursor !== undefined) {
      where.push('(f.severity_rank < ? OR (f.severity_rank = ? AND (f.fingerprint > ? OR (f.fingerprint = ? AND s.opened_at > ?))))');
      params.push(cursor.rank, cursor.rank, cursor.fingerprint, cursor.fingerprint, cursor.openedAt);
    }
    const limit = clampLimit(query.limit ?? 100);
    // Findings drive the join (CROSS JOIN: SQLite keeps this order, PostgreSQL plans freely), so the page is read
    // in index order (severity_rank DESC, fingerprint) and stops at the limit instead of sorting every open span.
    where.unshift('f.fingerprint = s.fingerprint');
    const rows = await this.sql.all<FindingRow>(
      `SELECT ${FINDING_COLUMNS} FROM history_findings f CROSS JOIN history_spans s
       WHERE ${where.join(' AND ')}
       ORDER BY f.severity_rank DESC, f.fingerprint ASC, s.opened_at ASC LIMIT ?`,
      [...params, limit + 1],
    );
    const items = rows.slice(0, limit).map(toStored);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return { items, next: last === undefined ? undefined : encodeCursor(Number(last.severity_rank), last.fingerprint, last.opened_at) };
  }

  /** Counts per successful scan (oldest first), from the per-scan count rows. */
  async trends(options: { since?: string | undefined; namespace?: string | undefined } = {}): Promise<TrendPoint[]> {
    const params: SqlValue[] = [];
    let where = "sc.status = 'ok'";
    if (options.since !== undefined) {
      where += ' AND sc.started_at >= ?';
      params.push(options.since);
    }
    const nsJoin = options.namespace === undefined ? '' : ' AND c.namespace = ?';
    if (options.namespace !== undefined) params.unshift(options.namespace);
    const rows = await this.sql.all<{ id: string; at: string; kind: string | null; severity: string | null; n: number | string | null }>(
      `SELECT sc.id AS id, sc.started_at AS at, c.kind AS kind, c.severity AS severity, SUM(c.count) AS n
       FROM history_scans sc LEFT JOIN history_scan_counts c ON c.scan_id = sc.id${nsJoin}
       WHERE ${where} GROUP BY sc.id, sc.started_at, c.kind, c.severity ORDER BY sc.started_at ASC, sc.id ASC`,
      params,
    );
    const points = new Map<string, TrendPoint>();
    for (const r of rows) {
      let point = points.get(r.id);
      if (point === undefined) {
        point = { scan: r.id, at: r.at, total: 0, bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>, byKind: {} };
        points.set(r.id, point);
      }
      if (r.kind === null || r.severity === null) continue;
      const n = Number(r.n ?? 0);
      point.total += n;
      point.bySeverity[r.severity as Severity] += n;
      point.byKind[r.kind as FindingKind] = (point.byKind[r.kind as FindingKind] ?? 0) + n;
    }
    return [...points.values()];
  }

  /** Time from opening to fix, per severity, over spans fixed after `since`. */
  async timeToFix(options: { since?: string | undefined } = {}): Promise<TimeToFix[]> {
    const rows = await this.sql.all<{ severity: string; opened_at: string; closed_at: string }>(
      `SELECT f.severity, s.opened_at, s.closed_at FROM history_spans s JOIN history_findings f ON f.fingerprint = s.fingerprint
       WHERE s.closed_at IS NOT NULL${options.since === undefined ? '' : ' AND s.closed_at > ?'}`,
      options.since === undefined ? [] : [options.since],
    );
    const bySeverity = new Map<Severity, number[]>();
    for (const r of rows) {
      const seconds = (Date.parse(r.closed_at) - Date.parse(r.opened_at)) / 1000;
      const list = bySeverity.get(r.severity as Severity) ?? [];
      list.push(seconds);
      bySeverity.set(r.severity as Severity, list);
    }
    return SEVERITIES.filter((s) => bySeverity.has(s)).map((severity) => {
      const list = (bySeverity.get(severity) ?? []).sort((a, b) => a - b);
      const mid = Math.floor(list.length / 2);
      const median = list.length % 2 === 1 ? (list[mid] ?? 0) : ((list[mid - 1] ?? 0) + (list[mid] ?? 0)) / 2;
      return { severity, fixed: list.length, meanSeconds: list.reduce((a, b) => a + b, 0) / list.length, medianSeconds: median, maxSeconds: list[list.length - 1] ?? 0 };
    });
  }

  /** Workloads by the weighted severity of their open findings, worst first. */
  async workloadRisk(options: { namespace?: string | undefined; limit?: number } = {}): Promise<WorkloadRisk[]> {
    const rows = await this.sql.all<{ namespace: string; workload: string; severity: string; n: number | string }>(
      `SELECT f.namespace, f.workload, f.severity, COUNT(*) AS n FROM history_spans s JOIN history_findings f ON f.fingerprint = s.fingerprint
       WHERE s.closed_at IS NULL AND f.workload <> ''${options.namespace === undefined ? '' : ' AND f.namespace = ?'}
       GROUP BY f.namespace, f.workload, f.severity`,
      options.namespace === undefined ? [] : [options.namespace],
    );
    const byWorkload = new Map<string, WorkloadRisk>();
    for (const r of rows) {
      const entry = byWorkload.get(r.workload) ?? { namespace: r.namespace, workload: r.workload, score: 0, findings: 0, bySeverity: {} };
      const n = Number(r.n);
      const severity = r.severity as Severity;
      entry.bySeverity[severity] = (entry.bySeverity[severity] ?? 0) + n;
      entry.findings += n;
      entry.score += n * RISK_WEIGHT[severity];
      byWorkload.set(r.workload, entry);
    }
    return [...byWorkload.values()].sort((a, b) => b.score - a.score || b.findings - a.findings || a.workload.localeCompare(b.workload)).slice(0, clampLimit(options.limit ?? 100));
  }

  /** Retention: drop scans started before `cutoff`, spans fixed before it, and findings left with no span. */
  async prune(cutoff: Date): Promise<PruneResult> {
    const at = cutoff.toISOString();
    return this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM history_scan_counts WHERE scan_id IN (SELECT id FROM history_scans WHERE started_at < ?)', [at]);
      const scans = await tx.run('DELETE FROM history_scans WHERE started_at < ?', [at]);
      const deleted = await tx.all<{ fingerprint: string }>('DELETE FROM history_spans WHERE closed_at IS NOT NULL AND closed_at < ? RETURNING fingerprint', [at]);
      // Only the findings of the spans deleted can have lost their last one (a finding is written with its span):
      // those are checked, not every finding (a pass over 674,000 of them held the event loop ~5 s every hour).
      const candidates = [...new Set(deleted.map((r) => r.fingerprint))];
      let findings = 0;
      for (let i = 0; i < candidates.length; i += 500) {
        if (i > 0) await turn();
        const chunk = candidates.slice(i, i + 500);
        findings += await tx.run(
          `DELETE FROM history_findings WHERE fingerprint IN (${chunk.map(() => '?').join(', ')}) AND NOT EXISTS (SELECT 1 FROM history_spans s WHERE s.fingerprint = history_findings.fingerprint)`,
          chunk,
        );
      }
      return { scans, spans: deleted.length, findings };
    });
  }

  /**
   * Publish the latest scan for the followers of a shared store (serve/follow): one row, replaced. `body` is
   * serve/follow's encoding (base64 of gzip JSON). A scan older than the one published (a deposed leader's
   * late write) does not replace it.
   */
  async publishLatest(input: { scanId: string; finishedAt: Date; publishedAt: Date; body: string }): Promise<boolean> {
    const changed = await this.sql.run(
      'INSERT INTO history_latest (slot, scan_id, finished_at, published_at, body) VALUES (1, ?, ?, ?, ?) ON CONFLICT (slot) DO UPDATE SET scan_id = excluded.scan_id, finished_at = excluded.finished_at, published_at = excluded.published_at, body = excluded.body WHERE history_latest.finished_at <= excluded.finished_at',
      [input.scanId, input.finishedAt.toISOString(), input.publishedAt.toISOString(), input.body],
    );
    return changed > 0;
  }

  /** Which scan is published (without its body: what a follower polls), or undefined before the first. */
  async publishedScan(): Promise<{ scanId: string; finishedAt: string } | undefined> {
    const [row] = await this.sql.all<{ scan_id: string; finished_at: string }>('SELECT scan_id, finished_at FROM history_latest WHERE slot = 1');
    return row === undefined ? undefined : { scanId: row.scan_id, finishedAt: row.finished_at };
  }

  /** The published scan with its body. */
  async publishedBody(): Promise<{ scanId: string; finishedAt: string; body: string } | undefined> {
    const [row] = await this.sql.all<{ scan_id: string; finished_at: string; body: string }>('SELECT scan_id, finished_at, body FROM history_latest WHERE slot = 1');
    return row === undefined ? undefined : { scanId: row.scan_id, finishedAt: row.finished_at, body: row.body };
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}

/**
 * The detail hash of a finding (what decides whether its stored row is rewritten), memoised per finding object:
 * an incremental rescan hands the unchanged findings back as the same objects, so they are not serialised again.
 * Findings are not mutated once in a report.
 */
const hashes = new WeakMap<Finding, string>();

/** The detail hash of a finding's JSON: 16 hex digits of its SHA-256. */
function hashOf(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

/**
 * The most rows one upsert statement writes while a scan is recorded, then the event loop runs: ~0.1 s of work
 * (2,000 per statement held the event loop ~0.4 s at a time on a history of 674,000 findings, SQLite's inserts
 * into a large file being the slow part).
 */
const YIELD_ROWS = 500;
/**
 * The event loop also runs after this long (ms) without a write (findings that did not change): a turn after every
 * 500 findings cost ~0.4 s on a rescan of 674,000 findings that changed a hundred.
 */
const TURN_MS = 50;

/** A finding's row: `detail` is '' when the packed detail is there (migration history-003-packed-detail). */
function findingRow(f: Finding, packed: Buffer, hash: string, at: string): SqlValue[] {
  return [f.id, f.rule, f.kind, f.severity, severityRank(f.severity), f.title, f.subject.namespace ?? '', workloadOf(f), subjectPath(f.subject), '', packed, hash, at];
}

/** Insert or update finding rows (findingRow): first_seen stays the first sighting ever; everything else is the finding as last seen. */
async function upsertFindings(tx: SqlExecutor, rows: readonly SqlValue[][]): Promise<void> {
  if (rows.length === 0) return;
  await insertMany(
    tx,
    'INSERT INTO history_findings (fingerprint, rule, kind, severity, severity_rank, title, namespace, workload, subject_path, detail, detail_packed, detail_hash, first_seen)',
    13,
    rows,
    'ON CONFLICT (fingerprint) DO UPDATE SET rule = excluded.rule, kind = excluded.kind, severity = excluded.severity, severity_rank = excluded.severity_rank, title = excluded.title, namespace = excluded.namespace, workload = excluded.workload, subject_path = excluded.subject_path, detail = excluded.detail, detail_packed = excluded.detail_packed, detail_hash = excluded.detail_hash',
  );
}

/** `namespace/Kind/name` of a finding's workload, '' when it has none. */
export function workloadOf(f: Finding): string {
  const w = f.subject.workload;
  return w === undefined ? '' : `${f.subject.namespace ?? ''}/${w.kind}/${w.name}`;
}

/** The findings that count, by id: not suppressed, the first of an id listed twice. */
function firstOfEachId(findings: readonly Finding[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of findings) if (f.suppression === undefined && !out.has(f.id)) out.set(f.id, f);
  return out;
}

function countRows(scanId: string, findings: readonly Finding[]): SqlValue[][] {
  return countFindings(findings).map((c) => [scanId, c.kind, c.severity, c.namespace, c.count]);
}

function toStored(r: FindingRow): StoredFinding {
  return {
    fingerprint: r.fingerprint,
    rule: r.rule,
    kind: r.kind as FindingKind,
    severity: r.severity as Severity,
    title: r.title,
    namespace: r.namespace,
    workload: r.workload,
    subjectPath: r.subject_path,
    firstSeen: r.first_seen,
    openedAt: r.opened_at,
    closedAt: r.closed_at,
    finding: JSON.parse(r.detail_packed === null ? r.detail : unpackDetail(r.detail_packed, `The stored finding ${r.fingerprint}`)) as Finding,
  };
}

function toScan(r: ScanRow): ScanRecord {
  return {
    id: r.id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    reason: r.reason,
    source: r.source,
    status: r.status === 'failed' ? 'failed' : 'ok',
    error: r.error,
    findings: Number(r.findings),
    opened: Number(r.opened),
    fixed: Number(r.fixed),
    summary: JSON.parse(r.summary) as ScanReport['summary'] | null,
  };
}

function clampLimit(n: number): number {
  return Math.max(1, Math.min(MAX_PAGE, Math.floor(n)));
}

function encodeCursor(rank: number, fingerprint: string, openedAt: string): string {
  return Buffer.from(JSON.stringify([rank, fingerprint, openedAt])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): { rank: number; fingerprint: string; openedAt: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (!Array.isArray(value) || value.length !== 3 || typeof value[0] !== 'number' || typeof value[1] !== 'string' || typeof value[2] !== 'string') throw new InvalidCursorError(cursor);
  return { rank: value[0], fingerprint: value[1], openedAt: value[2] };
}

/** A `cursor` that is not a `next` value of this API: a usage error (HTTP 400). */
export class InvalidCursorError extends UsageError {
  constructor(cursor: string) {
    super(`Invalid cursor "${cursor.slice(0, 40)}": pass the "next" value of the previous page unchanged`);
  }
}
