/**
 * Conformance with Falco's k8saudit regression tests (testdata/upstream/falco-k8s-audit/expected.tsv: each row
 * replays one upstream trace file under a set of rules files and says which rules alert, how often, or that
 * none does). Falco's rule overrides are emulated with runwarden's settings:
 * - Falco's default allow-lists, which its tests assume: allowed_k8s_users (of the traces' users: minikube-user,
 *   admin) and allowed_namespaces (kube-system, kube-public, default), for unexpected-user and
 *   unexpected-namespace-created, which runwarden runs only when given such lists;
 * - allow_user_some-user.yaml and allow_namespace_foo.yaml add to those lists;
 * - trust_nginx_container.yaml → trustedImages [nginx];
 * - Falco's activity rules are on unless disallow_kactivity.yaml is loaded → change-trail (off by default in runwarden).
 * Rows that test a Falco feature runwarden does not have (its rule language, an image allow-list for every pod)
 * are listed in NOT_APPLICABLE with the reason, and counted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { traceEvents } from '../../test/audit.js';
import { Detector } from './detect.js';
import { AUDIT_RULES } from './registry.js';
import type { AuditSettings } from './rule.js';

const DIR = join(import.meta.dirname, '..', '..', 'testdata', 'upstream', 'falco-k8s-audit');

interface Row {
  test: string;
  trace: string;
  detect: boolean;
  counts: Map<string, number>;
  files: string[];
}

const rows: Row[] = readFileSync(join(DIR, 'expected.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((l) => l.trim() !== '')
  .map((line) => {
    const [test = '', trace = '', detect = '', , counts = '', files = ''] = line.split('\t');
    const parsed = new Map<string, number>();
    for (const part of counts.split(';').filter((p) => p !== '')) {
      const eq = part.lastIndexOf('=');
      parsed.set(part.slice(0, eq), Number(part.slice(eq + 1)));
    }
    return { test, trace: trace.replace('trace_files/k8s_audit/', ''), detect: detect === 'true', counts: parsed, files: files.split(',').map((f) => f.split('/').pop() ?? f) };
  });

/** Falco rule names of 2023 that were split or renamed since (the dataset's SOURCE.md); all are change-trail's now. */
const RENAMED: Record<string, string> = {
  'K8s Role/Clusterrole Created': 'change-trail',
  'K8s Role/Clusterrole Deleted': 'change-trail',
  'K8s Role/Clusterrolebinding Created': 'change-trail',
  'K8s Role/Clusterrolebinding Deleted': 'change-trail',
};

function ruleFor(falcoName: string): string | undefined {
  return RENAMED[falcoName] ?? AUDIT_RULES.find((r) => r.falco.includes(falcoName))?.id;
}

const NOT_APPLICABLE: Record<string, string> = {
  compat_engine_v4_create_disallowed_pod: 'Create Disallowed Pod (an image allow-list for every pod) is the admission webhook\'s registry-allow-list in runwarden, not an audit rule',
  compat_engine_v4_create_allowed_pod: 'as compat_engine_v4_create_disallowed_pod',
  create_disallowed_pod: 'as compat_engine_v4_create_disallowed_pod',
  create_allowed_pod: 'as compat_engine_v4_create_disallowed_pod',
  json_pointer_correct_parse: 'a test of Falco\'s rule language (a user rule with a JSON pointer); runwarden\'s rules are code',
};

/**
 * Rules of runwarden that also alert on a row's trace, beyond those the row counts. Falco's tests count only
 * the rule a test is about; each of these is what Falco's own default rules (named) report for the same event.
 */
const ALSO: Record<string, string[]> = {
  // some-user creates namespace foo: K8s Namespace Created
  user_outside_allowed_set: ['change-trail'],
  // anonymous creates namespace foo: Create Disallowed Namespace, K8s Namespace Created
  anonymous_user: ['unexpected-namespace-created', 'change-trail'],
  namespace_outside_allowed_set: ['change-trail'],
  // K8s Serviceaccount Created
  create_serviceaccount_in_kube_system_namespace: ['change-trail'],
  create_serviceaccount_in_kube_public_namespace: ['change-trail'],
  // K8s ClusterRole Deleted
  system_clusterrole_deleted: ['change-trail'],
  // K8s ClusterRoleBinding Created
  attach_cluster_admin_role: ['change-trail'],
  // K8s ClusterRole Created
  create_cluster_role_wildcard_resources: ['change-trail'],
  create_cluster_role_wildcard_verbs: ['change-trail'],
  create_writable_cluster_role: ['change-trail'],
  create_pod_exec_cluster_role: ['change-trail'],
};

function settingsFor(row: Row): Partial<AuditSettings> {
  return {
    activity: !row.files.includes('disallow_kactivity.yaml'),
    allowedUsers: ['minikube-user', 'admin', ...(row.files.includes('allow_user_some-user.yaml') ? ['some-user'] : [])],
    allowedNamespaces: ['kube-system', 'kube-public', 'default', ...(row.files.includes('allow_namespace_foo.yaml') ? ['foo'] : [])],
    trustedImages: row.files.includes('trust_nginx_container.yaml') ? ['nginx'] : [],
  };
}

function detect(row: Row): Map<string, number> {
  const detector = new Detector(settingsFor(row));
  const counts = new Map<string, number>();
  for (const event of traceEvents(row.trace)) for (const f of detector.push(event)) counts.set(f.rule, (counts.get(f.rule) ?? 0) + 1);
  return counts;
}

const applicable = rows.filter((r) => NOT_APPLICABLE[r.test] === undefined);

describe('Falco k8saudit regression tests (upstream expected.tsv)', () => {
  it('reads every row, and leaves out only those listed with a reason', () => {
    expect(rows).toHaveLength(66);
    expect(rows.filter((r) => NOT_APPLICABLE[r.test] !== undefined).map((r) => r.test).sort()).toEqual(Object.keys(NOT_APPLICABLE).sort());
    expect(applicable).toHaveLength(61);
    // every row named in ALSO is one that runs
    expect(Object.keys(ALSO).filter((t) => !applicable.some((r) => r.test === t && r.detect))).toEqual([]);
  });

  it.each(applicable.filter((r) => r.detect).map((r) => [r.test, r] as const))('%s: the counted rules alert as often as in Falco', (_test, row) => {
    const got = detect(row);
    const expected = new Map<string, number>();
    for (const [name, count] of row.counts) {
      const id = ruleFor(name);
      expect(id, `no runwarden rule for Falco's "${name}"`).toBeDefined();
      expected.set(id as string, (expected.get(id as string) ?? 0) + count);
    }
    for (const id of ALSO[row.test] ?? []) expected.set(id, 1);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
  });

  it.each(applicable.filter((r) => !r.detect).map((r) => [r.test, r] as const))('%s: nothing alerts', (_test, row) => {
    expect(Object.fromEntries(detect(row))).toEqual({});
  });
});
