/**
 * `runwarden node images` and `runwarden node containers`: what this node's container runtime caches
 * and runs, read over CRI (tags, digests, size, pinned, created, and which containers use each image).
 */
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import pc from 'picocolors';
import { closest } from 'fastest-levenshtein';
import { AppError, UsageError } from '../../core/errors.js';
import { containerLabel, imageDisplayName, imageUsage, shortImageId, type NodeRuntime } from '../../core/node-runtime.js';
import { connectCri, readNodeRuntime, type CriClient } from '../../inventory/sources/cri/index.js';
import { formatAge } from '../../cleanup/planner.js';
import { durationOption } from '../../cleanup/options.js';
import { formatBytes } from '../../core/format.js';
import type { CliContext } from '../context.js';
import { wantsColor } from '../output.js';

export const NODE_FORMATS = ['table', 'json'] as const;
export type NodeFormat = (typeof NODE_FORMATS)[number];

/** Options every node-agent command takes. */
export interface RuntimeFlags {
  cri?: string;
  node?: string;
  timeout?: string;
  containerdNamespace?: string;
  format?: string;
  color?: boolean;
}

export function addRuntimeOptions(command: Command): Command {
  return command
    .option('--cri <address>', 'CRI socket, e.g. unix:///run/containerd/containerd.sock (default: $RUNWARDEN_CRI, $CONTAINER_RUNTIME_ENDPOINT, then the usual sockets)')
    .option('--node <name>', 'node name for the report (default: $NODE_NAME, else the host name)')
    .option('--timeout <duration>', 'deadline of each CRI call (default: 10s)')
    .option('--containerd-namespace <ns>', 'containerd namespace of the CRI images, for image times (default: k8s.io)')
    .option('-f, --format <format>', `output format: ${NODE_FORMATS.join(', ')} (default: table)`)
    .option('--no-color', 'plain output even on a terminal')
    .addOption(new Option('--debug', 'show stack traces on errors').hideHelp());
}

/** The valid value a mistyped one most likely meant: one it starts, else the closest by edit distance. */
export function suggest(value: string, valid: readonly string[]): string {
  const lower = value.toLowerCase();
  return valid.find((v) => lower !== '' && v.startsWith(lower)) ?? closest(lower, [...valid]);
}

export function parseFormat(value: string | undefined): NodeFormat {
  const format = (value ?? 'table').toLowerCase();
  if ((NODE_FORMATS as readonly string[]).includes(format)) return format as NodeFormat;
  throw new UsageError(`Unknown --format "${value ?? ''}": expected one of ${NODE_FORMATS.join(', ')}. Did you mean "${suggest(format, NODE_FORMATS)}"?`);
}

const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,75}$/;

/** Validate the shared flags before touching the runtime, then connect. */
export function runtimeClient(flags: RuntimeFlags, ctx: CliContext): CriClient {
  const timeoutMs = flags.timeout === undefined ? undefined : durationOption(flags.timeout, '--timeout').ms;
  if (flags.containerdNamespace !== undefined && !NAMESPACE.test(flags.containerdNamespace)) {
    throw new UsageError(`Invalid --containerd-namespace "${flags.containerdNamespace}": expected a containerd namespace such as "k8s.io" (letters, digits, ".", "_", "-").`);
  }
  return connectCri(flags.cri, ctx.env, { timeoutMs, containerdNamespace: flags.containerdNamespace });
}

export function nodeName(flags: RuntimeFlags, ctx: CliContext): string {
  const name = flags.node ?? ctx.env.NODE_NAME ?? hostname();
  if (name.trim() === '' || /\s/.test(name)) throw new UsageError(`Invalid --node "${name}": expected a node name without whitespace, e.g. "worker-1".`);
  return name;
}

export function useColor(flags: RuntimeFlags, ctx: CliContext): boolean {
  return wantsColor(ctx, flags.color);
}

