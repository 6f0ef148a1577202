/**
 * `runwarden check <files|dirs|->`: the run-stage checks on manifests before deploy (CI gate).
 * Reads multi-document YAML/JSON, Lists and rendered Helm/kustomize output on stdin, runs every
 * check on the workloads' pod templates and the Services, and points each finding at the file and
 * line of the offending field. Exit codes: 0 ok, 1 findings at/above --fail-on, 2 usage/config
 * error, 3 when a file or document could not be read or parsed (the report still shows the rest).
 */
import { Command, Option } from 'commander';
import { envLayer, mergeSettings, readConfigFile, splitList, validateLayer } from '../../config/load.js';
import { FAIL_ON, Namespace, type Settings, type SettingsLayer } from '../../config/schema.js';
import { ConfigError, EXIT, InputError, UsageError } from '../../core/errors.js';
import type { Finding } from '../../core/finding.js';
import { atLeast } from '../../core/severity.js';
import { buildInventory } from '../../inventory/build.js';
import { readManifests, STDIN, type Manifests } from '../../manifests/index.js';
import type { PolicySettings } from '../../policy/check.js';
import { suggestion } from '../../policy/exceptions/index.js';
import { DEFAULT_SANDBOX_IMAGES, registryEntryProblem } from '../../policy/images.js';
import { isPssLevel, parsePolicyVersion, PSS_LEVELS } from '../../policy/pss/version.js';
import { CHECKS } from '../../policy/registry.js';
import { formatsFor } from '../../report/registry.js';
import type { ReportFormat } from '../../report/format.js';
import { scanInventory } from '../../scan/index.js';
import type { CliContext } from '../context.js';
import { emitReport, wantsColor } from '../output.js';
import { unknownValue } from './scan.js';
import { renderChunks } from '../../report/format.js';

interface CheckFlags extends PolicyFlags {
  format?: string;
  output?: string;
  failOn?: string;
  rules?: string;
  config?: string;
  namespace?: string;
  color?: boolean;
  now?: string;
  debug?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...splitList(value)];

/** `check` reports misconfigurations: the formats that can hold them (not CycloneDX's vulnerabilities). */
const CHECK_FORMATS = formatsFor('misconfiguration');
const checkFormat = (id: string): ReportFormat | undefined => CHECK_FORMATS.find((f) => f.id === id);

export function checkCommand(ctx: CliContext): Command {
  const command = new Command('check')
    .description('Check Kubernetes manifests before deploy: Pod Security Standards and run-stage hardening, with file and line for each finding')
    .argument('<paths...>', 'manifest files or directories (.yaml, .yml, .json), or "-" for stdin (helm template … | runwarden check -)')
    .option('-f, --format <format>', `report format: ${CHECK_FORMATS.map((f) => f.id).join(', ')} (default: table)`)
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', `exit 1 when an unsuppressed finding is at or above: ${FAIL_ON.join(', ')} (default: none)`)
    .option('-n, --namespace <name>', 'namespace of objects that set none, as "kubectl apply -n" (default: default)');
  return addPolicyOptions(command)
    .option('--rules <ids>', `only these rules (comma-separated): ${CHECKS.map((c) => c.id).join(', ')}`)
    .option('--config <file>', 'settings file (YAML/JSON): allowedRegistries, exceptions, pssLevel, …; flags and RUNWARDEN_* variables override it')
    .option('--no-color', 'plain output even on a terminal')
    .addOption(new Option('--now <iso-time>', 'evaluate as of this time (reproducible reports, exception expiry)').hideHelp())
    .option('--debug', 'show stack traces on errors')
    .action(async (paths: string[], flags: CheckFlags) => {
      const settings = await resolveSettings(flags, ctx);
      await runCheck(paths, settings, flags, ctx);
    });
}

