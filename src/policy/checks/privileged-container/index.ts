import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { containerField, objectField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'privileged-container';

export const privilegedContainer: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Container runs privileged (or as a Windows HostProcess container)',
  severity: 'critical',
  description:
    'A container with securityContext.privileged: true has every capability, all host devices and no seccomp/AppArmor confinement: a process in it can load kernel modules, mount the host disk and take over the node. Windows HostProcess containers (windowsOptions.hostProcess: true) run directly on the host with the same effect.',
  remediation: 'Remove privileged: true (and hostProcess: true); grant the single capability the workload needs with securityContext.capabilities.add instead.',
  mappings: { cis: ['5.2.2', '5.2.11'], nsa: [NSA.hardening, NSA.podSecurity], pss: ['privileged', 'windowsHostProcess'] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  for (const ws of workloadSpecs(inventory)) {
    const podHostProcess = ws.pod.spec.securityContext?.windowsOptions?.hostProcess === true;
    for (const c of ws.pod.containers) {
      const sc = c.spec.securityContext;
      const fields: string[] = [];
      const reasons: string[] = [];
      if (sc?.privileged === true) {
        fields.push(containerField(ws, c, 'securityContext.privileged'));
        reasons.push('privileged: true');
      }
      if (sc?.windowsOptions?.hostProcess === true) {
        fields.push(containerField(ws, c, 'securityContext.windowsOptions.hostProcess'));
        reasons.push('hostProcess: true');
      } else if (podHostProcess && sc?.windowsOptions?.hostProcess !== false) {
        fields.push(objectField(ws, 'spec.securityContext.windowsOptions.hostProcess'));
        reasons.push('hostProcess: true (pod)');
      }
      if (fields.length === 0) continue;
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity: 'critical',
          title: `Container ${c.name} of ${workloadLabel(ws)} runs ${reasons.includes('privileged: true') ? 'privileged' : 'as a HostProcess container'}: full access to the node`,
          remediation: `Remove ${reasons.join(' and ')} from container ${c.name}; if it needs one kernel privilege, add only that capability (securityContext.capabilities.add).`,
          container: c,
          fields,
          evidence: { settings: reasons },
        }),
      );
    }
  }
  return { findings, issues: [] };
}
