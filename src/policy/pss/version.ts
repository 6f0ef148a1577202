/**
 * Pod Security levels and policy versions, as k8s.io/pod-security-admission/api parses them:
 * a level is `privileged`, `baseline` or `restricted`; a version is `latest` or `v1.<minor>`.
 * Versions newer than the newest policy revision evaluate as that revision (registry.go clamps).
 */

export const PSS_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PssLevel = (typeof PSS_LEVELS)[number];

/** The newest policy version that changes any check (sysctls gained entries in v1.37). */
export const MAX_POLICY_MINOR = 37;

/** A parsed policy version: a minor of v1, or `latest`. */
export type PolicyVersion = { latest: true } | { latest: false; minor: number };

export const LATEST: PolicyVersion = { latest: true };

const VERSION = /^v1\.(0|[1-9][0-9]{0,3})$/;

/** `latest` or `v1.N`, exactly as the namespace label accepts it; undefined when invalid. */
export function parsePolicyVersion(value: string): PolicyVersion | undefined {
  if (value === 'latest') return LATEST;
  const match = VERSION.exec(value);
  if (match?.[1] === undefined) return undefined;
  return { latest: false, minor: Number(match[1]) };
}

export function isPssLevel(value: string): value is PssLevel {
  return (PSS_LEVELS as readonly string[]).includes(value);
}

export function formatPolicyVersion(version: PolicyVersion): string {
  return version.latest ? 'latest' : `v1.${version.minor}`;
}

/** The policy revision actually evaluated: `latest` and versions past the newest one clamp to it. */
export function effectiveMinor(version: PolicyVersion): number {
  return version.latest ? MAX_POLICY_MINOR : Math.min(version.minor, MAX_POLICY_MINOR);
}

export function compareLevels(a: PssLevel, b: PssLevel): number {
  return PSS_LEVELS.indexOf(a) - PSS_LEVELS.indexOf(b);
}
