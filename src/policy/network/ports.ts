/**
 * NetworkPolicy ports (networking/v1 NetworkPolicyPort): a rule without ports admits every port;
 * a port without a number admits every port of its protocol (TCP by default); `endPort` makes a
 * range; a named port means the container port of that name and protocol on the pod that receives
 * the traffic (the policy's own pod for ingress, the destination pod for egress) and matches
 * nothing on a pod that does not declare it.
 */
import type { ContainerPort, NetworkPolicyPort, Protocol } from '../../core/inventory.js';

/** A port of a pod as the analysis sees it: what it declares (for names) and nothing else. */
export type DeclaredPorts = ReadonlyArray<Pick<ContainerPort, 'name' | 'containerPort' | 'protocol'>>;

/** The numbers a NetworkPolicyPort's name resolves to on a pod (several containers may declare it). */
export function resolveNamedPort(name: string, protocol: Protocol, declared: DeclaredPorts): number[] {
  const out: number[] = [];
  for (const p of declared) if (p.name === name && p.protocol === protocol && !out.includes(p.containerPort)) out.push(p.containerPort);
  return out;
}

/** Does traffic to `port`/`protocol` on a pod declaring `declared` match one of `ports` (empty = all)? */
export function portsMatch(ports: readonly NetworkPolicyPort[], port: number, protocol: Protocol, declared: DeclaredPorts | undefined): boolean {
  if (ports.length === 0) return true;
  return ports.some((p) => {
    if (p.protocol !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') return port >= p.port && port <= (p.endPort ?? p.port);
    // Named ports need the receiving pod's declarations; an IP address outside the cluster has none.
    return declared !== undefined && resolveNamedPort(p.port, protocol, declared).includes(port);
  });
}

/**
 * `TCP 8080`, `TCP 8000-8100`, `UDP (every port)`, `TCP http (8080)`, `TCP metrics (not declared
 * by the pod: admits nothing)`. With `declared` undefined (egress), names stay unresolved.
 */
export function describePort(p: NetworkPolicyPort, declared: DeclaredPorts | undefined): string {
  if (p.port === undefined) return `${p.protocol} (every port)`;
  if (typeof p.port === 'number') return p.endPort === undefined || p.endPort === p.port ? `${p.protocol} ${p.port}` : `${p.protocol} ${p.port}-${p.endPort}`;
  if (declared === undefined) return `${p.protocol} port named "${p.port}" on the destination pod`;
  const numbers = resolveNamedPort(p.port, p.protocol, declared);
  return numbers.length === 0 ? `${p.protocol} ${p.port} (not declared by the pod: admits nothing)` : `${p.protocol} ${p.port} (${numbers.join(', ')})`;
}

/** True when every port is DNS (53, or the port names CoreDNS uses): the usual "allow DNS" egress rule. */
export function onlyDns(ports: readonly NetworkPolicyPort[]): boolean {
  return ports.length > 0 && ports.every((p) => (typeof p.port === 'number' && p.port === 53 && (p.endPort === undefined || p.endPort === 53)) || p.port === 'dns' || p.port === 'dns-tcp');
}

/** For ingress: does any of `ports` admit a port the pod actually declares (or every port)? */
export function admitsSomething(ports: readonly NetworkPolicyPort[], declared: DeclaredPorts): boolean {
  if (ports.length === 0) return true;
  return ports.some((p) => typeof p.port !== 'string' || resolveNamedPort(p.port, p.protocol, declared).length > 0);
}
