/**
 * `runwarden db …`: the local vulnerability database. import (a path or URL, one atomic transaction),
 * update (the configured mirrors), status (counts, last update, staleness), show (one advisory by id or
 * alias) and query (what affects a package, or one version of it).
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { closest } from 'fastest-levenshtein';
import { AppError, EXIT, UsageError } from '../../core/errors.js';
import { ECOSYSTEMS } from '../../core/ecosystem.js';
import type { Issue } from '../../core/issue.js';
import type { Package } from '../../core/package.js';
import { chosenDbPath } from '../../store/db.js';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { loadVulnDbConfig, type Mirror } from '../../vulndb/config.js';
import { ageText, behindText, feedsBehind } from '../../vulndb/freshness.js';
import { emptyFeed, importAdvisories, importFailure, type FeedError, type ImportProgress, type ImportResult } from '../../vulndb/import.js';
import { describeRange } from '../../vulndb/match/evaluate.js';
import { NO_ADVISORIES, SOURCE_NAMED, matchPackages } from '../../vulndb/match/index.js';
import { SOURCES, getSource } from '../../vulndb/registry.js';
import { advisoriesById, candidateRows, feedUpdates, knownEcosystems, openVulnDb, recordMirrors, storeStatus, type AffectedData, type Db, type SourceId } from '../../vulndb/store/index.js';
import { RELEASE_SCOPED, splitEcosystem } from '../../vulndb/store/keys.js';
import { InvalidCvssError, scoreVector } from '../../vulndb/cvss/index.js';
import type { CliContext } from '../context.js';
import { updateLifecycle, type UpdateResult } from '../../lifecycle/data/update.js';
import { importSignatures, signatureStatusLines } from './db-signatures.js';
import { withInterrupt } from './node.js';
import { SIGNATURE_EXTENSIONS, isSignatureFile } from '../../malware/index.js';

/** "  (7.2, high)" after a CVSS vector `db show` prints, or why it cannot be scored (the matcher then uses the next severity source). */
function scoreNote(type: string, vector: string): string {
  if (!type.startsWith('CVSS_')) return '';
  try {
    const score = scoreVector(vector);
    return `  (${score.baseScore.toFixed(1)}, ${score.rating})`;
  } catch (error) {
    return error instanceof InvalidCvssError ? `  (not scored: ${error.reason})` : '';
  }
}

/** Release keys shown in the status table: the newest 8 (version order) and how many older ones. */
function releasesShown(releases: readonly string[]): string {
  return releases.length <= 8 ? releases.join(', ') : `${releases.length - 8} older, ${releases.slice(-8).join(', ')}`;
}

interface DbFlags {
  db?: string;
  format?: string;
}

function dbPath(flags: DbFlags, ctx: CliContext): string {
  return chosenDbPath(flags.db, ctx.env);
}

/** Open an existing database for reading; a missing file is a clear error, not an empty answer. */
function openExisting(path: string): Db {
  if (path !== ':memory:' && !existsSync(path)) {
    throw new AppError('db-missing', `No vulnerability database at "${path}"`, { hint: 'Run "runwarden db update" (or "runwarden db import <path|url>"), or pass --db PATH.' });
  }
  return openVulnDb(path);
}

function checkFormat(format: string | undefined): 'table' | 'json' {
  const f = format ?? 'table';
  if (f !== 'table' && f !== 'json') throw new UsageError(`Unknown --format "${f}": expected table or json`);
  return f;
}

function progressWriter(ctx: CliContext, label: string): ((p: ImportProgress) => void) | undefined {
  if (ctx.stderr.isTTY !== true) return undefined;
  return (p) => {
    const what = p.phase === 'download' ? `downloaded ${(p.done / 1048576).toFixed(1)} MiB${p.total === undefined ? '' : ` of ${(p.total / 1048576).toFixed(1)} MiB`}` : `read ${p.done} records`;
    ctx.stderr.write(`\r\x1b[2K${label}: ${what}`);
  };
}

