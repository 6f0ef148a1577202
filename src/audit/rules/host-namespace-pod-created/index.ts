import type { AuditEvent } from '../../event.js';
import { capitalised, containerList, requestedPods, untrusted } from '../../pods.js';
import type { AuditRule, AuditSettings, RuleMatch } from '../../rule.js';

type HostNamespace = 'network' | 'pid' | 'ipc';

const LABEL: Record<HostNamespace, string> = { network: 'network', pid: 'PID', ipc: 'IPC' };

function evaluate(event: AuditEvent, settings: AuditSettings): RuleMatch | undefined {
  const requested = requestedPods(event);
  if (requested === undefined) return undefined;
  const { spec } = requested;
  const shared: HostNamespace[] = [];
  if (spec.hostNetwork) shared.push('network');
  if (spec.hostPID) shared.push('pid');
  if (spec.hostIPC) shared.push('ipc');
  if (shared.length === 0) return undefined;
  const untrustedContainers = untrusted(spec.containers, settings.trustedImages);
  if (untrustedContainers.length === 0) return undefined;
  const names = shared.map((n) => LABEL[n]);
  const joined = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return {
    title: `${capitalised(requested.noun)} using the node's ${joined} namespace${names.length === 1 ? '' : 's'} ${requested.done}${requested.place} (${containerList(untrustedContainers).join(', ')})`,
    evidence: { hostNamespaces: shared, untrustedContainers: untrustedContainers.map((c) => ({ name: c.name, image: c.image, list: c.list })) },
  };
}

export const hostNamespacePodCreated: AuditRule = {
  id: 'host-namespace-pod-created',
  title: 'A pod sharing the node\'s network, PID or IPC namespace was created',
  severity: 'high',
  description:
    'A pod with `hostNetwork`, `hostPID` or `hostIPC` leaves the isolation of its own namespaces: on the host network it reaches services bound to the node\'s loopback (the kubelet, the cloud metadata endpoint without hop limits) and sniffs traffic; with host PID it sees, signals and (with ptrace) enters every process on the node; with host IPC it reads other processes\' shared memory. One detection per pod names every shared namespace. A pod whose containers all come from `trustedImages` (CNI plugins, kube-proxy, node exporters) is not reported; host ports without hostNetwork are left out.',
  remediation: 'Find out who asked for the pod (for a controller\'s pod: who changed its template) and remove hostNetwork/hostPID/hostIPC unless it is a node agent that needs them; enforce the baseline Pod Security level on the namespace, and add a legitimate node agent\'s image to trustedImages.',
  falco: ['Create HostNetwork Pod', 'Create HostPid Pod', 'Create HostIPC Pod'],
  evaluate,
};
