import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { issue, type Issue } from '../../../core/issue.js';
import type { Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckContext, type CheckResult } from '../../check.js';
import { CONTROL_IDS } from '../../pss/controls.js';
import { evaluatePod, type Violation } from '../../pss/evaluate.js';
import { formatLevelVersion, namespacePolicy, type PssMode } from '../../pss/namespace.js';
import { effectiveMinor, formatPolicyVersion, LATEST, type PolicyVersion, type PssLevel } from '../../pss/version.js';
import { objectField, workloadFinding, workloadLabel, workloadSpecs, type WorkloadSpec } from '../../workload-specs.js';

const ID = 'pod-security';

export const podSecurity: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Workload violates the Pod Security Standard its namespace sets',
  severity: 'high',
  description:
    'Evaluates each workload\'s pod template (or bare pod) against the Pod Security Standards exactly as the PodSecurity admission controller does — baseline and restricted, every policy version v1.0 … v1.37 — at the level and version of each of its namespace\'s pod-security.kubernetes.io/enforce, audit and warn labels (or --pss-version). A violation of the enforced level is high: the API server will reject the workload\'s next pod (rollout, scale-up, reschedule). Audit and warn violations are medium. Namespaces without any Pod Security label are evaluated at the pssLevel setting (default baseline). One finding per violated control, named by its upstream check ID, with the offending field paths.',
  remediation: 'Change the pod spec so the workload meets its namespace\'s level (each finding says how), or — for a node agent that truly needs host access — run it in a namespace labelled pod-security.kubernetes.io/enforce: privileged.',
  mappings: { cis: ['5.2.1'], nsa: [NSA.podSecurity], pss: CONTROL_IDS },
  run,
};

const REMEDIATION: Record<string, string> = {
  hostNamespaces: 'Remove hostNetwork, hostPID and hostIPC from the pod spec.',
  privileged: 'Remove securityContext.privileged: true from every container.',
  capabilities_baseline: 'Add only capabilities of the runtime default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT).',
  hostPathVolumes: 'Replace hostPath volumes with emptyDir, configMap, secret, projected or CSI volumes.',
  hostPorts: 'Remove hostPort from the container ports and publish them through a Service.',
  appArmorProfile: 'Use AppArmor profile type RuntimeDefault or Localhost (annotation values runtime/default or localhost/<profile>), never Unconfined.',
  seLinuxOptions: 'Set seLinuxOptions.type to container_t (or container_init_t, container_kvm_t, container_engine_t from v1.31) and leave user and role unset.',
  procMount: 'Remove securityContext.procMount or set it to Default.',
  procMount_restricted: 'Remove securityContext.procMount or set it to Default.',
  seccompProfile_baseline: 'Set seccompProfile.type to RuntimeDefault or Localhost (never Unconfined).',
  seccompProfile_restricted: 'Set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a profile).',
  sysctls: 'Use only the safe, namespaced sysctls the standard allows at this version, or move the tuning to the node.',
  windowsHostProcess: 'Remove windowsOptions.hostProcess: true.',
  hostProbesAndHostLifecycle: 'Remove the host field from httpGet/tcpSocket probes and lifecycle handlers (they then target the pod IP).',
  restrictedVolumes: 'Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes.',
  allowPrivilegeEscalation: 'Set securityContext.allowPrivilegeEscalation: false on every container.',
  runAsNonRoot: 'Set securityContext.runAsNonRoot: true on the pod (and a non-zero runAsUser).',
  runAsUser: 'Do not set runAsUser: 0; use a non-zero UID.',
  capabilities_restricted: 'Set securityContext.capabilities.drop: ["ALL"] on every container and add at most NET_BIND_SERVICE.',
};

type Mode = PssMode | 'default';

interface Evaluation {
  level: PssLevel;
  version: PolicyVersion;
  modes: Mode[];
}

const MODE_SEVERITY: Record<Mode, Severity> = { enforce: 'high', audit: 'medium', warn: 'medium', default: 'medium' };

