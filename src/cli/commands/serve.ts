/**
 * `runwarden serve`: the continuous monitoring service (src/serve/). Scans a snapshot, the demo or a live
 * cluster on a schedule (and, for a cluster, on watched changes), keeps history in SQLite (default: the
 * runwarden database) or PostgreSQL (`--store postgres://…`), notifies, and serves /metrics, /healthz,
 * /readyz, the REST API and the dashboard. Stops cleanly on SIGTERM/SIGINT.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { Command } from 'commander';
import { splitList } from '../../config/load.js';
import type { Settings } from '../../config/schema.js';
import { AppError, ConfigError, UsageError, errorMessage } from '../../core/errors.js';
import { isSeverity, type Severity } from '../../core/severity.js';
import type { InventorySource } from '../../inventory/source.js';
import { snapshotSource } from '../../inventory/sources/snapshot/index.js';
import { demoSnapshotPath } from '../../paths.js';
import { scan } from '../../scan/index.js';
import { startWebhook, type RunningWebhook, type WebhookDeps } from '../../admission/server.js';
import { verdictsFromReport, type VerdictCache } from '../../admission/verdicts.js';
import type { NamespaceInfo } from '../../core/inventory.js';
import type { InventoryView } from '../../serve/follow/index.js';
import type { ScanReport } from '../../core/report.js';
import { chosenDbPath } from '../../store/db.js';
import { seedDemoHistory } from '../../serve/demo.js';
import { parseDuration } from '../../core/duration.js';
import { openPostgresHistory, redactUrl } from '../../serve/history/postgres.js';
import { openSqliteHistory } from '../../serve/history/sqlite.js';
import { HistoryStore } from '../../serve/history/store.js';
import { startServe, type FreshnessGate, type Notifier, type ServeHandle } from '../../serve/index.js';
import { DEFAULT_LEASE_NAME, DEFAULT_TIMINGS, LeaderElector, electionDefaults, validateTimings } from '../../serve/leader/index.js';
import type { MonitorOptions } from '../../serve/monitor.js';
import { jsonLogger, type Logger } from '../../serve/log.js';
import { ServeMetrics } from '../../serve/metrics/index.js';
import { kubeEventsNotifier } from '../../serve/notify/kube-events.js';
import { webhookNotifier } from '../../serve/notify/webhook.js';
import { ApiClient } from '../../inventory/sources/kubernetes/client.js';
import { resolveKubeconfig } from '../../inventory/sources/kubernetes/index.js';
import { readTokenFile, type TokenEntry } from '../../serve/server/auth.js';
import { watchVulnDb, type DbWatch } from '../../serve/triggers.js';
import { startWatch, type WatchHandle } from '../../serve/watch/index.js';
import type { CliContext } from '../context.js';
import { addAdmissionRuleOptions, admissionSetup, rulesHelp, type AdmissionFlags } from './admission.js';
import { addPolicyOptions, policySettings } from './check.js';
import { addImageAccessOptions } from './image.js';
import { addMalwareOptions } from './malware-options.js';
import { addLifecycleOptions, addRunningImageOptions, lifecycleSetup, resolveScanSettings, runningImagesSetup, unknownValue, type LifecycleFlags, type RunningImagesFlags, type RunningImagesSetup, type ScanSourceFlags } from './scan-setup.js';

interface ServeFlags extends ScanSourceFlags, RunningImagesFlags, LifecycleFlags, AdmissionFlags {
  admissionPort?: string;
  admissionTlsCert?: string;
  admissionTlsKey?: string;
  admissionClientCa?: string;
  freshnessTtl: string;
  store?: string;
  interval: string;
  retain: string;
  host: string;
  port: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  watch: boolean;
  webhookUrl?: string;
  webhookSecretFile?: string;
  notifySeverity: string;
  kubeEvents?: boolean;
  notifyRate: string;
  grace: string;
  dbPoll: string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionName: string;
  leaderElectionLeaseDuration: string;
  leaderElectionRenewDeadline: string;
  leaderElectionRetryPeriod: string;
}

/** What tests inject: a stop signal instead of process signals, and a hook once the service listens. */
export interface ServeIo {
  /** Aborting it stops the service as SIGTERM would. */
  signal?: AbortSignal | undefined;
  onListening?: ((info: { url: string; firstScan: Promise<void>; admissionUrl?: string | undefined }) => void) | undefined;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...splitList(value)];
