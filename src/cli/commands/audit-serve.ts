/**
 * `runwarden audit serve`: the API server's audit webhook backend (src/audit/server.ts) over TLS, with the
 * rules of `audit detect`, alerting through serve's sinks (src/audit/alerts.ts). Every flag is checked
 * before the port is opened: a mistake is one line naming the flag, not a receiver that refuses batches.
 */
import { Command } from 'commander';
import type { SettingsLayer } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import { isSeverity, SEVERITIES, type Severity } from '../../core/severity.js';
import { auditKubeEventsNotifier, createAlerter, DEFAULT_MIN_SEVERITY, DEFAULT_REPEAT_WINDOW_MS, type Alerter } from '../../audit/alerts.js';
import { parseDuration } from '../../core/duration.js';
import { Detector, expiredExceptions } from '../../audit/detect.js';
import { AUDIT_PATH, AuditMetrics, startAuditReceiver, type RunningReceiver } from '../../audit/server.js';
import { ApiClient } from '../../inventory/sources/kubernetes/client.js';
import { resolveKubeconfig } from '../../inventory/sources/kubernetes/index.js';
import type { Notifier } from '../../serve/index.js';
import { jsonLogger } from '../../serve/log.js';
import { webhookNotifier } from '../../serve/notify/webhook.js';
import { readTokenFile, type TokenEntry } from '../../serve/server/auth.js';
import type { CliContext } from '../context.js';
import { addAuditRuleOptions, auditRulesHelp, resolveAuditSettings, type AuditRuleFlags } from './audit.js';
import { readClientCa, readSecretFile, readTls, waitForStop } from './serve.js';
import { unknownValue } from './scan-setup.js';

/** What tests inject: a stop signal instead of process signals, and a hook once the receiver listens. */
export interface AuditServeIo {
  signal?: AbortSignal | undefined;
  onListening?: ((info: { url: string }) => void) | undefined;
}

interface AuditServeFlags extends AuditRuleFlags {
  tlsCert: string;
  tlsKey: string;
  host: string;
  port: string;
  tokenFile?: string | undefined;
  clientCa?: string | undefined;
  allowUnauthenticated?: boolean | undefined;
  webhookUrl?: string | undefined;
  webhookSecretFile?: string | undefined;
  minSeverity?: string | undefined;
  repeatWindow?: string | undefined;
  kubeEvents?: boolean | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  inCluster?: boolean | undefined;
  debug?: boolean | undefined;
}

/** Webhook deliveries per minute: a batch is at most one per 2 s, so this only bites when batches fill to 100 at once. */
const WEBHOOK_PER_MINUTE = 60;

export function auditServeSubcommand(ctx: CliContext, io: AuditServeIo): Command {
  const command = new Command('serve')
    .description(`Receive the API server's audit webhook over TLS (POST ${AUDIT_PATH}, an audit.k8s.io/v1 EventList per batch), detect, and alert to the log, a webhook and Kubernetes Events (deploy/audit/readme.md)`)
    .requiredOption('--tls-cert <file>', 'certificate (PEM) the API server trusts (certificate-authority of the webhook kubeconfig); re-read when it changes')
    .requiredOption('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--host <address>', 'listen address', '0.0.0.0')
    .option('--port <port>', 'listen port (0: any free port)', '8444')
    .option('--token-file <file>', 'accepted bearer tokens, one "sha256:<hex> [name]" per line (the hash of the token in the webhook kubeconfig: printf %s "$TOKEN" | sha256sum)')
    .option('--client-ca <file>', 'PEM CA that signed the client certificate of the webhook kubeconfig: a request without one that verifies is refused')
    .option('--allow-unauthenticated', 'accept batches from anyone who reaches the port (neither --token-file nor --client-ca; tests, or a NetworkPolicy that only lets the API server in)')
    .option('--webhook-url <url>', 'POST detections at or above --min-severity here (serve\'s webhook format, HMAC-signed with --webhook-secret-file)')
    .option('--webhook-secret-file <file>', 'HMAC-SHA256 key for the X-Runwarden-Signature header')
    .option('--min-severity <severity>', `alert (webhook, Kubernetes Events) on detections at or above: ${SEVERITIES.join(', ')} (default: ${DEFAULT_MIN_SEVERITY}); every detection is logged`)
    .option('--repeat-window <duration>', 'a detection that repeats one sent within this window (same rule, identity and title: an operator\'s watch of Secrets reconnecting) is logged, not sent again; 0 sends every one (default: 1h)')
    .option('--kube-events', 'also create a Kubernetes Event on the pod of each detection about a pod (needs create on events: deploy/serve/rbac-events.yaml)')
    .option('--kubeconfig <file>', 'with --kube-events: kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--context <name>', 'with --kube-events: kubeconfig context (default: the current context)')
    .option('--in-cluster', 'with --kube-events: use the pod service account');
  return addAuditRuleOptions(command)
    .option('--debug', 'show stack traces on errors')
    .addHelpText('after', auditRulesHelp())
    .action(async (flags: AuditServeFlags) => {
      await runAuditServe(flags, ctx, io);
    });
}

