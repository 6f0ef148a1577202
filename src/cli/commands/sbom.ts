/**
 * `runwarden sbom …`: software bills of materials. `sbom match <sbom.json|purls.txt>` matches a CycloneDX
 * or SPDX JSON SBOM, or a purl list, against the local vulnerability database and reports like `scan`.
 * (Export from images and `sbom diff` join this command as further subcommands.)
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { FAIL_ON } from '../../config/schema.js';
import { AppError, EXIT, UsageError, errorMessage } from '../../core/errors.js';
import type { Issue } from '../../core/issue.js';
import { atLeast, type Severity } from '../../core/severity.js';
import { FORMATS, findFormat } from '../../report/registry.js';
import { defaultDbPath } from '../../store/db.js';
import { readPackageInput } from '../../vulndb/inputs/index.js';
import { matchPackages } from '../../vulndb/match/index.js';
import { vulnerabilityReport } from '../../vulndb/report.js';
import { openVulnDb } from '../../vulndb/store/index.js';
import { readVex, type VexStatement } from '../../vulndb/vex/index.js';
import type { CliContext } from '../context.js';
import { asSubcommand } from './db.js';
import { unknownValue } from './scan.js';

interface MatchFlags {
  db?: string;
  format?: string;
  output?: string;
  failOn?: string;
  vex?: string[];
  color?: boolean;
  now?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function matchCommand(ctx: CliContext): Command {
  return new Command('match')
    .description('Match an SBOM (CycloneDX or SPDX JSON) or a purl list against the vulnerability database')
    .argument('<file>', 'CycloneDX JSON, SPDX 2.x JSON, or a text file with one purl per line')
    .option('--db <path>', 'database file (default: $RUNWARDEN_DB or ~/.local/share/runwarden/runwarden.db)')
    .option('-f, --format <format>', `report format: ${FORMATS.map((f) => f.id).join(', ')}`, 'table')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', `exit 1 when an unsuppressed finding is at or above: ${FAIL_ON.join(', ')}`, 'none')
    .option('--vex <file>', 'OpenVEX or CycloneDX VEX document (repeatable)', collect)
    .option('--no-color', 'plain output even on a terminal')
    .addOption(new Option('--now <iso-time>', 'report time (reproducible reports)').hideHelp())
    .action(async (file: string, flags: MatchFlags) => {
      const format = findFormat(flags.format ?? 'table');
      if (format === undefined) throw unknownValue('--format', flags.format ?? '', FORMATS.map((f) => f.id));
      const failOn = (flags.failOn ?? 'none').toLowerCase();
      if (!(FAIL_ON as readonly string[]).includes(failOn)) throw unknownValue('--fail-on', flags.failOn ?? '', FAIL_ON);
      const now = flags.now === undefined ? new Date() : new Date(flags.now);
      if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now ?? ''}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
      const input = await readPackageInput(file);
      const statements: VexStatement[] = [];
      const issues: Issue[] = [...input.issues];
      for (const vexFile of flags.vex ?? []) {
        const vex = await readVex(vexFile);
        statements.push(...vex.statements);
        issues.push(...vex.issues);
      }
      const path = flags.db ?? defaultDbPath(ctx.env);
      if (path !== ':memory:' && !existsSync(path)) {
        throw new AppError('db-missing', `No vulnerability database at "${path}"`, { hint: 'Run "runwarden db update" (or "runwarden db import <path|url>"), or pass --db PATH.' });
      }
      const db = openVulnDb(path);
      let result;
      try {
        result = matchPackages(db, input.packages, { subject: { type: 'image', image: file }, vex: statements });
      } finally {
        db.close();
      }
      issues.push(...result.issues);
      const report = vulnerabilityReport(result.findings, issues, { type: 'snapshot', location: file }, now);
      const toFile = flags.output !== undefined;
      const color = flags.color !== false && !toFile && ctx.stdout.isTTY === true && ctx.env.NO_COLOR === undefined;
      const text = format.render(report, { color });
      if (flags.output !== undefined) {
        try {
          await writeFile(flags.output, text);
        } catch (error) {
          throw new UsageError(`Cannot write --output "${flags.output}": ${errorMessage(error)}`, { hint: 'Check that the directory exists and is writable.' });
        }
        ctx.stderr.write(`runwarden: wrote ${format.id} report to ${flags.output} (${input.packages.length} packages, ${report.summary.findings} findings, ${report.issues.length} issues)\n`);
      } else {
        ctx.stdout.write(text);
      }
      if (failOn !== 'none') {
        const threshold = failOn as Severity;
        if (report.findings.some((f) => f.suppression === undefined && atLeast(f.severity, threshold))) ctx.exitCode = EXIT.findings;
      }
    });
}

export function sbomCommand(ctx: CliContext): Command {
  const sbom = new Command('sbom').description('Software bills of materials: match an SBOM or purl list against the vulnerability database');
  sbom.addCommand(asSubcommand(matchCommand(ctx), ctx));
  return sbom;
}
