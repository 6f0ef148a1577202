/**
 * Agreement with Polaris and kube-score on the checks runwarden shares with them, on their own test
 * manifests (testdata/upstream/workload-config). Each case is a manifest file with the other tool's
 * verdict (Polaris: success/failure; kube-score: grade); runwarden's verdict is whether its rule
 * reports the same problem. The agreement per check and every disagreement are pinned here and
 * explained in docs/CONFORMANCE.md: a change in behaviour shows up as a failing test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { buildInventory } from '../../inventory/build.js';
import { readManifests } from '../../manifests/index.js';
import { scanInventory } from '../../scan/index.js';
import type { PssLevel } from '../pss/version.js';

const ROOT = join(process.cwd(), 'testdata', 'upstream', 'workload-config');
const NOW = new Date('2026-11-28T12:00:00Z');

type Verdict = 'pass' | 'fail';
interface Mapping {
  /** The runwarden rule compared. */
  rule: string;
  /** True when runwarden reports the problem the other tool's check is about. */
  fails: (findings: Finding[]) => boolean;
  pssLevel?: PssLevel;
}

const by = (rule: string, test: (f: Finding) => boolean = () => true) => (findings: Finding[]): boolean => findings.some((f) => f.rule === rule && test(f));
const missing = (item: string) => by('missing-resources', (f) => (f.evidence.missing as string[]).includes(item));
const control = (id: string) => by('pod-security', (f) => f.evidence.control === id);
const hostNs = (ns: string) => by('host-namespaces', (f) => f.evidence.namespace === ns);

const POLARIS: Record<string, Mapping> = {
  runAsPrivileged: { rule: 'privileged-container', fails: by('privileged-container', (f) => (f.evidence.settings as string[]).includes('privileged: true')) },
  runAsRootAllowed: { rule: 'run-as-root', fails: by('run-as-root') },
  privilegeEscalationAllowed: { rule: 'privilege-escalation', fails: by('privilege-escalation') },
  dangerousCapabilities: { rule: 'added-capabilities', fails: by('added-capabilities', (f) => (f.evidence.dangerous as string[]).length > 0) },
  insecureCapabilities: { rule: 'pod-security (capabilities_restricted)', fails: control('capabilities_restricted'), pssLevel: 'restricted' },
  notReadOnlyRootFilesystem: { rule: 'writable-root-filesystem', fails: by('writable-root-filesystem') },
  hostIPCSet: { rule: 'host-namespaces', fails: hostNs('hostIPC') },
  hostPIDSet: { rule: 'host-namespaces', fails: hostNs('hostPID') },
  hostNetworkSet: { rule: 'host-namespaces', fails: hostNs('hostNetwork') },
  hostPathSet: { rule: 'host-path', fails: by('host-path') },
  hostPortSet: { rule: 'host-ports', fails: by('host-ports') },
  hostProcess: { rule: 'pod-security (windowsHostProcess)', fails: control('windowsHostProcess') },
  procMount: { rule: 'pod-security (procMount)', fails: control('procMount') },
  pullPolicyNotAlways: { rule: 'image-pull-policy', fails: by('image-pull-policy') },
  tagNotSpecified: { rule: 'unpinned-image', fails: by('unpinned-image') },
  cpuRequestsMissing: { rule: 'missing-resources', fails: missing('requests.cpu') },
  cpuLimitsMissing: { rule: 'missing-resources', fails: missing('limits.cpu') },
  memoryRequestsMissing: { rule: 'missing-resources', fails: missing('requests.memory') },
  memoryLimitsMissing: { rule: 'missing-resources', fails: missing('limits.memory') },
  automountServiceAccountToken: { rule: 'service-account-token', fails: by('service-account-token') },
};