type MonitorScanOptions = MonitorOptions['scan'];
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function serveCommand(ctx: CliContext, io: ServeIo = {}): Command {
  const command = new Command('serve')
    .description('Run the monitoring service: scheduled and watched rescans, history, notifications, metrics, REST API and dashboard')
    .option('--demo', 'serve the bundled demo cluster, with a synthetic history so trends show')
    .option('--snapshot <path>', 'rescan a directory or file of "kubectl get … -o json|yaml" output')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('--in-cluster', 'use the pod service account (when running inside the cluster)')
    .option('-n, --namespace <names>', 'only these namespaces (repeat or comma-separate); default: all', collect)
    .option('--sandbox-image <glob>', 'extra pod sandbox (pause) image globs', collect);
  addPolicyOptions(command);
  addMalwareOptions(command);
  addLifecycleOptions(command);
  addImageAccessOptions(command, 'a service on the node: read running images from its containerd');
  addAdmissionRuleOptions(command);
  return addRunningImageOptions(command, 'vulnerability database the running images are matched against, also the layer cache; its updates trigger a re-match (default: $RUNWARDEN_DB)')
    .option('--config <file>', 'settings file (YAML/JSON); flags and RUNWARDEN_* variables override it')
    .option('--store <path|url>', 'history store: a SQLite file (default: the runwarden database; the demo keeps it in memory) or postgres://user@host/db')
    .option('--interval <duration>', 'scan schedule, e.g. 1h, 30m (with a watched cluster: the full rescan period)', '1h')
    .option('--retain <duration>', 'drop history older than this, e.g. 90d', '90d')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port (0: any free port)', '8080')
    .option('--token-file <file>', 'API bearer tokens, one "sha256:<hex> [name]" per line (required off loopback)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); needs --tls-key')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--admission-port <port>', 'also run the validating admission webhook here (HTTPS, POST /validate), answering from the latest scan (see runwarden admission --help)')
    .option('--admission-tls-cert <file>', "the webhook's certificate (PEM; default --tls-cert); re-read when it changes")
    .option('--admission-tls-key <file>', 'private key (PEM) of --admission-tls-cert (default --tls-key)')
    .option('--admission-client-ca <file>', "PEM CA of the API server's client certificate (its AdmissionConfiguration kubeconfig): a review without one that verifies is refused")
    .option('--no-watch', 'with a live cluster: do not watch, rescan on --interval only')
    .option('--webhook-url <url>', 'POST new/fixed findings and end-of-life containers here (JSON, HMAC-signed with --webhook-secret-file)')
    .option('--webhook-secret-file <file>', 'HMAC-SHA256 key for the X-Runwarden-Signature header')
    .option('--kube-events', 'also create a Kubernetes Event on the workload of each new or fixed finding (needs create on events: deploy/serve/rbac-events.yaml)')
    .option('--notify-severity <severity>', 'notify about new findings at or above this severity', 'high')
    .option('--notify-rate <n>', 'at most this many webhook deliveries per minute', '30')
    .option('--grace <duration>', 'on SIGTERM, let a running scan finish this long before abandoning it', '30s')
    .option('--db-poll <duration>', 'how often to look for vulnerability DB updates', '1m')
    .option('--freshness-ttl <duration>', 'reuse registry answers (tag digests, tag lists, lifecycle referrers) this long before asking again', '15m')
    .option('--leader-elect', 'run several replicas: only the holder of a coordination.k8s.io Lease scans, writes history and notifies (needs get, create, update on leases)')
    .option('--leader-election-namespace <ns>', 'namespace of the Lease (default: $POD_NAMESPACE, else the pod\'s own namespace, else the kubeconfig context\'s)')
    .option('--leader-election-name <name>', 'name of the Lease', DEFAULT_LEASE_NAME)
    .option('--leader-election-lease-duration <duration>', 'followers take over a Lease not renewed for this long', `${DEFAULT_TIMINGS.leaseDurationMs / 1000}s`)
    .option('--leader-election-renew-deadline <duration>', 'the leader stops scanning when it could not renew for this long', `${DEFAULT_TIMINGS.renewDeadlineMs / 1000}s`)
    .option('--leader-election-retry-period <duration>', 'how often to renew, and to try to acquire', `${DEFAULT_TIMINGS.retryPeriodMs / 1000}s`)
    .option('--debug', 'show stack traces on errors')
    .addHelpText('after', rulesHelp())
    .action(async (flags: ServeFlags) => {
      await runServe(flags, ctx, io);
    });
}

