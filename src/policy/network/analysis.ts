/**
 * NetworkPolicy semantics (networking.k8s.io/v1), evaluated for every pod and every workload
 * template of the inventory:
 *
 * - A pod is isolated for ingress (egress) when at least one policy of its namespace selects it
 *   (`spec.podSelector`) and has Ingress (Egress) among its policyTypes (after API defaulting).
 * - What an isolated pod admits is the union of the rules of all those policies; a rule admits a
 *   peer on a port when one of its peers matches (no peers = everything) and one of its ports
 *   matches (no ports = every port). Policies never deny: they only add.
 * - A peer with podSelector alone means pods of the policy's namespace; namespaceSelector alone,
 *   every pod of the selected namespaces; both in one peer, the selected pods of the selected
 *   namespaces (AND); in two peers, either (OR). ipBlock admits addresses in `cidr` outside `except`.
 * - Pods on the host network (`hostNetwork: true`) are not isolated by NetworkPolicy in a way the
 *   API defines (the docs leave it to the plugin): they count as not isolated.
 *
 * Policy selection is indexed by namespace and by one `key=value` each selector requires, and
 * cached per distinct label set, so 30,000 pods with 2,000 policies cost a few selector tests per
 * pod, not pods × policies.
 */
import type { Inventory, NetworkPolicyInfo, NetworkPolicyPeer, NetworkPolicyPort, PodView, PolicyType, Protocol } from '../../core/inventory.js';
import { podViews } from '../../core/inventory.js';
import { issue, type Issue } from '../../core/issue.js';
import { compileIpBlock, type CompiledIpBlock } from './cidr.js';
import { admitsSomething, describePort, onlyDns, portsMatch, type DeclaredPorts } from './ports.js';
import { compileSelector, labelsKey, type CompiledSelector } from './selector.js';

export type Direction = 'ingress' | 'egress';

/**
 * How far a direction is open. `anywhere`: any address, inside or outside the cluster (not
 * isolated, a rule without peers, or an ipBlock of /0). `cluster`: every pod of every namespace.
 * `restricted`: only the peers the rules name. `none`: isolated with no rule (deny all).
 */
export type Reach = 'anywhere' | 'cluster' | 'restricted' | 'none';
const REACH_RANK: Record<Reach, number> = { anywhere: 3, cluster: 2, restricted: 1, none: 0 };

interface CompiledPeer {
  pod: CompiledSelector | undefined;
  namespace: CompiledSelector | undefined;
  ip: CompiledIpBlock | undefined;
  reach: Reach;
  text: string;
}

export interface CompiledRule {
  policy: NetworkPolicyInfo;
  direction: Direction;
  index: number;
  peers: CompiledPeer[];
  ports: NetworkPolicyPort[];
  reach: Reach;
  /** `shop/allow-web ingress[0]` */
  label: string;
}

interface CompiledPolicy {
  info: NetworkPolicyInfo;
  ordinal: number;
  selector: CompiledSelector;
  ingress: CompiledRule[] | undefined;
  egress: CompiledRule[] | undefined;
}

/** One way a direction is open at a reach level: the rule and the ports it opens there. */
export interface Opening {
  reach: 'anywhere' | 'cluster';
  /** `shop/allow-web ingress[0]`, or why there is no rule (not isolated, hostNetwork). */
  rule: string;
  /** Peers at that reach, as written (`ipBlock 0.0.0.0/0 except 169.254.169.254/32`, `every source`). */
  peers: string[];
  /** Undefined = every port. */
  ports: string[] | undefined;
}

export interface DirectionVerdict {
  direction: Direction;
  isolated: boolean;
  hostNetwork: boolean;
  /** `namespace/name` of the policies that select the pod with this policy type. */
  policies: string[];
  /** Every rule that admits traffic in this direction (their union is what is allowed). */
  rules: CompiledRule[];
  reach: Reach;
  /** The openings at the widest reach (anywhere or cluster); empty when restricted or none. */
  openings: Opening[];
  /** Widest reach open on every port (a rule without ports, or not isolated). */
  allPorts: boolean;
  /** Egress: every opening to anywhere is DNS only (port 53). */
  dnsOnly: boolean;
  /** One sentence: why the pod is (not) isolated. */
  why: string;
}

