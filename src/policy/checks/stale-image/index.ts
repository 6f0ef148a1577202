import { fingerprint, type Finding } from '../../../core/finding.js';
import { formatImageReference, type ImageReference } from '../../../core/image-ref.js';
import type { Inventory, NodeInfo, PodInfo } from '../../../core/inventory.js';
import { issue, type Issue } from '../../../core/issue.js';
import { NSA, type Check, type CheckContext, type CheckResult } from '../../check.js';
import { formatBytes } from '../../../core/format.js';
import { globToRegExp, matchesAny, tagKey } from '../../images.js';

export const staleImage: Check = {
  id: 'stale-image',
  kind: 'stale-image',
  title: 'Image cached on a node that no container on that node uses',
  severity: 'low',
  description:
    'An image in the node image cache (Node status.images) that no container of any pod on that node uses — init and ephemeral containers count, and the pod sandbox image is in use by every pod. Unused images are attack surface (anyone who can create a pod can start them without a pull) and fill the disk.',
  remediation: 'Remove unused images from node caches ("runwarden clean" on the node, or the kubelet image garbage collector with a lower --image-gc-high-threshold).',
  mappings: { cis: [], nsa: [NSA.images], pss: [] },
  run,
};

function run(inventory: Inventory, context: CheckContext): CheckResult {
  const issues: Issue[] = [];
  const complete = new Set(inventory.coverage.complete);
  if (!complete.has('Node')) return { findings: [], issues };
  if (!complete.has('Pod') || inventory.coverage.namespaces !== undefined) {
    // Without every pod in every namespace an image can look unused when it is not: never guess.
    const why = inventory.coverage.namespaces !== undefined ? `the scan is limited to namespaces ${inventory.coverage.namespaces.join(', ')}` : 'the pods were not read';
    issues.push(issue('stale-image-skipped', `Stale-image check skipped: ${why}, so image use on nodes is unknown`, undefined, 'Scan all namespaces with read access to pods (see deploy/clusterrole.yaml).'));
    return { findings: [], issues };
  }
  const sandbox = context.sandboxImages.map(globToRegExp);
  const podsByNode = new Map<string, PodInfo[]>();
  for (const pod of inventory.pods) {
    if (pod.nodeName === undefined) continue;
    const list = podsByNode.get(pod.nodeName) ?? [];
    list.push(pod);
    podsByNode.set(pod.nodeName, list);
  }
  // Nodes cache the same images: decide "sandbox image?" once per distinct name (an image is one
  // when any of its names is), and compute each parsed reference's tag key once.
  const sandboxed = new Map<string, boolean>();
  const isSandbox = (names: string[]): boolean => {
    for (const name of names) {
      let result = sandboxed.get(name);
      if (result === undefined) {
        result = matchesAny([name], sandbox);
        sandboxed.set(name, result);
      }
      if (result) return true;
    }
    return false;
  };
  const tagKeys = new Map<ImageReference, string | undefined>();
  const keyOf = (ref: ImageReference): string | undefined => {
    if (tagKeys.has(ref)) return tagKeys.get(ref);
    const key = tagKey(ref);
    tagKeys.set(ref, key);
    return key;
  };
  const findings: Finding[] = [];
  for (const node of inventory.nodes) findings.push(...staleOnNode(node, podsByNode.get(node.name) ?? [], isSandbox, keyOf));
  return { findings, issues };
}

function staleOnNode(node: NodeInfo, pods: PodInfo[], isSandbox: (names: string[]) => boolean, keyOf: (ref: ImageReference) => string | undefined): Finding[] {
  const digests = new Set<string>();
  const tags = new Set<string>();
  for (const pod of pods) {
    for (const c of pod.containers) {
      if (c.running !== undefined) digests.add(c.running.digest);
      if (c.ref !== undefined) {
        if (c.ref.digest !== undefined) digests.add(c.ref.digest);
        const key = keyOf(c.ref);
        if (key !== undefined) tags.add(key);
      }
      if (c.statusImage !== undefined) {
        if (c.statusImage.startsWith('sha256:')) digests.add(c.statusImage);
      }
    }
  }
  const findings: Finding[] = [];
  for (const image of node.images) {
    if (isSandbox(image.names)) continue;
    const used = image.digests.some((d) => digests.has(d)) || image.tags.some((t) => tags.has(keyOf(t) ?? ''));
    if (used) continue;
    const display = image.tags[0] === undefined ? (image.names[0] ?? '<untagged>') : formatImageReference(image.tags[0]);
    const subject = { type: 'image' as const, node: node.name, image: display };
    findings.push({
      id: fingerprint('stale-image', subject, image.digests[0] ?? image.names.join(',')),
      rule: 'stale-image',
      kind: 'stale-image',
      severity: 'low',
      title: `Unused image ${display} cached on node ${node.name} (${formatBytes(image.sizeBytes)})`,
      subject,
      evidence: {
        node: node.name,
        names: image.names,
        digests: image.digests,
        sizeBytes: image.sizeBytes,
        podsOnNode: pods.length,
      },
      remediation: `Remove it from the node's image cache: "runwarden clean" on the node, or "crictl rmi ${display}".`,
    });
  }
  return findings;
}