/** A download failed transiently and is tried again: said on stderr, whatever the format (stdout stays the report). */
function retryWriter(ctx: CliContext, label: string): (error: FeedError, attempt: number, delayMs: number) => void {
  return (error, attempt, delayMs) => {
    clearProgress(ctx);
    ctx.stderr.write(`runwarden: ${label}: ${error.message}; trying again in ${(delayMs / 1000).toFixed(delayMs % 1000 === 0 ? 0 : 1)} s (attempt ${attempt})\n`);
  };
}

function clearProgress(ctx: CliContext): void {
  if (ctx.stderr.isTTY === true) ctx.stderr.write('\r\x1b[2K');
}

function summaryLine(r: ImportResult): string {
  if (r.notModified) return `${r.feed}: not modified since the last update`;
  const c = r.counts;
  return `${r.feed} (${r.source}): ${c.added} added, ${c.updated} updated, ${c.unchanged} unchanged, ${c.withdrawn} withdrawn, ${c.retired} retired, ${c.rejected} rejected`;
}

function writeIssues(ctx: CliContext, issues: readonly Issue[], limit = 20): void {
  // with the hint, as the report formats show it: the issue says what is missing, the hint how to close the gap
  for (const i of issues.slice(0, limit)) ctx.stderr.write(`  ${i.code}: ${i.message}${i.location === undefined ? '' : ` [${i.location}]`}${i.hint === undefined ? '' : ` — ${i.hint}`}\n`);
  if (issues.length > limit) ctx.stderr.write(`  … and ${issues.length - limit} more (use --format json for all)\n`);
}

function sourceOption(value: string | undefined): SourceId | undefined {
  if (value === undefined) return undefined;
  return getSource(value).id;
}

function importCommand(ctx: CliContext): Command {
  return new Command('import')
    .description('Import advisories from a file, directory, zip or URL (one transaction: on failure the database is unchanged)')
    .argument('<path|url>', `input: ${SOURCES.flatMap((s) => s.formats).join('; ')}; ClamAV signatures: ${SIGNATURE_EXTENSIONS.map((e) => `.${e}`).join(' ')}`)
    .option('--source <id>', `source format: ${SOURCES.map((s) => s.id).join(', ')} (default: detected)`)
    .option('--db <path>', 'database file (default: $RUNWARDEN_DB or ~/.local/share/runwarden/runwarden.db)')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (input: string, flags: DbFlags & { source?: string }) => {
      const format = checkFormat(flags.format);
      const source = sourceOption(flags.source);
      const db = openVulnDb(dbPath(flags, ctx));
      try {
        if (source === undefined && isSignatureFile(input)) {
          await importSignatures(ctx, db, input, format);
          return;
        }
        const result = await importAdvisories(db, input, { source, onProgress: progressWriter(ctx, input), onRetry: retryWriter(ctx, input) });
        clearProgress(ctx);
        if (format === 'json') ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          ctx.stdout.write(`${summaryLine(result)}\n`);
          if (result.issues.length > 0) {
            ctx.stderr.write(`runwarden: ${result.issues.length} issue(s) while importing ${input}${emptyFeed(result) ? '' : '; the other records were imported'}:\n`);
            writeIssues(ctx, result.issues);
          }
        }
        // an input that gave nothing is a mistake or a broken feed: a script must not read it as success
        if (emptyFeed(result)) ctx.exitCode = EXIT.runtime;
      } finally {
        clearProgress(ctx);
        db.close();
      }
    });
}

type UpdateFlags = DbFlags & { config?: string; source?: string; lifecycle?: boolean; lifecycleUrl?: string; every?: string };

/** With --every, a run in which a mirror failed is retried after this long (or --every, if shorter). */
const UPDATE_RETRY_MS = 30 * 60_000;

