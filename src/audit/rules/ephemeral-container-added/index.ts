import { podSpecOf, requestObject, target, type AuditEvent, type ContainerView } from '../../event.js';
import { containerList } from '../../pods.js';
import type { AuditRule, RuleMatch } from '../../rule.js';

const VERBS = new Set(['update', 'patch', 'create']);

/** The values a JSON patch (RFC 6902, an array of operations) adds under /spec/ephemeralContainers. */
function jsonPatchContainers(body: unknown): unknown[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const out: unknown[] = [];
  for (const op of body as unknown[]) {
    if (typeof op !== 'object' || op === null) continue;
    const { path, value } = op as { path?: unknown; value?: unknown };
    if (typeof path !== 'string' || !/^\/spec\/ephemeralContainers(\/|$)/.test(path)) continue;
    if (Array.isArray(value)) out.push(...(value as unknown[]));
    else out.push(value);
  }
  return out;
}

/**
 * The ephemeral containers the request body names: a Pod or a strategic-merge/merge patch (`spec.ephemeralContainers`),
 * the EphemeralContainers kind of Kubernetes 1.16–1.22 (`ephemeralContainers`), or a JSON patch. Undefined when the
 * body names none (no body at the audit level `Metadata`, or a patch of something else).
 */
export function requestedEphemeralContainers(event: AuditEvent): ContainerView[] | undefined {
  const body = requestObject(event);
  const fromPatch = jsonPatchContainers(event.requestObject);
  const sources = [body?.['spec'], body, fromPatch === undefined ? undefined : { ephemeralContainers: fromPatch }];
  for (const source of sources) {
    const containers = podSpecOf(source)?.containers.filter((c) => c.list === 'ephemeralContainers') ?? [];
    if (containers.length > 0) return containers;
  }
  return undefined;
}

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const t = target(event);
  if (t.resource !== 'pods' || t.subresource !== 'ephemeralcontainers' || !VERBS.has(event.verb)) return undefined;
  const containers = requestedEphemeralContainers(event);
  const pod = `${t.namespace}/${t.name}`;
  if (containers === undefined) return { title: `Ephemeral container added to pod ${pod}`, evidence: { ephemeralContainers: 'unknown' } };
  return {
    title: `Ephemeral container added to pod ${pod}: ${containerList(containers).join(', ')}`,
    evidence: { ephemeralContainers: containers.map((c) => ({ name: c.name, image: c.image, ...(c.privileged ? { privileged: true } : {}) })) },
  };
}

export const ephemeralContainerAdded: AuditRule = {
  id: 'ephemeral-container-added',
  title: 'An ephemeral (debug) container was added to a running pod',
  severity: 'medium',
  description:
    'An ephemeral container (`kubectl debug` on a running pod) joins a pod that is already running: it can bring any image and shares the pod\'s network, its volumes and, when targeted, a container\'s processes, without the pod\'s spec or its controller changing. Legitimate for debugging, it is also a quiet way to run tools next to a workload\'s secrets. The containers are read from the request body when the audit level records it; a body that names none (level Metadata, an unusual patch) gives a detection without them.',
  remediation: 'Confirm with the user that the debug session was expected. Keep pods/ephemeralcontainers out of roles in production namespaces, and restrict the images and privileges of debug containers with an admission policy.',
  falco: ['EphemeralContainers Created'],
  evaluate,
};
