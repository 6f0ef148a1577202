/**
 * NetworkPolicy semantics as truth tables, in the style of the upstream e2e "netpol" suite and
 * cyclonus: three namespaces x, y, z (labelled ns=<name>) with pods a, b, c (labelled pod=<name>,
 * declaring TCP 80 "serve-80-tcp", TCP 81 "serve-81-tcp", UDP 80 "serve-80-udp"), a policy set,
 * and the expected reachability matrix for one port: rows are sources, columns destinations, "."
 * allowed and "X" denied. Unlike some plugins (which always allow a pod to reach itself), the
 * diagonal follows the API semantics strictly.
 */
import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../test/k8s.js';
import type { Inventory, PodView, Protocol } from '../../core/inventory.js';
import { podViews } from '../../core/inventory.js';
import { analyzeNetwork } from './analysis.js';

type Json = Record<string, unknown>;
const NAMESPACES = ['x', 'y', 'z'];
const PODS = ['a', 'b', 'c'];

function namespaceObject(name: string, labels: Record<string, string> = { ns: name }): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

function podObject(ns: string, name: string, ip: string, extra: { labels?: Record<string, string>; hostNetwork?: boolean } = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: extra.labels ?? { pod: name } },
    spec: {
      ...(extra.hostNetwork === true ? { hostNetwork: true } : {}),
      containers: [
        {
          name: 'cont',
          image: 'registry.k8s.io/e2e-test-images/agnhost:2.47',
          ports: [
            { name: 'serve-80-tcp', containerPort: 80, protocol: 'TCP' },
            { name: 'serve-81-tcp', containerPort: 81, protocol: 'TCP' },
            { name: 'serve-80-udp', containerPort: 80, protocol: 'UDP' },
          ],
        },
      ],
    },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

function np(name: string, ns: string, spec: Json): Json {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns, creationTimestamp: '2026-01-01T00:00:00Z' }, spec };
}

function world(policies: Json[]): Inventory {
  const objects: Json[] = NAMESPACES.map((n) => namespaceObject(n));
  NAMESPACES.forEach((ns, i) => PODS.forEach((p, j) => objects.push(podObject(ns, p, `10.0.${i}.${j + 1}`))));
  return inventoryOf([...objects, ...policies]);
}

function views(inv: Inventory): PodView[] {
  return podViews(inv);
}

/** The reachability matrix: one row per source, "." allowed, "X" denied, "?" unknown. */
function probe(inv: Inventory, port = 80, protocol: Protocol = 'TCP'): string[] {
  const analysis = analyzeNetwork(inv);
  const all = views(inv);
  return all.map((from) => all.map((to) => ({ allowed: '.', denied: 'X', unknown: '?' })[analysis.allows(from, to, port, protocol)]).join(''));
}

const OPEN = Array<string>(9).fill('.........');
/** A matrix where only the listed [from, to] cells (as "x/a") differ from `base`. */
function matrix(base: '.' | 'X', exceptions: Array<[string, string]>): string[] {
  const names = NAMESPACES.flatMap((n) => PODS.map((p) => `${n}/${p}`));
  const other = base === '.' ? 'X' : '.';
  return names.map((from) => names.map((to) => (exceptions.some(([f, t]) => f === from && t === to) ? other : base)).join(''));
}
/** Every source towards the listed destinations, or from the listed sources to everything. */
const column = (to: string, sources: string[]): Array<[string, string]> => sources.map((s) => [s, to]);
const ALL = NAMESPACES.flatMap((n) => PODS.map((p) => `${n}/${p}`));
const ofNamespace = (ns: string): string[] => PODS.map((p) => `${ns}/${p}`);

interface Case {
  name: string;
  policies: Json[];
  port?: number;
  protocol?: Protocol;
  expected: string[];
}

const denyIngressX = np('deny-ingress', 'x', { podSelector: {}, policyTypes: ['Ingress'] });
const onlyA = { matchLabels: { pod: 'a' } };

