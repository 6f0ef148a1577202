/**
 * `runwarden admission`: the validating admission webhook (src/admission/).
 * - `admission serve`: answer the API server's AdmissionReviews over TLS, from the verdicts of a scan
 *   report file that is re-read when it changes (`serve --admission-port` answers from its own scans).
 * - `admission review <file|->`: answer one AdmissionReview (or a plain manifest, as a CREATE) offline and
 *   print the response: what the webhook would say, for tests of a policy and for CI.
 */
import { readFile } from 'node:fs/promises';
import { text as readAll } from 'node:stream/consumers';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { envLayer, mergeSettings, readConfigFile, splitList, validateLayer } from '../../config/load.js';
import type { Settings, SettingsLayer } from '../../config/schema.js';
import { ConfigError, EXIT, InputError, UsageError, errorMessage } from '../../core/errors.js';
import { isSeverity, SEVERITIES, type Severity } from '../../core/severity.js';
import { ADMISSION_RULES, CLUSTER_ONLY_CHECKS, DEFAULT_ACTIONS, IMAGE_RULES, objectLabel, REVIEWED_KINDS, type Action, type DecideOptions } from '../../admission/decide.js';
import { watchReportFile, type ReportVerdicts } from '../../admission/report-file.js';
import { watchReportUrl } from '../../admission/report-url.js';
import { AdmissionRequest, BadReviewError, parseReview, type AdmissionReviewResponse } from '../../admission/review.js';
import { answer, FAILURE_MODES, startWebhook, type FailureMode } from '../../admission/server.js';
import { verdictsFromReport, type VerdictCache } from '../../admission/verdicts.js';
import { suggestion } from '../../policy/exceptions/index.js';
import { DEFAULT_SANDBOX_IMAGES } from '../../policy/images.js';
import { parseReport } from '../../report/json/read.js';
import { NON_CHECK_RULES } from '../../scan/index.js';
import { jsonLogger, type Logger } from '../../serve/log.js';
import { parseDuration } from '../../core/duration.js';
import type { CliContext } from '../context.js';
import { addPolicyOptions, applyPolicyFlags, policySettings, validateExceptionRules, type PolicyFlags } from './check.js';
import { asSubcommand } from './db.js';
import { readClientCa, readTls, waitForStop } from './serve.js';
import { unknownValue } from './scan-setup.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...splitList(value)];

/** The admission flags shared by `admission serve`, `admission review` and `serve --admission-port`. */
export interface AdmissionFlags extends PolicyFlags {
  deny?: string[] | undefined;
  warn?: string[] | undefined;
  ignore?: string[] | undefined;
  vulnSeverity?: string | undefined;
  failureMode?: string | undefined;
  reviewControllerObjects?: boolean | undefined;
}

export function addAdmissionOptions(command: Command): Command {
  return addAdmissionRuleOptions(addPolicyOptions(command));
}

/** The admission flags without the policy ones (`serve` has those already). */
export function addAdmissionRuleOptions(command: Command): Command {
  return command
    .option('--deny <rules>', 'deny objects with findings of these rules (repeat or comma-separate; see "Rules" in the help)', collect)
    .option('--warn <rules>', 'admit objects with findings of these rules, with a warning', collect)
    .option('--ignore <rules>', 'do not evaluate these rules', collect)
    .option('--vuln-severity <severity>', `vulnerable-package acts on fixable vulnerabilities at or above: ${SEVERITIES.join(', ')} (default: critical)`)
    .option('--failure-mode <mode>', 'a review that cannot be judged (no verdicts yet, an unreadable object): open admits it with a warning, closed denies it (default: open)')
    .option('--review-controller-objects', "also review what the built-in controllers make from a workload (its ReplicaSets, Jobs, pods); default: allowed, since the workload is reviewed, so a new policy never stops a running workload's scaling or rollout");
}

/** Help text: the rules and what they do by default. */
export function rulesHelp(): string {
  const by = (action: Action): string => ADMISSION_RULES.filter((r) => DEFAULT_ACTIONS[r] === action).join(', ');
  return `\nRules (default action):\n  deny: ${by('deny')}\n  warn: ${by('warn')}\nNot evaluated at admission (they need the cluster around the object; runwarden scan reports them): ${[...CLUSTER_ONLY_CHECKS.keys()].join(', ')}\n`;
}