interface Parsed {
  intervalMs: number;
  retainMs: number;
  graceMs: number;
  dbPollMs: number;
  freshnessTtlMs: number;
  port: number;
  /** The admission webhook's port, when one runs. */
  admissionPort: number | undefined;
  notifySeverity: Severity;
  notifyRate: number;
  election: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } | undefined;
}

function parseFlags(flags: ServeFlags): Parsed {
  const port = Number(flags.port);
  if (!/^\d{1,5}$/.test(flags.port) || port > 65535) throw new UsageError(`Invalid --port "${flags.port}": expected 0–65535, e.g. 8080`);
  const severity = flags.notifySeverity.toLowerCase();
  if (!isSeverity(severity)) throw unknownValue('--notify-severity', flags.notifySeverity, ['critical', 'high', 'medium', 'low', 'info', 'unknown']);
  const rate = Number(flags.notifyRate);
  if (!/^\d{1,5}$/.test(flags.notifyRate) || rate < 1) throw new UsageError(`Invalid --notify-rate "${flags.notifyRate}": expected a positive whole number of deliveries per minute, e.g. 30`);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together: give both, or neither for plain HTTP.');
  if (flags.kubeEvents === true && (flags.demo === true || flags.snapshot !== undefined)) throw new UsageError('--kube-events needs a live cluster: drop --demo/--snapshot, or drop --kube-events.');
  if (flags.webhookSecretFile !== undefined && flags.webhookUrl === undefined) throw new UsageError('--webhook-secret-file is used with --webhook-url: give the URL to notify.');
  if (flags.leaderElect === true && (flags.demo === true || flags.snapshot !== undefined)) throw new UsageError('--leader-elect coordinates replicas watching a live cluster: drop --demo/--snapshot, or drop --leader-elect.');
  if (flags.leaderElect !== true && flags.leaderElectionNamespace !== undefined) throw new UsageError('--leader-election-namespace is used with --leader-elect: add it, or drop the namespace.');
  let admissionPort: number | undefined;
  if (flags.admissionPort !== undefined) {
    admissionPort = Number(flags.admissionPort);
    if (!/^\d{1,5}$/.test(flags.admissionPort) || admissionPort > 65535) throw new UsageError(`Invalid --admission-port "${flags.admissionPort}": expected 0–65535, e.g. 8443`);
    if ((flags.admissionTlsCert === undefined) !== (flags.admissionTlsKey === undefined)) throw new UsageError('--admission-tls-cert and --admission-tls-key go together: give both, or neither to use --tls-cert/--tls-key.');
    if (flags.admissionTlsCert === undefined && flags.tlsCert === undefined) throw new UsageError('--admission-port needs --admission-tls-cert and --admission-tls-key (or --tls-cert and --tls-key): the API server calls webhooks over HTTPS only.', { hint: 'Give the certificate of the webhook Service (e.g. from cert-manager) and its key.' });
  } else {
    const given = (['deny', 'warn', 'ignore', 'vulnSeverity', 'failureMode', 'reviewControllerObjects', 'admissionTlsCert', 'admissionTlsKey', 'admissionClientCa'] as const).find((k) => flags[k] !== undefined);
    if (given !== undefined) throw new UsageError(`--${given.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is an admission setting: add --admission-port to run the webhook, or drop it.`);
  }
  let election: Parsed['election'];
  if (flags.leaderElect === true) {
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(flags.leaderElectionName)) throw new UsageError(`Invalid --leader-election-name "${flags.leaderElectionName}": must be a DNS-1123 subdomain, e.g. "runwarden-serve"`);
    election = {
      leaseDurationMs: parseDuration(flags.leaderElectionLeaseDuration, '--leader-election-lease-duration', { min: 1000 }),
      renewDeadlineMs: parseDuration(flags.leaderElectionRenewDeadline, '--leader-election-renew-deadline', { min: 100 }),
      retryPeriodMs: parseDuration(flags.leaderElectionRetryPeriod, '--leader-election-retry-period', { min: 50 }),
    };
    validateTimings(election);
  }
  return {
    intervalMs: parseDuration(flags.interval, '--interval', { min: 10_000 }),
    retainMs: parseDuration(flags.retain, '--retain', { min: 3_600_000 }),
    graceMs: parseDuration(flags.grace, '--grace'),
    dbPollMs: parseDuration(flags.dbPoll, '--db-poll', { min: 1000 }),
    freshnessTtlMs: parseDuration(flags.freshnessTtl, '--freshness-ttl', { min: 1000 }),
    port,
    admissionPort,
    notifySeverity: severity,
    notifyRate: rate,
    election,
  };
}

