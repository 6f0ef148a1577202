/**
 * Is a workload's inbound traffic *effectively* mutually authenticated (mTLS)? Per pod (and per
 * workload template when there are no pods):
 *
 * 1. Enrolment. Istio sidecar: an `istio-proxy` container (a regular container, or a native
 *    sidecar init container). Istio ambient: `istio.io/dataplane-mode=ambient` on the pod or its
 *    namespace (`none` on the pod opts out; a sidecar wins over ambient), and on a running pod the
 *    CNI's `ambient.istio.io/redirection: enabled` mark. Linkerd: a `linkerd-proxy` container.
 *    Templates (no pod yet) are judged by the injection labels and annotations the injectors read:
 *    namespace `istio-injection=enabled|disabled`, `istio.io/rev`, pod `sidecar.istio.io/inject`
 *    (label or annotation), namespace or pod annotation `linkerd.io/inject: enabled|ingress|disabled`.
 *    Pods on the host network are never injected nor captured: they bypass the mesh.
 * 2. Istio: PeerAuthentication composed as istiod's ComposePeerAuthentication does — the mesh
 *    policy (root namespace, no selector) < the namespace policy (no selector) < the workload
 *    policy (selector matching the pod's labels; ignored in the root namespace); the oldest wins
 *    within a level; UNSET inherits from the level above; no policy at all is PERMISSIVE; port-level
 *    settings come from the workload policy only, UNSET inheriting the workload's mode. In ambient
 *    mode DISABLE is not supported by ztunnel and acts as PERMISSIVE.
 * 3. Linkerd: traffic between meshed pods is always mTLS; whether plaintext is refused is the
 *    default inbound policy (`config.linkerd.io/default-inbound-policy` on the pod, else the
 *    namespace, else the install-time default, `all-unauthenticated` unless configured).
 * 4. Ports the proxy never sees are plaintext whatever the policy: Istio
 *    `traffic.sidecar.istio.io/excludeInboundPorts` and a restrictive `includeInboundPorts`, ambient
 *    `ambient.istio.io/bypass-inbound-capture`, Linkerd `config.linkerd.io/skip-inbound-ports`.
 */
import type { Inventory, MtlsMode, NamespaceInfo, PeerAuthenticationInfo, PodView } from '../../core/inventory.js';
import { podViews } from '../../core/inventory.js';
import { issue, type Issue } from '../../core/issue.js';
import { labelsKey } from '../network/selector.js';
import { inPortList, parsePortList, formatPortList } from './ports.js';

/** Every annotation the verdict reads (pods with equal values, labels and containers get equal verdicts). */
const ANNOTATIONS = [
  'sidecar.istio.io/inject',
  'ambient.istio.io/redirection',
  'ambient.istio.io/bypass-inbound-capture',
  'traffic.sidecar.istio.io/includeInboundPorts',
  'traffic.sidecar.istio.io/excludeInboundPorts',
  'linkerd.io/inject',
  'config.linkerd.io/default-inbound-policy',
  'config.linkerd.io/skip-inbound-ports',
];

export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_LINKERD_INBOUND_POLICY = 'all-unauthenticated';

/** Linkerd default inbound policies that refuse clients without a mesh identity. */
const LINKERD_AUTHENTICATED = new Set(['all-authenticated', 'cluster-authenticated', 'deny']);
const LINKERD_UNAUTHENTICATED = new Set(['all-unauthenticated', 'cluster-unauthenticated', 'audit']);

export type MeshKind = 'istio-sidecar' | 'istio-ambient' | 'linkerd' | 'none';
export type MtlsState = 'strict' | 'permissive' | 'disabled' | 'not-enrolled' | 'bypass' | 'unknown';

export interface PortException {
  port: number;
  state: 'permissive' | 'disabled' | 'bypass';
  because: string;
}

