/**
 * The Pod Security policy of a namespace from its labels (pod-security.kubernetes.io/<mode> and
 * <mode>-version), resolved as k8s.io/pod-security-admission/api.PolicyToEvaluate does: an
 * invalid enforce level fails closed (restricted), invalid audit/warn levels fail open
 * (privileged), an invalid version means `latest`; each invalid label is reported.
 */
import { formatPolicyVersion, isPssLevel, LATEST, parsePolicyVersion, type PolicyVersion, type PssLevel } from './version.js';

export const PSS_MODES = ['enforce', 'audit', 'warn'] as const;
export type PssMode = (typeof PSS_MODES)[number];

export const LABEL_PREFIX = 'pod-security.kubernetes.io/';

export interface LevelVersion {
  level: PssLevel;
  version: PolicyVersion;
}

export interface NamespacePolicy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
  /** True when the namespace carries at least one pod-security.kubernetes.io label. */
  labelled: boolean;
  /** Invalid label values, as `label="value": must be …`. */
  errors: string[];
}

const PRIVILEGED_LATEST: LevelVersion = { level: 'privileged', version: LATEST };

/** The namespace's policy; `overrideVersion` (--pss-version) replaces every mode's version. */
export function namespacePolicy(labels: Record<string, string>, overrideVersion?: PolicyVersion): NamespacePolicy {
  const policy: NamespacePolicy = { enforce: PRIVILEGED_LATEST, audit: PRIVILEGED_LATEST, warn: PRIVILEGED_LATEST, labelled: false, errors: [] };
  for (const mode of PSS_MODES) {
    const levelLabel = `${LABEL_PREFIX}${mode}`;
    const versionLabel = `${LABEL_PREFIX}${mode}-version`;
    let { level, version } = policy[mode];
    const rawLevel = labels[levelLabel];
    if (rawLevel !== undefined) {
      policy.labelled = true;
      if (isPssLevel(rawLevel)) level = rawLevel;
      else {
        level = mode === 'enforce' ? 'restricted' : 'privileged';
        policy.errors.push(`${levelLabel}="${rawLevel}": must be one of privileged, baseline, restricted (evaluated as ${level})`);
      }
    }
    const rawVersion = labels[versionLabel];
    if (rawVersion !== undefined) {
      policy.labelled = true;
      const parsed = parsePolicyVersion(rawVersion);
      if (parsed !== undefined) version = parsed;
      else {
        version = LATEST;
        policy.errors.push(`${versionLabel}="${rawVersion}": must be "latest" or "v1.x" (evaluated as latest)`);
      }
    }
    policy[mode] = { level, version: overrideVersion ?? version };
  }
  return policy;
}

export function formatLevelVersion(lv: LevelVersion): string {
  return `${lv.level}:${formatPolicyVersion(lv.version)}`;
}
