/**
 * `runwarden image inspect <image>`: resolve an image from any source (registry reference, oci:,
 * oci-archive:, docker-archive:, containerd:) and print its digest, platform, layers, config and
 * referrers — the same view every later analysis starts from.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import pc from 'picocolors';
import { FAIL_ON } from '../../config/schema.js';
import { AppError, EXIT, UsageError, errorMessage } from '../../core/errors.js';
import { atLeast, type Severity } from '../../core/severity.js';
import { LayerCache } from '../../image/analysis/cache.js';
import { FORMATS as REPORT_FORMATS, findFormat } from '../../report/registry.js';
import { attachedSbomPackages } from '../../sbom/attached.js';
import { CONTRIBUTORS, scanImage, type PackagesProvider } from '../../scan/images/index.js';
import { addMalwareOptions, collectFiles, malwareFromFlags, type MalwareFlags } from './malware-options.js';
import { describeImageScan, imageScanReport } from '../../scan/images/report.js';
import { applyVex, readVexFiles } from '../../vulndb/vex/index.js';
import { chosenDbPath } from '../../store/db.js';
import { staleAfterHoursOf } from '../../vulndb/config.js';
import { staleDatabaseIssue } from '../../vulndb/freshness.js';
import { openVulnDb } from '../../vulndb/store/index.js';
import { issue, type Issue } from '../../core/issue.js';
import { IMAGE_SOURCES, parseImageInput } from '../../image/registry.js';
import type { ImageHandle, ReferrersResult } from '../../image/types.js';
import { RegistryClient } from '../../registry/client.js';
import { chainCredentials, dockerConfigCredentials, pullSecretCredentials, type CredentialStore } from '../../registry/credentials.js';
import { formatPlatform, parsePlatform } from '../../registry/platform.js';
import type { Descriptor } from '../../registry/schema.js';
import type { CliContext } from '../context.js';
import { emitReport, wantsColor } from '../output.js';
import { unknownValue } from './scan.js';
import { formatBytes } from '../../core/format.js';

/** How to reach images: the flags `image inspect`, `image scan` and `scan` share. */
export interface ImageAccessFlags {
  insecureRegistry?: string[];
  dockerConfig?: string;
  credentialHelpers?: boolean;
  pullSecret?: string[];
  registryMirror?: string[];
  containerdAddress?: string;
  containerdNamespace?: string;
  containerdRoot?: string;
}

interface InspectFlags extends ImageAccessFlags {
  format?: string;
  platform?: string;
  referrers?: boolean;
  color?: boolean;
}

const FORMATS = ['table', 'json'] as const;
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];

