/**
 * `runwarden clean`: remove images this node caches but no container uses, over CRI. A dry run (the
 * default) prints the plan — each image, why it goes or stays, its size, the total — and `--apply`
 * executes it with a re-check right before every removal. With `--interval` it runs as the node
 * agent's loop (deploy/node-agent); `--publish-report` writes each run's summary to the node's
 * report ConfigMap for `runwarden scan` (src/agent/).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { EXIT, UsageError, errorMessage, isAppError } from '../../core/errors.js';
import { cleanupRuntime, readNodeRuntime } from '../../inventory/sources/cri/index.js';
import { openAuditLog, auditRecord, planRecords, type AuditLog } from '../../cleanup/audit.js';
import { DEFAULT_STOP_AFTER_FAILURES, executePlan, type ExecutionEvent } from '../../cleanup/executor.js';
import { ONLY_FILTERS, checkGlob, durationOption, parseExclusionFile, parsePositiveInt } from '../../cleanup/options.js';
import { narrowPlan, type Judgement, type OnlyFilter } from '../../cleanup/only.js';
import { SEVERITIES, type Severity } from '../../core/severity.js';
import { parseSeverityThreshold } from './scan-setup.js';
import { LayerCache } from '../../image/analysis/cache.js';
import { judgeCachedImages, type CachedImageOptions } from '../../scan/cached-images.js';
import { openVulnDb, type Db } from '../../vulndb/store/index.js';
import { DEFAULT_SANDBOX_GLOBS, compileRules, planCleanup, type ExclusionRule, type PlanOptions } from '../../cleanup/planner.js';
import { buildCleanupReport, renderCleanupJson, renderCleanupTable } from '../../cleanup/report.js';
import { formatBytes } from '../../core/format.js';
import type { AuditRecord, CleanupReport } from '../../cleanup/schema.js';
import { readHostPackages } from '../../agent/host.js';
import { buildNodeReport, encodeNodeReport } from '../../agent/summary.js';
import { NODE_REPORT_NAME_PREFIX, nodeReportConfigMap } from '../../agent/configmap.js';
import type { NodeRuntime } from '../../core/node-runtime.js';
import { DEFAULT_NODE_REPORT_NAMESPACE } from '../../inventory/schema.js';
import type { NodeReportPublisher } from '../../inventory/sources/kubernetes/node-reports.js';
import type { CliContext } from '../context.js';
import { addRuntimeOptions, nodeName, parseFormat, suggest, runtimeClient, useColor, withInterrupt, type NodeFormat, type RuntimeFlags } from './node.js';

interface CleanFlags extends RuntimeFlags {
  dryRun?: boolean;
  apply?: boolean;
  exclude?: string[];
  excludeFile?: string[];
  sandboxImage?: string[];
  olderThan?: string;
  only?: string;
  maxRemovals?: string;
  stopAfterFailures?: string;
  auditLog?: string;
  output?: string;
  fsWait?: string;
  interval?: string;
  now?: string;
  publishReport?: boolean;
  reportNamespace?: string;
  kubeconfig?: string;
  hostRoot?: string;
  db?: string;
  severity?: string;
  containerdAddress?: string;
  containerdRoot?: string;
}

const repeat = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** With --interval, a failed run is retried after this long (or the interval, if shorter). */
const RETRY_MS = 5 * 60_000;

/** Default wait for ImageFsInfo figures collected after the removals: containerd refreshes every 10 s. */
const DEFAULT_FS_WAIT_MS = 15_000;

