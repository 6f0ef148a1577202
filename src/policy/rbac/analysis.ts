/**
 * RBAC risks: what each binding grants (its role's rules, with ClusterRole aggregation), to whom
 * (its subjects), and which running workloads inherit it (the pods that run as a bound
 * ServiceAccount, including through the groups every ServiceAccount is in). See readme.md for the
 * risks, the scopes and the filtering of Kubernetes' own default bindings.
 */
import type { Inventory, PodView, PolicyRule, RbacSubject, RoleBindingInfo, RoleInfo, WorkloadRef } from '../../core/inventory.js';
import { podViews, workloadKey } from '../../core/inventory.js';
import { issue, type Issue } from '../../core/issue.js';
import { compileSelector } from '../network/selector.js';
import { formatRule, ruleAllowsSomeName } from './match.js';

export const RBAC_RISKS = ['cluster-admin', 'wildcard', 'secrets-read', 'pod-exec', 'privilege-escalation'] as const;
export type RbacRisk = (typeof RBAC_RISKS)[number];

/** Every verb a ClusterRole needs to be cluster-admin in all but name (with `*` resources in `*` groups). */
const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
/** Groups that hold everyone: never "system identities" for the default-binding filter. */
const BROAD_GROUPS = new Set(['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts']);
const ANONYMOUS_USER = 'system:anonymous';
const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
/** Non-resource URLs the default system:public-info-viewer role shows to anonymous users. */
const PUBLIC_INFO_URLS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export interface RiskHit {
  risk: RbacRisk;
  /** `can read every Secret`, `can exec into pods (pods/exec)`. */
  detail: string;
  /** The role's rules that grant it, as people read them. */
  rules: string[];
  /** Limited to named objects (resourceNames). */
  narrow: boolean;
}

export interface Grant extends RiskHit {
  /** `ClusterRoleBinding ci-deployer`, `RoleBinding shop/web-config`. */
  binding: string;
  /** `ClusterRole cluster-admin`, `Role shop/config-editor`. */
  role: string;
  /** undefined: cluster-wide (ClusterRoleBinding); otherwise the namespace of the RoleBinding. */
  namespace: string | undefined;
  /** The subject as bound: `ServiceAccount shop/web`, `Group system:serviceaccounts:shop`. */
  via: string;
}

export interface PrincipalRisks {
  kind: RbacSubject['kind'];
  name: string;
  namespace: string | undefined;
  grants: Grant[];
  /** ServiceAccounts: no pod or template of the inventory runs as it. */
  unused: boolean;
}

export interface WorkloadRisks {
  workload: WorkloadRef;
  serviceAccount: string;
  /** Whether the pods get the ServiceAccount token mounted (pod spec, else ServiceAccount, else yes). */
  tokenMounted: boolean;
  tokenBecause: string;
  pods: string[];
  grants: Grant[];
}

export interface AnonymousBinding {
  binding: string;
  role: string;
  namespace: string | undefined;
  subjects: string[];
  rules: string[];
  risks: RiskHit[];
  origin: string | undefined;
}

export interface RbacAnalysis {
  available: boolean;
  issues: Issue[];
  principals: PrincipalRisks[];
  workloads: WorkloadRisks[];
  anonymous: AnonymousBinding[];
  /** Default system bindings (Kubernetes' own) left out of the report. */
  defaultBindings: number;
}

function bindingName(b: RoleBindingInfo): string {
  return b.kind === 'RoleBinding' ? `RoleBinding ${b.namespace ?? ''}/${b.name}` : `ClusterRoleBinding ${b.name}`;
}

function subjectName(s: RbacSubject): string {
  return s.kind === 'ServiceAccount' ? `ServiceAccount ${s.namespace ?? ''}/${s.name}` : `${s.kind} ${s.name}`;
}

/** `system:serviceaccount:<ns>:<name>` as a User subject is that ServiceAccount. */
function serviceAccountUser(name: string): [string, string] | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
  return m?.[1] === undefined || m[2] === undefined ? undefined : [m[1], m[2]];
}

