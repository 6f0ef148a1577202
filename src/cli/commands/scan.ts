import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { closest } from 'fastest-levenshtein';
import { readConfigFile, envLayer, mergeSettings, splitList, validateLayer } from '../../config/load.js';
import { FAIL_ON, Namespace, type Settings, type SettingsLayer } from '../../config/schema.js';
import { UsageError, errorMessage, AppError } from '../../core/errors.js';
import { atLeast } from '../../core/severity.js';
import type { InventorySource } from '../../inventory/source.js';
import { snapshotSource } from '../../inventory/sources/snapshot/index.js';
import { join } from 'node:path';
import { demoSnapshotPath, packageRoot } from '../../paths.js';
import { defaultDbPath } from '../../store/db.js';
import { importAdvisories } from '../../vulndb/import.js';
import { openVulnDb, type Db } from '../../vulndb/store/index.js';
import { CHECKS } from '../../policy/registry.js';
import { FORMATS, findFormat } from '../../report/registry.js';
import { LayerCache } from '../../image/analysis/cache.js';
import type { RegistryClient } from '../../registry/client.js';
import { containerdLocator, imageDirLocator, registryLocator, type ImageLocator } from '../../scan/images/locate.js';
import { NON_CHECK_RULES, ruleIds, scan, type RunningImagesSettings } from '../../scan/index.js';
import { CONTRIBUTORS as IMAGE_CONTRIBUTORS } from '../../scan/images/registry.js';
import { addMalwareOptions, malwareFromFlags, type MalwareFlags } from './malware-options.js';
import type { CliContext } from '../context.js';
import { parseDays } from './lifecycle.js';
import { RegistryProbe } from '../../lifecycle/freshness/probe.js';
import { layoutProbeClient } from '../../lifecycle/freshness/layout-client.js';
import { addPolicyOptions, applyPolicyFlags, policySettings, validateExceptionRules, type PolicyFlags } from './check.js';
import { addImageAccessOptions, attachedSbomProvider, containerdOptions, registryClientFrom, validateImageAccess, type ImageAccessFlags } from './image.js';

interface ScanFlags extends PolicyFlags, ImageAccessFlags, MalwareFlags {
  demo?: boolean;
  snapshot?: string;
  kubeconfig?: string;
  context?: string;
  inCluster?: boolean;
  namespace?: string[];
  format?: string;
  output?: string;
  failOn?: string;
  sandboxImage?: string[];
  rules?: string;
  config?: string;
  color?: boolean;
  now?: string;
  debug?: boolean;
  sbomDir?: string;
  db?: string;
  imageDir?: string;
  pullImages?: boolean;
  trustAttachedSbom?: boolean;
  layerCache?: boolean;
  lifecycle?: boolean;
  eolLookahead?: string;
  maxNodeAge?: string;
  controlPlaneVersion?: string;
  imageNode?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...splitList(value)];

