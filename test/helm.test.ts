/**
 * deploy/helm/runwarden: rendered with `helm template` (scripts/helm-template.sh: the real helm when it is on
 * PATH, else the built-in renderer of scripts/helm-template/ over Debian's Go text/template + sprig), parsed,
 * its objects asserted, and the output checked by runwarden's own `check`: no unsuppressed high or critical
 * finding. The node agent's two unavoidable findings (host-path: the CRI socket; run-as-root: the socket is
 * root:root 0660) are exemptions declared on its pod template with their reason, asserted here one by one.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { auditCommand } from '../src/cli/commands/audit.js';
import { cleanCommand } from '../src/cli/commands/clean.js';
import { dbCommand } from '../src/cli/commands/db.js';
import { loadVulnDbConfig } from '../src/vulndb/config.js';
import { serveCommand } from '../src/cli/commands/serve.js';
import type { CliContext } from '../src/cli/context.js';
import { packageRoot } from '../src/paths.js';
import { cli } from './cli.js';
import { findExecutable, requireComponent, requireComponentsInCi } from './components.js';
import { lastingTmpdir } from './tmp-root.js';

const ROOT = packageRoot();
const CHART = join(ROOT, 'deploy', 'helm', 'runwarden');
const SCRIPT = join(ROOT, 'scripts', 'helm-template.sh');
/** Where scripts/helm-template.sh keeps the compiled renderer between runs. */
const CACHE = join(lastingTmpdir(), 'runwarden-helm-template-cache');
const GO_PACKAGES = ['github.com/Masterminds/sprig', 'github.com/Masterminds/semver', 'gopkg.in/yaml.v3', 'gopkg.in/yaml.v2'];
const DEBIAN_PACKAGES = 'golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev golang-gopkg-yaml.v2-dev';

/** The built-in renderer needs go and Debian's Go sources of sprig, semver and YAML. */
function builtinRendererMissing(): string | undefined {
  const noGo = requireComponent(`Go for scripts/helm-template (${DEBIAN_PACKAGES})`, ['go']);
  if (noGo !== undefined) return noGo;
  const absent = GO_PACKAGES.filter((p) => !existsSync(join('/usr/share/gocode/src', p)));
  if (absent.length === 0) return undefined;
  const reason = `skipped: Go packages for scripts/helm-template not installed (${absent.join(', ')}; apt-get install ${DEBIAN_PACKAGES})`;
  if (requireComponentsInCi()) throw new Error(`${reason} — RUNWARDEN_REQUIRE_COMPONENTS=1 requires them`);
  return reason;
}

const builtinMissing = builtinRendererMissing();
/** The chart renders with the real helm when it is on PATH (scripts/helm-template.sh prefers it), else with the built-in renderer. */
const missing = findExecutable('helm') !== undefined && process.env.RUNWARDEN_HELM_TEMPLATE !== 'builtin' ? undefined : builtinMissing;
const run = promisify(execFile);