const KUBE_SCORE: Record<string, Mapping> = {
  'Container Image Pull Policy': { rule: 'image-pull-policy', fails: by('image-pull-policy') },
  'Container Image Tag': { rule: 'unpinned-image', fails: by('unpinned-image') },
  'Container Resources': { rule: 'missing-resources', fails: by('missing-resources') },
  'Service Type': { rule: 'exposed-service', fails: by('exposed-service') },
  'Container Security Context Privileged': { rule: 'privileged-container', fails: by('privileged-container') },
  'Container Security Context ReadOnlyRootFilesystem': { rule: 'writable-root-filesystem', fails: by('writable-root-filesystem') },
  'Container Security Context User Group ID': { rule: 'run-as-root', fails: by('run-as-root') },
  'Container Seccomp Profile': { rule: 'pod-security (seccompProfile_restricted)', fails: control('seccompProfile_restricted'), pssLevel: 'restricted' },
};

/** The findings for a manifest file, or undefined when runwarden rejects an object of it as invalid (nothing checked). */
async function findingsOf(file: string, pssLevel: PssLevel | undefined): Promise<Finding[] | undefined> {
  const manifests = await readManifests([file]);
  if (manifests.failures > 0) return undefined;
  return scanInventory(buildInventory(manifests.result), { sandboxImages: [], now: NOW, policy: { pssLevel } }).findings;
}

interface Case {
  tool: 'Polaris' | 'kube-score';
  check: string;
  file: string;
  expected: Verdict;
  config?: string;
}

function rows(path: string): string[][] {
  return readFileSync(join(ROOT, path), 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '').map((l) => l.split('\t'));
}

/** kube-score: GradeAllOK (10) and GradeAlmostOK (7) pass; GradeWarning (5) and GradeCritical (1) fail. */
function verdictOf(grade: string): Verdict {
  return Number(grade) >= 7 ? 'pass' : 'fail';
}

const cases: Case[] = [
  ...rows('polaris/index.tsv').map(([file = '', check = '', expected = '']) => ({ tool: 'Polaris' as const, check, file: join('polaris', file), expected: expected as Verdict })),
  ...rows('kube-score/expected.tsv').map(([file = '', check = '', , grade = '']) => ({ tool: 'kube-score' as const, check, file: join('kube-score', file), expected: verdictOf(grade) })),
  ...rows('kube-score/expected-with-config.tsv').map(([file = '', check = '', , grade = '', config = '']) => ({ tool: 'kube-score' as const, check, file: join('kube-score', file), expected: verdictOf(grade), config })),
];

/** kube-score run options that change what "Container Resources" requires. */
function resourcesFails(findings: Finding[], config: string | undefined): boolean {
  const ignored = new Set<string>();
  if (config?.includes('IgnoreContainerCpuLimitRequirement=true') === true) ignored.add('limits.cpu');
  if (config?.includes('IgnoreContainerMemoryLimitRequirement=true') === true) ignored.add('limits.memory');
  return findings.some((f) => f.rule === 'missing-resources' && (f.evidence.missing as string[]).some((m) => !ignored.has(m)));
}

interface Outcome extends Case {
  /** `invalid`: the manifest is not a valid Kubernetes object (the API server rejects it); runwarden reports an issue and exits 3. */
  got: Verdict | 'invalid';
}

const outcomes: Outcome[] = [];
for (const c of cases) {
  const mapping = (c.tool === 'Polaris' ? POLARIS : KUBE_SCORE)[c.check];
  if (mapping === undefined) throw new Error(`no mapping for ${c.tool} ${c.check}`);
  const findings = await findingsOf(join(ROOT, c.file), mapping.pssLevel);
  if (findings === undefined) {
    outcomes.push({ ...c, got: 'invalid' });
    continue;
  }
  const fails = c.check === 'Container Resources' ? resourcesFails(findings, c.config) : mapping.fails(findings);
  outcomes.push({ ...c, got: fails ? 'fail' : 'pass' });
}