export interface MeshVerdict {
  view: PodView;
  mesh: MeshKind;
  /** How enrolment was decided: the container found, or the labels a template carries. */
  enrolment: string;
  /** The workload-level result (ports may deviate: `ports`). */
  state: MtlsState;
  /** Istio: the composed PeerAuthentication mode; Linkerd: the default inbound policy. */
  mode: string | undefined;
  /** The policies or annotations that decided, most specific first. */
  deciding: string[];
  /** Ports that accept plaintext although (or because) the workload mode says otherwise. */
  ports: PortException[];
  why: string;
}

export interface MeshOptions {
  /** Istio's meshConfig.rootNamespace; default: the namespace istiod runs in, else istio-system. */
  rootNamespace?: string | undefined;
  /** Linkerd's install-time proxy.defaultInboundPolicy; default all-unauthenticated. */
  linkerdDefaultInboundPolicy?: string | undefined;
}

export interface MeshAnalysis {
  rootNamespace: string;
  /** Some pod is enrolled in (or some object configures) a mesh: without one, every pod is plaintext. */
  meshInUse: boolean;
  /** Namespaces that run a mesh's control plane (never enrolled themselves). */
  controlPlaneNamespaces: string[];
  /** The inventory has running pods (a cluster, not only manifests): "no mesh" is then a fact about the cluster. */
  running: boolean;
  verdicts: MeshVerdict[];
  issues: Issue[];
}

/**
 * Mesh options from the checks' policy settings, when the host program provides them
 * (`meshRootNamespace`, `linkerdDefaultInboundPolicy`); absent or mistyped fields keep the defaults.
 */
export function meshOptionsFrom(policy: object | undefined): MeshOptions {
  const out: MeshOptions = {};
  if (policy !== undefined && 'meshRootNamespace' in policy && typeof policy.meshRootNamespace === 'string') out.rootNamespace = policy.meshRootNamespace;
  if (policy !== undefined && 'linkerdDefaultInboundPolicy' in policy && typeof policy.linkerdDefaultInboundPolicy === 'string') out.linkerdDefaultInboundPolicy = policy.linkerdDefaultInboundPolicy;
  return out;
}

const cache = new WeakMap<Inventory, Map<string, MeshAnalysis>>();

export function analyzeMesh(inventory: Inventory, options: MeshOptions = {}): MeshAnalysis {
  const key = `${options.rootNamespace ?? ''}\u0000${options.linkerdDefaultInboundPolicy ?? ''}`;
  let byOptions = cache.get(inventory);
  if (byOptions === undefined) {
    byOptions = new Map();
    cache.set(inventory, byOptions);
  }
  let analysis = byOptions.get(key);
  if (analysis === undefined) {
    analysis = compute(inventory, options);
    byOptions.set(key, analysis);
  }
  return analysis;
}

/**
 * A view's enrolment and the key of its shape (everything the verdict reads of the view), memoised per view by
 * the identity of what they are computed from: a long-running service analyses inventories that share most pods'
 * objects (src/scan/incremental.ts), and inventory objects are not mutated.
 */
interface Shaped {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ns: NamespaceInfo | undefined;
  namespace: string;
  running: boolean;
  hostNetwork: boolean;
  enrolment: Enrolment;
  key: string;
}
const shapedViews = new WeakMap<object, Shaped>();
/** Replicas share a shape key: kept once (bounded: emptied when it holds more keys than a large cluster has shapes). */
const shapeKeys = new Map<string, string>();
const MAX_SHAPE_KEYS = 50_000;

function shapeOf(view: PodView, ns: NamespaceInfo | undefined): Shaped {
  const was = shapedViews.get(view.containers);
  const running = view.pod !== undefined;
  if (was !== undefined && was.labels === view.labels && was.annotations === view.annotations && was.ns === ns && was.namespace === view.namespace && was.running === running && was.hostNetwork === view.hostNetwork) return was;
  const e = enrolment(view, ns);
  let key = `${view.namespace}\u0002${!running}\u0002${view.hostNetwork}\u0002${e.mesh}\u0002${e.how}\u0002${e.missing ?? ''}\u0002${e.unknown ?? ''}\u0002${labelsKey(view.labels)}\u0002${appPorts(view).join(',')}`;
  for (const a of ANNOTATIONS) key += `\u0002${view.annotations[a] ?? '\u0003'}`;
  const pooled = shapeKeys.get(key);
  if (pooled !== undefined) key = pooled;
  else {
    if (shapeKeys.size >= MAX_SHAPE_KEYS) shapeKeys.clear();
    shapeKeys.set(key, key);
  }
  const shaped: Shaped = { labels: view.labels, annotations: view.annotations, ns, namespace: view.namespace, running, hostNetwork: view.hostNetwork, enrolment: e, key };
  shapedViews.set(view.containers, shaped);
  return shaped;
}