export function cleanCommand(ctx: CliContext): Command {
  const command = new Command('clean').description('Remove cached images no container uses, over CRI: a dry-run plan by default, --apply to remove (re-checked right before each removal)');
  addRuntimeOptions(command)
    .option('--dry-run', 'print the plan and remove nothing (the default)')
    .option('--apply', 'remove the planned images')
    .option('--exclude <glob>', 'keep images matching this glob (repeatable; "*" matches across "/", e.g. "registry.k8s.io/*")', repeat)
    .option('--exclude-file <file>', 'keep images matching the globs in this file (one per line, # comments; or Eraser\'s {"excluded": [...]})', repeat)
    .option('--sandbox-image <glob>', `extra pod sandbox image globs (default: the runtime's sandbox image and ${DEFAULT_SANDBOX_GLOBS.join(', ')})`, repeat)
    .option('--older-than <duration>', 'only images that appeared on the node at least this long ago, e.g. 7d')
    .option('--only <filter>', `only unused images that are ${ONLY_FILTERS.join(' or ')}: each candidate is read from the node's containerd and scanned (vulnerable needs --db)`)
    .option('--db <file>', 'with --only: the vulnerability database (and end-of-life data) the candidates are judged by')
    .option('--severity <level>', `with --only vulnerable: a vulnerability at or above this qualifies (${SEVERITIES.filter((x) => x !== 'unknown').join(', ')}; default: high)`)
    .option('--containerd-address <socket>', "with --only: containerd's socket, to read the candidates (default: the --cri socket)")
    .option('--containerd-root <dir>', "with --only: containerd's root directory, to read layer blobs from its content store directly")
    .option('--max-removals <n>', 'remove at most N images in this run; the rest wait for the next run')
    .option('--stop-after-failures <n>', `stop after N runtime failures in a row (default: ${DEFAULT_STOP_AFTER_FAILURES})`)
    .option('--audit-log <file>', 'append one JSON line per decision to this file')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fs-wait <duration>', 'with --apply, wait up to this long for image filesystem figures taken after the removals (default: 15s; 0 = do not wait)')
    .option('--interval <duration>', 'keep running: plan (and apply) again every interval, e.g. 24h (the node agent\'s loop)')
    .option('--publish-report', `after each run, write a summary for "runwarden scan" to the ConfigMap ${NODE_REPORT_NAME_PREFIX}<node> through the Kubernetes API (in-cluster service account, or --kubeconfig)`)
    .option('--report-namespace <ns>', `namespace of that ConfigMap (default: $POD_NAMESPACE, else ${DEFAULT_NODE_REPORT_NAMESPACE})`)
    .option('--kubeconfig <file>', 'kubeconfig for --publish-report outside a pod (default: in-cluster, $KUBECONFIG, ~/.kube/config)')
    .option('--host-root <dir>', "with --publish-report: read the node's own OS packages (os-release and the dpkg/apk/rpm databases) under this mount of the host's root, for runwarden scan to check for vulnerabilities")
    .addOption(new Option('--now <iso-time>', 'evaluate --older-than as of this time (reproducible plans)').hideHelp())
    .action(async (flags: CleanFlags) => {
      await clean(flags, ctx);
    });
  return command;
}

interface Settings {
  mode: 'dry-run' | 'apply';
  /** `--only`: the filter, the vulnerability threshold, and how the plan names it. */
  only: { filter: OnlyFilter; severity: Severity; label: string } | undefined;
  format: NodeFormat;
  plan: Omit<PlanOptions, 'now'>;
  now: Date | undefined;
  maxRemovals: number | undefined;
  stopAfterFailures: number;
  fsWaitMs: number;
  intervalMs: number | undefined;
}

