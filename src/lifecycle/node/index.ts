/**
 * Node hygiene from the node objects (`status.nodeInfo`, `status.conditions`, creation time): the
 * kubelet's Kubernetes release past end of life, version skew to the control plane (Kubernetes
 * version-skew policy: a kubelet may not be newer than kube-apiserver, nor more than three minor
 * versions older — two before 1.28), the node OS image and the container runtime past end of life,
 * nodes older than the recycling age, and nodes not Ready or under pressure. Pure: the inventory,
 * the lifecycle data and "now" in, findings and issues out.
 */
import { z } from 'zod';
import { fingerprint, type Finding, type Subject } from '../../core/finding.js';
import type { Inventory, NodeInfo } from '../../core/inventory.js';
import { issue, type Issue } from '../../core/issue.js';
import type { Severity } from '../../core/severity.js';
import { daysBetween, eolStatus, findCycle, isoDay, nextSupportedCycle } from '../data/cycles.js';
import type { LifecycleData } from '../data/schema.js';

export const NODE_RULES = ['node-kubelet-eol', 'node-version-skew', 'node-os-eol', 'node-runtime-eol', 'node-age', 'node-not-ready', 'node-pressure'] as const;
export type NodeRule = (typeof NODE_RULES)[number];

export const DEFAULT_MAX_NODE_AGE_DAYS = 30;

export interface NodeHygieneOptions {
  data: LifecycleData;
  now: Date;
  eolLookaheadDays: number;
  /** `--max-node-age` in days (default 30). */
  maxNodeAgeDays?: number | undefined;
  /** The control plane's version (API server `/version` gitVersion, or `--control-plane-version`). */
  controlPlaneVersion?: string | undefined;
}

/** `v1.29.4-eks-036c24b` → [1, 29, 4]. */
export function kubernetesVersion(text: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (m === null) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Node `osImage` → endoflife.date product and version; undefined product = not tracked (name kept). */
export function osImageProduct(osImage: string): { product: string; version: string } | { untracked: string } | undefined {
  const s = osImage.trim();
  const rules: Array<[RegExp, string, (m: RegExpExecArray) => string]> = [
    [/^Ubuntu (\d+\.\d+)/i, 'ubuntu', (m) => m[1] ?? ''],
    [/^Debian GNU\/Linux (\d+)/i, 'debian', (m) => m[1] ?? ''],
    [/^Amazon Linux (\d{4}|2)\b/i, 'amazon-linux', (m) => m[1] ?? ''],
    [/^Red Hat Enterprise Linux (?!CoreOS)(?:Server )?(?:release )?(\d+)/i, 'rhel', (m) => m[1] ?? ''],
    [/^Rocky Linux (\d+)/i, 'rocky-linux', (m) => m[1] ?? ''],
    [/^AlmaLinux (\d+)/i, 'almalinux', (m) => m[1] ?? ''],
    [/^CentOS Linux (\d+)/i, 'centos', (m) => m[1] ?? ''],
    [/^CentOS Stream (\d+)/i, 'centos-stream', (m) => m[1] ?? ''],
    [/^Oracle Linux Server (\d+)/i, 'oracle-linux', (m) => m[1] ?? ''],
    [/^SUSE Linux Enterprise Server (\d+)(?: SP(\d+))?/i, 'sles', (m) => `${m[1] ?? ''}.${m[2] ?? '0'}`],
    [/^Alpine Linux v?(\d+\.\d+)/i, 'alpine-linux', (m) => m[1] ?? ''],
    [/^Fedora Linux (\d+)/i, 'fedora', (m) => m[1] ?? ''],
  ];
  for (const [re, product, version] of rules) {
    const m = re.exec(s);
    if (m !== null) return { product, version: version(m) };
  }
  if (s === '') return undefined;
  return { untracked: s };
}

/** `containerd://1.7.13` → containerd 1.7.13; `docker://24.0.7` → docker-engine. */
export function runtimeProduct(version: string): { product: string; version: string } | { untracked: string } | undefined {
  const m = /^([a-z0-9.-]+):\/\/v?(.+)$/i.exec(version.trim());
  if (m?.[1] === undefined || m[2] === undefined) return version.trim() === '' ? undefined : { untracked: version.trim() };
  const name = m[1].toLowerCase();
  if (name === 'containerd') return { product: 'containerd', version: m[2] };
  if (name === 'docker') return { product: 'docker-engine', version: m[2] };
  return { untracked: `${name} ${m[2]}` };
}

const Conditions = z.object({
  status: z.object({ conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional(), lastTransitionTime: z.string().optional() })).optional() }).optional(),
});