function hasContainer(view: PodView, name: string): boolean {
  return view.containers.some((c) => c.name === name && (c.type === 'regular' || (c.type === 'init' && c.restartPolicy === 'Always')));
}

interface Enrolment {
  mesh: MeshKind;
  how: string;
  /** A running pod whose labels ask for a mesh it does not have. */
  missing?: string | undefined;
  /** A template whose namespace is not in the inventory: its injection labels are unknown. */
  unknown?: string | undefined;
}

function istioInjectionWanted(view: PodView, ns: NamespaceInfo | undefined): string | undefined {
  const podLabel = view.labels['sidecar.istio.io/inject'];
  const podAnnotation = view.annotations['sidecar.istio.io/inject'];
  if (podLabel === 'false' || podAnnotation === 'false') return undefined;
  const nsInjection = ns?.labels['istio-injection'];
  if (nsInjection === 'disabled') return undefined;
  if (nsInjection === 'enabled') return 'namespace label istio-injection=enabled';
  if (podLabel === 'true') return 'pod label sidecar.istio.io/inject=true';
  const nsRev = ns?.labels['istio.io/rev'];
  if (nsRev !== undefined) return `namespace label istio.io/rev=${nsRev}`;
  const podRev = view.labels['istio.io/rev'];
  if (podRev !== undefined) return `pod label istio.io/rev=${podRev}`;
  return undefined;
}

function ambientWanted(view: PodView, ns: NamespaceInfo | undefined): string | undefined {
  const pod = view.labels['istio.io/dataplane-mode'];
  if (pod === 'none') return undefined;
  if (pod === 'ambient') return 'pod label istio.io/dataplane-mode=ambient';
  if (ns?.labels['istio.io/dataplane-mode'] === 'ambient') return 'namespace label istio.io/dataplane-mode=ambient';
  return undefined;
}

function linkerdWanted(view: PodView, ns: NamespaceInfo | undefined): string | undefined {
  const pod = view.annotations['linkerd.io/inject'];
  if (pod === 'disabled') return undefined;
  if (pod === 'enabled' || pod === 'ingress') return `pod annotation linkerd.io/inject=${pod}`;
  const nsValue = ns?.annotations['linkerd.io/inject'];
  if (nsValue === 'enabled' || nsValue === 'ingress') return `namespace annotation linkerd.io/inject=${nsValue}`;
  return undefined;
}