async function resolveSettings(flags: CheckFlags, ctx: CliContext): Promise<Settings> {
  const fileLayer = flags.config === undefined ? {} : await readConfigFile(flags.config);
  const flagLayer: SettingsLayer = {};
  applyReportFlags(flags, flagLayer);
  applyPolicyFlags(flags, flagLayer);
  if (flags.rules !== undefined) {
    const rules = splitList(flags.rules);
    const known = CHECKS.map((c) => c.id);
    for (const rule of rules) if (!known.includes(rule)) throw unknownValue('--rules', rule, known);
    flagLayer.rules = rules;
  }
  if (flags.color === false) flagLayer.color = 'never';
  const settings = mergeSettings(fileLayer, envLayer(ctx.env), validateLayer(flagLayer, 'flags'));
  if (checkFormat(settings.format) === undefined) throw unknownValue('--format', settings.format, CHECK_FORMATS.map((f) => f.id));
  validateExceptionRules(settings, flags.config);
  if (flags.namespace !== undefined && !Namespace.safeParse(flags.namespace).success) {
    throw new UsageError(`Invalid --namespace "${flags.namespace}" (flag): must be a DNS-1123 label (lowercase letters, digits, "-"), e.g. "default".`);
  }
  return settings;
}

/** Flags shared by `check` and `scan`: --pss-version, --pss-level, --allowed-registry. */
export interface PolicyFlags {
  pssVersion?: string | undefined;
  pssLevel?: string | undefined;
  allowedRegistry?: string[] | undefined;
}

/** Adds the commander options of PolicyFlags to a command. */
export function addPolicyOptions(command: Command): Command {
  return command
    .option('--pss-version <version>', 'Pod Security policy version for every namespace: latest or v1.<minor> (default: the namespace\'s label, else latest)')
    .option('--pss-level <level>', `Pod Security level for namespaces without pod-security labels: ${PSS_LEVELS.join(', ')} (default: baseline)`)
    .option('--allowed-registry <registries>', 'registry allow-list entries, e.g. ghcr.io/acme (repeat or comma-separate)', collect);
}

/** `--format`, `--output` and `--fail-on` (checked, one-line error) into the flag layer; `scan` and `check` alike. */
export function applyReportFlags(flags: { format?: string | undefined; output?: string | undefined; failOn?: string | undefined }, flagLayer: SettingsLayer): void {
  if (flags.format !== undefined) flagLayer.format = flags.format;
  if (flags.output !== undefined) flagLayer.output = flags.output;
  if (flags.failOn !== undefined) {
    const value = flags.failOn.toLowerCase();
    if (!(FAIL_ON as readonly string[]).includes(value)) throw unknownValue('--fail-on', flags.failOn, FAIL_ON);
    flagLayer.failOn = value as Settings['failOn'];
  }
}

/** Validates the policy flags into the flag settings layer; one actionable line per mistake. */
export function applyPolicyFlags(flags: PolicyFlags, flagLayer: SettingsLayer): void {
  if (flags.pssVersion !== undefined) {
    if (parsePolicyVersion(flags.pssVersion) === undefined) throw new UsageError(`Invalid --pss-version "${flags.pssVersion}" (flag): expected "latest" or v1.<minor> as in the namespace label, e.g. "v1.30".`);
    flagLayer.pssVersion = flags.pssVersion;
  }
  if (flags.pssLevel !== undefined) {
    if (!isPssLevel(flags.pssLevel)) throw unknownValue('--pss-level', flags.pssLevel, PSS_LEVELS);
    flagLayer.pssLevel = flags.pssLevel;
  }
  if (flags.allowedRegistry !== undefined) {
    for (const entry of flags.allowedRegistry) {
      const problem = registryEntryProblem(entry);
      if (problem !== undefined) throw new UsageError(`Invalid --allowed-registry "${entry}" (flag): ${problem}.`, { hint: 'Give a registry host or repository prefix, e.g. --allowed-registry ghcr.io/acme.' });
    }
    flagLayer.allowedRegistries = flags.allowedRegistry;
  }
}

