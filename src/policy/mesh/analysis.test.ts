import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../test/k8s.js';
import type { ResourceKind } from '../../core/inventory.js';
import { RESOURCE_KINDS } from '../../core/inventory.js';
import { analyzeMesh, type MeshOptions, type MeshVerdict } from './analysis.js';

type Json = Record<string, unknown>;

function ns(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, annotations } };
}

interface PodOpts {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  proxy?: 'istio' | 'istio-native' | 'linkerd';
  hostNetwork?: boolean;
  ports?: number[];
}

function pod(namespace: string, name: string, opts: PodOpts = {}): Json {
  const app = { name: 'app', image: 'ghcr.io/acme/app:1.0', ports: (opts.ports ?? [8080]).map((p) => ({ containerPort: p })) };
  const containers: Json[] = [app];
  const initContainers: Json[] = [];
  if (opts.proxy === 'istio') containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.3', ports: [{ containerPort: 15090, name: 'http-envoy-prom' }] });
  if (opts.proxy === 'istio-native') initContainers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.3', restartPolicy: 'Always' });
  if (opts.proxy === 'linkerd') containers.push({ name: 'linkerd-proxy', image: 'cr.l5d.io/linkerd/proxy:edge-24.8.2' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: opts.labels ?? { app: name }, annotations: opts.annotations ?? {} },
    spec: { containers, ...(initContainers.length > 0 ? { initContainers } : {}), ...(opts.hostNetwork === true ? { hostNetwork: true } : {}) },
    status: { phase: 'Running' },
  };
}

/** A Deployment with no pods: judged by its template. */
function template(namespace: string, name: string, opts: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Json {
  const labels = opts.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels, annotations: opts.annotations ?? {} }, spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:1.0', ports: [{ containerPort: 8080 }] }] } } },
  };
}

/** `createdAt: null`: no creationTimestamp, as in a manifest. */
function pa(name: string, namespace: string, spec: Json, createdAt: string | null = '2026-01-01T00:00:00Z', apiVersion = 'security.istio.io/v1'): Json {
  return { apiVersion, kind: 'PeerAuthentication', metadata: { name, namespace, ...(createdAt === null ? {} : { creationTimestamp: createdAt }) }, spec };
}

const strict = { mtls: { mode: 'STRICT' } };
const permissive = { mtls: { mode: 'PERMISSIVE' } };
const disable = { mtls: { mode: 'DISABLE' } };
const unset = { mtls: { mode: 'UNSET' } };
const web = { selector: { matchLabels: { app: 'web' } } };

function verdicts(objects: Json[], options: MeshOptions = {}, complete?: ResourceKind[], namespaces?: string[]) {
  const inv = inventoryOf(objects, { ...(complete === undefined ? {} : { complete }), ...(namespaces === undefined ? {} : { namespaces }) });
  return analyzeMesh(inv, options);
}

function verdictOf(objects: Json[], who = 'shop/web', options: MeshOptions = {}): MeshVerdict {
  const v = verdicts(objects, options).verdicts.find((x) => `${x.view.namespace}/${x.view.pod ?? x.view.workload.name}` === who);
  if (v === undefined) throw new Error(`no verdict for ${who}`);
  return v;
}