function enrolment(view: PodView, ns: NamespaceInfo | undefined): Enrolment {
  const running = view.pod !== undefined;
  const istioWanted = istioInjectionWanted(view, ns);
  const ambient = ambientWanted(view, ns);
  const linkerd = linkerdWanted(view, ns);
  if (view.hostNetwork) return { mesh: 'none', how: 'hostNetwork: true (injectors skip host-network pods and no proxy can capture their traffic)' };
  if (running) {
    if (hasContainer(view, 'istio-proxy')) return { mesh: 'istio-sidecar', how: 'istio-proxy sidecar container' };
    if (hasContainer(view, 'linkerd-proxy')) return { mesh: 'linkerd', how: 'linkerd-proxy sidecar container' };
    if (ambient === undefined && view.labels['istio.io/dataplane-mode'] !== 'none' && view.annotations['ambient.istio.io/redirection'] === 'enabled') {
      return { mesh: 'istio-ambient', how: 'redirection enabled by the Istio CNI (ambient.istio.io/redirection)' };
    }
    if (ambient !== undefined) {
      if (view.annotations['ambient.istio.io/redirection'] === 'enabled') return { mesh: 'istio-ambient', how: `${ambient}, redirection enabled by the Istio CNI` };
      return { mesh: 'none', how: 'no proxy', missing: `${ambient}, but the Istio CNI has not enabled redirection for the pod (annotation ambient.istio.io/redirection): its traffic is not captured by ztunnel` };
    }
    const wanted = istioWanted ?? linkerd;
    if (wanted !== undefined) return { mesh: 'none', how: 'no proxy', missing: `${wanted}, but the pod has no ${istioWanted !== undefined ? 'istio-proxy' : 'linkerd-proxy'} container: it was created before injection was enabled or the injector skipped it; restart it` };
    return { mesh: 'none', how: 'no proxy container and no mesh label' };
  }
  if (istioWanted !== undefined) return { mesh: 'istio-sidecar', how: `${istioWanted} (template: injection expected)` };
  if (ambient !== undefined) return { mesh: 'istio-ambient', how: `${ambient} (template)` };
  if (linkerd !== undefined) return { mesh: 'linkerd', how: `${linkerd} (template: injection expected)` };
  if (ns === undefined) return { mesh: 'none', how: 'no injection label or annotation on the pod template', unknown: `namespace ${view.namespace} is not in the input, so its injection labels are unknown` };
  return { mesh: 'none', how: 'no injection label or annotation' };
}

/** Oldest first (creationTimestamp), then by name; objects without a timestamp (manifests) count as newest. */
function oldest(policies: PeerAuthenticationInfo[]): PeerAuthenticationInfo | undefined {
  let best: PeerAuthenticationInfo | undefined;
  for (const p of policies) {
    if (best === undefined) best = p;
    else {
      const a = p.createdAt ?? '\uffff';
      const b = best.createdAt ?? '\uffff';
      if (a < b || (a === b && `${p.namespace}/${p.name}` < `${best.namespace}/${best.name}`)) best = p;
    }
  }
  return best;
}

function isWorkloadPolicy(p: PeerAuthenticationInfo): boolean {
  return p.selector !== undefined && Object.keys(p.selector).length > 0;
}

interface Composition {
  mode: Exclude<MtlsMode, 'UNSET'>;
  /** Where the final workload mode came from. */
  level: 'workload' | 'namespace' | 'mesh' | 'default';
  ports: Array<{ port: number; mode: Exclude<MtlsMode, 'UNSET'>; inherited: boolean }>;
  deciding: string[];
}

function describePolicy(p: PeerAuthenticationInfo, level: string): string {
  return `PeerAuthentication ${p.namespace}/${p.name} (${level}, mode ${p.mode})`;
}

function compose(mesh: PeerAuthenticationInfo | undefined, namespace: PeerAuthenticationInfo | undefined, workload: PeerAuthenticationInfo | undefined): Composition {
  let mode: Exclude<MtlsMode, 'UNSET'> = 'PERMISSIVE';
  let level: Composition['level'] = 'default';
  const deciding: string[] = [];
  if (workload !== undefined) deciding.push(describePolicy(workload, 'workload'));
  if (namespace !== undefined) deciding.push(describePolicy(namespace, 'namespace'));
  if (mesh !== undefined) deciding.push(describePolicy(mesh, 'mesh-wide'));
  if (mesh !== undefined && mesh.mode !== 'UNSET') [mode, level] = [mesh.mode, 'mesh'];
  if (namespace !== undefined && namespace.mode !== 'UNSET') [mode, level] = [namespace.mode, 'namespace'];
  if (workload !== undefined && workload.mode !== 'UNSET') [mode, level] = [workload.mode, 'workload'];
  if (deciding.length === 0) deciding.push('no PeerAuthentication applies (Istio default: PERMISSIVE)');
  const ports = (workload?.portLevelMtls ?? []).map((p) => (p.mode === 'UNSET' ? { port: p.port, mode, inherited: true } : { port: p.port, mode: p.mode, inherited: false }));
  return { mode, level, ports, deciding };
}

function stateOf(mode: Exclude<MtlsMode, 'UNSET'>): 'strict' | 'permissive' | 'disabled' {
  return mode === 'STRICT' ? 'strict' : mode === 'PERMISSIVE' ? 'permissive' : 'disabled';
}

