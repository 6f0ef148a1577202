/**
 * bench/network — issue #7 "Performance": the network, mesh and RBAC checks over a generated cluster
 * of 30,000 pods with 2,000 NetworkPolicies and 1,000 Istio PeerAuthentications (plus ServiceAccounts,
 * Roles and bindings). Target: the checks in under 3 s on this machine — which needs policy selection
 * indexed by namespace and labels, not pods × policies.
 *
 * Run: `npm run bench -- network` (compiled) or `npx tsx bench/network.ts`. Flags: `--runs N`
 * (default 3; medians and the largest peak RSS are reported).
 *
 * The cluster is generated in memory (seeded, identical on every run) as `kubectl get -o json` objects.
 * Each run, in a fresh child process so peak RSS is its own:
 * - baseline: validate every object with the inventory's zod schemas and build the inventory model
 *   (what every scan pays before any check runs);
 * - checks: network-ingress-open, network-egress-open, network-no-default-deny, mtls-not-strict and
 *   the six rbac-* checks over that inventory.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prng } from './lib/synthetic.js';

const PODS = 30_000;
const NAMESPACES = 200;
const DEPLOYMENTS = 2_000;
const NETWORK_POLICIES = 2_000;
const PEER_AUTHENTICATIONS = 1_000;
const SEED = 0x7e7_2026;
const TARGET_MS = 3000;

type Json = Record<string, unknown>;

const TEAMS = ['payments', 'search', 'checkout', 'catalog', 'identity', 'ledger', 'mail', 'media', 'ml', 'risk'];
const APPS = ['api', 'worker', 'web', 'gateway', 'consumer', 'scheduler', 'indexer', 'frontend', 'grpc', 'sync', 'exporter', 'cache'];
const TIERS = ['frontend', 'backend', 'data'];
const T0 = '2026-09-14T08:00:00Z';

export interface GeneratedCluster {
  objects: Json[];
  counts: Record<string, number>;
}

/** The cluster as kubectl-shaped objects. */
export function generate(): GeneratedCluster {
  const random = prng(SEED);
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const objects: Json[] = [];
  const namespaces = ['istio-system', 'kube-system', ...Array.from({ length: NAMESPACES - 2 }, (_, i) => `${TEAMS[i % TEAMS.length] ?? 'team'}-${String(i).padStart(3, '0')}`)];
  const meshed = new Set(namespaces.filter((n, i) => i > 1 && i % 5 !== 0));
  const ambient = new Set(namespaces.filter((n, i) => i > 1 && i % 17 === 0));
  for (const name of namespaces) {
    const labels: Record<string, string> = { 'kubernetes.io/metadata.name': name, team: name.split('-')[0] ?? name, env: pick(['prod', 'staging']) };
    if (meshed.has(name)) labels['istio-injection'] = 'enabled';
    if (ambient.has(name)) labels['istio.io/dataplane-mode'] = 'ambient';
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, creationTimestamp: T0 } });
  }
  const teamNamespaces = namespaces.slice(2);
  objects.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'istiod-7d4f8', namespace: 'istio-system', labels: { app: 'istiod', istio: 'pilot' } }, spec: { containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.22.3' }] }, status: { phase: 'Running', podIP: '10.0.0.2' } });

  // Deployments with their pods (sizes with a long tail), spread over the team namespaces.
  const apps: Array<{ namespace: string; name: string; labels: Record<string, string> }> = [];
  let podCount = 1;
  const perDeployment = Math.floor((PODS - 1) / DEPLOYMENTS);
  for (let d = 0; d < DEPLOYMENTS; d++) {
    const namespace = teamNamespaces[d % teamNamespaces.length] ?? 'default';
    const name = `${pick(APPS)}-${d}`;
    const labels = { app: name, tier: pick(TIERS), version: `v${int(1, 4)}` };
    apps.push({ namespace, name, labels });
    const serviceAccountName = random() < 0.6 ? name : 'default';
    const podSpec: Json = {
      serviceAccountName,
      ...(random() < 0.02 ? { hostNetwork: true } : {}),
      ...(random() < 0.3 ? { automountServiceAccountToken: false } : {}),
      containers: [{ name: 'app', image: `ghcr.io/acme/${name}:1.${d % 10}`, ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }] }],
    };
    objects.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace, labels, creationTimestamp: T0 }, spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels }, spec: podSpec } } });
    objects.push({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `${name}-5d8f`, namespace, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, controller: true }] } });
    const replicas = d === DEPLOYMENTS - 1 ? PODS - podCount : perDeployment;
    for (let r = 0; r < replicas; r++, podCount++) {
      const containers = [...(podSpec.containers as Json[])];
      const annotations: Record<string, string> = {};
      if (meshed.has(namespace) && !ambient.has(namespace) && random() < 0.95) containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.3', ports: [{ name: 'http-envoy-prom', containerPort: 15090 }] });
      if (ambient.has(namespace)) annotations['ambient.istio.io/redirection'] = 'enabled';
      objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${name}-5d8f-${r}`, namespace, labels: { ...labels, 'pod-template-hash': '5d8f' }, annotations, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-5d8f`, controller: true }] },
        spec: { ...podSpec, containers },
        status: { phase: 'Running', podIP: `10.${(podCount >> 16) & 255}.${(podCount >> 8) & 255}.${podCount & 255}` },
      });
    }
  }

  // NetworkPolicies: a default deny in most namespaces, then per-app allow-lists of every flavour.
  let policies = 0;
  const np = (namespace: string, name: string, spec: Json): void => {
    objects.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace, creationTimestamp: T0 }, spec });
    policies++;
  };
  for (const namespace of teamNamespaces) {
    if (random() < 0.7) np(namespace, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    if (random() < 0.7) np(namespace, 'allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }] });
  }
  for (let i = 0; policies < NETWORK_POLICIES; i++) {
    const app = apps[(i * 7919) % apps.length];
    if (app === undefined) break;
    const peer = apps[(i * 104729) % apps.length] ?? app;
    const flavour = i % 6;
    const spec: Json =
      flavour === 0
        ? { podSelector: { matchLabels: { app: app.name } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: peer.name } } }], ports: [{ port: 'http' }] }] }
        : flavour === 1
          ? { podSelector: { matchLabels: { app: app.name } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: peer.namespace.split('-')[0] ?? '' } }, podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }] } }] }] }
          : flavour === 2
            ? { podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: [app.labels.tier ?? 'data'] }, { key: 'version', operator: 'NotIn', values: ['v1'] }] }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32', '10.0.0.0/8'] } }], ports: [{ port: 443 }] }] }
            : flavour === 3
              ? { podSelector: { matchLabels: { tier: app.labels.tier ?? 'data' } }, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 9090, endPort: 9099 }] }] }
              : flavour === 4
                ? { podSelector: { matchLabels: { app: app.name } }, ingress: [{ ports: [{ port: 8080 }] }] }
                : { podSelector: { matchLabels: { app: app.name } }, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } } }] }] };
    np(app.namespace, `np-${i}-${app.name}`, spec);
  }

  // PeerAuthentications: mesh-wide STRICT, namespace policies, then workload policies with port overrides.
  let pas = 0;
  const pa = (namespace: string, name: string, spec: Json, day: number): void => {
    objects.push({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, creationTimestamp: new Date(Date.parse(T0) + day * 86_400_000).toISOString() }, spec });
    pas++;
  };
  pa('istio-system', 'default', { mtls: { mode: 'STRICT' } }, 0);
  for (const namespace of teamNamespaces) if (random() < 0.75) pa(namespace, 'default', { mtls: { mode: pick(['STRICT', 'STRICT', 'PERMISSIVE', 'UNSET']) } }, int(1, 100));
  for (let i = 0; pas < PEER_AUTHENTICATIONS; i++) {
    const app = apps[(i * 15485863) % apps.length];
    if (app === undefined) break;
    pa(app.namespace, `pa-${i}-${app.name}`, { selector: { matchLabels: { app: app.name } }, mtls: { mode: pick(['UNSET', 'STRICT', 'PERMISSIVE']) }, ...(i % 3 === 0 ? { portLevelMtls: { '9090': { mode: pick(['PERMISSIVE', 'DISABLE', 'UNSET']) } } } : {}) }, int(1, 300));
  }

  // RBAC: a ServiceAccount per app that uses one, roles and bindings with some risky rules.
  const RBAC = 'rbac.authorization.k8s.io/v1';
  let bindings = 0;
  for (const [i, app] of apps.entries()) {
    objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: app.name, namespace: app.namespace } });
    if (i % 4 !== 0) continue;
    const rules =
      i % 40 === 0
        ? [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }]
        : i % 100 === 4
          ? [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]
          : i % 100 === 8
            ? [{ apiGroups: ['apps'], resources: ['*'], verbs: ['get', 'list', 'patch'] }]
            : i % 100 === 12
              ? [{ apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] }]
              : [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }];
    objects.push({ apiVersion: RBAC, kind: 'Role', metadata: { name: `${app.name}-role`, namespace: app.namespace }, rules });
    objects.push({ apiVersion: RBAC, kind: 'RoleBinding', metadata: { name: `${app.name}-rb`, namespace: app.namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${app.name}-role` }, subjects: [{ kind: 'ServiceAccount', name: app.name, namespace: app.namespace }] });
    bindings++;
  }
  objects.push({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] });
  objects.push({ apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] });
  objects.push({ apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: 'ci-admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: apps[1]?.name ?? 'x', namespace: apps[1]?.namespace ?? 'x' }] });
  bindings += 2;

  const counts: Record<string, number> = {};
  for (const o of objects) counts[String(o.kind)] = (counts[String(o.kind)] ?? 0) + 1;
  return { objects, counts: { ...counts, bindings } };
}

interface Measurement {
  baselineMs: number;
  checksMs: number;
  perCheckMs: Record<string, number>;
  maxRssBytes: number;
  findingsByRule: Record<string, number>;
  issues: number;
}

async function measure(): Promise<Measurement> {
  const [{ buildInventory }, { OBJECT_SCHEMAS, emptyClusterObjects }, { RESOURCE_KINDS }, checks] = await Promise.all([
    import('../src/inventory/build.js'),
    import('../src/inventory/schema.js'),
    import('../src/core/inventory.js'),
    Promise.all([
      import('../src/policy/checks/network-ingress-open/index.js').then((m) => m.networkIngressOpen),
      import('../src/policy/checks/network-egress-open/index.js').then((m) => m.networkEgressOpen),
      import('../src/policy/checks/network-no-default-deny/index.js').then((m) => m.networkNoDefaultDeny),
      import('../src/policy/checks/mtls-not-strict/index.js').then((m) => m.mtlsNotStrict),
      import('../src/policy/checks/rbac-cluster-admin/index.js').then((m) => m.rbacClusterAdmin),
      import('../src/policy/checks/rbac-wildcard/index.js').then((m) => m.rbacWildcard),
      import('../src/policy/checks/rbac-secrets-read/index.js').then((m) => m.rbacSecretsRead),
      import('../src/policy/checks/rbac-pod-exec/index.js').then((m) => m.rbacPodExec),
      import('../src/policy/checks/rbac-privilege-escalation/index.js').then((m) => m.rbacPrivilegeEscalation),
      import('../src/policy/checks/rbac-anonymous-access/index.js').then((m) => m.rbacAnonymousAccess),
    ]),
  ]);
  const { objects } = generate();
  const start = performance.now();
  const cluster = emptyClusterObjects();
  for (const o of objects) {
    const kind = o.kind as (typeof RESOURCE_KINDS)[number];
    (cluster[kind] as unknown[]).push(OBJECT_SCHEMAS[kind].parse(o));
  }
  const inventory = buildInventory({ source: { type: 'snapshot', location: 'bench/network' }, objects: cluster, origins: new WeakMap(), complete: [...RESOURCE_KINDS], namespaces: undefined, issues: [] });
  const built = performance.now();
  const context = { sandboxImages: [], now: new Date('2026-12-01T00:00:00Z') };
  const perCheckMs: Record<string, number> = {};
  const findingsByRule: Record<string, number> = {};
  let issues = 0;
  for (const check of checks) {
    const t = performance.now();
    const result = check.run(inventory, context);
    perCheckMs[check.id] = performance.now() - t;
    findingsByRule[check.id] = result.findings.length;
    issues += result.issues.length;
  }
  const end = performance.now();
  return { baselineMs: built - start, checksMs: end - built, perCheckMs, maxRssBytes: process.resourceUsage().maxRSS * 1024, findingsByRule, issues };
}

function runChild(): Promise<Measurement> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, self, '--child'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child exited with code ${code}`));
      try {
        resolve(JSON.parse(out) as Measurement);
      } catch (error) {
        reject(new Error(`child printed no result: ${String(error)}`));
      }
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    process.stdout.write(`${JSON.stringify(await measure())}\n`);
    return;
  }
  let runs = 3;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`Invalid --runs "${argv[i] ?? ''}": expected a positive integer, e.g. --runs 3`);
    } else throw new Error(`Unknown argument "${argv[i] ?? ''}": expected --runs N`);
  }
  const { counts } = generate();
  console.log(`bench/network: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s)`);
  console.log(`generated: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const results: Measurement[] = [];
  for (let i = 0; i < runs; i++) results.push(await runChild());
  const baseline = median(results.map((r) => r.baselineMs));
  const checks = median(results.map((r) => r.checksMs));
  const rss = Math.max(...results.map((r) => r.maxRssBytes));
  const last = results[results.length - 1];
  console.log(`baseline (validate + build the inventory): ${seconds(baseline)}`);
  console.log(`network + mesh + RBAC checks:              ${seconds(checks)}`);
  for (const [id, ms] of Object.entries(last?.perCheckMs ?? {})) console.log(`  ${id.padEnd(26)} ${seconds(median(results.map((r) => r.perCheckMs[id] ?? ms)))}  ${last?.findingsByRule[id] ?? 0} findings`);
  console.log(`ratio checks/baseline: \u00d7${(checks / baseline).toFixed(2)}; peak RSS ${mib(rss)}; issues ${last?.issues ?? 0}`);
  const ok = checks < TARGET_MS;
  const silent = Object.entries(last?.findingsByRule ?? {}).filter(([id, n]) => n === 0 && id !== 'rbac-anonymous-access').map(([id]) => id);
  console.log(`${ok ? 'PASS' : 'FAIL'} checks ${seconds(checks)} < ${seconds(TARGET_MS)}`);
  if (silent.length > 0) console.log(`FAIL no findings for ${silent.join(', ')}: the fixture no longer exercises every check`);
  if (!ok || silent.length > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