/** Istio composition table: [name, policies, expected state, expected port exceptions "port:state"]. */
const ISTIO: Array<[string, Json[], string, string[]]> = [
  ['no PeerAuthentication: Istio default PERMISSIVE', [], 'permissive', []],
  ['mesh-wide STRICT', [pa('default', 'istio-system', strict)], 'strict', []],
  ['mesh STRICT, namespace PERMISSIVE: the namespace wins', [pa('default', 'istio-system', strict), pa('default', 'shop', permissive)], 'permissive', []],
  ['mesh PERMISSIVE, namespace STRICT', [pa('default', 'istio-system', permissive), pa('default', 'shop', strict)], 'strict', []],
  ['mesh STRICT, namespace UNSET: inherited', [pa('default', 'istio-system', strict), pa('default', 'shop', unset)], 'strict', []],
  ['mesh STRICT, namespace without mtls: inherited', [pa('default', 'istio-system', strict), pa('default', 'shop', {})], 'strict', []],
  ['namespace DISABLE, workload STRICT: the workload wins', [pa('default', 'shop', disable), pa('web', 'shop', { ...web, ...strict })], 'strict', []],
  ['namespace STRICT, workload PERMISSIVE', [pa('default', 'shop', strict), pa('web', 'shop', { ...web, ...permissive })], 'permissive', []],
  ['namespace DISABLE', [pa('default', 'shop', disable)], 'disabled', []],
  ['mesh STRICT, workload UNSET with port 8080 DISABLE', [pa('default', 'istio-system', strict), pa('web', 'shop', { ...web, ...unset, portLevelMtls: { '8080': { mode: 'DISABLE' } } })], 'strict', ['8080:disabled']],
  ['workload STRICT, port 9090 PERMISSIVE, port 8080 UNSET (inherits STRICT)', [pa('web', 'shop', { ...web, ...strict, portLevelMtls: { '9090': { mode: 'PERMISSIVE' }, '8080': { mode: 'UNSET' } } })], 'strict', ['9090:permissive']],
  ['workload PERMISSIVE, port 8080 STRICT: stricter ports are no exception', [pa('web', 'shop', { ...web, ...permissive, portLevelMtls: { '8080': { mode: 'STRICT' } } })], 'permissive', []],
  ['a workload policy whose selector does not match: namespace level', [pa('default', 'shop', strict), pa('api', 'shop', { selector: { matchLabels: { app: 'api' } }, ...disable })], 'strict', []],
  ['selector with empty matchLabels is namespace-wide', [pa('all', 'shop', { selector: { matchLabels: {} }, ...strict })], 'strict', []],
  ['a namespace policy elsewhere does not apply', [pa('default', 'other', strict)], 'permissive', []],
  ['a selector policy in the root namespace is not mesh-wide (istiod ignores it)', [pa('web', 'istio-system', { ...web, ...strict })], 'permissive', []],
  ['two namespace policies: the oldest wins (STRICT older)', [pa('b-new', 'shop', permissive, '2026-03-01T00:00:00Z'), pa('a-old', 'shop', strict, '2026-01-01T00:00:00Z')], 'strict', []],
  ['two namespace policies: the oldest wins (PERMISSIVE older)', [pa('b-new', 'shop', strict, '2026-03-01T00:00:00Z'), pa('a-old', 'shop', permissive, '2026-01-01T00:00:00Z')], 'permissive', []],
  ['two mesh policies: the oldest wins', [pa('new', 'istio-system', permissive, '2026-05-01T00:00:00Z'), pa('old', 'istio-system', strict, '2025-01-01T00:00:00Z')], 'strict', []],
  ['two matching workload policies: the oldest wins', [pa('new', 'shop', { ...web, ...permissive }, '2026-05-01T00:00:00Z'), pa('old', 'shop', { selector: { matchLabels: { tier: 'fe' } }, ...strict }, '2026-02-01T00:00:00Z')], 'strict', []],
  ['no creationTimestamp (manifests): the name decides', [pa('b', 'shop', strict, null), pa('a', 'shop', permissive, null)], 'permissive', []],
  ['a timestamped policy is older than one without (applied later)', [pa('a', 'shop', permissive, null), pa('z', 'shop', strict)], 'strict', []],
  ['security.istio.io/v1beta1 policies count the same', [pa('default', 'istio-system', strict, null, 'security.istio.io/v1beta1')], 'strict', []],
];

