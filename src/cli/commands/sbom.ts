/**
 * `runwarden sbom …`: software bills of materials.
 * - `sbom <image>` (= `sbom export <image>`): catalog an image from any source and write CycloneDX 1.6
 *   or SPDX 2.3 JSON (src/sbom/export).
 * - `sbom match <sbom.json|purls.txt>`: match a CycloneDX or SPDX JSON SBOM, or a purl list, against the
 *   local vulnerability database and report like `scan`.
 * - `sbom diff <a> [b]`: compare two SBOMs or images per ecosystem; `--attached` compares an image
 *   with the SBOM attached to it as a referrer.
 */
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { FAIL_ON } from '../../config/schema.js';
import { AppError, EXIT, UsageError, errorMessage } from '../../core/errors.js';
import type { Issue } from '../../core/issue.js';
import { atLeast, type Severity } from '../../core/severity.js';
import { FORMATS, findFormat } from '../../report/registry.js';
import { chosenDbPath } from '../../store/db.js';
import { matchingIssues, readPackageInput } from '../../vulndb/inputs/index.js';
import { staleAfterHoursOf } from '../../vulndb/config.js';
import { staleDatabaseIssue } from '../../vulndb/freshness.js';
import { matchPackages } from '../../vulndb/match/index.js';
import { vulnerabilityReport } from '../../vulndb/report.js';
import { openVulnDb } from '../../vulndb/store/index.js';
import { applyVex, readVexFiles } from '../../vulndb/vex/index.js';
import type { CliContext } from '../context.js';
import { emitReport, wantsColor } from '../output.js';
import { addImageAccessOptions, containerdOptions, registryClientFrom, type ImageAccessFlags } from './image.js';
import { asSubcommand } from './db.js';
import { unknownValue } from './scan.js';
import { IMAGE_SOURCES, parseImageInput } from '../../image/registry.js';
import type { ImageHandle } from '../../image/types.js';
import type { RegistryClient } from '../../registry/client.js';
import { parsePlatform } from '../../registry/platform.js';
import { attachedSbomOfImage } from '../../sbom/attached.js';
import { diffPackages, renderDiff, type DiffSide } from '../../sbom/diff.js';
import { renderSbom } from '../../sbom/export/index.js';
import { imageSbom } from '../../sbom/image.js';
import { SBOM_FORMATS, type SbomFormat } from '../../sbom/model.js';
import { readSbomFile } from '../../sbom/read.js';
import { collectFiles } from './malware-options.js';
import { renderChunks } from '../../report/format.js';

interface MatchFlags {
  db?: string;
  format?: string;
  output?: string;
  failOn?: string;
  vex?: string[];
  color?: boolean;
  now?: string;
}


