/**
 * Parses the specs of the objects checks evaluate by their semantics — NetworkPolicies, RBAC roles
 * and bindings, Istio PeerAuthentications, pod templates, container ports — into the model of
 * core/inventory.ts. Pure: every function returns the model plus issues naming the object and the
 * field. An object whose spec breaks a rule the API server enforces is kept with `invalid` set, so a
 * check can say "cannot evaluate" instead of treating it as absent.
 */
import { isIP } from 'node:net';
import type { z } from 'zod';
import type {
  ContainerPort as ContainerPortInfo,
  ContainerType,
  LabelSelector as LabelSelectorInfo,
  MtlsMode,
  NetworkPolicyInfo,
  NetworkPolicyPeer as PeerInfo,
  NetworkPolicyPort,
  NetworkPolicyRule,
  PeerAuthenticationInfo,
  PodTemplateInfo,
  PolicyRule as PolicyRuleInfo,
  PolicyType,
  RbacSubject,
  RoleBindingInfo,
  RoleInfo,
} from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import { identityCheck } from './identity.js';
import {
  ContainerPort,
  NetworkPolicySpec,
  PeerAuthenticationSpec,
  PodTemplate,
  RoleBindingSpec,
  RoleSpec,
  type GenericObject,
  type LabelSelector,
  type NetworkPolicyPeer,
  type PeerAuthentication,
  type RbacObject,
} from './schema.js';

const isContainerPort = identityCheck(ContainerPort);
const isPodTemplate = identityCheck(PodTemplate);

