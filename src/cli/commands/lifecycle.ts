/**
 * `runwarden lifecycle …`: the end-of-life data and one-off image verdicts.
 *   update  refresh the stored release cycles from the endoflife.date API (or a mirror, --url)
 *   status  what is stored: products, cycles, source, when fetched
 *   check   verdicts for image references (offline from the reference; --online asks the registry)
 */
import { Command, Option } from 'commander';
import { EXIT, UsageError } from '../../core/errors.js';
import { parseImageReference } from '../../core/image-ref.js';
import type { Issue } from '../../core/issue.js';
import { DEFAULT_LIFECYCLE_URL, updateLifecycle } from '../../lifecycle/data/update.js';
import { loadLifecycle, readLifecycle } from '../../lifecycle/data/store.js';
import { observeFreshness, RegistryProbe } from '../../lifecycle/freshness/index.js';
import { DEFAULT_EOL_LOOKAHEAD_DAYS, imageLifecycle } from '../../lifecycle/verdict/image.js';
import { verdictOf } from '../../lifecycle/verdict/findings.js';
import { chosenDbPath, openDatabase } from '../../store/db.js';
import type { CliContext } from '../context.js';
import { asSubcommand } from './db.js';
import { registryClientFrom, type ImageAccessFlags } from './image.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];

/** `90d`, `12w`, `90` → days; a clear error for anything else. */
export function parseDays(value: string, flag: string): number {
  const m = /^(\d{1,5})([dw]?)$/.exec(value.trim());
  if (m?.[1] === undefined) throw new UsageError(`Invalid ${flag} "${value}": expected a number of days like 90d (or weeks like 12w)`);
  return Number(m[1]) * (m[2] === 'w' ? 7 : 1);
}

export function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const now = new Date(value);
  if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${value}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
  return now;
}

function checkFormat(format: string | undefined): 'table' | 'json' {
  const f = format ?? 'table';
  if (f !== 'table' && f !== 'json') throw new UsageError(`Unknown --format "${f}": expected table or json`);
  return f;
}

function writeIssues(ctx: CliContext, issues: readonly Issue[]): void {
  for (const i of issues.slice(0, 20)) ctx.stderr.write(`  ${i.code}: ${i.message}${i.location === undefined ? '' : ` [${i.location}]`}\n`);
  if (issues.length > 20) ctx.stderr.write(`  … and ${issues.length - 20} more (use --format json for all)\n`);
}

function updateCommand(ctx: CliContext): Command {
  return new Command('update')
    .description('Refresh the end-of-life data from the endoflife.date API (or a mirror); products that fail keep their stored cycles')
    .option('--url <url>', `API URL: with {product}, a base for <product>.json, or a whole snapshot .json (default: $RUNWARDEN_LIFECYCLE_URL or ${DEFAULT_LIFECYCLE_URL})`)
    .option('--product <names>', 'only these products (comma-separated or repeated)', collect)
    .option('--db <path>', 'database file (default: $RUNWARDEN_DB or ~/.local/share/runwarden/runwarden.db)')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (flags: { url?: string; product?: string[]; db?: string; format?: string }) => {
      const format = checkFormat(flags.format);
      const url = flags.url ?? (ctx.env.RUNWARDEN_LIFECYCLE_URL === '' ? undefined : ctx.env.RUNWARDEN_LIFECYCLE_URL);
      if (url !== undefined && !/^https?:\/\//.test(url)) throw new UsageError(`Invalid --url "${url}": expected an http(s) URL, e.g. ${DEFAULT_LIFECYCLE_URL}`);
      const db = openDatabase(chosenDbPath(flags.db, ctx.env));
      try {
        const result = await updateLifecycle(db, { url, products: flags.product });
        if (format === 'json') ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          ctx.stdout.write(`${result.url}: ${result.updated.length} product(s) updated (${result.cycles} cycles), ${result.failed.length} failed\n`);
          if (result.issues.length > 0) {
            ctx.stderr.write(`runwarden: ${result.issues.length} issue(s); the stored data of failed products is kept:\n`);
            writeIssues(ctx, result.issues);
          }
        }
        if (result.failed.length > 0) ctx.exitCode = EXIT.runtime;
      } finally {
        db.close();
      }
    });
}

function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description('Stored end-of-life products, their cycle counts, source and fetch time (seeds the bundled snapshot on first use)')
    .option('--db <path>', 'database file')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (flags: { db?: string; format?: string }) => {
      const format = checkFormat(flags.format);
      const db = openDatabase(chosenDbPath(flags.db, ctx.env));
      try {
        const seeded = readLifecycle(db) === undefined;
        const { data, issues } = await loadLifecycle(db);
        const rows = [...data.products.values()].map((p) => ({ product: p.name, title: p.title, cycles: p.releases.length, newest: p.releases[0]?.cycle ?? '-' }));
        if (format === 'json') {
          ctx.stdout.write(`${JSON.stringify({ source: data.source, fetchedAt: data.fetchedAt === '' ? null : data.fetchedAt, seededFromSnapshot: seeded, products: rows, issues }, null, 2)}\n`);
          return;
        }
        const out = [`Source: ${data.source}${seeded ? ' (just stored from the bundled snapshot)' : ''}`, `Fetched: ${data.fetchedAt === '' ? 'bundled snapshot (run "runwarden lifecycle update" to refresh)' : data.fetchedAt}`, '', 'PRODUCT                      CYCLES  NEWEST'];
        for (const r of rows) out.push(`${r.product.padEnd(28)} ${String(r.cycles).padStart(6)}  ${r.newest}`);
        ctx.stdout.write(`${out.join('\n')}\n`);
        if (issues.length > 0) writeIssues(ctx, issues);
      } finally {
        db.close();
      }
    });
}

