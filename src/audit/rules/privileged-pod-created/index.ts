import type { AuditEvent } from '../../event.js';
import { containerList, requestedPods, untrusted } from '../../pods.js';
import type { AuditRule, AuditSettings, RuleMatch } from '../../rule.js';

function evaluate(event: AuditEvent, settings: AuditSettings): RuleMatch | undefined {
  const requested = requestedPods(event);
  if (requested === undefined) return undefined;
  const { spec } = requested;
  const privileged = untrusted(
    spec.containers.filter((c) => c.privileged),
    settings.trustedImages,
  );
  if (privileged.length === 0) return undefined;
  return {
    title: `Privileged ${requested.noun} ${requested.done}${requested.place} (${containerList(privileged).join(', ')})`,
    evidence: { privilegedContainers: privileged.map((c) => ({ name: c.name, image: c.image, list: c.list })) },
  };
}

export const privilegedPodCreated: AuditRule = {
  id: 'privileged-pod-created',
  title: 'A pod with a privileged container was created',
  severity: 'high',
  description:
    'A privileged container (`securityContext.privileged: true`) runs with every capability and the devices of the node, without the seccomp and AppArmor confinement: whoever controls it controls the node, and through the kubelet\'s credentials often more. Containers of init and ephemeral lists count too; images listed in `trustedImages` (node agents, CNI plugins) are not reported. A workload\'s pod template (Deployment, DaemonSet, Job, …) is judged when it is created, updated or patched, naming who wrote it; the pods its controller then creates are reported as the controller\'s. It reads only the `privileged` flag: added capabilities such as SYS_ADMIN and `allowPrivilegeEscalation` are not seen here.',
  remediation: 'Find out who asked for the pod (for a controller\'s pod: who changed the Deployment, DaemonSet or Job). Remove `privileged: true`, grant only the capabilities needed, and enforce the baseline or restricted Pod Security level on the namespace; add a legitimate node agent\'s image to trustedImages.',
  falco: ['Create Privileged Pod'],
  evaluate,
};
