/**
 * Every vulnerability source, one line each (STYLE.md: an explicit list, no registration by import side
 * effects). Order matters for detection: the specific layouts first, OSV (which reads any JSON/YAML/zip)
 * last. registry.test.ts checks that each folder under sources/ is listed, has a readme and tests.
 */
import { UsageError } from '../core/errors.js';
import type { VulnSource } from './source.js';
import { alpineSecdb } from './sources/alpine-secdb/index.js';
import { debianTracker } from './sources/debian-tracker/index.js';
import { osv } from './sources/osv/index.js';
import { SOURCE_IDS, type SourceId } from './store/index.js';

export const SOURCES: readonly VulnSource[] = [debianTracker, alpineSecdb, osv];

export function isSourceId(value: string): value is SourceId {
  return (SOURCE_IDS as readonly string[]).includes(value);
}

/** The source with this id; throws UsageError listing the known ids. */
export function getSource(id: string): VulnSource {
  const source = SOURCES.find((s) => s.id === id);
  if (source === undefined) {
    throw new UsageError(`Unknown --source "${id}": expected one of ${SOURCES.map((s) => s.id).join(', ')}`, { hint: 'Leave --source out to detect the format from the input.' });
  }
  return source;
}

/** The first source whose detector claims `path` (OSV claims anything, so there is always one). */
export async function detectSource(path: string): Promise<VulnSource> {
  for (const source of SOURCES) if (await source.detect(path)) return source;
  return osv;
}