describe('Istio PeerAuthentication precedence (sidecar)', () => {
  it.each(ISTIO)('%s', (_name, policies, state, ports) => {
    const v = verdictOf([ns('istio-system'), ns('shop', { 'istio-injection': 'enabled' }), pod('shop', 'web', { labels: { app: 'web', tier: 'fe' }, proxy: 'istio' }), ...policies]);
    expect([v.mesh, v.state, v.ports.map((p) => `${p.port}:${p.state}`)]).toEqual(['istio-sidecar', state, ports]);
  });

  it('names the deciding policies, most specific first', () => {
    const v = verdictOf([ns('istio-system'), ns('shop'), pod('shop', 'web', { proxy: 'istio' }), pa('default', 'istio-system', strict), pa('default', 'shop', permissive), pa('web', 'shop', { ...web, ...unset })]);
    expect(v.deciding).toEqual([
      'PeerAuthentication shop/web (workload, mode UNSET)',
      'PeerAuthentication shop/default (namespace, mode PERMISSIVE)',
      'PeerAuthentication istio-system/default (mesh-wide, mode STRICT)',
    ]);
    expect(v.why).toBe('sidecar mode PERMISSIVE from namespace PeerAuthentication');
  });

  it('uses a configured root namespace, and istiod\u2019s namespace when none is configured', () => {
    const objects = [ns('mesh-root'), ns('shop'), pod('shop', 'web', { proxy: 'istio' }), pa('default', 'mesh-root', strict)];
    expect(verdictOf(objects).state).toBe('permissive');
    expect(verdictOf(objects, 'shop/web', { rootNamespace: 'mesh-root' }).state).toBe('strict');
    const withIstiod = [...objects, pod('mesh-root', 'istiod-7d4', { labels: { app: 'istiod', istio: 'pilot' } })];
    expect(verdicts(withIstiod).rootNamespace).toBe('mesh-root');
    expect(verdictOf(withIstiod).state).toBe('strict');
  });

  it('ignores a workload policy for pods of the root namespace (only the mesh-wide one applies)', () => {
    const v = verdictOf([ns('istio-system'), pod('istio-system', 'web', { proxy: 'istio' }), pa('default', 'istio-system', strict), pa('web', 'istio-system', { ...web, ...disable })], 'istio-system/web');
    expect(v.state).toBe('strict');
  });

  it('treats DISABLE as PERMISSIVE in ambient mode (ztunnel does not support DISABLE)', () => {
    const v = verdictOf([ns('shop', { 'istio.io/dataplane-mode': 'ambient' }), pod('shop', 'web', { annotations: { 'ambient.istio.io/redirection': 'enabled' } }), pa('default', 'shop', disable)]);
    expect([v.mesh, v.state, v.why]).toEqual(['istio-ambient', 'permissive', 'ambient (ztunnel) mode PERMISSIVE from namespace PeerAuthentication (DISABLE is not supported by ztunnel and acts as PERMISSIVE)']);
  });
});

