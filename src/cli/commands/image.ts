/**
 * `runwarden image inspect <image>`: resolve an image from any source (registry reference, oci:,
 * oci-archive:, docker-archive:, containerd:) and print its digest, platform, layers, config and
 * referrers — the same view every later analysis starts from.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import pc from 'picocolors';
import { UsageError, errorMessage } from '../../core/errors.js';
import { issue, type Issue } from '../../core/issue.js';
import { IMAGE_SOURCES, parseImageInput } from '../../image/registry.js';
import type { ImageHandle, ReferrersResult } from '../../image/types.js';
import { RegistryClient } from '../../registry/client.js';
import { chainCredentials, dockerConfigCredentials, pullSecretCredentials, type CredentialStore } from '../../registry/credentials.js';
import { formatPlatform, parsePlatform } from '../../registry/platform.js';
import type { Descriptor } from '../../registry/schema.js';
import type { CliContext } from '../context.js';
import { unknownValue } from './scan.js';
import { formatBytes } from '../../core/format.js';

interface InspectFlags {
  format?: string;
  platform?: string;
  insecureRegistry?: string[];
  dockerConfig?: string;
  credentialHelpers?: boolean;
  pullSecret?: string[];
  registryMirror?: string[];
  containerdAddress?: string;
  containerdNamespace?: string;
  containerdRoot?: string;
  referrers?: boolean;
  color?: boolean;
}

const FORMATS = ['table', 'json'] as const;
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];

export function imageCommand(ctx: CliContext): Command {
  const image = new Command('image').description('Read container images from a registry, an OCI layout or archive, a docker save archive, or a node\'s containerd');
  const inspect = new Command('inspect')
    .description('Resolve an image and print its digest, platform, layers, config and referrers')
    .argument('<image>', `${IMAGE_SOURCES.map((s) => s.syntax).join(' | ')}`)
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (default: table)`)
    .option('--platform <os/arch[/variant]>', 'platform to choose from a multi-platform image (default: this machine)')
    .option('--insecure-registry <host>', 'reach this registry host[:port] over plain HTTP (repeatable)', collect)
    .option('--docker-config <path>', 'docker config.json (or its folder) with registry credentials (default: $DOCKER_CONFIG, ~/.docker)')
    .option('--credential-helpers', 'run docker-credential-* helpers named in the docker config (off by default)')
    .option('--pull-secret <file>', 'a Kubernetes imagePullSecret as JSON ("kubectl get secret NAME -o json"; repeatable)', collect)
    .option('--registry-mirror <registry=mirror>', 'pull <registry> through <mirror> first, e.g. docker.io=mirror.internal:5000 (repeatable)', collect)
    .option('--containerd-address <socket>', 'containerd socket for containerd: images (default: /run/containerd/containerd.sock)')
    .option('--containerd-namespace <name>', 'containerd namespace (default: k8s.io, where the kubelet keeps images)')
    .option('--containerd-root <dir>', 'read containerd blobs from this root (e.g. /var/lib/containerd) instead of the content API')
    .option('--no-referrers', 'do not look up referrers (signatures, SBOMs, attestations)')
    .option('--no-color', 'plain output even on a terminal')
    .action(async (input: string, flags: InspectFlags) => {
      await inspectImage(input, flags, ctx);
    });
  inspect.exitOverride();
  inspect.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
  image.addCommand(inspect);
  return image;
}

async function credentialsFrom(flags: InspectFlags, ctx: CliContext): Promise<{ store: CredentialStore; issues: Issue[] }> {
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
  for (const host of flags.insecureRegistry ?? []) {
    if (!/^[a-zA-Z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(host)) throw new UsageError(`Invalid --insecure-registry "${host}": expected host[:port], e.g. registry.local:5000 (no scheme, no path).`);
  }
  const { source } = parseImageInput(input);
  const issues: Issue[] = [];
  let registry: RegistryClient | undefined;
  if (source.id === 'registry') {
    const credentials = await credentialsFrom(flags, ctx);
    issues.push(...credentials.issues);
    registry = new RegistryClient({ credentials: credentials.store, hosts: { insecure: flags.insecureRegistry ?? [], mirrors: parseMirrors(flags.registryMirror) } });
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new UsageError('Interrupted'));
  process.once('SIGINT', onSignal);
  try {
    const handle = await source.open(parseImageInput(input).target, {
      platform,
      signal: controller.signal,
      registry,
      containerd: { address: flags.containerdAddress, namespace: flags.containerdNamespace, root: flags.containerdRoot },
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
      else ctx.stdout.write(renderTable(view, flags.color !== false && ctx.stdout.isTTY === true && ctx.env.NO_COLOR === undefined));
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