function matchCommand(ctx: CliContext): Command {
  return new Command('match')
    .description('Match an SBOM (CycloneDX or SPDX JSON) or a purl list against the vulnerability database')
    .argument('<file>', 'CycloneDX JSON, SPDX 2.x JSON, or a text file with one purl per line')
    .option('--db <path>', 'database file (default: $RUNWARDEN_DB or ~/.local/share/runwarden/runwarden.db)')
    .option('-f, --format <format>', `report format: ${FORMATS.map((f) => f.id).join(', ')}`, 'table')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', `exit 1 when an unsuppressed finding is at or above: ${FAIL_ON.join(', ')}`, 'none')
    .option('--vex <path>', 'OpenVEX, CycloneDX or CSAF 2.0 VEX document, or a folder of them (repeatable)', collectFiles)
    .option('--no-color', 'plain output even on a terminal')
    .addOption(new Option('--now <iso-time>', 'report time (reproducible reports)').hideHelp())
    .action(async (file: string, flags: MatchFlags) => {
      const format = findFormat(flags.format ?? 'table');
      if (format === undefined) throw unknownValue('--format', flags.format ?? '', FORMATS.map((f) => f.id));
      const failOn = (flags.failOn ?? 'none').toLowerCase();
      if (!(FAIL_ON as readonly string[]).includes(failOn)) throw unknownValue('--fail-on', flags.failOn ?? '', FAIL_ON);
      const now = flags.now === undefined ? new Date() : new Date(flags.now);
      if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now ?? ''}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
      const path = chosenDbPath(flags.db, ctx.env);
      const input = await readPackageInput(file);
      const { statements, issues: vexIssues } = await readVexFiles(flags.vex ?? []);
      const staleAfterHours = await staleAfterHoursOf(ctx.env);
      const issues: Issue[] = [...input.issues, ...matchingIssues(input, file), ...vexIssues];
      if (path !== ':memory:' && !existsSync(path)) {
        throw new AppError('db-missing', `No vulnerability database at "${path}"`, { hint: 'Run "runwarden db update" (or "runwarden db import <path|url>"), or pass --db PATH.' });
      }
      const db = openVulnDb(path);
      let result;
      let stale;
      try {
        result = matchPackages(db, input.packages, { subject: { type: 'image', image: file } });
        stale = staleDatabaseIssue(db, now, staleAfterHours);
      } finally {
        db.close();
      }
      issues.push(...result.issues);
      if (stale !== undefined) issues.push(stale);
      // statements about the image the SBOM describes apply by its digest, as in "image scan"
      const applied = applyVex(result.findings, statements, { imageDigest: input.imageDigest });
      // the image the SBOM describes, in each finding's evidence as a scan writes it (CycloneDX output nests the packages in it)
      const digest = input.imageDigest;
      const findings = digest === undefined ? applied : applied.map((f) => ({ ...f, evidence: { ...f.evidence, imageDigest: digest } }));
      const report = vulnerabilityReport(findings, issues, { type: 'sbom', location: file }, now, { images: 0, packages: input.packages.length });
      const text = renderChunks(format, report, { color: wantsColor(ctx, flags.color, flags.output !== undefined) });
      await emitReport(ctx, { output: flags.output, format: format.id, text, counts: `${input.packages.length} packages, ${report.summary.findings} findings, ${report.issues.length} issues` });
      if (failOn !== 'none') {
        const threshold = failOn as Severity;
        if (report.findings.some((f) => f.suppression === undefined && atLeast(f.severity, threshold))) ctx.exitCode = EXIT.findings;
      }
    });
}

// ---------------------------------------------------------------------------------------------
// Image access (the same flags as `image inspect`)

interface ImageFlags extends ImageAccessFlags {
  platform?: string;
}

function withImageOptions(command: Command): Command {
  return addImageAccessOptions(command.option('--platform <os/arch[/variant]>', 'platform to choose from a multi-platform image (default: this machine)'));
}

async function registryClient(flags: ImageFlags, ctx: CliContext, issues: Issue[]): Promise<RegistryClient> {
  const got = await registryClientFrom(flags, ctx);
  issues.push(...got.issues);
  return got.client;
}

/** Open an image from any source; the caller closes it. */
async function openInput(input: string, flags: ImageFlags, client: RegistryClient | undefined, signal: AbortSignal): Promise<ImageHandle> {
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  const { source, target } = parseImageInput(input);
  return source.open(target, { platform, signal, registry: client, containerd: containerdOptions(flags) });
}

async function withSignal<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new UsageError('Interrupted'));
  process.once('SIGINT', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}

async function writeOutput(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error) {
    throw new UsageError(`Cannot write --output "${path}": ${errorMessage(error)}`, { hint: 'Check that the directory exists and is writable.' });
  }
}

function warnIssues(ctx: CliContext, issues: readonly Issue[]): void {
  for (const i of issues.slice(0, 20)) ctx.stderr.write(`runwarden: warning: ${i.code}: ${i.message}${i.location === undefined ? '' : ` (${i.location})`}\n`);
  if (issues.length > 20) ctx.stderr.write(`runwarden: warning: … and ${issues.length - 20} more issues (they are listed in the SBOM)\n`);
}

// ---------------------------------------------------------------------------------------------
// sbom export <image>