/** Per check: [cases, evaluated (valid objects), agreements], as documented in docs/CONFORMANCE.md. */
const AGREEMENT: Record<string, [number, number, number]> = {
  'Polaris automountServiceAccountToken': [8, 8, 5],
  'Polaris cpuLimitsMissing': [2, 2, 2],
  'Polaris cpuRequestsMissing': [2, 2, 2],
  'Polaris memoryLimitsMissing': [3, 3, 3],
  'Polaris memoryRequestsMissing': [2, 2, 2],
  'Polaris dangerousCapabilities': [5, 5, 5],
  'Polaris insecureCapabilities': [9, 9, 5],
  'Polaris hostIPCSet': [2, 2, 2],
  'Polaris hostNetworkSet': [2, 2, 2],
  'Polaris hostPIDSet': [2, 2, 2],
  'Polaris hostPathSet': [2, 2, 2],
  'Polaris hostPortSet': [2, 2, 2],
  'Polaris hostProcess': [4, 4, 4],
  'Polaris procMount': [2, 2, 2],
  'Polaris notReadOnlyRootFilesystem': [5, 1, 1],
  'Polaris privilegeEscalationAllowed': [6, 6, 6],
  'Polaris pullPolicyNotAlways': [6, 6, 4],
  'Polaris runAsPrivileged': [7, 0, 0],
  'Polaris runAsRootAllowed': [2, 2, 2],
  'Polaris tagNotSpecified': [3, 0, 0],
  'kube-score Container Resources': [8, 8, 5],
  'kube-score Container Image Tag': [2, 2, 2],
  'kube-score Container Image Pull Policy': [5, 5, 5],
  'kube-score Service Type': [3, 3, 3],
  'kube-score Container Seccomp Profile': [7, 7, 5],
  'kube-score Container Security Context User Group ID': [4, 4, 3],
  'kube-score Container Security Context Privileged': [2, 2, 2],
  'kube-score Container Security Context ReadOnlyRootFilesystem': [3, 3, 3],
};

/** Every disagreement, each a deliberate difference explained in docs/CONFORMANCE.md. */
const DIFFERENCES: string[] = [
  'Polaris automountServiceAccountToken polaris/checks/automountServiceAccountToken/failure.all_true.yaml: expected fail, runwarden pass',
  'Polaris automountServiceAccountToken polaris/checks/automountServiceAccountToken/failure.pod_true_serviceaccount_false.yaml: expected fail, runwarden pass',
  'Polaris automountServiceAccountToken polaris/checks/automountServiceAccountToken/failure.uses_defaults.yaml: expected fail, runwarden pass',
  'Polaris insecureCapabilities polaris/checks/insecureCapabilities/success.all.yaml: expected pass, runwarden fail',
  'Polaris insecureCapabilities polaris/checks/insecureCapabilities/success.case.yaml: expected pass, runwarden fail',
  'Polaris insecureCapabilities polaris/checks/insecureCapabilities/success.pod.yaml: expected pass, runwarden fail',
  'Polaris insecureCapabilities polaris/checks/insecureCapabilities/success.yaml: expected pass, runwarden fail',
  'Polaris pullPolicyNotAlways polaris/checks/pullPolicyNotAlways/failure.cron-job.yaml: expected fail, runwarden pass',
  'Polaris pullPolicyNotAlways polaris/checks/pullPolicyNotAlways/failure.yaml: expected fail, runwarden pass',
  'kube-score Container Resources kube-score/testdata/pod-test-resources-only-limits.yaml: expected fail, runwarden pass',
  'kube-score Container Resources kube-score/testdata/deployment-test-resources.yaml: expected fail, runwarden pass',
  'kube-score Container Resources kube-score/testdata/statefulset-test-resources.yaml: expected fail, runwarden pass',
  'kube-score Container Seccomp Profile kube-score/testdata/pod-seccomp-annotated.yaml [EnabledOptionalTests=[container-seccomp-profile]]: expected pass, runwarden fail',
  'kube-score Container Seccomp Profile kube-score/testdata/pod-seccomp-annotated-annotation-optional.yaml [UseOptionalChecksAnnotation=true]: expected pass, runwarden fail',
  'kube-score Container Security Context User Group ID kube-score/testdata/pod-security-context-low-group-id.yaml [EnabledOptionalTests=[container-security-context-user-group-id]]: expected fail, runwarden pass',
];

