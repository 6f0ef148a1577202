/**
 * Worker thread of the OSV reader (pool.ts): reads, parses, validates and prepares (store/prepare.ts) the
 * records of one job of files or zip entries, packs their texts into compressed blocks (store/blocks.ts
 * BatchPacker), and answers with the prepared batch (records in input order, in columns) and the issues. It never
 * touches the database: the main thread writes, in one transaction.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../../core/errors.js';
import type { Issue } from '../../../core/issue.js';
import { readZipEntry, type ZipEntryRef } from '../../files.js';
import { BatchPacker } from '../../store/blocks.js';
import { prepareAdvisory, type PreparedBatch } from '../../store/prepare.js';
import { parseRecords } from './parse.js';

export type JobItem =
  | { kind: 'file'; path: string; name: string; location: string }
  /** An entry of the zip at `path` (`display` names the archive), read and inflated on the worker (files.ts readZipEntry). */
  | { kind: 'zip'; path: string; display: string; entry: ZipEntryRef; location: string }
  /** An issue the main thread found (a file or zip entry over the size limit), kept in input order. */
  | { kind: 'issue'; issue: Issue };

export interface JobRequest {
  job: number;
  items: JobItem[];
}

/** `zip`: the archive (as displayed) whose entry could not be read, so the whole import is refused (files.ts zipCorrupt). */
export type JobReply = { job: number; batch: PreparedBatch; issues: Issue[] } | { job: number; error: string; zip?: string };

/** An entry of a zip that cannot be read: the archive is corrupt. */
class ZipReadError extends Error {
  constructor(
    readonly display: string,
    message: string,
  ) {
    super(message);
  }
}

/** Prepare and pack one job; exported for tests and benchmarks. */
export function runJob(items: readonly JobItem[]): { batch: PreparedBatch; issues: Issue[] } {
  const packer = new BatchPacker();
  const issues: Issue[] = [];
  const report = (i: Issue): void => {
    issues.push(i);
  };
  /** The job's open zip, if any (a job's entries are of one archive). */
  let zip: { path: string; fd: number } | undefined;
  try {
    for (const item of items) {
      if (item.kind === 'issue') {
        issues.push(item.issue);
        continue;
      }
      let bytes: Buffer;
      if (item.kind === 'zip') {
        if (zip?.path !== item.path) {
          if (zip !== undefined) closeSync(zip.fd);
          // unset first: if the open throws, the finally below must not close the old descriptor again
          zip = undefined;
          zip = { path: item.path, fd: openSync(item.path, 'r') };
        }
        try {
          bytes = readZipEntry(zip.fd, item.entry);
        } catch (error) {
          throw new ZipReadError(item.display, errorMessage(error));
        }
      } else {
        // The whole file's bytes, decoded in one go by parseRecords (readFile's 'utf8' decodes chunk by chunk, measurably
        // slower). Read synchronously: this thread has nothing else to do meanwhile, and fs/promises costs four trips to
        // libuv's thread pool per file (open, stat, read, close), which for a directory of one-record files (an OSV
        // repository checkout) left the readers idle most of the time (docs/PERFORMANCE.md, "Session 14").
        bytes = readFileSync(item.path);
      }
      for (const { record, text } of parseRecords(bytes, item.kind === 'zip' ? item.entry.name : item.name, item.location, report)) packer.add(prepareAdvisory(record, text));
    }
  } finally {
    if (zip !== undefined) closeSync(zip.fd);
  }
  return { batch: packer.finish(), issues };
}

const port = parentPort;
if (port !== null) {
  port.on('message', (request: JobRequest) => {
    let result: { batch: PreparedBatch; issues: Issue[] };
    try {
      result = runJob(request.items);
    } catch (error) {
      port.postMessage({ job: request.job, error: errorMessage(error), ...(error instanceof ZipReadError ? { zip: error.display } : {}) } satisfies JobReply);
      return;
    }
    // the blocks are fresh buffers of their own: moved, not copied
    port.postMessage({ job: request.job, batch: result.batch, issues: result.issues } satisfies JobReply, result.batch.blocks.map((b) => b.buffer as ArrayBuffer));
  });
  port.postMessage('ready');
}