interface ExportFlags extends ImageFlags {
  format?: string;
  output?: string;
  now?: string;
}

function parseNow(now: string | undefined): Date {
  const date = now === undefined ? new Date() : new Date(now);
  if (Number.isNaN(date.getTime())) throw new UsageError(`Invalid --now "${now ?? ''}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
  return date;
}

function exportCommand(ctx: CliContext): Command {
  return withImageOptions(
    new Command('export')
      .description('Catalog an image and write its SBOM as CycloneDX 1.6 or SPDX 2.3 JSON (the default: "sbom <image>")')
      .argument('<image>', IMAGE_SOURCES.map((s) => s.syntax).join(' | '))
      .option('-f, --format <format>', `SBOM format: ${SBOM_FORMATS.join(', ')}`, 'cyclonedx')
      .option('-o, --output <file>', 'write the SBOM to a file instead of stdout'),
  )
    .addOption(new Option('--now <iso-time>', 'document time (reproducible SBOMs)').hideHelp())
    .action(async (input: string, flags: ExportFlags) => {
      const format = (flags.format ?? 'cyclonedx').toLowerCase();
      if (!(SBOM_FORMATS as readonly string[]).includes(format)) throw unknownValue('--format', flags.format ?? '', SBOM_FORMATS);
      const created = parseNow(flags.now);
      const issues: Issue[] = [];
      const client = parseImageInput(input).source.id === 'registry' ? await registryClient(flags, ctx, issues) : undefined;
      const doc = await withSignal(async (signal) => {
        const handle = await openInput(input, flags, client, signal);
        try {
          return await imageSbom(handle, { signal, created });
        } finally {
          await handle.close();
        }
      });
      doc.issues.unshift(...issues);
      const text = renderSbom(doc, format as SbomFormat);
      if (flags.output !== undefined) {
        await writeOutput(flags.output, text);
        ctx.stderr.write(`runwarden: wrote ${format} SBOM of ${doc.subject.name ?? input} to ${flags.output} (${doc.packages.length} packages, ${doc.issues.length} issues${doc.complete ? '' : ', INCOMPLETE'})\n`);
      } else {
        ctx.stdout.write(text);
      }
      warnIssues(ctx, doc.issues);
    });
}

// ---------------------------------------------------------------------------------------------
// sbom diff <a> [b]

interface DiffFlags extends ImageFlags {
  attached?: boolean;
  format?: string;
  output?: string;
  failOnDiff?: boolean;
}

const DIFF_FORMATS = ['table', 'json'] as const;

/** A file that exists (and names no image source) is an SBOM; anything else is an image. */
function isSbomFile(operand: string): boolean {
  const prefixes = IMAGE_SOURCES.flatMap((s) => s.prefixes);
  if (prefixes.some((p) => operand.startsWith(p))) return false;
  try {
    return statSync(operand).isFile();
  } catch {
    return false;
  }
}

async function packagesOf(operand: string, flags: DiffFlags, ctx: CliContext, issues: Issue[]): Promise<DiffSide> {
  if (isSbomFile(operand)) {
    const input = await readSbomFile(operand);
    issues.push(...input.issues);
    return { label: `${operand} (${input.format})`, packages: input.packages, dependencies: input.dependencies };
  }
  const client = parseImageInput(operand).source.id === 'registry' ? await registryClient(flags, ctx, issues) : undefined;
  return withSignal(async (signal) => {
    const handle = await openInput(operand, flags, client, signal);
    try {
      const doc = await imageSbom(handle, { signal });
      issues.push(...doc.issues);
      return { label: `${operand} (cataloged by runwarden)`, packages: doc.packages, dependencies: doc.dependencies };
    } finally {
      await handle.close();
    }
  });
}

/** The image cataloged by runwarden, and the SBOM attached to it as a referrer. */
async function imageAndAttached(operand: string, flags: DiffFlags, ctx: CliContext, issues: Issue[]): Promise<[DiffSide, DiffSide]> {
  if (parseImageInput(operand).source.id !== 'registry') {
    throw new UsageError(`--attached needs an image in a registry, not "${operand}": attached SBOMs are found through the registry's referrers.`, { hint: 'Push the image (and its SBOM) to a registry, or compare two SBOM files.' });
  }
  const client = await registryClient(flags, ctx, issues);
  return withSignal(async (signal) => {
    const handle = await openInput(operand, flags, client, signal);
    try {
      const name = handle.name ?? operand;
      const attached = await attachedSbomOfImage(client, handle, { signal });
      issues.push(...attached.issues);
      if (attached.sbom === undefined) {
        throw new AppError('sbom-not-attached', `No readable SBOM is attached to ${name}@${handle.digest ?? ''} (${attached.candidates} SBOM referrers found)`, { hint: 'Attach one as a referrer with artifact type application/vnd.cyclonedx+json or application/spdx+json (e.g. "oras attach").' });
      }
      const doc = await imageSbom(handle, { signal });
      issues.push(...doc.issues);
      return [{ label: `${operand} (cataloged by runwarden)`, packages: doc.packages, dependencies: doc.dependencies }, { label: attached.sbom.origin, packages: attached.sbom.packages, dependencies: attached.sbom.dependencies }];
    } finally {
      await handle.close();
    }
  });
}

