/**
 * Agreement with Polaris' RBAC test cases and Kubescape's automount cases (copied under
 * testdata/upstream/ and testdata/upstream/workload-config-kubescape, see their SOURCE.md). The
 * tables are what runwarden answers; each difference from upstream is explained in readme.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import type { Inventory } from '../../core/inventory.js';
import { podViews } from '../../core/inventory.js';
import { buildInventory } from '../../inventory/build.js';
import { loadSnapshot } from '../../inventory/sources/snapshot/index.js';
import { rbacClusterAdmin } from '../checks/rbac-cluster-admin/index.js';
import { rbacPodExec } from '../checks/rbac-pod-exec/index.js';
import { risksOf, tokenMounted } from './analysis.js';

const HERE = import.meta.dirname;
const POLARIS = join(HERE, 'testdata', 'upstream', 'polaris');
const KUBESCAPE = join(HERE, '..', '..', '..', 'testdata', 'upstream', 'workload-config-kubescape', 'rules');
const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };

async function inventoryOfFile(path: string): Promise<Inventory> {
  return buildInventory(await loadSnapshot({ path }));
}

/** Polaris check → which runwarden answer it is compared with, and the binding → role kinds it covers. */
const MAPPING: Record<string, { kind: 'binding'; risks: Array<'cluster-admin' | 'pod-exec'>; binding: string; role: string } | { kind: 'role'; role: 'Role' | 'ClusterRole' }> = {
  clusterrolebindingClusterAdmin: { kind: 'binding', risks: ['cluster-admin'], binding: 'ClusterRoleBinding', role: 'ClusterRole' },
  rolebindingClusterAdminClusterRole: { kind: 'binding', risks: ['cluster-admin'], binding: 'RoleBinding', role: 'ClusterRole' },
  rolebindingClusterAdminRole: { kind: 'binding', risks: ['cluster-admin'], binding: 'RoleBinding', role: 'Role' },
  // cluster-admin subsumes exec: a binding to it is reported by rbac-cluster-admin only
  clusterrolebindingPodExecAttach: { kind: 'binding', risks: ['pod-exec', 'cluster-admin'], binding: 'ClusterRoleBinding', role: 'ClusterRole' },
  rolebindingClusterRolePodExecAttach: { kind: 'binding', risks: ['pod-exec', 'cluster-admin'], binding: 'RoleBinding', role: 'ClusterRole' },
  rolebindingRolePodExecAttach: { kind: 'binding', risks: ['pod-exec', 'cluster-admin'], binding: 'RoleBinding', role: 'Role' },
  clusterrolePodExecAttach: { kind: 'role', role: 'ClusterRole' },
  rolePodExecAttach: { kind: 'role', role: 'Role' },
};

function grantsOf(finding: Finding): Array<{ binding: string; role: string }> {
  const grants = finding.evidence.grants;
  return Array.isArray(grants) ? (grants as Array<{ binding: string; role: string }>) : [];
}

async function verdict(check: string, file: string): Promise<'pass' | 'fail'> {
  const map = MAPPING[check];
  if (map === undefined) throw new Error(`unmapped Polaris check ${check}`);
  const inv = await inventoryOfFile(file);
  if (map.kind === 'role') {
    const risky = inv.roles.filter((r) => r.kind === map.role && risksOf(r.kind, r.name, r.rules).some((h) => h.risk === 'pod-exec' || h.risk === 'cluster-admin'));
    return risky.length > 0 ? 'fail' : 'pass';
  }
  const findings = [...(map.risks.includes('cluster-admin') ? rbacClusterAdmin.run(inv, ctx).findings : []), ...(map.risks.includes('pod-exec') ? rbacPodExec.run(inv, ctx).findings : [])];
  const scoped = findings.filter((f) => grantsOf(f).some((g) => g.binding.startsWith(`${map.binding} `) && g.role.startsWith(`${map.role} `)));
  return scoped.length > 0 ? 'fail' : 'pass';
}

