/**
 * How every command writes its report: colour only where a person reads it, and `--output FILE`
 * instead of stdout with one confirmation line on stderr.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { utf8Batches, writePieces } from '../report/json-text.js';
import { errorMessage, UsageError } from '../core/errors.js';
import type { CliContext } from './context.js';

/** `--color auto|always|never` from settings, or commander's `--no-color` (false) on the older commands. */
export type ColorSetting = 'auto' | 'always' | 'never' | boolean | undefined;

/**
 * Colour when asked for (`always`), never when refused (`never`, `--no-color`, `NO_COLOR`) or writing to a
 * file; otherwise when `FORCE_COLOR` is set (not `0`) or stdout is a terminal.
 */
export function wantsColor(ctx: CliContext, setting: ColorSetting, toFile = false): boolean {
  if (setting === 'always') return true;
  if (setting === 'never' || setting === false || toFile || ctx.env.NO_COLOR !== undefined) return false;
  if (ctx.env.FORCE_COLOR !== undefined && ctx.env.FORCE_COLOR !== '0') return true;
  return ctx.stdout.isTTY === true;
}

export interface ReportOutput {
  /** `--output FILE`; stdout when absent. */
  output: string | undefined;
  format: string;
  /** The text, or its pieces (report/format.ts renderChunks): written as they come, never joined into one string. */
  text: string | Iterable<string>;
  /** What the stderr confirmation counts, e.g. "12 findings, 0 issues". */
  counts: string;
}

/** Write a rendered report to `--output` (saying so on stderr) or to stdout. */
export async function emitReport(ctx: CliContext, report: ReportOutput): Promise<void> {
  if (report.output === undefined) {
    // a reader that has gone (`| head`) takes no more (cli/pipe.ts): the command goes on to its exit code
    await writePieces(ctx.stdout, typeof report.text === 'string' ? [report.text] : report.text);
    return;
  }
  // one buffer for every write: each write is awaited before the next is encoded
  const pieces = utf8Batches(typeof report.text === 'string' ? [report.text] : report.text, undefined, true);
  const cannot = (error: unknown): UsageError => new UsageError(`Cannot write --output "${report.output ?? ''}": ${errorMessage(error)}`, { hint: 'Check that the directory exists and is writable.' });
  let handle: FileHandle;
  try {
    handle = await open(report.output, 'w');
  } catch (error) {
    throw cannot(error);
  }
  try {
    for (const piece of pieces) {
      try {
        for (let at = 0; at < piece.length; ) at += (await handle.write(piece, at, piece.length - at)).bytesWritten;
      } catch (error) {
        throw cannot(error);
      }
    }
  } finally {
    await handle.close();
  }
  ctx.stderr.write(`runwarden: wrote ${report.format} report to ${report.output} (${report.counts})\n`);
}
