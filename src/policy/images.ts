/** Helpers over container images shared by checks (no I/O). */
import { formatImageReference, repositoryName, tryParseImageReference, type ImageReference } from '../core/image-ref.js';
import type { ContainerType } from '../core/inventory.js';

/** Default sandbox images: any repository whose last path component is `pause` (registry.k8s.io/pause, mcr…/pause, eks/pause, pause-amd64). */
export const DEFAULT_SANDBOX_IMAGES = ['*/pause:*', '*/pause', '*/pause@*', '*/pause-*'];

/** Glob over a normalised image name: `*` matches any run of characters, `?` one. */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

export function matchesAny(names: Iterable<string>, globs: RegExp[]): boolean {
  for (const name of names) {
    const ref = tryParseImageReference(name);
    const candidates = ref === undefined ? [name] : [name, formatImageReference(ref)];
    for (const candidate of candidates) if (globs.some((g) => g.test(candidate))) return true;
  }
  return false;
}

/** `registry/repo:tag` for a tagged reference (implicit `latest` when neither tag nor digest). */
export function tagKey(ref: ImageReference): string | undefined {
  const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
  return tag === undefined ? undefined : `${repositoryName(ref)}:${tag}`;
}

/** A container as it appears in a workload's pod template (for workloads with no pods running). */
export interface TemplateContainer {
  name: string;
  image: string;
  type: ContainerType;
}

/** Containers of the pod template of a Deployment/StatefulSet/DaemonSet/ReplicaSet/Job/CronJob object. */
export function templateContainers(kind: string, raw: unknown): TemplateContainer[] {
  const spec = (raw as { spec?: Record<string, unknown> } | undefined)?.spec;
  if (spec === undefined || spec === null) return [];
  let template: unknown = spec.template;
  if (kind === 'CronJob') template = (spec.jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template;
  const podSpec = (template as { spec?: Record<string, unknown> } | undefined)?.spec;
  if (podSpec === undefined || podSpec === null) return [];
  const out: TemplateContainer[] = [];
  const add = (list: unknown, type: ContainerType): void => {
    if (!Array.isArray(list)) return;
    for (const c of list as Array<{ name?: unknown; image?: unknown }>) {
      if (typeof c.name === 'string' && typeof c.image === 'string') out.push({ name: c.name, image: c.image, type });
    }
  };
  add(podSpec.initContainers, 'init');
  add(podSpec.containers, 'regular');
  return out;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
