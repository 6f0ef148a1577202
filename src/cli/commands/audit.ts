/**
 * `runwarden audit`: detection over Kubernetes audit events (src/audit/).
 * - `audit detect <log…>`: read audit logs (the API server's JSON lines, gzip-rotated ones, or EventLists)
 *   and report the detections in any report format; `--fail-on` for CI and incident scripts.
 * - `audit serve`: the API server's audit webhook backend, alerting through the same sinks as `serve`
 *   (audit-serve.ts).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { envLayer, mergeSettings, readConfigFile, splitList, validateLayer } from '../../config/load.js';
import { FAIL_ON, type Settings, type SettingsLayer } from '../../config/schema.js';
import { ConfigError, EXIT, InputError, UsageError, errorMessage } from '../../core/errors.js';
import type { Finding } from '../../core/finding.js';
import type { Issue } from '../../core/issue.js';
import { atLeast } from '../../core/severity.js';
import { Detector, eventTime, expiredExceptions } from '../../audit/detect.js';
import { readAuditEventBatches } from '../../audit/read.js';
import { AUDIT_RULES } from '../../audit/registry.js';
import { auditReport } from '../../audit/report.js';
import { DEFAULT_AUDIT_SETTINGS, type AuditSettings } from '../../audit/rule.js';
import { suggestion } from '../../policy/exceptions/index.js';
import { formatsFor } from '../../report/registry.js';
import { parseDuration } from '../../core/duration.js';
import type { CliContext } from '../context.js';
import { emitReport, wantsColor } from '../output.js';
import { applyReportFlags } from './check.js';
import { asSubcommand } from './db.js';
import { auditServeSubcommand, type AuditServeIo } from './audit-serve.js';
import { unknownValue } from './scan-setup.js';
import { renderChunks } from '../../report/format.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...splitList(value)];

/** The rule flags shared by `audit detect` and `audit serve`. */
export interface AuditRuleFlags {
  trustImage?: string[] | undefined;
  secretReader?: string[] | undefined;
  allowedUser?: string[] | undefined;
  allowedNamespace?: string[] | undefined;
  activity?: boolean | undefined;
  disable?: string[] | undefined;
  config?: string | undefined;
}

export function addAuditRuleOptions(command: Command): Command {
  return command
    .option('--trust-image <repositories>', 'image repositories (or prefixes ending in *) whose pods may be privileged, use host namespaces or sensitive mounts (repeat or comma-separate)', collect)
    .option('--secret-reader <identities>', 'identities allowed to read Secrets (usernames, system:serviceaccount:NS:NAME, * globs)', collect)
    .option('--allowed-user <users>', 'turn on unexpected-user: requests by non-system users outside this list are reported', collect)
    .option('--allowed-namespace <names>', 'turn on unexpected-namespace-created: namespaces created outside this list are reported', collect)
    .option('--activity', 'turn on change-trail: an info record of every create and delete of workloads, services, config maps, secrets, namespaces, service accounts and RBAC objects')
    .option('--disable <rules>', 'rule ids to turn off (repeat or comma-separate; see "Rules" in the help)', collect)
    .option('--config <file>', 'settings file (YAML/JSON): the audit section (trustedImages, secretReaders, allowedUsers, …); flags add to it');
}

/** Help text: every rule, its severity, and whether it is on by default. */
export function auditRulesHelp(): string {
  const lines = AUDIT_RULES.map((r) => `  ${r.id.padEnd(40)} ${r.severity.padEnd(8)} ${r.enabled === undefined ? '' : '(off unless configured) '}${r.title}`);
  return `\nRules:\n${lines.join('\n')}\n`;
}

function checkRuleIds(ids: readonly string[], where: string, error: (message: string, hint: string) => Error): void {
  const known = new Set(AUDIT_RULES.map((r) => r.id));
  for (const id of ids) if (!known.has(id)) throw error(`${where}: unknown rule "${id}"${suggestion(id, known)}`, `Audit rules: ${[...known].join(', ')}.`);
}