/** `spec.ingress[0].from[1]`: a zod path in the spelling of `kubectl explain`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function firstProblem(error: z.ZodError, prefix: string): string {
  const first = error.issues[0];
  const path = fieldPath([...(prefix === '' ? [] : [prefix]), ...(first?.path ?? [])]);
  return `${path === '' ? '' : `${path}: `}${first?.message ?? 'does not match the schema'}`;
}

function describe(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} ${namespace === undefined ? '' : `${namespace}/`}${name}`;
}

// ---------------------------------------------------------------------------------------------
// Label selectors

export function labelSelector(value: z.infer<typeof LabelSelector> | null | undefined): LabelSelectorInfo {
  return {
    matchLabels: value?.matchLabels ?? {},
    matchExpressions: (value?.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: e.values ?? [] })),
  };
}

/** metav1 validation: In/NotIn need values, Exists/DoesNotExist take none. */
function selectorProblem(selector: LabelSelectorInfo, at: string): string | undefined {
  for (const [i, e] of selector.matchExpressions.entries()) {
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (needsValues && e.values.length === 0) return `${at}.matchExpressions[${i}]: operator ${e.operator} needs at least one value`;
    if (!needsValues && e.values.length > 0) return `${at}.matchExpressions[${i}]: operator ${e.operator} takes no values`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicy

/** `10.0.0.0/8` → [address, prefix, family] when valid, as the API server's ValidateCIDR accepts it. */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const slash = cidr.indexOf('/');
  if (slash < 0) return undefined;
  const address = cidr.slice(0, slash);
  const prefixText = cidr.slice(slash + 1);
  const family = isIP(address);
  if ((family !== 4 && family !== 6) || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family };
}

function peer(value: NetworkPolicyPeer, at: string): PeerInfo | string {
  const set = [value.podSelector, value.namespaceSelector, value.ipBlock].filter((v) => v !== undefined && v !== null).length;
  if (set === 0) return `${at}: must set podSelector, namespaceSelector or ipBlock`;
  if (value.ipBlock !== undefined && value.ipBlock !== null) {
    if (set > 1) return `${at}: ipBlock cannot be combined with podSelector or namespaceSelector`;
    const cidr = parseCidr(value.ipBlock.cidr);
    if (cidr === undefined) return `${at}.ipBlock.cidr: "${value.ipBlock.cidr}" is not a CIDR, e.g. "10.0.0.0/16"`;
    for (const [i, except] of (value.ipBlock.except ?? []).entries()) {
      const e = parseCidr(except);
      if (e === undefined) return `${at}.ipBlock.except[${i}]: "${except}" is not a CIDR`;
      if (e.family !== cidr.family || e.prefix <= cidr.prefix) return `${at}.ipBlock.except[${i}]: "${except}" must be a strict subset of ${value.ipBlock.cidr}`;
    }
    return { ipBlock: { cidr: value.ipBlock.cidr, except: value.ipBlock.except ?? [] } };
  }
  const out: PeerInfo = {};
  if (value.podSelector !== undefined && value.podSelector !== null) {
    out.podSelector = labelSelector(value.podSelector);
    const problem = selectorProblem(out.podSelector, `${at}.podSelector`);
    if (problem !== undefined) return problem;
  }
  if (value.namespaceSelector !== undefined && value.namespaceSelector !== null) {
    out.namespaceSelector = labelSelector(value.namespaceSelector);
    const problem = selectorProblem(out.namespaceSelector, `${at}.namespaceSelector`);
    if (problem !== undefined) return problem;
  }
  return out;
}

const IANA_SERVICE_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function port(value: { protocol?: string | null | undefined; port?: number | string | null | undefined; endPort?: number | null | undefined }, at: string): NetworkPolicyPort | string {
  const protocol = (value.protocol ?? 'TCP') as NetworkPolicyPort['protocol'];
  const p = value.port ?? undefined;
  if (typeof p === 'number' && (p < 1 || p > 65535)) return `${at}.port: ${p} is not a port number (1-65535)`;
  // IntOrString: a numeric string is still a name to the API ("80" is not valid as a name).
  if (typeof p === 'string' && (p.includes('--') || !IANA_SERVICE_NAME.test(p))) return `${at}.port: "${p}" is neither a number nor a port name (IANA_SVC_NAME, e.g. "http")`;
  const endPort = value.endPort ?? undefined;
  if (endPort !== undefined) {
    if (typeof p !== 'number') return `${at}.endPort: needs a numeric port`;
    if (endPort < p || endPort > 65535) return `${at}.endPort: ${endPort} must be between port ${p} and 65535`;
  }
  return { protocol, port: p, endPort };
}

function rules(values: Array<{ peers: NetworkPolicyPeer[] | null | undefined; ports: Parameters<typeof port>[0][] | null | undefined }>, field: 'ingress' | 'egress'): NetworkPolicyRule[] | string {
  const out: NetworkPolicyRule[] = [];
  const peerField = field === 'ingress' ? 'from' : 'to';
  for (const [i, rule] of values.entries()) {
    const peers: PeerInfo[] = [];
    for (const [j, p] of (rule.peers ?? []).entries()) {
      const parsed = peer(p, `spec.${field}[${i}].${peerField}[${j}]`);
      if (typeof parsed === 'string') return parsed;
      peers.push(parsed);
    }
    const ports: NetworkPolicyPort[] = [];
    for (const [j, p] of (rule.ports ?? []).entries()) {
      const parsed = port(p, `spec.${field}[${i}].ports[${j}]`);
      if (typeof parsed === 'string') return parsed;
      ports.push(parsed);
    }
    out.push({ peers, ports });
  }
  return out;
}

export function networkPolicy(obj: GenericObject, namespace: string, origin: string | undefined, issues: Issue[]): NetworkPolicyInfo {
  const base = { name: obj.metadata.name, namespace, createdAt: obj.metadata.creationTimestamp ?? undefined, origin, raw: obj };
  const invalid = (reason: string): NetworkPolicyInfo => {
    issues.push(
      issue(
        'networkpolicy-invalid',
        `${describe('NetworkPolicy', namespace, obj.metadata.name)}: ${reason}; the policy cannot be evaluated, so isolation in namespace ${namespace} is unknown`,
        origin,
        'The API server rejects this spec; fix it as "kubectl apply --dry-run=server -f …" reports.',
      ),
    );
    return { ...base, podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: [], policyTypesDefaulted: false, ingress: [], egress: [], invalid: reason };
  };
  const parsed = NetworkPolicySpec.safeParse(obj.spec ?? {});
  if (!parsed.success) return invalid(firstProblem(parsed.error, 'spec'));
  const spec = parsed.data;
  const podSelector = labelSelector(spec.podSelector);
  const problem = selectorProblem(podSelector, 'spec.podSelector');
  if (problem !== undefined) return invalid(problem);
  const ingress = rules((spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })), 'ingress');
  if (typeof ingress === 'string') return invalid(ingress);
  const egress = rules((spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })), 'egress');
  if (typeof egress === 'string') return invalid(egress);
  // networking/v1 SetDefaults_NetworkPolicy: without policyTypes, Ingress always applies and
  // Egress applies when the policy has egress rules.
  const defaulted = spec.policyTypes === undefined || spec.policyTypes === null || spec.policyTypes.length === 0;
  const policyTypes: PolicyType[] = defaulted ? (egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']) : [...new Set(spec.policyTypes ?? [])];
  return { ...base, podSelector, policyTypes, policyTypesDefaulted: defaulted, ingress, egress, invalid: undefined };
}

