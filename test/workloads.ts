/** Builders for workloads with full pod specs (security contexts, volumes, ports) in check tests. */
import type { Inventory } from '../src/core/inventory.js';
import type { CheckContext } from '../src/policy/check.js';
import { inventoryOf } from './k8s.js';

export type Json = Record<string, unknown>;

export const NOW = new Date('2026-11-28T12:00:00Z');
export const ctx: CheckContext = { sandboxImages: [], now: NOW };

/** A Deployment whose pod template has `podSpec` (containers default to one `app` container). */
export function deployment(name: string, podSpec: Json, opts: { ns?: string; annotations?: Record<string, string>; templateAnnotations?: Record<string, string>; labels?: Record<string, string> } = {}): Json {
  const labels = opts.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: opts.ns ?? 'shop', uid: `uid-${name}`, labels, ...(opts.annotations === undefined ? {} : { annotations: opts.annotations }) },
    spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels, ...(opts.templateAnnotations === undefined ? {} : { annotations: opts.templateAnnotations }) }, spec: withContainers(podSpec) } },
  };
}

export function cronJob(name: string, podSpec: Json, ns = 'ops'): Json {
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: ns, uid: `uid-${name}` }, spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: withContainers(podSpec) } } } } };
}

export function barePod(name: string, podSpec: Json, opts: { ns?: string; annotations?: Record<string, string>; labels?: Record<string, string> } = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.ns ?? 'default', uid: `uid-${name}`, ...(opts.labels === undefined ? {} : { labels: opts.labels }), ...(opts.annotations === undefined ? {} : { annotations: opts.annotations }) },
    spec: withContainers(podSpec),
    status: { phase: 'Running' },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export function service(name: string, ns: string, spec: Json, annotations?: Record<string, string>): Json {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, ...(annotations === undefined ? {} : { annotations }) }, spec };
}

/** A container `{ name: 'app', image: 'ghcr.io/acme/app:1.0', …extra }`. */
export function container(extra: Json = {}): Json {
  return { name: 'app', image: 'ghcr.io/acme/app:1.0', ...extra };
}

function withContainers(podSpec: Json): Json {
  return podSpec.containers === undefined ? { ...podSpec, containers: [container()] } : podSpec;
}

export function inv(objects: Json[]): Inventory {
  return inventoryOf(objects);
}
