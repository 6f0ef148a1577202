/**
 * What `scan` and `serve` set up the same way, in one place: the settings of a cluster scan (file, RUNWARDEN_*
 * variables and flags merged, with the same one-line errors) and how the running images are read and matched
 * (advisory DB, SBOMs by digest, image dir, containerd, registries, layer cache, malware). `serve` hosts the
 * scan service, so it must never drift from what `scan` would do with the same flags.
 */
import { existsSync } from 'node:fs';
import { isSeverity, SEVERITIES, type Severity } from '../../core/severity.js';
import { join } from 'node:path';
import type { Command } from 'commander';
import { closest, distance } from 'fastest-levenshtein';
import { envLayer, mergeSettings, readConfigFile, splitList, validateLayer } from '../../config/load.js';
import { Namespace, type Settings, type SettingsLayer } from '../../config/schema.js';
import { AppError, UsageError, errorMessage } from '../../core/errors.js';
import { readVexFiles } from '../../vulndb/vex/index.js';
import { LayerCache } from '../../image/analysis/cache.js';
import { layoutProbeClient } from '../../lifecycle/freshness/layout-client.js';
import { RegistryProbe } from '../../lifecycle/freshness/probe.js';
import { packageRoot } from '../../paths.js';
import { CHECKS } from '../../policy/registry.js';
import type { RegistryClient } from '../../registry/client.js';
import { containerdLocator, imageDirLocator, registryLocator, type ImageLocator } from '../../scan/images/locate.js';
import { CONTRIBUTORS as IMAGE_CONTRIBUTORS } from '../../scan/images/registry.js';
import { NON_CHECK_RULES, ruleIds, UNSCANNED_IMAGE_RULE, type RunningImagesSettings, type ScanOptions } from '../../scan/index.js';
import { chosenDbPath } from '../../store/db.js';
import { importAdvisories } from '../../vulndb/import.js';
import { staleAfterHoursOf } from '../../vulndb/config.js';
import { openVulnDb, type Db } from '../../vulndb/store/index.js';
import type { CliContext } from '../context.js';
import { parseDays } from './lifecycle.js';
import { applyPolicyFlags, validateExceptionRules, type PolicyFlags } from './check.js';
import { attachedSbomProvider, containerdOptions, registryClientFrom, validateImageAccess, type ImageAccessFlags } from './image.js';
import { collectFiles, malwareFromFlags, type MalwareFlags } from './malware-options.js';

/**
 * `Unknown --flag "x": expected one of …. Did you mean "y"?`, the question only when "y" is a likely typo of "x"
 * (a few edits away, or part of it: "strict" of "restricted"): `-f pdf` asking "Did you mean json?" helps nobody.
 */
export function unknownValue(flag: string, value: string, valid: readonly string[]): UsageError {
  const typed = value.toLowerCase();
  const suggestion = closest(typed, [...valid]);
  const likely = suggestion !== undefined && (distance(typed, suggestion) <= Math.max(2, Math.floor(suggestion.length / 3)) || (typed.length >= 3 && suggestion.includes(typed)));
  return new UsageError(`Unknown ${flag} "${value}": expected one of ${valid.join(', ')}.${likely ? ` Did you mean "${suggestion}"?` : ''}`);
}

/** A severity threshold flag (`fix --severity`, `clean --severity`): a rated severity, not `unknown`. */
export function parseSeverityThreshold(flag: string, value: string): Severity {
  const rated = SEVERITIES.filter((x) => x !== 'unknown');
  if (!isSeverity(value) || value === 'unknown') throw unknownValue(flag, value, rated);
  return value;
}

/** The demo's advisory folders, one per source (demo/advisories/SOURCE.md). */
export const DEMO_FEEDS = ['osv', 'alpine-secdb'] as const;

/** The source and policy flags of a cluster scan. */
export interface ScanSourceFlags extends PolicyFlags {
  demo?: boolean | undefined;
  snapshot?: string | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  inCluster?: boolean | undefined;
  namespace?: string[] | undefined;
  sandboxImage?: string[] | undefined;
  rules?: string | undefined;
  config?: string | undefined;
}

/**
 * Settings file < RUNWARDEN_* variables < flags. `extra` adds a command's own flags to the flag layer
 * (validated with the rest).
 */