/** Declared ports of the application containers (not the proxies). */
function appPorts(view: PodView): number[] {
  const out = new Set<number>();
  for (const c of view.containers) {
    if (c.name === 'istio-proxy' || c.name === 'linkerd-proxy' || c.name === 'istio-init' || c.name === 'linkerd-init') continue;
    for (const p of c.ports) out.add(p.containerPort);
  }
  return [...out].sort((a, b) => a - b);
}

function compute(inventory: Inventory, options: MeshOptions): MeshAnalysis {
  const issues: Issue[] = [];
  const views = podViews(inventory);
  const namespaces = new Map(inventory.namespaces.map((n) => [n.name, n]));

  // Control planes: istiod's namespace is Istio's default root namespace.
  const istiodNamespaces = new Set<string>();
  const controlPlanes = new Set<string>();
  for (const v of views) {
    if (v.labels.app === 'istiod' || v.labels.istio === 'pilot') istiodNamespaces.add(v.namespace);
    if (v.labels.app === 'ztunnel' || v.labels['k8s-app'] === 'istio-cni-node') controlPlanes.add(v.namespace);
    const linkerdCp = v.labels['linkerd.io/control-plane-ns'];
    if (linkerdCp !== undefined && v.labels['linkerd.io/control-plane-component'] !== undefined) controlPlanes.add(linkerdCp);
  }
  for (const ns of istiodNamespaces) controlPlanes.add(ns);
  const rootNamespace = options.rootNamespace ?? (istiodNamespaces.size === 1 ? ([...istiodNamespaces][0] ?? DEFAULT_ROOT_NAMESPACE) : DEFAULT_ROOT_NAMESPACE);
  controlPlanes.add(rootNamespace);
  const linkerdDefault = options.linkerdDefaultInboundPolicy ?? DEFAULT_LINKERD_INBOUND_POLICY;

  const valid = inventory.peerAuthentications.filter((p) => p.invalid === undefined);
  const meshPolicy = oldest(valid.filter((p) => p.namespace === rootNamespace && !isWorkloadPolicy(p)));
  const byNamespace = new Map<string, { namespacePolicy: PeerAuthenticationInfo | undefined; workload: PeerAuthenticationInfo[] }>();
  for (const ns of new Set(valid.map((p) => p.namespace))) {
    if (ns === rootNamespace) continue; // workload policies in the root namespace are ignored by istiod
    const here = valid.filter((p) => p.namespace === ns);
    byNamespace.set(ns, { namespacePolicy: oldest(here.filter((p) => !isWorkloadPolicy(p))), workload: here.filter(isWorkloadPolicy) });
  }

  const shaped = views.map((v) => shapeOf(v, namespaces.get(v.namespace)));
  const enrolments = shaped.map((s) => s.enrolment);
  const meshInUse = enrolments.some((e) => e.mesh !== 'none' || e.missing !== undefined) || inventory.peerAuthentications.length > 0;
  const unknownNamespaces = [...new Set(views.filter((v, i) => enrolments[i]?.unknown !== undefined).map((v) => v.namespace))].sort();
  if (unknownNamespaces.length > 0) {
    issues.push(
      issue(
        'mesh-namespace-unknown',
        `The mesh enrolment of workload templates in namespace${unknownNamespaces.length === 1 ? '' : 's'} ${unknownNamespaces.join(', ')} is unknown: the Namespace objects (with their injection labels) are not in the input`,
        inventory.source.location,
        'Add the Namespace manifests (or "kubectl get namespace <name> -o yaml") to the input.',
      ),
    );
  }
  const usesIstio = enrolments.some((e) => e.mesh === 'istio-sidecar' || e.mesh === 'istio-ambient');
  const paComplete = inventory.coverage.complete.includes('PeerAuthentication');
  const rootCovered = inventory.coverage.namespaces === undefined || inventory.coverage.namespaces.includes(rootNamespace);
  if (usesIstio && !paComplete) {
    issues.push(
      issue(
        'mesh-policies-unknown',
        'Istio PeerAuthentications were not read, so the mTLS mode of Istio workloads is unknown',
        inventory.source.location,
        'Include them in the snapshot ("kubectl get peerauthentications.security.istio.io -A -o json") or grant list on peerauthentications.security.istio.io (deploy/clusterrole.yaml).',
      ),
    );
  } else if (usesIstio && !rootCovered) {
    issues.push(
      issue(
        'mesh-root-namespace-not-scanned',
        `The scan is limited to namespaces ${inventory.coverage.namespaces?.join(', ') ?? ''}, without the Istio root namespace ${rootNamespace}: workloads whose mTLS mode would come from a mesh-wide PeerAuthentication are reported as unknown`,
        inventory.source.location,
        `Add --namespace ${rootNamespace} to the scan.`,
      ),
    );
  }

  // Replicas share labels, annotations and containers: judge each distinct pod shape once.
  const shapes = new Map<string, Omit<MeshVerdict, 'view'>>();
  const verdicts: MeshVerdict[] = views.map((view, i) => {
    const e = enrolments[i] ?? { mesh: 'none', how: '' };
    const key = shaped[i]?.key ?? '';
    let shape = shapes.get(key);
    if (shape === undefined) {
      const { view: _view, ...rest } = judge(view, e);
      shape = rest;
      shapes.set(key, shape);
    }
    return { view, ...shape };
  });

  const running = views.some((v) => v.pod !== undefined);
  return { rootNamespace, meshInUse, controlPlaneNamespaces: [...controlPlanes].sort(), running, verdicts, issues };

  function judge(view: PodView, e: Enrolment): MeshVerdict {
    const base = { view, mesh: e.mesh, enrolment: e.how };
    if (view.hostNetwork) {
      return { ...base, state: 'bypass', mode: undefined, deciding: [], ports: [], why: 'the pod uses the node\u2019s network (hostNetwork: true): no sidecar is injected and no proxy captures its traffic' };
    }
    if (e.unknown !== undefined) return { ...base, state: 'unknown', mode: undefined, deciding: [], ports: [], why: e.unknown };
    if (e.mesh === 'none') {
      return { ...base, state: 'not-enrolled', mode: undefined, deciding: [], ports: [], why: e.missing ?? `not in the mesh: ${e.how}` };
    }
    if (e.mesh === 'linkerd') return linkerdVerdict(base, view, namespaces.get(view.namespace), linkerdDefault);
    if (!paComplete) return { ...base, state: 'unknown', mode: undefined, deciding: [], ports: [], why: 'PeerAuthentications were not read' };
    const here = byNamespace.get(view.namespace);
    const workloadPolicy = here === undefined ? undefined : oldest(here.workload.filter((p) => Object.entries(p.selector ?? {}).every(([k, v]) => view.labels[k] === v)));
    const c = compose(meshPolicy, here?.namespacePolicy, workloadPolicy);
    if (!rootCovered && (c.level === 'default' || c.level === 'mesh')) {
      return { ...base, state: 'unknown', mode: undefined, deciding: c.deciding, ports: [], why: `the mode would come from the mesh-wide policy in ${rootNamespace}, which was not scanned` };
    }
    const ambient = e.mesh === 'istio-ambient';
    // ztunnel does not support DISABLE: it acts as PERMISSIVE.
    const effective = (m: Exclude<MtlsMode, 'UNSET'>): Exclude<MtlsMode, 'UNSET'> => (ambient && m === 'DISABLE' ? 'PERMISSIVE' : m);
    const mode = effective(c.mode);
    const ports: PortException[] = [];
    for (const p of c.ports) {
      const m = effective(p.mode);
      if (m === mode || m === 'STRICT') continue;
      ports.push({ port: p.port, state: stateOf(m) as 'permissive' | 'disabled', because: `${workloadPolicy === undefined ? 'portLevelMtls' : `PeerAuthentication ${workloadPolicy.namespace}/${workloadPolicy.name}`} sets port ${p.port} to ${p.mode}${p.inherited ? ' (inherited)' : ''}` });
    }
    ports.push(...istioBypass(view, ambient));
    const state = stateOf(mode);
    const source = c.level === 'default' ? 'no PeerAuthentication (Istio default PERMISSIVE)' : `${c.level === 'mesh' ? 'mesh-wide' : c.level} PeerAuthentication`;
    return { ...base, state, mode, deciding: c.deciding, ports, why: `${ambient ? 'ambient (ztunnel)' : 'sidecar'} mode ${mode} from ${source}${ambient && c.mode === 'DISABLE' ? ' (DISABLE is not supported by ztunnel and acts as PERMISSIVE)' : ''}` };
  }
}