const PRESSURE = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);

function make(rule: NodeRule, severity: Severity, node: NodeInfo, title: string, key: string, evidence: Record<string, unknown>, remediation: string): Finding {
  const subject: Subject = { type: 'node', node: node.name };
  return { id: fingerprint(rule, subject, key), rule, kind: 'node', severity, title, subject, evidence, remediation };
}

function eolFinding(rule: NodeRule, node: NodeInfo, what: string, field: string, product: string, version: string, options: NodeHygieneOptions, issues: Issue[]): Finding | undefined {
  const p = options.data.products.get(product);
  if (p === undefined) return undefined;
  const cycle = findCycle(p, version);
  if (cycle === undefined) {
    issues.push(issue('lifecycle-no-cycle', `Node ${node.name}: ${p.title} ${version} (${field}) has no release cycle in the lifecycle data`, node.origin, 'Run "runwarden lifecycle update".'));
    return undefined;
  }
  const today = isoDay(options.now);
  const status = eolStatus(cycle, today, options.eolLookaheadDays);
  if (status.state !== 'eol' && status.state !== 'eol-soon') return undefined;
  const next = nextSupportedCycle(p, cycle, today, options.eolLookaheadDays);
  const past = status.state === 'eol';
  const severity: Severity = !past ? 'low' : status.extendedActive ? 'medium' : 'high';
  const when = status.eolDate === undefined ? '' : ` on ${status.eolDate}`;
  return make(rule, severity, node, `Node ${node.name}: ${what} ${p.title} ${cycle.cycle} ${past ? 'reached' : 'reaches'} end of life${when}`, `${product}:${cycle.cycle}`, {
    field,
    version,
    product,
    cycle: cycle.cycle,
    eol: status.eolDate ?? past,
    extendedSupportUntil: status.extendedUntil,
    nextSupportedCycle: next?.cycle,
  }, next === undefined ? `Replace ${p.title} ${cycle.cycle} on this node pool.` : `Upgrade the node pool to ${p.title} ${next.cycle} (or recycle the nodes onto an image that has it).`);
}

