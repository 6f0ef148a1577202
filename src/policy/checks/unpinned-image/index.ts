import { fingerprint, type Finding } from '../../../core/finding.js';
import { formatImageReference, parseImageReference, repositoryName, type ImageReference } from '../../../core/image-ref.js';
import { workloadKey, type Inventory } from '../../../core/inventory.js';
import type { Check, CheckResult } from '../../check.js';
import { templateContainers } from '../../images.js';

export const unpinnedImage: Check = {
  id: 'unpinned-image',
  kind: 'misconfiguration',
  title: 'Image referenced by :latest or without a tag, and without a digest',
  severity: 'medium',
  description:
    'A container image given as ":latest" or with no tag (which means :latest) and no digest. What runs then depends on when each node pulled: replicas drift apart, a rollback cannot restore the old image, and a registry compromise reaches the cluster on the next pull. Maps to NSA/CISA Kubernetes Hardening Guide (image integrity) and CIS Kubernetes Benchmark 5.5.1 (image provenance).',
  run,
};

interface Occurrence {
  namespace: string;
  workload: { kind: string; name: string };
  container: string;
  image: string;
  ref: ImageReference;
  pods: string[];
  runningDigests: Set<string>;
}

function run(inventory: Inventory): CheckResult {
  const occurrences = new Map<string, Occurrence>();
  const note = (namespace: string, workload: { kind: string; name: string }, container: string, image: string, ref: ImageReference | undefined, pod?: string, digest?: string): void => {
    if (ref === undefined || ref.digest !== undefined) return;
    if (ref.tag !== undefined && ref.tag !== 'latest') return;
    const key = `${workloadKey({ ...workload, namespace })}\0${container}\0${image}`;
    let occ = occurrences.get(key);
    if (occ === undefined) {
      occ = { namespace, workload, container, image, ref, pods: [], runningDigests: new Set() };
      occurrences.set(key, occ);
    }
    if (pod !== undefined) occ.pods.push(pod);
    if (digest !== undefined) occ.runningDigests.add(digest);
  };
  for (const pod of inventory.pods) {
    for (const c of pod.containers) {
      const digest = c.running?.kind === 'repo-digest' ? c.running.digest : undefined;
      note(pod.namespace, { kind: pod.workload.kind, name: pod.workload.name }, c.name, c.image, c.ref, pod.name, digest);
    }
  }
  // Workloads with no pods right now (a CronJob between runs, a Deployment scaled to 0) still deploy their template.
  for (const w of inventory.workloads) {
    for (const c of templateContainers(w.kind, w.raw)) {
      let ref: ImageReference | undefined;
      try {
        ref = parseImageReference(c.image);
      } catch {
        ref = undefined; // recorded by the inventory for pods; templates of invalid images are not a pin question
      }
      note(w.namespace, { kind: w.kind, name: w.name }, c.name, c.image, ref);
    }
  }
  const findings: Finding[] = [];
  for (const occ of occurrences.values()) {
    const subject = { type: 'container' as const, namespace: occ.namespace, workload: occ.workload, container: occ.container, image: occ.image };
    const reason = occ.ref.tag === undefined ? 'no tag (the runtime pulls :latest)' : 'the mutable tag :latest';
    const digests = [...occ.runningDigests].sort();
    const pin = digests.length === 1 ? `${repositoryName(occ.ref)}@${digests[0]}` : `${repositoryName(occ.ref)}:<version>@sha256:<digest>`;
    findings.push({
      id: fingerprint('unpinned-image', subject, occ.image),
      rule: 'unpinned-image',
      kind: 'misconfiguration',
      severity: 'medium',
      title: `Container ${occ.container} uses ${occ.image}: ${reason}, no digest`,
      subject,
      evidence: {
        image: occ.image,
        normalized: formatImageReference(occ.ref),
        reason,
        pods: occ.pods.length,
        runningDigests: digests,
      },
      remediation: `Pin the image to a version tag and digest, e.g. image: ${pin}${digests.length === 1 ? ' (the digest running now)' : ''}.`,
    });
  }
  return { findings, issues: [] };
}