/** Run `body` with an AbortSignal tied to SIGINT/SIGTERM. */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new AppError('interrupted', 'Interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

export function nodeCommand(ctx: CliContext): Command {
  const node = new Command('node').description("What this node's container runtime caches and runs, over CRI (the node agent's view)");
  const images = addRuntimeOptions(new Command('images').description('Cached images: tags, digests, size, pinned, age, and the containers that use each'));
  images.action(async (flags: RuntimeFlags) => {
    await show(flags, ctx, 'images');
  });
  const containers = addRuntimeOptions(new Command('containers').description('Containers in every state, with their pod and image'));
  containers.action(async (flags: RuntimeFlags) => {
    await show(flags, ctx, 'containers');
  });
  for (const sub of [images, containers]) {
    sub.exitOverride();
    sub.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
    sub.showSuggestionAfterError(true);
    node.addCommand(sub);
  }
  return node;
}

async function show(flags: RuntimeFlags, ctx: CliContext, what: 'images' | 'containers'): Promise<void> {
  const format = parseFormat(flags.format);
  const name = nodeName(flags, ctx);
  const client = runtimeClient(flags, ctx);
  try {
    const view = await withInterrupt((signal) => readNodeRuntime(client, { node: name, signal }));
    const now = new Date();
    const text = what === 'images' ? (format === 'json' ? imagesJson(view) : imagesTable(view, useColor(flags, ctx), now)) : format === 'json' ? containersJson(view) : containersTable(view, useColor(flags, ctx), now);
    ctx.stdout.write(text);
  } finally {
    client.close();
  }
}

function header(view: NodeRuntime, c: ReturnType<typeof pc.createColors>): string {
  return `${c.bold(`node ${view.node}`)} — ${view.runtime.name} ${view.runtime.version} (CRI ${view.runtime.apiVersion}) at ${view.address}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

function issuesLines(view: NodeRuntime, c: ReturnType<typeof pc.createColors>): string[] {
  if (view.issues.length === 0) return [];
  return ['', c.yellow(`${view.issues.length} issue${view.issues.length === 1 ? '' : 's'}:`), ...view.issues.map((i) => `  ${c.yellow('!')} ${i.message}${i.hint === undefined ? '' : c.dim(` (${i.hint})`)}`)];
}

export function imagesTable(view: NodeRuntime, color: boolean, now: Date): string {
  const c = pc.createColors(color);
  const { byImage } = imageUsage(view.images, view.containers, view.sandboxes);
  const rows: string[][] = [['IMAGE', 'ID', 'DIGEST', 'SIZE', 'PINNED', 'AGE', 'USED BY']];
  const sorted = [...view.images].sort((a, b) => imageDisplayName(a).localeCompare(imageDisplayName(b)));
  for (const image of sorted) {
    const uses = byImage.get(image.id) ?? [];
    const digest = image.repoDigests[0]?.split('@')[1] ?? image.targetDigests[0];
    const names = image.repoTags.length > 0 ? image.repoTags.join(', ') : `<none> ${image.repoDigests[0] ?? ''}`.trim();
    const sandbox = view.sandboxImage !== undefined && image.repoTags.includes(view.sandboxImage) ? ' (sandbox image)' : '';
    const used = uses.length === 0 ? '-' : `${uses.slice(0, 2).map((u) => `${containerLabel(u)} (${u.container.state})`).join(', ')}${uses.length > 2 ? ` +${uses.length - 2}` : ''}`;
    rows.push([`${names}${sandbox}`, shortImageId(image.id), digest === undefined ? '-' : `${digest.slice(0, 19)}…`, formatBytes(image.sizeBytes), image.pinned ? 'yes' : 'no', image.createdAt === undefined ? '-' : formatAge(now.getTime() - Date.parse(image.createdAt)), used]);
  }
  const lines = table(rows);
  const total = view.images.reduce((n, i) => n + i.sizeBytes, 0);
  const unused = view.images.filter((i) => (byImage.get(i.id) ?? []).length === 0).length;
  const fs = view.imageFs.map((f) => (f.collected ? `${formatBytes(f.usedBytes)} used on ${f.mountpoint}` : `${f.mountpoint}: not measured yet`)).join('; ');
  return `${[header(view, c), '', c.bold(lines[0] ?? ''), ...lines.slice(1), '', `${view.images.length} images, ${formatBytes(total)} by runtime sizes; ${unused} used by no container.${fs === '' ? '' : ` Image filesystem: ${fs}.`}`, ...issuesLines(view, c)].join('\n')}\n`;
}

export function containersTable(view: NodeRuntime, color: boolean, now: Date): string {
  const c = pc.createColors(color);
  const sandboxes = new Map(view.sandboxes.map((s) => [s.id, s]));
  const { byImage } = imageUsage(view.images, view.containers, view.sandboxes);
  const imageOf = new Map<string, string>();
  for (const image of view.images) for (const use of byImage.get(image.id) ?? []) if (!imageOf.has(use.container.id)) imageOf.set(use.container.id, imageDisplayName(image));
  const rows: string[][] = [['CONTAINER', 'NAME', 'POD', 'STATE', 'IMAGE', 'IMAGE ID', 'AGE']];
  const sorted = [...view.containers].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  for (const ctr of sorted) {
    const pod = sandboxes.get(ctr.sandboxId);
    rows.push([
      ctr.id.slice(0, 12),
      ctr.name,
      pod !== undefined ? `${pod.namespace}/${pod.name}` : ctr.origin === 'containerd' ? '(containerd, not a pod)' : ctr.sandboxId.slice(0, 12),
      ctr.state,
      imageOf.get(ctr.id) ?? `${ctr.image} (not cached)`,
      shortImageId(ctr.imageRef),
      ctr.createdAt === undefined ? '-' : formatAge(now.getTime() - Date.parse(ctr.createdAt)),
    ]);
  }
  const lines = table(rows);
  const states = new Map<string, number>();
  for (const ctr of view.containers) states.set(ctr.state, (states.get(ctr.state) ?? 0) + 1);
  const summary = `${view.containers.length} containers${states.size === 0 ? '' : ` (${[...states].map(([s, n]) => `${n} ${s}`).join(', ')})`} in ${view.sandboxes.length} pod sandboxes.`;
  return `${[header(view, c), '', c.bold(lines[0] ?? ''), ...lines.slice(1), '', summary, ...issuesLines(view, c)].join('\n')}\n`;
}

export function imagesJson(view: NodeRuntime): string {
  const { byImage } = imageUsage(view.images, view.containers, view.sandboxes);
  return `${JSON.stringify(
    {
      schemaVersion: 1,
      kind: 'runwarden-node-images',
      node: view.node,
      address: view.address,
      runtime: view.runtime,
      sandboxImage: view.sandboxImage ?? null,
      readAt: view.readAt,
      imageFs: view.imageFs,
      images: view.images.map((image) => ({
        ...image,
        createdAt: image.createdAt ?? null,
        updatedAt: image.updatedAt ?? null,
        usedBy: (byImage.get(image.id) ?? []).map((u) => ({ container: u.container.id, name: u.container.name, state: u.container.state, pod: u.sandbox === undefined ? null : { namespace: u.sandbox.namespace, name: u.sandbox.name, uid: u.sandbox.uid } })),
      })),
      issues: view.issues,
    },
    null,
    2,
  )}\n`;
}

export function containersJson(view: NodeRuntime): string {
  const sandboxes = new Map(view.sandboxes.map((s) => [s.id, s]));
  const { byImage } = imageUsage(view.images, view.containers, view.sandboxes);
  const imageIds = new Map<string, string[]>();
  for (const [id, uses] of byImage) for (const u of uses) imageIds.set(u.container.id, [...(imageIds.get(u.container.id) ?? []), id]);
  return `${JSON.stringify(
    {
      schemaVersion: 1,
      kind: 'runwarden-node-containers',
      node: view.node,
      address: view.address,
      runtime: view.runtime,
      readAt: view.readAt,
      containersComplete: view.containersComplete,
      containers: view.containers.map((ctr) => {
        const pod = sandboxes.get(ctr.sandboxId);
        return { ...ctr, createdAt: ctr.createdAt ?? null, pod: pod === undefined ? null : { namespace: pod.namespace, name: pod.name, uid: pod.uid, state: pod.state }, cachedImages: imageIds.get(ctr.id) ?? [] };
      }),
      sandboxes: view.sandboxes,
      issues: view.issues,
    },
    null,
    2,
  )}\n`;
}
