/**
 * Every vulnerability source, one line each (STYLE.md: an explicit list, no registration by import side
 * effects). Order matters for detection: the specific layouts first, OSV (which reads any JSON/YAML/zip)
 * last. registry.test.ts checks that each folder under sources/ is listed, has a readme and tests.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UsageError } from '../core/errors.js';
import { isDirectory, walk } from './files.js';
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

/**
 * The first source whose detector claims `path` (OSV claims anything, so there is always one). A folder
 * whose sub-folders hold different feeds (e.g. `alpine-secdb/` and `osv/`) is refused: one source would
 * read it all and skip the other feed's files without a word.
 */
export async function detectSource(path: string): Promise<VulnSource> {
  if (await isDirectory(path)) await refuseMixedFeeds(path);
  return firstClaim(path);
}

async function firstClaim(path: string): Promise<VulnSource> {
  for (const source of SOURCES) if (await source.detect(path)) return source;
  return osv;
}

async function refuseMixedFeeds(path: string): Promise<void> {
  const entries = await readdir(path, { withFileTypes: true });
  const feeds = new Map<string, string[]>();
  for (const entry of entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
    const sub = join(path, entry.name);
    // A folder without feed files (docs, licences) is no feed.
    if ((await walk(sub, FEED_EXTENSIONS)).length === 0) continue;
    const id = (await firstClaim(sub)).id;
    feeds.set(id, [...(feeds.get(id) ?? []), entry.name]);
  }
  if (feeds.size < 2) return;
  const list = [...feeds].map(([id, dirs]) => `${id} in ${dirs.map((d) => `${d}/`).join(', ')}`).join('; ');
  const first = [...feeds.values()].map((dirs) => dirs[0] ?? '');
  throw new InputError(path, `${path} holds several advisory feeds (${list}): one import reads one feed`, {
    hint: `Import each folder, e.g. ${first.map((d) => `"runwarden db import ${join(path, d)}"`).join(' and ')}, or pass --source to read the whole folder as one feed.`,
  });
}

const FEED_EXTENSIONS = ['.json', '.yaml', '.yml', '.zip'] as const;