function istioBypass(view: PodView, ambient: boolean): PortException[] {
  const out: PortException[] = [];
  const declared = appPorts(view);
  if (ambient) {
    if (view.annotations['ambient.istio.io/bypass-inbound-capture'] === 'true') {
      for (const port of declared) out.push({ port, state: 'bypass', because: 'annotation ambient.istio.io/bypass-inbound-capture=true: inbound traffic is not captured' });
    }
    return out;
  }
  const include = view.annotations['traffic.sidecar.istio.io/includeInboundPorts'];
  if (include !== undefined) {
    const list = parsePortList(include);
    for (const port of declared) if (!inPortList(list, port)) out.push({ port, state: 'bypass', because: `annotation traffic.sidecar.istio.io/includeInboundPorts="${include}" does not include it: the sidecar never sees it` });
  }
  const exclude = view.annotations['traffic.sidecar.istio.io/excludeInboundPorts'];
  if (exclude !== undefined) {
    const list = parsePortList(exclude);
    for (const [from, to] of list.ranges) {
      for (let port = from; port <= to && port - from < 100; port++) {
        if (!out.some((p) => p.port === port)) out.push({ port, state: 'bypass', because: `annotation traffic.sidecar.istio.io/excludeInboundPorts="${formatPortList(list)}": the sidecar never sees it` });
      }
    }
  }
  return out.sort((a, b) => a.port - b.port);
}

