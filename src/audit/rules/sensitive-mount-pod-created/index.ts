import { rateHostPath } from '../../../policy/checks/host-path/index.js';
import type { AuditEvent } from '../../event.js';
import { capitalised, requestedPods, untrusted } from '../../pods.js';
import type { AuditRule, AuditSettings, RuleMatch } from '../../rule.js';

function evaluate(event: AuditEvent, settings: AuditSettings): RuleMatch | undefined {
  const requested = requestedPods(event);
  if (requested === undefined) return undefined;
  const { spec } = requested;
  const volumes: Array<{ name: string; path: string; category: string }> = [];
  let critical = false;
  for (const v of spec.volumes) {
    if (v.hostPath === undefined || v.hostPath === '') continue;
    const rating = rateHostPath(v.hostPath);
    if (rating.severity !== 'critical' && rating.severity !== 'high') continue;
    if (rating.severity === 'critical') critical = true;
    volumes.push({ name: v.name, path: v.hostPath, category: rating.category });
  }
  if (volumes.length === 0) return undefined;
  const untrustedContainers = untrusted(spec.containers, settings.trustedImages);
  if (untrustedContainers.length === 0) return undefined;
  return {
    title: `${capitalised(requested.noun)} mounting ${volumes.length === 1 ? 'a sensitive host path' : 'sensitive host paths'} ${requested.done}${requested.place}: ${volumes.map((v) => v.path).join(', ')}`,
    severity: critical ? 'critical' : 'high',
    evidence: { volumes, untrustedContainers: untrustedContainers.map((c) => ({ name: c.name, image: c.image, list: c.list })) },
  };
}

export const sensitiveMountPodCreated: AuditRule = {
  id: 'sensitive-mount-pod-created',
  title: 'A pod mounting a sensitive directory or socket of the node was created',
  severity: 'high',
  description:
    'A hostPath volume of the node\'s root, a container runtime socket (critical: either one is control of every container on the node), or a sensitive directory such as /etc, /proc, /var/lib/kubelet, /var/log or /root (high: credentials, kubelet keys, other pods\' data, kernel interfaces) hands the node to the pod. Paths are rated as the host-path check rates them; other host paths (rated medium) are left out, and so is a pod whose containers all come from `trustedImages`. Whether a container mounts the volume, and read-only or not, is not considered.',
  remediation: 'Find out who asked for the pod (for a controller\'s pod: who changed its template). Replace the hostPath volume with an emptyDir, configMap or CSI volume, or mount the narrowest path read-only; enforce the baseline Pod Security level on the namespace, and add a legitimate node agent\'s image to trustedImages.',
  falco: ['Create Sensitive Mount Pod'],
  evaluate,
};