const CASES: Case[] = [
  { name: 'no policies: everything is allowed', policies: [], expected: OPEN },
  {
    name: 'default deny ingress in x: nothing reaches x, x reaches everything',
    policies: [denyIngressX],
    expected: matrix('.', ALL.flatMap((from) => ofNamespace('x').map((to): [string, string] => [from, to]))),
  },
  {
    name: 'x/a admits pod=b of its own namespace (podSelector alone = same namespace)',
    policies: [np('allow-b', 'x', { podSelector: onlyA, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] })],
    expected: matrix('.', column('x/a', ALL.filter((s) => s !== 'x/b'))),
  },
  {
    name: 'x/a admits every pod of namespaces labelled ns=y (namespaceSelector alone)',
    policies: [np('allow-y', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })],
    expected: matrix('.', column('x/a', [...ofNamespace('x'), ...ofNamespace('z')])),
  },
  {
    name: 'podSelector and namespaceSelector in one peer are ANDed: only y/b',
    policies: [np('and', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] }] })],
    expected: matrix('.', column('x/a', ALL.filter((s) => s !== 'y/b'))),
  },
  {
    name: 'podSelector and namespaceSelector in two peers are ORed: all of y, and x/b',
    policies: [np('or', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] }] })],
    expected: matrix('.', column('x/a', ['x/a', 'x/c', ...ofNamespace('z')])),
  },
  {
    name: 'namespaceSelector with matchExpressions NotIn: y and z, not x',
    policies: [np('notin', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] } }] }] })],
    expected: matrix('.', column('x/a', ofNamespace('x'))),
  },
  {
    name: 'podSelector with matchExpressions In and namespaceSelector {} (every namespace): pod=b or pod=c anywhere',
    policies: [np('in', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b', 'c'] }] } }] }] })],
    expected: matrix('.', column('x/a', ['x/a', 'y/a', 'z/a'])),
  },
  {
    name: 'podSelector {} with a namespaceSelector: every pod of the selected namespaces',
    policies: [np('ns-z', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'z' } }, podSelector: {} }] }] })],
    expected: matrix('.', column('x/a', [...ofNamespace('x'), ...ofNamespace('y')])),
  },
  {
    name: 'two policies selecting one pod: their rules are a union',
    policies: [
      np('from-b', 'x', { podSelector: onlyA, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] }),
      np('from-z', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'z' } } }] }] }),
    ],
    expected: matrix('.', column('x/a', ['x/a', 'x/c', ...ofNamespace('y')])),
  },
  {
    name: 'a default deny plus an allow-all rule ({}): the allow wins (policies only add)',
    policies: [denyIngressX, np('allow-all', 'x', { podSelector: {}, ingress: [{}] })],
    expected: OPEN,
  },
  {
    name: 'default deny egress in x: x reaches nothing, the rest reach x',
    policies: [np('deny-egress', 'x', { podSelector: {}, policyTypes: ['Egress'] })],
    expected: matrix('.', ofNamespace('x').flatMap((from) => ALL.map((to): [string, string] => [from, to]))),
  },
  {
    name: 'egress from x/a only to namespace y',
    policies: [np('to-y', 'x', { podSelector: onlyA, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })],
    expected: matrix('.', [...ofNamespace('x'), ...ofNamespace('z')].map((to): [string, string] => ['x/a', to])),
  },
  {
    name: 'policyTypes omitted with egress rules: Ingress and Egress both apply (x/a admits nothing)',
    policies: [np('defaulted', 'x', { podSelector: onlyA, egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })],
    expected: matrix('.', [...column('x/a', ALL), ...[...ofNamespace('x'), ...ofNamespace('z')].filter((t) => t !== 'x/a').map((to): [string, string] => ['x/a', to])]),
  },
  {
    name: 'policyTypes omitted, "egress: []": only Ingress applies',
    policies: [np('defaulted-empty', 'x', { podSelector: onlyA, egress: [] })],
    expected: matrix('.', column('x/a', ALL)),
  },
  {
    name: 'policyTypes [Egress] with ingress rules: the ingress rules are ignored',
    policies: [np('egress-only', 'x', { podSelector: onlyA, policyTypes: ['Egress'], ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }], egress: [{}] })],
    expected: OPEN,
  },
  {
    name: 'ingress on port 81 only: port 80 is denied',
    policies: [np('port-81', 'x', { podSelector: onlyA, ingress: [{ ports: [{ port: 81, protocol: 'TCP' }] }] })],
    expected: matrix('.', column('x/a', ALL)),
  },
  {
    name: 'ingress on port 81 only: port 81 is allowed from everywhere',
    policies: [np('port-81', 'x', { podSelector: onlyA, ingress: [{ ports: [{ port: 81, protocol: 'TCP' }] }] })],
    port: 81,
    expected: OPEN,
  },
  {
    name: 'a named port resolves on the destination pod: serve-81-tcp admits 81',
    policies: [np('named', 'x', { podSelector: onlyA, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })],
    port: 81,
    expected: OPEN,
  },
  {
    name: 'a named port resolves on the destination pod: serve-81-tcp does not admit 80',
    policies: [np('named', 'x', { podSelector: onlyA, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })],
    expected: matrix('.', column('x/a', ALL)),
  },
  {
    name: 'a named port needs the protocol to match: serve-80-tcp over UDP admits nothing',
    policies: [np('named-udp', 'x', { podSelector: onlyA, ingress: [{ ports: [{ port: 'serve-80-tcp', protocol: 'UDP' }] }] })],
    protocol: 'UDP',
    expected: matrix('.', column('x/a', ALL)),
  },
  {
    name: 'UDP 80 admitted, TCP 80 probed: denied',
    policies: [np('udp', 'x', { podSelector: onlyA, ingress: [{ ports: [{ port: 80, protocol: 'UDP' }] }] })],
    expected: matrix('.', column('x/a', ALL)),
  },
  {
    name: 'endPort: 80-81 admits 81',
    policies: [np('range', 'x', { podSelector: onlyA, ingress: [{ ports: [{ port: 80, endPort: 81, protocol: 'TCP' }] }] })],
    port: 81,
    expected: OPEN,
  },
  {
    name: 'endPort: 81-82 does not admit 80',
    policies: [np('range', 'x', { podSelector: onlyA, ingress: [{ ports: [{ port: 81, endPort: 82 }] }] })],
    expected: matrix('.', column('x/a', ALL)),
  },
  {
    name: 'a port with protocol only admits every port of that protocol',
    policies: [np('any-tcp', 'x', { podSelector: onlyA, ingress: [{ ports: [{ protocol: 'TCP' }] }] })],
    port: 8443,
    expected: OPEN,
  },
  {
    name: 'egress to an ipBlock (namespace y\u2019s pod range) except y/b',
    policies: [np('cidr', 'x', { podSelector: onlyA, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.1.0/24', except: ['10.0.1.2/32'] } }] }] })],
    expected: matrix('.', ALL.filter((t) => t !== 'y/a' && t !== 'y/c').map((to): [string, string] => ['x/a', to])),
  },
  {
    name: 'ingress and egress must both allow: x denies egress to z, z admits only x',
    policies: [
      np('x-egress-to-y', 'x', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] }),
      np('z-from-x', 'z', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } } }] }] }),
    ],
    expected: matrix('X', [
      ...ofNamespace('x').flatMap((from) => ofNamespace('y').map((to): [string, string] => [from, to])),
      ...[...ofNamespace('y'), ...ofNamespace('z')].flatMap((from) => [...ofNamespace('x'), ...ofNamespace('y')].map((to): [string, string] => [from, to])),
    ]),
  },
];