/** The rules' settings: defaults < the config file's `audit` section < flags (lists from flags are added). */
export function auditSettingsFrom(settings: Settings, flags: AuditRuleFlags): AuditSettings {
  const config = settings.audit ?? {};
  const where = `audit.disabled (${flags.config === undefined ? 'settings' : `config file ${flags.config}`})`;
  checkRuleIds(config.disabled ?? [], where, (message, hint) => new ConfigError(message, { hint }));
  checkRuleIds(flags.disable ?? [], '--disable', (message, hint) => new UsageError(message, { hint }));
  (config.exceptions ?? []).forEach((e, i) => checkRuleIds(e.rules, `audit.exceptions[${i}].rules (${flags.config === undefined ? 'settings' : `config file ${flags.config}`})`, (message, hint) => new ConfigError(message, { hint })));
  const list = (fromConfig: readonly string[] | undefined, fromFlags: readonly string[] | undefined, fallback: readonly string[]): readonly string[] => (fromConfig === undefined && fromFlags === undefined ? fallback : [...(fromConfig ?? []), ...(fromFlags ?? [])]);
  const optional = (fromConfig: readonly string[] | undefined, fromFlags: readonly string[] | undefined): readonly string[] | undefined => (fromConfig === undefined && fromFlags === undefined ? undefined : [...(fromConfig ?? []), ...(fromFlags ?? [])]);
  return {
    trustedImages: list(config.trustedImages, flags.trustImage, DEFAULT_AUDIT_SETTINGS.trustedImages),
    kubeNamespaceImages: config.kubeNamespaceImages ?? DEFAULT_AUDIT_SETTINGS.kubeNamespaceImages,
    secretReaders: list(config.secretReaders, flags.secretReader, DEFAULT_AUDIT_SETTINGS.secretReaders),
    allowedUsers: optional(config.allowedUsers, flags.allowedUser),
    allowedNamespaces: optional(config.allowedNamespaces, flags.allowedNamespace),
    activity: flags.activity === true || config.activity === true,
    disabled: [...(config.disabled ?? []), ...(flags.disable ?? [])],
    exceptions: config.exceptions ?? [],
  };
}

/** Settings with the config file and RUNWARDEN_* variables (and the report flags in `flagLayer`). */
export async function resolveAuditSettings(flags: AuditRuleFlags, ctx: CliContext, flagLayer: SettingsLayer = {}): Promise<{ settings: Settings; audit: AuditSettings }> {
  const fileLayer = flags.config === undefined ? {} : await readConfigFile(flags.config);
  const settings = mergeSettings(fileLayer, envLayer(ctx.env), validateLayer(flagLayer, 'flags'));
  return { settings, audit: auditSettingsFrom(settings, flags) };
}

/** Formats that can hold detections (not CycloneDX's vulnerabilities). */
const AUDIT_FORMATS = formatsFor('detection');

interface DetectFlags extends AuditRuleFlags {
  format?: string | undefined;
  output?: string | undefined;
  failOn?: string | undefined;
  since?: string | undefined;
  color?: boolean | undefined;
  now?: string | undefined;
  debug?: boolean | undefined;
}

/** `--since`: an ISO time, or a duration back from now (`24h`, `7d`). */
function sinceOf(value: string, now: Date): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) throw new UsageError(`Invalid --since "${value}": expected an ISO 8601 time (2026-11-30T08:00:00Z) or a duration (24h, 7d)`);
    return at;
  }
  return new Date(now.getTime() - parseDuration(value, '--since', { min: 1 }));
}

/** Progress on long work: a line on stderr every few seconds while a large log is read (not on a pipe-only run of a small file). */
const PROGRESS_MS = 5000;

