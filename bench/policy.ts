/**
 * bench/policy — issue #7 "Performance": every registered check over the 30,000-pod benchmark
 * snapshot of bench/inventory (1,000 nodes, ~2,650 workloads), topped up to 2,000 NetworkPolicies
 * and 1,000 Istio PeerAuthentications. Target: all checks (including exceptions and the summary)
 * in under 3 s on this machine.
 *
 * Run: `npm run bench -- policy` (compiled) or `npx tsx bench/policy.ts`. Flags: `--runs N`
 * (default 3; median and the largest peak RSS are reported).
 *
 * The snapshot is generated and read once (not timed). Each run builds a fresh inventory from the
 * same raw objects (not timed: per-inventory caches start cold), then times `scanInventory` with
 * every check (after one warm-up pass for the JIT), and each check alone. Baseline, measured in the same run: one pass over every pod's
 * containers reading their securityContext — the least any per-pod check has to do.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Inventory } from '../src/core/inventory.js';
import { buildInventory } from '../src/inventory/build.js';
import { snapshotSource } from '../src/inventory/sources/snapshot/index.js';
import type { SourceResult } from '../src/inventory/source.js';
import { DEFAULT_SANDBOX_IMAGES } from '../src/policy/images.js';
import { CHECKS } from '../src/policy/registry.js';
import { scanInventory } from '../src/scan/index.js';
import { generate } from './inventory.js';
import { parseRuns } from './lib/args.js';

const TARGET_MS = 3000;
const NETWORK_POLICIES = 2000;
const PEER_AUTHENTICATIONS = 1000;
const NOW = new Date('2026-12-01T00:00:00Z');
/** A realistic allow-list, so registry-allow-list does its work (the fixture's bitnami/elastic/mongo images fall outside it). */
const POLICY = { allowedRegistries: ['*.dkr.ecr.*.amazonaws.com', 'registry.k8s.io', 'quay.io/prometheus', 'cr.fluentbit.io', 'docker.io/library', 'docker.io/istio'] };

type Json = Record<string, unknown>;

/** Extra NetworkPolicies and PeerAuthentications, spread over the generated namespaces, deterministic. */
function extraPolicies(namespaces: string[], existingPolicies: number): { networkPolicies: Json[]; peerAuthentications: Json[] } {
  const networkPolicies: Json[] = [];
  const ports = [8080, 8443, 9090, 5432, 6379];
  for (let i = 0; networkPolicies.length + existingPolicies < NETWORK_POLICIES; i++) {
    const namespace = namespaces[i % namespaces.length] ?? 'default';
    const app = `app-${i % 37}`;
    networkPolicies.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `allow-${app}-${i}`, namespace },
      spec: {
        podSelector: { matchLabels: { app } },
        policyTypes: i % 3 === 0 ? ['Ingress', 'Egress'] : ['Ingress'],
        ingress: [
          {
            from: [
              { podSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['payments', 'search', 'checkout'] }] } },
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespaces[(i + 7) % namespaces.length] ?? 'default' } } },
              { ipBlock: { cidr: '10.0.0.0/8', except: ['10.96.0.0/12'] } },
            ],
            ports: [{ protocol: 'TCP', port: ports[i % ports.length] }, { protocol: 'TCP', port: 30000, endPort: 30100 }],
          },
        ],
        ...(i % 3 === 0 ? { egress: [{ to: [{ namespaceSelector: {} }], ports: [{ protocol: 'UDP', port: 53 }] }] } : {}),
      },
    });
  }
  const peerAuthentications: Json[] = [{ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } }];
  for (let i = 1; peerAuthentications.length < PEER_AUTHENTICATIONS; i++) {
    const namespace = namespaces[i % namespaces.length] ?? 'default';
    const modes = ['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET'];
    peerAuthentications.push({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: `pa-${i}`, namespace },
      spec: {
        ...(i % 4 === 0 ? {} : { selector: { matchLabels: { app: `app-${i % 37}` } } }),
        mtls: { mode: modes[i % modes.length] },
        ...(i % 5 === 0 ? { portLevelMtls: { '8080': { mode: 'PERMISSIVE' } } } : {}),
      },
    });
  }
  return { networkPolicies, peerAuthentications };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** The floor: every pod's containers and their securityContext, read once. */