describe('NetworkPolicy reachability truth tables', () => {
  it.each(CASES)('$name', ({ policies, port, protocol, expected }) => {
    expect(probe(world(policies), port, protocol)).toEqual(expected);
  });
});

describe('NetworkPolicy reachability from and to addresses outside the cluster', () => {
  it('ipBlock admits addresses inside cidr and outside except, IPv4 and IPv6', () => {
    const inv = world([
      np('web', 'x', { podSelector: onlyA, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.169.254/32'] } }, { ipBlock: { cidr: '2001:db8::/32' } }] }] }),
    ]);
    const analysis = analyzeNetwork(inv);
    const xa = views(inv)[0] as PodView;
    expect(['8.8.8.8', '10.1.2.3', '169.254.169.254', '2001:db8::1', '2001:db9::1', 'fe80::1'].map((ip) => analysis.allows({ ip }, xa, 80))).toEqual(['allowed', 'denied', 'denied', 'allowed', 'denied', 'denied']);
    // No policy isolates egress: the pod reaches any address.
    expect(analysis.allows(xa, { ip: '169.254.169.254' }, 80)).toBe('allowed');
  });

  it('a named egress port cannot match an address outside the cluster (no pod declares it)', () => {
    const inv = world([np('dns', 'x', { podSelector: onlyA, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'dns', protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }] })]);
    const xa = views(inv)[0] as PodView;
    const analysis = analyzeNetwork(inv);
    expect(analysis.allows(xa, { ip: '1.1.1.1' }, 53, 'UDP')).toBe('denied');
    expect(analysis.allows(xa, { ip: '1.1.1.1' }, 53, 'TCP')).toBe('allowed');
  });

  it('is unknown when a namespace selector needs labels of a namespace not in the inventory, exact when it uses kubernetes.io/metadata.name', () => {
    const objects: Json[] = [
      namespaceObject('x'),
      podObject('x', 'a', '10.0.0.1'),
      podObject('w', 'a', '10.0.9.1'), // namespace w was not listed
      np('by-label', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'w' } } }] }] }),
    ];
    const [xa, wa] = views(inventoryOf(objects)) as [PodView, PodView];
    expect(analyzeNetwork(inventoryOf(objects)).allows(wa, xa, 80)).toBe('unknown');
    const byName = [...objects.slice(0, 3), np('by-name', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'w' } } }] }] })];
    const inv = inventoryOf(byName);
    const [xa2, wa2] = views(inv) as [PodView, PodView];
    expect(analyzeNetwork(inv).allows(wa2, xa2, 80)).toBe('allowed');
  });
});