/** The certificate and key, checked together now (a wrong file is a one-line error at start, not a failed handshake later). */
export async function readTls(certFile: string, keyFile: string, certFlag = '--tls-cert', keyFlag = '--tls-key'): Promise<{ cert: Buffer; key: Buffer }> {
  const tls = { cert: await readSecretFile(certFile, certFlag), key: await readSecretFile(keyFile, keyFlag) };
  try {
    createSecureContext(tls);
  } catch (error) {
    const reason = errorMessage(error).replace(/^error:[0-9A-F]+:/, '');
    throw new ConfigError(`${certFlag} "${certFile}" with ${keyFlag} "${keyFile}" is not a usable certificate and key: ${reason}`, {
      hint: 'Give the PEM certificate (chain) and the PEM private key that belongs to it, e.g. tls.crt and tls.key of a kubernetes.io/tls Secret.',
    });
  }
  return tls;
}

/** A file a flag names, mounted from a Secret: its bytes without one final newline; empty or unreadable is one line naming the flag. */
/** A PEM CA of client certificates (`flag`), signing `whose` ("the client certificate of …"); one line when it is not one. */
export async function readClientCa(path: string, flag: string, whose: string): Promise<Buffer> {
  const ca = await readSecretFile(path, flag, `Give the PEM CA certificate that signed ${whose} (e.g. ca.crt of its Secret).`);
  if (!ca.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`${flag} "${path}" holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`, { hint: 'Give the CA certificate in PEM, not its key or a DER file (openssl x509 -inform der -in ca.der -out ca.crt).' });
  }
  return ca;
}

export async function readSecretFile(path: string, flag: string, emptyHint = 'Put the secret in the file (at least 16 random bytes).'): Promise<Buffer> {
  try {
    const data = await readFile(path);
    // A Secret mounted from `kubectl create secret --from-literal` has no newline; one from a file often does.
    const trimmed = Buffer.from(data.toString('utf8').replace(/\r?\n$/, ''), 'utf8');
    if (trimmed.length === 0) throw new ConfigError(`${flag} "${path}" is empty`, { hint: emptyHint });
    return trimmed;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ConfigError(`Cannot read ${flag} "${path}": ${errorMessage(error)}`, { hint: 'Check the path and that the Secret is mounted.' });
  }
}