export interface PodNetworkVerdict {
  view: PodView;
  /** Set when a policy of the namespace cannot be evaluated: the verdicts are then not trustworthy. */
  unknown: string | undefined;
  ingress: DirectionVerdict;
  egress: DirectionVerdict;
}

export interface NamespaceNetworkSummary {
  name: string;
  policies: string[];
  /** A policy selecting every pod (`podSelector: {}`) with this type and no allow-all rule: present and future pods are isolated. */
  defaultDeny: Record<Direction, { policy: string; denyAll: boolean } | undefined>;
  /** Pod views (pods and templates) in the namespace, and those not isolated per direction. */
  views: number;
  notIsolated: Record<Direction, number>;
  unknown: string | undefined;
}

export interface NetworkAnalysis {
  /** False when NetworkPolicies were not read: nothing can be said about isolation. */
  available: boolean;
  issues: Issue[];
  verdicts: PodNetworkVerdict[];
  namespaces: NamespaceNetworkSummary[];
  /**
   * Whether a connection from one endpoint to another is allowed on a port: the egress rules of
   * the source and the ingress rules of the destination must both admit it. `unknown` when a
   * namespace selector needs labels of a namespace that is not in the inventory, or a policy is invalid.
   */
  allows(from: Endpoint, to: Endpoint, port: number, protocol?: Protocol): 'allowed' | 'denied' | 'unknown';
}

/** A pod view of the inventory, or an address outside the cluster. */
export type Endpoint = PodView | { ip: string };

const NAME_LABEL = 'kubernetes.io/metadata.name';

class NamespaceIndex {
  readonly policies: CompiledPolicy[] = [];
  readonly invalid: NetworkPolicyInfo[] = [];
  private readonly byAnchor = new Map<string, CompiledPolicy[]>();
  private readonly unanchored: CompiledPolicy[] = [];
  private readonly cache = new Map<string, CompiledPolicy[]>();

  add(policy: CompiledPolicy): void {
    this.policies.push(policy);
    const anchor = policy.selector.anchor;
    if (anchor === undefined) this.unanchored.push(policy);
    else {
      const list = this.byAnchor.get(anchor);
      if (list === undefined) this.byAnchor.set(anchor, [policy]);
      else list.push(policy);
    }
  }

  /** Policies whose podSelector matches the labels, in inventory order. */
  select(labels: Readonly<Record<string, string>>): CompiledPolicy[] {
    const key = labelsKey(labels);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const candidates = new Set<CompiledPolicy>(this.unanchored);
    for (const [k, v] of Object.entries(labels)) for (const p of this.byAnchor.get(`${k}=${v}`) ?? []) candidates.add(p);
    const out = [...candidates].filter((p) => p.selector.matches(labels)).sort((a, b) => a.ordinal - b.ordinal);
    this.cache.set(key, out);
    return out;
  }
}

function compilePeer(peer: NetworkPolicyPeer): CompiledPeer {
  if (peer.ipBlock !== undefined) {
    const ip = compileIpBlock(peer.ipBlock.cidr, peer.ipBlock.except);
    const text = `ipBlock ${peer.ipBlock.cidr}${peer.ipBlock.except.length > 0 ? ` except ${peer.ipBlock.except.join(', ')}` : ''}`;
    return { pod: undefined, namespace: undefined, ip, reach: ip?.anywhere === true ? 'anywhere' : 'restricted', text };
  }
  const pod = peer.podSelector === undefined ? undefined : compileSelector(peer.podSelector);
  const namespace = peer.namespaceSelector === undefined ? undefined : compileSelector(peer.namespaceSelector);
  const everyNamespace = namespace?.empty === true;
  const everyPod = pod === undefined || pod.empty;
  const parts: string[] = [];
  if (namespace !== undefined) parts.push(`namespaceSelector ${namespace.text}`);
  if (pod !== undefined) parts.push(`podSelector ${pod.text}`);
  return { pod, namespace, ip: undefined, reach: everyNamespace && everyPod ? 'cluster' : 'restricted', text: parts.join(' + ') };
}

