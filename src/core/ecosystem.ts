/**
 * Which version scheme orders the versions of which ecosystem (STYLE.md: a data table, not a switch).
 * Names are OSV ecosystem names (https://ossf.github.io/osv-schema/#affectedpackage-field). An OSV
 * ecosystem may carry a ":suffix" — a release, product or registry such as "Debian:12", "Alpine:v3.20",
 * "Ubuntu:Pro:22.04:LTS" or "Maven:https://repo.example.com/maven2/" — that never changes the scheme.
 * No I/O here: the versioning area turns a scheme id into a comparator.
 */
import { closest } from 'fastest-levenshtein';
import { UnknownSchemeError } from './errors.js';

export const SCHEME_IDS = ['deb', 'apk', 'rpm', 'semver', 'pep440', 'go', 'maven', 'rubygems', 'nuget'] as const;
export type SchemeId = (typeof SCHEME_IDS)[number];

export interface EcosystemEntry {
  /** OSV ecosystem name, case-sensitive as OSV writes it. */
  readonly ecosystem: string;
  /** null: runwarden has no comparator for it, and matching reports an issue instead of guessing. */
  readonly scheme: SchemeId | null;
  /** A prefix OSV records leave out but the scheme requires (OSV writes Go versions as "1.2.3", Go as "v1.2.3"). */
  readonly versionPrefix?: string;
  readonly note: string;
}

export const ECOSYSTEMS: readonly EcosystemEntry[] = [
  { ecosystem: 'Debian', scheme: 'deb', note: 'dpkg ordering (deb-version(7)): epoch, upstream, revision, "~" first' },
  { ecosystem: 'Ubuntu', scheme: 'deb', note: 'dpkg ordering, as Debian' },
  { ecosystem: 'Alpine', scheme: 'apk', note: 'apk-tools ordering: _alpha/_beta/_pre/_rc before, _p/_git/... after, -rN revisions' },
  { ecosystem: 'Wolfi', scheme: 'apk', note: 'apk packages, apk-tools ordering' },
  { ecosystem: 'Chainguard', scheme: 'apk', note: 'apk packages, apk-tools ordering' },
  { ecosystem: 'Red Hat', scheme: 'rpm', note: 'rpm ordering: epoch:version-release compared with rpmvercmp' },
  { ecosystem: 'AlmaLinux', scheme: 'rpm', note: 'rpm ordering' },
  { ecosystem: 'Rocky Linux', scheme: 'rpm', note: 'rpm ordering' },
  { ecosystem: 'SUSE', scheme: 'rpm', note: 'rpm ordering' },
  { ecosystem: 'openSUSE', scheme: 'rpm', note: 'rpm ordering' },
  { ecosystem: 'Mariner', scheme: 'rpm', note: 'CBL-Mariner, rpm ordering' },
  { ecosystem: 'Azure Linux', scheme: 'rpm', note: 'rpm ordering' },
  { ecosystem: 'Photon OS', scheme: 'rpm', note: 'rpm ordering' },
  { ecosystem: 'openEuler', scheme: 'rpm', note: 'rpm ordering' },
  { ecosystem: 'npm', scheme: 'semver', note: 'SemVer 2.0.0 with npm range grammar' },
  {
    ecosystem: 'crates.io',
    scheme: 'semver',
    note: 'SemVer 2.0.0 ordering; Cargo requirements are not npm ranges (a bare "1.2.3" means ^1.2.3), so compare versions, do not evaluate Cargo requirements with the npm grammar',
  },
  { ecosystem: 'PyPI', scheme: 'pep440', note: 'PEP 440 ordering and specifiers' },
  { ecosystem: 'Go', scheme: 'go', versionPrefix: 'v', note: 'Go module versions; OSV records omit the leading "v"' },
  { ecosystem: 'Maven', scheme: 'maven', note: "Maven's ComparableVersion ordering and version ranges" },
  { ecosystem: 'RubyGems', scheme: 'rubygems', note: 'Gem::Version ordering and Gem::Requirement constraints' },
  { ecosystem: 'NuGet', scheme: 'nuget', note: 'NuGet SemVer 2.0.0 with a fourth number and NuGet version ranges' },
  {
    ecosystem: 'Packagist',
    scheme: null,
    note: 'Composer normalises versions to four numbers with stability flags (dev < alpha < beta < RC < stable < patch) and branch names (dev-main); that is not SemVer and is not implemented',
  },
];

const BY_NAME = new Map(ECOSYSTEMS.map((entry) => [entry.ecosystem, entry]));
const ECOSYSTEM_NAMES = ECOSYSTEMS.map((entry) => entry.ecosystem);

/** The table entry for an OSV ecosystem name (with or without a ":suffix"); throws UnknownSchemeError. */
export function findEcosystem(name: string): EcosystemEntry {
  const colon = name.indexOf(':');
  const base = colon < 0 ? name : name.slice(0, colon);
  const entry = BY_NAME.get(base);
  if (entry !== undefined) return entry;
  const suggestion = suggest(base, ECOSYSTEM_NAMES);
  throw new UnknownSchemeError('ecosystem', name, `Unknown ecosystem "${name}": expected an OSV ecosystem name (${ECOSYSTEM_NAMES.join(', ')})`, {
    known: ECOSYSTEM_NAMES,
    closest: suggestion,
    hint: suggestion === undefined ? 'Use one of the OSV ecosystem names listed.' : `Did you mean "${suggestion}"? OSV ecosystem names are case-sensitive.`,
  });
}

/** The scheme that orders an ecosystem's versions; throws UnknownSchemeError for unknown or unsupported ecosystems. */
export function schemeIdForEcosystem(name: string): SchemeId {
  const entry = findEcosystem(name);
  if (entry.scheme !== null) return entry.scheme;
  throw new UnknownSchemeError('ecosystem', name, `Ecosystem "${entry.ecosystem}" has no version scheme in runwarden: ${entry.note}`, {
    known: ECOSYSTEMS.filter((e) => e.scheme !== null).map((e) => e.ecosystem),
    hint: 'Findings for this ecosystem are reported as unknown; runwarden never falls back to another comparator.',
  });
}

export function isSchemeId(name: string): name is SchemeId {
  return SCHEME_IDS.some((id) => id === name);
}

/** A scheme id from user or config input; throws UnknownSchemeError naming the known ids and the closest one. */
export function parseSchemeId(name: string): SchemeId {
  if (isSchemeId(name)) return name;
  const suggestion = suggest(name, SCHEME_IDS);
  throw new UnknownSchemeError('scheme', name, `Unknown version scheme "${name}": expected one of ${SCHEME_IDS.join(', ')}`, {
    known: SCHEME_IDS,
    closest: suggestion,
    hint: suggestion === undefined ? `Use one of ${SCHEME_IDS.join(', ')}.` : `Did you mean "${suggestion}"?`,
  });
}

function suggest(input: string, known: readonly string[]): string | undefined {
  if (input.trim() === '') return undefined;
  const folded = known.find((name) => name.toLowerCase() === input.toLowerCase());
  return folded ?? closest(input, known);
}
