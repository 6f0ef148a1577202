/**
 * bench/inventory — issue #2 "Performance": a generated snapshot of 1,000 nodes / 30,000 pods (node
 * caches of 50 images each, kubelet's default nodeStatusMaxImages). Target: "inventory + all findings
 * above" — read + validate + build the inventory + the issue's three checks (stale-image,
 * unpinned-image, mixed-versions, selected as `scan --rules` does) + the JSON report — in under 5 s and
 * under 1 GiB peak RSS. The same scan with every registered check is measured too and reported as a
 * second row (no target: it grows as checks are added).
 *
 * Run: `npm run bench -- inventory` (compiled) or `npx tsx bench/inventory.ts`.
 * Flags: `--runs N` (default 3; the median time and the largest peak RSS are reported), `--keep`
 * (keep the generated snapshot and print its path).
 *
 * The parent generates the snapshot once (seeded, byte-identical on every run), then measures each
 * step in a fresh `node --expose-gc` child so one step's peak RSS cannot pollute the other's:
 * - baseline: read each file and `JSON.parse` it, keeping the values (the floor any reader pays);
 * - runwarden: `scan()` over `snapshotSource()` with the three rules, plus the JSON report render;
 * - all rules: the same with every check of `policy/registry.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { digestOf, nameSuffix as suffix, prng, repoOf, sha, uid, withTag } from './lib/synthetic.js';

const NODES = 1000;
const PODS = 30_000;
const NAMESPACES = 200;
const DEPLOYMENTS = 2000;
const STATEFULSETS = 300;
const CRONJOBS = 250;
const JOBS = 50;
const BARE_PODS = 50;
/** kubelet --node-status-max-images default: Node status.images lists the 50 largest images. */
const MAX_IMAGES = 50;
const NAMESPACES_PER_FILE = 10;
const SEED = 0x5eed_2026;
const NOW = new Date('2026-12-01T00:00:00Z');
const TARGET_MS = 5000;
const TARGET_RSS_BYTES = 1024 ** 3;
/** The findings issue #2 asks for ("inventory + all findings above"). */
const FOUNDATION_RULES = ['stale-image', 'unpinned-image', 'mixed-versions'];

// ---------------------------------------------------------------------------------------------
// Deterministic generator helpers (same conventions as scripts/generate-demo.ts)