/** Every flag is checked before the runtime is touched. */
async function settingsOf(flags: CleanFlags): Promise<Settings> {
  if (flags.apply === true && flags.dryRun === true) throw new UsageError('--apply and --dry-run contradict each other: pick one (a dry run is the default).');
  let only: Settings['only'];
  if (flags.only !== undefined) {
    const value = flags.only.toLowerCase();
    if (!(ONLY_FILTERS as readonly string[]).includes(value)) {
      throw new UsageError(`Unknown --only "${flags.only}": expected one of ${ONLY_FILTERS.join(', ')}. Did you mean "${suggest(value, ONLY_FILTERS)}"?`);
    }
    const filter = value as OnlyFilter;
    if (filter === 'vulnerable' && flags.db === undefined) {
      throw new UsageError('--only vulnerable judges each unused image against a vulnerability database: add --db FILE.', { hint: 'Fill one with "runwarden db update --db FILE" (or mount the one runwarden serve keeps).' });
    }
    const severity = parseSeverityThreshold('--severity', flags.severity ?? 'high');
    if (flags.severity !== undefined && filter !== 'vulnerable') throw new UsageError('--severity is the threshold of --only vulnerable: drop it, or use --only vulnerable.');
    only = { filter, severity, label: filter === 'vulnerable' ? `--only vulnerable (at or above ${severity})` : '--only eol' };
  } else {
    const stray = flags.db !== undefined ? '--db' : flags.severity !== undefined ? '--severity' : flags.containerdRoot !== undefined ? '--containerd-root' : flags.containerdAddress !== undefined ? '--containerd-address' : undefined;
    if (stray !== undefined) throw new UsageError(`${stray} is used with --only vulnerable|eol (to scan the unused images): add --only, or drop ${stray}.`);
  }
  const format = parseFormat(flags.format);
  const exclusions: ExclusionRule[] = (flags.exclude ?? []).map((glob) => ({ glob: checkGlob(glob, '--exclude'), origin: '--exclude' }));
  for (const path of flags.excludeFile ?? []) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(`Cannot read --exclude-file "${path}": ${errorMessage(error)}.`, { hint: 'Check the path; the file lists one image glob per line.' });
    }
    exclusions.push(...parseExclusionFile(text, path));
  }
  const sandboxImages = [...DEFAULT_SANDBOX_GLOBS, ...(flags.sandboxImage ?? []).map((glob) => checkGlob(glob, '--sandbox-image'))];
  let now: Date | undefined;
  if (flags.now !== undefined) {
    now = new Date(flags.now);
    if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
  }
  return {
    mode: flags.apply === true ? 'apply' : 'dry-run',
    only,
    format,
    plan: { exclusions, sandboxImages, olderThan: flags.olderThan === undefined ? undefined : durationOption(flags.olderThan, '--older-than') },
    now,
    maxRemovals: flags.maxRemovals === undefined ? undefined : parsePositiveInt(flags.maxRemovals, '--max-removals'),
    stopAfterFailures: flags.stopAfterFailures === undefined ? DEFAULT_STOP_AFTER_FAILURES : parsePositiveInt(flags.stopAfterFailures, '--stop-after-failures'),
    fsWaitMs: flags.fsWait === undefined ? DEFAULT_FS_WAIT_MS : flags.fsWait.trim() === '0' ? 0 : durationOption(flags.fsWait, '--fs-wait').ms,
    intervalMs: flags.interval === undefined ? undefined : durationOption(flags.interval, '--interval').ms,
  };
}

async function clean(flags: CleanFlags, ctx: CliContext): Promise<void> {
  const settings = await settingsOf(flags);
  const node = nodeName(flags, ctx);
  const publisher = await reportPublisher(flags, ctx);
  let client: ReturnType<typeof runtimeClient>;
  try {
    client = runtimeClient(flags, ctx);
  } catch (error) {
    publisher?.close();
    throw error;
  }
  let judge: RunTargets['judge'];
  try {
    judge = openJudge(settings, flags, client.address, ctx);
  } catch (error) {
    client.close();
    publisher?.close();
    throw error;
  }
  const audit = flags.auditLog === undefined ? undefined : await openAuditLog(flags.auditLog);
  const targets: RunTargets = { client, node, audit, publisher, judge };
  try {
    await withInterrupt(async (signal) => {
      for (let run = 1; ; run++) {
        let wait = settings.intervalMs;
        try {
          ctx.exitCode = await runOnce(settings, flags, ctx, targets, signal);
        } catch (error) {
          // SIGTERM is how the agent is stopped: an interrupted read ends the loop quietly.
          if (settings.intervalMs !== undefined && signal.aborted) return;
          // The first run fails loudly (a wrong --cri shows as a crash-looping pod); later runs
          // outlive a runtime restart: log, retry sooner than the interval, go on.
          if (settings.intervalMs === undefined || run === 1 || signal.aborted || !isAppError(error)) throw error;
          wait = Math.min(settings.intervalMs, RETRY_MS);
          ctx.stderr.write(`runwarden: clean run ${run} failed, retrying in ${Math.round(wait / 1000)} s: ${error.message}\n`);
          ctx.exitCode = EXIT.runtime;
        }
        if (wait === undefined || signal.aborted) return;
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          return;
        }
      }
    });
  } finally {
    client.close();
    publisher?.close();
    judge?.close();
    await audit?.close();
  }
}

/**
 * `--only`: the database (read-only; for eol, optional) and the layer cache in it, opened once for every run. With
 * `--interval` (the node agent) a --db that is not there yet is not an error: the updater beside the agent (a
 * `db update --every` container) creates it, and until then each run keeps every candidate (not judged). It is
 * opened by the first run that finds it, never created here: the agent runs as root, the updater as another user,
 * and a file root created would be root's.
 */
