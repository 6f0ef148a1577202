import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { imageParser } from '../../images.js';
import { containerField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'image-pull-policy';

export const imagePullPolicy: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Image pulled by a mutable tag without imagePullPolicy: Always',
  severity: 'low',
  description:
    'With imagePullPolicy IfNotPresent (the default for any tag but :latest) or Never, a node starts whatever it cached under the tag: replicas run different builds after the tag moves, and the kubelet skips the registry, so a pod can start a private image another tenant pulled to the node without holding the pull credentials (unless the AlwaysPullImages admission plugin is on). Images pinned by digest are not reported: the digest fixes the content.',
  remediation: 'Pin the image by digest (preferred), or set imagePullPolicy: Always.',
  mappings: { cis: [], nsa: [NSA.images], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  const parse = imageParser();
  for (const ws of workloadSpecs(inventory)) {
    for (const c of ws.pod.containers) {
      const ref = parse(c.spec.image ?? '');
      if (ref === undefined || ref.digest !== undefined) continue;
      const explicit = c.spec.imagePullPolicy ?? undefined;
      // core/v1 defaulting: Always for :latest or no tag, IfNotPresent otherwise.
      const effective = explicit ?? (ref.tag === undefined || ref.tag === 'latest' ? 'Always' : 'IfNotPresent');
      if (effective === 'Always') continue;
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity: 'low',
          title: `Container ${c.name} of ${workloadLabel(ws)} pulls ${c.spec.image ?? ''} with imagePullPolicy ${effective}${explicit === undefined ? ' (default)' : ''}: nodes run whatever they cached under the tag`,
          remediation: `Pin ${c.spec.image ?? 'the image'} by digest (image: <repo>@sha256:…), or set imagePullPolicy: Always on container ${c.name}.`,
          container: c,
          fields: [containerField(ws, c, explicit === undefined ? 'image' : 'imagePullPolicy')],
          evidence: { imagePullPolicy: explicit ?? null, effective, tag: ref.tag ?? null },
        }),
      );
    }
  }
  return { findings, issues: [] };
}