interface Checked {
  port: number;
  minSeverity: Severity;
  webhookUrl: URL | undefined;
  repeatWindowMs: number;
}

/** The flags that need no file, checked together first. */
function checkFlags(flags: AuditServeFlags): Checked {
  const port = Number(flags.port);
  if (!/^\d{1,5}$/.test(flags.port) || port > 65535) throw new UsageError(`Invalid --port "${flags.port}": expected 0–65535, e.g. 8444`);
  let minSeverity = DEFAULT_MIN_SEVERITY;
  if (flags.minSeverity !== undefined) {
    const value = flags.minSeverity.toLowerCase();
    if (!isSeverity(value)) throw unknownValue('--min-severity', flags.minSeverity, SEVERITIES);
    minSeverity = value;
  }
  if (flags.webhookSecretFile !== undefined && flags.webhookUrl === undefined) throw new UsageError('--webhook-secret-file is used with --webhook-url: give the URL to notify.');
  let webhookUrl: URL | undefined;
  if (flags.webhookUrl !== undefined) {
    try {
      webhookUrl = new URL(flags.webhookUrl);
    } catch {
      webhookUrl = undefined;
    }
    if (webhookUrl === undefined || (webhookUrl.protocol !== 'https:' && webhookUrl.protocol !== 'http:')) throw new UsageError(`Invalid --webhook-url "${redact(flags.webhookUrl)}": expected an http(s) URL, e.g. https://alerts.example.com/runwarden`);
  }
  const kubeFlag = (['kubeconfig', 'context', 'inCluster'] as const).find((k) => flags[k] !== undefined);
  if (kubeFlag !== undefined && flags.kubeEvents !== true) throw new UsageError(`--${kubeFlag === 'inCluster' ? 'in-cluster' : kubeFlag} is used with --kube-events: add it, or drop the flag.`);
  const auth = flags.tokenFile !== undefined ? '--token-file' : flags.clientCa !== undefined ? '--client-ca' : undefined;
  if (flags.allowUnauthenticated === true && auth !== undefined) throw new UsageError(`--allow-unauthenticated contradicts ${auth}: drop one of them.`);
  if (flags.allowUnauthenticated !== true && auth === undefined) {
    throw new UsageError('audit serve needs authentication: give --token-file (SHA-256 hashes of the API server\'s bearer tokens) and/or --client-ca (the CA of its client certificate), or --allow-unauthenticated to accept any caller', {
      hint: 'deploy/audit/webhook-kubeconfig.yaml shows both; the API server presents what its --audit-webhook-config-file holds.',
    });
  }
  let repeatWindowMs = DEFAULT_REPEAT_WINDOW_MS;
  if (flags.repeatWindow !== undefined) repeatWindowMs = flags.repeatWindow.trim() === '0' ? 0 : parseDuration(flags.repeatWindow, '--repeat-window');
  return { port, minSeverity, webhookUrl, repeatWindowMs };
}

/** A URL without its path, query and credentials (a Slack-style webhook URL holds its secret in the path). */
function redact(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url.length > 40 ? `${url.slice(0, 40)}…` : url;
  }
}

