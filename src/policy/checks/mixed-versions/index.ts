import { fingerprint, type Finding } from '../../../core/finding.js';
import { formatImageReference, type ImageReference } from '../../../core/image-ref.js';
import { workloadKey, type Inventory, type WorkloadRef } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';

export const mixedVersions: Check = {
  id: 'mixed-versions',
  kind: 'outdated',
  title: 'Replicas of one workload run different digests of the same image reference',
  severity: 'medium',
  description:
    'Pods of one workload whose containers name the same image reference but run different image digests (status.containerStatuses[].imageID). The tag moved between pulls: some replicas run an older build, with its vulnerabilities, and behaviour differs between replicas.',
  remediation: 'Pin the image by digest in the workload and roll it out, so every replica runs the same build.',
  mappings: { cis: ['5.5.1'], nsa: [NSA.images], pss: [] },
  run,
};

interface Group {
  workload: WorkloadRef;
  container: string;
  image: string;
  /** digest → pods running it, per digest kind (repo digests and local image IDs are not comparable). */
  byKind: Map<string, Map<string, string[]>>;
}

function run(inventory: Inventory): CheckResult {
  // workload key → container → image → group, and the groups in the order they were first seen.
  const index = new Map<string, Map<string, Map<string, Group>>>();
  const groups: Group[] = [];
  // Parsed references are shared by the containers that name the same image: format each once.
  const formatted = new Map<ImageReference, string>();
  for (const pod of inventory.pods) {
    let byContainer: Map<string, Map<string, Group>> | undefined;
    for (const c of pod.containers) {
      if (c.running === undefined || c.ref === undefined) continue;
      let image = formatted.get(c.ref);
      if (image === undefined) {
        image = formatImageReference(c.ref);
        formatted.set(c.ref, image);
      }
      if (byContainer === undefined) {
        const key = workloadKey(pod.workload);
        byContainer = index.get(key);
        if (byContainer === undefined) {
          byContainer = new Map<string, Map<string, Group>>();
          index.set(key, byContainer);
        }
      }
      let byImage = byContainer.get(c.name);
      if (byImage === undefined) {
        byImage = new Map<string, Group>();
        byContainer.set(c.name, byImage);
      }
      let group = byImage.get(image);
      if (group === undefined) {
        group = { workload: pod.workload, container: c.name, image, byKind: new Map() };
        byImage.set(image, group);
        groups.push(group);
      }
      let digests = group.byKind.get(c.running.kind);
      if (digests === undefined) {
        digests = new Map();
        group.byKind.set(c.running.kind, digests);
      }
      const pods = digests.get(c.running.digest);
      if (pods === undefined) digests.set(c.running.digest, [pod.name]);
      else pods.push(pod.name);
    }
  }
  const findings: Finding[] = [];
  for (const group of groups) {
    for (const [kind, digests] of group.byKind) {
      if (digests.size < 2) continue;
      const subject = { type: 'container' as const, namespace: group.workload.namespace, workload: { kind: group.workload.kind, name: group.workload.name }, container: group.container, image: group.image };
      const sorted = [...digests.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
      const evidenceDigests = Object.fromEntries(sorted.map(([d, pods]) => [d, [...pods].sort()]));
      const w = group.workload;
      findings.push({
        id: fingerprint('mixed-versions', subject, kind),
        rule: 'mixed-versions',
        kind: 'outdated',
        severity: 'medium',
        title: `${digests.size} different digests of ${group.image} run in ${w.kind} ${w.name} (container ${group.container})`,
        subject,
        evidence: { image: group.image, digestKind: kind, digests: evidenceDigests },
        remediation:
          w.kind === 'Pod'
            ? `Pin ${group.image} by digest so every pull gets the same image.`
            : `Pin the image by digest in the ${w.kind} and roll it out ("kubectl -n ${w.namespace} rollout restart ${w.kind.toLowerCase()}/${w.name}") so every replica runs the same digest.`,
      });
    }
  }
  return { findings, issues: [] };
}