describe('NetworkPolicy verdicts per pod', () => {
  function verdictOf(policies: Json[], pod = 'x/a', extra: Json[] = []) {
    const inv = inventoryOf([...NAMESPACES.map((n) => namespaceObject(n)), podObject('x', 'a', '10.0.0.1'), podObject('x', 'b', '10.0.0.2'), ...extra, ...policies]);
    const analysis = analyzeNetwork(inv);
    const v = analysis.verdicts.find((x) => `${x.view.namespace}/${x.view.pod ?? ''}` === pod);
    if (v === undefined) throw new Error(`no verdict for ${pod}`);
    return v;
  }

  it('reports a pod no policy selects as not isolated, reach anywhere on every port', () => {
    const v = verdictOf([]);
    expect([v.ingress.isolated, v.ingress.reach, v.ingress.allPorts, v.ingress.why]).toEqual([false, 'anywhere', true, 'not isolated for ingress: no NetworkPolicy in namespace x selects the pod']);
    expect(v.egress.isolated).toBe(false);
  });

  it('names the policies that select the pod without the policy type', () => {
    const v = verdictOf([np('egress-only', 'x', { podSelector: {}, policyTypes: ['Egress'] })]);
    expect(v.ingress.why).toBe('not isolated for ingress: the policies that select it (egress-only) do not have policyType Ingress');
    expect([v.egress.isolated, v.egress.reach, v.egress.policies]).toEqual([true, 'none', ['x/egress-only']]);
  });

  it('rates a rule without "from" and an ipBlock /0 as anywhere, with the rule and ports', () => {
    const v = verdictOf([
      np('web', 'x', { podSelector: onlyA, ingress: [{ ports: [{ port: 'serve-80-tcp' }] }, { from: [{ ipBlock: { cidr: '::/0' } }], ports: [{ port: 8443 }] }, { from: [{ podSelector: {} }] }] }),
    ]);
    expect(v.ingress.reach).toBe('anywhere');
    expect(v.ingress.allPorts).toBe(false);
    expect(v.ingress.openings).toEqual([
      { reach: 'anywhere', rule: 'x/web ingress[0]', peers: ['every source (no "from")'], ports: ['TCP serve-80-tcp (80)'] },
      { reach: 'anywhere', rule: 'x/web ingress[1]', peers: ['ipBlock ::/0'], ports: ['TCP 8443'] },
    ]);
  });

  it('rates namespaceSelector {} as every pod in the cluster, and a named port the pod lacks as admitting nothing', () => {
    const v = verdictOf([np('cluster', 'x', { podSelector: onlyA, ingress: [{ from: [{ namespaceSelector: {} }] }, { ports: [{ port: 'metrics' }] }] })]);
    expect([v.ingress.reach, v.ingress.allPorts, v.ingress.openings.map((o) => o.rule)]).toEqual(['cluster', true, ['x/cluster ingress[0]']]);
  });

  it('treats a hostNetwork pod as not isolated whatever selects it', () => {
    const v = verdictOf([denyIngressX], 'x/h', [podObject('x', 'h', '192.168.0.10', { labels: { pod: 'h' }, hostNetwork: true })]);
    expect([v.ingress.isolated, v.ingress.hostNetwork, v.ingress.reach]).toEqual([false, true, 'anywhere']);
  });

  it('marks egress open to anywhere on port 53 only as DNS-only', () => {
    const v = verdictOf([np('dns', 'x', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }] })]);
    expect([v.egress.reach, v.egress.dnsOnly]).toEqual(['anywhere', true]);
  });

  it('makes verdicts unknown in a namespace with an invalid policy, and records why', () => {
    const inv = inventoryOf([namespaceObject('x'), podObject('x', 'a', '10.0.0.1'), np('broken', 'x', { podSelector: { app: 'web' } })]);
    const analysis = analyzeNetwork(inv);
    expect(analysis.verdicts[0]?.unknown).toBe('NetworkPolicy x/broken cannot be evaluated (spec.podSelector: Unrecognized key: "app")');
    expect(inv.issues.map((i) => i.code)).toEqual(['networkpolicy-invalid']);
  });
});