describe('mesh enrolment', () => {
  const strictMesh = [ns('istio-system'), pa('default', 'istio-system', strict)];
  it.each([
    ['a running pod with an istio-proxy container', [ns('shop'), pod('shop', 'web', { proxy: 'istio' })], 'istio-sidecar', 'strict', 'istio-proxy sidecar container'],
    ['a native sidecar (init container with restartPolicy Always)', [ns('shop'), pod('shop', 'web', { proxy: 'istio-native' })], 'istio-sidecar', 'strict', 'istio-proxy sidecar container'],
    ['a template in a namespace with istio-injection=enabled', [ns('shop', { 'istio-injection': 'enabled' }), template('shop', 'web')], 'istio-sidecar', 'strict', 'namespace label istio-injection=enabled (template: injection expected)'],
    ['a template with istio.io/rev on the namespace', [ns('shop', { 'istio.io/rev': 'canary' }), template('shop', 'web')], 'istio-sidecar', 'strict', 'namespace label istio.io/rev=canary (template: injection expected)'],
    ['a template opting in with sidecar.istio.io/inject=true', [ns('shop'), template('shop', 'web', { labels: { app: 'web', 'sidecar.istio.io/inject': 'true' } })], 'istio-sidecar', 'strict', 'pod label sidecar.istio.io/inject=true (template: injection expected)'],
    ['a template opting out with sidecar.istio.io/inject=false', [ns('shop', { 'istio-injection': 'enabled' }), template('shop', 'web', { labels: { app: 'web', 'sidecar.istio.io/inject': 'false' } })], 'none', 'not-enrolled', 'no injection label or annotation'],
    ['a namespace with istio-injection=disabled wins over the pod label', [ns('shop', { 'istio-injection': 'disabled' }), template('shop', 'web', { labels: { app: 'web', 'sidecar.istio.io/inject': 'true' } })], 'none', 'not-enrolled', 'no injection label or annotation'],
    ['an ambient pod marked by the CNI', [ns('shop', { 'istio.io/dataplane-mode': 'ambient' }), pod('shop', 'web', { annotations: { 'ambient.istio.io/redirection': 'enabled' } })], 'istio-ambient', 'strict', 'namespace label istio.io/dataplane-mode=ambient, redirection enabled by the Istio CNI'],
    ['an ambient namespace, pod opted out with dataplane-mode=none', [ns('shop', { 'istio.io/dataplane-mode': 'ambient' }), pod('shop', 'web', { labels: { app: 'web', 'istio.io/dataplane-mode': 'none' } })], 'none', 'not-enrolled', 'no proxy container and no mesh label'],
    ['a sidecar wins over ambient', [ns('shop', { 'istio.io/dataplane-mode': 'ambient' }), pod('shop', 'web', { proxy: 'istio' })], 'istio-sidecar', 'strict', 'istio-proxy sidecar container'],
    ['a host-network pod bypasses the mesh', [ns('shop', { 'istio-injection': 'enabled' }), pod('shop', 'web', { hostNetwork: true, proxy: 'istio' })], 'none', 'bypass', 'hostNetwork: true (injectors skip host-network pods and no proxy can capture their traffic)'],
  ] as Array<[string, Json[], string, string, string]>)('%s', (_name, objects, mesh, state, enrolment) => {
    const v = verdictOf([...strictMesh, ...objects]);
    expect([v.mesh, v.state, v.enrolment]).toEqual([mesh, state, enrolment]);
  });

  it('says why a running pod in an injection namespace has no sidecar, and how to fix it', () => {
    const v = verdictOf([...strictMesh, ns('shop', { 'istio-injection': 'enabled' }), pod('shop', 'web')]);
    expect(v.state).toBe('not-enrolled');
    expect(v.why).toBe('namespace label istio-injection=enabled, but the pod has no istio-proxy container: it was created before injection was enabled or the injector skipped it; restart it');
  });

  it('does not count a labelled ambient pod the CNI has not redirected', () => {
    const v = verdictOf([...strictMesh, ns('shop', { 'istio.io/dataplane-mode': 'ambient' }), pod('shop', 'web')]);
    expect([v.state, v.why]).toEqual(['not-enrolled', 'namespace label istio.io/dataplane-mode=ambient, but the Istio CNI has not enabled redirection for the pod (annotation ambient.istio.io/redirection): its traffic is not captured by ztunnel']);
  });

  it('reports ports the sidecar never sees (exclude/includeInboundPorts) as bypass, whatever the mode', () => {
    const excluded = verdictOf([...strictMesh, ns('shop'), pod('shop', 'web', { proxy: 'istio', ports: [8080, 9090], annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '9090, 9100-9101' } })]);
    expect(excluded.ports.map((p) => `${p.port}:${p.state}`)).toEqual(['9090:bypass', '9100:bypass', '9101:bypass']);
    const included = verdictOf([...strictMesh, ns('shop'), pod('shop', 'web', { proxy: 'istio', ports: [8080, 9090], annotations: { 'traffic.sidecar.istio.io/includeInboundPorts': '8080' } })]);
    expect(included.ports.map((p) => `${p.port}:${p.state}`)).toEqual(['9090:bypass']);
    const none = verdictOf([...strictMesh, ns('shop'), pod('shop', 'web', { proxy: 'istio', ports: [8080, 9090], annotations: { 'traffic.sidecar.istio.io/includeInboundPorts': '' } })]);
    expect(none.ports.map((p) => p.port)).toEqual([8080, 9090]);
  });

  it('makes a template unknown when its namespace (and its injection labels) is not in the input', () => {
    const analysis = verdicts([template('shop', 'web'), template('shop', 'api', { labels: { app: 'api', 'sidecar.istio.io/inject': 'true' } })]);
    expect(analysis.verdicts.map((v) => `${v.view.workload.name}:${v.state}`)).toEqual(['web:unknown', 'api:permissive']);
    expect(analysis.issues.map((i) => i.message)).toEqual(['The mesh enrolment of workload templates in namespace shop is unknown: the Namespace objects (with their injection labels) are not in the input']);
  });

  it('takes the Istio CNI redirection mark as proof of ambient enrolment, even without the label in the input', () => {
    const v = verdictOf([...strictMesh, pod('shop', 'web', { annotations: { 'ambient.istio.io/redirection': 'enabled' } })]);
    expect([v.mesh, v.state, v.enrolment]).toEqual(['istio-ambient', 'strict', 'redirection enabled by the Istio CNI (ambient.istio.io/redirection)']);
  });

  it('finds no mesh in a cluster without proxies, mesh labels or PeerAuthentications', () => {
    const analysis = verdicts([ns('shop'), pod('shop', 'web')]);
    expect([analysis.meshInUse, analysis.verdicts[0]?.state]).toEqual([false, 'not-enrolled']);
  });
});