/** Parsed manifests are walked field by field; the assertions check the shapes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: Yaml;
}

interface Rendered {
  text: string;
  objects: K8sObject[];
  sources: string[];
}

const RELEASE_NAMESPACE = 'runwarden';

async function render(...sets: string[]): Promise<Rendered> {
  return renderRelease('rw', sets);
}

async function renderRelease(release: string, sets: string[]): Promise<Rendered> {
  const args = [SCRIPT, release, CHART, '--namespace', RELEASE_NAMESPACE, ...sets.flatMap((s) => ['--set', s])];
  const { stdout } = await run('bash', args, {
    env: { ...process.env, RUNWARDEN_HELM_TEMPLATE_CACHE: CACHE },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 240_000,
  });
  // YAML 1.1, as Kubernetes reads manifests (0440 is octal there).
  const docs = parseAllDocuments(stdout, { version: '1.1' });
  for (const d of docs) expect(d.errors.map((e) => e.message)).toEqual([]);
  const objects = docs.map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
  const sources = [...stdout.matchAll(/^# Source: (\S+)$/gm)].map((m) => m[1]!);
  return { text: stdout, objects, sources };
}

async function renderError(...sets: string[]): Promise<string> {
  try {
    await render(...sets);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  throw new Error(`rendering with ${sets.join(' ')} succeeded; expected a refusal`);
}

function one(r: Rendered, kind: string, name: string): K8sObject {
  const found = r.objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0]!;
}

function names(r: Rendered, kind: string): string[] {
  return r.objects.filter((o) => o.kind === kind).map((o) => o.metadata.name).sort();
}

interface Finding {
  rule: string;
  severity: string;
  title: string;
  subject: { namespace?: string; workload?: { kind: string; name: string } };
  suppression?: { kind: string; reason: string };
}

let scratch: string;

/** `runwarden check` on the rendered output, as a user would pipe `helm template`; the namespace without labels at restricted. */
async function check(r: Rendered): Promise<{ code: number; findings: Finding[] }> {
  const file = join(scratch, `rendered-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, r.text);
  const result = await cli(['check', file, '--fail-on', 'high', '--pss-level', 'restricted', '--format', 'json']);
  expect(result.stderr).toBe('');
  return { code: result.code, findings: (JSON.parse(result.stdout) as { findings: Finding[] }).findings };
}

const highOrCritical = (f: Finding): boolean => f.severity === 'high' || f.severity === 'critical';

function expectNoUnsuppressedHigh(findings: Finding[]): void {
  expect(findings.filter((f) => highOrCritical(f) && f.suppression === undefined).map((f) => `${f.rule}: ${f.title}`)).toEqual([]);
}

function suppressed(findings: Finding[]): string[] {
  return findings
    .filter((f) => f.suppression !== undefined)
    .map((f) => `${f.subject.workload?.kind}/${f.subject.workload?.name} ${f.rule} ${f.severity}`)
    .sort();
}

function podSpec(o: K8sObject): Yaml {
  return o.spec.template.spec;
}

interface Container {
  name: string;
  args?: string[];
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  [key: string]: Yaml;
}

function containersOf(o: K8sObject): Container[] {
  return podSpec(o).containers as Container[];
}

function volumesOf(o: K8sObject): Array<{ name: string; [key: string]: Yaml }> {
  return podSpec(o).volumes as Array<{ name: string }>;
}

function args(o: K8sObject): string[] {
  return podSpec(o).containers[0].args as string[];
}

async function plainManifest(file: string): Promise<K8sObject[]> {
  return parseAllDocuments(await readFile(join(ROOT, 'deploy', file), 'utf8'), { version: '1.1' }).map((d) => d.toJS() as K8sObject);
}

describe.skipIf(missing !== undefined)(`the Helm chart${missing === undefined ? '' : ` (${missing})`}`, () => {
  let defaults: Rendered;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'runwarden-helm-'));
    // The first render may compile the built-in renderer (cached by source hash afterwards).
    defaults = await render();
  }, 300_000);

  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('renders the default objects in Helm install order, each with its # Source', () => {
    const order = defaults.objects.map((o) => o.kind);
    expect(order[0]).toBe('Namespace');
    expect(order.at(-1)).toBe('Deployment');
    expect(order.indexOf('ServiceAccount')).toBeLessThan(order.indexOf('ClusterRole'));
    expect(order.indexOf('RoleBinding')).toBeLessThan(order.indexOf('DaemonSet'));
    expect(defaults.sources).toHaveLength(defaults.objects.length);
    expect(new Set(defaults.sources)).toEqual(
      new Set(['runwarden/templates/node-agent/daemonset.yaml', 'runwarden/templates/node-agent/namespace.yaml', 'runwarden/templates/node-agent/rbac.yaml', 'runwarden/templates/serve/deployment.yaml', 'runwarden/templates/serve/rbac.yaml', 'runwarden/templates/serve/service.yaml', 'runwarden/templates/serve/storage.yaml']),
    );
    expect(names(defaults, 'Deployment')).toEqual(['rw-runwarden-serve']);
    expect(names(defaults, 'DaemonSet')).toEqual(['rw-runwarden-node-agent']);
    expect(names(defaults, 'ServiceAccount')).toEqual(['rw-runwarden', 'rw-runwarden-node-agent']);
    expect(names(defaults, 'ClusterRole')).toEqual(['rw-runwarden-reader']);
    expect(names(defaults, 'Role')).toEqual(['rw-runwarden-leader-election', 'rw-runwarden-node-agent-report-writer', 'rw-runwarden-node-report-reader']);
    expect(names(defaults, 'NetworkPolicy')).toEqual(['default-deny', 'rw-runwarden-node-agent', 'rw-runwarden-serve']);
    expect(names(defaults, 'PersistentVolumeClaim')).toEqual(['rw-runwarden-history']);
    // sized for a first scan of a large cluster with its images read (values.yaml persistence.size)
    expect(one(defaults, 'PersistentVolumeClaim', 'rw-runwarden-history').spec).toMatchObject({ resources: { requests: { storage: '4Gi' } } });
    // serve holds the last scan while the next runs: sized for two scans of a large cluster with its images read
    const serve = containersOf(one(defaults, 'Deployment', 'rw-runwarden-serve')).find((c) => c.name === 'serve');
    expect(serve?.resources).toMatchObject({ limits: { memory: '3584Mi' } });
    expect(serve?.env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=3072' });
    expect(names(defaults, 'Secret')).toEqual([]); // the token Secret is the user's (NOTES.txt says how)
    expect(names(defaults, 'PodDisruptionBudget')).toEqual([]);
    for (const o of defaults.objects) {
      if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toMatch(/^runwarden(-node)?$/);
    }
  });

  it('runs serve as one replica on SQLite with leader election on a Lease the Role limits to get/update', () => {
    const deployment = one(defaults, 'Deployment', 'rw-runwarden-serve');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const a = args(deployment);
    expect(a.slice(0, 2)).toEqual(['serve', '--in-cluster']);
    expect(a).toContain('--leader-elect');
    expect(a[a.indexOf('--leader-election-name') + 1]).toBe('rw-runwarden-serve');
    expect(a[a.indexOf('--leader-election-namespace') + 1]).toBe(RELEASE_NAMESPACE);
    expect(a[a.indexOf('--store') + 1]).toBe('/var/lib/runwarden/history.db');
    expect(a[a.indexOf('--token-file') + 1]).toBe('/etc/runwarden/tokens/tokens');
    const env = podSpec(deployment).containers[0].env as Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
    expect(env.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(env.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');

    const role = one(defaults, 'Role', 'rw-runwarden-leader-election');
    expect(role.metadata.namespace).toBe(RELEASE_NAMESPACE);
    expect(role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['rw-runwarden-serve'], verbs: ['get', 'update'] },
    ]);
    const binding = one(defaults, 'RoleBinding', 'rw-runwarden-leader-election');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rw-runwarden', namespace: RELEASE_NAMESPACE }]);
  });

  it('grants least privilege: read-only inventory (the rules of deploy/clusterrole.yaml), no secrets, no wildcards', async () => {
    const plain = (await plainManifest('clusterrole.yaml')).find((o) => o.kind === 'ClusterRole')!;
    expect(one(defaults, 'ClusterRole', 'rw-runwarden-reader').rules).toEqual(plain.rules);
    for (const o of defaults.objects.filter((x) => x.kind === 'ClusterRole' || x.kind === 'Role')) {
      for (const rule of o.rules as Array<{ verbs: string[]; resources: string[]; apiGroups: string[] }>) {
        expect([...rule.verbs, ...rule.resources, ...rule.apiGroups], `${o.kind}/${o.metadata.name}`).not.toContain('*');
        expect(rule.resources, `${o.kind}/${o.metadata.name}`).not.toContain('secrets');
        if (o.kind === 'ClusterRole') expect(rule.verbs).toEqual(['get', 'list', 'watch']);
      }
    }
    expect(one(defaults, 'Role', 'rw-runwarden-node-agent-report-writer').rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'update'] }]);
    expect(one(defaults, 'Role', 'rw-runwarden-node-report-reader').metadata.namespace).toBe('runwarden-node');
    expect(one(defaults, 'RoleBinding', 'rw-runwarden-node-report-reader').subjects).toEqual([{ kind: 'ServiceAccount', name: 'rw-runwarden', namespace: RELEASE_NAMESPACE }]);
    for (const sa of defaults.objects.filter((o) => o.kind === 'ServiceAccount')) expect(sa.automountServiceAccountToken).toBe(false);
  });

  it('gives serve the restricted Pod Security context and every container requests and limits', () => {
    const pod = podSpec(one(defaults, 'Deployment', 'rw-runwarden-serve'));
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    for (const workload of defaults.objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')) {
      for (const c of podSpec(workload).containers as Array<{ name: string; resources: { requests: Record<string, string>; limits: Record<string, string> } }>) {
        expect(Object.keys(c.resources.requests).sort(), c.name).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources.limits).sort(), c.name).toEqual(['cpu', 'memory']);
      }
    }
  });

  it('deploys the node agent of deploy/node-agent: same arguments, only the socket file read-only, in a namespace of its own', async () => {
    const plain = (await plainManifest('node-agent/daemonset.yaml'))[0]!;
    const agent = one(defaults, 'DaemonSet', 'rw-runwarden-node-agent');
    expect(agent.metadata.namespace).toBe('runwarden-node');
    expect(args(agent)).toEqual(args(plain));
    expect(podSpec(agent).containers[0].securityContext).toEqual(podSpec(plain).containers[0].securityContext);
    expect(podSpec(agent).containers[0].resources).toEqual(podSpec(plain).containers[0].resources);
    expect(podSpec(agent).volumes).toEqual((podSpec(plain).volumes as Array<{ name: string; configMap?: unknown }>).map((v) => (v.configMap === undefined ? v : { name: v.name, configMap: { name: 'rw-runwarden-node-agent' } })));
    const socketMount = (podSpec(agent).containers[0].volumeMounts as Array<{ name: string; readOnly?: boolean }>).find((m) => m.name === 'cri-socket');
    expect(socketMount?.readOnly).toBe(true);
    const ns = one(defaults, 'Namespace', 'runwarden-node');
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/audit': 'baseline' });
    const exclude = one(defaults, 'ConfigMap', 'rw-runwarden-node-agent').data['exclude.txt'] as string;
    expect(exclude.split('\n')).toEqual(expect.arrayContaining(['registry.k8s.io/*', 'registry.example.com/runwarden-node-agent:*']));
  });

  it('nodeAgent.only=eol: the agent removes only unused images past end of life, with flags clean has; other values are refused', async () => {
    const agent = one(await render('nodeAgent.only=eol'), 'DaemonSet', 'rw-runwarden-node-agent');
    const argv = args(agent);
    expect(argv.slice(argv.indexOf('--only'), argv.indexOf('--only') + 2)).toEqual(['--only', 'eol']);
    expect(args(one(await render(), 'DaemonSet', 'rw-runwarden-node-agent'))).not.toContain('--only');
    const help = (await cli(['clean', '--help'])).stdout;
    expect(help).toContain('--only <filter>');
    expect(await renderError('nodeAgent.only=stale')).toMatch(/nodeAgent\.only/);
  });

  it('nodeAgent.only=vulnerable: the agent judges by a database a vulndb container beside it updates (as uid 65532), the feeds open in its policy', async () => {
    const r = await render('nodeAgent.only=vulnerable', 'vulnerabilities.mirrors[0].source=osv', 'vulnerabilities.mirrors[0].url=https://mirror.internal/npm/all.zip');
    const agent = one(r, 'DaemonSet', 'rw-runwarden-node-agent');
    const [main, vulndb] = containersOf(agent);
    const argv = main?.args ?? [];
    expect(argv.slice(argv.indexOf('--only'), argv.indexOf('--only') + 4)).toEqual(['--only', 'vulnerable', '--db', '/var/lib/runwarden-vulndb/runwarden.db']);
    const ctx: CliContext = { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: ROOT, exitCode: 0 };
    const clean = cleanCommand(ctx).exitOverride();
    expect(clean.parseOptions(argv.slice(1))).toEqual({ operands: [], unknown: [] });
    expect(vulndb?.name).toBe('vulndb');
    expect(vulndb?.args).toEqual(['db', 'update', '--db', '/var/lib/runwarden-vulndb/runwarden.db', '--every', '6h', '--config', '/etc/runwarden/vulndb/vulndb.yaml']);
    // the pod runs as root for the socket; the updater does not
    expect(podSpec(agent).securityContext.runAsUser).toBe(0);
    expect(vulndb?.securityContext).toMatchObject({ runAsUser: 65532, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(volumesOf(agent).filter((v) => v.name.startsWith('vulndb')).map((v) => v.name)).toEqual(['vulndb', 'vulndb-tmp', 'vulndb-config']);
    const config = one(r, 'ConfigMap', 'rw-runwarden-node-agent-vulndb');
    expect(config.metadata.namespace).toBe('runwarden-node');
    expect(config.data['vulndb.yaml']).toBe('mirrors:\n- source: osv\n  url: https://mirror.internal/npm/all.zip\n');
    const egress = one(r, 'NetworkPolicy', 'rw-runwarden-node-agent').spec.egress as unknown[];
    expect(egress.at(-1)).toEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }], ports: [{ port: 443, protocol: 'TCP' }] });
    const checked = await check(r);
    expectNoUnsuppressedHigh(checked.findings);
    // the plain patches of deploy/node-agent/optional/ add the same (without the chart's mirrors ConfigMap)
    const ops = parse(await readFile(join(ROOT, 'deploy', 'node-agent', 'optional', 'only-vulnerable.yaml'), 'utf8')) as Array<{ path: string; value: unknown }>;
    const added = (suffix: string): unknown[] => ops.filter((o) => o.path.endsWith(suffix)).map((o) => o.value);
    expect(added('/containers/0/args/-')).toEqual(argv.slice(argv.indexOf('--only'), argv.indexOf('--only') + 4));
    const sidecar = one(await render('nodeAgent.only=vulnerable'), 'DaemonSet', 'rw-runwarden-node-agent');
    const chartVulndb = containersOf(sidecar)[1];
    const plainVulndb = added('/spec/template/spec/containers/-')[0] as Container;
    for (const key of ['name', 'args', 'env', 'resources', 'securityContext', 'volumeMounts']) expect(chartVulndb?.[key], `vulndb ${key}`).toEqual(plainVulndb[key]);
    expect(added('/volumes/-')).toEqual(volumesOf(sidecar).filter((v) => v.name.startsWith('vulndb')));
    const egressOps = parse(await readFile(join(ROOT, 'deploy', 'node-agent', 'optional', 'only-vulnerable-egress.yaml'), 'utf8')) as Array<{ value: unknown }>;
    expect(egressOps.map((o) => o.value)).toEqual([egress.at(-1)]);
    // without it: no updater, no --db, and the policy as before
    const plain = one(defaults, 'DaemonSet', 'rw-runwarden-node-agent');
    expect(containersOf(plain).map((c) => c.name)).toEqual(['agent']);
    expect(one(defaults, 'NetworkPolicy', 'rw-runwarden-node-agent').spec.egress).toHaveLength(2);
  });

  it('nodeAgent.hostPackages: the arguments, mounts and volumes of deploy/node-agent/optional/host-packages-*.yaml; refused without publishReport', async () => {
    for (const kind of ['dpkg', 'rpm'] as const) {
      const agent = one(await render(`nodeAgent.hostPackages=${kind}`), 'DaemonSet', 'rw-runwarden-node-agent');
      const ops = parse(await readFile(join(ROOT, 'deploy', 'node-agent', 'optional', `host-packages-${kind}.yaml`), 'utf8')) as Array<{ path: string; value: unknown }>;
      const added = (suffix: string): unknown[] => ops.filter((o) => o.path.endsWith(suffix)).map((o) => o.value);
      expect(args(agent).filter((a: string) => a.startsWith('--host-root'))).toEqual(added('/args/-'));
      const mounts = (podSpec(agent).containers[0].volumeMounts as Array<{ name: string; mountPath: string; readOnly?: boolean }>).filter((m) => m.mountPath.startsWith('/host/'));
      const volumes = (podSpec(agent).volumes as Array<{ name: string; hostPath?: unknown }>).filter((v) => mounts.some((m) => m.name === v.name));
      // the same host paths, mount points and types as the plain patch (the chart names its volumes its own way)
      const shape = (ms: Array<{ name: string; mountPath: string; readOnly?: boolean }>, vs: Array<{ name: string; hostPath?: unknown }>): unknown[] => ms.map((m) => ({ mountPath: m.mountPath, readOnly: m.readOnly, hostPath: vs.find((v) => v.name === m.name)?.hostPath }));
      expect(shape(mounts, volumes)).toEqual(shape(added('/volumeMounts/-') as Array<{ name: string; mountPath: string; readOnly?: boolean }>, added('/volumes/-') as Array<{ name: string; hostPath?: unknown }>));
      expect(agent.spec.template.metadata.annotations['runwarden.io/exempt-reason']).toContain(`plus os-release and the ${kind} package database, read-only`);
    }
    expect(await renderError('nodeAgent.hostPackages=dpkg', 'nodeAgent.publishReport=false')).toContain('nodeAgent.hostPackages needs nodeAgent.publishReport');
    expect(await renderError('nodeAgent.hostPackages=apk')).toMatch(/nodeAgent\.hostPackages/);
  });

  it('renders, for a release named runwarden, the objects of the plain manifests in deploy/', async () => {
    const r = await renderRelease('runwarden', []);
    const plainServe = (await plainManifest('serve/deployment.yaml'))[0]!;
    const serve = one(r, 'Deployment', 'runwarden-serve');
    // Every plain argument, in order; the chart adds explicit defaults (--notify-severity) and the Lease name.
    const chartArgs = args(serve);
    let at = 0;
    for (const a of args(plainServe)) {
      at = chartArgs.indexOf(a, at);
      expect(at, `serve argument ${a}`).toBeGreaterThanOrEqual(0);
    }
    expect(chartArgs[chartArgs.indexOf('--leader-election-name') + 1]).toBe('runwarden-serve');
    for (const key of ['volumes', 'securityContext', 'serviceAccountName', 'terminationGracePeriodSeconds']) expect(podSpec(serve)[key], key).toEqual(podSpec(plainServe)[key]);
    const [chartContainer, plainContainer] = [podSpec(serve).containers[0], podSpec(plainServe).containers[0]];
    for (const key of ['image', 'resources', 'ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'volumeMounts']) {
      const strip = (x: Yaml): Yaml => (key.endsWith('Probe') ? { ...x, httpGet: { ...x.httpGet, scheme: undefined } } : x);
      expect(strip(chartContainer[key]), key).toEqual(strip(plainContainer[key]));
    }
    expect(chartContainer.securityContext).toMatchObject(plainContainer.securityContext);
    expect(chartContainer.env).toEqual(plainContainer.env);
    // the vulndb container that keeps serve's vulnerability database up to date
    const [chartVulndb, plainVulndb] = [containersOf(serve)[1], containersOf(plainServe)[1]];
    expect([chartVulndb?.name, plainVulndb?.name]).toEqual(['vulndb', 'vulndb']);
    for (const key of ['image', 'args', 'env', 'resources', 'volumeMounts']) expect(chartVulndb?.[key], `vulndb ${key}`).toEqual(plainVulndb?.[key]);
    expect(chartVulndb?.securityContext).toMatchObject(plainVulndb?.securityContext as object);
    expect(serve.spec.strategy).toEqual(plainServe.spec.strategy);

    const plainLease = await plainManifest('serve/rbac-leader-election.yaml');
    expect(one(r, 'Role', 'runwarden-leader-election').rules).toEqual(plainLease.find((o) => o.kind === 'Role')!.rules);
    expect(one(r, 'RoleBinding', 'runwarden-leader-election').subjects).toEqual(plainLease.find((o) => o.kind === 'RoleBinding')!.subjects);
    const plainService = (await plainManifest('serve/service.yaml'))[0]!;
    expect(one(r, 'Service', 'runwarden-serve').spec.ports).toEqual(plainService.spec.ports);

    const plainAgent = (await plainManifest('node-agent/daemonset.yaml'))[0]!;
    const agent = one(r, 'DaemonSet', 'runwarden-node-agent');
    expect(agent.spec.template.metadata.annotations).toEqual(plainAgent.spec.template.metadata.annotations);
    const { containers: agentContainers, ...agentPod } = podSpec(agent);
    const { containers: plainAgentContainers, ...plainAgentPod } = podSpec(plainAgent);
    expect(agentPod).toEqual(plainAgentPod);
    expect(agentContainers).toEqual(plainAgentContainers);
    const plainRbac = await plainManifest('node-agent/rbac.yaml');
    for (const role of plainRbac.filter((o) => o.kind === 'Role')) {
      const name = role.metadata.name === 'runwarden-node-report-writer' ? 'runwarden-node-agent-report-writer' : role.metadata.name;
      expect(one(r, 'Role', name).rules, name).toEqual(role.rules);
    }
    const plainExclude = (await plainManifest('node-agent/configmap.yaml'))[0]!.data['exclude.txt'] as string;
    const chartExclude = (one(r, 'ConfigMap', 'runwarden-node-agent').data['exclude.txt'] as string).split('\n');
    for (const line of plainExclude.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) expect(chartExclude, line).toContain(line);
    const plainPolicies = await plainManifest('node-agent/networkpolicy.yaml');
    expect(one(r, 'NetworkPolicy', 'runwarden-node-agent').spec.egress).toEqual(plainPolicies.find((o) => o.metadata.name === 'runwarden-node-agent')!.spec.egress);
    expect(one(r, 'NetworkPolicy', 'default-deny').spec).toEqual(plainPolicies.find((o) => o.metadata.name === 'default-deny')!.spec);
    const plainServePolicy = (await plainManifest('serve/networkpolicy.yaml')).find((o) => o.metadata.name === 'runwarden-serve')!;
    const servePolicy = one(r, 'NetworkPolicy', 'runwarden-serve');
    expect(servePolicy.spec.ingress).toEqual(plainServePolicy.spec.ingress);
    // The plain policy also opens 5432 (PostgreSQL via an edited --store); the chart only with postgresql.enabled.
    expect(servePolicy.spec.egress[0]).toEqual(plainServePolicy.spec.egress[0]);
    // the feeds and registries: 443 anywhere but the metadata address, in both
    const lastRule = (policy: K8sObject): unknown => (policy.spec.egress as unknown[]).at(-1);
    expect(lastRule(servePolicy)).toEqual(lastRule(plainServePolicy));
    expect(lastRule(servePolicy)).toEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }], ports: [{ port: 443, protocol: 'TCP' }] });
  });

  it('passes runwarden serve and runwarden clean only options they define, with the values meant', async () => {
    const ctx: CliContext = { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: ROOT, exitCode: 0 };
    const everything = await render(
      'postgresql.enabled=true', 'postgresql.existingSecret=pg', 'tls.enabled=true', 'tls.secretName=tls', 'serve.kubeEvents=true',
      'serve.webhook.url=https://hooks.example/runwarden', 'serve.webhook.secretName=hook', 'serve.namespaces={team-a,team-b}', 'nodeAgent.apply=false',
    );
    for (const r of [defaults, everything]) {
      const serveArgs = args(one(r, 'Deployment', 'rw-runwarden-serve'));
      expect(serveArgs[0]).toBe('serve');
      const serve = serveCommand(ctx).exitOverride();
      expect(serve.parseOptions(serveArgs.slice(1))).toEqual({ operands: [], unknown: [] });
      expect(serve.opts()).toMatchObject({ inCluster: true, host: '0.0.0.0', port: '8080', tokenFile: '/etc/runwarden/tokens/tokens', interval: '1h', retain: '90d', grace: '30s', leaderElect: true, leaderElectionNamespace: RELEASE_NAMESPACE, leaderElectionName: 'rw-runwarden-serve', db: '/var/lib/runwarden-vulndb/runwarden.db' });
      const vulndbArgs = containersOf(one(r, 'Deployment', 'rw-runwarden-serve'))[1]?.args ?? [];
      expect(vulndbArgs.slice(0, 2)).toEqual(['db', 'update']);
      const update = dbCommand(ctx).commands.find((c) => c.name() === 'update')!.exitOverride();
      expect(update.parseOptions(vulndbArgs.slice(2))).toEqual({ operands: [], unknown: [] });
      expect(update.opts()).toMatchObject({ db: '/var/lib/runwarden-vulndb/runwarden.db', every: '6h' });
      const agentArgs = args(one(r, 'DaemonSet', 'rw-runwarden-node-agent'));
      expect(agentArgs[0]).toBe('clean');
      const clean = cleanCommand(ctx).exitOverride();
      expect(clean.parseOptions(agentArgs.slice(1))).toEqual({ operands: [], unknown: [] });
      expect(clean.opts()).toMatchObject({ cri: 'unix:///run/containerd/containerd.sock', publishReport: true, olderThan: '7d', maxRemovals: '100' });
    }
    const serve = serveCommand(ctx).exitOverride();
    serve.parseOptions(args(one(everything, 'Deployment', 'rw-runwarden-serve')).slice(1));
    expect(serve.opts()).toMatchObject({ store: '$(RUNWARDEN_STORE)', tlsCert: '/etc/runwarden/tls/tls.crt', tlsKey: '/etc/runwarden/tls/tls.key', kubeEvents: true, webhookUrl: 'https://hooks.example/runwarden', webhookSecretFile: '/etc/runwarden/webhook/secret', namespace: ['team-a', 'team-b'] });
    const clean = cleanCommand(ctx).exitOverride();
    clean.parseOptions(args(one(everything, 'DaemonSet', 'rw-runwarden-node-agent')).slice(1));
    expect(clean.opts().apply).toBeUndefined();
  });

  it('passes runwarden check: no unsuppressed high finding; the node agent exemptions are exactly host-path and run-as-root, with the reason', async () => {
    const { code, findings } = await check(defaults);
    expect(code).toBe(0);
    expectNoUnsuppressedHigh(findings);
    expect(suppressed(findings)).toEqual(['DaemonSet/rw-runwarden-node-agent host-path critical', 'DaemonSet/rw-runwarden-node-agent host-path high', 'DaemonSet/rw-runwarden-node-agent run-as-root high']);
    for (const f of findings.filter((x) => x.suppression !== undefined)) {
      expect(f.suppression?.kind).toBe('annotation');
      expect(f.suppression?.reason).toContain("container runtime's CRI socket");
    }
    expect(findings.find((f) => f.rule === 'host-path' && f.suppression !== undefined)?.title).toContain('/run/containerd/containerd.sock read-only');
    // serve meets restricted: no Pod Security finding at all on the Deployment.
    expect(findings.filter((f) => f.subject.workload?.kind === 'Deployment' && f.rule === 'pod-security')).toEqual([]);
  });

  it('with PostgreSQL: two replicas with leader election, rolling updates, no volume, the URL only from the Secret', async () => {
    const r = await render('postgresql.enabled=true', 'postgresql.existingSecret=runwarden-pg');
    const deployment = one(r, 'Deployment', 'rw-runwarden-serve');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    expect(args(deployment)[args(deployment).indexOf('--store') + 1]).toBe('$(RUNWARDEN_STORE)');
    expect(args(deployment)).toContain('--leader-elect');
    const store = (podSpec(deployment).containers[0].env as Array<{ name: string; valueFrom?: unknown }>).find((e) => e.name === 'RUNWARDEN_STORE');
    expect(store?.valueFrom).toEqual({ secretKeyRef: { name: 'runwarden-pg', key: 'url' } });
    expect((podSpec(deployment).volumes as Array<{ name: string }>).map((v) => v.name)).toEqual(['tokens', 'tmp', 'vulndb', 'vulndb-tmp']);
    expect(names(r, 'PersistentVolumeClaim')).toEqual([]);
    expect(one(r, 'PodDisruptionBudget', 'rw-runwarden-serve').spec.minAvailable).toBe(1);
    expect(podSpec(deployment).affinity.podAntiAffinity).toBeDefined();
    const egressPorts = (one(r, 'NetworkPolicy', 'rw-runwarden-serve').spec.egress as Array<{ ports: Array<{ port: number }> }>).flatMap((e) => e.ports.map((p) => p.port));
    expect(egressPorts).toContain(5432);
    const { code, findings } = await check(r);
    expect(code).toBe(0);
    expectNoUnsuppressedHigh(findings);
  });

  it('with TLS: the certificate from a Secret, HTTPS probes, an https service port', async () => {
    const r = await render('tls.enabled=true', 'tls.secretName=runwarden-tls');
    const deployment = one(r, 'Deployment', 'rw-runwarden-serve');
    const a = args(deployment);
    expect(a[a.indexOf('--tls-cert') + 1]).toBe('/etc/runwarden/tls/tls.crt');
    expect(a[a.indexOf('--tls-key') + 1]).toBe('/etc/runwarden/tls/tls.key');
    const container = podSpec(deployment).containers[0];
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) expect(container[probe].httpGet.scheme, probe).toBe('HTTPS');
    expect(podSpec(deployment).volumes).toContainEqual({ name: 'tls', secret: { secretName: 'runwarden-tls', defaultMode: 0o440 } });
    expect(one(r, 'Service', 'rw-runwarden-serve').spec.ports[0].name).toBe('https');
    const { code, findings } = await check(r);
    expect(code).toBe(0);
    expectNoUnsuppressedHigh(findings);
  });

  it('without leader election: one replica, no Lease Role, no --leader-elect', async () => {
    const r = await render('leaderElection.enabled=false', 'replicaCount=1');
    const deployment = one(r, 'Deployment', 'rw-runwarden-serve');
    expect(deployment.spec.replicas).toBe(1);
    expect(args(deployment).filter((x) => x.startsWith('--leader'))).toEqual([]);
    expect(names(r, 'Role')).toEqual(['rw-runwarden-node-agent-report-writer', 'rw-runwarden-node-report-reader']);
    expect(names(r, 'RoleBinding')).not.toContain('rw-runwarden-leader-election');
    const { code, findings } = await check(r);
    expect(code).toBe(0);
    expectNoUnsuppressedHigh(findings);
  });

  it('with a socket group: the agent runs non-root, and only host-path remains exempted', async () => {
    const r = await render('nodeAgent.socketGroup=4242', 'nodeAgent.auditLogHostPath=');
    const agent = one(r, 'DaemonSet', 'rw-runwarden-node-agent');
    expect(podSpec(agent).securityContext).toMatchObject({ runAsUser: 65532, runAsNonRoot: true, supplementalGroups: [4242] });
    expect(agent.spec.template.metadata.annotations['runwarden.io/exempt']).toBe('host-path');
    expect((podSpec(agent).volumes as Array<{ name: string }>).find((v) => v.name === 'audit')).toEqual({ name: 'audit', emptyDir: { sizeLimit: '64Mi' } });
    const { code, findings } = await check(r);
    expect(code).toBe(0);
    expectNoUnsuppressedHigh(findings);
    expect(suppressed(findings)).toEqual(['DaemonSet/rw-runwarden-node-agent host-path critical']);
    expect(findings.filter((f) => f.rule === 'run-as-root')).toEqual([]);
  });

  it('creates the token Secret from hashes only, and rolls the pods when it changes', async () => {
    const hash = `sha256:${'ab'.repeat(32)}`;
    const r = await render(`apiTokens.hashes[0].hash=${hash}`, 'apiTokens.hashes[0].name=grafana', 'serve.kubeEvents=true');
    expect(one(r, 'Secret', 'rw-runwarden-api-tokens').stringData.tokens).toBe(`${hash} grafana\n`);
    expect(one(r, 'Deployment', 'rw-runwarden-serve').spec.template.metadata.annotations['checksum/api-tokens']).toMatch(/^[0-9a-f]{64}$/);
    expect(one(r, 'ClusterRole', 'rw-runwarden-event-writer').rules).toEqual([{ apiGroups: [''], resources: ['events'], verbs: ['create'] }]);
    expect(args(one(r, 'Deployment', 'rw-runwarden-serve'))).toContain('--kube-events');
  });

  it('optionally adds a ServiceMonitor and the Grafana dashboard of deploy/serve', async () => {
    const r = await render('metrics.serviceMonitor.enabled=true', 'grafanaDashboard.enabled=true', 'grafanaDashboard.namespace=monitoring');
    const monitor = one(r, 'ServiceMonitor', 'rw-runwarden-serve');
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', scheme: 'http', interval: '1m', scrapeTimeout: '30s' }]);
    expect(monitor.spec.selector.matchLabels).toEqual(one(r, 'Service', 'rw-runwarden-serve').spec.selector);
    const dashboard = one(r, 'ConfigMap', 'rw-runwarden-grafana-dashboard');
    expect(dashboard.metadata.namespace).toBe('monitoring');
    expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
    expect(JSON.parse(dashboard.data['runwarden.json'] as string)).toEqual(JSON.parse(await readFile(join(ROOT, 'deploy', 'serve', 'grafana-dashboard.json'), 'utf8')));
    expect(names(defaults, 'ConfigMap')).toEqual(['rw-runwarden-node-agent']);
  });

  it('with admission: the webhook of deploy/admission (port, path, certificate, failure policy), flags serve defines, no high finding', async () => {
    const r = await render('admission.enabled=true', 'admission.deny={unpinned-image}', 'admission.ignore={missing-resources}');
    const deployment = one(r, 'Deployment', 'rw-runwarden-serve');
    const serve = serveCommand({ stdout: process.stdout, stderr: process.stderr, env: {}, cwd: ROOT, exitCode: 0 }).exitOverride();
    expect(serve.parseOptions(args(deployment).slice(1))).toEqual({ operands: [], unknown: [] });
    expect(serve.opts()).toMatchObject({ admissionPort: '8443', admissionTlsCert: '/etc/runwarden/admission-tls/tls.crt', admissionTlsKey: '/etc/runwarden/admission-tls/tls.key', failureMode: 'open', vulnSeverity: 'critical', deny: ['unpinned-image'], ignore: ['missing-resources'] });
    expect(podSpec(deployment).volumes).toContainEqual({ name: 'admission-tls', secret: { secretName: 'rw-runwarden-admission-tls', defaultMode: 0o440 } });
    expect(podSpec(deployment).containers[0].ports).toContainEqual({ name: 'admission', containerPort: 8443, protocol: 'TCP' });
    expect(one(r, 'Service', 'rw-runwarden-serve').spec.ports).toContainEqual({ name: 'admission', port: 8443, targetPort: 'admission', protocol: 'TCP' });
    expect(one(r, 'Certificate', 'rw-runwarden-admission').spec).toMatchObject({ secretName: 'rw-runwarden-admission-tls', dnsNames: ['rw-runwarden-serve.runwarden.svc', 'rw-runwarden-serve.runwarden.svc.cluster.local'] });
    const webhook = one(r, 'ValidatingWebhookConfiguration', 'rw-runwarden');
    expect(webhook.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe('runwarden/rw-runwarden-admission');
    // the same webhook as the plain manifests, but for the names of the release
    const [plain] = await plainManifest('admission/webhook.yaml');
    const named = (o: K8sObject): Yaml => ({ ...o.webhooks[0], clientConfig: { service: { ...o.webhooks[0].clientConfig.service, name: 'x', namespace: 'x' } }, namespaceSelector: undefined });
    expect(named(webhook)).toEqual(named(plain as K8sObject));
    expect(webhook.webhooks[0].namespaceSelector.matchExpressions[0].values).toEqual(['runwarden', 'kube-system']);
    const ingressPorts = (one(r, 'NetworkPolicy', 'rw-runwarden-serve').spec.ingress as Array<{ ports: Array<{ port: number }> }>).flatMap((i) => i.ports.map((p) => p.port));
    expect(ingressPorts).toContain(8443);
    const { code, findings } = await check(r);
    expect(code).toBe(0);
    expectNoUnsuppressedHigh(findings);
    // closed: the API server refuses too when the webhook is unreachable
    const closed = await render('admission.enabled=true', 'admission.failureMode=closed', 'admission.certManager=false', 'admission.tlsSecretName=hook-tls', 'admission.caBundle=Q0E=');
    expect(one(closed, 'ValidatingWebhookConfiguration', 'rw-runwarden').webhooks[0]).toMatchObject({ failurePolicy: 'Fail', clientConfig: { caBundle: 'Q0E=' } });
    expect(names(closed, 'Certificate')).toEqual([]);
    expect(podSpec(one(closed, 'Deployment', 'rw-runwarden-serve')).volumes).toContainEqual({ name: 'admission-tls', secret: { secretName: 'hook-tls', defaultMode: 0o440 } });
    expect(serve.opts().admissionClientCa).toBeUndefined();
    // the API server authenticated by its client certificate: the CA's Secret mounted where the flag reads it
    const mtls = one(await render('admission.enabled=true', 'admission.clientCaSecretName=apiserver-client-ca'), 'Deployment', 'rw-runwarden-serve');
    const mtlsPod = podSpec(mtls);
    const mtlsServe = serveCommand({ stdout: process.stdout, stderr: process.stderr, env: {}, cwd: ROOT, exitCode: 0 }).exitOverride();
    expect(mtlsServe.parseOptions(args(mtls).slice(1))).toEqual({ operands: [], unknown: [] });
    expect(mtlsServe.opts().admissionClientCa).toBe('/etc/runwarden/admission-client-ca/ca.crt');
    expect(mtlsPod.volumes).toContainEqual({ name: 'admission-client-ca', secret: { secretName: 'apiserver-client-ca', defaultMode: 0o440 } });
    expect(mtlsPod.containers[0].volumeMounts).toContainEqual({ name: 'admission-client-ca', mountPath: '/etc/runwarden/admission-client-ca', readOnly: true });
  });

  it('with audit: audit serve as in deploy/audit (port, probes, volumes, resources), flags it defines, no high finding', async () => {
    const r = await render('audit.enabled=true', 'audit.tlsSecretName=audit-tls', 'audit.tokensSecretName=audit-tokens', 'audit.webhook.url=https://hooks.example/audit', 'audit.webhook.secretName=hook', 'audit.secretReaders={system:serviceaccount:cert-manager:cert-manager}', 'audit.disable={write-role-created}');
    const deployment = one(r, 'Deployment', 'rw-runwarden-audit');
    const argv = args(deployment);
    expect(argv.slice(0, 2)).toEqual(['audit', 'serve']);
    const audit = auditCommand({ stdout: process.stdout, stderr: process.stderr, env: {}, cwd: ROOT, exitCode: 0 });
    const serve = audit.commands.find((c) => c.name() === 'serve')!.exitOverride();
    expect(serve.parseOptions(argv.slice(2))).toEqual({ operands: [], unknown: [] });
    expect(serve.opts()).toMatchObject({ host: '0.0.0.0', port: '8444', tlsCert: '/etc/runwarden/tls/tls.crt', tlsKey: '/etc/runwarden/tls/tls.key', tokenFile: '/etc/runwarden/tokens/tokens', minSeverity: 'medium', repeatWindow: '1h', webhookUrl: 'https://hooks.example/audit', webhookSecretFile: '/etc/runwarden/webhook/secret', secretReader: ['system:serviceaccount:cert-manager:cert-manager'], disable: ['write-role-created'] });
    // the same pod as the plain manifest, but for the release's names and the chart's extra flags
    const plain = (await plainManifest('audit/deployment.yaml')).find((o) => o.kind === 'Deployment')!;
    const container = podSpec(deployment).containers[0];
    const plainContainer = podSpec(plain).containers[0];
    for (const field of ['ports', 'livenessProbe', 'readinessProbe', 'resources', 'env']) expect(container[field], field).toEqual(plainContainer[field]);
    expect(podSpec(deployment).automountServiceAccountToken).toBe(false);
    expect(podSpec(deployment).volumes).toContainEqual({ name: 'tls', secret: { secretName: 'audit-tls', defaultMode: 0o440 } });
    expect(podSpec(deployment).volumes).toContainEqual({ name: 'tokens', secret: { secretName: 'audit-tokens', defaultMode: 0o440 } });
    expect(one(r, 'Service', 'rw-runwarden-audit').spec.ports).toEqual([{ name: 'audit', port: 8444, targetPort: 'audit', protocol: 'TCP' }]);
    // reachable under a namespace default-deny, as the plain manifest's policy
    const policy = one(r, 'NetworkPolicy', 'rw-runwarden-audit');
    const plainPolicy = (await plainManifest('audit/deployment.yaml')).find((o) => o.kind === 'NetworkPolicy')!;
    expect(policy.spec.ingress).toEqual(plainPolicy.spec.ingress);
    expect(policy.spec.egress).toEqual(plainPolicy.spec.egress);
    expect((policy.spec.podSelector as { matchLabels: Record<string, string> }).matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(names(await render('audit.enabled=true', 'audit.tlsSecretName=audit-tls', 'audit.tokensSecretName=audit-tokens', 'networkPolicy.enabled=false'), 'NetworkPolicy')).not.toContain('rw-runwarden-audit');
    const { code, findings } = await check(r);
    expect(code).toBe(0);
    expectNoUnsuppressedHigh(findings);
    // client certificates instead of tokens
    const mtls = await render('audit.enabled=true', 'audit.tlsSecretName=audit-tls', 'audit.clientCaSecretName=apiserver-ca');
    const mtlsArgs = args(one(mtls, 'Deployment', 'rw-runwarden-audit'));
    expect(mtlsArgs).toContain('--client-ca');
    expect(mtlsArgs).not.toContain('--token-file');
    expect(names(defaults, 'Deployment')).not.toContain('rw-runwarden-audit');
    expect(await renderError('audit.enabled=true')).toContain('audit.enabled needs audit.tlsSecretName');
    expect(await renderError('audit.enabled=true', 'audit.tlsSecretName=t')).toContain('audit.enabled needs audit.tokensSecretName');
    expect(await renderError('audit.enabled=true', 'audit.tlsSecretName=t', 'audit.tokensSecretName=k', 'audit.webhook.url=https://x')).toContain('audit.webhook.url needs audit.webhook.secretName');
    expect(await renderError('audit.repeatWindow=soon')).toMatch(/audit\.repeatWindow/);
  });

  it('vulnerabilities: serve matches against the database its vulndb container updates; mirrors, registry credentials; off: neither', async () => {
    const on = one(defaults, 'Deployment', 'rw-runwarden-serve');
    expect(containersOf(on).map((c) => c.name)).toEqual(['serve', 'vulndb']);
    const mounts = (c: Container | undefined): string[] => (c?.volumeMounts ?? []).map((m) => `${m.name}:${m.mountPath}${m.readOnly === true ? ':ro' : ''}`);
    expect(mounts(containersOf(on)[0])).toContain('vulndb:/var/lib/runwarden-vulndb');
    expect(mounts(containersOf(on)[1])).toEqual(['vulndb:/var/lib/runwarden-vulndb', 'vulndb-tmp:/tmp']);
    expect(volumesOf(on).filter((v) => v.name.startsWith('vulndb'))).toEqual([
      { name: 'vulndb', emptyDir: { sizeLimit: '8Gi' } },
      { name: 'vulndb-tmp', emptyDir: { sizeLimit: '2Gi' } },
    ]);
    expect(names(defaults, 'ConfigMap')).not.toContain('rw-runwarden-vulndb');

    const mirrored = await render('vulnerabilities.mirrors[0].source=osv', 'vulnerabilities.mirrors[0].url=https://mirror.internal/npm/all.zip', 'vulnerabilities.mirrors[0].name=npm', 'vulnerabilities.dockerConfigSecret=regcred', 'vulnerabilities.updateInterval=12h');
    const serve = one(mirrored, 'Deployment', 'rw-runwarden-serve');
    const vulndb = containersOf(serve)[1];
    expect(vulndb?.args).toEqual(['db', 'update', '--db', '/var/lib/runwarden-vulndb/runwarden.db', '--every', '12h', '--config', '/etc/runwarden/vulndb/vulndb.yaml']);
    expect(mounts(vulndb)).toContain('vulndb-config:/etc/runwarden/vulndb:ro');
    // the ConfigMap is a config db update reads, and the pods roll when it changes
    const dir = await mkdtemp(join(tmpdir(), 'rw-helm-vulndb-'));
    await writeFile(join(dir, 'vulndb.yaml'), one(mirrored, 'ConfigMap', 'rw-runwarden-vulndb').data['vulndb.yaml'] as string);
    expect((await loadVulnDbConfig(join(dir, 'vulndb.yaml'))).mirrors).toEqual([{ source: 'osv', url: 'https://mirror.internal/npm/all.zip', name: 'npm' }]);
    await rm(dir, { recursive: true, force: true });
    expect(serve.spec.template.metadata.annotations['checksum/vulndb-config']).toMatch(/^[0-9a-f]{64}$/);
    const serveArgs = args(serve);
    expect(serveArgs.slice(serveArgs.indexOf('--docker-config'), serveArgs.indexOf('--docker-config') + 2)).toEqual(['--docker-config', '/etc/runwarden/docker/.dockerconfigjson']);
    expect(mounts(containersOf(serve)[0])).toContain('docker-config:/etc/runwarden/docker:ro');
    expect(volumesOf(serve).find((v) => v.name === 'docker-config')).toEqual({ name: 'docker-config', secret: { secretName: 'regcred', defaultMode: 288 } });
    expectNoUnsuppressedHigh((await check(mirrored)).findings);

    const off = await render('vulnerabilities.enabled=false');
    const plain = one(off, 'Deployment', 'rw-runwarden-serve');
    expect(containersOf(plain).map((c) => c.name)).toEqual(['serve']);
    expect(args(plain)).not.toContain('--db');
    expect(volumesOf(plain).map((v) => v.name)).not.toContain('vulndb');
    expect(one(off, 'NetworkPolicy', 'rw-runwarden-serve').spec.egress).toHaveLength(2);
    // values.schema.json: a feed of another source, a duration in words
    expect(await renderError('vulnerabilities.mirrors[0].source=nvd', 'vulnerabilities.mirrors[0].url=https://x/y')).toMatch(/vulnerabilities\.mirrors\.0\.source/);
    expect(await renderError('vulnerabilities.updateInterval=6 hours')).toMatch(/vulnerabilities\.updateInterval/);
  });

  it('refuses unsafe or incomplete values with a one-line reason', async () => {
    expect(await renderError('admission.enabled=true', 'admission.certManager=false')).toContain('admission.enabled without admission.certManager needs admission.tlsSecretName');
    expect(await renderError('admission.failureMode=half')).toMatch(/admission\.failureMode/);
    expect(await renderError('replicaCount=2')).toContain('replicaCount 2 needs postgresql.enabled=true');
    expect(await renderError('replicaCount=2', 'postgresql.enabled=true', 'postgresql.existingSecret=pg', 'leaderElection.enabled=false')).toContain('replicaCount 2 needs leaderElection.enabled=true');
    expect(await renderError('postgresql.enabled=true')).toContain('postgresql.enabled needs postgresql.existingSecret');
    expect(await renderError('tls.enabled=true')).toContain('tls.enabled needs tls.secretName');
    expect(await renderError('nodeAgent.namespace=runwarden')).toContain('nodeAgent.namespace must differ from the release namespace');
    // values.schema.json: a raw token instead of its hash, an unknown key, a wrong type.
    expect(await renderError('apiTokens.hashes[0].hash=my-secret-token')).toMatch(/apiTokens\.hashes\.0\.hash.*pattern/i);
    expect(await renderError('nodeAgent.socketgroup=4242')).toMatch(/socketgroup/);
    expect(await renderError('replicaCount=two')).toMatch(/replicaCount/);
  });
});

/**
 * The built-in renderer itself (scripts/helm-template/), on a small chart that uses each Helm feature it
 * claims: Helm's value typing (float64 from files, int64 from --set), coalescing with null deletion, toYaml in
 * sigs.k8s.io/yaml style, include/tpl/required, the built-in objects, install order, --show-only, the schema,
 * the kubeVersion constraint and one-line refusals of what it does not support.
 */
describe.skipIf(builtinMissing !== undefined)(`scripts/helm-template (the built-in renderer)${builtinMissing === undefined ? '' : ` (${builtinMissing})`}`, () => {
  let chart: string;

  async function builtin(args: string[]): Promise<string> {
    const { stdout } = await run('bash', [SCRIPT, 'demo', chart, ...args], {
      env: { ...process.env, RUNWARDEN_HELM_TEMPLATE: 'builtin', RUNWARDEN_HELM_TEMPLATE_CACHE: CACHE },
      timeout: 240_000,
    });
    return stdout;
  }

  async function builtinError(args: string[]): Promise<string> {
    try {
      await builtin(args);
    } catch (error) {
      return String((error as { stderr?: string }).stderr ?? error);
    }
    throw new Error(`rendering with ${args.join(' ')} succeeded; expected an error`);
  }

  beforeAll(async () => {
    chart = await mkdtemp(join(tmpdir(), 'runwarden-helm-fixture-'));
    const files: Record<string, string> = {
      'Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: "9.9"\nkubeVersion: ">=1.28.0-0"\n',
      'values.yaml': 'n: 2\nm:\n  b: 1\n  a: [x, y]\nnested:\n  keep: 1\n  drop: 2\n',
      'values.schema.json': JSON.stringify({ type: 'object', properties: { n: { type: ['integer', 'string'] }, m: { type: 'object' } } }),
      'files/extra.txt': 'from .Files\n',
      'templates/_helpers.tpl': '{{- define "demo.name" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}\n',
      'templates/a.yaml': [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: {{ include "demo.name" . }}',
        '  namespace: {{ .Release.Namespace }}',
        'data:',
        '  n: {{ .Values.n | quote }}',
        '  type: {{ kindOf .Values.n | quote }}',
        '  yaml: |',
        '    {{- toYaml .Values.m | nindent 4 }}',
        '  tpl: {{ tpl "{{ .Release.Service }}/{{ .Values.n }}" . | quote }}',
        '  caps: {{ printf "%s.%s %t" .Capabilities.KubeVersion.Major .Capabilities.KubeVersion.Minor (.Capabilities.APIVersions.Has "coordination.k8s.io/v1") | quote }}',
        '  chart: {{ printf "%s %s %s %s" .Chart.Name .Chart.Version .Chart.AppVersion .Template.Name | quote }}',
        '  missing: "{{ .Values.nothing }}"',
        '  nested: {{ toJson .Values.nested | quote }}',
        '  file: {{ .Files.Get "files/extra.txt" | trim | quote }}',
        '',
      ].join('\n'),
      'templates/b.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n---\n# a comment only\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n',
      'templates/NOTES.txt': '{{ required "NOTES.txt needs .Values.n" .Values.n }}\n',
      'templates/ignored.txt': 'not a manifest\n',
    };
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(chart, name, '..'), { recursive: true });
      await writeFile(join(chart, name), text);
    }
    // Compiles the renderer when this block runs alone (cached by source hash afterwards).
    const { stdout } = await run('bash', [SCRIPT, '--help'], { env: { ...process.env, RUNWARDEN_HELM_TEMPLATE: 'builtin', RUNWARDEN_HELM_TEMPLATE_CACHE: CACHE }, timeout: 280_000 });
    expect(stdout).toMatch(/^usage: helm-template \[NAME\] CHART/);
  }, 300_000);

  afterAll(async () => {
    if (chart !== undefined) await rm(chart, { recursive: true, force: true });
  });

  it('renders the documents in install order with # Source, values typed and coalesced as Helm does', async () => {
    const out = await builtin(['--namespace', 'team']);
    const sources = [...out.matchAll(/^# Source: (\S+)$/gm)].map((m) => m[1]);
    const kinds = parseAllDocuments(out).map((d) => (d.toJS() as K8sObject | null)?.kind ?? '(comments only)');
    expect(kinds.map((kind, i) => `${kind} ${sources[i]}`)).toEqual([
      'Namespace demo/templates/b.yaml',
      'ServiceAccount demo/templates/b.yaml',
      'ConfigMap demo/templates/a.yaml',
      '(comments only) demo/templates/b.yaml', // kept, last, as Helm keeps a non-empty document without a kind
    ]);
    const cm = parseAllDocuments(out).map((d) => d.toJS() as K8sObject | null).find((o) => o?.kind === 'ConfigMap')!;
    expect(cm.metadata).toEqual({ name: 'demo-demo', namespace: 'team' });
    expect(cm.data).toEqual({
      n: '2',
      type: 'float64', // values files go through JSON in Helm: numbers are float64
      yaml: 'a:\n- x\n- "y"\nb: 1\n', // YAML 1.1 like sigs.k8s.io/yaml: y would be a boolean
      tpl: 'Helm/2',
      caps: '1.30 true',
      chart: 'demo 1.2.3 9.9 demo/templates/a.yaml',
      missing: '',
      nested: '{"drop":2,"keep":1}',
      file: 'from .Files',
    });
  });

  it('applies -f files (null deletes), --set (typed, list indexes) and --set-string, in that order', async () => {
    const override = join(chart, '..', `override-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(override, 'nested:\n  drop: null\nn: 5\n');
    try {
      const out = await builtin(['-f', override, '--set', 'm.a[2]=z,m.c=true', '--show-only', 'templates/a.yaml']);
      const cm = parseAllDocuments(out)[0]!.toJS() as K8sObject;
      expect(cm.data.nested).toBe('{"keep":1}');
      expect(cm.data.yaml).toBe('a:\n- x\n- "y"\n- z\nb: 1\nc: true\n');
      expect(cm.data.n).toBe('5');
      expect(out.match(/^# Source: /gm)).toHaveLength(1);
      expect((parseAllDocuments(await builtin(['--set', 'n=3']))[2]!.toJS() as K8sObject).data.type).toBe('int64');
      expect((parseAllDocuments(await builtin(['--set-string', 'n=3']))[2]!.toJS() as K8sObject).data.type).toBe('string');
    } finally {
      await rm(override, { force: true });
    }
  });

  it('refuses what Helm refuses, and what it does not support, in one line', async () => {
    expect(await builtinError(['--kube-version', 'v1.27.3'])).toContain('chart requires kubeVersion: >=1.28.0-0 which is incompatible with Kubernetes v1.27.3');
    expect(await builtinError(['--set', 'n=null'])).toContain('execution error at (demo/templates/NOTES.txt:1:3): NOTES.txt needs .Values.n');
    expect(await builtinError(['--set', 'm=flat'])).toContain('- m: Invalid type. Expected: object, given: string');
    expect(await builtinError(['--output-dir', '/tmp/x'])).toContain('flag --output-dir is not supported by this renderer');
    expect(await builtinError(['--set', 'novalue'])).toContain('expected key=value');
    expect(await builtinError(['--show-only', 'templates/nope.yaml'])).toContain('could not find template templates/nope.yaml');
  });
});