let random = prng(SEED);
function int(min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
function chance(p: number): boolean {
  return random() < p;
}
function pick<T>(items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function sizeOf(image: string): number {
  if (image.startsWith(`${withTag(PAUSE)}#`)) return 321_520;
  return 15_000_000 + (parseInt(sha(`size:${image}`).slice(0, 8), 16) % 900_000_000);
}

// ---------------------------------------------------------------------------------------------
// The cluster plan

interface ContainerDef {
  name: string;
  image: string;
  init?: boolean;
  port?: number;
}
type Kind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob' | 'Job' | 'Pod';
interface WorkloadDef {
  namespace: string;
  kind: Kind;
  name: string;
  containers: ContainerDef[];
  replicas: number;
  /** Fraction of replicas running a previous digest of the same reference (the tag moved). */
  drift: number;
  /** Earlier image versions (older ReplicaSets / rollouts): cached on nodes, unused now. */
  previous: string[];
}

const NODE_NAMES = Array.from({ length: NODES }, (_, i) => `ip-${nodeIp(i).replaceAll('.', '-')}.eu-west-1.compute.internal`);
function nodeIp(index: number): string {
  return `10.${20 + Math.floor(index / 250)}.${index % 250}.${10 + (index % 7)}`;
}
const SYSTEM_NAMESPACES = ['kube-system', 'monitoring', 'logging', 'ingress-nginx', 'cert-manager', 'istio-system'];
const TEAM_WORDS = ['payments', 'search', 'checkout', 'catalog', 'identity', 'ledger', 'mail', 'media', 'ml', 'risk', 'ads', 'growth', 'infra', 'billing', 'support'];
const APP_WORDS = ['api', 'worker', 'web', 'gateway', 'consumer', 'scheduler', 'indexer', 'frontend', 'grpc', 'sync', 'exporter', 'cache', 'router', 'notifier'];
const ISTIO_PROXY = 'docker.io/istio/proxyv2:1.22.3';
const PAUSE = 'registry.k8s.io/pause:3.9';
const DAEMONSETS: Array<[string, string, string]> = [
  ['kube-system', 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.30.4'],
  ['kube-system', 'aws-node', '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.3'],
  ['monitoring', 'node-exporter', 'quay.io/prometheus/node-exporter:v1.8.2'],
  ['logging', 'fluent-bit', 'cr.fluentbit.io/fluent/fluent-bit:latest'],
];
/** Images nobody runs any more that linger in caches (old add-on versions, one-off debugging). */
const LEFTOVERS = [
  'registry.k8s.io/kube-proxy:v1.29.7',
  '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.1',
  'quay.io/prometheus/node-exporter:v1.7.0',
  'docker.io/istio/proxyv2:1.21.4',
  'nicolaka/netshoot',
  'busybox:1.36',
  'python:3.9.19-slim',
  'node:18.20.4-alpine',
  'postgres:15.8-bookworm',
  'redis:7.0.15',
];
const STATEFUL_IMAGES = ['postgres:16.4-bookworm', 'redis:7.2.5', 'bitnami/kafka:3.8.0', 'docker.elastic.co/elasticsearch/elasticsearch:8.15.1', 'mongo:7.0.14', 'rabbitmq:3.13-management'];

function namespaceNames(): string[] {
  const out = [...SYSTEM_NAMESPACES];
  for (let i = 0; out.length < NAMESPACES; i++) out.push(`${TEAM_WORDS[i % TEAM_WORDS.length]}-${String(i).padStart(3, '0')}`);
  return out;
}

function version(): string {
  return `${int(0, 4)}.${int(0, 30)}.${int(0, 20)}`;
}

function appImage(namespace: string, app: string): { image: string; previous: string[] } {
  const repo = `${int(1, 9)}11122223333.dkr.ecr.eu-west-1.amazonaws.com/${namespace}/${app}`;
  const roll = random();
  // ~5 % ":latest", ~1 % untagged: the unpinned-image check has real work.
  const image = roll < 0.05 ? `${repo}:latest` : roll < 0.06 ? repo : `${repo}:${version()}`;
  // Earlier rollouts: distinct versions, none equal to the current one (one ReplicaSet each).
  const previous = [...new Set(Array.from({ length: int(0, 3) }, () => `${repo}:${version()}`))].filter((p) => p !== image);
  return { image, previous };
}

/** Splits `total` into `parts` positive counts with a long tail (many small, a few big workloads). */
function skewed(total: number, parts: number): number[] {
  const weights = Array.from({ length: parts }, () => Math.pow(random(), 3) * 40 + 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  const out = weights.map((w) => Math.max(1, Math.floor((w / sum) * total)));
  let diff = total - out.reduce((a, b) => a + b, 0);
  for (let i = 0; diff !== 0; i = (i + 1) % parts) {
    const step = diff > 0 ? 1 : -1;
    if (out[i]! + step >= 1) {
      out[i]! += step;
      diff -= step;
    }
  }
  return out;
}

function plan(namespaces: string[]): WorkloadDef[] {
  const teams = namespaces.slice(SYSTEM_NAMESPACES.length);
  const istio = new Set(teams.filter(() => chance(0.4)));
  const workloads: WorkloadDef[] = [];
  const names = new Set<string>();
  const uniqueName = (namespace: string, base: string): string => {
    let name = base;
    for (let i = 2; names.has(`${namespace}/${name}`); i++) name = `${base}-${i}`;
    names.add(`${namespace}/${name}`);
    return name;
  };
  const sidecars = (namespace: string): ContainerDef[] =>
    istio.has(namespace) ? [{ name: 'istio-init', image: ISTIO_PROXY, init: true }, { name: 'istio-proxy', image: ISTIO_PROXY, port: 15090 }] : [];

  for (const [namespace, name, image] of DAEMONSETS) {
    workloads.push({ namespace, kind: 'DaemonSet', name, containers: [{ name, image, port: 9100 }], replicas: NODES, drift: name === 'fluent-bit' ? 0.03 : 0, previous: [] });
  }
  for (let i = 0; i < STATEFULSETS; i++) {
    const namespace = pick(teams);
    const image = pick(STATEFUL_IMAGES);
    const base = (image.split('/').pop() ?? image).split(':')[0]!;
    workloads.push({ namespace, kind: 'StatefulSet', name: uniqueName(namespace, base), containers: [{ name: base, image, port: 5432 }], replicas: int(1, 5), drift: 0, previous: [] });
  }
  for (let i = 0; i < CRONJOBS; i++) {
    const namespace = pick(teams);
    const name = uniqueName(namespace, `${pick(APP_WORDS)}-cron`);
    const { image } = appImage(namespace, name);
    // 1 in 10 is suspended: no jobs, no pods, only the template (checks still read it).
    workloads.push({ namespace, kind: 'CronJob', name, containers: [{ name: 'job', image }], replicas: chance(0.1) ? 0 : 3, drift: 0, previous: [] });
  }
  for (let i = 0; i < JOBS; i++) {
    const namespace = pick(teams);
    const name = uniqueName(namespace, `migrate-${pick(APP_WORDS)}`);
    workloads.push({ namespace, kind: 'Job', name, containers: [{ name: 'migrate', image: appImage(namespace, name).image }], replicas: 1, drift: 0, previous: [] });
  }
  for (let i = 0; i < BARE_PODS; i++) {
    const namespace = pick(teams);
    workloads.push({ namespace, kind: 'Pod', name: uniqueName(namespace, `debug-${suffix(`debug/${i}`, 5)}`), containers: [{ name: 'shell', image: pick(['nicolaka/netshoot', 'busybox:latest', 'alpine:3.20', 'ubuntu']) }], replicas: 1, drift: 0, previous: [] });
  }
  const fixed = workloads.reduce((n, w) => n + w.replicas, 0);
  // Every 20th Deployment is scaled to zero (template only); the rest share the remaining pods.
  const active = DEPLOYMENTS - Math.floor(DEPLOYMENTS / 20);
  const sizes = skewed(PODS - fixed, active);
  for (let i = 0, s = 0; i < DEPLOYMENTS; i++) {
    const namespace = pick(teams);
    const name = uniqueName(namespace, `${pick(APP_WORDS)}-${pick(APP_WORDS)}`);
    const { image, previous } = appImage(namespace, name);
    const mutable = image.endsWith(':latest') || !image.slice(image.lastIndexOf('/')).includes(':');
    const containers: ContainerDef[] = [...sidecars(namespace), { name: 'app', image, port: 8080 }];
    if (chance(0.1)) containers.push({ name: 'log-shipper', image: 'cr.fluentbit.io/fluent/fluent-bit:3.1.7' });
    const replicas = i % 20 === 19 ? 0 : sizes[s++]!;
    // Replicas of a mutable tag often run different builds; now and then a "stable" tag was re-pushed too.
    const drift = mutable ? (chance(0.5) ? 0.3 : 0) : chance(0.02) ? 0.2 : 0;
    workloads.push({ namespace, kind: 'Deployment', name, containers, replicas, drift, previous });
  }
  return workloads;
}

// ---------------------------------------------------------------------------------------------
// Objects, shaped like `kubectl get … -o json` (managedFields omitted, as kubectl does by default)

type Json = Record<string, unknown>;
const T0 = '2026-09-14T08:00:00Z';

/** node → `repo@digest` → what the node's image cache lists for it. */
const nodeCache = new Map<string, Map<string, { digest: string; tags: Set<string>; size: number }>>();
function cache(node: string, image: string, variant: string, tagged: boolean): string {
  const digest = digestOf(withTag(image), variant);
  let images = nodeCache.get(node);
  if (images === undefined) {
    images = new Map();
    nodeCache.set(node, images);
  }
  const key = `${repoOf(image)}@${digest}`;
  let entry = images.get(key);
  if (entry === undefined) {
    entry = { digest, tags: new Set(), size: sizeOf(`${withTag(image)}#${variant}`) };
    images.set(key, entry);
  }
  if (tagged) entry.tags.add(withTag(image));
  return digest;
}

function meta(name: string, namespace: string, extra: Json = {}): Json {
  return { creationTimestamp: T0, name, namespace, resourceVersion: String(1_000_000 + (parseInt(sha(`${namespace}/${name}`).slice(0, 6), 16) % 9_000_000)), uid: uid(`${namespace}/${name}`), ...extra };
}

function container(c: ContainerDef, namespace: string): Json {
  const out: Json = {
    env: [
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.monitoring:4317' },
    ],
    image: c.image,
    imagePullPolicy: c.image.endsWith(':latest') || !c.image.slice(c.image.lastIndexOf('/')).includes(':') ? 'Always' : 'IfNotPresent',
    name: c.name,
    resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001 },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: `kube-api-access-${suffix(`${namespace}/${c.name}`, 5)}`, readOnly: true }],
  };
  if (c.port !== undefined && c.init !== true) {
    out.ports = [{ containerPort: c.port, name: 'http', protocol: 'TCP' }];
    out.livenessProbe = { failureThreshold: 3, httpGet: { path: '/healthz', port: c.port, scheme: 'HTTP' }, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 };
    out.readinessProbe = { failureThreshold: 3, httpGet: { path: '/ready', port: c.port, scheme: 'HTTP' }, periodSeconds: 5, successThreshold: 1, timeoutSeconds: 1 };
  }
  return out;
}

function podSpec(w: WorkloadDef, node?: string): Json {
  const init = w.containers.filter((c) => c.init === true);
  const spec: Json = {};
  spec.containers = w.containers.filter((c) => c.init !== true).map((c) => container(c, w.namespace));
  spec.dnsPolicy = 'ClusterFirst';
  spec.enableServiceLinks = true;
  if (init.length > 0) spec.initContainers = init.map((c) => container(c, w.namespace));
  if (node !== undefined) spec.nodeName = node;
  spec.preemptionPolicy = 'PreemptLowerPriority';
  spec.priority = 0;
  spec.restartPolicy = w.kind === 'CronJob' || w.kind === 'Job' ? 'OnFailure' : 'Always';
  spec.schedulerName = 'default-scheduler';
  spec.securityContext = { fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } };
  spec.serviceAccount = 'default';
  spec.serviceAccountName = 'default';
  spec.terminationGracePeriodSeconds = 30;
  spec.tolerations = [
    { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
    { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
  ];
  spec.volumes = [
    {
      name: `kube-api-access-${suffix(w.namespace, 5)}`,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
          { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
        ],
      },
    },
  ];
  return spec;
}

const podNames = new Set<string>();
/** `<prefix>-<5 chars>` as the ReplicaSet/DaemonSet/Job controllers name pods; re-drawn on a clash, as the API server does. */
function podName(namespace: string, prefix: string, index: number): string {
  for (let salt = 0; ; salt++) {
    const name = `${prefix}-${suffix(`${namespace}/${prefix}/${index}/${salt}`, 5)}`;
    if (!podNames.has(`${namespace}/${name}`)) {
      podNames.add(`${namespace}/${name}`);
      return name;
    }
  }
}

function podObjects(w: WorkloadDef, owner: Json | undefined, prefix: string, labels: Record<string, string>, done: boolean, count: number, startIndex = 0): Json[] {
  const pods: Json[] = [];
  for (let i = startIndex; i < startIndex + count; i++) {
    const nodeIndex = w.kind === 'DaemonSet' ? i : int(0, NODES - 1);
    const node = NODE_NAMES[nodeIndex]!;
    const name = w.kind === 'Pod' ? w.name : w.kind === 'StatefulSet' ? `${w.name}-${i}` : podName(w.namespace, prefix, i);
    const variant = w.drift > 0 && chance(w.drift) ? 'previous' : '';
    const statuses = (init: boolean): Json[] =>
      w.containers
        .filter((c) => (c.init === true) === init)
        .map((c) => {
          const v = c.name === 'app' || w.kind === 'DaemonSet' ? variant : '';
          const digest = cache(node, c.image, v, v === '');
          const terminated = init || done;
          return {
            containerID: `containerd://${sha(`${w.namespace}/${name}/${c.name}`)}`,
            image: withTag(c.image),
            imageID: `${repoOf(c.image)}@${digest}`,
            lastState: {},
            name: c.name,
            ready: !terminated,
            restartCount: v === '' ? 0 : 1,
            started: !terminated,
            state: terminated ? { terminated: { containerID: `containerd://${sha(`${name}/${c.name}/t`)}`, exitCode: 0, finishedAt: '2026-11-30T02:17:40Z', reason: 'Completed', startedAt: '2026-11-30T02:15:04Z' } } : { running: { startedAt: '2026-11-20T10:00:00Z' } },
          };
        });
    const init = statuses(true);
    const hostIP = nodeIp(nodeIndex);
    const podIP = `100.64.${nodeIndex % 256}.${int(2, 254)}`;
    const conditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ lastProbeTime: null, lastTransitionTime: '2026-11-20T10:00:02Z', status: done && (type === 'Ready' || type === 'ContainersReady') ? 'False' : 'True', type }));
    const status: Json = {
      conditions,
      containerStatuses: statuses(false),
      hostIP,
      hostIPs: [{ ip: hostIP }],
      ...(init.length > 0 ? { initContainerStatuses: init } : {}),
      phase: done ? 'Succeeded' : 'Running',
      podIP,
      podIPs: [{ ip: podIP }],
      qosClass: 'Burstable',
      startTime: '2026-11-20T09:59:51Z',
    };
    const annotations = w.containers.some((c) => c.name === 'istio-proxy') ? { 'istio.io/rev': 'default', 'kubectl.kubernetes.io/default-container': 'app', 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true', 'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy","istio-data"],"imagePullSecrets":null,"revision":"default"}' } : undefined;
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta(name, w.namespace, {
        ...(annotations === undefined ? {} : { annotations }),
        ...(w.kind === 'Pod' || w.kind === 'StatefulSet' ? {} : { generateName: `${prefix}-` }),
        labels,
        ...(owner === undefined ? {} : { ownerReferences: [{ ...owner, blockOwnerDeletion: true, controller: true }] }),
      }),
      spec: podSpec(w, node),
      status,
    });
  }
  return pods;
}