/** A rule named in a flag or the config: known at admission, or a one-line error saying why not. */
function checkRule(rule: string, where: string): void {
  if (ADMISSION_RULES.includes(rule)) return;
  const cluster = CLUSTER_ONLY_CHECKS.get(rule);
  if (cluster !== undefined) throw new UsageError(`${where}: rule "${rule}" is not evaluated at admission: it ${cluster}; runwarden scan reports it.`);
  throw new UsageError(`${where}: unknown rule "${rule}"${suggestion(rule, new Set(ADMISSION_RULES))}`, { hint: `Admission rules: ${ADMISSION_RULES.join(', ')}.` });
}

export interface AdmissionSetup {
  /** The decision settings, with `now` taken at each call. */
  options: () => DecideOptions;
  failureMode: FailureMode;
  actions: Readonly<Record<string, Action>>;
}

/** Actions (defaults < config `admission.actions` < flags), severity and failure mode, each checked with a one-line error. */
export function admissionSetup(settings: Settings, flags: AdmissionFlags, configPath: string | undefined): AdmissionSetup {
  const actions: Record<string, Action> = { ...DEFAULT_ACTIONS };
  for (const [rule, action] of Object.entries(settings.admission?.actions ?? {})) {
    try {
      checkRule(rule, `admission.actions (${configPath === undefined ? 'settings' : `config file ${configPath}`})`);
    } catch (error) {
      throw new ConfigError(errorMessage(error), { hint: `Admission rules: ${ADMISSION_RULES.join(', ')}.` });
    }
    actions[rule] = action;
  }
  const given = new Map<string, string>();
  for (const [flag, action, list] of [['--deny', 'deny', flags.deny], ['--warn', 'warn', flags.warn], ['--ignore', 'ignore', flags.ignore]] as const) {
    for (const rule of list ?? []) {
      checkRule(rule, flag);
      const other = given.get(rule);
      if (other !== undefined && other !== flag) throw new UsageError(`Rule "${rule}" is given to both ${other} and ${flag}: give each rule one action.`);
      given.set(rule, flag);
      actions[rule] = action;
    }
  }
  let severity: Severity = settings.admission?.vulnerabilitySeverity ?? 'critical';
  if (flags.vulnSeverity !== undefined) {
    const value = flags.vulnSeverity.toLowerCase();
    if (!isSeverity(value)) throw unknownValue('--vuln-severity', flags.vulnSeverity, SEVERITIES);
    severity = value;
  }
  let failureMode: FailureMode = settings.admission?.failureMode ?? 'open';
  if (flags.failureMode !== undefined) {
    if (!(FAILURE_MODES as readonly string[]).includes(flags.failureMode)) throw unknownValue('--failure-mode', flags.failureMode, FAILURE_MODES);
    failureMode = flags.failureMode as FailureMode;
  }
  const policy = policySettings(settings);
  const sandboxImages = [...DEFAULT_SANDBOX_IMAGES, ...settings.sandboxImages];
  const reviewControllerObjects = flags.reviewControllerObjects === true || settings.admission?.reviewControllerObjects === true;
  return { options: () => ({ actions, vulnerabilitySeverity: severity, policy, exceptions: settings.exceptions, sandboxImages, reviewControllerObjects, now: new Date() }), failureMode, actions };
}

interface CommonFlags extends AdmissionFlags {
  config?: string | undefined;
  debug?: boolean | undefined;
}

async function resolveSettings(flags: CommonFlags, ctx: CliContext): Promise<Settings> {
  const fileLayer = flags.config === undefined ? {} : await readConfigFile(flags.config);
  const flagLayer: SettingsLayer = {};
  applyPolicyFlags(flags, flagLayer);
  const settings = mergeSettings(fileLayer, envLayer(ctx.env), validateLayer(flagLayer, 'flags'));
  validateExceptionRules(settings, flags.config, [...NON_CHECK_RULES, ...IMAGE_RULES]);
  return settings;
}

