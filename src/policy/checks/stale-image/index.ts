import { fingerprint, type Finding } from '../../../core/finding.js';
import { formatImageReference, type ImageReference } from '../../../core/image-ref.js';
import type { Inventory, NodeInfo } from '../../../core/inventory.js';
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
  // One pass over the containers: what each node uses (digests and tag keys), and its pod count.
  const tagKeys = new Map<ImageReference, string | undefined>();
  const keyOf = (ref: ImageReference): string | undefined => {
    let key = tagKeys.get(ref);
    if (key === undefined && !tagKeys.has(ref)) {
      key = tagKey(ref);
      tagKeys.set(ref, key);
    }
    return key;
  };
  const usedOn = new Map<string, NodeUse>();
  for (const pod of inventory.pods) {
    if (pod.nodeName === undefined) continue;
    let use = usedOn.get(pod.nodeName);
    if (use === undefined) {
      use = { digests: new Set(), tags: new Set(), pods: 0 };
      usedOn.set(pod.nodeName, use);
    }
    use.pods++;
    for (const c of pod.containers) {
      if (c.running !== undefined) use.digests.add(c.running.digest);
      if (c.ref !== undefined) {
        if (c.ref.digest !== undefined) use.digests.add(c.ref.digest);
        const key = keyOf(c.ref);
        if (key !== undefined) use.tags.add(key);
      }
      if (c.statusImage?.startsWith('sha256:') === true) use.digests.add(c.statusImage);
    }
  }
  // Nodes cache the same images: decide "sandbox image?" once per distinct name (an image is one
  // when any of its names is), and format each shared parsed reference once.
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
  const displays = new Map<ImageReference, string>();
  const displayOf = (ref: ImageReference): string => {
    let display = displays.get(ref);
    if (display === undefined) {
      display = formatImageReference(ref);
      displays.set(ref, display);
    }
    return display;
  };
  const none: NodeUse = { digests: new Set(), tags: new Set(), pods: 0 };
  const findings: Finding[] = [];
  for (const node of inventory.nodes) staleOnNode(node, usedOn.get(node.name) ?? none, { isSandbox, keyOf, displayOf }, findings);
  return { findings, issues };
}

interface NodeUse {
  digests: Set<string>;
  tags: Set<string>;
  pods: number;
}

interface Lookups {
  isSandbox: (names: string[]) => boolean;
  keyOf: (ref: ImageReference) => string | undefined;
  displayOf: (ref: ImageReference) => string;
}

function isUsed(image: NodeInfo['images'][number], use: NodeUse, keyOf: Lookups['keyOf']): boolean {
  for (const d of image.digests) if (use.digests.has(d)) return true;
  for (const t of image.tags) if (use.tags.has(keyOf(t) ?? '')) return true;
  return false;
}

function staleOnNode(node: NodeInfo, use: NodeUse, { isSandbox, keyOf, displayOf }: Lookups, findings: Finding[]): void {
  for (const image of node.images) {
    // Set look-ups first: the sandbox globs only for images no container uses.
    if (isUsed(image, use, keyOf) || isSandbox(image.names)) continue;
    const display = image.tags[0] === undefined ? (image.names[0] ?? '<untagged>') : displayOf(image.tags[0]);
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
        podsOnNode: use.pods,
      },
      remediation: `Remove it from the node's image cache: "runwarden clean" on the node, or "crictl rmi ${display}".`,
    });
  }
}
