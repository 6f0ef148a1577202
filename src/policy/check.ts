import type { Finding, FindingKind } from '../core/finding.js';
import type { Inventory } from '../core/inventory.js';
import type { Issue } from '../core/issue.js';
import type { Severity } from '../core/severity.js';
import type { PolicyVersion, PssLevel } from './pss/version.js';

/** Settings checks read; every field has a default so a bare context works. */
export interface PolicySettings {
  /**
   * Registries (and repository prefixes or globs) images may come from, e.g. `ghcr.io/acme`,
   * `*.dkr.ecr.eu-west-1.amazonaws.com`. Empty: the registry allow-list check reports nothing.
   */
  allowedRegistries?: readonly string[] | undefined;
  /** Policy version for every Pod Security evaluation (--pss-version); default: each namespace's label, else latest. */
  pssVersion?: PolicyVersion | undefined;
  /** Level evaluated in namespaces without any pod-security.kubernetes.io label (default baseline). */
  pssLevel?: PssLevel | undefined;
}

export interface CheckContext {
  /**
   * Pod sandbox ("pause") images, as globs over normalised names (`registry.k8s.io/pause:*`).
   * The sandbox image is in use by every pod even though no container spec names it.
   */
  sandboxImages: string[];
  /** The time of the scan: injected so results are reproducible. */
  now: Date;
  policy?: PolicySettings | undefined;
}

export interface CheckResult {
  findings: Finding[];
  issues: Issue[];
}

/**
 * Where a check sits in the hardening frameworks. Identifiers, not prose:
 * - `cis`: CIS Kubernetes Benchmark v1.9.0 section 5 recommendation numbers (`5.2.2`);
 * - `nsa`: NSA/CISA Kubernetes Hardening Guide v1.2 (Aug 2022) section names;
 * - `pss`: Pod Security Standards control IDs as upstream names them (`privileged`, `runAsNonRoot`).
 */
export interface Mappings {
  cis: readonly string[];
  nsa: readonly string[];
  pss: readonly string[];
}

/** A run-stage rule. Pure function of the inventory, shared by `scan`, `check` and (later) admission. */
export interface Check {
  /** Stable rule id = folder name. */
  id: string;
  kind: FindingKind;
  title: string;
  /** Default severity of its findings (a finding may be rated higher or lower by what it found). */
  severity: Severity;
  /** One paragraph for SARIF rule help and the docs. */
  description: string;
  /** How to fix it in general; each finding carries its specific remediation. */
  remediation: string;
  mappings: Mappings;
  run(inventory: Inventory, context: CheckContext): CheckResult;
}

/** The NSA/CISA guide's sections, spelled once. */
export const NSA = {
  nonRoot: 'Pod security: non-root containers and rootless container engines',
  immutable: 'Pod security: immutable container file systems',
  images: 'Pod security: building secure container images',
  podSecurity: 'Pod security: pod security enforcement',
  serviceAccountTokens: 'Pod security: protecting pod service account tokens',
  hardening: 'Pod security: hardening container environments',
  namespaces: 'Network separation and hardening: namespaces',
  networkPolicies: 'Network separation and hardening: network policies',
  resourcePolicies: 'Network separation and hardening: resource policies',
  authorization: 'Authentication and authorization',
} as const;