export async function resolveScanSettings(flags: ScanSourceFlags, ctx: CliContext, extra: (layer: SettingsLayer) => void = () => undefined): Promise<Settings> {
  const fileLayer = flags.config === undefined ? {} : await readConfigFile(flags.config);
  const flagLayer: SettingsLayer = {};
  extra(flagLayer);
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
  const settings = mergeSettings(fileLayer, envLayer(ctx.env), validateLayer(flagLayer, 'flags'));
  validateExceptionRules(settings, flags.config, [...NON_CHECK_RULES, UNSCANNED_IMAGE_RULE]);
  const sources = [settings.demo ? '--demo' : undefined, settings.snapshot !== undefined ? '--snapshot' : undefined].filter((s) => s !== undefined);
  if (sources.length > 1) throw new UsageError('--demo and --snapshot cannot be combined: pick one source.');
  if (sources.length === 1 && (settings.kubeconfig !== undefined || settings.context !== undefined || settings.inCluster)) {
    throw new UsageError(`${sources[0]} reads files; --kubeconfig, --context and --in-cluster are for a live cluster. Drop one of them.`);
  }
  return settings;
}

/** The flags of how running images are read and matched. */
export interface RunningImagesFlags extends ImageAccessFlags, MalwareFlags {
  db?: string | undefined;
  sbomDir?: string | undefined;
  imageDir?: string | undefined;
  pullImages?: boolean | undefined;
  trustAttachedSbom?: boolean | undefined;
  layerCache?: boolean | undefined;
  imageNode?: string[] | undefined;
  vex?: string[] | undefined;
}

export interface RunningImagesSetup {
  settings: RunningImagesSettings | undefined;
  close: Array<() => void>;
  /** The registry client when images are pulled (also the freshness probe's). */
  registry?: RegistryClient | undefined;
  /** The --image-dir (or the demo's), a stand-in for registries in the freshness probe. */
  layout?: string | undefined;
  /** The advisory DB file (undefined: the demo's in-memory one); another process may update it. */
  dbPath?: string | undefined;
}

/**
 * How the running images are matched: the advisory DB, SBOMs by digest, and where images are read
 * from (in order: --image-dir, the node's containerd, the registry). Off unless asked for (--db,
 * --sbom-dir, --image-dir, containerd flags, --pull-images) or --demo, which matches its bundled
 * images and SBOMs against its bundled advisories (imported into memory, ~50 ms), offline.
 * `createDb`: a --db that does not exist yet is created, empty (serve: the vulndb container beside it fills it, and
 * serve matches again on each update; for a one-shot scan a missing file is a mistake and stays an error).
 */