function linkerdVerdict(base: { view: PodView; mesh: MeshKind; enrolment: string }, view: PodView, ns: NamespaceInfo | undefined, clusterDefault: string): MeshVerdict {
  const pod = view.annotations['config.linkerd.io/default-inbound-policy'];
  const nsValue = ns?.annotations['config.linkerd.io/default-inbound-policy'];
  const policy = pod ?? nsValue ?? clusterDefault;
  const decidedBy =
    pod !== undefined
      ? `pod annotation config.linkerd.io/default-inbound-policy=${pod}`
      : nsValue !== undefined
        ? `namespace annotation config.linkerd.io/default-inbound-policy=${nsValue}`
        : `Linkerd's cluster-wide default inbound policy (${clusterDefault})`;
  const ports: PortException[] = [];
  const skip = view.annotations['config.linkerd.io/skip-inbound-ports'];
  if (skip !== undefined) {
    const list = parsePortList(skip);
    for (const [from, to] of list.ranges) {
      for (let port = from; port <= to && port - from < 100; port++) ports.push({ port, state: 'bypass', because: `annotation config.linkerd.io/skip-inbound-ports="${formatPortList(list)}": the proxy never sees it` });
    }
  }
  if (LINKERD_AUTHENTICATED.has(policy)) {
    return { ...base, state: 'strict', mode: policy, deciding: [decidedBy], ports, why: `meshed by Linkerd; inbound policy ${policy} refuses clients without a mesh identity` };
  }
  if (LINKERD_UNAUTHENTICATED.has(policy)) {
    return { ...base, state: 'permissive', mode: policy, deciding: [decidedBy], ports, why: `meshed by Linkerd: traffic from meshed pods is mTLS, but inbound policy ${policy} also accepts plaintext from unmeshed clients` };
  }
  return { ...base, state: 'unknown', mode: policy, deciding: [decidedBy], ports, why: `unknown Linkerd inbound policy "${policy}" (expected all-authenticated, cluster-authenticated, deny, all-unauthenticated, cluster-unauthenticated or audit)` };
}
