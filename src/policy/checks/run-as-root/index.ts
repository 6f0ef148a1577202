import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import type { Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { containerField, objectField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'run-as-root';

export const runAsRoot: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Container runs as root, or nothing stops it from running as root',
  severity: 'medium',
  description:
    'A container whose effective runAsUser is 0, or that sets neither runAsNonRoot: true nor a non-zero runAsUser, runs as root whenever its image says so (most images do). Root in a container owns every file the container can reach and is one kernel or runtime bug away from root on the node. The container setting wins over the pod setting, as the kubelet applies them.',
  remediation: 'Set securityContext.runAsNonRoot: true and a non-zero runAsUser (pod or container level); build the image with a numeric non-root USER.',
  mappings: { cis: ['5.2.7'], nsa: [NSA.nonRoot], pss: ['runAsNonRoot', 'runAsUser'] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  for (const ws of workloadSpecs(inventory)) {
    // Windows containers run as runAsUserName, not a UID: runAsNonRoot does not apply the same way.
    if (ws.pod.windows) continue;
    const podSc = ws.pod.spec.securityContext;
    const userNamespace = ws.pod.spec.hostUsers === false;
    for (const c of ws.pod.containers) {
      const sc = c.spec.securityContext;
      const user = sc?.runAsUser ?? podSc?.runAsUser ?? undefined;
      const userField = sc?.runAsUser != null ? containerField(ws, c, 'securityContext.runAsUser') : objectField(ws, 'spec.securityContext.runAsUser');
      const nonRoot = sc?.runAsNonRoot ?? podSc?.runAsNonRoot ?? undefined;
      let severity: Severity;
      let why: string;
      let field: string;
      if (user === 0) {
        severity = 'high';
        why = 'runs as root (runAsUser: 0)';
        field = userField;
      } else if (user !== undefined && user > 0) {
        continue;
      } else if (nonRoot === true) {
        continue;
      } else {
        severity = 'medium';
        why = nonRoot === false ? 'may run as root (runAsNonRoot: false, no runAsUser: the image decides)' : 'may run as root (no runAsNonRoot or runAsUser: the image decides)';
        field = sc?.runAsNonRoot != null ? containerField(ws, c, 'securityContext.runAsNonRoot') : podSc?.runAsNonRoot != null ? objectField(ws, 'spec.securityContext.runAsNonRoot') : containerField(ws, c, 'securityContext.runAsNonRoot');
      }
      // In a user namespace (hostUsers: false) root in the container maps to an unprivileged host UID.
      if (userNamespace) severity = 'low';
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity,
          title: `Container ${c.name} of ${workloadLabel(ws)} ${why}`,
          remediation:
            user === 0
              ? `Run container ${c.name} as a non-root UID: set securityContext.runAsUser to a non-zero value (e.g. 10001) and runAsNonRoot: true; fix file ownership in the image if it needs root today.`
              : `Set securityContext.runAsNonRoot: true on container ${c.name} (or the pod) and a non-zero runAsUser, so the kubelet refuses to start it as root.`,
          container: c,
          fields: [field],
          evidence: { runAsUser: user ?? null, runAsNonRoot: nonRoot ?? null, userNamespace },
        }),
      );
    }
  }
  return { findings, issues: [] };
}
