import { target, type AuditEvent } from '../../event.js';
import { capitalised, containerList, requestedPods, untrusted } from '../../pods.js';
import type { AuditRule, AuditSettings, RuleMatch } from '../../rule.js';

const KUBE_NAMESPACES = new Set(['kube-system', 'kube-public']);

function evaluate(event: AuditEvent, settings: AuditSettings): RuleMatch | undefined {
  const t = target(event);
  if (!KUBE_NAMESPACES.has(t.namespace)) return undefined;
  const requested = requestedPods(event);
  if (requested === undefined) return undefined;
  const { spec } = requested;
  const others = untrusted(spec.containers, [...settings.trustedImages, ...settings.kubeNamespaceImages]);
  if (others.length === 0) return undefined;
  return {
    title: `${capitalised(requested.noun)} ${requested.done}${requested.place} from an image not trusted there (${containerList(others).join(', ')})`,
    evidence: { untrustedContainers: others.map((c) => ({ name: c.name, image: c.image, list: c.list })) },
  };
}

export const kubeNamespacePodCreated: AuditRule = {
  id: 'kube-namespace-pod-created',
  title: 'A pod from an unexpected image was created in kube-system or kube-public',
  severity: 'medium',
  description:
    'kube-system holds the cluster\'s own components and the service accounts with the widest rights; a pod started there can mount those accounts\' tokens and hides among the control plane\'s workloads, and kube-public is readable by everyone. A pod in either namespace is reported when one of its containers (init and ephemeral included) comes from an image in neither `trustedImages` nor `kubeNamespaceImages` (default: registry.k8s.io). Managed clusters run add-ons from their vendor\'s registry: add those to kubeNamespaceImages. Other sensitive namespaces (the CNI\'s, monitoring) are left out.',
  remediation: 'Find out who asked for the pod (for a controller\'s pod: who changed its template) and move workloads that are not cluster components to their own namespace; add a legitimate add-on\'s image repository to kubeNamespaceImages.',
  falco: ['Pod Created in Kube Namespace'],
  evaluate,
};