async function runDetect(inputs: string[], flags: DetectFlags, ctx: CliContext): Promise<void> {
  const flagLayer: SettingsLayer = {};
  applyReportFlags(flags, flagLayer);
  if (flags.color === false) flagLayer.color = 'never';
  const { settings, audit } = await resolveAuditSettings(flags, ctx, flagLayer);
  const format = AUDIT_FORMATS.find((f) => f.id === settings.format);
  if (format === undefined) throw unknownValue('--format', settings.format, AUDIT_FORMATS.map((f) => f.id));
  let now = new Date();
  if (flags.now !== undefined) {
    now = new Date(flags.now);
    if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
  }
  const since = flags.since === undefined ? undefined : sinceOf(flags.since, now);
  if (inputs.filter((i) => i === '-').length > 1) throw new UsageError('"-" (stdin) can be given only once.');
  // every file checked before any is read: a typo fails at once, in one line
  for (const input of inputs) {
    if (input === '-') continue;
    let info;
    try {
      info = await stat(input);
    } catch (error) {
      throw new InputError(input, `Cannot read audit log "${input}": ${errorMessage(error)}`, { hint: 'Give the API server\'s audit log file (--audit-log-path), a rotated .gz of it, or "-" for stdin.' });
    }
    if (info.isDirectory()) throw new InputError(input, `"${input}" is a directory`, { hint: `Give its files, e.g. ${input.replace(/\/$/, '')}/audit*.log*` });
  }
  const detector = new Detector(audit, undefined, () => now);
  const findings: Finding[] = [];
  const issues: Issue[] = [...expiredExceptions(audit, now)];
  let events = 0;
  let older = 0;
  let lastProgress = Date.now();
  for (const input of inputs) {
    const name = input === '-' ? '<stdin>' : input;
    const stream = input === '-' ? (ctx.stdin ?? process.stdin) : createReadStream(input);
    try {
      for await (const batch of readAuditEventBatches(stream as AsyncIterable<Buffer | string>, name)) {
        for (const item of batch) {
          if ('issue' in item) {
            issues.push(item.issue);
            continue;
          }
          events++;
          if (since !== undefined) {
            const at = eventTime(item.event);
            if (at !== undefined && new Date(at) < since) {
              older++;
              continue;
            }
          }
          for (const f of detector.push(item.event)) findings.push(f);
        }
        if (Date.now() - lastProgress >= PROGRESS_MS) {
          lastProgress = Date.now();
          ctx.stderr.write(`runwarden: ${name}: ${events} events read, ${findings.length} detections so far\n`);
        }
      }
    } catch (error) {
      // a read error (or a corrupt gzip) ends this input; what was read of it is kept
      issues.push({ code: 'audit-input-unreadable', message: `${name}: reading stopped after ${events} events: ${errorMessage(error)}`, location: name, hint: 'Check the file (a .gz that was still being written is often cut short).' });
    }
  }
  if (events === 0 && issues.every((i) => i.code === 'exception-expired')) {
    throw new InputError(inputs.join(', '), `No audit events in ${inputs.map((i) => (i === '-' ? 'stdin' : `"${i}"`)).join(', ')}`, { hint: 'Is auditing on? The API server writes events with --audit-policy-file and --audit-log-path (deploy/audit/readme.md).' });
  }
  const report = auditReport(findings, issues, { type: 'audit-log', location: inputs.map((i) => (i === '-' ? '<stdin>' : i)).join(', ') }, now, events);
  const text = renderChunks(format, report, { color: wantsColor(ctx, settings.color, settings.output !== undefined) });
  const skipped = [older > 0 ? `${older} before --since` : '', detector.stats.skipped > 0 ? `${detector.stats.skipped} at stage RequestReceived or Panic` : ''].filter((s) => s !== '').join(', ');
  await emitReport(ctx, { output: settings.output, format: format.id, text, counts: `${events} events${skipped === '' ? '' : ` (${skipped} not evaluated)`}, ${report.summary.findings} detections, ${issues.length} issues` });
  if (settings.failOn !== 'none') {
    const threshold = settings.failOn;
    if (report.findings.some((f) => f.suppression === undefined && atLeast(f.severity, threshold))) ctx.exitCode = EXIT.findings;
  }
}

function detectSubcommand(ctx: CliContext): Command {
  const command = new Command('detect')
    .description('Detect attacks and risky changes in Kubernetes audit logs: exec into pods, privileged or host-mounting pods, cluster-admin bindings, secret reads, anonymous access, …')
    .argument('<logs...>', 'audit log files (the API server\'s --audit-log-path JSON lines, rotated .gz files, or an EventList), or "-" for stdin')
    .option('-f, --format <format>', `report format: ${AUDIT_FORMATS.map((f) => f.id).join(', ')} (default: table)`)
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', `exit 1 when a detection is at or above: ${FAIL_ON.join(', ')} (default: none)`)
    .option('--since <time|duration>', 'only events at or after this time: ISO 8601, or a duration back from now (24h, 7d)');
  return addAuditRuleOptions(command)
    .option('--no-color', 'plain output even on a terminal')
    .addOption(new Option('--now <iso-time>', 'evaluate as of this time (reproducible reports)').hideHelp())
    .option('--debug', 'show stack traces on errors')
    .addHelpText('after', auditRulesHelp())
    .action(async (inputs: string[], flags: DetectFlags) => {
      await runDetect(inputs, flags, ctx);
    });
}

export function auditCommand(ctx: CliContext, io: AuditServeIo = {}): Command {
  const audit = new Command('audit').description('Runtime detection from Kubernetes audit logs: read log files (audit detect) or receive the API server\'s audit webhook (audit serve) and alert');
  audit.addCommand(asSubcommand(detectSubcommand(ctx), ctx));
  audit.addCommand(asSubcommand(auditServeSubcommand(ctx, io), ctx));
  return audit;
}