function workloadObjects(w: WorkloadDef): Json[] {
  const labels: Record<string, string> = { app: w.name, 'app.kubernetes.io/name': w.name, 'app.kubernetes.io/part-of': w.namespace, team: w.namespace.replace(/-\d+$/, '') };
  const selector = { matchLabels: { app: w.name } };
  const template = { metadata: { creationTimestamp: null, labels }, spec: podSpec(w) };
  const ref = (apiVersion: string, kind: string, name: string): Json => ({ apiVersion, kind, name, uid: uid(`${w.namespace}/${name}`) });
  const out: Json[] = [];
  switch (w.kind) {
    case 'Deployment': {
      out.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(w.name, w.namespace, { annotations: { 'deployment.kubernetes.io/revision': String(w.previous.length + 1) }, generation: w.previous.length + 1, labels }), spec: { progressDeadlineSeconds: 600, replicas: w.replicas, revisionHistoryLimit: 10, selector, strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' }, template }, status: { availableReplicas: w.replicas, observedGeneration: w.previous.length + 1, readyReplicas: w.replicas, replicas: w.replicas, updatedReplicas: w.replicas } });
      // Older ReplicaSets (scaled to 0) keep the images of earlier rollouts.
      const revisions = [...w.previous.map((image) => ({ image, replicas: 0 })), { image: w.containers.find((c) => c.name === 'app')?.image ?? '', replicas: w.replicas }];
      revisions.forEach((rev, i) => {
        const hash = suffix(`${w.namespace}/${w.name}/${rev.image}`, 10);
        const rsName = `${w.name}-${hash}`;
        const rsLabels = { ...labels, 'pod-template-hash': hash };
        const rsTemplate = { metadata: { creationTimestamp: null, labels: rsLabels }, spec: podSpec({ ...w, containers: w.containers.map((c) => (c.name === 'app' ? { ...c, image: rev.image } : c)) }) };
        out.push({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta(rsName, w.namespace, { annotations: { 'deployment.kubernetes.io/desired-replicas': String(w.replicas), 'deployment.kubernetes.io/max-replicas': String(w.replicas + 1), 'deployment.kubernetes.io/revision': String(i + 1) }, labels: rsLabels, ownerReferences: [{ ...ref('apps/v1', 'Deployment', w.name), blockOwnerDeletion: true, controller: true }] }), spec: { replicas: rev.replicas, selector: { matchLabels: { app: w.name, 'pod-template-hash': hash } }, template: rsTemplate }, status: { observedGeneration: 1, replicas: rev.replicas, ...(rev.replicas > 0 ? { availableReplicas: rev.replicas, readyReplicas: rev.replicas, fullyLabeledReplicas: rev.replicas } : {}) } });
        if (rev.replicas > 0) out.push(...podObjects(w, ref('apps/v1', 'ReplicaSet', rsName), rsName, rsLabels, false, rev.replicas));
      });
      break;
    }
    case 'StatefulSet':
      out.push({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(w.name, w.namespace, { generation: 1, labels }), spec: { podManagementPolicy: 'OrderedReady', replicas: w.replicas, revisionHistoryLimit: 10, selector, serviceName: w.name, template, updateStrategy: { rollingUpdate: { partition: 0 }, type: 'RollingUpdate' }, volumeClaimTemplates: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } }, storageClassName: 'gp3' } }] }, status: { availableReplicas: w.replicas, currentReplicas: w.replicas, readyReplicas: w.replicas, replicas: w.replicas } });
      out.push(...podObjects(w, ref('apps/v1', 'StatefulSet', w.name), w.name, { ...labels, 'apps.kubernetes.io/pod-index': '0' }, false, w.replicas));
      break;
    case 'DaemonSet':
      out.push({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta(w.name, w.namespace, { generation: 1, labels }), spec: { revisionHistoryLimit: 10, selector, template, updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' } }, status: { currentNumberScheduled: NODES, desiredNumberScheduled: NODES, numberAvailable: NODES, numberReady: NODES, updatedNumberScheduled: NODES } });
      out.push(...podObjects(w, ref('apps/v1', 'DaemonSet', w.name), w.name, { ...labels, 'controller-revision-hash': suffix(w.name, 10) }, false, w.replicas));
      break;
    case 'CronJob':
      out.push({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta(w.name, w.namespace, { generation: 1, labels }), spec: { concurrencyPolicy: 'Forbid', failedJobsHistoryLimit: 1, jobTemplate: { metadata: { creationTimestamp: null }, spec: { backoffLimit: 2, template } }, schedule: `${int(0, 59)} ${int(0, 23)} * * *`, successfulJobsHistoryLimit: 3, suspend: w.replicas === 0 }, status: { lastScheduleTime: '2026-11-30T02:15:00Z' } });
      for (let j = 0; j < w.replicas; j++) {
        const jobName = `${w.name}-${29_410_000 + j * 1440}`;
        out.push({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta(jobName, w.namespace, { labels, ownerReferences: [{ ...ref('batch/v1', 'CronJob', w.name), blockOwnerDeletion: true, controller: true }] }), spec: { backoffLimit: 2, completionMode: 'NonIndexed', completions: 1, parallelism: 1, template }, status: { completionTime: '2026-11-30T02:17:41Z', ready: 0, startTime: '2026-11-30T02:15:00Z', succeeded: 1, terminating: 0 } });
        out.push(...podObjects(w, ref('batch/v1', 'Job', jobName), jobName, { ...labels, 'batch.kubernetes.io/job-name': jobName }, true, 1, j));
      }
      break;
    case 'Job':
      out.push({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta(w.name, w.namespace, { labels }), spec: { backoffLimit: 6, completionMode: 'NonIndexed', completions: 1, parallelism: 1, template }, status: { completionTime: '2026-11-29T11:02:41Z', startTime: '2026-11-29T11:00:00Z', succeeded: 1 } });
      out.push(...podObjects(w, ref('batch/v1', 'Job', w.name), w.name, { ...labels, 'batch.kubernetes.io/job-name': w.name }, true, 1));
      break;
    case 'Pod':
      out.push(...podObjects(w, undefined, w.name, { run: w.name }, false, 1));
      break;
  }
  return out;
}

function serviceAndPolicies(namespace: string, workloads: WorkloadDef[]): Json[] {
  const out: Json[] = [];
  for (const w of workloads) {
    if (w.kind !== 'Deployment' && w.kind !== 'StatefulSet') continue;
    const port = w.containers.find((c) => c.port !== undefined && c.name !== 'istio-proxy')?.port ?? 8080;
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: meta(w.name, namespace, { labels: { app: w.name } }), spec: { clusterIP: `172.20.${int(0, 255)}.${int(1, 254)}`, internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: port }], selector: { app: w.name }, sessionAffinity: 'None', type: w.kind === 'StatefulSet' ? 'ClusterIP' : pick(['ClusterIP', 'ClusterIP', 'ClusterIP', 'NodePort', 'LoadBalancer']) }, status: { loadBalancer: {} } });
  }
  out.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('default-deny', namespace), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  if (chance(0.7)) {
    out.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('allow-ingress-nginx', namespace), spec: { ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] }], podSelector: {}, policyTypes: ['Ingress'] } });
  }
  return out;
}

