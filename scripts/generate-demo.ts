/**
 * Generates the bundled demo cluster snapshot under demo/cluster/ (committed; `npm start` scans it).
 * Run: `npx tsx scripts/generate-demo.ts`. Deterministic: digests and UIDs derive from names, times
 * are fixed, so regenerating gives byte-identical files. The files look exactly like
 * `kubectl get … -o yaml|json` output; edit this script, not the files.
 *
 * What the demo exercises (tests in test/demo.test.ts assert each):
 * - stale-image: every node caches images no pod on it uses (old app versions, leftovers)
 * - unpinned-image: grafana:latest, an untagged fraud-scorer, busybox init container, a CronJob
 *   template with no pods running (db-backup: alpine), a bare debug pod
 * - mixed-versions: storefront/cart replicas run two digests of ghcr.io/acme/cart:latest
 * - pod-security: storefront enforces restricted (cart, deployed before the label, violates it),
 *   payments enforces baseline (fraud-scorer adds SYS_PTRACE for its profiler), unlabelled
 *   namespaces are evaluated at baseline (node-exporter, the node debugger, the image builder)
 * - privileged-container: kube-proxy (AKS-managed, privileged as upstream ships it)
 * - host-path: kube-proxy (/lib/modules, xtables lock), node-exporter (/ read-only), the
 *   "kubectl debug node" pod left behind (/ read-write), the image builder (containerd socket)
 * - host-namespaces / host-ports: node-exporter (hostNetwork, hostPID, hostPort 9100; its
 *   host-namespaces and pod-security findings are exempted by annotation with a reason),
 *   kube-proxy, the node debugger, debug-shell (hostNetwork)
 * - added-capabilities: fraud-scorer (SYS_PTRACE); privilege-escalation: ingress-nginx
 *   (allowPrivilegeEscalation: true, as its chart sets) and every container that leaves it unset
 * - run-as-root, writable-root-filesystem, missing-resources, image-pull-policy: the workloads
 *   without a hardened security context
 * - service-account-token: workloads on the "default" service account without automount: false
 * - exposed-service: the public ingress LoadBalancer, grafana's NodePort
 * - registry-allow-list: payments (PCI scope) allows only registry.acme.io by namespace
 *   annotation; redis comes from Docker Hub. demo/cluster/.runwarden.yaml holds a cluster-wide
 *   allow-list and config exceptions (scan --demo --config demo/cluster/.runwarden.yaml).
 * - vulnerabilities: every running container's imageID is the digest of an image in demo/images
 *   (scripts/build-demo-images.ts: one OCI layout, ~60 KB) except fraud-scorer's, whose CI attached an
 *   SBOM (demo/sboms/sha256-<hex>.cdx.json); `scan --demo` catalogs the images offline and matches
 *   them and the SBOM against demo/advisories (real OSV and Alpine secdb records).
 * - lifecycle: end of life of the OS inside images (Alpine 3.11, Debian 12 …), of kubelets and
 *   containerd on the nodes; digest drift (the cart replica on last week's build); a newer tag
 *   (prometheus v2.54.1 while demo/images holds v2.55.1: "outdated"); the vendor lifecycle referrer
 *   of CBL-Mariner's busybox (end of life 2025-07-31, attached as MCR does: "end-of-life" with the
 *   publisher's date), all offline against demo/images.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { digestOf, nameSuffix as hash, repoOf, sha, uid, withTag } from '../bench/lib/synthetic.js';
import { buildDemoImages, demoImageKey } from './build-demo-images.js';

const OUT = join(process.cwd(), 'demo', 'cluster');
/** The digests of the images in demo/images, by reference (and variant for a moved tag). */
const IMAGE_DIGESTS = await buildDemoImages(join(process.cwd(), 'demo', 'images'));
function builtDigest(image: string, variant = ''): string {
  const digest = IMAGE_DIGESTS.get(demoImageKey(image, variant));
  if (digest === undefined) throw new Error(`demo/images has no ${image}${variant === '' ? '' : ` (${variant})`}`);
  return digest;
}
const T0 = '2026-10-02T08:14:00Z';

const NODES = [
  { name: 'aks-system-31415926-vmss000000', zone: 'westeurope-1', created: '2026-06-11T09:02:11Z' },
  { name: 'aks-apps-27182818-vmss000001', zone: 'westeurope-2', created: '2026-08-23T14:40:55Z' },
  { name: 'aks-apps-27182818-vmss000002', zone: 'westeurope-3', created: '2026-09-30T06:12:09Z' },
] as const;
type NodeName = (typeof NODES)[number]['name'];
const [SYS, APPS1, APPS2] = [NODES[0].name, NODES[1].name, NODES[2].name];

