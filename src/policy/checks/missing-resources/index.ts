import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { containerField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'missing-resources';

const ITEMS = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'] as const;
type Item = (typeof ITEMS)[number];

export const missingResources: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Container has no CPU/memory requests or limits',
  severity: 'low',
  description:
    'A container without a memory limit can exhaust the node\'s memory and get its neighbours OOM-killed (medium); without a CPU limit it can starve them; without requests the scheduler places it blind and it is the first to be evicted. A request that is absent but whose limit is set is not reported: the API server defaults the request to the limit. Ephemeral (debug) containers cannot set resources and are not checked. A LimitRange in the namespace may add defaults the manifest does not show.',
  remediation: 'Set resources.requests and resources.limits for cpu and memory on every container (requests from observed usage, memory limit ≥ peak usage).',
  mappings: { cis: [], nsa: [NSA.resourcePolicies], pss: [] },
  run,
};

function present(value: string | number | null | undefined): boolean {
  return value !== undefined && value !== null && value !== '';
}

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  for (const ws of workloadSpecs(inventory)) {
    for (const c of ws.pod.containers) {
      if (c.type === 'ephemeral') continue;
      const requests = c.spec.resources?.requests ?? {};
      const limits = c.spec.resources?.limits ?? {};
      const has: Record<Item, boolean> = {
        'limits.cpu': present(limits.cpu),
        'limits.memory': present(limits.memory),
        // The API server defaults a missing request to the limit (core/v1 defaults.go).
        'requests.cpu': present(requests.cpu) || present(limits.cpu),
        'requests.memory': present(requests.memory) || present(limits.memory),
      };
      const missing = ITEMS.filter((item) => !has[item]);
      if (missing.length === 0) continue;
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity: missing.includes('limits.memory') ? 'medium' : 'low',
          title: `Container ${c.name} of ${workloadLabel(ws)} has no ${missing.map((m) => m.replace('.', ' ')).join(', ')}`,
          remediation: `Set ${missing.map((m) => `resources.${m}`).join(', ')} on container ${c.name}.`,
          container: c,
          fields: [containerField(ws, c, c.spec.resources == null ? 'resources' : `resources.${missing[0] ?? 'limits'}`)],
          evidence: { missing },
        }),
      );
    }
  }
  return { findings, issues: [] };
}