function updateCommand(ctx: CliContext): Command {
  return new Command('update')
    .description('Fetch every configured mirror (conditional on ETag) and import what changed')
    .option('--config <file>', 'vulndb config (YAML/JSON with "mirrors"); default: $RUNWARDEN_VULNDB_CONFIG or the public feeds')
    .option('--source <id>', 'only mirrors of this source')
    .option('--lifecycle-url <url>', 'end-of-life data URL (default: $RUNWARDEN_LIFECYCLE_URL or the endoflife.date API; see "runwarden lifecycle update")')
    .option('--no-lifecycle', 'do not refresh the end-of-life data')
    .option('--every <duration>', 'keep running: update again every duration, e.g. 6h (a sidecar of runwarden serve, which re-matches on each update); a run in which a mirror failed is retried within 30m; SIGTERM stops it')
    .option('--db <path>', 'database file')
    .option('-f, --format <format>', 'table or json (with --every: one line of JSON per run)', 'table')
    .action(async (flags: UpdateFlags) => {
      const format = checkFormat(flags.format);
      const everyMs = flags.every === undefined ? undefined : parseDuration(flags.every, '--every', { min: 1000 });
      const config = await loadVulnDbConfig(flags.config ?? (ctx.env.RUNWARDEN_VULNDB_CONFIG === '' ? undefined : ctx.env.RUNWARDEN_VULNDB_CONFIG));
      const only = sourceOption(flags.source);
      const mirrors = config.mirrors.filter((m) => only === undefined || m.source === only);
      if (mirrors.length === 0) throw new UsageError(`No mirror of source "${only ?? ''}" is configured`, { hint: 'Add one to the vulndb config "mirrors".' });
      if (everyMs === undefined) {
        ctx.exitCode = await updateOnce(flags, ctx, format, config.mirrors, mirrors, only, undefined);
        return;
      }
      await withInterrupt(async (signal) => {
        for (let run = 1; ; run++) {
          let status: number;
          try {
            status = await updateOnce(flags, ctx, format, config.mirrors, mirrors, only, signal);
          } catch (error) {
            // stopped during an import: it is rolled back, the database keeps what it had
            if (signal.aborted) return;
            // the first run fails loudly (a database that cannot be opened: a crash-looping sidecar says so);
            // later ones (a full disk, a locked file) are logged and retried
            if (run === 1 || !(error instanceof AppError)) throw error;
            ctx.stderr.write(`runwarden: db update run ${run} failed: ${error.message}\n`);
            status = EXIT.runtime;
          }
          if (signal.aborted) return;
          const wait = status === EXIT.ok ? everyMs : Math.min(everyMs, UPDATE_RETRY_MS);
          if (format === 'table') ctx.stderr.write(`runwarden: next update in ${formatDuration(wait)}, at ${new Date(Date.now() + wait).toISOString()}\n`);
          try {
            await sleep(wait, undefined, { signal });
          } catch {
            // SIGTERM or SIGINT while waiting: the loop is how a sidecar runs, and stopping it is not a failure
            return;
          }
        }
      });
    });
}