interface ContainerDef {
  name: string;
  image: string;
  /** Variant of the digest this container runs (same image, different digest = the tag moved). */
  variant?: string;
  init?: boolean;
  ports?: number[];
  secure?: boolean;
  /** Ports bound on the node (containerPort = hostPort). */
  hostPorts?: number[];
  /** Replaces the generated securityContext. */
  securityContext?: Record<string, unknown>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface WorkloadDef {
  namespace: string;
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob' | 'Pod';
  name: string;
  containers: ContainerDef[];
  /** Node of each replica. DaemonSets get one per node. */
  replicas: Array<{ node: NodeName; variants?: Record<string, string> }>;
  labels?: Record<string, string>;
  schedule?: string;
  /** Extra pod spec fields (hostNetwork, volumes, …). */
  pod?: Record<string, unknown>;
  /** Annotations on the workload object (exemptions). */
  annotations?: Record<string, string>;
}

const W: WorkloadDef[] = [
  // kube-system
  {
    namespace: 'kube-system',
    kind: 'DaemonSet',
    name: 'kube-proxy',
    containers: [
      {
        name: 'kube-proxy',
        image: 'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.30.4',
        securityContext: { privileged: true },
        volumeMounts: [
          { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
          { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
        ],
      },
    ],
    pod: { hostNetwork: true, priorityClassName: 'system-node-critical', volumes: [{ name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } }, { name: 'lib-modules', hostPath: { path: '/lib/modules', type: '' } }] },
    replicas: NODES.map((n) => ({ node: n.name })),
  },
  { namespace: 'kube-system', kind: 'Deployment', name: 'coredns', containers: [{ name: 'coredns', image: 'mcr.microsoft.com/oss/kubernetes/coredns:v1.11.3-1', ports: [53], secure: true }], replicas: [{ node: SYS }, { node: APPS1 }] },
  { namespace: 'kube-system', kind: 'Deployment', name: 'metrics-server', containers: [{ name: 'metrics-server', image: 'mcr.microsoft.com/oss/kubernetes/metrics-server:v0.7.2', ports: [4443], secure: true }], replicas: [{ node: SYS }] },
  // ingress
  { namespace: 'ingress-nginx', kind: 'Deployment', name: 'ingress-nginx-controller', containers: [{ name: 'controller', image: `registry.k8s.io/ingress-nginx/controller:v1.11.2@${builtDigest('registry.k8s.io/ingress-nginx/controller:v1.11.2')}`, ports: [80, 443], securityContext: { runAsNonRoot: true, runAsUser: 101, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, seccompProfile: { type: 'RuntimeDefault' } } }], pod: { serviceAccountName: 'ingress-nginx' }, replicas: [{ node: APPS1 }, { node: APPS2 }] },
  // storefront
  { namespace: 'storefront', kind: 'Deployment', name: 'web', containers: [{ name: 'web', image: 'ghcr.io/acme/storefront-web:2.4.1', ports: [8080], secure: true }], replicas: [{ node: APPS1 }, { node: APPS2 }, { node: APPS2 }] },
  {
    namespace: 'storefront',
    kind: 'Deployment',
    name: 'cart',
    containers: [{ name: 'cart', image: 'ghcr.io/acme/cart:latest', ports: [8081] }],
    // The tag moved between pulls: cart-…-x on APPS2 still runs last week's build.
    replicas: [{ node: APPS1 }, { node: APPS1 }, { node: APPS2, variants: { cart: 'previous' } }],
  },
  // payments
  { namespace: 'payments', kind: 'Deployment', name: 'payments-api', containers: [{ name: 'api', image: 'registry.acme.io/payments/api:1.8.0', ports: [8443], secure: true }], replicas: [{ node: APPS1 }, { node: APPS2 }] },
  { namespace: 'payments', kind: 'Deployment', name: 'fraud-scorer', containers: [{ name: 'scorer', image: 'registry.acme.io/payments/fraud-scorer', ports: [9000], securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }], replicas: [{ node: APPS2 }] },
  { namespace: 'payments', kind: 'StatefulSet', name: 'redis', containers: [{ name: 'redis', image: 'redis:7.2.5', ports: [6379] }], replicas: [{ node: APPS1 }] },
  // data
  { namespace: 'data', kind: 'StatefulSet', name: 'postgres', containers: [{ name: 'postgres', image: 'postgres:16.4-bookworm', ports: [5432] }], replicas: [{ node: APPS1 }, { node: APPS2 }] },
  // monitoring
  {
    namespace: 'monitoring',
    kind: 'DaemonSet',
    name: 'node-exporter',
    containers: [
      {
        name: 'node-exporter',
        image: 'quay.io/prometheus/node-exporter:v1.8.2',
        ports: [9100],
        hostPorts: [9100],
        securityContext: { runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        volumeMounts: [{ name: 'root', mountPath: '/host/root', readOnly: true }],
      },
    ],
    pod: { hostNetwork: true, hostPID: true, automountServiceAccountToken: false, volumes: [{ name: 'root', hostPath: { path: '/' } }] },
    annotations: { 'runwarden.io/exempt': 'host-namespaces,pod-security', 'runwarden.io/exempt-reason': 'node-exporter reads the node network stack and process table by design; reviewed in SEC-142' },
    replicas: NODES.map((n) => ({ node: n.name })),
  },
  { namespace: 'monitoring', kind: 'StatefulSet', name: 'prometheus', containers: [{ name: 'prometheus', image: 'quay.io/prometheus/prometheus:v2.54.1', ports: [9090], secure: true }], replicas: [{ node: SYS }] },
  { namespace: 'monitoring', kind: 'Deployment', name: 'grafana', containers: [{ name: 'grafana', image: 'grafana/grafana:latest', ports: [3000] }], replicas: [{ node: SYS }] },
  // batch
  {
    namespace: 'batch',
    kind: 'CronJob',
    name: 'nightly-report',
    schedule: '15 2 * * *',
    containers: [
      { name: 'wait-for-db', image: 'busybox:latest', init: true },
      { name: 'report', image: 'ghcr.io/acme/reports:1.2.0', secure: true },
    ],
    replicas: [{ node: APPS2 }],
  },
  { namespace: 'batch', kind: 'CronJob', name: 'db-backup', schedule: '0 */6 * * *', containers: [{ name: 'backup', image: 'alpine' }], replicas: [] },
  // default: a bare debug pod someone left behind
  { namespace: 'default', kind: 'Pod', name: 'debug-shell', containers: [{ name: 'shell', image: 'nicolaka/netshoot' }], pod: { hostNetwork: true }, replicas: [{ node: APPS1 }] },
  // "kubectl debug node/… --image=busybox" leaves this behind: the node's / mounted read-write at /host
  {
    namespace: 'default',
    kind: 'Pod',
    name: 'node-debugger-aks-apps-27182818-vmss000002-7xk2p',
    containers: [{ name: 'debugger', image: 'mcr.microsoft.com/cbl-mariner/busybox:2.0', volumeMounts: [{ name: 'host-root', mountPath: '/host' }] }],
    pod: { hostIPC: true, hostNetwork: true, hostPID: true, restartPolicy: 'Never', volumes: [{ name: 'host-root', hostPath: { path: '/' } }] },
    replicas: [{ node: APPS2 }],
  },
  // a CI image builder talking to the node's containerd
  {
    namespace: 'batch',
    kind: 'Deployment',
    name: 'image-builder',
    containers: [{ name: 'buildkitd', image: 'moby/buildkit:v0.16.0', volumeMounts: [{ name: 'containerd', mountPath: '/run/containerd/containerd.sock' }] }],
    pod: { volumes: [{ name: 'containerd', hostPath: { path: '/run/containerd/containerd.sock', type: 'Socket' } }] },
    replicas: [{ node: APPS1 }],
  },
];

/** Images cached on nodes that nothing uses any more: [node, image, variant, size]. */
const LEFTOVERS: Array<[NodeName, string, string, number]> = [
  [SYS, 'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.29.7', '', 82_115_302],
  [SYS, 'grafana/grafana:10.4.2', '', 412_331_008],
  [SYS, 'mcr.microsoft.com/azuremonitor/containerinsights/ciprod:3.1.22', '', 356_044_117],
  [APPS1, 'ghcr.io/acme/storefront-web:2.3.7', '', 187_224_576],
  [APPS1, 'ghcr.io/acme/storefront-web:2.4.0', '', 187_301_120],
  [APPS1, 'registry.acme.io/payments/api:1.7.3', '', 245_760_512],
  [APPS1, 'node:18.20.4-alpine', '', 132_489_216],
  [APPS2, 'postgres:15.8-bookworm', '', 436_207_616],
  [APPS2, 'python:3.9.19-slim', '', 125_829_120],
  [APPS2, 'ghcr.io/acme/reports:1.1.4', '', 210_763_776],
  [APPS2, 'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.29.7', '', 82_115_302],
];
const SIZES: Record<string, number> = {};
function sizeOf(image: string): number {
  SIZES[image] ??= 20_000_000 + (parseInt(sha(`size:${image}`).slice(0, 6), 16) % 300_000_000);
  return SIZES[image];
}

const PAUSE = 'mcr.microsoft.com/oss/kubernetes/pause:3.6';

function container(c: ContainerDef): Record<string, unknown> {
  const out: Record<string, unknown> = { name: c.name, image: c.image, imagePullPolicy: c.image.endsWith(':latest') || !c.image.includes(':') ? 'Always' : 'IfNotPresent' };
  if (c.ports !== undefined) out.ports = c.ports.map((p) => ({ containerPort: p, ...(c.hostPorts?.includes(p) === true ? { hostPort: p } : {}), protocol: 'TCP' }));
  out.resources = c.secure === true ? { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } } : {};
  if (c.secure === true) {
    out.securityContext = { runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
  }
  if (c.securityContext !== undefined) out.securityContext = c.securityContext;
  if (c.volumeMounts !== undefined) out.volumeMounts = c.volumeMounts;
  out.terminationMessagePath = '/dev/termination-log';
  out.terminationMessagePolicy = 'File';
  return out;
}

function podSpec(w: WorkloadDef, node?: NodeName): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  const init = w.containers.filter((c) => c.init === true);
  if (init.length > 0) spec.initContainers = init.map(container);
  spec.containers = w.containers.filter((c) => c.init !== true).map(container);
  spec.dnsPolicy = 'ClusterFirst';
  spec.restartPolicy = w.kind === 'CronJob' ? 'OnFailure' : 'Always';
  spec.schedulerName = 'default-scheduler';
  spec.serviceAccountName = w.namespace === 'kube-system' ? w.name : 'default';
  spec.terminationGracePeriodSeconds = 30;
  // Hardened workloads: RuntimeDefault seccomp for the whole pod, no API token they do not use.
  if (w.containers.every((c) => c.secure === true)) {
    spec.securityContext = { seccompProfile: { type: 'RuntimeDefault' } };
    if (w.namespace !== 'kube-system') spec.automountServiceAccountToken = false;
  }
  Object.assign(spec, w.pod ?? {});
  if (node !== undefined) spec.nodeName = node;
  return spec;
}

const nodeUse = new Map<NodeName, Map<string, { digest: string; tags: Set<string> }>>();
function cache(node: NodeName, image: string, variant: string, tagged: boolean): string {
  const repo = repoOf(image);
  const explicitDigest = image.includes('@') ? image.split('@')[1] : undefined;
  // running images are in demo/images; leftovers and the sandbox image only need a digest
  const digest = explicitDigest ?? IMAGE_DIGESTS.get(demoImageKey(image, variant)) ?? digestOf(withTag(image), variant);
  const images = nodeUse.get(node) ?? new Map<string, { digest: string; tags: Set<string> }>();
  nodeUse.set(node, images);
  const entry = images.get(`${repo}@${digest}`) ?? { digest, tags: new Set<string>() };
  if (tagged) entry.tags.add(withTag(image));
  images.set(`${repo}@${digest}`, entry);
  return digest;
}

const docsByNamespace = new Map<string, Array<Record<string, unknown>>>();
function add(namespace: string, obj: Record<string, unknown>): void {
  const list = docsByNamespace.get(namespace) ?? [];
  list.push(obj);
  docsByNamespace.set(namespace, list);
}
function meta(name: string, namespace: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, namespace, uid: uid(`${namespace}/${name}`), resourceVersion: String(100000 + (parseInt(sha(name).slice(0, 4), 16) % 90000)), creationTimestamp: T0, ...extra };
}

for (const w of W) {
  const labels = { 'app.kubernetes.io/name': w.name, 'app.kubernetes.io/part-of': w.namespace, ...(w.labels ?? {}) };
  const template = { metadata: { labels }, spec: podSpec(w) };
  const apiVersion = w.kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
  let podOwner: { apiVersion: string; kind: string; name: string; uid: string } | undefined;
  let podPrefix = w.name;
  if (w.kind === 'Deployment') {
    const rsHash = hash(`${w.namespace}/${w.name}/rs`, 10);
    const rsName = `${w.name}-${rsHash}`;
    const dep = { apiVersion, kind: 'Deployment', metadata: meta(w.name, w.namespace, { labels, annotations: { 'deployment.kubernetes.io/revision': '3', ...(w.annotations ?? {}) }, generation: 3 }), spec: { replicas: w.replicas.length, selector: { matchLabels: { 'app.kubernetes.io/name': w.name } }, template, strategy: { type: 'RollingUpdate' } }, status: { replicas: w.replicas.length, readyReplicas: w.replicas.length, availableReplicas: w.replicas.length, observedGeneration: 3 } };
    add(w.namespace, dep);
    const rsLabels = { ...labels, 'pod-template-hash': rsHash };
    add(w.namespace, { apiVersion, kind: 'ReplicaSet', metadata: meta(rsName, w.namespace, { labels: rsLabels, ownerReferences: [{ apiVersion, kind: 'Deployment', name: w.name, uid: uid(`${w.namespace}/${w.name}`), controller: true, blockOwnerDeletion: true }] }), spec: { replicas: w.replicas.length, selector: { matchLabels: { 'app.kubernetes.io/name': w.name, 'pod-template-hash': rsHash } }, template: { ...template, metadata: { labels: rsLabels } } }, status: { replicas: w.replicas.length, readyReplicas: w.replicas.length } });
    podOwner = { apiVersion, kind: 'ReplicaSet', name: rsName, uid: uid(`${w.namespace}/${rsName}`) };
    podPrefix = rsName;
  } else if (w.kind === 'StatefulSet' || w.kind === 'DaemonSet') {
    add(w.namespace, { apiVersion, kind: w.kind, metadata: meta(w.name, w.namespace, { labels, ...(w.annotations === undefined ? {} : { annotations: w.annotations }) }), spec: { ...(w.kind === 'StatefulSet' ? { replicas: w.replicas.length, serviceName: w.name } : {}), selector: { matchLabels: { 'app.kubernetes.io/name': w.name } }, template } });
    podOwner = { apiVersion, kind: w.kind, name: w.name, uid: uid(`${w.namespace}/${w.name}`) };
  } else if (w.kind === 'CronJob') {
    add(w.namespace, { apiVersion, kind: 'CronJob', metadata: meta(w.name, w.namespace, { labels }), spec: { schedule: w.schedule, concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 3, jobTemplate: { spec: { backoffLimit: 2, template } } }, status: { lastScheduleTime: '2026-11-28T02:15:00Z' } });
    if (w.replicas.length > 0) {
      const jobName = `${w.name}-29409135`;
      add(w.namespace, { apiVersion, kind: 'Job', metadata: meta(jobName, w.namespace, { labels, ownerReferences: [{ apiVersion, kind: 'CronJob', name: w.name, uid: uid(`${w.namespace}/${w.name}`), controller: true, blockOwnerDeletion: true }] }), spec: { backoffLimit: 2, template }, status: { succeeded: 1, startTime: '2026-11-28T02:15:00Z', completionTime: '2026-11-28T02:17:41Z' } });
      podOwner = { apiVersion, kind: 'Job', name: jobName, uid: uid(`${w.namespace}/${jobName}`) };
      podPrefix = jobName;
    }
  }
  w.replicas.forEach((replica, i) => {
    const podName = w.kind === 'Pod' ? w.name : w.kind === 'StatefulSet' ? `${w.name}-${i}` : `${podPrefix}-${hash(`${w.namespace}/${w.name}/${i}`, 5)}`;
    const done = w.kind === 'CronJob';
    const statuses = (init: boolean): Array<Record<string, unknown>> =>
      w.containers
        .filter((c) => (c.init === true) === init)
        .map((c) => {
          const variant = replica.variants?.[c.name] ?? '';
          const digest = cache(replica.node, c.image, variant, variant === '');
          const terminated = init || done;
          return {
            name: c.name,
            image: withTag(c.image).replace(/^docker\.io\/library\//, 'docker.io/library/'),
            imageID: `${repoOf(c.image)}@${digest}`,
            containerID: `containerd://${sha(`${podName}/${c.name}`)}`,
            ready: !terminated,
            restartCount: c.name === 'cart' && variant !== '' ? 2 : 0,
            started: !terminated,
            state: terminated ? { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2026-11-28T02:15:04Z', finishedAt: '2026-11-28T02:17:40Z' } } : { running: { startedAt: '2026-11-20T10:00:00Z' } },
          };
        });
    const init = statuses(true);
    const status: Record<string, unknown> = {
      phase: done ? 'Succeeded' : 'Running',
      hostIP: `10.224.0.${NODES.findIndex((n) => n.name === replica.node) + 4}`,
      podIP: `10.244.${NODES.findIndex((n) => n.name === replica.node)}.${10 + (parseInt(sha(podName).slice(0, 2), 16) % 200)}`,
      qosClass: w.containers.some((c) => c.secure === true) ? 'Burstable' : 'BestEffort',
      startTime: '2026-11-20T09:59:51Z',
      ...(init.length > 0 ? { initContainerStatuses: init } : {}),
      containerStatuses: statuses(false),
    };
    const podLabels = w.kind === 'Deployment' ? { ...labels, 'pod-template-hash': podPrefix.slice(w.name.length + 1) } : labels;
    add(w.namespace, { apiVersion: 'v1', kind: 'Pod', metadata: meta(podName, w.namespace, { labels: podLabels, ...(podOwner === undefined ? {} : { ownerReferences: [{ ...podOwner, controller: true, blockOwnerDeletion: true }] }) }), spec: podSpec(w, replica.node), status });
  });
}

// Every node runs the sandbox image; leftovers are cached but unused.
for (const n of NODES) cache(n.name, PAUSE, '', true);
for (const [node, image, variant] of LEFTOVERS) cache(node, image, variant, true);
// The image the cart tag pointed to before the move is still cached on APPS1 (digest name only).
cache(APPS1, 'ghcr.io/acme/cart:latest', 'previous', false);

const SERVICES: Array<[string, string, string, number[]]> = [
  ['ingress-nginx', 'ingress-nginx-controller', 'LoadBalancer', [80, 443]],
  ['storefront', 'web', 'ClusterIP', [8080]],
  ['storefront', 'cart', 'ClusterIP', [8081]],
  ['payments', 'payments-api', 'ClusterIP', [8443]],
  ['payments', 'redis', 'ClusterIP', [6379]],
  ['data', 'postgres', 'ClusterIP', [5432]],
  ['monitoring', 'grafana', 'NodePort', [3000]],
  ['monitoring', 'prometheus', 'ClusterIP', [9090]],
  ['kube-system', 'kube-dns', 'ClusterIP', [53]],
];
for (const [namespace, name, type, ports] of SERVICES) {
  const selectorName = name === 'kube-dns' ? 'coredns' : name;
  add(namespace, { apiVersion: 'v1', kind: 'Service', metadata: meta(name, namespace), spec: { type, selector: { 'app.kubernetes.io/name': selectorName }, ports: ports.map((p) => ({ name: `p${p}`, port: p, targetPort: p, protocol: 'TCP', ...(type === 'NodePort' ? { nodePort: 30000 + (p % 2000) } : {}) })) } });
}
add('storefront', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('default-deny-ingress', 'storefront'), spec: { podSelector: {}, policyTypes: ['Ingress'] } });
add('storefront', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('allow-ingress-controller', 'storefront'), spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }] } });
add('payments', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('api-from-storefront', 'payments'), spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'payments-api' } }, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'storefront' } } }] }], egress: [{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } } }], ports: [{ port: 6379, protocol: 'TCP' }] }] } });