export function scanCommand(ctx: CliContext): Command {
  const command = new Command('scan')
    .description('Inventory a cluster (live or from a snapshot), find run-stage problems and report them')
    .option('--demo', 'scan the bundled demo cluster snapshot')
    .option('--snapshot <path>', 'scan a directory or file of "kubectl get … -o json|yaml" output')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('--in-cluster', 'use the pod service account (when running inside the cluster)')
    .option('-n, --namespace <names>', 'only these namespaces (repeat or comma-separate); default: all', collect)
    .option('-f, --format <format>', `report format: ${FORMATS.map((f) => f.id).join(', ')} (default: table)`)
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', `exit 1 when a finding is at or above: ${FAIL_ON.join(', ')} (default: none)`)
    .option('--sandbox-image <glob>', 'extra pod sandbox (pause) image globs, in use by every pod', collect);
  addPolicyOptions(command);
  addMalwareOptions(command);
  return addImageAccessOptions(command, 'the node agent: read running images from this node')
    .option('--rules <ids>', `only these rules (comma-separated): ${CHECKS.map((c) => c.id).join(', ')}`)
    .option('--db <file>', 'match the running images against this vulnerability database, also the layer cache (default: $RUNWARDEN_DB or ~/.local/share/runwarden/runwarden.db)')
    .option('--sbom-dir <dir>', 'SBOMs of running images, used instead of reading them: files named sha256-<hex>.cdx.json / .spdx.json')
    .option('--image-dir <dir>', 'read running images from OCI layouts in this folder (offline; indexed by manifest, index and config digest)')
    .option('--pull-images', 'read running images from their registries (default: on for a live cluster with --db, off for --snapshot/--demo)')
    .option('--no-pull-images', 'never read images from registries')
    .option('--trust-attached-sbom', 'use an SBOM attached to an image in its registry (OCI referrer) instead of cataloging its layers')
    .option('--no-layer-cache', 'read every layer even when the layer cache has it')
    .option('--eol-lookahead <days>', 'warn this long before an end of life, e.g. 90d (default 90d)')
    .option('--max-node-age <days>', 'report nodes older than this for recycling, e.g. 30d (default 30d)')
    .option('--control-plane-version <version>', "Kubernetes version of the control plane (default: the API server's /version, or version.json in a snapshot), for its end of life and kubelet version skew (e.g. v1.31.2)")
    .option('--no-lifecycle', 'skip end-of-life, freshness and node hygiene')
    .option('--image-node <name>', "scan only the images of pods on this node, e.g. the node agent's own with --containerd-root (repeatable)", collect)
    .option('--config <file>', 'settings file (YAML/JSON); flags and RUNWARDEN_* variables override it')
    .option('--no-color', 'plain output even on a terminal')
    .addOption(new Option('--now <iso-time>', 'evaluate as of this time (reproducible reports)').hideHelp())
    .option('--debug', 'show stack traces on errors')
    .action(async (flags: ScanFlags) => {
      const settings = await resolveSettings(flags, ctx);
      await runScan(settings, flags, ctx);
    });
}

async function resolveSettings(flags: ScanFlags, ctx: CliContext): Promise<Settings> {
  const fileLayer = flags.config === undefined ? {} : await readConfigFile(flags.config);
  const flagLayer: SettingsLayer = {};
  if (flags.format !== undefined) flagLayer.format = flags.format;
  if (flags.output !== undefined) flagLayer.output = flags.output;
  if (flags.failOn !== undefined) {
    const value = flags.failOn.toLowerCase();
    if (!(FAIL_ON as readonly string[]).includes(value)) throw unknownValue('--fail-on', flags.failOn, FAIL_ON);
    flagLayer.failOn = value as Settings['failOn'];
  }
  if (flags.namespace !== undefined) {
    for (const ns of flags.namespace) {
      if (!Namespace.safeParse(ns).success) {
        throw new UsageError(`Invalid --namespace "${ns}" (flag): must be a DNS-1123 label (lowercase letters, digits, "-"), e.g. "${ns.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'kube-system'}".`);
      }
    }
    flagLayer.namespaces = flags.namespace;
  }
  if (flags.kubeconfig !== undefined) flagLayer.kubeconfig = flags.kubeconfig;
  if (flags.context !== undefined) flagLayer.context = flags.context;
  if (flags.inCluster === true) flagLayer.inCluster = true;
  if (flags.snapshot !== undefined) flagLayer.snapshot = flags.snapshot;
  if (flags.demo === true) flagLayer.demo = true;
  if (flags.sandboxImage !== undefined) flagLayer.sandboxImages = flags.sandboxImage;
  applyPolicyFlags(flags, flagLayer);
  if (flags.rules !== undefined) {
    const rules = splitList(flags.rules);
    const known = ruleIds();
    for (const rule of rules) if (!known.includes(rule)) throw unknownValue('--rules', rule, known);
    flagLayer.rules = rules;
  }
  if (flags.color === false) flagLayer.color = 'never';
  const settings = mergeSettings(fileLayer, envLayer(ctx.env), validateLayer(flagLayer, 'flags'));
  if (findFormat(settings.format) === undefined) throw unknownValue('--format', settings.format, FORMATS.map((f) => f.id));
  validateExceptionRules(settings, flags.config, NON_CHECK_RULES);
  const sources = [settings.demo ? '--demo' : undefined, settings.snapshot !== undefined ? '--snapshot' : undefined].filter((s) => s !== undefined);
  if (sources.length > 1) throw new UsageError('--demo and --snapshot cannot be combined: pick one source.');
  if (sources.length === 1 && (settings.kubeconfig !== undefined || settings.context !== undefined || settings.inCluster)) {
    throw new UsageError(`${sources[0]} reads files; --kubeconfig, --context and --in-cluster are for a live cluster. Drop one of them.`);
  }
  return settings;
}