/** One `db update`: the end-of-life data, then every mirror of `mirrors`; the exit status of the run. `signal`: the --every loop's (its JSON is one line). */
async function updateOnce(flags: UpdateFlags, ctx: CliContext, format: 'table' | 'json', configured: readonly Mirror[], mirrors: readonly Mirror[], only: SourceId | undefined, signal: AbortSignal | undefined): Promise<number> {
  const loop = signal !== undefined;
  let status: number = EXIT.ok;
  const db = openVulnDb(dbPath(flags, ctx));
  const results: ImportResult[] = [];
  const failures: Issue[] = [];
  /** Mirrors that failed, or answered but gave nothing (or nothing of a release the database holds). */
  const failedMirrors: Array<{ label: string; url: string }> = [];
  /** When each feed last gave data, read for the failed mirrors' message. */
  let updates = new Map<string, string>();
  let lifecycle: UpdateResult | undefined;
  try {
    // The end-of-life data lives in the same database (lifecycle_products); --source narrows to advisories.
    if (flags.lifecycle !== false && only === undefined) {
      lifecycle = await updateLifecycle(db, { url: flags.lifecycleUrl ?? (ctx.env.RUNWARDEN_LIFECYCLE_URL === '' ? undefined : ctx.env.RUNWARDEN_LIFECYCLE_URL) });
      if (format === 'table') ctx.stdout.write(`end-of-life data ${lifecycle.url}: ${lifecycle.updated.length} product(s) updated, ${lifecycle.failed.length} failed\n`);
    }
    // every report checks each of these for staleness (freshness.ts feedsBehind): the whole configured list,
    // also when --source narrowed this run
    recordMirrors(db, configured.map((m) => ({ url: m.url, name: m.name ?? m.url })));
    for (const mirror of mirrors) {
      try {
        const label = mirror.name ?? mirror.url;
        const result = await importAdvisories(db, mirror.url, { source: mirror.source, conditional: true, signal, shared: loop, onProgress: progressWriter(ctx, label), onRetry: retryWriter(ctx, label) });
        clearProgress(ctx);
        results.push(result);
        if (format === 'table') ctx.stdout.write(`${summaryLine(result)}\n`);
        if (emptyFeed(result)) failedMirrors.push({ label, url: mirror.url });
      } catch (error) {
        clearProgress(ctx);
        if (signal?.aborted === true) throw error;
        const failure = importFailure(mirror.url, error);
        failures.push(failure);
        failedMirrors.push({ label: mirror.name ?? mirror.url, url: mirror.url });
        if (format === 'table') ctx.stderr.write(`runwarden: ${mirror.name ?? mirror.url}: ${failure.message}${failure.hint === undefined ? '' : ` Hint: ${failure.hint}`}\n`);
      }
    }
    if (failedMirrors.length > 0) updates = feedUpdates(db);
  } finally {
    db.close();
  }
  if (format === 'json') ctx.stdout.write(`${JSON.stringify({ results, lifecycle, failures }, null, loop ? undefined : 2)}\n`);
  else {
    const issues = results.flatMap((r) => r.issues);
    if (issues.length > 0) {
      ctx.stderr.write(`runwarden: ${issues.length} issue(s); the other records were imported:\n`);
      writeIssues(ctx, issues);
    }
  }
  if (failedMirrors.length > 0) {
    const now = Date.now();
    const ages = failedMirrors.slice(0, 5).map((m) => {
      const last = updates.get(m.url);
      return `${m.label}: ${last === undefined ? 'no data from it yet' : `its data is ${ageText((now - Date.parse(last)) / 3_600_000)} old`}`;
    });
    const more = failedMirrors.length > ages.length ? `; ${failedMirrors.length - ages.length} more` : '';
    ctx.stderr.write(`runwarden: ${failedMirrors.length} of ${mirrors.length} mirror(s) failed; the database keeps their previous data (${ages.join('; ')}${more}).\n`);
    status = EXIT.runtime;
  }
  if (lifecycle !== undefined && lifecycle.failed.length > 0) {
    if (format === 'table') writeIssues(ctx, lifecycle.issues);
    ctx.stderr.write(`runwarden: end-of-life data: ${lifecycle.failed.length} product(s) failed to update; their stored cycles are kept.\n`);
    status = EXIT.runtime;
  }
  return status;
}

