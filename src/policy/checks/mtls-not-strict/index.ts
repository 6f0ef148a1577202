import { fingerprint, type Finding, type Subject } from '../../../core/finding.js';
import { workloadKey, type Inventory, type WorkloadRef } from '../../../core/inventory.js';
import type { Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckContext, type CheckResult } from '../../check.js';
import { analyzeMesh, meshOptionsFrom, type MeshVerdict } from '../../mesh/analysis.js';

const ID = 'mtls-not-strict';

/** Kubernetes' own namespaces: their pods (API server, kube-proxy, DNS) are not meant to be meshed. */
const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease']);
const MAX_LISTED_PODS = 10;

export const mtlsNotStrict: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Workload traffic is not effectively mTLS STRICT (permissive, disabled, bypassed or not in the mesh)',
  severity: 'medium',
  description:
    'Whether inbound connections to a workload must be mutually authenticated and encrypted, computed from what is deployed: sidecar or ambient enrolment (the proxy container actually present in running pods, the injection labels for templates), Istio PeerAuthentication precedence (mesh, namespace, workload, port; the oldest wins; UNSET inherits), Linkerd\u2019s default inbound policy, ports the proxy never sees, and host-network pods that bypass the mesh. Anything but STRICT lets a compromised pod or anyone on the network talk plaintext to the workload, without an identity. Maps to the NSA/CISA guide (network separation: encrypt traffic in the cluster).',
  remediation: 'Enrol the workload in the mesh (namespace label istio-injection=enabled or istio.io/dataplane-mode=ambient, or linkerd.io/inject: enabled) and require mTLS: a PeerAuthentication with mtls.mode STRICT (mesh-wide in the root namespace, or for the namespace), or Linkerd\u2019s config.linkerd.io/default-inbound-policy: all-authenticated.',
  mappings: { cis: [], nsa: [NSA.networkPolicies], pss: [] },
  run,
};

function label(workload: WorkloadRef): string {
  return workload.kind === 'Pod' ? `pod ${workload.name}` : `${workload.kind} ${workload.name}`;
}

function severityOf(v: MeshVerdict): Severity {
  switch (v.state) {
    case 'disabled':
      return 'high';
    case 'strict':
      return v.ports.some((p) => p.state !== 'permissive') ? 'medium' : 'low';
    default:
      return 'medium';
  }
}

function titleOf(v: MeshVerdict, who: string): string {
  const ports = v.ports.map((p) => `${p.port} (${p.state})`).join(', ');
  switch (v.state) {
    case 'not-enrolled':
      return `${who} is not in the service mesh: its traffic is plaintext and unauthenticated`;
    case 'bypass':
      return `${who} bypasses the service mesh (hostNetwork): its traffic is plaintext and unauthenticated`;
    case 'disabled':
      return `${who} has mTLS disabled (${v.deciding[0] ?? 'DISABLE'}): plaintext only`;
    case 'permissive':
      return `${who} accepts plaintext: mTLS is ${v.mesh === 'linkerd' ? `not required (Linkerd inbound policy ${v.mode ?? ''})` : `PERMISSIVE (${v.deciding[0] ?? ''})`}`;
    default:
      return `${who} requires mTLS except on port${v.ports.length === 1 ? '' : 's'} ${ports}`;
  }
}

function remediationOf(v: MeshVerdict, who: string, namespace: string): string {
  if (v.state === 'bypass') return `Run ${who} without hostNetwork so it can join the mesh, or protect its ports by other means (node firewall, TLS in the application).`;
  if (v.state === 'not-enrolled') {
    return v.view.pod !== undefined && v.why.includes('restart it')
      ? `Restart ${who} (kubectl rollout restart) so the injector adds the proxy, then require mTLS STRICT.`
      : `Enrol ${who}: label namespace ${namespace} istio-injection=enabled (or istio.io/dataplane-mode=ambient), or annotate it linkerd.io/inject: enabled, restart the workload, then require mTLS STRICT.`;
  }
  if (v.mesh === 'linkerd') return `Annotate ${who} or namespace ${namespace} with config.linkerd.io/default-inbound-policy: all-authenticated (or cluster-authenticated) so plaintext clients are refused${v.ports.length > 0 ? ', and drop config.linkerd.io/skip-inbound-ports' : ''}.`;
  if (v.state === 'strict') return `Remove the exceptions for port${v.ports.length === 1 ? '' : 's'} ${v.ports.map((p) => p.port).join(', ')}: ${v.ports.map((p) => p.because).join('; ')}.`;
  return `Apply a PeerAuthentication with mtls.mode STRICT to ${who} (namespace-wide in ${namespace}, or mesh-wide in the root namespace) and remove the ${v.state === 'disabled' ? 'DISABLE' : 'PERMISSIVE'} setting of ${v.deciding[0] ?? 'the deciding policy'}.`;
}