function nodeObject(name: string, index: number): Json {
  // Stale: add-on leftovers (earlier versions of the node's apps were cached by generate()).
  for (let i = int(8, 20); i > 0; i--) cache(name, pick(LEFTOVERS), '', true);
  // The sandbox image, in use by every pod; at 0.3 MB it is listed only on nodes with few images.
  cache(name, PAUSE, '', true);
  const entries = [...(nodeCache.get(name)?.entries() ?? [])];
  const images = entries.map(([key, e]) => {
    const repo = key.slice(0, key.indexOf('@'));
    const names = e.tags.size === 0 ? [`${repo}@${e.digest}`] : [...[...e.tags].map((t) => `${repoOf(t)}@${e.digest}`), ...e.tags];
    return { names, sizeBytes: e.size };
  });
  images.sort((a, b) => b.sizeBytes - a.sizeBytes || (a.names[0] ?? '').localeCompare(b.names[0] ?? ''));
  const ip = nodeIp(index);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      annotations: { 'alpha.kubernetes.io/provided-node-ip': ip, 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      creationTimestamp: T0,
      labels: { 'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/instance-type': 'm6i.2xlarge', 'beta.kubernetes.io/os': 'linux', 'eks.amazonaws.com/capacityType': 'ON_DEMAND', 'eks.amazonaws.com/nodegroup': `pool-${index % 8}`, 'failure-domain.beta.kubernetes.io/region': 'eu-west-1', 'failure-domain.beta.kubernetes.io/zone': `eu-west-1${'abc'[index % 3]}`, 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'm6i.2xlarge', 'topology.kubernetes.io/region': 'eu-west-1', 'topology.kubernetes.io/zone': `eu-west-1${'abc'[index % 3]}` },
      name,
      resourceVersion: String(2_000_000 + index),
      uid: uid(`node/${name}`),
    },
    spec: { providerID: `aws:///eu-west-1${'abc'[index % 3]}/i-0${sha(name).slice(0, 16)}` },
    status: {
      addresses: [{ address: ip, type: 'InternalIP' }, { address: name, type: 'InternalDNS' }, { address: name, type: 'Hostname' }],
      allocatable: { cpu: '7910m', 'ephemeral-storage': '95491281146', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '31482412Ki', pods: '110' },
      capacity: { cpu: '8', 'ephemeral-storage': '104845292Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '32499244Ki', pods: '110' },
      conditions: [
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
        ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
      ].map(([type, status, reason, message]) => ({ lastHeartbeatTime: '2026-11-30T23:58:00Z', lastTransitionTime: T0, message, reason, status, type })),
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      images: images.slice(0, MAX_IMAGES),
      nodeInfo: { architecture: 'amd64', bootID: uid(`boot/${name}`), containerRuntimeVersion: 'containerd://1.7.22', kernelVersion: '5.10.225-213.878.amzn2.x86_64', kubeProxyVersion: 'v1.30.4-eks-a737599', kubeletVersion: 'v1.30.4-eks-a737599', machineID: sha(`machine/${name}`).slice(0, 32), operatingSystem: 'linux', osImage: 'Amazon Linux 2', systemUUID: uid(`system/${name}`) },
    },
  };
}