export function unknownValue(flag: string, value: string, valid: readonly string[]): UsageError {
  const suggestion = closest(value.toLowerCase(), [...valid]);
  return new UsageError(`Unknown ${flag} "${value}": expected one of ${valid.join(', ')}. Did you mean "${suggestion}"?`);
}

async function createSource(settings: Settings, ctx: CliContext): Promise<InventorySource> {
  if (settings.demo) return snapshotSource({ path: demoSnapshotPath(), type: 'demo', displayRoot: 'demo/cluster' });
  if (settings.snapshot !== undefined) return snapshotSource({ path: settings.snapshot });
  const { kubernetesSource } = await import('../../inventory/sources/kubernetes/index.js');
  return kubernetesSource({ kubeconfig: settings.kubeconfig, context: settings.context, inCluster: settings.inCluster ? true : undefined, env: ctx.env });
}

async function runScan(settings: Settings, flags: ScanFlags, ctx: CliContext): Promise<void> {
  const progress = ctx.stderr.isTTY === true;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new AppError('interrupted', 'Scan interrupted'));
  process.once('SIGINT', onSignal);
  let now: Date | undefined;
  if (flags.now !== undefined) {
    now = new Date(flags.now);
    if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
  }
  const closers: Array<() => void> = [];
  try {
    const images = await imagesSetup(settings, flags, ctx);
    closers.push(...images.close);
    const lifecycle = flags.lifecycle === false ? undefined : {
      // The runwarden database holds the end-of-life data when one is open (else the bundled snapshot).
      db: images.settings?.db,
      eolLookaheadDays: flags.eolLookahead === undefined ? undefined : parseDays(flags.eolLookahead, '--eol-lookahead'),
      maxNodeAgeDays: flags.maxNodeAge === undefined ? undefined : parseDays(flags.maxNodeAge, '--max-node-age'),
      controlPlaneVersion: flags.controlPlaneVersion,
      // Registries when images are pulled; else an --image-dir layout (the demo's) stands in for them
      // (a folder without one index.json at its root is no layout: freshness stays unknown).
      probe: images.registry !== undefined ? new RegistryProbe(images.registry) : images.layout !== undefined ? await layoutProbeClient(images.layout).then((c) => new RegistryProbe(c), () => undefined) : undefined,
    };
    const { report } = await scan({
      images: images.settings,
      lifecycle,
      source: await createSource(settings, ctx),
      namespaces: settings.namespaces,
      sandboxImages: settings.sandboxImages,
      rules: settings.rules,
      policy: policySettings(settings),
      exceptions: settings.exceptions,
      now,
      signal: controller.signal,
      onProgress: progress ? (message) => ctx.stderr.write(`\r\x1b[2K${message}`) : undefined,
    });
    if (progress) ctx.stderr.write('\r\x1b[2K');
    const format = findFormat(settings.format);
    if (format === undefined) throw unknownValue('--format', settings.format, FORMATS.map((f) => f.id));
    const toFile = settings.output !== undefined;
    const color = settings.color === 'always' || (settings.color === 'auto' && !toFile && ctx.stdout.isTTY === true && ctx.env.NO_COLOR === undefined) || (settings.color === 'auto' && ctx.env.FORCE_COLOR !== undefined && ctx.env.FORCE_COLOR !== '0' && !toFile);
    const text = format.render(report, { color });
    if (settings.output !== undefined) {
      try {
        await writeFile(settings.output, text);
      } catch (error) {
        throw new UsageError(`Cannot write --output "${settings.output}": ${errorMessage(error)}`, { hint: 'Check that the directory exists and is writable.' });
      }
      ctx.stderr.write(`runwarden: wrote ${format.id} report to ${settings.output} (${report.summary.findings} findings, ${report.issues.length} issues)\n`);
    } else {
      ctx.stdout.write(text);
    }
    if (settings.failOn !== 'none') {
      const threshold = settings.failOn;
      if (report.findings.some((f) => f.suppression === undefined && atLeast(f.severity, threshold))) ctx.exitCode = 1;
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    for (const close of closers) close();
  }
}