function compilePolicy(info: NetworkPolicyInfo, ordinal: number): CompiledPolicy {
  const rules = (direction: Direction): CompiledRule[] =>
    (direction === 'ingress' ? info.ingress : info.egress).map((rule, index) => {
      const peers = rule.peers.map(compilePeer);
      const reach: Reach = peers.length === 0 ? 'anywhere' : peers.reduce<Reach>((max, p) => (REACH_RANK[p.reach] > REACH_RANK[max] ? p.reach : max), 'restricted');
      return { policy: info, direction, index, peers, ports: rule.ports, reach, label: `${info.namespace}/${info.name} ${direction}[${index}]` };
    });
  const has = (t: PolicyType): boolean => info.policyTypes.includes(t);
  return { info, ordinal, selector: compileSelector(info.podSelector), ingress: has('Ingress') ? rules('ingress') : undefined, egress: has('Egress') ? rules('egress') : undefined };
}

function declaredPorts(view: PodView): DeclaredPorts {
  return view.containers.flatMap((c) => c.ports);
}

function directionVerdict(view: PodView, direction: Direction, selected: CompiledPolicy[]): DirectionVerdict {
  const noun = direction === 'ingress' ? 'ingress' : 'egress';
  if (view.hostNetwork) {
    return {
      direction,
      isolated: false,
      hostNetwork: true,
      policies: [],
      rules: [],
      reach: 'anywhere',
      openings: [{ reach: 'anywhere', rule: 'hostNetwork', peers: ['every source and destination the node can reach'], ports: undefined }],
      allPorts: true,
      dnsOnly: false,
      why: `the pod uses the node's network (hostNetwork: true), which NetworkPolicies do not isolate`,
    };
  }
  const applying = selected.filter((p) => (direction === 'ingress' ? p.ingress : p.egress) !== undefined);
  const policies = applying.map((p) => `${p.info.namespace}/${p.info.name}`);
  if (applying.length === 0) {
    const inNamespace = selected.length === 0 ? `no NetworkPolicy in namespace ${view.namespace} selects the pod` : `the policies that select it (${selected.map((p) => p.info.name).join(', ')}) do not have policyType ${direction === 'ingress' ? 'Ingress' : 'Egress'}`;
    return {
      direction,
      isolated: false,
      hostNetwork: false,
      policies,
      rules: [],
      reach: 'anywhere',
      openings: [{ reach: 'anywhere', rule: 'not isolated', peers: ['every source'], ports: undefined }],
      allPorts: true,
      dnsOnly: false,
      why: `not isolated for ${noun}: ${inNamespace}`,
    };
  }
  const rules = applying.flatMap((p) => (direction === 'ingress' ? p.ingress : p.egress) ?? []);
  const declared = direction === 'ingress' ? declaredPorts(view) : undefined;
  // A rule whose only ports are names the pod does not declare admits nothing here (ingress).
  const effective = declared === undefined ? rules : rules.filter((r) => admitsSomething(r.ports, declared));
  const reach = effective.reduce<Reach>((max, r) => (REACH_RANK[r.reach] > REACH_RANK[max] ? r.reach : max), effective.length === 0 ? 'none' : 'restricted');
  const openings: Opening[] = [];
  let allPorts = false;
  if (reach === 'anywhere' || reach === 'cluster') {
    for (const rule of effective) {
      if (rule.reach !== reach) continue;
      const peers = rule.peers.length === 0 ? [direction === 'ingress' ? 'every source (no "from")' : 'every destination (no "to")'] : rule.peers.filter((p) => p.reach === reach).map((p) => p.text);
      const ports = rule.ports.length === 0 ? undefined : rule.ports.map((p) => describePort(p, declared));
      if (ports === undefined) allPorts = true;
      openings.push({ reach, rule: rule.label, peers, ports });
    }
  }
  const dnsOnly = direction === 'egress' && reach === 'anywhere' && !allPorts && effective.filter((r) => r.reach === 'anywhere').every((r) => onlyDns(r.ports));
  const names = policies.join(', ');
  const why =
    reach === 'none'
      ? `isolated for ${noun} by ${names}, with no rule that admits traffic`
      : reach === 'restricted'
        ? `isolated for ${noun} by ${names}; only the peers the rules name are admitted`
        : `isolated for ${noun} by ${names}, but ${openings.map((o) => o.rule).join(', ')} admit${openings.length === 1 ? 's' : ''} ${reach === 'anywhere' ? 'any address' : 'every pod of every namespace'}`;
  return { direction, isolated: true, hostNetwork: false, policies, rules, reach, openings, allPorts, dnsOnly, why };
}

