import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScanReportJson } from '../../report/json/schema.js';
import { cli } from '../../../test/cli.js';

const TESTDATA = join(process.cwd(), 'src', 'manifests', 'testdata');
const APP = join(TESTDATA, 'app');
const NOW = ['--now', '2026-11-28T12:00:00Z'];

/** Runs `runwarden check …` in-process, as the CLI does. */
const check = (args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) => cli(['check', ...args], { ...opts, stdin: opts.stdin ?? '' });

const json = (text: string): ScanReportJson => ScanReportJson.parse(JSON.parse(text));

describe('runwarden check', () => {
  it('checks a directory of manifests and points each finding at the file and line of the field', async () => {
    const run = await check([APP, '--format', 'json', ...NOW]);
    expect(run.code).toBe(0);
    const report = json(run.stdout);
    const agent = join(APP, 'agent.yaml');
    const privileged = report.findings.find((f) => f.rule === 'privileged-container');
    expect(privileged).toMatchObject({ severity: 'critical', subject: { namespace: 'shop', workload: { kind: 'DaemonSet', name: 'log-agent' } }, location: { file: agent, line: 20, field: 'spec.template.spec.containers[0].securityContext.privileged' } });
    const pss = report.findings.filter((f) => f.rule === 'pod-security' && f.subject.workload?.name === 'log-agent').map((f) => [f.evidence.control, f.severity, f.location?.line]);
    expect(pss).toEqual([
      ['hostNamespaces', 'high', 15],
      ['privileged', 'high', 20],
      ['hostPathVolumes', 'high', 26],
    ]);
    expect(report.findings.find((f) => f.rule === 'host-path')).toMatchObject({ severity: 'critical', location: { line: 27, field: 'spec.template.spec.volumes[0].hostPath.path' } });
    expect(report.findings.find((f) => f.rule === 'exposed-service')).toMatchObject({ severity: 'high', location: { file: join(APP, 'deployment.yaml'), line: 50, field: 'spec.type' } });
    // the hardened Deployment: nothing but its public LoadBalancer Service
    expect(report.findings.filter((f) => f.subject.workload?.name === 'web' && f.subject.workload.kind === 'Deployment')).toEqual([]);
    expect(report.findings.find((f) => f.rule === 'unpinned-image')).toMatchObject({ subject: { workload: { kind: 'CronJob', name: 'backup' } }, location: { file: join(APP, 'list.json'), line: 13 } });
    // no NetworkPolicies or Namespaces among the manifests: isolation and mesh enrolment are reported as unknown
    expect(report.issues.map((i) => i.code)).toEqual(['manifest-unknown-kind', 'network-policies-unknown', 'mesh-namespace-unknown']);
    // said for manifests, not for a cluster read (no kubectl get of a whole cluster, no RBAC grant to ask for)
    expect(report.issues[1]).toMatchObject({ message: 'No NetworkPolicies among the manifests, so pod isolation cannot be evaluated: the network-* checks are skipped', hint: expect.stringMatching(/^Check the NetworkPolicy manifests of these namespaces together with the workloads/) });
  });

  it('prints the table with the location under each finding and exits 1 at --fail-on', async () => {
    const run = await check([APP, '--fail-on', 'high', ...NOW]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`at ${join(APP, 'agent.yaml')}:20 (spec.template.spec.containers[0].securityContext.privileged)`);
    expect(run.stdout).toMatch(/CRITICAL privileged-container +Container agent of DaemonSet log-agent runs privileged/);
  });

  it('writes SARIF with physicalLocation and region.startLine', async () => {
    const run = await check([join(APP, 'agent.yaml'), '-f', 'sarif', ...NOW]);
    const sarif = JSON.parse(run.stdout) as { runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }> };
    const result = sarif.runs[0]?.results.find((r) => r.ruleId === 'privileged-container');
    expect(result?.locations[0]?.physicalLocation).toEqual({ artifactLocation: { uri: join(APP, 'agent.yaml') }, region: { startLine: 20, startColumn: 13 } });
  });

  it('reads rendered Helm output on stdin', async () => {
    const helm = '---\n# Source: chart/templates/debug.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  hostNetwork: true\n  containers:\n    - name: shell\n      image: nicolaka/netshoot\n';
    const run = await check(['-', '-f', 'json', '-n', 'tools', ...NOW], { stdin: helm });
    const report = json(run.stdout);
    expect(report.findings.find((f) => f.rule === 'host-namespaces')).toMatchObject({ subject: { namespace: 'tools', workload: { kind: 'Pod', name: 'debug' } }, location: { file: '<stdin>', line: 8 } });
  });

  it('honours --pss-version and --pss-level over namespace labels and defaults', async () => {
    const tune = 'apiVersion: v1\nkind: Pod\nmetadata: {name: tune}\nspec:\n  securityContext:\n    sysctls: [{name: net.ipv4.tcp_rmem, value: "4096 87380 6291456"}]\n  containers: [{name: a, image: "ghcr.io/a/b:1"}]\n';
    const controls = async (...flags: string[]): Promise<unknown[]> => json((await check(['-', '-f', 'json', ...flags, ...NOW], { stdin: tune })).stdout).findings.filter((f) => f.rule === 'pod-security').map((f) => f.evidence.control);
    expect(await controls('--pss-version', 'v1.31')).toEqual(['sysctls']);
    expect(await controls()).toEqual([]);
    expect(await controls('--pss-level', 'restricted')).toEqual(['allowPrivilegeEscalation', 'runAsNonRoot', 'seccompProfile_restricted', 'capabilities_restricted']);
  });

  it('applies the registry allow-list from the flag and exceptions from the config file; suppressed findings do not fail the gate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-check-'));
    writeFileSync(join(dir, 'rw.yaml'), 'exceptions:\n  - rules: [privileged-container, privilege-escalation, host-path, host-namespaces, pod-security, registry-allow-list]\n    workload: DaemonSet/log-agent\n    reason: "log agent, reviewed SEC-7"\n');
    const run = await check([join(APP, 'agent.yaml'), '--config', join(dir, 'rw.yaml'), '--allowed-registry', 'ghcr.io/acme', '--fail-on', 'high', '-f', 'json', ...NOW]);
    const report = json(run.stdout);
    expect(report.findings.filter((f) => f.suppression !== undefined).map((f) => f.rule).sort()).toEqual(['host-namespaces', 'host-path', 'pod-security', 'pod-security', 'pod-security', 'privilege-escalation', 'privileged-container', 'registry-allow-list']);
    expect(report.findings.find((f) => f.rule === 'registry-allow-list')?.suppression?.reason).toBe('log agent, reviewed SEC-7');
    expect(run.code).toBe(0);
  });

  it('reports a pod template with invalid fields: findings for the rest, an issue for the field, exit 3 for the unparsable document', async () => {
    const run = await check([join(TESTDATA, 'broken'), '-f', 'json', ...NOW]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('runwarden: 2 file(s) or document(s) could not be read or parsed and were not checked (see the issues)\n');
    const report = json(run.stdout);
    expect(report.findings.find((f) => f.rule === 'run-as-root')).toMatchObject({ severity: 'high', subject: { workload: { kind: 'Pod', name: 'ok-pod' } } });
    expect(report.findings.some((f) => f.rule === 'privileged-container')).toBe(false);
    expect(report.issues.map((i) => i.code)).toEqual(['manifest-parse', 'manifest-invalid', 'workload-field-invalid', 'network-policies-unknown', 'rbac-unknown']);
    expect(report.issues[2]?.message).toBe('default/Pod/ok-pod: spec.containers[0].securityContext.privileged: expected boolean, found string "yes"; checked without it');
  });
});