function run(inventory: Inventory, context: CheckContext): CheckResult {
  const analysis = analyzeMesh(inventory, meshOptionsFrom(context.policy));
  const skip = new Set([...SYSTEM_NAMESPACES, ...analysis.controlPlaneNamespaces]);
  const relevant = analysis.verdicts.filter((v) => !skip.has(v.view.namespace));
  if (!analysis.meshInUse) {
    // Manifests alone (no running pod) say nothing about whether the cluster runs a mesh.
    if (!analysis.running || relevant.length === 0) return { findings: [], issues: analysis.issues };
    const workloads = new Set(relevant.map((v) => workloadKey(v.view.workload)));
    const subject: Subject = { type: 'cluster' };
    return {
      findings: [
        {
          id: fingerprint(ID, subject, 'no-mesh'),
          rule: ID,
          kind: 'misconfiguration',
          severity: 'low',
          title: 'No service mesh: traffic between pods is neither mutually authenticated nor encrypted',
          subject,
          evidence: { workloads: workloads.size, peerAuthentications: 0, meshedPods: 0, attackerCanReach: 'Anyone on the pod network (a compromised pod or node) can read and forge traffic between workloads, and no workload can tell who is calling it.' },
          remediation: 'Run a service mesh with mTLS (Istio with a STRICT PeerAuthentication in the root namespace, or Linkerd with an authenticated default inbound policy), or make every workload use TLS with client certificates.',
        },
      ],
      issues: analysis.issues,
    };
  }
  const groups = new Map<string, { workload: WorkloadRef; verdict: MeshVerdict; pods: string[]; signature: string }>();
  for (const v of relevant) {
    if (v.state === 'unknown' || (v.state === 'strict' && v.ports.length === 0)) continue;
    const signature = `${v.state}|${v.mesh}|${v.mode ?? ''}|${v.deciding.join(';')}|${v.ports.map((p) => `${p.port}:${p.state}`).join(',')}|${v.why}`;
    const key = `${workloadKey(v.view.workload)}\u0000${signature}`;
    const group = groups.get(key) ?? { workload: v.view.workload, verdict: v, pods: [], signature };
    if (v.view.pod !== undefined) group.pods.push(v.view.pod);
    groups.set(key, group);
  }
  const findings: Finding[] = [];
  for (const { workload, verdict, pods, signature } of groups.values()) {
    const subject: Subject = { type: 'workload', namespace: workload.namespace, workload: { kind: workload.kind, name: workload.name } };
    const who = label(workload);
    findings.push({
      id: fingerprint(ID, subject, signature),
      rule: ID,
      kind: 'misconfiguration',
      severity: severityOf(verdict),
      title: titleOf(verdict, who),
      subject,
      evidence: {
        state: verdict.state,
        mesh: verdict.mesh,
        enrolment: verdict.enrolment,
        mode: verdict.mode ?? null,
        deciding: verdict.deciding,
        ports: verdict.ports,
        why: verdict.why,
        pods: pods.length,
        ...(pods.length === 0 ? { template: true } : { podNames: pods.length > MAX_LISTED_PODS ? [...pods.slice(0, MAX_LISTED_PODS), `… and ${pods.length - MAX_LISTED_PODS} more`] : pods }),
        attackerCanReach:
          verdict.state === 'strict'
            ? `Plaintext connections without a mesh identity are accepted on port${verdict.ports.length === 1 ? '' : 's'} ${verdict.ports.map((p) => p.port).join(', ')}.`
            : 'A compromised pod, or anyone who can route to the pod IP, can connect without a mesh identity and in plaintext; traffic to it can be read and forged on the network.',
      },
      remediation: remediationOf(verdict, who, workload.namespace),
    });
  }
  return { findings, issues: analysis.issues };
}