function isEmptySelector(info: NetworkPolicyInfo): boolean {
  return Object.keys(info.podSelector.matchLabels).length === 0 && info.podSelector.matchExpressions.length === 0;
}

const cache = new WeakMap<Inventory, NetworkAnalysis>();

/** The network analysis of an inventory (computed once per inventory, shared by the network checks). */
export function analyzeNetwork(inventory: Inventory): NetworkAnalysis {
  let analysis = cache.get(inventory);
  if (analysis === undefined) {
    analysis = compute(inventory);
    cache.set(inventory, analysis);
  }
  return analysis;
}

function compute(inventory: Inventory): NetworkAnalysis {
  const issues: Issue[] = [];
  const available = inventory.coverage.complete.includes('NetworkPolicy');
  if (!available) {
    // Running pods: a cluster read (or snapshot) missed them. Templates only: a manifest check given no policies.
    const cluster = inventory.pods.length > 0;
    issues.push(
      issue(
        'network-policies-unknown',
        cluster ? 'NetworkPolicies were not read, so pod isolation cannot be evaluated: the network-* checks are skipped' : 'No NetworkPolicies among the manifests, so pod isolation cannot be evaluated: the network-* checks are skipped',
        inventory.source.location,
        cluster
          ? 'Include NetworkPolicies in the snapshot ("kubectl get networkpolicies -A -o json") or grant list on networkpolicies.networking.k8s.io (deploy/clusterrole.yaml).'
          : 'Check the NetworkPolicy manifests of these namespaces together with the workloads (or "kubectl get networkpolicies -n <namespace> -o yaml" of the cluster they go to).',
      ),
    );
  }
  const indexes = new Map<string, NamespaceIndex>();
  const indexOf = (ns: string): NamespaceIndex => {
    let index = indexes.get(ns);
    if (index === undefined) {
      index = new NamespaceIndex();
      indexes.set(ns, index);
    }
    return index;
  };
  inventory.networkPolicies.forEach((info, ordinal) => {
    const index = indexOf(info.namespace);
    if (info.invalid !== undefined) index.invalid.push(info);
    else index.add(compilePolicy(info, ordinal));
  });

  const namespaceLabels = new Map(inventory.namespaces.map((n) => [n.name, n.labels]));
  const views = available ? podViews(inventory) : [];
  const verdicts: PodNetworkVerdict[] = [];
  const verdictCache = new Map<string, { ingress: DirectionVerdict; egress: DirectionVerdict }>();
  for (const view of views) {
    const index = indexes.get(view.namespace);
    const invalid = index?.invalid ?? [];
    const unknown = invalid.length > 0 ? `NetworkPolicy ${invalid.map((p) => `${p.namespace}/${p.name}`).join(', ')} cannot be evaluated (${invalid[0]?.invalid ?? ''})` : undefined;
    // Pods with the same labels, ports and host networking get the same verdict.
    let key = `${view.namespace}\u0002${labelsKey(view.labels)}\u0002${view.hostNetwork}\u0002`;
    for (const c of view.containers) for (const p of c.ports) key += `${p.name ?? ''}/${p.containerPort}/${p.protocol},`;
    let pair = verdictCache.get(key);
    if (pair === undefined) {
      const selected = index?.select(view.labels) ?? [];
      pair = { ingress: directionVerdict(view, 'ingress', selected), egress: directionVerdict(view, 'egress', selected) };
      verdictCache.set(key, pair);
    }
    verdicts.push({ view, unknown, ...pair });
  }

  const summaries = new Map<string, NamespaceNetworkSummary>();
  const summaryOf = (name: string): NamespaceNetworkSummary => {
    let s = summaries.get(name);
    if (s === undefined) {
      const index = indexes.get(name);
      const policies = [...(index?.policies.map((p) => p.info) ?? []), ...(index?.invalid ?? [])].sort((a, b) => a.name.localeCompare(b.name));
      const defaultDeny = (direction: Direction): NamespaceNetworkSummary['defaultDeny'][Direction] => {
        for (const p of index?.policies ?? []) {
          const rules = direction === 'ingress' ? p.ingress : p.egress;
          if (rules === undefined || !isEmptySelector(p.info)) continue;
          if (rules.some((r) => r.peers.length === 0 && r.ports.length === 0)) continue; // allow-all, not a deny
          return { policy: `${p.info.namespace}/${p.info.name}`, denyAll: rules.length === 0 };
        }
        return undefined;
      };
      const invalid = index?.invalid ?? [];
      s = {
        name,
        policies: policies.map((p) => p.name),
        defaultDeny: { ingress: defaultDeny('ingress'), egress: defaultDeny('egress') },
        views: 0,
        notIsolated: { ingress: 0, egress: 0 },
        unknown: invalid.length > 0 ? `NetworkPolicy ${invalid.map((p) => `${p.namespace}/${p.name}`).join(', ')} cannot be evaluated` : undefined,
      };
      summaries.set(name, s);
    }
    return s;
  };
  if (available) {
    for (const n of inventory.namespaces) summaryOf(n.name);
    for (const v of verdicts) {
      const s = summaryOf(v.view.namespace);
      s.views++;
      if (!v.ingress.isolated) s.notIsolated.ingress++;
      if (!v.egress.isolated) s.notIsolated.egress++;
    }
  }

  const selectedFor = (view: PodView): CompiledPolicy[] => indexes.get(view.namespace)?.select(view.labels) ?? [];
  const allows: NetworkAnalysis['allows'] = (from, to, port, protocol = 'TCP') => {
    if (!available) return 'unknown';
    const sides: Array<[PodView, Direction, Endpoint]> = [];
    if (!('ip' in from)) sides.push([from, 'egress', to]);
    if (!('ip' in to)) sides.push([to, 'ingress', from]);
    let unknown = false;
    for (const [self, direction, other] of sides) {
      if ((indexes.get(self.namespace)?.invalid.length ?? 0) > 0) return 'unknown';
      const verdict = directionVerdict(self, direction, selectedFor(self));
      if (!verdict.isolated) continue;
      // Named ports resolve on the pod that receives the traffic.
      const receiver = direction === 'ingress' ? self : 'ip' in other ? undefined : other;
      const declared = receiver === undefined ? undefined : declaredPorts(receiver);
      let admitted: boolean | undefined = false;
      for (const rule of verdict.rules) {
        if (!portsMatch(rule.ports, port, protocol, declared)) continue;
        const match = rule.peers.length === 0 ? true : anyPeer(rule, other, namespaceLabels);
        if (match === true) {
          admitted = true;
          break;
        }
        if (match === undefined) admitted = undefined;
      }
      if (admitted === false) return 'denied';
      if (admitted === undefined) unknown = true;
    }
    return unknown ? 'unknown' : 'allowed';
  };

  return { available, issues, verdicts, namespaces: [...summaries.values()].sort((a, b) => a.name.localeCompare(b.name)), allows };
}

