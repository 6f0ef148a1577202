import { posix } from 'node:path';
import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import type { Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { containerField, objectField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'host-path';

/** Container runtime API sockets (canonical /run form): whoever reaches one controls every container on the node. */
export const RUNTIME_SOCKETS = [
  '/run/docker.sock',
  '/run/dockershim.sock',
  '/run/cri-dockerd.sock',
  '/run/containerd/containerd.sock',
  '/run/crio/crio.sock',
  '/run/k3s/containerd/containerd.sock',
  '/run/podman/podman.sock',
  '/run/buildkit/buildkitd.sock',
] as const;

/** Host directories holding credentials, the node's configuration, other containers' data, or kernel interfaces. */
export const SENSITIVE_DIRECTORIES = [
  '/etc',
  '/var/lib/kubelet',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/lib/etcd',
  '/var/log',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/root',
  '/home',
  '/lib/modules',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
] as const;

export const hostPath: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Pod mounts a directory or file of the node (hostPath)',
  severity: 'medium',
  description:
    'A hostPath volume gives the pod the node\'s own files. Rated by what it exposes: a container runtime socket (docker, containerd, CRI-O, …) or the node\'s root "/" is critical — it controls every container on the node; /etc, /var/lib/kubelet, /var/lib/docker|containerd, /var/log, /proc, /sys, /dev, /root and other system directories are high (credentials, kubelet keys, other pods\' data, the log-symlink escape); any other path is medium. A path that contains a sensitive one (e.g. /var contains /var/lib/kubelet) is rated as that one. A volume mounted read-only everywhere is rated one step lower, except runtime sockets (a socket works read-only); a volume no container mounts is low.',
  remediation: 'Replace hostPath with a purpose-built volume (emptyDir, configMap, a CSI driver); a node agent that must read host files should mount the narrowest path read-only and run in a namespace with a privileged Pod Security level and an exemption.',
  mappings: { cis: ['5.2.12'], nsa: [NSA.hardening, NSA.podSecurity], pss: ['hostPathVolumes', 'restrictedVolumes'] },
  run,
};

/** Normalised absolute path: `..` resolved, trailing slash removed, `/var/run` folded into `/run` (a symlink on every distribution). */
export function canonicalHostPath(path: string): string {
  let p = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p === '/var/run' || p.startsWith('/var/run/')) p = p.slice('/var'.length);
  return p;
}

function contains(outer: string, inner: string): boolean {
  return outer === '/' || inner === outer || inner.startsWith(`${outer}/`);
}

export interface HostPathRating {
  severity: Severity;
  category: string;
  /** The sensitive path that decided the rating. */
  matched: string | undefined;
}

/** Rates a host path as mounted read-write. */
export function rateHostPath(path: string): HostPathRating {
  const p = canonicalHostPath(path);
  if (p === '/') return { severity: 'critical', category: 'the node\'s root filesystem', matched: '/' };
  const socket = RUNTIME_SOCKETS.find((s) => contains(p, s) || contains(s, p));
  if (socket !== undefined) return { severity: 'critical', category: 'a container runtime socket', matched: socket };
  const dir = SENSITIVE_DIRECTORIES.find((d) => contains(d, p) || contains(p, d));
  if (dir !== undefined) return { severity: 'high', category: `a sensitive host directory (${dir})`, matched: dir };
  return { severity: 'medium', category: 'a host directory', matched: undefined };
}

const LOWER: Record<Severity, Severity> = { critical: 'high', high: 'medium', medium: 'low', low: 'low', info: 'info', unknown: 'unknown' };

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  for (const ws of workloadSpecs(inventory)) {
    for (const volume of ws.pod.volumes) {
      if (volume.hostPath === undefined) continue;
      const mounts: Array<{ container: string; mountPath: string; readOnly: boolean; field: string }> = [];
      for (const c of ws.pod.containers) {
        (c.spec.volumeMounts ?? []).forEach((m, i) => {
          if (m === null || m.name !== volume.name) return;
          mounts.push({ container: c.name, mountPath: m.mountPath ?? '', readOnly: m.readOnly === true, field: containerField(ws, c, `volumeMounts[${i}]`) });
        });
      }
      const rating = rateHostPath(volume.hostPath.path);
      const readOnly = mounts.length > 0 && mounts.every((m) => m.readOnly);
      const socket = rating.category === 'a container runtime socket';
      let severity = rating.severity;
      if (mounts.length === 0) severity = 'low';
      else if (readOnly && !socket) severity = LOWER[severity];
      const where = mounts.length === 0 ? 'not mounted by any container' : `at ${mounts.map((m) => `${m.container}:${m.mountPath}${m.readOnly ? ' (ro)' : ''}`).join(', ')}`;
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity,
          title: `${workloadLabel(ws)} mounts ${rating.category}: hostPath ${volume.hostPath.path}${readOnly ? ' read-only' : ''} ${where}`,
          remediation:
            socket
              ? `Remove the ${volume.hostPath.path} mount from ${workloadLabel(ws)}: access to the runtime socket is root on the node. Use the Kubernetes API, or a narrowly scoped node agent, instead.`
              : `Remove hostPath volume "${volume.name}" (${volume.hostPath.path}) or replace it with an emptyDir/configMap/CSI volume; if the node path is truly needed, mount the narrowest path with readOnly: true.`,
          fields: [objectField(ws, `${volume.path}.hostPath.path`), ...mounts.map((m) => m.field)],
          evidence: { volume: volume.name, path: volume.hostPath.path, type: volume.hostPath.type ?? null, category: rating.category, sensitivePath: rating.matched ?? null, readOnly, mounts: mounts.map((m) => ({ container: m.container, mountPath: m.mountPath, readOnly: m.readOnly })) },
          key: volume.name,
        }),
      );
    }
  }
  return { findings, issues: [] };
}