/** The demo's advisory folders, one per source (demo/advisories/SOURCE.md). */
export const DEMO_FEEDS = ['osv', 'alpine-secdb'] as const;

/**
 * How the running images are matched: the advisory DB, SBOMs by digest, and where images are read
 * from (in order: --image-dir, the node's containerd, the registry). Off unless asked for (--db,
 * --sbom-dir, --image-dir, containerd flags, --pull-images) or --demo, which matches its bundled
 * images and SBOMs against its bundled advisories (imported into memory, ~50 ms), offline.
 */
async function imagesSetup(settings: Settings, flags: ScanFlags, ctx: CliContext): Promise<{ settings: RunningImagesSettings | undefined; close: Array<() => void>; registry?: RegistryClient | undefined; layout?: string | undefined }> {
  validateImageAccess(flags);
  const containerd = flags.containerdAddress !== undefined || flags.containerdRoot !== undefined || flags.containerdNamespace !== undefined;
  const live = !settings.demo && settings.snapshot === undefined;
  const asked = flags.db !== undefined || flags.sbomDir !== undefined || flags.imageDir !== undefined || containerd || flags.pullImages === true || flags.trustAttachedSbom === true;
  if (!asked && !settings.demo) return { settings: undefined, close: [] };
  const close: Array<() => void> = [];
  let db: Db;
  let dbPath: string | undefined;
  if (settings.demo && flags.db === undefined) {
    db = openVulnDb(':memory:');
    for (const feed of DEMO_FEEDS) {
      const imported = await importAdvisories(db, join(packageRoot(), 'demo', 'advisories', feed), { workers: 0 });
      if (imported.issues.length > 0) throw new AppError('demo', `The bundled demo advisories (${feed}) did not import: ${imported.issues[0]?.message ?? ''}`);
    }
  } else {
    dbPath = flags.db ?? defaultDbPath(ctx.env);
    db = openVulnDb(dbPath, { readonly: dbPath !== ':memory:' });
  }
  close.push(() => db.close());
  const sbomDir = flags.sbomDir ?? (settings.demo ? join(packageRoot(), 'demo', 'sboms') : undefined);
  const imageDir = flags.imageDir ?? (settings.demo ? join(packageRoot(), 'demo', 'images') : undefined);
  const locators: ImageLocator[] = [];
  if (imageDir !== undefined) locators.push(imageDirLocator(imageDir));
  if (containerd) locators.push(containerdLocator(containerdOptions(flags)));
  const pull = flags.pullImages ?? (live && flags.imageDir === undefined && !containerd);
  let registry: RegistryClient | undefined;
  if (pull || flags.trustAttachedSbom === true) {
    const got = await registryClientFrom(flags, ctx);
    for (const i of got.issues) ctx.stderr.write(`runwarden: ${i.message}${i.hint === undefined ? '' : ` (${i.hint})`}\n`);
    registry = got.client;
  }
  if (pull && registry !== undefined) locators.push(registryLocator(registry));
  if (locators.length === 0 && sbomDir === undefined) {
    throw new UsageError('--db needs a way to read the running images: --image-dir DIR (OCI layouts), --pull-images (registries), --containerd-root/--containerd-address (on a node), or --sbom-dir DIR.');
  }
  let cache: LayerCache | undefined;
  if (flags.layerCache !== false && dbPath !== undefined && locators.length > 0) {
    try {
      const opened = LayerCache.open(dbPath);
      close.push(() => opened.close());
      cache = opened;
    } catch (error) {
      ctx.stderr.write(`runwarden: layer cache unavailable, reading every layer: ${errorMessage(error)}\n`);
    }
  }
  const packages = flags.trustAttachedSbom === true && registry !== undefined ? attachedSbomProvider(registry) : undefined;
  // Malware rides on the same single pass over each image's layers (nothing to scan with SBOMs only).
  const malware = locators.length === 0 ? undefined : await malwareFromFlags(flags, db, settings.demo ? [join(packageRoot(), 'demo', 'signatures', 'demo.ndb')] : []);
  const contributors = malware === undefined ? undefined : [...IMAGE_CONTRIBUTORS, malware];
  return { registry: pull ? registry : undefined, layout: imageDir, settings: { db, sbomDir, locators, cache, packages, nodes: flags.imageNode, contributors }, close };
}
