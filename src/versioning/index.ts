/**
 * Public API of the versioning area: exact version ordering and range checks for every ecosystem
 * runwarden matches. Invalid versions and ranges throw InvalidVersionError / InvalidRangeError (never
 * "greater", never "not affected"); unknown schemes and ecosystems throw UnknownSchemeError.
 */
import { UsageError } from '../core/errors.js';
import { schemeIdForEcosystem } from '../core/ecosystem.js';
import { SCHEMES, getScheme } from './registry.js';
import { SCHEME_OPTIONS, type Ordering, type RangeOptions, type VersionOptions, type VersionScheme } from './types.js';

export type { EcosystemEntry, SchemeId } from '../core/ecosystem.js';
export type { Ordering, Piece, Pieces, RangeOptions, RangeSupport, SchemeOption, VersionOptions, VersionScheme } from './types.js';
export { getScheme } from './registry.js';

/** Every registered scheme, in registry order. */
export function listSchemes(): readonly VersionScheme[] {
  return SCHEMES;
}

/** The scheme that orders an OSV ecosystem's versions ("Debian:12" → deb); throws UnknownSchemeError. */
export function schemeForEcosystem(ecosystem: string): VersionScheme {
  return getScheme(schemeIdForEcosystem(ecosystem));
}

/** Refuse options the scheme does not understand instead of silently ignoring them. */
function checkOptions(scheme: VersionScheme, options: RangeOptions | undefined): void {
  for (const option of SCHEME_OPTIONS) {
    if (options?.[option] !== undefined && !scheme.options.includes(option)) {
      throw new UsageError(`The ${scheme.id} scheme has no "${option}" option`, {
        hint: scheme.options.length === 0 ? `${scheme.id} takes no options.` : `${scheme.id} understands: ${scheme.options.join(', ')}.`,
      });
    }
  }
}

/** -1, 0 or 1 as `a` sorts before, with or after `b` in the scheme; throws InvalidVersionError. */
export function compareVersions(scheme: string, a: string, b: string, options?: VersionOptions): Ordering {
  const s = getScheme(scheme);
  checkOptions(s, options);
  return s.compare(a, b, options);
}

export function isValidVersion(scheme: string, version: string, options?: VersionOptions): boolean {
  const s = getScheme(scheme);
  checkOptions(s, options);
  return s.isValid(version, options);
}

/** Whether `version` is inside `range` in the scheme's own range syntax; throws rather than answer for bad input. */
export function satisfies(scheme: string, version: string, range: string, options?: RangeOptions): boolean {
  const s = getScheme(scheme);
  checkOptions(s, options);
  if (s.ranges === undefined) {
    throw new UsageError(`The ${s.id} scheme has no range syntax`, {
      hint: `${s.title} versions only state minimum requirements; compare versions with compareVersions instead.`,
    });
  }
  return s.ranges.satisfies(version, range, options);
}
