import { fingerprint, type Finding } from '../../../core/finding.js';
import { formatImageReference, repositoryName, type ImageReference } from '../../../core/image-ref.js';
import { workloadKey, type Inventory } from '../../../core/inventory.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { imageParser } from '../../images.js';
import { containerField, workloadSpecs } from '../../workload-specs.js';

export const unpinnedImage: Check = {
  id: 'unpinned-image',
  kind: 'misconfiguration',
  title: 'Image referenced by :latest or without a tag, and without a digest',
  severity: 'medium',
  description:
    'A container image given as ":latest" or with no tag (which means :latest) and no digest. What runs then depends on when each node pulled: replicas drift apart, a rollback cannot restore the old image, and a registry compromise reaches the cluster on the next pull. Maps to NSA/CISA Kubernetes Hardening Guide (image integrity) and CIS Kubernetes Benchmark 5.5.1 (image provenance).',
  remediation: 'Reference images by version tag and digest (repo:1.2.3@sha256:…), updated by your dependency bot.',
  mappings: { cis: ['5.5.1'], nsa: [NSA.images], pss: [] },
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
  /** Object-relative path of the `image` field in the workload's pod template (or bare pod). */
  fields: string[];
}

/** `:latest` or no tag, and no digest. */
function unpinned(ref: ImageReference | undefined): ref is ImageReference {
  return ref !== undefined && ref.digest === undefined && (ref.tag === undefined || ref.tag === 'latest');
}

function run(inventory: Inventory): CheckResult {
  const occurrences = new Map<string, Occurrence>();
  const note = (namespace: string, workload: { kind: string; name: string }, container: string, image: string, ref: ImageReference): Occurrence => {
    const key = `${workloadKey({ ...workload, namespace })}\0${container}\0${image}`;
    let occ = occurrences.get(key);
    if (occ === undefined) {
      occ = { namespace, workload, container, image, ref, pods: [], runningDigests: new Set(), fields: [] };
      occurrences.set(key, occ);
    }
    return occ;
  };
  for (const pod of inventory.pods) {
    for (const c of pod.containers) {
      // Most containers are pinned: nothing is allocated for them.
      if (!unpinned(c.ref)) continue;
      const occ = note(pod.namespace, { kind: pod.workload.kind, name: pod.workload.name }, c.name, c.image, c.ref);
      occ.pods.push(pod.name);
      if (c.running?.kind === 'repo-digest') occ.runningDigests.add(c.running.digest);
    }
  }
  // Pod templates (and bare pods): also what runs next, even with no pod right now (a CronJob between
  // runs, a Deployment scaled to 0, a manifest before deploy). They give the field to change.
  const parse = imageParser();
  for (const ws of workloadSpecs(inventory)) {
    for (const c of ws.pod.containers) {
      const image = c.spec.image ?? '';
      const ref = parse(image);
      if (!unpinned(ref)) continue;
      const occ = note(ws.namespace, ws.workload, c.name, image, ref);
      const field = containerField(ws, c, 'image');
      if (!occ.fields.includes(field)) occ.fields.push(field);
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
        ...(occ.fields.length > 0 ? { fields: occ.fields } : {}),
      },
      remediation: `Pin the image to a version tag and digest, e.g. image: ${pin}${digests.length === 1 ? ' (the digest running now)' : ''}.`,
    });
  }
  return { findings, issues: [] };
}