describe('Polaris RBAC checks (130 cases)', () => {
  const rows = readFileSync(join(POLARIS, 'index.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));

  it('agrees except on the deliberate differences of the readme', async () => {
    const perCheck: Record<string, { cases: number; agree: number }> = {};
    const differences: string[] = [];
    for (const [path = '', check = '', expected = ''] of rows) {
      const got = await verdict(check, join(POLARIS, path.replace(/^checks\//, '')));
      const entry = perCheck[check] ?? { cases: 0, agree: 0 };
      entry.cases++;
      if (got === expected) entry.agree++;
      else differences.push(`${path.replace(/^checks\//, '')}: Polaris ${expected}, runwarden ${got}`);
      perCheck[check] = entry;
    }
    expect(rows).toHaveLength(130);
    expect(differences.sort()).toEqual(EXPECTED_DIFFERENCES);
    expect(perCheck).toEqual(EXPECTED_AGREEMENT);
  });
});

/**
 * See readme.md, "Conformance". Polaris exempts objects by name (a `system:` prefix, the default role
 * names admin/cluster-admin, the GKE binding gce:podsecuritypolicy:calico-sa); runwarden judges what is
 * granted to whom, so a `system:`-named binding that gives a person exec or cluster-admin is reported.
 * A binding to a role that does not exist grants nothing: an issue (rbac-dangling-binding or, when roles
 * were not read, rbac-role-unknown), not a finding.
 */
const EXPECTED_DIFFERENCES: string[] = [
  'clusterrolePodExecAttach/success.defaultclusterrole_admin.yaml: Polaris pass, runwarden fail',
  'clusterrolePodExecAttach/success.defaultclusterrole_clusteradmin.yaml: Polaris pass, runwarden fail',
  'clusterrolePodExecAttach/success.gce_calico_clusterrole.yaml: Polaris pass, runwarden fail',
  'clusterrolePodExecAttach/success.system_prefix.yaml: Polaris pass, runwarden fail',
  'clusterrolebindingClusterAdmin/success.gce_calico_binding.yaml: Polaris pass, runwarden fail',
  'clusterrolebindingClusterAdmin/success.system_prefix_binding.yaml: Polaris pass, runwarden fail',
  'clusterrolebindingPodExecAttach/failure.binding_points_to_missing_ref.yaml: Polaris fail, runwarden pass',
  'clusterrolebindingPodExecAttach/success.defaultclusterrolebinding_clusteradmin.yaml: Polaris pass, runwarden fail',
  'clusterrolebindingPodExecAttach/success.defaultclusterrolebinding_system-controller-generic-garbage-collector.yaml: Polaris pass, runwarden fail',
  'clusterrolebindingPodExecAttach/success.gce_calico_binding.yaml: Polaris pass, runwarden fail',
  'clusterrolebindingPodExecAttach/success.system_prefix_binding.yaml: Polaris pass, runwarden fail',
  'rolePodExecAttach/success.gce_calico_binding.yaml: Polaris pass, runwarden fail',
  'rolePodExecAttach/success.system_prefix_binding.yaml: Polaris pass, runwarden fail',
  'rolebindingClusterAdminClusterRole/success.gce_calico_binding.yaml: Polaris pass, runwarden fail',
  'rolebindingClusterAdminClusterRole/success.system_prefix_binding.yaml: Polaris pass, runwarden fail',
  'rolebindingClusterAdminRole/success.gce_calico_binding.yaml: Polaris pass, runwarden fail',
  'rolebindingClusterAdminRole/success.system_prefix_binding.yaml: Polaris pass, runwarden fail',
  'rolebindingClusterRolePodExecAttach/failure.binding_points_to_missing_ref.yaml: Polaris fail, runwarden pass',
  'rolebindingClusterRolePodExecAttach/success.gce_calico_binding.yaml: Polaris pass, runwarden fail',
  'rolebindingClusterRolePodExecAttach/success.system_prefix_binding.yaml: Polaris pass, runwarden fail',
  'rolebindingRolePodExecAttach/failure.binding_points_to_missing_ref.yaml: Polaris fail, runwarden pass',
  'rolebindingRolePodExecAttach/success.gce_calico_binding.yaml: Polaris pass, runwarden fail',
  'rolebindingRolePodExecAttach/success.system_prefix_binding.yaml: Polaris pass, runwarden fail',
];
const EXPECTED_AGREEMENT: Record<string, { cases: number; agree: number }> = {
  clusterrolebindingClusterAdmin: { cases: 11, agree: 9 },
  rolebindingClusterAdminClusterRole: { cases: 13, agree: 11 },
  rolebindingClusterAdminRole: { cases: 11, agree: 9 },
  clusterrolebindingPodExecAttach: { cases: 20, agree: 15 },
  rolebindingClusterRolePodExecAttach: { cases: 20, agree: 17 },
  rolebindingRolePodExecAttach: { cases: 21, agree: 18 },
  clusterrolePodExecAttach: { cases: 18, agree: 14 },
  rolePodExecAttach: { cases: 16, agree: 14 },
};

describe('Kubescape automount-service-account (9 cases): is the ServiceAccount token mounted?', () => {
  it('agrees on every case (pod spec first, then the ServiceAccount, then mounted by default)', async () => {
    const dir = join(KUBESCAPE, 'automount-service-account', 'test');
    const results: Record<string, string> = {};
    for (const name of readdirSync(dir).sort()) {
      const alerts = JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8')) as unknown[];
      const inv = await inventoryOfFile(join(dir, name, 'input'));
      const serviceAccounts = new Map(inv.serviceAccounts.map((sa) => [`${sa.namespace}/${sa.name}`, sa.automountServiceAccountToken]));
      const mounted = podViews(inv).map((v) => tokenMounted(v, serviceAccounts.get(`${v.namespace}/${v.serviceAccountName}`)).mounted);
      results[name] = `kubescape ${alerts.length > 0 ? 'mounted' : 'not mounted'}, runwarden ${mounted.map((m) => (m ? 'mounted' : 'not mounted')).join(',')}`;
    }
    const disagreements = Object.entries(results).filter(([, r]) => r.split(', runwarden ')[0]?.replace('kubescape ', '') !== r.split(', runwarden ')[1]);
    expect([Object.keys(results).length, disagreements]).toEqual([9, []]);
  });
});