function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description('Advisories per source and ecosystem, last update, and a warning when the data is stale')
    .option('--db <path>', 'database file')
    .option('--config <file>', 'vulndb config (for staleAfterHours)')
    .option('-f, --format <format>', 'table or json', 'table')
    .addOption(new Option('--now <iso-time>', 'evaluate staleness as of this time').hideHelp())
    .action(async (flags: DbFlags & { config?: string; now?: string }) => {
      const format = checkFormat(flags.format);
      const config = await loadVulnDbConfig(flags.config ?? (ctx.env.RUNWARDEN_VULNDB_CONFIG === '' ? undefined : ctx.env.RUNWARDEN_VULNDB_CONFIG));
      const now = flags.now === undefined ? new Date() : new Date(flags.now);
      if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now ?? ''}": expected an ISO 8601 time`);
      const path = dbPath(flags, ctx);
      const db = openExisting(path);
      try {
        const status = storeStatus(db);
        const ageHours = status.lastUpdate === null ? undefined : (now.getTime() - Date.parse(status.lastUpdate)) / 3_600_000;
        const old = ageHours === undefined || ageHours > config.staleAfterHours;
        // mirrors of the last `db update` that have not given data for longer than that (newer ones keep the last update recent)
        const { behind, tracked } = feedsBehind(db, now, config.staleAfterHours);
        const stale = old || behind.length > 0;
        const signatures = signatureStatusLines(db, now);
        if (format === 'json') {
          ctx.stdout.write(`${JSON.stringify({ database: path, ...status, ageHours: ageHours ?? null, stale, staleAfterHours: config.staleAfterHours, feedsBehind: behind, malware: signatures.json }, null, 2)}\n`);
          return;
        }
        const out: string[] = [`Database: ${path}`, `Advisories: ${status.advisories} (${status.withdrawn} withdrawn), affected-package rows: ${status.affectedRows}`];
        out.push(`Last update: ${status.lastUpdate ?? 'never'}${ageHours === undefined ? '' : ` (${ageText(ageHours)} ago)`}`, '', 'SOURCE           ADVISORIES  WITHDRAWN  FEEDS  LAST IMPORT');
        for (const s of status.bySource) out.push(`${s.source.padEnd(16)} ${String(s.advisories).padStart(10)}  ${String(s.withdrawn).padStart(9)}  ${String(s.feeds).padStart(5)}  ${s.lastImport ?? '-'}`);
        // the releases held: an image of another release is not checked (scans say so, as vuln-no-advisories)
        out.push('', 'SOURCE           ECOSYSTEM             ADVISORIES  PACKAGES  RELEASES');
        for (const e of status.byEcosystem) out.push(`${e.source.padEnd(16)} ${e.ecosystem.padEnd(20)} ${String(e.advisories).padStart(10)}  ${String(e.packages).padStart(8)}  ${releasesShown(e.releases)}`.trimEnd());
        if (behind.length > 0) {
          out.push('', `FEEDS BEHIND (${behind.length} of ${tracked} mirrors of the last db update)`, 'NAME                             LAST UPDATE                AGE');
          for (const f of behind) out.push(`${f.name.padEnd(32)} ${f.lastUpdate.padEnd(26)} ${ageText(f.ageHours)}`);
        }
        out.push(...signatures.lines);
        ctx.stdout.write(`${out.join('\n')}\n`);
        if (old) {
          ctx.stderr.write(
            `runwarden: warning: the vulnerability data is ${ageHours === undefined ? 'empty (never imported)' : `${ageText(ageHours)} old (more than ${config.staleAfterHours} h)`}; new CVEs may be missing. Run "runwarden db update".\n`,
          );
        } else if (behind.length > 0) {
          ctx.stderr.write(
            `runwarden: warning: ${behind.length} of ${tracked} feeds ${behind.length === 1 ? 'was' : 'were'} last updated more than ${config.staleAfterHours} h ago (${behindText(behind)}); their new CVEs may be missing. Run "runwarden db update" and see why those mirrors fail.\n`,
          );
        }
      } finally {
        db.close();
      }
    });
}