interface CheckFlags extends ImageAccessFlags {
  db?: string;
  format?: string;
  online?: boolean;
  eolLookahead?: string;
  now?: string;
}

function checkCommand(ctx: CliContext): Command {
  return new Command('check')
    .description('Verdict (fresh / outdated / end-of-life / unknown) for image references; give name:tag@digest to check a running digest for drift. Exits 1 when one is end-of-life')
    .argument('<image...>', 'image references, e.g. node:16-alpine or registry.local/app:1.2.3@sha256:<hex>')
    .option('--online', 'ask the registry: digest drift, newer tags, lifecycle referrers')
    .option('--insecure-registry <host>', 'reach this registry host[:port] over plain HTTP (repeatable)', collect)
    .option('--docker-config <path>', 'docker config.json with registry credentials')
    .option('--eol-lookahead <days>', `warn this long before end of life (default ${DEFAULT_EOL_LOOKAHEAD_DAYS}d)`)
    .option('--db <path>', 'database file')
    .option('-f, --format <format>', 'table or json', 'table')
    .addOption(new Option('--now <iso-time>', 'evaluate as of this time (reproducible output)').hideHelp())
    .action(async (images: string[], flags: CheckFlags) => {
      const format = checkFormat(flags.format);
      const now = parseNow(flags.now);
      const lookahead = flags.eolLookahead === undefined ? DEFAULT_EOL_LOOKAHEAD_DAYS : parseDays(flags.eolLookahead, '--eol-lookahead');
      const refs = images.map((i) => parseImageReference(i));
      const db = openDatabase(chosenDbPath(flags.db, ctx.env));
      let loaded: Awaited<ReturnType<typeof loadLifecycle>>;
      try {
        loaded = await loadLifecycle(db);
      } finally {
        db.close();
      }
      const settings = { data: loaded.data, now, eolLookaheadDays: lookahead };
      const issues: Issue[] = [...loaded.issues];
      let probe: RegistryProbe | undefined;
      if (flags.online === true) {
        const { client, issues: credentialIssues } = await registryClientFrom(flags, ctx);
        issues.push(...credentialIssues);
        probe = new RegistryProbe(client);
      }
      const results = await Promise.all(refs.map(async (ref, i) => {
        // name:tag@digest = "the tag, running this digest": drift is judged against the tag.
        const tagRef = ref.tag !== undefined && ref.digest !== undefined ? { ...ref, digest: undefined } : ref;
        const running = ref.digest === undefined ? undefined : { digest: ref.digest, kind: 'repo-digest' as const, repository: `${ref.registry}/${ref.repository}` };
        let referrers;
        if (probe !== undefined && ref.digest !== undefined) {
          const r = await probe.lifecycleReferrers(ref, ref.digest);
          if (r.ok) referrers = r.value;
          else issues.push({ code: 'lifecycle-referrers-failed', message: `Cannot read lifecycle referrers of ${images[i] ?? ''}: ${r.reason}` });
        }
        const image = imageLifecycle({ reference: tagRef, digest: ref.digest, referrers }, settings, images[i]);
        const freshness = await observeFreshness({ ref: tagRef, running, noRunningReason: 'no running digest given (check name:tag@digest for drift)' }, probe, { now });
        issues.push(...image.issues);
        return { image: images[i] ?? '', ...verdictOf(image, freshness), products: image.products.map((p) => ({ product: p.detection.product, cycle: p.detection.cycle?.cycle, state: p.status.state, eol: p.status.eolDate, next: p.next?.cycle, detectedBy: p.detection.how })), freshness };
      }));
      if (format === 'json') ctx.stdout.write(`${JSON.stringify({ now: now.toISOString(), results, issues }, null, 2)}\n`);
      else {
        for (const r of results) {
          ctx.stdout.write(`${r.image}: ${r.verdict.toUpperCase()}\n`);
          for (const reason of r.reasons) ctx.stdout.write(`  - ${reason}\n`);
          if (r.fix !== undefined) ctx.stdout.write(`  fix: ${r.fix}\n`);
        }
        if (issues.length > 0) writeIssues(ctx, issues);
      }
      if (results.some((r) => r.verdict === 'end-of-life')) ctx.exitCode = EXIT.findings;
    });
}

export function lifecycleCommand(ctx: CliContext): Command {
  const command = new Command('lifecycle').description('End-of-life data (endoflife.date) and image freshness verdicts (update, status, check)');
  for (const make of [updateCommand, statusCommand, checkCommand]) command.addCommand(asSubcommand(make(ctx), ctx));
  return command;
}