function openJudge(settings: Settings, flags: CleanFlags, criAddress: string, ctx: CliContext): RunTargets['judge'] {
  if (settings.only === undefined) return undefined;
  const path = flags.db;
  // only --only vulnerable needs the database to judge; --only eol without the file is the error it always was
  const waitFor = settings.only.filter === 'vulnerable' && path !== undefined && settings.intervalMs !== undefined && path !== ':memory:' && !existsSync(path);
  let db: Db | undefined;
  let cache: LayerCache | undefined;
  const open = (): void => {
    if (path === undefined || db !== undefined) return;
    db = openVulnDb(path, { readonly: true });
    try {
      cache = LayerCache.open(path);
    } catch (error) {
      // as scan does: a database the layer cache cannot be written to (a read-only mount) costs reading every layer
      ctx.stderr.write(`runwarden: layer cache unavailable, reading every layer: ${errorMessage(error)}\n`);
    }
  };
  if (!waitFor) open();
  else ctx.stderr.write(`runwarden: the vulnerability database ${path} is not there yet: unused images are kept until it is (its updater creates it)\n`);
  return {
    get: () => {
      if (db === undefined && path !== undefined && existsSync(path)) open();
      return { db, cache, missing: db === undefined && path !== undefined ? path : undefined };
    },
    containerd: { address: flags.containerdAddress ?? criAddress, namespace: flags.containerdNamespace, root: flags.containerdRoot },
    close: () => {
      cache?.close();
      db?.close();
    },
  };
}

/** `--publish-report`: the Kubernetes configuration is resolved up front, so a bad one stops before any cleanup. */
async function reportPublisher(flags: CleanFlags, ctx: CliContext): Promise<NodeReportPublisher | undefined> {
  if (flags.publishReport !== true) {
    const stray = flags.reportNamespace !== undefined ? '--report-namespace' : flags.kubeconfig !== undefined ? '--kubeconfig' : flags.hostRoot !== undefined ? '--host-root' : undefined;
    if (stray !== undefined) throw new UsageError(`${stray} is used with --publish-report: add --publish-report to write the node report, or drop ${stray}.`);
    return undefined;
  }
  if (flags.hostRoot !== undefined && (await stat(flags.hostRoot).catch(() => undefined))?.isDirectory() !== true) {
    throw new UsageError(`Invalid --host-root "${flags.hostRoot}": not a directory`, { hint: "Mount the host's os-release and package databases read-only under one directory (deploy/node-agent/optional/host-packages-dpkg.yaml or -rpm.yaml) and name it." });
  }
  const namespace = flags.reportNamespace ?? (ctx.env.POD_NAMESPACE === undefined || ctx.env.POD_NAMESPACE === '' ? DEFAULT_NODE_REPORT_NAMESPACE : ctx.env.POD_NAMESPACE);
  const { nodeReportPublisher } = await import('../../inventory/sources/kubernetes/index.js');
  return nodeReportPublisher({ namespace, kubeconfig: flags.kubeconfig, env: ctx.env });
}

/** Writes the run's node report; a failure is one line on stderr and exit code 3, the cleanup itself stands. */
async function publishReport(publisher: NodeReportPublisher, report: CleanupReport, view: NodeRuntime, settings: Settings, flags: CleanFlags, ctx: CliContext, signal: AbortSignal): Promise<boolean> {
  const host = flags.hostRoot === undefined ? undefined : await readHostPackages(flags.hostRoot, signal);
  if (host !== undefined) ctx.stderr.write(`runwarden: read ${host.host.purls.length + host.host.purlsOmitted} host packages (${host.host.os?.prettyName ?? host.host.os?.id ?? 'unknown OS'}) under ${flags.hostRoot ?? ''}${host.issues.length === 0 ? '' : `; ${host.issues.map((i) => i.message).join('; ')}`}\n`);
  const encoded = encodeNodeReport(buildNodeReport(report, view, { publishedAt: new Date(), intervalMs: settings.intervalMs, host }));
  const configMap = nodeReportConfigMap(report.node, encoded.text, publisher.namespace);
  try {
    const how = await publisher.publish(configMap, signal);
    ctx.stderr.write(`runwarden: ${how === 'created' ? 'created' : 'updated'} the node report ${publisher.location}/${configMap.metadata.name} (${formatBytes(Buffer.byteLength(encoded.text))})\n`);
    return true;
  } catch (error) {
    if (!isAppError(error) || signal.aborted) throw error;
    ctx.stderr.write(`runwarden: error: could not publish the node report: ${error.message}${error.hint === undefined ? '' : `. Hint: ${error.hint}`}\n`);
    return false;
  }
}