/** Fixtures that are not valid Kubernetes objects (containers without name or image): runwarden reports them as invalid manifests (exit 3) instead of judging them. */
const INVALID: string[] = [
  'Polaris notReadOnlyRootFilesystem polaris/checks/notReadOnlyRootFilesystem/failure.pod.yaml: expected fail, runwarden invalid',
  'Polaris notReadOnlyRootFilesystem polaris/checks/notReadOnlyRootFilesystem/failure.yaml: expected fail, runwarden invalid',
  'Polaris notReadOnlyRootFilesystem polaris/checks/notReadOnlyRootFilesystem/success.pod.yaml: expected pass, runwarden invalid',
  'Polaris notReadOnlyRootFilesystem polaris/checks/notReadOnlyRootFilesystem/success.yaml: expected pass, runwarden invalid',
  'Polaris runAsPrivileged polaris/checks/runAsPrivileged/failure.pod.yaml: expected fail, runwarden invalid',
  'Polaris runAsPrivileged polaris/checks/runAsPrivileged/failure.two_cont.yaml: expected fail, runwarden invalid',
  'Polaris runAsPrivileged polaris/checks/runAsPrivileged/failure.two_cont_one_unspecified.yaml: expected fail, runwarden invalid',
  'Polaris runAsPrivileged polaris/checks/runAsPrivileged/failure.yaml: expected fail, runwarden invalid',
  'Polaris runAsPrivileged polaris/checks/runAsPrivileged/success.pod.yaml: expected pass, runwarden invalid',
  'Polaris runAsPrivileged polaris/checks/runAsPrivileged/success.pod_no_cont.yaml: expected pass, runwarden invalid',
  'Polaris runAsPrivileged polaris/checks/runAsPrivileged/success.yaml: expected pass, runwarden invalid',
  'Polaris tagNotSpecified polaris/checks/tagNotSpecified/failure.latest.yaml: expected fail, runwarden invalid',
  'Polaris tagNotSpecified polaris/checks/tagNotSpecified/failure.yaml: expected fail, runwarden invalid',
  'Polaris tagNotSpecified polaris/checks/tagNotSpecified/success.yaml: expected pass, runwarden invalid',
];

describe('conformance with Polaris and kube-score (shared checks)', () => {
  const table = new Map<string, [number, number, number]>();
  for (const o of outcomes) {
    const key = `${o.tool} ${o.check}`;
    const [n, evaluated, agree] = table.get(key) ?? [0, 0, 0];
    table.set(key, [n + 1, evaluated + (o.got === 'invalid' ? 0 : 1), agree + (o.got === o.expected ? 1 : 0)]);
  }
  const describeCase = (o: Outcome): string => `${o.tool} ${o.check} ${o.file}${o.config === undefined ? '' : ` [${o.config}]`}: expected ${o.expected}, runwarden ${o.got}`;

  it('reports the documented agreement per check', () => {
    expect(Object.fromEntries(table)).toEqual(AGREEMENT);
  });

  it('disagrees only where docs/CONFORMANCE.md explains why', () => {
    expect(outcomes.filter((o) => o.got !== 'invalid' && o.got !== o.expected).map(describeCase)).toEqual(DIFFERENCES);
  });

  it('rejects as invalid Kubernetes objects only the upstream fixtures the API server would reject (containers without a name)', () => {
    expect(outcomes.filter((o) => o.got === 'invalid').map(describeCase)).toEqual(INVALID);
  });
});