/** Does a peer of the rule match the endpoint? undefined when a namespace's labels are unknown. */
function anyPeer(rule: CompiledRule, other: Endpoint, namespaceLabels: Map<string, Record<string, string>>): boolean | undefined {
  let unknown = false;
  for (const peer of rule.peers) {
    let match: boolean | undefined;
    if ('ip' in other) {
      match = peer.ip?.contains(other.ip) ?? false;
    } else if (peer.ip !== undefined) {
      // ipBlock peers match pods by their IP addresses (when the pod has one).
      match = other.podIPs.some((ip) => peer.ip?.contains(ip) === true);
    } else {
      const podOk = peer.pod === undefined || peer.pod.matches(other.labels);
      let nsOk: boolean | undefined;
      if (peer.namespace === undefined) nsOk = other.namespace === rule.policy.namespace;
      else if (peer.namespace.empty) nsOk = true;
      else {
        const labels = namespaceLabels.get(other.namespace);
        if (labels !== undefined) nsOk = peer.namespace.matches({ ...labels, [NAME_LABEL]: other.namespace });
        else {
          // Only the label the API server sets on every namespace is known for one not in the inventory.
          nsOk = peer.namespace.keys.every((k) => k === NAME_LABEL) ? peer.namespace.matches({ [NAME_LABEL]: other.namespace }) : undefined;
        }
      }
      match = podOk && nsOk === true ? true : !podOk || nsOk === false ? false : undefined;
    }
    if (match === true) return true;
    if (match === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}