function diffCommand(ctx: CliContext): Command {
  return withImageOptions(
    new Command('diff')
      .description('Compare two SBOMs (files, or images cataloged now) per ecosystem; --attached compares an image with its attached SBOM')
      .argument('<a>', 'SBOM file (CycloneDX/SPDX JSON, purl list) or image')
      .argument('[b]', 'SBOM file or image (omit with --attached)')
      .option('--attached', 'compare image <a> with the SBOM attached to it as a referrer')
      .option('-f, --format <format>', `output format: ${DIFF_FORMATS.join(', ')}`, 'table')
      .option('-o, --output <file>', 'write the comparison to a file instead of stdout')
      .option('--fail-on-diff', 'exit 1 when the two differ'),
  ).action(async (a: string, b: string | undefined, flags: DiffFlags) => {
    const format = (flags.format ?? 'table').toLowerCase();
    if (!(DIFF_FORMATS as readonly string[]).includes(format)) throw unknownValue('--format', flags.format ?? '', DIFF_FORMATS);
    if (flags.attached === true && b !== undefined) throw new UsageError(`sbom diff --attached takes one image, got "${a}" and "${b}".`, { hint: 'Drop --attached to compare two SBOMs or images.' });
    if (flags.attached !== true && b === undefined) throw new UsageError('sbom diff needs two SBOMs or images, or one image with --attached.', { hint: 'e.g. runwarden sbom diff old.cdx.json new.cdx.json' });
    const issues: Issue[] = [];
    const [sa, sb] = flags.attached === true ? await imageAndAttached(a, flags, ctx, issues) : [await packagesOf(a, flags, ctx, issues), await packagesOf(b ?? '', flags, ctx, issues)];
    const diff = diffPackages(sa, sb);
    const text = format === 'json' ? `${JSON.stringify({ ...diff, issues }, null, 2)}\n` : renderDiff(diff);
    if (flags.output !== undefined) await writeOutput(flags.output, text);
    else ctx.stdout.write(text);
    if (format !== 'json') warnIssues(ctx, issues);
    if (flags.failOnDiff === true && !diff.identical) ctx.exitCode = EXIT.findings;
  });
}

export function sbomCommand(ctx: CliContext): Command {
  const sbom = new Command('sbom').description('Software bills of materials: export an image\'s SBOM (CycloneDX, SPDX), match one against the vulnerability database, compare two');
  sbom.addCommand(asSubcommand(exportCommand(ctx), ctx), { isDefault: true });
  sbom.addCommand(asSubcommand(matchCommand(ctx), ctx));
  sbom.addCommand(asSubcommand(diffCommand(ctx), ctx));
  return sbom;
}