function isSystemIdentity(s: RbacSubject): boolean {
  if (s.kind === 'ServiceAccount') return s.namespace === 'kube-system';
  if (BROAD_GROUPS.has(s.name) || s.name === ANONYMOUS_USER) return false;
  const sa = serviceAccountUser(s.name);
  if (sa !== undefined) return sa[0] === 'kube-system';
  if (s.kind === 'Group' && s.name.startsWith('system:serviceaccounts:')) return s.name === 'system:serviceaccounts:kube-system';
  return s.name.startsWith('system:');
}

/**
 * Kubernetes' own bindings (the API server's bootstrap policy and controller roles): a `system:`
 * role bound only to system identities, or the bootstrap `cluster-admin` binding of system:masters.
 * Bindings to the broad groups (system:authenticated, …) are never filtered, whatever their name.
 */
export function isDefaultSystemBinding(b: RoleBindingInfo): boolean {
  if (b.subjects.length === 0 || !b.subjects.every(isSystemIdentity)) return false;
  if (b.roleRef.name.startsWith('system:')) return true;
  return b.labels['kubernetes.io/bootstrapping'] === 'rbac-defaults' && b.name === 'cluster-admin' && b.roleRef.name === 'cluster-admin';
}

const SECRET_VERBS = ['get', 'list', 'watch'];

/** The risks a role's rules carry; cluster-admin subsumes the others. */
export function risksOf(roleKind: 'Role' | 'ClusterRole', roleName: string, rules: readonly PolicyRule[]): RiskHit[] {
  const resourceRules = rules.filter((r) => r.resources.length > 0);
  const adminRules = resourceRules.filter((r) => r.apiGroups.includes('*') && r.resources.includes('*') && r.resourceNames.length === 0 && (r.verbs.includes('*') || ALL_VERBS.every((v) => r.verbs.includes(v))));
  if ((roleKind === 'ClusterRole' && roleName === 'cluster-admin') || adminRules.length > 0) {
    const byName = roleKind === 'ClusterRole' && roleName === 'cluster-admin' && adminRules.length === 0;
    return [{ risk: 'cluster-admin', detail: byName ? 'is bound to the cluster-admin ClusterRole (full control)' : 'has every verb on every resource of every API group (cluster-admin in all but name)', rules: (byName ? resourceRules : adminRules).map(formatRule), narrow: false }];
  }
  const hits: RiskHit[] = [];
  const wildcard = resourceRules.filter((r) => r.verbs.includes('*') || r.resources.includes('*'));
  if (wildcard.length > 0) {
    const what = [wildcard.some((r) => r.verbs.includes('*')) ? 'every verb' : undefined, wildcard.some((r) => r.resources.includes('*')) ? 'every resource' : undefined].filter((x) => x !== undefined).join(' and ');
    hits.push({ risk: 'wildcard', detail: `uses wildcards (${what}): it also covers resources and verbs added later`, rules: wildcard.map(formatRule), narrow: false });
  }
  const secrets = resourceRules.filter((r) => SECRET_VERBS.some((verb) => ruleAllowsSomeName(r, { verb, group: '', resource: 'secrets' })));
  if (secrets.length > 0) {
    const broad = secrets.filter((r) => r.resourceNames.length === 0);
    const verbs = SECRET_VERBS.filter((verb) => secrets.some((r) => ruleAllowsSomeName(r, { verb, group: '', resource: 'secrets' })));
    const names = [...new Set(secrets.flatMap((r) => r.resourceNames))];
    hits.push({
      risk: 'secrets-read',
      detail: broad.length > 0 ? `can ${verbs.join('/')} every Secret` : `can ${verbs.join('/')} the Secrets ${names.join(', ')}`,
      rules: secrets.map(formatRule),
      narrow: broad.length === 0,
    });
  }
  const execRules: PolicyRule[] = [];
  const subs = new Set<string>();
  for (const r of resourceRules) {
    for (const sub of ['exec', 'attach']) {
      if (['create', 'get'].some((verb) => ruleAllowsSomeName(r, { verb, group: '', resource: 'pods', subresource: sub }))) {
        subs.add(`pods/${sub}`);
        if (!execRules.includes(r)) execRules.push(r);
      }
    }
  }
  if (execRules.length > 0) {
    const narrow = execRules.every((r) => r.resourceNames.length > 0);
    hits.push({ risk: 'pod-exec', detail: `can run commands in pods (${[...subs].join(', ')})${narrow ? ` named ${[...new Set(execRules.flatMap((r) => r.resourceNames))].join(', ')}` : ''}`, rules: execRules.map(formatRule), narrow });
  }
  const escalation: Array<[string, PolicyRule]> = [];
  const checks: Array<[string, string, string, string | undefined]> = [
    ['escalate', 'rbac.authorization.k8s.io', 'roles', undefined],
    ['escalate', 'rbac.authorization.k8s.io', 'clusterroles', undefined],
    ['bind', 'rbac.authorization.k8s.io', 'roles', undefined],
    ['bind', 'rbac.authorization.k8s.io', 'clusterroles', undefined],
    ['impersonate', '', 'users', undefined],
    ['impersonate', '', 'groups', undefined],
    ['impersonate', '', 'serviceaccounts', undefined],
    ['impersonate', 'authentication.k8s.io', 'uids', undefined],
    ['impersonate', 'authentication.k8s.io', 'userextras', 'scopes'],
    ['create', '', 'serviceaccounts', 'token'],
  ];
  for (const r of resourceRules) {
    for (const [verb, group, resource, subresource] of checks) {
      if (ruleAllowsSomeName(r, { verb, group, resource, subresource })) escalation.push([`${verb} ${subresource === undefined ? resource : `${resource}/${subresource}`}`, r]);
    }
  }
  if (escalation.length > 0) {
    const what = [...new Set(escalation.map(([w]) => w))];
    hits.push({ risk: 'privilege-escalation', detail: `can grant itself more power (${what.join(', ')})`, rules: [...new Set(escalation.map(([, r]) => r))].map(formatRule), narrow: false });
  }
  return hits;
}

