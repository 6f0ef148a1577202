/**
 * A reader that stops early (`runwarden db query … | head`) closes its end of the pipe, and the next write
 * fails with EPIPE. Node reports that as an 'error' event on process.stdout, which nothing handled: the
 * process died with a stack trace in the middle of whatever it was doing. Here the closed pipe is noted and
 * what is still written to it is dropped; the command finishes as it would have (an import commits, a cleanup
 * completes the deletion it started, `--fail-on` still sets the exit code).
 */
import type { Writable } from 'node:stream';

/** Errors of writing to a pipe whose reader is gone (ERR_STREAM_DESTROYED: a write after the first EPIPE). */
const CLOSED_READER = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/** Keep writes to `stream` from crashing the process once its reader has gone; any other error still does. */
export function tolerateClosedReader(stream: Writable): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== undefined && CLOSED_READER.has(error.code)) return;
    // not ours to swallow: the same crash as without this listener
    throw error;
  });
}
