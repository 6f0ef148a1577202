import type { SchemeId } from '../core/ecosystem.js';

/** -1: a sorts before b, 0: the same version, 1: a sorts after b. */
export type Ordering = -1 | 0 | 1;

/** JSON-friendly parts of a parsed version or range, printed by `runwarden version`. */
export type Piece = string | number | boolean | null | readonly Piece[] | { readonly [key: string]: Piece };
export type Pieces = { readonly [key: string]: Piece };

/** Options a scheme may understand beyond its defaults; passing one it does not know is a usage error. */
export const SCHEME_OPTIONS = ['loose', 'includePrerelease'] as const;
export type SchemeOption = (typeof SCHEME_OPTIONS)[number];

export interface VersionOptions {
  /** semver: node-semver's loose parsing ("v1.2.3", "=1.2.3", "1.2.3beta"). */
  readonly loose?: boolean | undefined;
}

export interface RangeOptions extends VersionOptions {
  /** semver: npm's includePrerelease (default false); pep440: whether pre-releases may match (default true). */
  readonly includePrerelease?: boolean | undefined;
}

export interface RangeSupport {
  /** One line naming the grammar `satisfies` reads. */
  readonly syntax: string;
  /** Whether `version` is inside `range`; throws InvalidVersionError / InvalidRangeError, never answers "no" for bad input. */
  readonly satisfies: (version: string, range: string, options?: RangeOptions) => boolean;
  /** The range as the scheme reads it; throws InvalidRangeError. */
  readonly explain: (range: string, options?: RangeOptions) => Pieces;
}

/**
 * One version scheme (a plugin folder under schemes/). Invalid input throws InvalidVersionError: never
 * "greater". The functions use no `this`, so they can be passed around on their own.
 */
export interface VersionScheme {
  readonly id: SchemeId;
  readonly title: string;
  /** Where the ordering is specified. */
  readonly spec: string;
  readonly options: readonly SchemeOption[];
  readonly isValid: (version: string, options?: VersionOptions) => boolean;
  readonly compare: (a: string, b: string, options?: VersionOptions) => Ordering;
  /** The parsed pieces of a version; throws InvalidVersionError. */
  readonly explain: (version: string, options?: VersionOptions) => Pieces;
  /** undefined when the ecosystem has no range syntax (Go modules). */
  readonly ranges: RangeSupport | undefined;
}
