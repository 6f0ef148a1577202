/**
 * One OSV file's text → validated records plus issues. Shared by the in-thread reader (index.ts) and the
 * worker threads (worker.ts), so both give the same records, issues and locations.
 */
import { basename } from 'node:path';
import { issue, type Issue } from '../../../core/issue.js';
import { isYamlName, jsonRecordTexts, parseBytes, parseText } from '../../files.js';
import type { OsvRecord } from '../../schema.js';
import { admitRecord } from '../../validate.js';

export const RECORD_EXTENSIONS = ['.json', '.yaml', '.yml'];

export interface Located {
  record: OsvRecord;
  /** File (and zip entry, and array index) the record came from. */
  location: string;
  /**
   * The record as its file wrote it, compact (files.ts jsonRecordTexts): what the store keeps instead of
   * `JSON.stringify(record)`, the same values for less work. Only for JSON given as bytes, and only when the
   * record was admitted as parsed (not a copy zod made).
   */
  text?: Uint8Array;
}

/** Records in one parsed file: an object is one record, an array is many. */
function* recordsOf(value: unknown, location: string, report: (issue: Issue) => void, texts?: readonly Uint8Array[]): Generator<Located> {
  const array = Array.isArray(value);
  const items: unknown[] = array ? value : [value];
  // the texts line up with the records (a scanner over text JSON.parse accepted: one per element)
  const textOf = texts !== undefined && texts.length === items.length ? texts : undefined;
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    // the parsed array is ours: a record is let go once taken, so the garbage collector does not keep copying
    // the rest of a large file's records around while they wait
    items[index] = undefined;
    const where = array ? `${location}[${index}]` : location;
    const admitted = admitRecord(item, where);
    if (admitted.record === undefined) {
      report(admitted.rejection);
      continue;
    }
    for (const warning of admitted.warnings) report(warning);
    const text = admitted.record === item ? textOf?.[index] : undefined;
    yield text === undefined ? { record: admitted.record, location: where } : { record: admitted.record, location: where, text };
  }
}

/** The records of one file, given as text or as its bytes (files.ts parseBytes: faster for JSON). */
export function* parseRecords(content: string | Buffer, name: string, location: string, report: (issue: Issue) => void): Generator<Located> {
  const parsed = typeof content === 'string' ? parseText(content, name) : parseBytes(content, name);
  if (!parsed.ok) {
    report(issue('osv-parse', `Cannot parse ${basename(name)}: ${parsed.error}`, location, 'The file is not valid JSON/YAML; the rest of the import went on.'));
    return;
  }
  const texts = typeof content === 'string' || isYamlName(name) ? undefined : jsonRecordTexts(content);
  yield* recordsOf(parsed.value, location, report, texts);
}
