import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { severityRank, type Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { BASELINE_CAPABILITIES } from '../../pss/controls.js';
import { containerField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'added-capabilities';

/**
 * Capabilities that give a container root-equivalent power over the node or its neighbours
 * (capabilities(7)): mount/namespace/module control, raw devices, tracing other processes, bypassing
 * file permission checks, BPF, network administration.
 */
export const DANGEROUS_CAPABILITIES: ReadonlySet<string> = new Set([
  'ALL',
  'SYS_ADMIN',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_PTRACE',
  'SYS_BOOT',
  'SYS_TIME',
  'DAC_READ_SEARCH',
  'NET_ADMIN',
  'BPF',
  'PERFMON',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'LINUX_IMMUTABLE',
  'AUDIT_CONTROL',
  'CHECKPOINT_RESTORE',
  'SYSLOG',
]);

export const addedCapabilities: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Container adds Linux capabilities',
  severity: 'medium',
  description:
    'Capabilities added with securityContext.capabilities.add widen what root in the container may do. SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, BPF, ALL and similar are close to root on the node (high); NET_RAW allows packet spoofing on the pod network; capabilities the runtime grants by default are rated low. NET_BIND_SERVICE alone is not reported (the restricted standard allows it).',
  remediation: 'Drop ALL capabilities and add back only what the process needs; prefer a design that needs none (e.g. listen on a port above 1024).',
  mappings: { cis: ['5.2.8', '5.2.9'], nsa: [NSA.hardening], pss: ['capabilities_baseline', 'capabilities_restricted'] },
  run,
};

/** `cap_sys_admin`, `CAP_SYS_ADMIN` and `SYS_ADMIN` are the same capability to the runtime. */
export function normalizeCapability(value: string): string {
  const upper = value.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

function rate(cap: string): Severity {
  if (DANGEROUS_CAPABILITIES.has(cap)) return 'high';
  if (cap === 'NET_RAW') return 'medium';
  return BASELINE_CAPABILITIES.has(cap) ? 'low' : 'medium';
}

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  for (const ws of workloadSpecs(inventory)) {
    if (ws.pod.windows) continue;
    for (const c of ws.pod.containers) {
      const added = (c.spec.securityContext?.capabilities?.add ?? []).filter((x): x is string => x !== null).map(normalizeCapability);
      const reported = [...new Set(added)].filter((cap) => cap !== 'NET_BIND_SERVICE').sort();
      if (reported.length === 0) continue;
      const severity = reported.map(rate).reduce<Severity>((a, b) => (severityRank(b) > severityRank(a) ? b : a), 'low');
      const dangerous = reported.filter((cap) => DANGEROUS_CAPABILITIES.has(cap));
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity,
          title: `Container ${c.name} of ${workloadLabel(ws)} adds ${reported.length === 1 ? 'capability' : 'capabilities'} ${reported.join(', ')}`,
          remediation: `Remove ${reported.join(', ')} from securityContext.capabilities.add of container ${c.name} (set capabilities.drop: ["ALL"]); keep only a capability the process demonstrably needs.`,
          container: c,
          fields: [containerField(ws, c, 'securityContext.capabilities.add')],
          evidence: { capabilities: reported, dangerous, dropsAll: (c.spec.securityContext?.capabilities?.drop ?? []).some((d) => d !== null && normalizeCapability(d) === 'ALL') },
        }),
      );
    }
  }
  return { findings, issues: [] };
}