/** Exceptions naming a check that does not exist are a configuration error, with the closest id. */
/** `extraRules`: rules of findings that are not policy checks (vulnerabilities, malware, lifecycle) where the command reports them. */
export function validateExceptionRules(settings: Settings, configPath: string | undefined, extraRules: readonly string[] = []): void {
  const known = new Set([...CHECKS.map((c) => c.id), ...extraRules]);
  (settings.exceptions ?? []).forEach((exception, i) => {
    for (const rule of exception.rules) {
      if (!known.has(rule)) throw new ConfigError(`Unknown rule "${rule}" in exceptions[${i}].rules (${configPath === undefined ? 'settings' : `config file ${configPath}`})${suggestion(rule, known)}`, { hint: `Rule ids: ${[...known].join(', ')}.` });
    }
  });
}

/** The policy part of the settings, as the checks take it. */
export function policySettings(settings: Settings): PolicySettings {
  return { allowedRegistries: settings.allowedRegistries, pssVersion: settings.pssVersion === undefined ? undefined : parsePolicyVersion(settings.pssVersion), pssLevel: settings.pssLevel };
}

async function runCheck(paths: string[], settings: Settings, flags: CheckFlags, ctx: CliContext): Promise<void> {
  let now = new Date();
  if (flags.now !== undefined) {
    now = new Date(flags.now);
    if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
  }
  if (paths.filter((p) => p === STDIN).length > 1) throw new UsageError('"-" (stdin) can be given only once.');
  const manifests = await readManifests(paths, { stdin: ctx.stdin, namespace: flags.namespace });
  if (manifests.objects === 0 && manifests.failures === 0) {
    throw new InputError(paths.join(', '), `No Kubernetes objects to check in ${paths.map((p) => (p === STDIN ? 'stdin' : `"${p}"`)).join(', ')}`, {
      hint: 'Give manifests of workloads (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod) or Services; an empty pipe usually means the render step (helm template, kustomize build) failed.',
    });
  }
  const policy = policySettings(settings);
  const inventory = buildInventory(manifests.result);
  const report = scanInventory(inventory, { sandboxImages: DEFAULT_SANDBOX_IMAGES, now, rules: settings.rules, policy, exceptions: settings.exceptions });
  report.findings = report.findings.map((f) => locate(f, manifests));
  // what was read: manifests (docs/REPORT.md), not a cluster snapshot (the inventory read from them calls itself one)
  report.source = { ...report.source, type: 'manifests' };

  const format = checkFormat(settings.format);
  if (format === undefined) throw unknownValue('--format', settings.format, CHECK_FORMATS.map((f) => f.id));
  const text = renderChunks(format, report, { color: wantsColor(ctx, settings.color, settings.output !== undefined) });
  await emitReport(ctx, { output: settings.output, format: format.id, text, counts: `${report.summary.findings} findings, ${report.issues.length} issues` });
  if (manifests.failures > 0) {
    // A manifest that cannot be parsed is never a pass: the gate fails closed.
    ctx.stderr.write(`runwarden: ${manifests.failures} file(s) or document(s) could not be read or parsed and were not checked (see the issues)\n`);
    ctx.exitCode = EXIT.runtime;
    return;
  }
  if (settings.failOn !== 'none') {
    const threshold = settings.failOn;
    if (report.findings.some((f) => f.suppression === undefined && atLeast(f.severity, threshold))) ctx.exitCode = EXIT.findings;
  }
}

/** The file and line of the finding's first field (or of the object). */
function locate(f: Finding, manifests: Manifests): Finding {
  const workload = f.subject.workload;
  if (workload === undefined) return f;
  const fields = f.evidence.fields;
  const field = Array.isArray(fields) && typeof fields[0] === 'string' ? fields[0] : undefined;
  const location = manifests.locate(workload.kind, f.subject.namespace, workload.name, field);
  return location === undefined ? f : { ...f, location };
}
