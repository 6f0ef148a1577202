/**
 * The contract of a vulnerability source plugin (`sources/<id>/`): detect whether it reads an input, and
 * turn the input into normalised OSV records. Sources never touch the database (the import service does,
 * in one transaction) and never throw for one bad record: they report it as an issue and go on. They do
 * throw InputError when the input as a whole is unreadable (a truncated zip), so nothing is replaced.
 */
import type { Issue } from '../core/issue.js';
import type { OsvRecord } from './schema.js';
import type { SourceId } from './store/index.js';
import type { PreparedBatch } from './store/prepare.js';

export interface SourceInput {
  /** Local file or directory (a URL has been downloaded to a temporary file already). */
  path: string;
  /** What the user named (path or URL), for messages and provenance. */
  display: string;
}

export interface SourceContext {
  signal?: AbortSignal | undefined;
  issue(issue: Issue): void;
  /** Declare that the input holds the complete set of this source's advisories for `scope` (distro release + repo). */
  completeScope(scope: string): void;
  /**
   * Part of a complete snapshot of `scope` could not be read and cannot be tied to one advisory (an
   * unreadable package entry): advisories of `scope` it does not list are kept this time, not retired.
   */
  incompleteScope(scope: string): void;
  /** The input names advisory `id`, but none of it could be read: its stored copy (if any) is kept, not retired. */
  keepStored(id: string, scope?: string): void;
}

export interface ParsedAdvisory {
  record: OsvRecord;
  /** File (and zip entry) the record came from. */
  location: string;
  /** Full-snapshot scope the record belongs to (see completeScope). */
  scope?: string | undefined;
  /**
   * Part of the advisory could not be read (an entry skipped with an issue): a stored copy is kept rather
   * than replaced by less; an advisory not stored yet is stored as read.
   */
  partial?: boolean | undefined;
}

export interface ParallelOptions {
  workers: number;
  /** Read smaller inputs in-thread; undefined: the source's own threshold. */
  minBytes?: number | undefined;
}

export interface VulnSource {
  id: SourceId;
  title: string;
  /** Formats it reads, one line each, for `--help` and errors. */
  formats: readonly string[];
  /** Whether this source reads `path` (by layout or by the first bytes); must be cheap. */
  detect(path: string): Promise<boolean>;
  read(input: SourceInput, ctx: SourceContext): AsyncIterable<ParsedAdvisory>;
  /**
   * Optional, for large inputs: the same records already prepared for the store (store/prepare.ts) and
   * packed into compressed blocks (store/blocks.ts packBatch) on worker threads, in batches and in input
   * order, with the same issues as `read`. Returns undefined when
   * the input is better read by `read` (no workers, smaller than `minBytes`, a layout it does not split).
   */
  readPrepared?(input: SourceInput, ctx: SourceContext, options: ParallelOptions): Promise<AsyncIterable<PreparedBatch> | undefined>;
}