export async function runningImagesSetup(settings: Settings, flags: RunningImagesFlags, ctx: CliContext, options: { createDb?: boolean } = {}): Promise<RunningImagesSetup> {
  validateImageAccess(flags);
  const containerd = flags.containerdAddress !== undefined || flags.containerdRoot !== undefined || flags.containerdNamespace !== undefined;
  const live = !settings.demo && settings.snapshot === undefined;
  const asked = flags.db !== undefined || flags.sbomDir !== undefined || flags.imageDir !== undefined || containerd || flags.pullImages === true || flags.trustAttachedSbom === true;
  if (!asked && !settings.demo) {
    if (flags.vex !== undefined) throw new UsageError('--vex applies to the vulnerabilities of the running images: add --db (and a way to read the images, e.g. --pull-images or --image-dir DIR), or --sbom-dir DIR.');
    return { settings: undefined, close: [] };
  }
  // read before anything is opened: a VEX file that cannot be read is a usage problem, reported first
  const vex = flags.vex === undefined ? undefined : await readVexFiles(flags.vex);
  const close: Array<() => void> = [];
  try {
    let db: Db;
    let dbPath: string | undefined;
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
    // The flags and the vulndb config are checked before the database is opened: a usage error changes nothing on disk.
    const staleAfterHours = await staleAfterHoursOf(ctx.env);
    if (settings.demo && flags.db === undefined) {
      db = openVulnDb(':memory:');
      close.push(() => db.close());
      for (const feed of DEMO_FEEDS) {
        const imported = await importAdvisories(db, join(packageRoot(), 'demo', 'advisories', feed), { workers: 0 });
        if (imported.issues.length > 0) throw new AppError('demo', `The bundled demo advisories (${feed}) did not import: ${imported.issues[0]?.message ?? ''}`);
      }
    } else {
      dbPath = chosenDbPath(flags.db, ctx.env);
      if (options.createDb === true && dbPath !== ':memory:' && !existsSync(dbPath)) {
        openVulnDb(dbPath).close();
        ctx.stderr.write(`runwarden: the vulnerability database ${dbPath} did not exist: created empty; the running images are matched again once it is filled ("runwarden db update")\n`);
      }
      db = openVulnDb(dbPath, { readonly: dbPath !== ':memory:' });
      close.push(() => db.close());
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
    return { registry: pull ? registry : undefined, layout: imageDir, dbPath, settings: { db, sbomDir, locators, cache, packages, nodes: flags.imageNode, contributors, vex, staleAfterHours }, close };
  } catch (error) {
    for (const c of close) c();
    throw error;
  }
}

/** The end-of-life, freshness and node-hygiene flags. */
export interface LifecycleFlags {
  lifecycle?: boolean | undefined;
  eolLookahead?: string | undefined;
  maxNodeAge?: string | undefined;
  controlPlaneVersion?: string | undefined;
}

/**
 * How `scan` and `serve` read the running images: `--rules`, `--db`, `--sbom-dir`, `--image-dir`,
 * `--pull-images`, `--trust-attached-sbom`, `--no-layer-cache` (registry and containerd flags come from
 * `addImageAccessOptions`). `dbHelp` says what the database does for the command.
 */
export function addRunningImageOptions(command: Command, dbHelp: string): Command {
  return command
    .option('--rules <ids>', `only these rules (comma-separated): ${CHECKS.map((c) => c.id).join(', ')}`)
    .option('--db <file>', dbHelp)
    .option('--sbom-dir <dir>', 'SBOMs of running images, used instead of reading them: files named sha256-<hex>.cdx.json / .spdx.json')
    .option('--vex <path>', 'OpenVEX, CycloneDX or CSAF 2.0 VEX document, or a folder of them (repeatable): statements about a package purl or an image (pkg:oci/…@sha256%3A…) suppress or annotate its vulnerability findings', collectFiles)
    .option('--image-dir <dir>', 'read running images from OCI layouts in this folder (offline; indexed by manifest, index and config digest; layer results cached in --db)')
    .option('--pull-images', 'read running images from their registries (default: on for a live cluster with --db, off for --snapshot/--demo)')
    .option('--no-pull-images', 'never read images from registries')
    .option('--trust-attached-sbom', 'use an SBOM attached to an image in its registry (OCI referrer) instead of cataloging its layers')
    .option('--no-layer-cache', 'read every layer even when the layer cache has it');
}

/** The end-of-life, freshness and node-hygiene flags of `scan` and `serve`. */
export function addLifecycleOptions(command: Command): Command {
  return command
    .option('--eol-lookahead <days>', 'warn this long before an end of life, e.g. 90d (default 90d)')
    .option('--max-node-age <days>', 'report nodes older than this for recycling, e.g. 30d (default 30d)')
    .option('--control-plane-version <version>', "Kubernetes version of the control plane (default: the API server's /version, or version.json in a snapshot), for its end of life and kubelet version skew (e.g. v1.31.2)")
    .option('--no-lifecycle', 'skip end-of-life, freshness and node hygiene');
}

/**
 * End of life, freshness and node hygiene as `scan` runs them (undefined with --no-lifecycle).
 * `probeTtlMs`: how long registry answers (tag digests, tag lists, referrers) are reused; a one-shot
 * scan reuses them for its whole run, a long-lived service must ask again to see tags move on.
 */
export async function lifecycleSetup(flags: LifecycleFlags, images: RunningImagesSetup, options: { probeTtlMs?: number | undefined } = {}): Promise<ScanOptions['lifecycle']> {
  if (flags.lifecycle === false) return undefined;
  const probeOptions = { ttlMs: options.probeTtlMs };
  return {
    // The runwarden database holds the end-of-life data when one is open (else the bundled snapshot).
    db: images.settings?.db,
    eolLookaheadDays: flags.eolLookahead === undefined ? undefined : parseDays(flags.eolLookahead, '--eol-lookahead'),
    maxNodeAgeDays: flags.maxNodeAge === undefined ? undefined : parseDays(flags.maxNodeAge, '--max-node-age'),
    controlPlaneVersion: flags.controlPlaneVersion,
    // Registries when images are pulled; else an --image-dir layout (the demo's) stands in for them
    // (a folder without one index.json at its root is no layout: freshness stays unknown).
    probe:
      images.registry !== undefined
        ? new RegistryProbe(images.registry, probeOptions)
        : images.layout !== undefined
          ? await layoutProbeClient(images.layout).then(
              (c) => new RegistryProbe(c, probeOptions),
              () => undefined,
            )
          : undefined,
  };
}