interface RunTargets {
  client: ReturnType<typeof runtimeClient>;
  node: string;
  audit: AuditLog | undefined;
  publisher: NodeReportPublisher | undefined;
  /** `--only`: what the candidates are scanned with. */
  judge: { get(): { db: Db | undefined; cache: LayerCache | undefined; missing: string | undefined }; containerd: CachedImageOptions['containerd']; close(): void } | undefined;
}

async function runOnce(settings: Settings, flags: CleanFlags, ctx: CliContext, { client, node, audit, publisher, judge }: RunTargets, signal: AbortSignal): Promise<number> {
  const progress = ctx.stderr.isTTY === true;
  const status = (text: string): void => {
    if (progress) ctx.stderr.write(`\r\x1b[2K${text}`);
  };
  status(`reading the runtime at ${client.address}…`);
  const view = await readNodeRuntime(client, { node, signal });
  const now = settings.now ?? new Date();
  const planOptions: PlanOptions = { ...settings.plan, now };
  let plan = planCleanup(view, planOptions);
  if (settings.only !== undefined && judge !== undefined) {
    const candidates = plan.entries.filter((e) => e.decision === 'remove');
    const { db, cache, missing } = judge.get();
    const judged =
      missing !== undefined && settings.only.filter === 'vulnerable'
        ? new Map<string, Judgement>(candidates.map((c) => [c.id, { error: `the vulnerability database ${missing} is not there yet` }]))
        : await judgeCachedImages(candidates, { only: settings.only.filter, severity: settings.only.severity, db, cache, containerd: judge.containerd, now, signal, onProgress: status });
    plan = narrowPlan(plan, settings.only.filter, settings.only.label, judged);
  }
  const context = { run: randomUUID(), mode: settings.mode, node, runtime: plan.runtime };
  const records: AuditRecord[] = [];
  const record = async (batch: AuditRecord[]): Promise<void> => {
    records.push(...batch);
    await audit?.write(batch);
  };
  await record(planRecords(context, plan));

  let execution;
  if (settings.mode === 'apply' && plan.candidates > 0) {
    const onEvent = async (event: ExecutionEvent): Promise<void> => {
      if (event.type === 'checking') status(`[${event.index + 1}/${event.total}] checking and removing ${event.entry.name} (${formatBytes(event.entry.sizeBytes)})`);
      else if (event.type === 'waiting-for-fs') status(`waiting up to ${Math.round(event.timeoutMs / 1000)} s for fresh image filesystem figures…`);
      else if (event.type === 'outcome') await record([auditRecord(context, event.entry, event.outcome)]);
    };
    execution = await executePlan(plan, cleanupRuntime(client, view), compileRules(planOptions, view.sandboxImage), {
      maxRemovals: settings.maxRemovals,
      stopAfterFailures: settings.stopAfterFailures,
      fsRefreshTimeoutMs: settings.fsWaitMs,
      sandboxes: view.sandboxes,
      signal,
      onEvent,
    });
  }
  if (progress) ctx.stderr.write('\r\x1b[2K');

  const report = buildCleanupReport(plan, execution, records, { run: context.run, mode: settings.mode, maxRemovals: settings.maxRemovals, stopAfterFailures: settings.stopAfterFailures });
  const text = settings.format === 'json' ? renderCleanupJson(report) : renderCleanupTable(report, { color: flags.output === undefined && useColor(flags, ctx), now });
  if (flags.output !== undefined) {
    try {
      await writeFile(flags.output, text);
    } catch (error) {
      throw new UsageError(`Cannot write --output "${flags.output}": ${errorMessage(error)}.`, { hint: 'Check that the directory exists and is writable.' });
    }
    ctx.stderr.write(`runwarden: wrote the ${settings.format} cleanup report to ${flags.output} (${report.summary.candidates} candidates, ${report.summary.removed} removed)\n`);
  } else {
    ctx.stdout.write(text);
  }
  const published = publisher === undefined || (await publishReport(publisher, report, view, settings, flags, ctx, signal));
  return !published || (execution !== undefined && (execution.counts.failed > 0 || execution.stopped !== undefined)) ? EXIT.runtime : EXIT.ok;
}
