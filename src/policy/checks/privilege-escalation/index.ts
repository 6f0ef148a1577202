import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { containerField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'privilege-escalation';

export const privilegeEscalation: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Container allows privilege escalation (allowPrivilegeEscalation is not false)',
  severity: 'medium',
  description:
    'Unless securityContext.allowPrivilegeEscalation is false, the container runtime does not set no_new_privs: a process can gain privileges through setuid/setgid binaries or file capabilities (sudo, ping, a planted binary). The field defaults to true, and is always true for privileged containers or with CAP_SYS_ADMIN.',
  remediation: 'Set securityContext.allowPrivilegeEscalation: false on every container.',
  mappings: { cis: ['5.2.6'], nsa: [NSA.hardening], pss: ['allowPrivilegeEscalation'] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  for (const ws of workloadSpecs(inventory)) {
    // no_new_privs is a Linux mechanism; Windows pods are exempt (as PSS from v1.25).
    if (ws.pod.windows) continue;
    for (const c of ws.pod.containers) {
      const sc = c.spec.securityContext;
      if (sc?.allowPrivilegeEscalation === false && sc.privileged !== true) continue;
      const explicit = sc?.allowPrivilegeEscalation === true;
      const privileged = sc?.privileged === true;
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity: explicit || privileged ? 'high' : 'medium',
          title: `Container ${c.name} of ${workloadLabel(ws)} allows privilege escalation (${privileged ? 'privileged' : explicit ? 'allowPrivilegeEscalation: true' : 'allowPrivilegeEscalation not set, defaults to true'})`,
          remediation: `Set securityContext.allowPrivilegeEscalation: false on container ${c.name}${privileged ? ' and drop privileged: true (privileged containers always allow escalation)' : ''}.`,
          container: c,
          fields: [containerField(ws, c, privileged && !explicit && sc?.allowPrivilegeEscalation === false ? 'securityContext.privileged' : 'securityContext.allowPrivilegeEscalation')],
          evidence: { allowPrivilegeEscalation: sc?.allowPrivilegeEscalation ?? null, privileged },
        }),
      );
    }
  }
  return { findings, issues: [] };
}
