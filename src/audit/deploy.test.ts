/**
 * deploy/audit held against the code: the audit policy records what the rules read (a tiny evaluator of the
 * Policy's first-match semantics, as the API server applies it), never a Secret's data; the Deployment runs
 * flags `audit serve` has, on the port and path the webhook kubeconfig names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cli } from '../../test/cli.js';
import { AUDIT_PATH } from './server.js';

const DIR = join(import.meta.dirname, '..', '..', 'deploy', 'audit');

interface PolicyRule {
  level: 'None' | 'Metadata' | 'Request' | 'RequestResponse';
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: Array<{ group?: string; resources?: string[] }>;
  nonResourceURLs?: string[];
}

const policy = parse(readFileSync(join(DIR, 'audit-policy.yaml'), 'utf8')) as { apiVersion: string; kind: string; omitStages?: string[]; rules: PolicyRule[] };

interface Request {
  verb: string;
  user?: string;
  groups?: readonly string[];
  group?: string;
  resource?: string;
  path?: string;
}

/** The level the API server records a request at: the first rule that matches (audit.k8s.io Policy semantics). */
function levelOf(r: Request): PolicyRule['level'] {
  for (const rule of policy.rules) {
    if (rule.users !== undefined && !rule.users.includes(r.user ?? '')) continue;
    if (rule.userGroups !== undefined && !rule.userGroups.some((g) => (r.groups ?? []).includes(g))) continue;
    if (rule.verbs !== undefined && !rule.verbs.includes(r.verb)) continue;
    if (rule.nonResourceURLs !== undefined) {
      if (r.path === undefined || !rule.nonResourceURLs.some((u) => (u.endsWith('*') ? r.path?.startsWith(u.slice(0, -1)) : r.path === u))) continue;
    } else if (rule.resources !== undefined) {
      if (r.resource === undefined || !rule.resources.some((g) => (g.group ?? '') === (r.group ?? '') && (g.resources === undefined || g.resources.length === 0 || g.resources.includes(r.resource ?? '')))) continue;
    }
    return rule.level;
  }
  return 'None';
}

const ORDER = ['None', 'Metadata', 'Request', 'RequestResponse'];
const atLeast = (level: string, min: string): boolean => ORDER.indexOf(level) >= ORDER.indexOf(min);

describe('deploy/audit/audit-policy.yaml', () => {
  it('is an audit.k8s.io/v1 Policy that omits RequestReceived', () => {
    expect([policy.apiVersion, policy.kind]).toEqual(['audit.k8s.io/v1', 'Policy']);
    expect(policy.omitStages).toContain('RequestReceived');
  });

  it.each([
    ['pod creates (the pod rules read the spec)', { verb: 'create', resource: 'pods' }],
    ['workload templates, created, updated or patched', { verb: 'patch', group: 'apps', resource: 'daemonsets' }],
    ['CronJob templates', { verb: 'create', group: 'batch', resource: 'cronjobs' }],
    ['ephemeral containers', { verb: 'patch', resource: 'pods/ephemeralcontainers' }],
    ['roles', { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' }],
    ['bindings', { verb: 'update', group: 'rbac.authorization.k8s.io', resource: 'rolebindings' }],
    ['services (node ports)', { verb: 'create', resource: 'services' }],
    ['config maps (credentials)', { verb: 'patch', resource: 'configmaps' }],
  ] as const)('records the body of %s', (_what, request) => {
    expect(levelOf(request)).toBe('RequestResponse');
  });

  it.each([
    ['exec', { verb: 'create', resource: 'pods/exec' }],
    ['port-forward', { verb: 'get', resource: 'pods/portforward' }],
    ['namespace creates', { verb: 'create', resource: 'namespaces' }],
    ['service account creates', { verb: 'create', resource: 'serviceaccounts' }],
    ['an anonymous list of config maps', { verb: 'list', resource: 'configmaps', user: 'system:anonymous', groups: ['system:unauthenticated'] }],
    ['a person reading pods', { verb: 'get', resource: 'pods', user: 'alice@acme.io', groups: ['system:authenticated'] }],
  ] as const)('records %s at least at Metadata', (_what, request) => {
    expect(atLeast(levelOf(request), 'Metadata')).toBe(true);
  });

  it('records Secrets (and token requests) at Metadata only: never their data', () => {
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']) {
      expect(levelOf({ verb, resource: 'secrets', user: 'alice@acme.io', groups: ['system:authenticated'] })).toBe('Metadata');
    }
    expect(levelOf({ verb: 'create', resource: 'serviceaccounts/token' })).toBe('Metadata');
  });

  it('drops the noise: lease renewals, the kubelets\' reads, health probes', () => {
    expect(levelOf({ verb: 'update', group: 'coordination.k8s.io', resource: 'leases', user: 'system:node:n1', groups: ['system:nodes'] })).toBe('None');
    expect(levelOf({ verb: 'get', resource: 'pods', user: 'system:node:n1', groups: ['system:nodes'] })).toBe('None');
    expect(levelOf({ verb: 'get', path: '/healthz' })).toBe('None');
  });
});

describe('deploy/audit manifests and code', () => {
  const kubeconfig = parse(readFileSync(join(DIR, 'webhook-kubeconfig.yaml'), 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
  const docs = parseAllDocuments(readFileSync(join(DIR, 'deployment.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec: Record<string, unknown> });
  const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ args: string[]; ports: Array<{ containerPort: number }> }> } } } };
  const container = deployment.spec.template.spec.containers[0];

  it('the webhook kubeconfig points at the receiver\'s path and the Deployment\'s port', () => {
    const server = new URL(kubeconfig.clusters[0]?.cluster.server ?? '');
    expect(server.protocol).toBe('https:');
    expect(server.pathname).toBe(AUDIT_PATH);
    const port = container?.args[(container.args.indexOf('--port') ?? -1) + 1];
    expect(server.port).toBe(port);
    expect(container?.ports.map((p) => String(p.containerPort))).toContain(port);
  });

  it('its NetworkPolicy selects the receiver and opens exactly its port, DNS and HTTPS out (a namespace default-deny would cut the API server off)', () => {
    const policy = docs.find((d) => d.kind === 'NetworkPolicy') as unknown as { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: Array<{ from?: unknown; ports: Array<{ port: number }> }>; egress: Array<{ ports: Array<{ port: number }> }> } };
    const labels = (deployment.spec as unknown as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    expect(Object.entries(policy.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v)).toBe(true);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: Number(container?.args[(container.args.indexOf('--port') ?? -1) + 1]), protocol: 'TCP' }] }]);
    expect(policy.spec.egress.flatMap((e) => e.ports.map((p) => p.port))).toEqual([53, 53, 443]);
  });

  it('the Deployment runs flags audit serve has (its --help lists each)', async () => {
    expect(container?.args.slice(0, 2)).toEqual(['audit', 'serve']);
    const help = (await cli(['audit', 'serve', '--help'])).stdout;
    for (const flag of container?.args.filter((a) => a.startsWith('--')) ?? []) expect(help, flag).toContain(flag);
  });
});