interface ServeFlags extends CommonFlags {
  clientCa?: string | undefined;
  report: string;
  reportTokenFile?: string | undefined;
  reportCa?: string | undefined;
  host: string;
  port: string;
  tlsCert: string;
  tlsKey: string;
  reportPoll?: string | undefined;
}

const REPORT_URL = /^https?:\/\//i;

/** Whether --report is a URL; the flags that go with a URL only, refused for a file. */
function checkReportFlags(flags: ServeFlags): boolean {
  const isUrl = REPORT_URL.test(flags.report);
  if (!isUrl && (flags.reportTokenFile !== undefined || flags.reportCa !== undefined)) {
    throw new UsageError(`${flags.reportTokenFile !== undefined ? '--report-token-file' : '--report-ca'} is used with a report URL: give --report http(s)://…/api/v1/report?format=json, or drop it.`);
  }
  return isUrl;
}

/** The verdicts' source: a report URL (polled with its ETag) or a file (re-read on change). */
async function reportSource(flags: ServeFlags, log: Logger): Promise<ReportVerdicts> {
  const isUrl = checkReportFlags(flags);
  const pollMs = parseDuration(flags.reportPoll ?? (isUrl ? '30s' : '5s'), '--report-poll', { min: 100 });
  if (!isUrl) return watchReportFile(flags.report, { log, pollMs });
  try {
    new URL(flags.report);
  } catch {
    throw new UsageError(`Invalid --report "${flags.report}": not a URL (e.g. http://runwarden-serve.runwarden.svc:8080/api/v1/report?format=json)`);
  }
  const read = async (file: string, flag: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new ConfigError(`Cannot read ${flag} "${file}": ${errorMessage(error)}`, { hint: 'Check the path and that the Secret is mounted.' });
    }
  };
  const token = flags.reportTokenFile === undefined ? undefined : (await read(flags.reportTokenFile, '--report-token-file')).toString('utf8').trim();
  if (token === '') throw new ConfigError(`--report-token-file "${flags.reportTokenFile ?? ''}" is empty`, { hint: 'Put the API token (not its hash) in the file.' });
  const ca = flags.reportCa === undefined ? undefined : await read(flags.reportCa, '--report-ca');
  return watchReportUrl(flags.report, { log, pollMs, token, ca });
}

/** What tests inject: a stop signal instead of process signals, and a hook once the webhook listens. */
export interface AdmissionIo {
  signal?: AbortSignal | undefined;
  onListening?: ((info: { url: string; reloadTls: () => Promise<boolean>; verdicts: ReportVerdicts }) => void) | undefined;
}

function serveSubcommand(ctx: CliContext, io: AdmissionIo): Command {
  const command = new Command('serve')
    .description('Run the validating admission webhook over TLS (POST /validate), answering from the verdicts of a scan report')
    .requiredOption('--report <file|url>', 'runwarden JSON report whose image verdicts are used: a file (runwarden scan -f json -o FILE), re-read when it changes, or serve\'s http(s)://…/api/v1/report?format=json, polled')
    .option('--report-token-file <file>', 'with a report URL: the API token for serve (its SHA-256 is in serve\'s --token-file)')
    .option('--report-ca <file>', 'with an https report URL: the PEM CA that signed serve\'s certificate')
    .requiredOption('--tls-cert <file>', 'certificate (PEM) the API server trusts through caBundle; re-read when it changes')
    .requiredOption('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--client-ca <file>', "PEM CA of the API server's client certificate (its AdmissionConfiguration kubeconfig): a review without one that verifies is refused")
    .option('--host <address>', 'listen address', '0.0.0.0')
    .option('--port <port>', 'listen port (0: any free port)', '8443')
    .option('--report-poll <duration>', 'how often to look for a new report (default: 5s for a file, 30s for a URL)');
  return addAdmissionOptions(command)
    .option('--config <file>', 'settings file (YAML/JSON): admission.actions, allowedRegistries, exceptions, pssLevel, …; flags override it')
    .option('--debug', 'show stack traces on errors')
    .addHelpText('after', rulesHelp())
    .action(async (flags: ServeFlags) => {
      await runServe(flags, ctx, io);
    });
}

