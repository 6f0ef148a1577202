/**
 * OSV source: records in the OSV schema from a directory tree of `.json`/`.yaml` files, a single file (one
 * record, or an array of records), or an OSV export zip (the per-ecosystem `all.zip` of
 * osv-vulnerabilities, one `<ID>.json` per entry). URLs are downloaded by the import service first.
 * Incremental: the store skips a record whose stored copy has the same or a newer `modified`.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { InputError, errorMessage } from '../../../core/errors.js';
import { issue } from '../../../core/issue.js';
import { MAX_FILE_BYTES, isDirectory, isZip, parseText, walk, zipEntries } from '../../files.js';
import type { ParsedAdvisory, SourceContext, SourceInput, VulnSource } from '../../source.js';
import { admitRecord } from '../../validate.js';

const RECORD_EXTENSIONS = ['.json', '.yaml', '.yml'];

/** Records in one parsed file: an object is one record, an array is many. */
function* recordsOf(value: unknown, location: string, ctx: SourceContext): Generator<ParsedAdvisory> {
  const items = Array.isArray(value) ? value : [value];
  let index = 0;
  for (const item of items) {
    const where = Array.isArray(value) ? `${location}[${index}]` : location;
    index++;
    const admitted = admitRecord(item, where);
    if (admitted.record === undefined) {
      ctx.issue(admitted.rejection);
      continue;
    }
    for (const warning of admitted.warnings) ctx.issue(warning);
    yield { record: admitted.record, location: where };
  }
}

function* parseRecords(text: string, name: string, location: string, ctx: SourceContext): Generator<ParsedAdvisory> {
  const parsed = parseText(text, name);
  if (!parsed.ok) {
    ctx.issue(issue('osv-parse', `Cannot parse ${basename(name)}: ${parsed.error}`, location, 'The file is not valid JSON/YAML; the rest of the import went on.'));
    return;
  }
  yield* recordsOf(parsed.value, location, ctx);
}

async function* readOsv(input: SourceInput, ctx: SourceContext): AsyncGenerator<ParsedAdvisory> {
  if (await isDirectory(input.path)) {
    const files = await walk(input.path, RECORD_EXTENSIONS, ctx.signal);
    for (const file of files) {
      ctx.signal?.throwIfAborted();
      const full = join(input.path, file);
      const location = join(input.display, file);
      const size = (await stat(full)).size;
      if (size > MAX_FILE_BYTES) {
        ctx.issue(issue('osv-parse', `Skipped ${file}: ${size} bytes is more than the ${MAX_FILE_BYTES}-byte limit`, location));
        continue;
      }
      yield* parseRecords(await readFile(full, 'utf8'), file, location, ctx);
    }
    return;
  }
  if (await isZip(input.path)) {
    for await (const entry of zipEntries(input.path, input.display, ctx.signal)) {
      if (!RECORD_EXTENSIONS.includes(extname(entry.name).toLowerCase())) continue;
      const location = `${input.display}!${entry.name}`;
      let bytes: Buffer;
      try {
        bytes = await entry.read();
      } catch (error) {
        if (error instanceof InputError) throw error;
        ctx.issue(issue('osv-parse', `Skipped zip entry ${entry.name}: ${errorMessage(error)}`, location));
        continue;
      }
      yield* parseRecords(bytes.toString('utf8'), entry.name, location, ctx);
    }
    return;
  }
  let text: string;
  try {
    const size = (await stat(input.path)).size;
    if (size > MAX_FILE_BYTES) throw new Error(`${size} bytes is more than the ${MAX_FILE_BYTES}-byte limit`);
    text = await readFile(input.path, 'utf8');
  } catch (error) {
    throw new InputError(input.display, `Cannot read OSV input "${input.display}": ${errorMessage(error)}`, { hint: 'Pass a directory of OSV records, an OSV .json/.yaml file, an OSV all.zip, or a URL to one.', cause: error });
  }
  yield* parseRecords(text, input.path, input.display, ctx);
}

export const osv: VulnSource = {
  id: 'osv',
  title: 'OSV records (osv.dev exports, GitHub/PyPA/Go advisory databases)',
  formats: ['a directory of OSV .json/.yaml records', 'an OSV .json/.yaml file (one record or an array)', 'an OSV export zip (<ecosystem>/all.zip)'],
  // The fallback source: every JSON/YAML/zip input is tried as OSV when no other source claims it.
  detect: () => Promise.resolve(true),
  read: readOsv,
};