function list(items: Json[]): string {
  // kubectl's JSON printer indents with four spaces.
  return `${JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4)}\n`;
}

interface Generated {
  files: number;
  bytes: number;
  objects: Record<string, number>;
}

/** Writes the snapshot into `dir`: namespaces.json, nodes.json and one List per 10 namespaces. */
export async function generate(dir: string): Promise<Generated> {
  // Module state starts afresh: the same seed gives the same bytes on every call.
  random = prng(SEED);
  nodeCache.clear();
  podNames.clear();
  const namespaces = namespaceNames();
  const workloads = plan(namespaces);
  const objects: Record<string, number> = {};
  let bytes = 0;
  let files = 0;
  const write = async (name: string, items: Json[]): Promise<void> => {
    for (const item of items) objects[String(item.kind)] = (objects[String(item.kind)] ?? 0) + 1;
    const text = list(items);
    bytes += Buffer.byteLength(text);
    files++;
    await writeFile(join(dir, name), text);
  };
  const byNamespace = new Map<string, WorkloadDef[]>();
  for (const w of workloads) byNamespace.set(w.namespace, [...(byNamespace.get(w.namespace) ?? []), w]);
  await write(
    'namespaces.json',
    namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { creationTimestamp: T0, labels: { 'kubernetes.io/metadata.name': name, ...(SYSTEM_NAMESPACES.includes(name) ? {} : { 'pod-security.kubernetes.io/enforce': 'baseline', 'istio-injection': 'enabled' }) }, name, resourceVersion: String(3_000_000 + namespaces.indexOf(name)), uid: uid(`ns/${name}`) }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } })),
  );
  for (let i = 0; i < namespaces.length; i += NAMESPACES_PER_FILE) {
    const items: Json[] = [];
    for (const namespace of namespaces.slice(i, i + NAMESPACES_PER_FILE)) {
      const here = byNamespace.get(namespace) ?? [];
      for (const w of here) {
        items.push(...workloadObjects(w));
        // Earlier rollouts' images stay in the cache of some nodes that ran them.
        for (const image of w.previous) for (let n = int(1, 6); n > 0; n--) cache(pick(NODE_NAMES), image, '', true);
      }
      items.push(...serviceAndPolicies(namespace, here));
    }
    await write(`namespaced-${String(i / NAMESPACES_PER_FILE).padStart(3, '0')}.json`, items);
  }
  await write('nodes.json', NODE_NAMES.map(nodeObject));
  return { files, bytes, objects };
}

