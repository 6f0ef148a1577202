/**
 * Every version scheme, one line each (STYLE.md: an explicit list, no registration by import side
 * effects). Adding a scheme: a folder under schemes/<id>/ with index.ts, readme.md and tests, its id in
 * core/ecosystem.ts SCHEME_IDS, and a line here; registry.test.ts checks all three agree.
 */
import { parseSchemeId } from '../core/ecosystem.js';
import { apk } from './schemes/apk/index.js';
import { deb } from './schemes/deb/index.js';
import { go } from './schemes/go/index.js';
import { maven } from './schemes/maven/index.js';
import { nuget } from './schemes/nuget/index.js';
import { pep440 } from './schemes/pep440/index.js';
import { rpm } from './schemes/rpm/index.js';
import { rubygems } from './schemes/rubygems/index.js';
import { semver } from './schemes/semver/index.js';
import type { VersionScheme } from './types.js';

export const SCHEMES: readonly VersionScheme[] = [deb, apk, rpm, semver, pep440, go, maven, rubygems, nuget];

const BY_ID = new Map(SCHEMES.map((scheme) => [scheme.id, scheme]));

/** The scheme with this id; throws UnknownSchemeError naming the known ids and the closest one. */
export function getScheme(id: string): VersionScheme {
  const known = parseSchemeId(id);
  const scheme = BY_ID.get(known);
  // unreachable while registry.test.ts passes: every SCHEME_IDS entry is registered
  if (scheme === undefined) throw new Error(`version scheme "${known}" is listed in SCHEME_IDS but not registered`);
  return scheme;
}
