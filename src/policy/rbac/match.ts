/**
 * Does an RBAC PolicyRule grant a request? The matching rules of the Kubernetes RBAC authorizer
 * (pkg/apis/rbac/v1/evaluation_helpers.go): `*` matches any verb, API group or resource;
 * `resource/subresource` must match exactly, except a star before the slash (as in "star/exec"),
 * which matches that subresource of any resource (a star after the slash is not special); resourceNames, when set, restrict the
 * rule to those object names (a request without a name — list, watch, create — then does not match).
 */
import type { PolicyRule } from '../../core/inventory.js';

export interface ResourceRequest {
  verb: string;
  /** `''` for the core group. */
  group: string;
  resource: string;
  subresource?: string | undefined;
  /** The object name, when the request names one (get, update, delete, …). */
  name?: string | undefined;
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.some((g) => g === '*' || g === group);
}

export function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource === undefined || subresource === '' ? resource : `${resource}/${subresource}`;
  for (const r of rule.resources) {
    if (r === '*' || r === combined) return true;
    if (subresource !== undefined && subresource !== '' && r === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  if (rule.resourceNames.length === 0) return true;
  return name !== undefined && rule.resourceNames.includes(name);
}

/** RuleAllows for resource requests. */
export function ruleAllows(rule: PolicyRule, request: ResourceRequest): boolean {
  return verbMatches(rule, request.verb) && apiGroupMatches(rule, request.group) && resourceMatches(rule, request.resource, request.subresource) && resourceNameMatches(rule, request.name);
}

/** Does the rule grant the request for *some* object name (ignoring resourceNames)? */
export function ruleAllowsSomeName(rule: PolicyRule, request: Omit<ResourceRequest, 'name'>): boolean {
  return verbMatches(rule, request.verb) && apiGroupMatches(rule, request.group) && resourceMatches(rule, request.resource, request.subresource);
}

/** `get,list secrets (core) [names: a, b]`: a rule as a person reads it. */
export function formatRule(rule: PolicyRule): string {
  if (rule.nonResourceURLs.length > 0 && rule.resources.length === 0) return `${rule.verbs.join(',')} ${rule.nonResourceURLs.join(',')}`;
  const groups = rule.apiGroups.map((g) => (g === '' ? 'core' : g)).join(',');
  const names = rule.resourceNames.length > 0 ? ` [names: ${rule.resourceNames.join(', ')}]` : '';
  return `${rule.verbs.join(',')} ${rule.resources.join(',')} (${groups})${names}`;
}
