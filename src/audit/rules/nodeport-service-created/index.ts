import { asRecord, requestObject, target, type AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';

export interface NodePortView {
  port: number | null;
  /** Null when the request left it to the cluster and the response (level RequestResponse) does not say. */
  nodePort: number | null;
  protocol: string;
}

function portsOf(spec: Record<string, unknown> | undefined): NodePortView[] {
  const items = spec?.['ports'];
  if (!Array.isArray(items)) return [];
  const out: NodePortView[] = [];
  for (const item of items) {
    const p = asRecord(item);
    if (p === undefined) continue;
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
    out.push({ port: num(p['port']), nodePort: num(p['nodePort']), protocol: typeof p['protocol'] === 'string' ? p['protocol'] : 'TCP' });
  }
  return out;
}

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const t = target(event);
  if (event.verb !== 'create' || t.resource !== 'services' || t.subresource !== '') return undefined;
  const spec = asRecord(requestObject(event)?.['spec']);
  if (spec?.['type'] !== 'NodePort') return undefined;
  // a node port left to the cluster is in the response, when the audit level records it
  const assigned = portsOf(asRecord(asRecord(event.responseObject)?.['spec']));
  const ports = portsOf(spec).map((p) => (p.nodePort !== null ? p : { ...p, nodePort: assigned.find((a) => a.port === p.port && a.protocol === p.protocol)?.nodePort ?? null }));
  const known = ports.filter((p) => p.nodePort !== null).map((p) => `${p.nodePort}/${p.protocol}`);
  const which = known.length === 0 ? '' : ` (node port${known.length === 1 ? '' : 's'} ${known.join(', ')})`;
  return {
    title: `NodePort service ${t.namespace}/${t.name} created${which}`,
    evidence: { ports },
  };
}

export const nodeportServiceCreated: AuditRule = {
  id: 'nodeport-service-created',
  title: 'A NodePort service was created, opening a port on every node',
  severity: 'medium',
  description:
    'A Service of type NodePort opens its port on every node of the cluster, reachable from wherever the nodes are reachable, bypassing the ingress controller, its TLS and its authentication; node firewalls and cloud security groups are often the only thing left in front of it. Only the creation of such a Service is reported: a Service changed to NodePort later, and LoadBalancer Services (which also allocate node ports), are left out.',
  remediation: 'Confirm that the service must be reachable on the nodes; otherwise use a ClusterIP Service behind the ingress controller. Restrict node ports with the nodes\' firewall or security groups, and who may create Services of this type with an admission policy.',
  falco: ['Create NodePort Service'],
  evaluate,
};