function authLabel(tokens: readonly TokenEntry[] | undefined, clientCa: Buffer | undefined): string {
  const parts = [tokens === undefined ? '' : `bearer token (${tokens.length})`, clientCa === undefined ? '' : 'client certificate'].filter((p) => p !== '');
  return parts.length === 0 ? 'NONE (--allow-unauthenticated)' : parts.join(' and ');
}

async function runAuditServe(flags: AuditServeFlags, ctx: CliContext, io: AuditServeIo): Promise<void> {
  const checked = checkFlags(flags);
  const flagLayer: SettingsLayer = {};
  if (flags.kubeconfig !== undefined) flagLayer.kubeconfig = flags.kubeconfig;
  if (flags.context !== undefined) flagLayer.context = flags.context;
  if (flags.inCluster === true) flagLayer.inCluster = true;
  const { settings, audit } = await resolveAuditSettings(flags, ctx, flagLayer);
  // the certificate, the auth files and the sinks' settings, before the port is opened
  await readTls(flags.tlsCert, flags.tlsKey);
  const tokens = flags.tokenFile === undefined ? undefined : await readTokenFile(flags.tokenFile);
  const clientCa = flags.clientCa === undefined ? undefined : await readClientCa(flags.clientCa, '--client-ca', 'the client certificate of the webhook kubeconfig');
  const secret = flags.webhookSecretFile === undefined ? undefined : await readSecretFile(flags.webhookSecretFile, '--webhook-secret-file');
  const resolved = flags.kubeEvents === true ? await resolveKubeconfig({ kubeconfig: settings.kubeconfig, context: settings.context, inCluster: settings.inCluster ? true : undefined, env: ctx.env }) : undefined;

  const log = jsonLogger(ctx.stderr);
  const metrics = new AuditMetrics({ processMetrics: true });
  const detector = new Detector(audit);
  for (const i of expiredExceptions(audit, new Date())) log('warn', i.message, { hint: i.hint });
  const notifiers: Notifier[] = [];
  const sinks: string[] = [];
  if (checked.webhookUrl !== undefined) {
    notifiers.push(webhookNotifier({ url: checked.webhookUrl.href, secret, minSeverity: checked.minSeverity, perMinute: WEBHOOK_PER_MINUTE, log }));
    sinks.push(`webhook ${checked.webhookUrl.origin}`);
  }
  let eventsClient: ApiClient | undefined;
  if (resolved !== undefined) {
    eventsClient = new ApiClient(resolved, 10_000);
    notifiers.push(auditKubeEventsNotifier({ client: eventsClient, minSeverity: checked.minSeverity, log, component: 'runwarden.io/audit' }));
    sinks.push('Kubernetes Events');
  }
  const alerter: Alerter = createAlerter({ notifiers, minSeverity: checked.minSeverity, repeatWindowMs: checked.repeatWindowMs, log });
  let receiver: RunningReceiver | undefined;
  try {
    receiver = await startAuditReceiver({
      host: flags.host,
      port: checked.port,
      tls: { certFile: flags.tlsCert, keyFile: flags.tlsKey },
      clientCa,
      deps: { detector, onDetections: (d) => alerter.push(d), tokens, metrics, log },
    });
    if (flags.allowUnauthenticated === true) log('warn', 'audit webhook accepts unauthenticated requests (--allow-unauthenticated): anyone who reaches the port can send events', { url: `${receiver.url}${AUDIT_PATH}` });
    const alerts = sinks.length === 0 ? 'alerts to the log only' : `alerts to the log, and at ${checked.minSeverity} or above to ${sinks.join(' and ')}`;
    ctx.stderr.write(`runwarden: audit webhook on ${receiver.url}${AUDIT_PATH} (${detector.rules.length} rules; ${alerts}; auth: ${authLabel(tokens, clientCa)})\n`);
    io.onListening?.({ url: receiver.url });
    await waitForStop(io.signal);
    await receiver.close();
    receiver = undefined;
    await alerter.close();
    ctx.stderr.write('runwarden: audit webhook stopped\n');
  } catch (error) {
    await receiver?.close().catch(() => undefined);
    await alerter.close().catch(() => undefined);
    throw error;
  } finally {
    eventsClient?.close();
  }
}
