import type { Finding, FindingKind } from '../core/finding.js';
import type { Inventory } from '../core/inventory.js';
import type { Issue } from '../core/issue.js';
import type { Severity } from '../core/severity.js';

export interface CheckContext {
  /**
   * Pod sandbox ("pause") images, as globs over normalised names (`registry.k8s.io/pause:*`).
   * The sandbox image is in use by every pod even though no container spec names it.
   */
  sandboxImages: string[];
  /** The time of the scan: injected so results are reproducible. */
  now: Date;
}

export interface CheckResult {
  findings: Finding[];
  issues: Issue[];
}

/** A run-stage rule. Pure function of the inventory, shared by `scan` and (later) admission. */
export interface Check {
  /** Stable rule id = folder name. */
  id: string;
  kind: FindingKind;
  title: string;
  /** Default severity of its findings. */
  severity: Severity;
  /** One paragraph for SARIF rule help and the docs. */
  description: string;
  run(inventory: Inventory, context: CheckContext): CheckResult;
}