export function nodeHygiene(inventory: Inventory, options: NodeHygieneOptions): { findings: Finding[]; issues: Issue[] } {
  const findings: Finding[] = [];
  const issues: Issue[] = [];
  const today = isoDay(options.now);
  const maxAge = options.maxNodeAgeDays ?? DEFAULT_MAX_NODE_AGE_DAYS;
  const plane = options.controlPlaneVersion === undefined ? undefined : kubernetesVersion(options.controlPlaneVersion);
  if (options.controlPlaneVersion !== undefined && plane === undefined) issues.push(issue('lifecycle-bad-version', `Control-plane version "${options.controlPlaneVersion}" is not a Kubernetes version like v1.31.2; skew not checked`));
  const untracked = new Map<string, string[]>();
  for (const node of inventory.nodes) {
    const push = (f: Finding | undefined): void => {
      if (f !== undefined) findings.push(f);
    };
    if (node.kubeletVersion !== undefined) {
      const kv = kubernetesVersion(node.kubeletVersion);
      if (kv === undefined) issues.push(issue('lifecycle-bad-version', `Node ${node.name}: kubeletVersion "${node.kubeletVersion}" is not a Kubernetes version`, node.origin));
      else {
        push(eolFinding('node-kubelet-eol', node, 'kubelet', 'status.nodeInfo.kubeletVersion', 'kubernetes', `${kv[0]}.${kv[1]}.${kv[2]}`, options, issues));
        if (plane !== undefined) {
          // version-skew-policy: kubelet ≤ kube-apiserver, and at most 3 minors older (2 before v1.28).
          const allowed = plane[0] === 1 && plane[1] >= 28 ? 3 : 2;
          const behind = (plane[0] - kv[0]) * 1000 + (plane[1] - kv[1]);
          if (behind < 0 || behind > allowed) {
            push(make('node-version-skew', 'high', node, `Node ${node.name}: kubelet ${node.kubeletVersion} is ${behind < 0 ? 'newer than' : `${behind} minor versions behind`} the control plane ${options.controlPlaneVersion ?? ''}`, 'skew', {
              kubeletVersion: node.kubeletVersion,
              controlPlaneVersion: options.controlPlaneVersion,
              allowedMinorsBehind: allowed,
            }, behind < 0 ? 'Upgrade the control plane first, or roll this node back: a kubelet must never be newer than kube-apiserver.' : `Upgrade this node pool to within ${allowed} minor versions of the control plane.`));
          }
        }
      }
    }
    if (node.osImage !== undefined) {
      const os = osImageProduct(node.osImage);
      if (os !== undefined && 'product' in os) push(eolFinding('node-os-eol', node, 'OS image', 'status.nodeInfo.osImage', os.product, os.version, options, issues));
      else if (os !== undefined) untracked.set(os.untracked, [...(untracked.get(os.untracked) ?? []), node.name]);
    }
    if (node.containerRuntimeVersion !== undefined) {
      const rt = runtimeProduct(node.containerRuntimeVersion);
      if (rt !== undefined && 'product' in rt) push(eolFinding('node-runtime-eol', node, 'container runtime', 'status.nodeInfo.containerRuntimeVersion', rt.product, rt.version, options, issues));
      else if (rt !== undefined) untracked.set(rt.untracked, [...(untracked.get(rt.untracked) ?? []), node.name]);
    }
    if (node.createdAt !== undefined && !Number.isNaN(Date.parse(node.createdAt))) {
      const age = daysBetween(isoDay(new Date(node.createdAt)), today);
      if (age > maxAge) {
        push(make('node-age', 'low', node, `Node ${node.name} is ${age} days old (recycle after ${maxAge})`, 'age', { createdAt: node.createdAt, ageDays: age, maxNodeAgeDays: maxAge, kernelVersion: node.kernelVersion, osImage: node.osImage }, 'Recycle the node (drain and replace it) so it boots the current node image and kernel.'));
      }
    }
    const parsed = Conditions.safeParse(node.raw);
    const conditions = parsed.success ? (parsed.data.status?.conditions ?? []) : [];
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready !== undefined && ready.status !== 'True') {
      push(make('node-not-ready', 'high', node, `Node ${node.name} is not Ready (${ready.status}${ready.reason === undefined ? '' : `, ${ready.reason}`})`, 'ready', { status: ready.status, reason: ready.reason, message: ready.message, since: ready.lastTransitionTime }, 'Inspect the kubelet and container runtime on the node; drain and replace it if it does not recover.'));
    }
    for (const c of conditions) {
      if (!PRESSURE.has(c.type) || c.status !== 'True') continue;
      push(make('node-pressure', 'medium', node, `Node ${node.name} reports ${c.type}`, c.type, { condition: c.type, reason: c.reason, message: c.message, since: c.lastTransitionTime }, c.type === 'DiskPressure' ? 'Free image-filesystem space ("runwarden clean" removes unused images) or grow the disk.' : 'Reduce load on the node or give it more capacity; pods may be evicted.'));
    }
  }
  for (const [what, nodes] of untracked) {
    issues.push(issue('lifecycle-node-untracked', `${what} (node${nodes.length > 1 ? 's' : ''} ${nodes.slice(0, 3).join(', ')}${nodes.length > 3 ? ', …' : ''}): endoflife.date has no lifecycle data for it; its end of life is not checked`, undefined, 'Check the vendor\'s lifecycle page.'));
  }
  return { findings, issues };
}