function baseline(inventory: Inventory): number {
  let privileged = 0;
  for (const pod of inventory.pods) {
    const spec = (pod.raw as { spec?: { containers?: Array<{ securityContext?: { privileged?: boolean } }> } }).spec;
    for (const c of spec?.containers ?? []) if (c.securityContext?.privileged === true) privileged++;
  }
  return privileged;
}

export async function main(): Promise<void> {
  const { runs } = parseRuns(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'runwarden-bench-policy-'));
  try {
    const genStart = performance.now();
    await generate(dir);
    const first = await snapshotSource({ path: dir }).load({});
    const namespaces = first.objects.Namespace.map((n) => n.metadata.name);
    const extra = extraPolicies(namespaces, first.objects.NetworkPolicy.length);
    await writeFile(join(dir, 'zz-network-policies.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: extra.networkPolicies }));
    await writeFile(join(dir, 'zz-peer-authentications.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: extra.peerAuthentications }));
    const raw: SourceResult = await snapshotSource({ path: dir }).load({});
    const sample = buildInventory(raw);
    console.log(`bench/policy: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s)`);
    console.log(`snapshot in ${seconds(performance.now() - genStart)}: ${sample.nodes.length} nodes, ${sample.pods.length} pods, ${sample.workloads.length} workloads, ${sample.namespaces.length} namespaces, ${sample.services.length} services, ${sample.networkPolicies.length} NetworkPolicies, ${sample.peerAuthentications.length} PeerAuthentications`);
    console.log(`checks: ${CHECKS.map((c) => c.id).join(', ')}`);

    // Warm-up (not counted): the first pass pays JIT compilation of every check.
    scanInventory(buildInventory(raw), { sandboxImages: DEFAULT_SANDBOX_IMAGES, now: NOW, policy: POLICY });
    const total: number[] = [];
    const cpu: number[] = [];
    const floor: number[] = [];
    const perCheck = new Map<string, number[]>();
    let findings = 0;
    let byRule: Record<string, number> = {};
    for (let r = 0; r < runs; r++) {
      let inventory = buildInventory(raw);
      let t = performance.now();
      baseline(inventory);
      floor.push(performance.now() - t);
      t = performance.now();
      const cpuStart = process.cpuUsage();
      const report = scanInventory(inventory, { sandboxImages: DEFAULT_SANDBOX_IMAGES, now: NOW, policy: POLICY });
      total.push(performance.now() - t);
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1000);
      findings = report.findings.length;
      byRule = report.summary.byRule;
      for (const check of CHECKS) {
        // Each check alone on a cold inventory: what it costs when it is the only one that runs.
        inventory = buildInventory(raw);
        t = performance.now();
        check.run(inventory, { sandboxImages: DEFAULT_SANDBOX_IMAGES, now: NOW, policy: POLICY });
        const list = perCheck.get(check.id) ?? [];
        list.push(performance.now() - t);
        perCheck.set(check.id, list);
      }
    }
    const ms = median(total);
    const base = median(floor);
    const rss = process.resourceUsage().maxRSS * 1024;
    console.log('');
    console.log(`baseline (one pass over every pod's containers): ${seconds(base)}`);
    console.log(`runwarden: all ${CHECKS.length} checks + exceptions + summary: ${seconds(ms)} wall, ${seconds(median(cpu))} CPU (median of ${runs}, after one warm-up run)`);
    console.log('  each check alone, on a cold inventory (includes reading the ~2,650 pod templates once, ~0.15 s):');
    for (const [id, list] of [...perCheck.entries()].sort((a, b) => median(b[1]) - median(a[1]))) console.log(`    ${id.padEnd(26)} ${seconds(median(list))}`);
    console.log(`ratio runwarden/baseline: ×${(ms / Math.max(base, 0.001)).toFixed(1)}; peak RSS ${mib(rss)} (whole process: generation, parse, inventory, checks)`);
    console.log(`findings: ${findings} (${Object.entries(byRule).map(([rule, n]) => `${rule} ${n}`).join(', ')})`);
    const ok = ms < TARGET_MS;
    console.log(`${ok ? 'PASS' : 'FAIL'} all checks ${seconds(ms)} < ${seconds(TARGET_MS)}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