async function runServe(flags: ServeFlags, ctx: CliContext, io: AdmissionIo): Promise<void> {
  const port = Number(flags.port);
  if (!/^\d{1,5}$/.test(flags.port) || port > 65535) throw new UsageError(`Invalid --port "${flags.port}": expected 0–65535, e.g. 8443`);
  const settings = await resolveSettings(flags, ctx);
  const setup = admissionSetup(settings, flags, flags.config);
  checkReportFlags(flags);
  // the certificate and key checked together before anything starts: one line naming the flag, not failed handshakes later
  await readTls(flags.tlsCert, flags.tlsKey);
  const clientCa = flags.clientCa === undefined ? undefined : await readClientCa(flags.clientCa, '--client-ca', "the API server's client certificate for webhooks");
  const log: Logger = jsonLogger(ctx.stderr);
  const verdicts = await reportSource(flags, log);
  if (verdicts.current() === undefined && setup.failureMode === 'closed') {
    log('warn', 'no verdicts loaded: every review that needs them is denied until the report loads (failure mode closed)', { report: flags.report, error: verdicts.problem });
  }
  let webhook;
  try {
    webhook = await startWebhook({ host: flags.host, port, tls: { certFile: flags.tlsCert, keyFile: flags.tlsKey }, deps: { verdicts: () => verdicts.current(), options: setup.options, failureMode: setup.failureMode, log }, clientCa, clientCaFlag: '--client-ca' });
  } catch (error) {
    verdicts.stop();
    throw error;
  }
  const pending = verdicts.current() === undefined ? `; no verdicts yet: ${verdicts.problem ?? 'none loaded'}` : '';
  ctx.stderr.write(`runwarden: admission webhook on ${webhook.url}/validate (failure mode ${setup.failureMode}; ${clientCa === undefined ? 'callers not authenticated' : 'API server by client certificate'}; verdicts from ${flags.report}${pending})\n`);
  const running = webhook;
  io.onListening?.({ url: running.url, reloadTls: () => running.reloadTls(), verdicts });
  await waitForStop(io.signal);
  verdicts.stop();
  await webhook.close();
  ctx.stderr.write('runwarden: admission webhook stopped\n');
}

interface ReviewFlags extends CommonFlags {
  report?: string | undefined;
  output?: string | undefined;
  namespace?: string | undefined;
}

function reviewSubcommand(ctx: CliContext): Command {
  const command = new Command('review')
    .description('Answer AdmissionReviews offline, as the webhook would (plain manifests are reviewed as CREATEs: helm template … | runwarden admission review -); exit 1 when one is denied')
    .argument('<file>', 'an AdmissionReview or Kubernetes objects (JSON or YAML; several documents or a List give a JSON array of answers), or "-" for stdin')
    .option('--report <file>', 'runwarden JSON report whose image verdicts are used (default: none, every image unscanned)')
    .option('-n, --namespace <name>', 'namespace of a plain manifest that sets none', 'default')
    .option('-o, --output <file>', 'write the AdmissionReview response here instead of stdout');
  return addAdmissionOptions(command)
    .option('--config <file>', 'settings file (YAML/JSON): admission.actions, allowedRegistries, exceptions, pssLevel, …; flags override it')
    .option('--debug', 'show stack traces on errors')
    .addHelpText('after', rulesHelp())
    .action(async (file: string, flags: ReviewFlags) => {
      await runReview(file, flags, ctx);
    });
}

/** An AdmissionReview as given, or a CREATE review of a plain object. */
function requestOf(value: unknown, file: string, namespace: string): AdmissionRequest {
  if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'AdmissionReview') {
    try {
      return parseReview(value);
    } catch (error) {
      if (error instanceof BadReviewError) throw new InputError(file, `"${file}": ${error.message}`);
      throw error;
    }
  }
  const object = value as { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
  if (typeof object !== 'object' || object === null || typeof object.kind !== 'string') {
    throw new InputError(file, `"${file}" is neither an AdmissionReview nor a Kubernetes object (no "kind")`, { hint: `Give an AdmissionReview, or a manifest of one of: ${REVIEWED_KINDS.join(', ')}.` });
  }
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : 'v1';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const ns = typeof object.metadata?.namespace === 'string' && object.metadata.namespace !== '' ? object.metadata.namespace : namespace;
  return AdmissionRequest.parse({
    uid: 'runwarden-admission-review',
    kind: { group: group ?? '', version: version ?? 'v1', kind: object.kind },
    resource: { group: group ?? '', version: version ?? 'v1', resource: `${object.kind.toLowerCase()}s` },
    ...(typeof object.metadata?.name === 'string' ? { name: object.metadata.name } : {}),
    namespace: ns,
    operation: 'CREATE',
    object: value,
  });
}

