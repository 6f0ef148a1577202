import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { containerField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'writable-root-filesystem';

export const writableRootFilesystem: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Container root filesystem is writable (readOnlyRootFilesystem is not true)',
  severity: 'low',
  description:
    'Without securityContext.readOnlyRootFilesystem: true an intruder can change the container\'s binaries and configuration, drop tools and persist until the pod is replaced; the image stops being what was scanned. Writable scratch space belongs in an emptyDir volume.',
  remediation: 'Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir at the few paths the process writes (/tmp, caches).',
  mappings: { cis: ['5.7.3'], nsa: [NSA.immutable], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  for (const ws of workloadSpecs(inventory)) {
    // readOnlyRootFilesystem is not supported for Windows containers.
    if (ws.pod.windows) continue;
    for (const c of ws.pod.containers) {
      if (c.spec.securityContext?.readOnlyRootFilesystem === true) continue;
      const explicit = c.spec.securityContext?.readOnlyRootFilesystem === false;
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity: 'low',
          title: `Container ${c.name} of ${workloadLabel(ws)} has a writable root filesystem${explicit ? ' (readOnlyRootFilesystem: false)' : ''}`,
          remediation: `Set securityContext.readOnlyRootFilesystem: true on container ${c.name}; mount an emptyDir where it must write.`,
          container: c,
          fields: [containerField(ws, c, 'securityContext.readOnlyRootFilesystem')],
          evidence: { readOnlyRootFilesystem: c.spec.securityContext?.readOnlyRootFilesystem ?? null },
        }),
      );
    }
  }
  return { findings, issues: [] };
}