describe('namespace default deny', () => {
  function summary(policies: Json[]) {
    const inv = inventoryOf([namespaceObject('x'), podObject('x', 'a', '10.0.0.1'), ...policies]);
    return analyzeNetwork(inv).namespaces.find((n) => n.name === 'x');
  }

  it.each([
    ['none', [], undefined, undefined],
    ['deny-all both ways', [np('deny', 'x', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })], { policy: 'x/deny', denyAll: true }, { policy: 'x/deny', denyAll: true }],
    ['ingress only (policyTypes defaulted)', [np('deny', 'x', { podSelector: {} })], { policy: 'x/deny', denyAll: true }, undefined],
    ['a namespace-wide allow-list counts (every pod isolated)', [np('base', 'x', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] })], { policy: 'x/base', denyAll: false }, undefined],
    ['an allow-all rule is not a deny', [np('open', 'x', { podSelector: {}, ingress: [{}] })], undefined, undefined],
    ['a policy for some pods only is not a default', [np('web', 'x', { podSelector: onlyA, policyTypes: ['Ingress', 'Egress'] })], undefined, undefined],
  ] as Array<[string, Json[], unknown, unknown]>)('%s', (_name, policies, ingress, egress) => {
    const s = summary(policies);
    expect(s?.defaultDeny).toEqual({ ingress, egress });
  });

  it('skips the analysis with one issue when NetworkPolicies were not read', () => {
    const inv = inventoryOf([namespaceObject('x'), podObject('x', 'a', '10.0.0.1')], { complete: ['Namespace', 'Pod'] });
    const analysis = analyzeNetwork(inv);
    expect([analysis.available, analysis.verdicts.length, analysis.issues.map((i) => i.code)]).toEqual([false, 0, ['network-policies-unknown']]);
    expect(analysis.allows(podViews(inv)[0] as PodView, { ip: '1.1.1.1' }, 80)).toBe('unknown');
    // running pods: the read missed them, and the hint says how to read them
    expect(analysis.issues[0]?.hint).toMatch(/^Include NetworkPolicies in the snapshot/);
  });
});