/** Roles that only show health and version endpoints (the default public-info-viewer): harmless to anyone. */
function onlyPublicInfo(rules: readonly PolicyRule[]): boolean {
  return rules.length > 0 && rules.every((r) => r.resources.length === 0 && r.nonResourceURLs.every((u) => PUBLIC_INFO_URLS.has(u)) && r.verbs.every((v) => v === 'get'));
}

const cache = new WeakMap<Inventory, RbacAnalysis>();

export function analyzeRbac(inventory: Inventory): RbacAnalysis {
  let analysis = cache.get(inventory);
  if (analysis === undefined) {
    analysis = compute(inventory);
    cache.set(inventory, analysis);
  }
  return analysis;
}

/** ClusterRole rules including aggregated ones (clusterRoleSelectors, transitively). */
function aggregatedRules(roles: RoleInfo[]): Map<string, PolicyRule[]> {
  const clusterRoles = roles.filter((r) => r.kind === 'ClusterRole' && r.invalid === undefined);
  const out = new Map<string, PolicyRule[]>();
  const resolve = (role: RoleInfo, seen: Set<string>): PolicyRule[] => {
    const cached = out.get(role.name);
    if (cached !== undefined) return cached;
    const rules = [...role.rules];
    if (role.aggregationSelectors.length > 0 && !seen.has(role.name)) {
      seen.add(role.name);
      const selectors = role.aggregationSelectors.map(compileSelector);
      for (const other of clusterRoles) {
        if (other.name === role.name || !selectors.some((s) => !s.empty && s.matches(other.labels))) continue;
        rules.push(...resolve(other, seen));
      }
    }
    out.set(role.name, rules);
    return rules;
  };
  for (const r of clusterRoles) resolve(r, new Set());
  return out;
}