function showCommand(ctx: CliContext): Command {
  return new Command('show')
    .description('Show advisories by id or alias (CVE, GHSA, PYSEC, GO, DSA, …)')
    .argument('<id>', 'advisory id or alias')
    .option('--db <path>', 'database file')
    .option('-f, --format <format>', 'table or json', 'table')
    .action((id: string, flags: DbFlags) => {
      const format = checkFormat(flags.format);
      const db = openExisting(dbPath(flags, ctx));
      try {
        const found = advisoriesById(db, id);
        if (found.length === 0) throw new AppError('not-found', `No advisory "${id}" (as id or alias) in the database`, { hint: 'Check the id, or import the source that has it (runwarden db status lists what is there).' });
        if (format === 'json') {
          ctx.stdout.write(`${JSON.stringify(found.map((a) => ({ source: a.source, feed: a.feed, fetchedAt: a.fetchedAt, record: a.record })), null, 2)}\n`);
          return;
        }
        const out: string[] = [];
        for (const a of found) {
          const r = a.record;
          out.push(`${r.id}  [${a.source}]${a.withdrawn === null ? '' : `  WITHDRAWN ${a.withdrawn}`}`);
          if (r.aliases !== undefined && r.aliases !== null && r.aliases.length > 0) out.push(`  aliases:   ${r.aliases.join(', ')}`);
          if (r.related !== undefined && r.related.length > 0) out.push(`  related:   ${r.related.join(', ')}`);
          if (r.summary !== undefined) out.push(`  summary:   ${r.summary}`);
          out.push(`  modified:  ${r.modified}${r.published === undefined ? '' : `   published: ${r.published}`}`);
          for (const s of r.severity ?? []) out.push(`  severity:  ${s.type} ${s.score}${scoreNote(s.type, s.score)}`);
          for (const entry of r.affected ?? []) {
            if (entry.package === undefined) continue;
            const status = entry.database_specific?.['runwarden_status'];
            out.push(`  affects:   ${entry.package.ecosystem} ${entry.package.name}${typeof status === 'string' ? ` (${status})` : ''}`);
            for (const range of entry.ranges ?? []) out.push(`             ${range.type}: ${describeRange(range)}`);
            if (entry.versions !== undefined && entry.versions.length > 0) out.push(`             versions: ${entry.versions.length > 12 ? `${entry.versions.slice(0, 12).join(', ')}, … (${entry.versions.length})` : entry.versions.join(', ')}`);
          }
          if (r.details !== undefined) out.push(`  details:   ${r.details.split('\n')[0]?.slice(0, 300) ?? ''}`);
          out.push(`  source:    ${a.feed} (fetched ${a.fetchedAt})`, '');
        }
        ctx.stdout.write(`${out.join('\n')}`);
      } finally {
        db.close();
      }
    });
}

/** Resolve the ecosystem the user typed against the table and the database; UsageError lists the known ones. */
function resolveEcosystem(input: string, db: Db): { ecosystem: string; release: string | undefined } {
  const { ecosystem, suffix } = splitEcosystem(input);
  const known = [...new Set([...ECOSYSTEMS.map((e) => e.ecosystem), ...knownEcosystems(db)])].sort((a, b) => a.localeCompare(b));
  if (known.includes(ecosystem)) return { ecosystem, release: suffix === '' ? undefined : suffix };
  const folded = known.find((k) => k.toLowerCase() === ecosystem.toLowerCase());
  const suggestion = folded ?? closest(ecosystem, known);
  throw new UsageError(`Unknown ecosystem "${input}": known ecosystems are ${known.join(', ')}. Did you mean "${suggestion}"?`, { hint: 'OSV ecosystem names are case-sensitive; OS ecosystems take a release, e.g. "Debian:12", "Alpine:v3.19".' });
}