describe('Linkerd', () => {
  it.each([
    ['default inbound policy (all-unauthenticated): permissive', {}, {}, {}, 'permissive', "Linkerd's cluster-wide default inbound policy (all-unauthenticated)"],
    ['namespace annotation all-authenticated: strict', { 'config.linkerd.io/default-inbound-policy': 'all-authenticated' }, {}, {}, 'strict', 'namespace annotation config.linkerd.io/default-inbound-policy=all-authenticated'],
    ['pod annotation wins over the namespace', { 'config.linkerd.io/default-inbound-policy': 'deny' }, { 'config.linkerd.io/default-inbound-policy': 'cluster-unauthenticated' }, {}, 'permissive', 'pod annotation config.linkerd.io/default-inbound-policy=cluster-unauthenticated'],
    ['a configured cluster default (cluster-authenticated): strict', {}, {}, { linkerdDefaultInboundPolicy: 'cluster-authenticated' }, 'strict', "Linkerd's cluster-wide default inbound policy (cluster-authenticated)"],
    ['an unknown policy value: unknown', {}, { 'config.linkerd.io/default-inbound-policy': 'strict' }, {}, 'unknown', 'pod annotation config.linkerd.io/default-inbound-policy=strict'],
  ] as Array<[string, Record<string, string>, Record<string, string>, MeshOptions, string, string]>)('%s', (_name, nsAnnotations, podAnnotations, options, state, deciding) => {
    const v = verdictOf([ns('shop', {}, { 'linkerd.io/inject': 'enabled', ...nsAnnotations }), pod('shop', 'web', { proxy: 'linkerd', annotations: podAnnotations })], 'shop/web', options);
    expect([v.mesh, v.state, v.deciding]).toEqual(['linkerd', state, [deciding]]);
  });

  it('predicts injection of a template from linkerd.io/inject, and honours disabled on the pod', () => {
    expect(verdictOf([ns('shop', {}, { 'linkerd.io/inject': 'enabled' }), template('shop', 'web')]).mesh).toBe('linkerd');
    expect(verdictOf([ns('shop', {}, { 'linkerd.io/inject': 'enabled' }), template('shop', 'web', { annotations: { 'linkerd.io/inject': 'disabled' } })]).mesh).toBe('none');
  });

  it('reports skip-inbound-ports as ports the proxy never sees', () => {
    const v = verdictOf([ns('shop', {}, { 'config.linkerd.io/default-inbound-policy': 'all-authenticated' }), pod('shop', 'web', { proxy: 'linkerd', annotations: { 'config.linkerd.io/skip-inbound-ports': '4000-4001,9090' } })]);
    expect([v.state, v.ports.map((p) => `${p.port}:${p.state}`)]).toEqual(['strict', ['4000:bypass', '4001:bypass', '9090:bypass']]);
  });
});