// ---------------------------------------------------------------------------------------------
// Measured steps (each in its own child process)

interface Measurement {
  mode: Mode;
  files?: number;
  /** Wall time of the measured step, from before the first read to after the last byte of output. */
  ms: number;
  /** CPU time (user + system, all threads: GC helpers too) of the step; steadier than wall time on a shared machine. */
  cpuMs: number;
  phases: Record<string, number>;
  maxRssBytes: number;
  heapUsedBytes: number;
  heapRetainedBytes: number;
  objects: number;
  findingsByRule: Record<string, number>;
  findings: number;
  issues: number;
  reportBytes: number;
}
type Mode = 'baseline' | 'runwarden' | 'all-rules';
const MODES: readonly Mode[] = ['baseline', 'runwarden', 'all-rules'];

function cpuTime(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function measureBaseline(dir: string): Promise<Measurement> {
  collectGarbage();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  const values: unknown[] = [];
  let objects = 0;
  for (const name of names) {
    const value = JSON.parse(await readFile(join(dir, name), 'utf8')) as { items?: unknown[] };
    objects += value.items?.length ?? 1;
    values.push(value);
  }
  const ms = performance.now() - start;
  const cpuMs = cpuTime(cpu);
  const heapUsedBytes = process.memoryUsage().heapUsed;
  collectGarbage();
  const heapRetainedBytes = process.memoryUsage().heapUsed;
  // `values` is read after the collection: the parsed files stay alive, as for a reader that uses them.
  return { mode: 'baseline', files: values.length, ms, cpuMs, phases: { 'read+parse': ms }, maxRssBytes: process.resourceUsage().maxRSS * 1024, heapUsedBytes, heapRetainedBytes, objects, findingsByRule: {}, findings: 0, issues: 0, reportBytes: 0 };
}

async function measureRunwarden(dir: string, mode: 'runwarden' | 'all-rules'): Promise<Measurement> {
  const [{ scan }, { snapshotSource }, { FORMATS }] = await Promise.all([import('../src/scan/index.js'), import('../src/inventory/sources/snapshot/index.js'), import('../src/report/registry.js')]);
  const json = FORMATS.find((f) => f.id === 'json');
  if (json === undefined) throw new Error('json format missing from FORMATS');
  collectGarbage();
  const cpu = process.cpuUsage();
  const start = performance.now();
  // scan() reports progress after reading and after building the inventory: free phase marks.
  let loaded: number | undefined;
  let built: number | undefined;
  const onProgress = (message: string): void => {
    if (message.startsWith('read ')) loaded ??= performance.now();
    else if (message.startsWith('inventory:')) built ??= performance.now();
  };
  const rules = mode === 'runwarden' ? FOUNDATION_RULES : undefined;
  const { inventory, report } = await scan({ source: snapshotSource({ path: dir }), now: NOW, rules, onProgress });
  const scanned = performance.now();
  const text = json.render(report, { color: false });
  const end = performance.now();
  const ms = end - start;
  const cpuMs = cpuTime(cpu);
  const heapUsedBytes = process.memoryUsage().heapUsed;
  collectGarbage();
  const heapRetainedBytes = process.memoryUsage().heapUsed;
  const objects = inventory.nodes.length + inventory.pods.length + inventory.namespaces.length + inventory.services.length + inventory.networkPolicies.length + inventory.workloads.length;
  return {
    mode,
    ms,
    cpuMs,
    phases: {
      'read + parse + validate': (loaded ?? scanned) - start,
      'build inventory': (built ?? scanned) - (loaded ?? scanned),
      'checks + summary': scanned - (built ?? scanned),
      'render json': end - scanned,
    },
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes,
    heapRetainedBytes,
    objects,
    findingsByRule: report.summary.byRule,
    findings: report.findings.length,
    issues: report.issues.length,
    reportBytes: Buffer.byteLength(text),
  };
}

function runChild(mode: Mode, dir: string): Promise<Measurement & { processMs: number }> {
  const self = fileURLToPath(import.meta.url);
  // execArgv carries tsx's loader when run from source.
  const args = [...process.execArgv.filter((a) => a !== '--expose-gc'), '--expose-gc', self, '--child', mode, dir];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${mode} child exited with code ${code}`));
        return;
      }
      try {
        resolve({ ...(JSON.parse(out) as Measurement), processMs: performance.now() - started });
      } catch (error) {
        reject(new Error(`${mode} child printed no result: ${String(error)}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Report

const MiB = 1024 * 1024;
function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

interface Summary {
  ms: number;
  cpuMs: number;
  range: string;
  processMs: number;
  maxRssBytes: number;
  heapUsedBytes: number;
  heapRetainedBytes: number;
  phases: Record<string, number>;
  last: Measurement;
}
function summarize(runs: Array<Measurement & { processMs: number }>): Summary {
  const last = runs[runs.length - 1]!;
  const phases = Object.fromEntries(Object.keys(last.phases).map((k) => [k, median(runs.map((r) => r.phases[k] ?? 0))]));
  return {
    ms: median(runs.map((r) => r.ms)),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    range: `${seconds(Math.min(...runs.map((r) => r.ms)))}–${seconds(Math.max(...runs.map((r) => r.ms)))}`,
    processMs: median(runs.map((r) => r.processMs)),
    maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)),
    heapUsedBytes: Math.max(...runs.map((r) => r.heapUsedBytes)),
    heapRetainedBytes: Math.max(...runs.map((r) => r.heapRetainedBytes)),
    phases,
    last,
  };
}