// ---------------------------------------------------------------------------------------------
// RBAC

export function role(kind: 'Role' | 'ClusterRole', obj: RbacObject, origin: string | undefined, issues: Issue[]): RoleInfo {
  const namespace = kind === 'Role' ? (obj.metadata.namespace ?? 'default') : undefined;
  const base = { kind, name: obj.metadata.name, namespace, labels: obj.metadata.labels ?? {}, origin, raw: obj };
  const parsed = RoleSpec.safeParse(obj);
  if (!parsed.success) {
    const reason = firstProblem(parsed.error, '');
    issues.push(issue('rbac-invalid', `${describe(kind, namespace, obj.metadata.name)}: ${reason}; its permissions cannot be evaluated`, origin, 'Fix the role as "kubectl apply --dry-run=server -f …" reports.'));
    return { ...base, rules: [], aggregationSelectors: [], invalid: reason };
  }
  const rules: PolicyRuleInfo[] = (parsed.data.rules ?? []).map((r) => ({
    verbs: r.verbs,
    apiGroups: r.apiGroups ?? [],
    resources: r.resources ?? [],
    resourceNames: r.resourceNames ?? [],
    nonResourceURLs: r.nonResourceURLs ?? [],
  }));
  const aggregationSelectors = kind === 'ClusterRole' ? (parsed.data.aggregationRule?.clusterRoleSelectors ?? []).map(labelSelector) : [];
  return { ...base, rules, aggregationSelectors, invalid: undefined };
}

export function roleBinding(kind: 'RoleBinding' | 'ClusterRoleBinding', obj: RbacObject, origin: string | undefined, issues: Issue[]): RoleBindingInfo {
  const namespace = kind === 'RoleBinding' ? (obj.metadata.namespace ?? 'default') : undefined;
  const base = { kind, name: obj.metadata.name, namespace, labels: obj.metadata.labels ?? {}, origin, raw: obj };
  const invalid = (reason: string): RoleBindingInfo => {
    issues.push(issue('rbac-invalid', `${describe(kind, namespace, obj.metadata.name)}: ${reason}; what it grants cannot be evaluated`, origin, 'Fix the binding as "kubectl apply --dry-run=server -f …" reports.'));
    return { ...base, roleRef: { kind: 'ClusterRole', name: '' }, subjects: [], invalid: reason };
  };
  const parsed = RoleBindingSpec.safeParse(obj);
  if (!parsed.success) return invalid(firstProblem(parsed.error, ''));
  const { roleRef } = parsed.data;
  if (kind === 'ClusterRoleBinding' && roleRef.kind !== 'ClusterRole') return invalid('roleRef.kind: a ClusterRoleBinding can only refer to a ClusterRole');
  const subjects: RbacSubject[] = [];
  for (const [i, s] of (parsed.data.subjects ?? []).entries()) {
    let subjectNamespace: string | undefined;
    if (s.kind === 'ServiceAccount') {
      // rbac appliesToUser: a RoleBinding's ServiceAccount subject defaults to the binding's namespace.
      subjectNamespace = s.namespace ?? namespace;
      if (subjectNamespace === undefined || subjectNamespace === '') return invalid(`subjects[${i}].namespace: required for a ServiceAccount in a ClusterRoleBinding`);
    }
    subjects.push({ kind: s.kind, name: s.name, namespace: subjectNamespace });
  }
  return { ...base, roleRef: { kind: roleRef.kind, name: roleRef.name }, subjects, invalid: undefined };
}

// ---------------------------------------------------------------------------------------------
// Istio PeerAuthentication

