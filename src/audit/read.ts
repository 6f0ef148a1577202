/**
 * Audit events from a log file or a stream: the log backend's JSON lines (one `Event` per line, possibly
 * gzip-compressed after rotation), an `EventList` (the webhook backend's body, or a saved one), or a JSON
 * array of events. Read line by line, so a log of any size takes the memory of one line. A line that is not
 * JSON, or not an audit event, becomes an issue with its line number; the other events are still read.
 */
import { createGunzip } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import { Readable } from 'node:stream';
import { issue, type Issue } from '../core/issue.js';
import { identityCheck } from '../inventory/identity.js';
import { AuditEventSchema, EventListSchema, type AuditEvent } from './event.js';

/** zod's verdict without its copy (inventory/identity.ts): an event that is valid as read is kept as parsed. */
const isEventAsIs = identityCheck(AuditEventSchema);

export type ReadItem = { event: AuditEvent; location: string } | { issue: Issue };

/** What a read skipped, counted in full (issues name only the first ones). */
export interface ReadCounts {
  /** Records that are JSON but not an audit event. */
  invalid: number;
  /** Lines that are not JSON. */
  notJson: number;
}

/** Malformed records reported one by one; past this many in one input, only their count. */
const ISSUES_PER_INPUT = 20;
/** A whole-document input (a pretty-printed EventList or array) is read into memory up to this size. */
const MAX_DOCUMENT_BYTES = 512 * 1024 * 1024;

/** The first zod problem of a record, as `path: message`. */
function problem(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  const first = error.issues[0];
  if (first === undefined) return 'invalid';
  return first.path.length > 0 ? `${first.path.map(String).join('.')}: ${first.message}` : first.message;
}

/** The events (or issues) of one parsed JSON value: an Event, an EventList, or an array of events. */
function* itemsOf(value: unknown, location: string, report: (i: Issue) => void, counts: ReadCounts): Generator<ReadItem> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* itemsOf(value[i], `${location}[${i}]`, report, counts);
    return;
  }
  if (isEventAsIs(value)) {
    yield { event: value as AuditEvent, location };
    return;
  }
  const list = EventListSchema.safeParse(value);
  if (list.success) {
    const items = list.data.items ?? [];
    for (let i = 0; i < items.length; i++) yield* itemsOf(items[i], `${location} items[${i}]`, report, counts);
    return;
  }
  const event = AuditEventSchema.safeParse(value);
  if (event.success) {
    yield { event: event.data, location };
    return;
  }
  counts.invalid++;
  report(issue('audit-event-invalid', `${location}: not a Kubernetes audit event (${problem(event.error)}); skipped`, location, 'The input should be the API server\'s audit log (--audit-log-path, one JSON Event per line) or an audit.k8s.io EventList.'));
}

/** The input's bytes, gunzipped when they start with gzip's magic number (a rotated log compressed with --audit-log-compress). */
async function* decoded(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return;
  const head = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value);
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    yield* Readable.from(all()).pipe(createGunzip()) as AsyncIterable<Buffer>;
    return;
  }
  yield* all();
}

/**
 * The input's lines, a chunk's worth at a time (the last line of a chunk waits for the next one). Our own
 * split rather than node:readline: one stream layer and one promise per chunk instead of per line.
 */
async function* lineBatches(input: AsyncIterable<Buffer | string>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of decoded(input)) {
    const text = carry + decoder.write(chunk);
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    if (lines.length > 0) yield lines;
  }
  const rest = carry + decoder.end();
  if (rest !== '') yield [rest];
}

/**
 * The events of `input` (named `name` in locations and issues), in input order, each with its location
 * (`name:line`), a chunk of the input at a time. Issues come in the same stream, at most ISSUES_PER_INPUT of
 * them plus one that counts the rest.
 */
export async function* readAuditEventBatches(input: AsyncIterable<Buffer | string>, name: string, counts: ReadCounts = { invalid: 0, notJson: 0 }): AsyncGenerator<ReadItem[]> {
  let reported = 0;
  let suppressed = 0;
  let out: ReadItem[] = [];
  const report = (i: Issue): void => {
    if (reported < ISSUES_PER_INPUT) {
      reported++;
      out.push({ issue: i });
    } else suppressed++;
  };
  let lineNo = 0;
  /** Set once the first line is not JSON of its own: the input is one document over several lines. */
  let document: string[] | undefined;
  let documentBytes = 0;
  reading: for await (const batch of lineBatches(input)) {
    for (const raw of batch) {
      lineNo++;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (document !== undefined) {
        documentBytes += line.length + 1;
        if (documentBytes > MAX_DOCUMENT_BYTES) {
          report(issue('audit-input-too-large', `${name}: a multi-line JSON document larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB; the rest of the input is not read`, name, 'Write one JSON event per line (the API server\'s log format), which is read line by line.'));
          document = [];
          break reading;
        }
        document.push(line);
        continue;
      }
      const trimmed = line.trim();
      if (trimmed === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch {
        if (lineNo === 1 || (reported === 0 && lineNo <= 2 && (trimmed === '{' || trimmed === '['))) {
          document = [line];
          documentBytes = line.length + 1;
          continue;
        }
        counts.notJson++;
        report(issue('audit-line-invalid', `${name}:${lineNo}: not JSON; skipped`, `${name}:${lineNo}`, 'Each line of an audit log is one JSON event; a truncated last line is usual while the API server writes.'));
        continue;
      }
      for (const item of itemsOf(value, `${name}:${lineNo}`, report, counts)) out.push(item);
    }
    if (out.length > 0) {
      yield out;
      out = [];
    }
  }
  if (document !== undefined && document.length > 0) {
    let value: unknown;
    try {
      value = JSON.parse(document.join('\n'));
    } catch (error) {
      counts.notJson++;
      report(issue('audit-input-invalid', `${name}: neither JSON lines nor one JSON document (${(error as Error).message}); nothing read`, name, 'Give the API server\'s audit log (--audit-log-path) or an EventList saved as JSON.'));
      value = undefined;
    }
    if (value !== undefined) for (const item of itemsOf(value, name, report, counts)) out.push(item);
  }
  if (suppressed > 0) out.push({ issue: issue('audit-event-invalid', `${name}: ${suppressed} more records were not audit events and were skipped`, name) });
  if (out.length > 0) yield out;
}

/** readAuditEventBatches one item at a time. */
export async function* readAuditEvents(input: AsyncIterable<Buffer | string>, name: string, counts: ReadCounts = { invalid: 0, notJson: 0 }): AsyncGenerator<ReadItem> {
  for await (const batch of readAuditEventBatches(input, name, counts)) yield* batch;
}