function parseArgs(argv: string[]): { runs: number; keep: boolean } {
  let runs = 3;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--keep') keep = true;
    else if (arg === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`Invalid --runs "${argv[i]}": expected a positive integer, e.g. --runs 3`);
    } else throw new Error(`Unknown argument "${arg}": expected --runs N or --keep`);
  }
  return { runs, keep };
}

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [, mode, dir] = argv;
    if (dir === undefined || !MODES.includes(mode as Mode)) throw new Error(`usage: --child ${MODES.join('|')} <dir>`);
    const result = mode === 'baseline' ? await measureBaseline(dir) : await measureRunwarden(dir, mode as 'runwarden' | 'all-rules');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const { runs, keep } = parseArgs(argv);
  const dir = await mkdtemp(join(tmpdir(), 'runwarden-bench-inventory-'));
  try {
    const genStart = performance.now();
    const generated = await generate(dir);
    const kinds = Object.entries(generated.objects).sort((a, b) => b[1] - a[1]);
    const total = kinds.reduce((n, [, c]) => n + c, 0);
    console.log(`bench/inventory: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s) per step`);
    console.log(`generated ${total} objects in ${generated.files} files, ${mib(generated.bytes)} of JSON, in ${seconds(performance.now() - genStart)}${keep ? ` → ${dir}` : ''}`);
    console.log(`  ${kinds.map(([k, c]) => `${k} ${c}`).join(', ')}`);

    const baselineRuns: Array<Measurement & { processMs: number }> = [];
    const runwardenRuns: Array<Measurement & { processMs: number }> = [];
    const allRuns: Array<Measurement & { processMs: number }> = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so drift in the machine's load hits every step alike.
      baselineRuns.push(await runChild('baseline', dir));
      runwardenRuns.push(await runChild('runwarden', dir));
      allRuns.push(await runChild('all-rules', dir));
    }
    const base = summarize(baselineRuns);
    const rw = summarize(runwardenRuns);
    const all = summarize(allRuns);

    console.log('');
    console.log(table([
      ['step', 'time (median)', 'min–max', 'CPU (median)', 'process wall', 'peak RSS', 'heap used', 'heap retained'],
      ['baseline: read + JSON.parse', seconds(base.ms), base.range, seconds(base.cpuMs), seconds(base.processMs), mib(base.maxRssBytes), mib(base.heapUsedBytes), mib(base.heapRetainedBytes)],
      [`runwarden: scan (${FOUNDATION_RULES.length} rules) + json`, seconds(rw.ms), rw.range, seconds(rw.cpuMs), seconds(rw.processMs), mib(rw.maxRssBytes), mib(rw.heapUsedBytes), mib(rw.heapRetainedBytes)],
      ['all rules: scan + json report', seconds(all.ms), all.range, seconds(all.cpuMs), seconds(all.processMs), mib(all.maxRssBytes), mib(all.heapUsedBytes), mib(all.heapRetainedBytes)],
    ]));
    for (const [label, summary] of [[`${FOUNDATION_RULES.join(', ')}`, rw], ['all rules', all]] as const) {
      console.log(`${label}: ${Object.entries(summary.phases).map(([phase, ms]) => `${phase} ${seconds(ms)}`).join(', ')}`);
      console.log(`  ratio to baseline: time ×${(summary.ms / base.ms).toFixed(2)}, CPU ×${(summary.cpuMs / base.cpuMs).toFixed(2)}, peak RSS ×${(summary.maxRssBytes / base.maxRssBytes).toFixed(2)}`);
      console.log(`  findings: ${summary.last.findings} (${Object.entries(summary.last.findingsByRule).map(([r, n]) => `${r} ${n}`).join(', ')}), issues: ${summary.last.issues}, JSON report ${mib(summary.last.reportBytes)}`);
    }
    console.log(`inventory: ${rw.last.objects} objects (nodes + pods + workloads + namespaces + services + network policies); baseline parsed ${base.last.objects} items`);
    // Wall times swing with other work on the machine: the load at the end too, next to the one at the start.
    console.log(`load average after the runs: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${availableParallelism()} CPUs)`);

    const timeOk = rw.ms < TARGET_MS;
    const rssOk = rw.maxRssBytes < TARGET_RSS_BYTES;
    console.log(`${timeOk ? 'PASS' : 'FAIL'} time (${FOUNDATION_RULES.join(', ')}) ${seconds(rw.ms)} < ${seconds(TARGET_MS)}`);
    console.log(`${rssOk ? 'PASS' : 'FAIL'} peak RSS (${FOUNDATION_RULES.join(', ')}) ${mib(rw.maxRssBytes)} < ${mib(TARGET_RSS_BYTES)}`);
    console.log(`(all rules, no target: ${seconds(all.ms)}, CPU ${seconds(all.cpuMs)}, peak RSS ${mib(all.maxRssBytes)})`);
    const missing = FOUNDATION_RULES.filter((rule) => (rw.last.findingsByRule[rule] ?? 0) === 0);
    if (missing.length > 0) console.log(`FAIL no findings for ${missing.join(', ')}: the fixture no longer exercises every check`);
    if (!timeOk || !rssOk || missing.length > 0) process.exitCode = 1;
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