export function peerAuthentication(obj: PeerAuthentication, namespace: string, origin: string | undefined, issues: Issue[]): PeerAuthenticationInfo {
  const base = { name: obj.metadata.name, namespace, apiVersion: obj.apiVersion, createdAt: obj.metadata.creationTimestamp ?? undefined, origin, raw: obj };
  const invalid = (reason: string): PeerAuthenticationInfo => {
    issues.push(
      issue('peerauthentication-invalid', `${describe('PeerAuthentication', namespace, obj.metadata.name)}: ${reason}; istiod ignores it, and so does runwarden`, origin, 'Fix it as "istioctl analyze" reports.'),
    );
    return { ...base, selector: undefined, mode: 'UNSET', portLevelMtls: [], invalid: reason };
  };
  const parsed = PeerAuthenticationSpec.safeParse(obj.spec ?? {});
  if (!parsed.success) return invalid(firstProblem(parsed.error, 'spec'));
  const spec = parsed.data;
  const selector = spec.selector?.matchLabels ?? undefined;
  const portLevelMtls: Array<{ port: number; mode: MtlsMode }> = [];
  for (const [key, value] of Object.entries(spec.portLevelMtls ?? {})) {
    const p = /^\d{1,5}$/.test(key) ? Number(key) : Number.NaN;
    if (!(p >= 1 && p <= 65535)) return invalid(`spec.portLevelMtls["${key}"]: not a port number (1-65535)`);
    portLevelMtls.push({ port: p, mode: value.mode ?? 'UNSET' });
  }
  // Istio's validation webhook: port-level settings need a workload selector.
  if (portLevelMtls.length > 0 && (selector === undefined || Object.keys(selector).length === 0)) return invalid('spec.portLevelMtls: needs spec.selector (port-level mTLS applies to selected workloads only)');
  portLevelMtls.sort((a, b) => a.port - b.port);
  return { ...base, selector, mode: spec.mtls?.mode ?? 'UNSET', portLevelMtls, invalid: undefined };
}

// ---------------------------------------------------------------------------------------------
// Pods and pod templates

export function containerPorts(ports: unknown[] | null | undefined, where: string | (() => string), origin: string | undefined, issues: Issue[]): ContainerPortInfo[] {
  const out: ContainerPortInfo[] = [];
  if (ports === null || ports === undefined) return out;
  for (let i = 0; i < ports.length; i++) {
    const raw = ports[i];
    let port: ContainerPort;
    if (isContainerPort(raw)) port = raw as ContainerPort;
    else {
      const parsed = ContainerPort.safeParse(raw);
      if (!parsed.success) {
        // `where` is only spelled out for a problem: 30,000 pods' containers otherwise build it for nothing.
        issues.push(issue('container-port-invalid', `${typeof where === 'string' ? where : where()} ports[${i}]: ${firstProblem(parsed.error, '')}; the port is ignored`, origin));
        continue;
      }
      port = parsed.data;
    }
    out.push({ name: port.name ?? undefined, containerPort: port.containerPort, protocol: port.protocol ?? 'TCP' });
  }
  return out;
}

/** The pod template of a workload object, or undefined (with an issue when it is malformed). */
export function podTemplate(kind: string, obj: GenericObject, namespace: string, origin: string | undefined, issues: Issue[]): PodTemplateInfo | undefined {
  const spec = obj.spec;
  const raw = kind === 'CronJob' ? (spec?.jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template : spec?.template;
  if (raw === undefined || raw === null) return undefined;
  const where = `${kind} ${namespace}/${obj.metadata.name}`;
  let template: PodTemplate;
  // The template as read when zod would return an equal copy (identity.ts): no copy of every template.
  if (isPodTemplate(raw)) template = raw as PodTemplate;
  else {
    const parsed = PodTemplate.safeParse(raw);
    if (!parsed.success) {
      issues.push(issue('pod-template-invalid', `${where}: pod template ${firstProblem(parsed.error, '')}; the template is not evaluated`, origin));
      return undefined;
    }
    template = parsed.data;
  }
  const { metadata, spec: podSpec } = template;
  const containers: PodTemplateInfo['containers'] = [];
  const groups: Array<[ContainerType, typeof podSpec.containers]> = [
    ['init', podSpec.initContainers],
    ['regular', podSpec.containers],
  ];
  for (const [type, list] of groups) {
    for (const c of list ?? []) containers.push({ name: c.name, type, ports: containerPorts(c.ports, () => `${where} container ${c.name}`, origin, issues), restartPolicy: c.restartPolicy ?? undefined });
  }
  return {
    labels: metadata?.labels ?? {},
    annotations: metadata?.annotations ?? {},
    serviceAccountName: serviceAccountName(podSpec),
    automountServiceAccountToken: podSpec.automountServiceAccountToken ?? undefined,
    hostNetwork: podSpec.hostNetwork ?? false,
    containers,
  };
}

export function serviceAccountName(spec: { serviceAccountName?: string | null | undefined; serviceAccount?: string | null | undefined }): string {
  const name = spec.serviceAccountName ?? spec.serviceAccount ?? '';
  return name === '' ? 'default' : name;
}