const NAMESPACES = ['default', 'kube-system', 'ingress-nginx', 'storefront', 'payments', 'data', 'monitoring', 'batch'];
const PSS: Record<string, string> = { storefront: 'restricted', payments: 'baseline', 'kube-system': 'privileged' };
/** PCI scope: payments may only run images from the company registry. */
const NAMESPACE_ANNOTATIONS: Record<string, Record<string, string>> = { payments: { 'runwarden.io/allowed-registries': 'registry.acme.io' } };

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const namespaceDocs = NAMESPACES.map((name) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, uid: uid(`ns/${name}`), creationTimestamp: '2026-06-11T09:05:00Z', ...(NAMESPACE_ANNOTATIONS[name] === undefined ? {} : { annotations: NAMESPACE_ANNOTATIONS[name] }), labels: { 'kubernetes.io/metadata.name': name, ...(PSS[name] === undefined ? {} : { 'pod-security.kubernetes.io/enforce': PSS[name], 'pod-security.kubernetes.io/enforce-version': 'v1.30' }) } },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
}));
writeFileSync(join(OUT, 'namespaces.yaml'), `# kubectl get namespaces -o yaml\n${stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: namespaceDocs }, { aliasDuplicateObjects: false })}`);

// Settings for "runwarden scan --demo --config demo/cluster/.runwarden.yaml" (the snapshot reader skips dotfiles).
writeFileSync(
  join(OUT, '.runwarden.yaml'),
  `# runwarden settings for the demo cluster: a cluster-wide registry allow-list and accepted findings.
# Use: runwarden scan --demo --config demo/cluster/.runwarden.yaml
${stringify({
    allowedRegistries: ['mcr.microsoft.com', 'registry.k8s.io', 'ghcr.io/acme', 'registry.acme.io', 'quay.io/prometheus', 'docker.io/grafana', 'docker.io/library'],
    exceptions: [
      { rules: ['privileged-container', 'host-path', 'host-namespaces'], namespace: 'kube-system', workload: 'DaemonSet/kube-proxy', reason: 'AKS-managed component: the platform ships it privileged; tracked with the vendor in OPS-311', expires: '2027-06-30' },
      { rules: ['missing-resources', 'writable-root-filesystem'], namespace: 'batch', reason: 'batch jobs are sized by the queue; read-only root pending the base image rebuild (OPS-402)', expires: '2027-03-31' },
    ],
  })}`,
);