function compute(inventory: Inventory): RbacAnalysis {
  const issues: Issue[] = [];
  const complete = new Set(inventory.coverage.complete);
  const views = podViews(inventory);
  const cluster = views.some((v) => v.pod !== undefined);
  const bindingKinds = (['RoleBinding', 'ClusterRoleBinding'] as const).filter((k) => complete.has(k));
  if (bindingKinds.length === 0) {
    // A manifest check (no pods) usually holds no bindings: nothing to say. A cluster scan without them has a gap.
    if (cluster) {
      issues.push(
        issue(
          'rbac-unknown',
          'RoleBindings and ClusterRoleBindings were not read, so RBAC risks cannot be evaluated: the rbac-* checks are skipped',
          inventory.source.location,
          'Include them in the snapshot ("kubectl get roles,clusterroles,rolebindings,clusterrolebindings,serviceaccounts -A -o json") or grant list on them (deploy/clusterrole.yaml).',
        ),
      );
    }
    return { available: false, issues, principals: [], workloads: [], anonymous: [], defaultBindings: 0 };
  }
  if (bindingKinds.length === 1 && cluster) {
    const missing = bindingKinds[0] === 'RoleBinding' ? 'ClusterRoleBindings' : 'RoleBindings';
    issues.push(issue('rbac-partial', `${missing} were not read: the permissions they grant are not evaluated`, inventory.source.location, `Include ${missing} in the snapshot or grant list on them (deploy/clusterrole.yaml).`));
  }

  const rolesByKey = new Map<string, RoleInfo>();
  for (const r of inventory.roles) rolesByKey.set(r.kind === 'Role' ? `Role/${r.namespace ?? ''}/${r.name}` : `ClusterRole/${r.name}`, r);
  const clusterRules = aggregatedRules(inventory.roles);
  const unknownRoles: string[] = [];
  let defaultBindings = 0;

  const principals = new Map<string, PrincipalRisks>();
  const exact = new Map<string, Grant[]>(); // ns/name → grants
  const byNamespace = new Map<string, Grant[]>(); // every SA of a namespace
  const everySa: Grant[] = [];
  const anonymous: AnonymousBinding[] = [];

  for (const b of inventory.roleBindings) {
    if (b.invalid !== undefined) continue;
    if (isDefaultSystemBinding(b)) {
      defaultBindings++;
      continue;
    }
    const namespace = b.kind === 'RoleBinding' ? b.namespace : undefined;
    const roleKey = b.roleRef.kind === 'Role' ? `Role/${namespace ?? ''}/${b.roleRef.name}` : `ClusterRole/${b.roleRef.name}`;
    const role = rolesByKey.get(roleKey);
    const roleLabel = b.roleRef.kind === 'Role' ? `Role ${namespace ?? ''}/${b.roleRef.name}` : `ClusterRole ${b.roleRef.name}`;
    let rules: PolicyRule[];
    if (role !== undefined && role.invalid === undefined) {
      rules = role.kind === 'ClusterRole' ? (clusterRules.get(role.name) ?? role.rules) : role.rules;
    } else if (role === undefined && b.roleRef.kind === 'ClusterRole' && b.roleRef.name === 'cluster-admin') {
      rules = []; // the bootstrap role: the API server keeps it at every verb on everything
    } else {
      if (role === undefined) {
        const listed = complete.has(b.roleRef.kind);
        if (listed) {
          issues.push(
            issue(
              'rbac-dangling-binding',
              `${bindingName(b)} refers to ${roleLabel}, which does not exist: it grants nothing now, but creating that role would grant it to ${b.subjects.map(subjectName).join(', ')}`,
              b.origin,
              `Delete the binding (kubectl delete ${b.kind.toLowerCase()} ${b.name}${namespace === undefined ? '' : ` -n ${namespace}`}) or create the role it means.`,
            ),
          );
        } else unknownRoles.push(`${bindingName(b)} → ${roleLabel}`);
      }
      continue;
    }
    const hits = risksOf(b.roleRef.kind, b.roleRef.name, rules);
    const anonymousSubjects = b.subjects.filter((s) => (s.kind === 'User' && s.name === ANONYMOUS_USER) || (s.kind === 'Group' && s.name === UNAUTHENTICATED_GROUP));
    if (anonymousSubjects.length > 0 && !onlyPublicInfo(rules)) {
      anonymous.push({ binding: bindingName(b), role: roleLabel, namespace, subjects: anonymousSubjects.map(subjectName), rules: rules.map(formatRule), risks: hits, origin: b.origin });
    }
    if (hits.length === 0) continue;
    for (const s of b.subjects) {
      if (anonymousSubjects.includes(s)) continue;
      const via = subjectName(s);
      const grants: Grant[] = hits.map((h) => ({ ...h, binding: bindingName(b), role: roleLabel, namespace, via }));
      const sa = s.kind === 'ServiceAccount' ? ([s.namespace ?? '', s.name] as [string, string]) : s.kind === 'User' ? serviceAccountUser(s.name) : undefined;
      const principal = sa === undefined ? { kind: s.kind, name: s.name, namespace: undefined } : { kind: 'ServiceAccount' as const, name: sa[1], namespace: sa[0] };
      const key = `${principal.kind}/${principal.namespace ?? ''}/${principal.name}`;
      const entry = principals.get(key) ?? { ...principal, grants: [], unused: false };
      entry.grants.push(...grants);
      principals.set(key, entry);
      if (sa !== undefined) exact.set(`${sa[0]}/${sa[1]}`, [...(exact.get(`${sa[0]}/${sa[1]}`) ?? []), ...grants]);
      else if (s.kind === 'Group' && (s.name === 'system:serviceaccounts' || s.name === 'system:authenticated')) everySa.push(...grants);
      else if (s.kind === 'Group' && s.name.startsWith('system:serviceaccounts:')) {
        const ns = s.name.slice('system:serviceaccounts:'.length);
        byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), ...grants]);
      }
    }
  }
  if (unknownRoles.length > 0) {
    issues.push(
      issue(
        'rbac-role-unknown',
        `${unknownRoles.length} binding(s) refer to roles that were not read, so what they grant is unknown: ${unknownRoles.slice(0, 5).join('; ')}${unknownRoles.length > 5 ? '; …' : ''}`,
        inventory.source.location,
        'Include Roles and ClusterRoles in the snapshot or grant list on them (deploy/clusterrole.yaml).',
      ),
    );
  }

  // Workloads inherit the grants of the ServiceAccount their pods run as.
  const serviceAccounts = new Map(inventory.serviceAccounts.map((sa) => [`${sa.namespace}/${sa.name}`, sa]));
  const used = new Set<string>();
  const workloads = new Map<string, WorkloadRisks>();
  for (const view of views) {
    const saKey = `${view.namespace}/${view.serviceAccountName}`;
    used.add(saKey);
    const grants = [...(exact.get(saKey) ?? []), ...(byNamespace.get(view.namespace) ?? []), ...everySa];
    if (grants.length === 0) continue;
    const { mounted, because } = tokenMounted(view, serviceAccounts.get(saKey)?.automountServiceAccountToken);
    const key = `${workloadKey(view.workload)}\u0000${saKey}\u0000${mounted}`;
    const entry = workloads.get(key) ?? { workload: view.workload, serviceAccount: saKey, tokenMounted: mounted, tokenBecause: because, pods: [], grants };
    if (view.pod !== undefined) entry.pods.push(view.pod);
    workloads.set(key, entry);
  }
  for (const p of principals.values()) if (p.kind === 'ServiceAccount') p.unused = !used.has(`${p.namespace ?? ''}/${p.name}`);

  return { available: true, issues, principals: [...principals.values()], workloads: [...workloads.values()], anonymous, defaultBindings };
}

/** automountServiceAccountToken: the pod spec wins over the ServiceAccount; both unset means mounted. */
export function tokenMounted(view: Pick<PodView, 'automountServiceAccountToken' | 'serviceAccountName'>, serviceAccountSetting: boolean | undefined): { mounted: boolean; because: string } {
  if (view.automountServiceAccountToken !== undefined) return { mounted: view.automountServiceAccountToken, because: `pod spec automountServiceAccountToken: ${view.automountServiceAccountToken}` };
  if (serviceAccountSetting !== undefined) return { mounted: serviceAccountSetting, because: `ServiceAccount ${view.serviceAccountName} automountServiceAccountToken: ${serviceAccountSetting}` };
  return { mounted: true, because: 'mounted by default (neither the pod nor the ServiceAccount sets automountServiceAccountToken)' };
}