function isPostgres(store: string | undefined): boolean {
  return store !== undefined && /^postgres(ql)?:\/\//.test(store);
}

async function openHistory(store: string | undefined, settings: Settings, ctx: CliContext): Promise<HistoryStore> {
  if (store !== undefined && /^postgres(ql)?:\/\//.test(store)) return new HistoryStore(await openPostgresHistory(store));
  if (store !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(store)) throw new UsageError(`Unknown --store "${redactUrl(store)}": expected a SQLite file path or postgres://user@host:5432/db`);
  return new HistoryStore(openSqliteHistory(store === undefined && settings.demo ? ':memory:' : chosenDbPath(store, ctx.env, '--store')));
}

/**
 * The running images' findings, set up as `scan` sets them up (scan-setup.ts: --db, --sbom-dir, --image-dir,
 * containerd, registries, layer cache, malware; the demo's bundled advisories, SBOMs and images). An advisory
 * DB file another process updates (`runwarden db update`) is watched: a re-match reads no image again.
 */
async function imagesSetup(settings: Settings, flags: ServeFlags, ctx: CliContext): Promise<{ setup: RunningImagesSetup; watched: boolean; close: () => void }> {
  const setup = await runningImagesSetup(settings, flags, ctx, { createDb: true });
  return {
    setup,
    watched: setup.settings !== undefined && setup.dbPath !== undefined && setup.dbPath !== ':memory:',
    close: () => {
      for (const c of setup.close) c();
    },
  };
}

async function runServe(flags: ServeFlags, ctx: CliContext, io: ServeIo): Promise<void> {
  const settings = await resolveScanSettings(flags, ctx);
  const parsed = parseFlags(flags);
  let tokens: TokenEntry[] | undefined;
  if (flags.tokenFile !== undefined) tokens = await readTokenFile(flags.tokenFile);
  else if (!LOOPBACK.has(flags.host)) {
    throw new UsageError(`--host ${flags.host} exposes the API beyond this machine: give --token-file with the hashes of the API tokens`, { hint: 'Or listen on 127.0.0.1 (the default) behind a proxy that authenticates.' });
  }
  const tls = flags.tlsCert === undefined || flags.tlsKey === undefined ? undefined : await readTls(flags.tlsCert, flags.tlsKey);
  // the webhook's settings and certificate, checked before anything starts (one line, not failed handshakes later)
  const admissionSettings = parsed.admissionPort === undefined ? undefined : admissionSetup(settings, flags, flags.config);
  const admissionTls = parsed.admissionPort === undefined ? undefined : { certFile: flags.admissionTlsCert ?? flags.tlsCert ?? '', keyFile: flags.admissionTlsKey ?? flags.tlsKey ?? '' };
  if (admissionTls !== undefined && flags.admissionTlsCert !== undefined) await readTls(admissionTls.certFile, admissionTls.keyFile, '--admission-tls-cert', '--admission-tls-key');
  const admissionClientCa = flags.admissionClientCa === undefined ? undefined : await readClientCa(flags.admissionClientCa, '--admission-client-ca', "the API server's client certificate for webhooks");
  const log: Logger = jsonLogger(ctx.stderr);
  const metrics = new ServeMetrics({ processMetrics: true });
  const live = !settings.demo && settings.snapshot === undefined;

  const history = await openHistory(flags.store, settings, ctx);
  let images: Awaited<ReturnType<typeof imagesSetup>> | undefined;
  let elector: LeaderElector | undefined;
  let electionClient: ApiClient | undefined;
  let watch: WatchHandle | undefined;
  let dbWatch: DbWatch | undefined;
  let eventsClient: ApiClient | undefined;
  let handle: ServeHandle | undefined;
  let admission: RunningWebhook | undefined;
  try {
    images = await imagesSetup(settings, flags, ctx);
    let source: InventorySource;
    if (settings.demo) source = snapshotSource({ path: demoSnapshotPath(), type: 'demo', displayRoot: 'demo/cluster' });
    else if (settings.snapshot !== undefined) source = snapshotSource({ path: settings.snapshot });
    else if (flags.watch) {
      watch = await startWatch({ kubeconfig: settings.kubeconfig, context: settings.context, inCluster: settings.inCluster ? true : undefined, env: ctx.env, namespaces: settings.namespaces, log, metrics });
      source = watch.source;
    } else {
      const { kubernetesSource } = await import('../../inventory/sources/kubernetes/index.js');
      source = kubernetesSource({ kubeconfig: settings.kubeconfig, context: settings.context, inCluster: settings.inCluster ? true : undefined, env: ctx.env });
    }
    const scanOptions = {
      source,
      namespaces: settings.namespaces,
      sandboxImages: settings.sandboxImages,
      rules: settings.rules,
      policy: policySettings(settings),
      exceptions: settings.exceptions,
      images: images.setup.settings,
      // End of life, freshness and node hygiene as `scan` has them; registry answers are asked again after --freshness-ttl.
      lifecycle: await lifecycleSetup(flags, images.setup, { probeTtlMs: parsed.freshnessTtlMs }),
    } satisfies MonitorScanOptions;
    if (settings.demo) {
      const { report } = await scan({ ...scanOptions, now: new Date() });
      const seeded = await seedDemoHistory(history, report, new Date());
      if (seeded > 0) log('info', 'demo history seeded', { scans: seeded });
    }
    const notifiers: Notifier[] = [];
    if (flags.webhookUrl !== undefined) {
      notifiers.push(
        webhookNotifier({
          url: flags.webhookUrl,
          secret: flags.webhookSecretFile === undefined ? undefined : await readSecretFile(flags.webhookSecretFile, '--webhook-secret-file'),
          minSeverity: parsed.notifySeverity,
          perMinute: parsed.notifyRate,
          metrics,
          log,
        }),
      );
    }
    if (flags.kubeEvents === true) {
      eventsClient = new ApiClient(await resolveKubeconfig({ kubeconfig: settings.kubeconfig, context: settings.context, inCluster: settings.inCluster ? true : undefined, env: ctx.env }), 10_000);
      notifiers.push(kubeEventsNotifier({ client: eventsClient, minSeverity: parsed.notifySeverity, metrics, log }));
    }
    if (parsed.election !== undefined) {
      const resolved = await resolveKubeconfig({ kubeconfig: settings.kubeconfig, context: settings.context, inCluster: settings.inCluster ? true : undefined, env: ctx.env });
      const { namespace, identity } = await electionDefaults(flags.leaderElectionNamespace, ctx.env, resolved);
      electionClient = new ApiClient(resolved, parsed.election.renewDeadlineMs);
      elector = new LeaderElector({ client: electionClient, namespace, name: flags.leaderElectionName, identity, ...parsed.election, log, metrics });
      // Fails here, before listening, when the Lease cannot be used at all (RBAC, namespace).
      await elector.start();
      if (!elector.leading) log('info', 'following: another replica leads; serving its history', { lease: `${namespace}/${flags.leaderElectionName}`, leader: elector.holder, identity });
    }
    const freshness: FreshnessGate | undefined = watch;
    handle = await startServe({
      scan: scanOptions,
      history,
      host: flags.host,
      port: parsed.port,
      tls,
      tokens,
      intervalMs: parsed.intervalMs,
      retainMs: parsed.retainMs,
      notifiers,
      freshness,
      metrics,
      log,
      adapter: live ? 'kubernetes' : 'snapshot',
      leader: elector,
      sharedStore: isPostgres(flags.store),
    });
    const served = handle;
    // While a follower, triggers are dropped: the leader rescans (its own informers saw the same change).
    watch?.onChange((reason) => served.trigger(reason));
    if (images.watched && images.setup.settings !== undefined) {
      dbWatch = watchVulnDb(images.setup.settings.db, { intervalMs: parsed.dbPollMs, metrics, log, onUpdate: (version) => served.trigger(`db-update:${version}`) });
    }
    ctx.stderr.write(`runwarden: serving on ${handle.url} (dashboard /, API /api/v1/, metrics /metrics)\n`);
    if (parsed.admissionPort !== undefined && admissionTls !== undefined && admissionSettings !== undefined) {
      const setup = admissionSettings;
      const namespace = latestNamespaces(served);
      const deps: WebhookDeps = {
        verdicts: latestVerdicts(served),
        options: () => ({ ...setup.options(), namespace }),
        failureMode: setup.failureMode,
        log,
        onDecision: (e) => {
          metrics.admissionReviews.inc({ kind: e.request.kind.kind, operation: e.request.operation, outcome: e.outcome });
          metrics.admissionDuration.observe({ outcome: e.outcome }, e.ms / 1000);
        },
      };
      admission = await startWebhook({ host: flags.host, port: parsed.admissionPort, tls: admissionTls, deps, clientCa: admissionClientCa, clientCaFlag: '--admission-client-ca' });
      ctx.stderr.write(`runwarden: admission webhook on ${admission.url}/validate (failure mode ${setup.failureMode}; ${admissionClientCa === undefined ? 'callers not authenticated' : 'API server by client certificate'}; verdicts from the latest scan${parsed.election === undefined ? '' : isPostgres(flags.store) ? '; followers load the leader\'s' : '; followers have none and answer in that mode (share the history with --store postgres://…)'})\n`);
    }
    io.onListening?.({ url: handle.url, firstScan: handle.firstScan, admissionUrl: admission?.url });
    await waitForStop(io.signal);
    log('info', 'shutting down', { graceMs: parsed.graceMs });
    await admission?.close();
    admission = undefined;
    dbWatch?.stop();
    watch?.stop();
    const outcome = await handle.stop(parsed.graceMs);
    handle = undefined;
    // After the last scan is stored: clear the holder so a follower takes over at once.
    await elector?.stop();
    elector = undefined;
    ctx.stderr.write(`runwarden: stopped (${outcome === 'abandoned' ? 'a running scan was abandoned' : 'clean'})\n`);
  } catch (error) {
    await admission?.close().catch(() => undefined);
    dbWatch?.stop();
    watch?.stop();
    if (handle !== undefined) await handle.stop(0).catch(() => undefined);
    else await history.close().catch(() => undefined);
    await elector?.stop().catch(() => undefined);
    throw error;
  } finally {
    eventsClient?.close();
    electionClient?.close();
    images?.close();
  }
}

/** The admission verdicts of the service's latest scan (a follower's: the leader's, loaded), computed once per scan. */
function latestVerdicts(handle: ServeHandle): () => VerdictCache | undefined {
  let from: ScanReport | undefined;
  let cache: VerdictCache | undefined;
  return () => {
    const report = handle.latest()?.report;
    if (report === undefined) return undefined;
    if (report !== from) {
      from = report;
      cache = verdictsFromReport(report, 'the latest scan of runwarden serve');
    }
    return cache;
  };
}

/** The namespaces of the service's latest inventory (labels for Pod Security levels), indexed once per scan. */
function latestNamespaces(handle: ServeHandle): (name: string) => NamespaceInfo | undefined {
  let from: InventoryView | undefined;
  let byName = new Map<string, NamespaceInfo>();
  return (name) => {
    const inventory = handle.latest()?.inventory;
    if (inventory === undefined) return undefined;
    if (inventory !== from) {
      from = inventory;
      byName = new Map(inventory.namespaces.map((n) => [n.name, n]));
    }
    return byName.get(name);
  };
}

/** Resolves on SIGTERM or SIGINT (or the injected signal in tests). */
export function waitForStop(injected: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.removeListener('SIGTERM', done);
      process.removeListener('SIGINT', done);
      resolve();
    };
    if (injected !== undefined) {
      if (injected.aborted) return done();
      injected.addEventListener('abort', done, { once: true });
    } else {
      process.once('SIGTERM', done);
      process.once('SIGINT', done);
    }
  });
}