const nodeDocs = NODES.map((n, i) => {
  const images = [...(nodeUse.get(n.name)?.values() ?? [])].map((e) => {
    const repoNames = [...e.tags].map((t) => `${repoOf(t)}@${e.digest}`);
    const names = [...new Set([...repoNames, ...(repoNames.length === 0 ? [] : []), ...[...e.tags]])];
    const first = [...e.tags][0];
    const fallbackRepo = [...(nodeUse.get(n.name)?.entries() ?? [])].find(([, v]) => v === e)?.[0].split('@')[0] ?? '';
    if (names.length === 0) names.push(`${fallbackRepo}@${e.digest}`);
    const leftover = LEFTOVERS.find(([node, image]) => node === n.name && first !== undefined && withTag(image) === first);
    return { names, sizeBytes: leftover?.[3] ?? sizeOf(first ?? fallbackRepo) };
  });
  images.sort((a, b) => b.sizeBytes - a.sizeBytes);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      uid: uid(`node/${n.name}`),
      creationTimestamp: n.created,
      labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'topology.kubernetes.io/zone': n.zone, 'node.kubernetes.io/instance-type': 'Standard_D4s_v5', agentpool: i === 0 ? 'system' : 'apps', 'kubernetes.azure.com/node-image-version': 'AKSUbuntu-2204gen2containerd-202609.15.0' },
    },
    spec: { providerID: `azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_demo/providers/Microsoft.Compute/virtualMachineScaleSets/aks-${i === 0 ? 'system' : 'apps'}/virtualMachines/${i}`, podCIDR: `10.244.${i}.0/24` },
    status: {
      addresses: [{ type: 'InternalIP', address: `10.224.0.${i + 4}` }, { type: 'Hostname', address: n.name }],
      capacity: { cpu: '4', memory: '16374584Ki', pods: '110', 'ephemeral-storage': '129886128Ki' },
      allocatable: { cpu: '3860m', memory: '12880184Ki', pods: '110', 'ephemeral-storage': '119703055367' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2026-11-28T09:00:00Z', lastTransitionTime: n.created }, ...(n.name === APPS2 ? [{ type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'ephemeral-storage available 8% < 10%', lastHeartbeatTime: '2026-11-28T09:00:00Z', lastTransitionTime: '2026-11-27T22:14:03Z' }] : [])],
      nodeInfo: {
        architecture: 'amd64',
        bootID: uid(`boot/${n.name}`),
        containerRuntimeVersion: 'containerd://1.7.22-1',
        kernelVersion: '5.15.0-1073-azure',
        kubeProxyVersion: 'v1.30.4',
        kubeletVersion: 'v1.30.4',
        machineID: sha(`machine/${n.name}`).slice(0, 32),
        operatingSystem: 'linux',
        osImage: 'Ubuntu 22.04.5 LTS',
        systemUUID: uid(`system/${n.name}`),
      },
      images,
    },
  };
});
writeFileSync(join(OUT, 'nodes.json'), `${JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: nodeDocs }, null, 2)}\n`);
// The control plane's version, as `kubectl version -o json` prints it: the snapshot reader hands it to
// the lifecycle checks (control-plane end of life, kubelet skew). Same minor as the kubelets.
writeFileSync(join(OUT, 'version.json'), `${JSON.stringify({
  clientVersion: { major: '1', minor: '30', gitVersion: 'v1.30.4', platform: 'linux/amd64' },
  kustomizeVersion: 'v5.0.4-0.20230601165947-6ce0bf390ce3',
  serverVersion: { major: '1', minor: '30', gitVersion: 'v1.30.6', gitCommit: '00f20d443ba0cd8ee5e2b4b2aa0b1d1a44d3e00d', gitTreeState: 'clean', buildDate: '2024-10-22T20:28:14Z', goVersion: 'go1.22.8', compiler: 'gc', platform: 'linux/amd64' },
}, null, 2)}\n`);