async function runReview(file: string, flags: ReviewFlags, ctx: CliContext): Promise<void> {
  const settings = await resolveSettings(flags, ctx);
  const setup = admissionSetup(settings, flags, flags.config);
  let text: string;
  try {
    text = file === '-' ? await readAll(ctx.stdin ?? process.stdin) : await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(file, `Cannot read "${file}": ${errorMessage(error)}`, { hint: 'Pass an AdmissionReview or manifest file, or "-" for stdin.', cause: error });
  }
  // one document, or several (rendered Helm or kustomize output), Lists flattened
  const values: unknown[] = [];
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  for (const [i, doc] of (Array.isArray(docs) ? docs : []).entries()) {
    if (doc.errors.length > 0) throw new InputError(file, `"${file}" is not JSON or YAML (document ${i + 1}): ${doc.errors[0]?.message.split('\n')[0] ?? ''}`);
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue;
    const items = (value as { kind?: unknown; items?: unknown }).kind === 'List' ? (value as { items?: unknown }).items : undefined;
    if (Array.isArray(items)) values.push(...(items as unknown[]));
    else values.push(value);
  }
  if (values.length === 0) throw new InputError(file, `"${file}" holds no object to review`, { hint: 'Give an AdmissionReview, or manifests of Pods or workloads (an empty pipe usually means the render step failed).' });
  const requests = values.map((v) => requestOf(v, file, flags.namespace ?? 'default'));
  let cache: VerdictCache | undefined;
  if (flags.report !== undefined) {
    let reportText: string;
    try {
      reportText = await readFile(flags.report, 'utf8');
    } catch (error) {
      throw new InputError(flags.report, `Cannot read --report "${flags.report}": ${errorMessage(error)}`, { hint: 'Write one with runwarden scan --format json -o FILE.', cause: error });
    }
    cache = verdictsFromReport(parseReport(reportText, flags.report), flags.report);
  }
  const responses = requests.map((request) => answer(request, { verdicts: () => cache, options: setup.options, failureMode: setup.failureMode }).response);
  // one object: its AdmissionReview answer; several: a JSON array of them, in input order
  const out = `${JSON.stringify(responses.length === 1 ? responses[0] : responses, null, 2)}\n`;
  if (flags.output !== undefined) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(flags.output, out);
  } else ctx.stdout.write(out);
  const outcome = (r: AdmissionReviewResponse['response']): string => (r.allowed ? (r.warnings === undefined ? 'allowed' : `allowed with ${r.warnings.length} warning(s)`) : 'denied');
  if (responses.length === 1) ctx.stderr.write(`runwarden: ${outcome((responses[0] as AdmissionReviewResponse).response)}\n`);
  else {
    responses.forEach((r, i) => ctx.stderr.write(`runwarden: ${objectLabel(requests[i] as AdmissionRequest)}: ${outcome(r.response)}\n`));
    const denied = responses.filter((r) => !r.response.allowed).length;
    ctx.stderr.write(`runwarden: ${responses.length} objects, ${denied} denied\n`);
  }
  if (responses.some((r) => !r.response.allowed)) ctx.exitCode = EXIT.findings;
}

export function admissionCommand(ctx: CliContext, io: AdmissionIo = {}): Command {
  const admission = new Command('admission').description('Validating admission webhook: deny or warn on workloads with malware, critical fixable CVEs, end-of-life images, Pod Security violations, unpinned or unapproved images');
  admission.addCommand(asSubcommand(serveSubcommand(ctx, io), ctx));
  admission.addCommand(asSubcommand(reviewSubcommand(ctx), ctx));
  return admission;
}