function queryCommand(ctx: CliContext): Command {
  return new Command('query')
    .description('What affects a package (all advisories), or one version of it (matched like a scan)')
    .argument('<ecosystem>', 'OSV ecosystem, e.g. npm, PyPI, Go, Maven, Debian:12, Alpine:v3.19, Ubuntu:22.04')
    .argument('<package>', 'package name (source package for Debian/Ubuntu, origin for Alpine)')
    .argument('[version]', 'installed version; omit to list every advisory for the package')
    .option('--db <path>', 'database file')
    .option('-f, --format <format>', 'table or json', 'table')
    .action((ecosystemArg: string, name: string, version: string | undefined, flags: DbFlags) => {
      const format = checkFormat(flags.format);
      const db = openExisting(dbPath(flags, ctx));
      try {
        const { ecosystem, release } = resolveEcosystem(ecosystemArg, db);
        if (version === undefined) {
          const rows = candidateRows(db, ecosystem, name).filter((r) => release === undefined || r.release === '' || r.release === release);
          const items = rows.map((r) => ({ id: r.id, source: r.source, release: r.release, data: JSON.parse(r.data) as AffectedData }));
          if (format === 'json') {
            ctx.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
            return;
          }
          if (items.length === 0) {
            ctx.stdout.write(`No advisories for ${ecosystemArg} ${name}.\n`);
            bySourceHint(ctx, ecosystem, name);
            return;
          }
          for (const item of items) {
            const ranges = (item.data.ranges ?? []).map((r) => `${r.type}: ${describeRange(r)}`).join('; ');
            const versions = item.data.versions === undefined ? '' : ` versions: ${item.data.versions.length}`;
            ctx.stdout.write(`${item.id.padEnd(28)} ${item.source.padEnd(14)} ${item.release === '' ? '' : `${item.release} `}${item.data.status === undefined ? '' : `[${item.data.status}] `}${ranges}${versions}\n`);
          }
          return;
        }
        if (RELEASE_SCOPED.has(ecosystem) && release === undefined) {
          throw new UsageError(`${ecosystem} advisories are per release: give it as "${ecosystem}:<release>", e.g. "${ecosystem === 'Alpine' ? 'Alpine:v3.19' : ecosystem === 'Ubuntu' ? 'Ubuntu:22.04' : `${ecosystem}:12`}"`);
        }
        const pkg: Package = { ecosystem, name, version, foundBy: 'db query' };
        if (release !== undefined && RELEASE_SCOPED.has(ecosystem)) {
          pkg.distro = { id: ecosystem.toLowerCase(), release };
          pkg.source = { name, version };
        }
        const result = matchPackages(db, [pkg], { subject: { type: 'image', image: `${ecosystemArg} ${name}@${version}` } });
        if (format === 'json') {
          ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        // no advisory of the ecosystem (release) at all: "not vulnerable" would be a guess
        const unchecked = result.issues.some((i) => i.code === NO_ADVISORIES);
        if (result.findings.length === 0) {
          ctx.stdout.write(`${ecosystemArg} ${name} ${version}: ${unchecked ? 'not checked (see below)' : 'no known vulnerability'}.\n`);
          // no advisory names it at all: for a distribution filing by source package, likely a binary package's name
          if (!unchecked && candidateRows(db, ecosystem, name).every((r) => release !== undefined && r.release !== '' && r.release !== release)) bySourceHint(ctx, ecosystem, name);
        }
        for (const f of result.findings) {
          const e = f.evidence as { state: string; ids: string[]; fixedVersions: string[]; fixStatus: string };
          // state unknown: the version could not be compared (an issue below says why), so no fix applies yet
          const verdict = e.state === 'unknown' ? 'unknown: could not be decided (see below)' : `${e.state}; ${e.fixedVersions.length > 0 ? `fixed in ${e.fixedVersions.join(', ')}` : e.fixStatus}`;
          ctx.stdout.write(`${f.severity.toUpperCase().padEnd(8)} ${e.ids.join(', ')}  ${verdict}\n`);
        }
        if (result.issues.length > 0) writeIssues(ctx, result.issues);
      } finally {
        db.close();
      }
    });
}

/**
 * `db query` of a name no advisory of a distribution names: its advisories are filed by source package (Debian,
 * Ubuntu, the RPM rebuilds) or origin (Alpine), so a binary package's name (`libssl3`) finds nothing even when
 * its source (`openssl`) is affected. Said on stderr, so "no known vulnerability" is not taken as the answer.
 */
function bySourceHint(ctx: CliContext, ecosystem: string, name: string): void {
  if (!SOURCE_NAMED.has(ecosystem)) return;
  const apk = ecosystem === 'Alpine' || ecosystem === 'Wolfi' || ecosystem === 'Chainguard';
  const how = apk ? 'the "o:" line of its entry in /lib/apk/db/installed names it' : ecosystem === 'Debian' || ecosystem === 'Ubuntu' ? `dpkg-query -W -f='\${source:Package}' ${name} prints it` : `rpm -q --qf '%{SOURCERPM}' ${name} names it`;
  ctx.stderr.write(`runwarden: note: no ${ecosystem} advisory names "${name}": they are filed by ${apk ? 'origin' : 'source'} package (${how}; libssl3 is under openssl). Query that name.\n`);
}

/** Subcommands do not inherit the program's output and exit settings (commander's addCommand), so set them. */
export function asSubcommand(command: Command, ctx: CliContext): Command {
  return command
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
}

export function dbCommand(ctx: CliContext): Command {
  const db = new Command('db').description('Manage the local vulnerability database (import, update, status, show, query)');
  for (const make of [importCommand, updateCommand, statusCommand, showCommand, queryCommand]) db.addCommand(asSubcommand(make(ctx), ctx));
  return db;
}