// RBAC: service accounts, the bootstrap cluster-admin binding (not a finding) and three real mistakes:
// batch's default SA bound to cluster-admin (the nightly CronJob mounts its token), payments' default SA
// reading Secrets, and an on-call group allowed to exec into any pod.
const rbac: Array<Record<string, unknown>> = [];
const sa = (namespace: string, name: string): void => {
  rbac.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, namespace) });
};
for (const ns of ['default', 'kube-system', 'ingress-nginx', 'storefront', 'payments', 'data', 'monitoring', 'batch']) sa(ns, 'default');
for (const w of W.filter((x) => x.namespace === 'kube-system')) sa('kube-system', w.name);
sa('ingress-nginx', 'ingress-nginx');
const clusterMeta = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, uid: uid(`cluster/${name}`), resourceVersion: '4242', creationTimestamp: '2026-06-11T09:05:00Z', ...extra });
const bootstrap = { labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } };
rbac.push(
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: clusterMeta('cluster-admin', bootstrap), rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: clusterMeta('cluster-admin', bootstrap), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }] },
  // kube-system components use the API through their own ClusterRoles (as AKS installs them).
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: clusterMeta('system:coredns'), rules: [{ apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] }, { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: clusterMeta('system:coredns'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' }, subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: clusterMeta('system:node-proxier', bootstrap), rules: [{ apiGroups: [''], resources: ['endpoints', 'services'], verbs: ['list', 'watch'] }, { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }, { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] }, { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: clusterMeta('kubeadm:node-proxier'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node-proxier' }, subjects: [{ kind: 'ServiceAccount', name: 'kube-proxy', namespace: 'kube-system' }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: clusterMeta('system:metrics-server'), rules: [{ apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] }, { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: clusterMeta('system:metrics-server'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:metrics-server' }, subjects: [{ kind: 'ServiceAccount', name: 'metrics-server', namespace: 'kube-system' }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: clusterMeta('ingress-nginx'), rules: [{ apiGroups: [''], resources: ['configmaps', 'endpoints', 'nodes', 'pods', 'secrets', 'namespaces'], verbs: ['list', 'watch'] }, { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: clusterMeta('ingress-nginx'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ingress-nginx' }, subjects: [{ kind: 'ServiceAccount', name: 'ingress-nginx', namespace: 'ingress-nginx' }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: clusterMeta('batch-jobs-admin', { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '' } }), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'batch' }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: clusterMeta('oncall-debug'), rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] }, { apiGroups: [''], resources: ['pods/exec', 'pods/attach'], verbs: ['create'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: clusterMeta('oncall-debug'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'oncall-debug' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'acme:oncall' }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('config-reader', 'payments'), rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('config-reader', 'payments'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'config-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'payments' }] },
);
writeFileSync(join(OUT, 'rbac.yaml'), `# kubectl get serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml\n${stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: rbac }, { aliasDuplicateObjects: false })}`);

// The SBOM fraud-scorer's CI attached, named after its running digest as OCI's referrers tag schema does
// (demo/sboms/sha256-<hex>.cdx.json): `runwarden scan --demo` uses it instead of reading the image
// (which demo/images does not hold) and matches it against demo/advisories.
const SBOM_OUT = join(process.cwd(), 'demo', 'sboms');
rmSync(SBOM_OUT, { recursive: true, force: true });
mkdirSync(SBOM_OUT, { recursive: true });
const debianBase: Array<[string, string, string]> = [
  ['base-files', '12.4+deb12u1', 'base-files'],
  ['libc6', '2.36-9+deb12u1', 'glibc'],
  ['libssl3', '3.0.9-1', 'openssl'],
  ['zlib1g', '1:1.2.13.dfsg-1', 'zlib'],
  ['ca-certificates', '20230311', 'ca-certificates'],
];
function debPurl(name: string, version: string, source: string): string {
  const [epoch, rest] = version.includes(':') ? [version.split(':')[0], version.slice(version.indexOf(':') + 1)] : [undefined, version];
  return `pkg:deb/debian/${name}@${encodeURIComponent(rest ?? version)}?arch=amd64&distro=debian-12${epoch === undefined ? '' : `&epoch=${epoch}`}${source === name ? '' : `&upstream=${source}`}`;
}
function writeSbom(image: string, language: Array<{ name: string; version: string; purl: string }>): void {
  const digest = digestOf(withTag(image), '');
  const components = [
    ...debianBase.map(([name, version, source]) => ({ type: 'library', 'bom-ref': debPurl(name, version, source), name, version, purl: debPurl(name, version, source), properties: [{ name: 'syft:package:sourceName', value: source }] })),
    ...language.map((l) => ({ type: 'library', 'bom-ref': l.purl, name: l.name, version: l.version, purl: l.purl })),
  ];
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${uid(`sbom/${image}`)}`,
    version: 1,
    metadata: {
      timestamp: '2026-10-01T12:00:00Z',
      tools: { components: [{ type: 'application', name: 'acme-ci-sbom', version: '3.2.0' }] },
      component: { type: 'container', 'bom-ref': `${repoOf(image)}@${digest}`, name: repoOf(image), version: digest, purl: `pkg:oci/${repoOf(image).split('/').pop() ?? ''}@${encodeURIComponent(digest)}?repository_url=${encodeURIComponent(repoOf(image))}` },
    },
    components: [{ type: 'operating-system', name: 'debian', version: '12.4', 'bom-ref': 'os:debian@12.4' }, ...components],
  };
  writeFileSync(join(SBOM_OUT, `sha256-${digest.slice('sha256:'.length)}.cdx.json`), `${JSON.stringify(bom, null, 2)}\n`);
}
writeSbom('registry.acme.io/payments/fraud-scorer', [
  { name: 'requests', version: '2.25.0', purl: 'pkg:pypi/requests@2.25.0' },
  { name: 'numpy', version: '1.26.4', purl: 'pkg:pypi/numpy@1.26.4' },
]);

for (const [namespace, docs] of docsByNamespace) {
  const body = docs.map((d) => stringify(d, { aliasDuplicateObjects: false })).join('---\n');
  writeFileSync(join(OUT, `${namespace}.yaml`), `# kubectl get deploy,rs,sts,ds,cronjob,job,pod,svc,netpol -n ${namespace} -o yaml (one document per object)\n${body}`);
}
console.log(`demo written to ${OUT}: ${NODES.length} nodes, ${[...docsByNamespace.values()].flat().filter((d) => d.kind === 'Pod').length} pods, ${NAMESPACES.length} namespaces`);