describe('mesh coverage gaps', () => {
  it('makes Istio verdicts unknown, with one issue, when PeerAuthentications were not read', () => {
    const analysis = verdicts([ns('shop'), pod('shop', 'web', { proxy: 'istio' })], {}, RESOURCE_KINDS.filter((k) => k !== 'PeerAuthentication'));
    expect([analysis.verdicts[0]?.state, analysis.issues.map((i) => i.code)]).toEqual(['unknown', ['mesh-policies-unknown']]);
  });

  it('without the root namespace in a namespace-limited scan, only mesh-level verdicts are unknown', () => {
    const objects = [ns('shop'), pod('shop', 'web', { proxy: 'istio' }), pod('shop', 'api', { labels: { app: 'api' }, proxy: 'istio' }), pa('web', 'shop', { ...web, ...strict })];
    const analysis = verdicts(objects, {}, undefined, ['shop']);
    expect(analysis.verdicts.map((v) => `${v.view.pod ?? ''}:${v.state}`)).toEqual(['web:strict', 'api:unknown']);
    expect(analysis.issues.map((i) => i.code)).toEqual(['mesh-root-namespace-not-scanned']);
  });

  it('records an invalid PeerAuthentication as an issue and ignores it, as istiod does', () => {
    const inv = inventoryOf([ns('shop'), pod('shop', 'web', { proxy: 'istio' }), pa('bad', 'shop', { mtls: { mode: 'strict' } }), pa('ports', 'shop', { ...strict, portLevelMtls: { '8080': { mode: 'DISABLE' } } })]);
    expect(inv.issues.map((i) => i.message)).toEqual([
      'PeerAuthentication shop/bad: spec.mtls.mode: Invalid option: expected one of "UNSET"|"DISABLE"|"PERMISSIVE"|"STRICT"; istiod ignores it, and so does runwarden',
      'PeerAuthentication shop/ports: spec.portLevelMtls: needs spec.selector (port-level mTLS applies to selected workloads only); istiod ignores it, and so does runwarden',
    ]);
    expect(analyzeMesh(inv).verdicts[0]?.state).toBe('permissive');
  });
});

describe('analyzeMesh across inventories that share objects (a service\'s incremental rescans)', () => {
  it('a pod whose labels, annotations or namespace changed is judged again, the others keep their verdicts', () => {
    const first = inventoryOf([ns('shop'), pod('shop', 'web', { proxy: 'istio' }), pod('shop', 'db'), pa('mesh', 'istio-system', strict)]);
    const stateOf = (inv: typeof first, name: string): string | undefined => analyzeMesh(inv).verdicts.find((v) => v.view.pod === name)?.state;
    expect(stateOf(first, 'web')).toBe('strict');
    expect(stateOf(first, 'db')).toBe('not-enrolled');
    // The same pod objects (containers included), new labels on one: an inventory built from a changed object.
    const relabelled = { ...first, pods: first.pods.map((p) => (p.name === 'db' ? { ...p, labels: { ...p.labels, 'istio.io/dataplane-mode': 'ambient' }, annotations: { 'ambient.istio.io/redirection': 'enabled' } } : p)) };
    expect(stateOf(relabelled, 'db')).toBe('strict');
    expect(analyzeMesh(relabelled).verdicts.find((v) => v.view.pod === 'db')?.mesh).toBe('istio-ambient');
    expect(stateOf(relabelled, 'web')).toBe('strict');
    // The namespace object changed (sidecar injection asked for): the pod without a proxy must be restarted.
    const injected = { ...first, namespaces: first.namespaces.map((n) => (n.name === 'shop' ? { ...n, labels: { ...n.labels, 'istio-injection': 'enabled' } } : n)) };
    expect(analyzeMesh(injected).verdicts.find((v) => v.view.pod === 'db')?.why).toMatch(/restart it/);
    expect(analyzeMesh(first).verdicts.find((v) => v.view.pod === 'db')?.why).not.toMatch(/restart it/);
  });
});