describe('runwarden check on bad input (one line, exit code, the fix)', () => {
  const cases: Array<[string, string[], number, string]> = [
    ['a bad --pss-version', ['--pss-version', '1.30'], 2, 'runwarden: error: Invalid --pss-version "1.30" (flag): expected "latest" or v1.<minor> as in the namespace label, e.g. "v1.30".\n'],
    ['a bad --pss-level', ['--pss-level', 'strict'], 2, 'runwarden: error: Unknown --pss-level "strict": expected one of privileged, baseline, restricted. Did you mean "restricted"?\n'],
    ['a registry with a scheme', ['--allowed-registry', 'https://ghcr.io'], 2, 'runwarden: error: Invalid --allowed-registry "https://ghcr.io" (flag): must not include a URL scheme (write "ghcr.io"). Hint: Give a registry host or repository prefix, e.g. --allowed-registry ghcr.io/acme.\n'],
    ['an unknown format', ['--format', 'sarf'], 2, 'runwarden: error: Unknown --format "sarf": expected one of table, json, sarif, html. Did you mean "sarif"?\n'],
    ['an invalid --namespace', ['-n', 'Team_A'], 2, 'runwarden: error: Invalid --namespace "Team_A" (flag): must be a DNS-1123 label (lowercase letters, digits, "-"), e.g. "default".\n'],
  ];
  it.each(cases)('names the flag and the fix for %s', async (_name, args, code, message) => {
    const run = await check([APP, ...args]);
    expect([run.code, run.stderr, run.stdout]).toEqual([code, message, '']);
  });

  it('names a path that does not exist', async () => {
    const run = await check(['/nonexistent/k8s']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('runwarden: error: Cannot read manifest path "/nonexistent/k8s": ENOENT: no such file or directory, stat \'/nonexistent/k8s\'. Hint: Pass manifest files or directories, or "-" to read from stdin (e.g. helm template … | runwarden check -).\n');
  });

  it('fails closed on empty stdin (a failed render step)', async () => {
    const run = await check(['-'], { stdin: '' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^runwarden: error: No Kubernetes objects to check in stdin\. Hint: .*helm template, kustomize build\) failed\.\n$/);
  });

  it('names an unknown check in a config exception, with the closest id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-check-'));
    writeFileSync(join(dir, 'rw.yaml'), 'exceptions:\n  - rules: [hostpath]\n    reason: legacy\n');
    const run = await check([APP, '--config', join(dir, 'rw.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^runwarden: error: Unknown rule "hostpath" in exceptions\[0\]\.rules \(config file .*rw\.yaml\); did you mean "host-path"\? Hint: Rule ids: /);
  });

  it('names an exception without a reason in the config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-check-'));
    writeFileSync(join(dir, 'rw.yaml'), 'exceptions:\n  - rules: [host-path]\n');
    const run = await check([APP, '--config', join(dir, 'rw.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^runwarden: error: Invalid "exceptions\.0\.reason" in config file .*rw\.yaml: undefined — /);
  });
});
