import { z } from 'zod';
import { fingerprint, type Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { issue, type Issue } from '../../../core/issue.js';
import { severityRank, type Severity } from '../../../core/severity.js';
import { NSA, type Check, type CheckResult } from '../../check.js';
import { workloadSpecs } from '../../workload-specs.js';

const ID = 'exposed-service';

/** Cloud-provider annotations that make a LoadBalancer internal (reachable only from the VPC/VNet). */
const INTERNAL_LB: ReadonlyArray<[string, (value: string) => boolean]> = [
  ['service.beta.kubernetes.io/aws-load-balancer-internal', (v) => v !== '' && v !== 'false'],
  ['service.beta.kubernetes.io/aws-load-balancer-scheme', (v) => v === 'internal'],
  ['service.beta.kubernetes.io/azure-load-balancer-internal', (v) => v === 'true'],
  ['networking.gke.io/load-balancer-type', (v) => v.toLowerCase() === 'internal'],
  ['cloud.google.com/load-balancer-type', (v) => v.toLowerCase() === 'internal'],
  ['service.beta.kubernetes.io/openstack-internal-load-balancer', (v) => v === 'true'],
  ['service.beta.kubernetes.io/oci-load-balancer-internal', (v) => v === 'true'],
  ['service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type', (v) => v === 'private'],
];

const ServiceObject = z.looseObject({
  metadata: z.looseObject({ annotations: z.record(z.string(), z.string().nullable()).nullish() }),
  spec: z
    .looseObject({
      type: z.string().nullish(),
      selector: z.record(z.string(), z.string().nullable()).nullish(),
      externalIPs: z.array(z.string()).nullish(),
      loadBalancerSourceRanges: z.array(z.string()).nullish(),
      ports: z.array(z.looseObject({ port: z.number().nullish(), nodePort: z.number().nullish(), protocol: z.string().nullish(), name: z.string().nullish() })).nullish(),
    })
    .nullish(),
});

export const exposedService: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Service exposed outside the cluster (NodePort, LoadBalancer, externalIPs)',
  severity: 'medium',
  description:
    'A Service of type NodePort opens its port on every node; a LoadBalancer publishes it through the cloud load balancer (high when public and without loadBalancerSourceRanges, low when internal or source-restricted); spec.externalIPs makes nodes answer for arbitrary addresses and lets whoever can create Services intercept traffic to them (CVE-2020-8554), high. The finding names the workloads the Service selects.',
  remediation: 'Use ClusterIP behind an Ingress/Gateway with authentication and TLS; restrict LoadBalancers with loadBalancerSourceRanges or an internal load balancer; do not use externalIPs (block them with the DenyServiceExternalIPs admission plugin).',
  mappings: { cis: [], nsa: [NSA.networkPolicies], pss: [] },
  run,
};

function run(inventory: Inventory): CheckResult {
  const findings: Finding[] = [];
  const issues: Issue[] = [];
  // Selector matching over each workload's pod labels (template or pod), indexed by namespace.
  const byNamespace = new Map<string, Array<{ name: string; kind: string; labels: Record<string, string> }>>();
  for (const ws of workloadSpecs(inventory)) {
    const list = byNamespace.get(ws.namespace) ?? [];
    list.push({ kind: ws.workload.kind, name: ws.workload.name, labels: ws.pod.labels });
    byNamespace.set(ws.namespace, list);
  }
  for (const svc of inventory.services) {
    const parsed = ServiceObject.safeParse(svc.raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      issues.push(issue('service-invalid', `Service ${svc.namespace}/${svc.name}: ${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}; exposure not checked`, undefined, 'Fix the Service spec.'));
      continue;
    }
    const spec = parsed.data.spec ?? {};
    const annotations = parsed.data.metadata.annotations ?? {};
    const type = spec.type ?? 'ClusterIP';
    const reasons: Array<{ severity: Severity; text: string; field: string }> = [];
    const ports = (spec.ports ?? []).map((p) => ({ port: p.port ?? null, nodePort: p.nodePort ?? null, protocol: p.protocol ?? 'TCP' }));
    if (type === 'NodePort') reasons.push({ severity: 'medium', text: `NodePort (${ports.map((p) => p.nodePort ?? 'auto').join(', ')} on every node)`, field: 'spec.type' });
    let internal: string | undefined;
    let sourceRanges: string[] = [];
    if (type === 'LoadBalancer') {
      internal = INTERNAL_LB.find(([key, test]) => test(annotations[key] ?? ''))?.[0];
      sourceRanges = spec.loadBalancerSourceRanges ?? [];
      const open = sourceRanges.length === 0 || sourceRanges.some((r) => r === '0.0.0.0/0' || r === '::/0');
      if (internal !== undefined) reasons.push({ severity: 'low', text: `internal LoadBalancer (${internal})`, field: 'spec.type' });
      else if (!open) reasons.push({ severity: 'low', text: `LoadBalancer restricted to ${sourceRanges.join(', ')}`, field: 'spec.loadBalancerSourceRanges' });
      else reasons.push({ severity: 'high', text: 'public LoadBalancer open to any source address', field: 'spec.type' });
    }
    const externalIPs = spec.externalIPs ?? [];
    if (externalIPs.length > 0) reasons.push({ severity: 'high', text: `externalIPs ${externalIPs.join(', ')}`, field: 'spec.externalIPs' });
    if (reasons.length === 0) continue;
    const selector = Object.fromEntries(Object.entries(spec.selector ?? {}).map(([k, v]) => [k, v ?? '']));
    const selected =
      Object.keys(selector).length === 0
        ? []
        : (byNamespace.get(svc.namespace) ?? []).filter((w) => Object.entries(selector).every(([k, v]) => w.labels[k] === v)).map((w) => `${w.kind}/${w.name}`);
    const severity = reasons.map((r) => r.severity).reduce<Severity>((a, b) => (severityRank(b) > severityRank(a) ? b : a), 'low');
    const subject = { type: 'workload' as const, namespace: svc.namespace, workload: { kind: 'Service', name: svc.name } };
    findings.push({
      id: fingerprint(ID, subject),
      rule: ID,
      kind: 'misconfiguration',
      severity,
      title: `Service ${svc.name} is exposed outside the cluster: ${reasons.map((r) => r.text).join('; ')}${selected.length > 0 ? ` → ${selected.join(', ')}` : ''}`,
      subject,
      evidence: { type, ports, externalIPs, loadBalancerSourceRanges: sourceRanges, internalAnnotation: internal ?? null, selects: selected, fields: [...new Set(reasons.map((r) => r.field))] },
      remediation:
        externalIPs.length > 0
          ? `Remove spec.externalIPs from Service ${svc.name} (CVE-2020-8554) and enable the DenyServiceExternalIPs admission plugin; publish through an Ingress or a restricted LoadBalancer instead.`
          : type === 'LoadBalancer' && internal === undefined
            ? `Restrict Service ${svc.name}: set loadBalancerSourceRanges to the client networks, make the load balancer internal, or put it behind an authenticated Ingress/Gateway.`
            : `Make Service ${svc.name} type ClusterIP and reach it through an Ingress/Gateway (or kubectl port-forward for admin access).`,
    });
  }
  return { findings, issues };
}
