/**
 * Evaluates a pod against a Pod Security level at a policy version, resolving revisions the way
 * upstream's registry does (policy/registry.go): per control, the newest revision whose
 * minimum version is at or below the evaluated version; versions past the newest revision (and
 * `latest`) evaluate as the newest; at `restricted`, every baseline control minus those a
 * restricted revision overrides, plus the restricted controls.
 */
import { CONTROLS, type Control, type ControlFn, type ControlLevel } from './controls.js';
import type { PodSpecView } from './schema.js';
import { effectiveMinor, type PolicyVersion, type PssLevel } from './version.js';

export interface Violation {
  /** Upstream check ID, e.g. `runAsNonRoot`. */
  control: string;
  /** The level the control belongs to. */
  level: ControlLevel;
  /** The standard's name for the control. */
  title: string;
  reason: string;
  detail: string;
  /** Pod-relative field paths. */
  fields: string[];
  /** Baseline controls this restricted control replaces at the restricted level. */
  overrides: readonly string[];
}

interface Applicable {
  control: Control;
  check: ControlFn;
  overrides: readonly string[];
}

const cache = new Map<string, Applicable[]>();

/** The controls in force for a level at a policy version, in upstream registration order. */
export function applicableControls(level: PssLevel, version: PolicyVersion): Applicable[] {
  if (level === 'privileged') return [];
  const minor = effectiveMinor(version);
  const key = `${level}:${minor}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const pick = (control: Control): Applicable | undefined => {
    let chosen: Applicable | undefined;
    for (const revision of control.revisions) {
      if (revision.minVersion <= minor) chosen = { control, check: revision.check, overrides: revision.overrides ?? [] };
    }
    return chosen;
  };
  const baseline = CONTROLS.filter((c) => c.level === 'baseline')
    .map(pick)
    .filter((a): a is Applicable => a !== undefined);
  let result = baseline;
  if (level === 'restricted') {
    const restricted = CONTROLS.filter((c) => c.level === 'restricted')
      .map(pick)
      .filter((a): a is Applicable => a !== undefined);
    const overridden = new Set(restricted.flatMap((a) => a.overrides));
    result = [...baseline.filter((a) => !overridden.has(a.control.id)), ...restricted];
  }
  cache.set(key, result);
  return result;
}

/** Every violation of `level` at `version`; empty when the pod is allowed. */
export function evaluatePod(pod: PodSpecView, level: PssLevel, version: PolicyVersion): Violation[] {
  const out: Violation[] = [];
  for (const { control, check, overrides } of applicableControls(level, version)) {
    const result = check(pod);
    if (result === undefined) continue;
    out.push({ control: control.id, level: control.level, title: control.title, reason: result.reason, detail: result.detail, fields: result.fields, overrides });
  }
  return out;
}

/** The upstream-style denial message: `host namespaces (hostNetwork), privileged (...)`. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => (v.detail === '' ? v.reason : `${v.reason} (${v.detail})`)).join(', ');
}
