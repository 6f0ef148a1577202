/**
 * `runwarden convert <report.json>`: a JSON report (of `scan`, `image scan`, `sbom match`, `check`, schema 1.x) in
 * another format, without scanning again: scan once in CI with `-f json`, then write SARIF for code scanning,
 * CycloneDX for Dependency-Track and HTML for people from the same findings, and gate with `--fail-on` wherever
 * it suits. The rendering is the scanning command's own, so a converted report is the report that command would
 * have written (tested byte for byte).
 */
import { readFile } from 'node:fs/promises';
import { text as readAll } from 'node:stream/consumers';
import { Command } from 'commander';
import { FAIL_ON } from '../../config/schema.js';
import { EXIT, InputError, UsageError, errorMessage } from '../../core/errors.js';
import { atLeast, type Severity } from '../../core/severity.js';
import { parseReport } from '../../report/json/read.js';
import { FORMATS, findFormat, formatsFor } from '../../report/registry.js';
import type { CliContext } from '../context.js';
import { emitReport, wantsColor } from '../output.js';
import { unknownValue } from './scan-setup.js';
import { renderChunks } from '../../report/format.js';

interface ConvertFlags {
  format?: string;
  output?: string;
  failOn?: string;
  color?: boolean;
}

const STDIN = '-';
const WRITE_ONE = 'Write one with --format json (runwarden scan, image scan, sbom match or check).';

export function convertCommand(ctx: CliContext): Command {
  return new Command('convert')
    .description('Write a JSON report (scan, image scan, sbom match, check) in another format, without scanning again')
    .argument('<report>', 'a runwarden JSON report (--format json), or "-" for stdin')
    .option('-f, --format <format>', `report format: ${FORMATS.map((f) => f.id).join(', ')}`, 'table')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', `exit 1 when an unsuppressed finding is at or above: ${FAIL_ON.join(', ')}`, 'none')
    .option('--no-color', 'plain output even on a terminal')
    .action(async (file: string, flags: ConvertFlags) => {
      const format = findFormat((flags.format ?? 'table').toLowerCase());
      if (format === undefined) throw unknownValue('--format', flags.format ?? '', FORMATS.map((f) => f.id));
      const failOn = (flags.failOn ?? 'none').toLowerCase();
      if (!(FAIL_ON as readonly string[]).includes(failOn)) throw unknownValue('--fail-on', flags.failOn ?? '', FAIL_ON);
      let text: string;
      try {
        text = file === STDIN ? await readAll(ctx.stdin ?? process.stdin) : await readFile(file, 'utf8');
      } catch (error) {
        throw new InputError(file, `Cannot read "${file}": ${errorMessage(error)}`, { hint: `Pass the path of a JSON report, or "-" to read it from stdin. ${WRITE_ONE}`, cause: error });
      }
      const report = parseReport(text, file === STDIN ? '<stdin>' : file);
      // a report of manifests (`check`) holds misconfigurations only: not the formats that cannot hold them, as `check` itself refuses them
      if (report.source.type === 'manifests' && format.findingKinds !== undefined && !format.findingKinds.includes('misconfiguration')) {
        throw new UsageError(`--format ${format.id} holds ${format.findingKinds.join(', ')} findings; "${file}" is a report of manifests (runwarden check), whose findings are misconfigurations`, {
          hint: `Use one of ${formatsFor('misconfiguration').map((f) => f.id).join(', ')}.`,
        });
      }
      const rendered = renderChunks(format, report, { color: wantsColor(ctx, flags.color, flags.output !== undefined) });
      await emitReport(ctx, { output: flags.output, format: format.id, text: rendered, counts: `${report.summary.findings} findings, ${report.issues.length} issues` });
      if (failOn !== 'none' && report.findings.some((f) => f.suppression === undefined && atLeast(f.severity, failOn as Severity))) ctx.exitCode = EXIT.findings;
    });
}