function run(inventory: Inventory, context: CheckContext): CheckResult {
  const findings: Finding[] = [];
  const issues: Issue[] = [];
  const override = context.policy?.pssVersion;
  const defaultLevel = context.policy?.pssLevel ?? 'baseline';
  const labelsByNamespace = new Map(inventory.namespaces.map((n) => [n.name, n.labels]));
  const plans = new Map<string, { evaluations: Evaluation[]; labelled: boolean; known: boolean }>();
  const planFor = (namespace: string): { evaluations: Evaluation[]; labelled: boolean; known: boolean } => {
    let plan = plans.get(namespace);
    if (plan !== undefined) return plan;
    const labels = labelsByNamespace.get(namespace);
    const policy = namespacePolicy(labels ?? {}, override);
    for (const error of policy.errors) issues.push(issue('pss-label-invalid', `Namespace ${namespace}: invalid label ${error}`, `namespace/${namespace}`, 'Use pod-security.kubernetes.io/<mode>: privileged|baseline|restricted and <mode>-version: latest or v1.<minor>.'));
    const evaluations: Evaluation[] = [];
    const add = (mode: Mode, level: PssLevel, version: PolicyVersion): void => {
      if (level === 'privileged') return;
      const same = evaluations.find((e) => e.level === level && effectiveMinor(e.version) === effectiveMinor(version));
      if (same !== undefined) same.modes.push(mode);
      else evaluations.push({ level, version, modes: [mode] });
    };
    if (policy.labelled) for (const mode of ['enforce', 'audit', 'warn'] as const) add(mode, policy[mode].level, policy[mode].version);
    else add('default', defaultLevel, override ?? LATEST);
    plan = { evaluations, labelled: policy.labelled, known: labels !== undefined };
    plans.set(namespace, plan);
    return plan;
  };

  for (const ws of workloadSpecs(inventory)) {
    const plan = planFor(ws.namespace);
    // control → the violation and every (mode, level:version) that reports it
    const merged = new Map<string, { violation: Violation; modes: Mode[]; standards: string[]; first: Evaluation }>();
    for (const evaluation of plan.evaluations) {
      for (const violation of evaluatePod(ws.pod, evaluation.level, evaluation.version)) {
        const entry = merged.get(violation.control);
        const standard = formatLevelVersion(evaluation);
        if (entry === undefined) merged.set(violation.control, { violation, modes: [...evaluation.modes], standards: [standard], first: evaluation });
        else {
          entry.modes.push(...evaluation.modes);
          entry.standards.push(standard);
        }
      }
    }
    for (const [control, entry] of merged) findings.push(finding(ws, control, entry, plan));
  }
  return { findings, issues };
}

function finding(ws: WorkloadSpec, control: string, entry: { violation: Violation; modes: Mode[]; standards: string[]; first: Evaluation }, plan: { labelled: boolean; known: boolean }): Finding {
  const { violation, modes } = entry;
  const mode = modes.includes('enforce') ? 'enforce' : modes.includes('default') ? 'default' : modes[0] ?? 'warn';
  let severity = MODE_SEVERITY[mode];
  if (mode === 'default' && violation.level === 'restricted') severity = 'low';
  const standard = `${entry.first.level} ${formatPolicyVersion(entry.first.version)}`;
  const how =
    mode === 'enforce'
      ? `the namespace enforces ${standard}: the API server rejects this workload's next pod`
      : mode === 'default'
        ? `namespace ${ws.namespace} ${plan.known ? 'has no Pod Security labels' : 'was not read'}; evaluated at ${standard}`
        : `namespace ${mode}s at ${standard}`;
  const fields = violation.fields.map((f) => objectField(ws, f));
  return workloadFinding(ws, {
    rule: ID,
    kind: 'misconfiguration',
    severity,
    title: `${workloadLabel(ws)} violates Pod Security ${violation.level} control ${control}: ${violation.reason}${violation.detail === '' ? '' : ` (${violation.detail})`} — ${how}`,
    remediation: `${REMEDIATION[control] ?? 'Change the pod spec to meet the standard.'}${mode === 'enforce' ? ' Until then new pods of this workload are rejected.' : ''}`,
    fields,
    evidence: {
      control,
      controlTitle: violation.title,
      controlLevel: violation.level,
      standards: entry.standards,
      modes: [...new Set(modes)],
      reason: violation.reason,
      detail: violation.detail,
      podFields: violation.fields,
      ...(violation.overrides.length > 0 ? { overrides: [...violation.overrides] } : {}),
    },
    key: control,
  });
}