export function imageCommand(ctx: CliContext): Command {
  const image = new Command('image').description('Inspect and scan container images from a registry, an OCI layout or archive, a docker save archive, or a node\'s containerd');
  const inspect: Command = new Command('inspect')
    .description('Resolve an image and print its digest, platform, layers, config and referrers')
    .argument('<image>', `${IMAGE_SOURCES.map((s) => s.syntax).join(' | ')}`)
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (default: table)`)
    .option('--platform <os/arch[/variant]>', 'platform to choose from a multi-platform image (default: this machine)');
  addImageAccessOptions(inspect)
    .option('--no-referrers', 'do not look up referrers (signatures, SBOMs, attestations)')
    .option('--no-color', 'plain output even on a terminal')
    .action(async (input: string, flags: InspectFlags) => {
      await inspectImage(input, flags, ctx);
    });
  inspect.exitOverride();
  inspect.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
  image.addCommand(inspect);
  const scan = imageScanCommand(ctx);
  scan.exitOverride();
  scan.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
  image.addCommand(scan);
  return image;
}

interface ImageScanFlags extends ImageAccessFlags, MalwareFlags {
  db?: string;
  format?: string;
  output?: string;
  failOn?: string;
  platform?: string;
  trustAttachedSbom?: boolean;
  layerCache?: boolean;
  color?: boolean;
  now?: string;
  vex?: string[];
}

function imageScanCommand(ctx: CliContext): Command {
  const command = new Command('scan')
    .description('Everything runwarden knows about one image: OS, packages and their vulnerabilities, malware, reported like "scan"')
    .argument('<image>', `${IMAGE_SOURCES.map((s) => s.syntax).join(' | ')}`)
    .option('--db <file>', 'vulnerability database, also the layer cache (default: $RUNWARDEN_DB or ~/.local/share/runwarden/runwarden.db)')
    .option('-f, --format <format>', `report format: ${REPORT_FORMATS.map((f) => f.id).join(', ')} (default: table)`)
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', `exit 1 when an unsuppressed finding is at or above: ${FAIL_ON.join(', ')} (default: none)`)
    .option('--platform <os/arch[/variant]>', 'platform to choose from a multi-platform image (default: this machine)')
    .option('--vex <path>', 'OpenVEX, CycloneDX or CSAF 2.0 VEX document, or a folder of them (repeatable): statements about a package purl or this image (pkg:oci/…@sha256%3A…) suppress or annotate its vulnerability findings', collectFiles);
  addMalwareOptions(command);
  return addImageAccessOptions(command)
    .option('--trust-attached-sbom', 'use an SBOM attached to the image in its registry (OCI referrer) instead of cataloging its layers')
    .option('--no-layer-cache', 'read every layer even when the layer cache has it')
    .option('--no-color', 'plain output even on a terminal')
    .addOption(new Option('--now <iso-time>', 'report time (reproducible reports)').hideHelp())
    .action(async (input: string, flags: ImageScanFlags) => {
      await scanOneImage(input, flags, ctx);
    });
}

/** Packages from an SBOM attached to the image in its registry (src/sbom/attached.ts), when one is readable. */
export function attachedSbomProvider(client: RegistryClient): PackagesProvider {
  return async (image, signal) => {
    const digests = [image.digest, image.index?.digest].filter((d): d is string => d !== undefined);
    if (image.name === undefined || digests.length === 0) return { packages: undefined, issues: [] };
    const got = await attachedSbomPackages(client, image.name, digests, { signal });
    return { packages: got.sbom === undefined ? undefined : { packages: got.sbom.packages, kind: 'sbom', origin: got.sbom.origin }, issues: got.issues };
  };
}

async function scanOneImage(input: string, flags: ImageScanFlags, ctx: CliContext): Promise<void> {
  const format = findFormat((flags.format ?? 'table').toLowerCase());
  if (format === undefined) throw unknownValue('--format', flags.format ?? '', REPORT_FORMATS.map((f) => f.id));
  const failOn = (flags.failOn ?? 'none').toLowerCase();
  if (!(FAIL_ON as readonly string[]).includes(failOn)) throw unknownValue('--fail-on', flags.failOn ?? '', FAIL_ON);
  const now = flags.now === undefined ? new Date() : new Date(flags.now);
  if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now ?? ''}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  validateImageAccess(flags);
  const { source, target } = parseImageInput(input);
  const vex = flags.vex === undefined ? undefined : await readVexFiles(flags.vex);
  const issues: Issue[] = [];
  let registry: RegistryClient | undefined;
  if (source.id === 'registry' || flags.trustAttachedSbom === true) {
    const got = await registryClientFrom(flags, ctx);
    issues.push(...got.issues);
    registry = got.client;
  }
  const staleAfterHours = await staleAfterHoursOf(ctx.env);
  const dbPath = chosenDbPath(flags.db, ctx.env);
  if (dbPath !== ':memory:' && !existsSync(dbPath)) {
    throw new AppError('db-missing', `No vulnerability database at "${dbPath}"`, { hint: 'Run "runwarden db update" (or "runwarden db import <path|url>"), or pass --db PATH.' });
  }
  const db = openVulnDb(dbPath, { readonly: dbPath !== ':memory:' });
  const malware = await malwareFromFlags(flags, db);
  const contributors = malware === undefined ? undefined : [...CONTRIBUTORS, malware];
  let cache: LayerCache | undefined;
  if (flags.layerCache !== false) {
    try {
      cache = LayerCache.open(dbPath);
    } catch (error) {
      ctx.stderr.write(`runwarden: layer cache unavailable, reading every layer: ${errorMessage(error)}\n`);
    }
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new AppError('interrupted', 'Image scan interrupted'));
  process.once('SIGINT', onSignal);
  try {
    const handle = await source.open(target, { platform, signal: controller.signal, registry, containerd: containerdOptions(flags) });
    let text: string;
    let report;
    try {
      const scan = await scanImage(handle, { db, cache, now, signal: controller.signal, contributors, packages: flags.trustAttachedSbom === true && registry !== undefined ? attachedSbomProvider(registry) : undefined });
      scan.issues.unshift(...issues);
      const stale = staleDatabaseIssue(db, now, staleAfterHours);
      if (stale !== undefined) scan.issues.push(stale);
      if (vex !== undefined) {
        // statements about a package purl, or about this image by its digest
        const applied = applyVex(scan.findings.map((f) => f.finding), vex.statements, { imageDigest: scan.image?.digest });
        scan.findings = scan.findings.map((f, i) => ({ ...f, finding: applied[i] ?? f.finding }));
        scan.issues.push(...vex.issues);
      }
      // the digest in each finding's evidence, as a cluster scan writes it (VEX and CycloneDX output name the image by it)
      const digest = scan.image?.digest;
      if (digest !== undefined) scan.findings = scan.findings.map((f) => ({ ...f, finding: { ...f.finding, evidence: { ...f.finding.evidence, imageDigest: digest } } }));
      report = imageScanReport(scan, { location: input, now });
      text = format.render(report, { color: wantsColor(ctx, flags.color, flags.output !== undefined) });
      if (format.id === 'table') text = `${describeImageScan(scan).join('\n')}\n\n${text}`;
    } finally {
      await handle.close();
    }
    await emitReport(ctx, { output: flags.output, format: format.id, text, counts: `${report.summary.findings} findings, ${report.issues.length} issues` });
    if (failOn !== 'none' && report.findings.some((f) => f.suppression === undefined && atLeast(f.severity, failOn as Severity))) ctx.exitCode = EXIT.findings;
  } finally {
    process.removeListener('SIGINT', onSignal);
    db.close();
    cache?.close();
  }
}

/** The registry and containerd flags (shared with `image scan` and `scan`). */
export function addImageAccessOptions(command: Command, containerdFor = 'containerd: images'): Command {
  return command
    .option('--insecure-registry <host>', 'reach this registry host[:port] over plain HTTP (repeatable)', collect)
    .option('--docker-config <path>', 'docker config.json (or its folder) with registry credentials (default: $DOCKER_CONFIG, ~/.docker)')
    .option('--credential-helpers', 'run docker-credential-* helpers named in the docker config (off by default)')
    .option('--pull-secret <file>', 'a Kubernetes imagePullSecret as JSON ("kubectl get secret NAME -o json"; repeatable)', collect)
    .option('--registry-mirror <registry=mirror>', 'pull <registry> through <mirror> first, e.g. docker.io=mirror.internal:5000 (repeatable)', collect)
    .option('--containerd-address <socket>', `containerd socket for ${containerdFor} (default: /run/containerd/containerd.sock)`)
    .option('--containerd-namespace <name>', 'containerd namespace (default: k8s.io, where the kubelet keeps images)')
    .option('--containerd-root <dir>', 'read containerd blobs from this root (e.g. /var/lib/containerd) instead of the content API');
}

/** The registry client the flags describe (credentials from the docker config and pull secrets), with credential issues. */
export async function registryClientFrom(flags: ImageAccessFlags, ctx: CliContext): Promise<{ client: RegistryClient; issues: Issue[] }> {
  const mirrors = validateImageAccess(flags);
  const credentials = await credentialsFrom(flags, ctx);
  return { client: new RegistryClient({ credentials: credentials.store, hosts: { insecure: flags.insecureRegistry ?? [], mirrors } }), issues: credentials.issues };
}

/** Check the registry flags whatever the source (a typo is an error even when no registry is used); returns the mirrors. */
export function validateImageAccess(flags: ImageAccessFlags): Record<string, string[]> {
  for (const host of flags.insecureRegistry ?? []) {
    if (!/^[a-zA-Z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(host)) throw new UsageError(`Invalid --insecure-registry "${host}": expected host[:port], e.g. registry.local:5000 (no scheme, no path).`);
  }
  return parseMirrors(flags.registryMirror);
}

export function containerdOptions(flags: ImageAccessFlags): { address: string | undefined; namespace: string | undefined; root: string | undefined } {
  return { address: flags.containerdAddress, namespace: flags.containerdNamespace, root: flags.containerdRoot };
}

async function credentialsFrom(flags: ImageAccessFlags, ctx: CliContext): Promise<{ store: CredentialStore; issues: Issue[] }> {
  const docker = await dockerConfigCredentials({ path: flags.dockerConfig, env: ctx.env, credentialHelpers: flags.credentialHelpers === true });
  const issues = [...docker.issues];
  const stores: CredentialStore[] = [];
  if (flags.pullSecret !== undefined) {
    const secrets: unknown[] = [];
    for (const file of flags.pullSecret) {
      let json: unknown;
      try {
        json = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        throw new UsageError(`Cannot read --pull-secret "${file}": ${errorMessage(error)}`, { hint: 'Pass the JSON of "kubectl get secret NAME -o json".' });
      }
      const items = typeof json === 'object' && json !== null && Array.isArray((json as { items?: unknown }).items) ? (json as { items: unknown[] }).items : [json];
      secrets.push(...items);
    }
    const fromSecrets = pullSecretCredentials(secrets);
    issues.push(...fromSecrets.issues);
    stores.push(fromSecrets.store);
  }
  stores.push(docker.store);
  return { store: chainCredentials(...stores), issues };
}

function parseMirrors(values: string[] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    const registry = v.slice(0, eq).trim();
    const mirror = v.slice(eq + 1).trim();
    if (eq <= 0 || mirror === '' || /\s|\//.test(mirror)) throw new UsageError(`Invalid --registry-mirror "${v}": expected <registry>=<mirror host[:port]>, e.g. docker.io=mirror.internal:5000.`);
    (out[registry] ??= []).push(mirror);
  }
  return out;
}

async function inspectImage(input: string, flags: InspectFlags, ctx: CliContext): Promise<void> {
  const format = (flags.format ?? 'table').toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) throw unknownValue('--format', flags.format ?? '', FORMATS);
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  validateImageAccess(flags);
  const { source } = parseImageInput(input);
  const issues: Issue[] = [];
  let registry: RegistryClient | undefined;
  if (source.id === 'registry') {
    const got = await registryClientFrom(flags, ctx);
    issues.push(...got.issues);
    registry = got.client;
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new UsageError('Interrupted'));
  process.once('SIGINT', onSignal);
  try {
    const handle = await source.open(parseImageInput(input).target, {
      platform,
      signal: controller.signal,
      registry,
      containerd: containerdOptions(flags),
    });
    try {
      let referrers: ReferrersResult | undefined;
      if (flags.referrers !== false) {
        try {
          referrers = await handle.referrers({ signal: controller.signal });
        } catch (error) {
          issues.push(issue('referrers-unavailable', `Referrers of ${handle.digest ?? handle.input} could not be listed: ${errorMessage(error)}`, handle.input));
        }
      }
      const view = inspection(handle, referrers, issues);
      if (format === 'json') ctx.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      else ctx.stdout.write(renderTable(view, wantsColor(ctx, flags.color)));
    } finally {
      await handle.close();
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}

/** The JSON shape of `image inspect --format json` (schemaVersion 1; fields only ever added). */
export interface Inspection {
  schemaVersion: '1';
  input: string;
  source: string;
  name: string | null;
  digest: string | null;
  mediaType: string;
  platform: string;
  imageId: string;
  index: { digest: string | null; mediaType: string; platforms: string[] } | null;
  layers: Array<{ digest: string; size: number; mediaType: string; diffId: string | null }>;
  config: {
    created: string | null;
    author: string | null;
    user: string | null;
    entrypoint: string[] | null;
    cmd: string[] | null;
    workingDir: string | null;
    exposedPorts: string[];
    labels: Record<string, string>;
    history: number;
  };
  referrers: { supported: boolean; via: string | null; items: Array<{ digest: string; mediaType: string; artifactType: string | null; size: number; annotations: Record<string, string> }> } | null;
  issues: Issue[];
}

function inspection(handle: ImageHandle, referrers: ReferrersResult | undefined, issues: Issue[]): Inspection {
  const c = handle.config.config;
  const nonEmpty = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);
  return {
    schemaVersion: '1',
    input: handle.input,
    source: handle.source,
    name: handle.name ?? null,
    digest: handle.digest ?? null,
    mediaType: handle.mediaType,
    platform: formatPlatform(handle.platform),
    imageId: handle.configDigest,
    index: handle.index === undefined ? null : { digest: handle.index.digest ?? null, mediaType: handle.index.mediaType, platforms: handle.index.manifests.filter((m) => m.platform !== undefined).map((m) => formatPlatform(m.platform ?? { os: '', architecture: '' })) },
    layers: handle.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType, diffId: l.diffId ?? null })),
    config: {
      created: nonEmpty(handle.config.created),
      author: nonEmpty(handle.config.author),
      user: nonEmpty(c?.User),
      entrypoint: c?.Entrypoint ?? null,
      cmd: c?.Cmd ?? null,
      workingDir: nonEmpty(c?.WorkingDir),
      exposedPorts: Object.keys(c?.ExposedPorts ?? {}).sort(),
      labels: c?.Labels ?? {},
      history: handle.config.history?.length ?? 0,
    },
    referrers: referrers === undefined ? null : { supported: referrers.supported, via: referrers.via ?? null, items: referrers.manifests.map(referrerItem) },
    issues,
  };
}

function referrerItem(d: Descriptor): NonNullable<Inspection['referrers']>['items'][number] {
  return { digest: d.digest, mediaType: d.mediaType, artifactType: d.artifactType ?? null, size: d.size, annotations: d.annotations ?? {} };
}

function renderTable(v: Inspection, color: boolean): string {
  const c = pc.createColors(color);
  const lines: string[] = [];
  const row = (key: string, value: string): void => {
    lines.push(`${c.bold(key.padEnd(12))}${value}`);
  };
  const total = v.layers.reduce((n, l) => n + l.size, 0);
  row('Image', `${v.name ?? v.input}  ${c.dim(`(${v.source})`)}`);
  row('Digest', v.digest ?? c.dim('none: a docker-archive stores no manifest'));
  row('Media type', v.mediaType);
  if (v.index !== null) row('Index', `${v.index.digest ?? c.dim('(layout index.json)')}  ${c.dim(`${v.index.platforms.length} platforms: ${v.index.platforms.join(', ')}`)}`);
  row('Platform', v.platform);
  row('Image ID', v.imageId);
  row('Created', v.config.created ?? c.dim('unknown'));
  if (v.config.author !== null) row('Author', v.config.author);
  row('User', v.config.user ?? c.dim('(not set: root)'));
  row('Entrypoint', v.config.entrypoint === null ? c.dim('(none)') : JSON.stringify(v.config.entrypoint));
  row('Cmd', v.config.cmd === null ? c.dim('(none)') : JSON.stringify(v.config.cmd));
  if (v.config.workingDir !== null) row('Workdir', v.config.workingDir);
  if (v.config.exposedPorts.length > 0) row('Ports', v.config.exposedPorts.join(', '));
  const labels = Object.entries(v.config.labels).sort(([a], [b]) => a.localeCompare(b));
  if (labels.length === 0) row('Labels', c.dim('(none)'));
  labels.forEach(([k, val], i) => row(i === 0 ? 'Labels' : '', `${k}=${val}`));
  lines.push('');
  lines.push(c.bold(`Layers (${v.layers.length}, ${formatBytes(total)})`));
  const width = String(v.layers.length).length;
  v.layers.forEach((l, i) => lines.push(`  ${String(i + 1).padStart(width)}  ${l.digest}  ${formatBytes(l.size).padStart(10)}  ${c.dim(l.mediaType)}`));
  if (v.referrers !== null) {
    lines.push('');
    if (!v.referrers.supported) lines.push(`${c.bold('Referrers')}  ${c.dim(`not available from a ${v.source} source`)}`);
    else if (v.referrers.items.length === 0) lines.push(`${c.bold('Referrers')}  ${c.dim(`none (${v.referrers.via ?? ''})`)}`);
    else {
      lines.push(c.bold(`Referrers (${v.referrers.items.length}, via ${v.referrers.via ?? ''})`));
      for (const r of v.referrers.items) {
        const notes = Object.entries(r.annotations).map(([k, val]) => `${k}=${val}`).join(', ');
        lines.push(`  ${r.digest}  ${r.artifactType ?? r.mediaType}${notes === '' ? '' : c.dim(`  ${notes}`)}`);
      }
    }
  }
  if (v.issues.length > 0) {
    lines.push('');
    lines.push(c.bold(`Issues (${v.issues.length})`));
    for (const i of v.issues) lines.push(`  ${c.yellow(i.code)}  ${i.message}${i.hint === undefined ? '' : c.dim(`  ${i.hint}`)}`);
  }
  return `${lines.join('\n')}\n`;
}

