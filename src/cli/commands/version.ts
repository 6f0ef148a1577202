/**
 * `runwarden version compare|satisfies`: answer a version question exactly as the matcher does, with the
 * parsed pieces, so a user can see why a verdict came out as it did.
 */
import { Command } from 'commander';
import { closest } from 'fastest-levenshtein';
import { findEcosystem, SCHEME_IDS } from '../../core/ecosystem.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { compareVersions, getScheme, satisfies, schemeForEcosystem, type Pieces, type RangeOptions, type VersionScheme } from '../../versioning/index.js';
import type { CliContext } from '../context.js';

const FORMATS = ['text', 'json'] as const;
type Format = (typeof FORMATS)[number];

interface VersionFlags {
  scheme?: string;
  ecosystem?: string;
  format?: string;
  loose?: boolean;
  includePrerelease?: boolean;
}

interface Resolved {
  scheme: VersionScheme;
  format: Format;
  options: RangeOptions;
  /** Turns a version as OSV writes it into the scheme's form (Go: add the "v"). */
  prepare: (version: string) => string;
}

function resolve(flags: VersionFlags): Resolved {
  const format = flags.format ?? 'text';
  if (format !== 'text' && format !== 'json') {
    throw new UsageError(`Invalid --format "${format}" (flag): expected text or json`, { hint: `Did you mean "${closest(format, FORMATS)}"?` });
  }
  if (flags.scheme !== undefined && flags.ecosystem !== undefined) {
    throw new UsageError('Give either --scheme or --ecosystem, not both', { hint: '--ecosystem picks the scheme from the OSV ecosystem table.' });
  }
  const options: RangeOptions = { loose: flags.loose, includePrerelease: flags.includePrerelease };
  if (flags.ecosystem !== undefined) {
    const entry = findEcosystem(flags.ecosystem);
    const prefix = entry.versionPrefix ?? '';
    return { scheme: schemeForEcosystem(flags.ecosystem), format, options, prepare: (v) => (prefix !== '' && !v.startsWith(prefix) ? `${prefix}${v}` : v) };
  }
  if (flags.scheme === undefined) {
    throw new UsageError('Missing --scheme: which version scheme should compare these?', { hint: `Use --scheme with one of ${SCHEME_IDS.join(', ')}, or --ecosystem with an OSV ecosystem name.` });
  }
  return { scheme: getScheme(flags.scheme), format, options, prepare: (v) => v };
}

function formatPieces(pieces: Pieces): string {
  return Object.entries(pieces)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ');
}

function write(ctx: CliContext, format: Format, json: unknown, lines: string[]): void {
  ctx.stdout.write(format === 'json' ? `${JSON.stringify(json, null, 2)}\n` : `${lines.join('\n')}\n`);
}

function inherit(command: Command, ctx: CliContext): Command {
  // subcommands get the same in-process behaviour the CLI gives top-level commands
  return command.exitOverride().configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
}

function withSchemeOptions(command: Command): Command {
  return command
    .option('-s, --scheme <id>', `version scheme: ${SCHEME_IDS.join(', ')}`)
    .option('-e, --ecosystem <name>', 'OSV ecosystem instead of a scheme (e.g. Debian, "Alpine:v3.20", PyPI, Go)')
    .option('-f, --format <format>', 'text or json (default: text)')
    .option('--loose', 'semver: accept loose versions such as "=1.2.3" and "1.2.3beta"');
}

export function versionCommand(ctx: CliContext): Command {
  const command = new Command('version').description('Compare versions and test ranges exactly as runwarden matches vulnerabilities');

  const compare = withSchemeOptions(new Command('compare'))
    .description('Compare two versions: prints <, = or > and the parsed pieces of each')
    .argument('<a>', 'first version')
    .argument('<b>', 'second version')
    .addHelpText('after', '\nExample: runwarden version compare --scheme deb 1:1.0 2.0\n')
    .action((a: string, b: string, flags: VersionFlags) => {
      const { scheme, format, options, prepare } = resolve(flags);
      const [left, right] = [prepare(a), prepare(b)];
      const result = compareVersions(scheme.id, left, right, options.loose === undefined ? undefined : { loose: options.loose });
      const relation = result < 0 ? '<' : result > 0 ? '>' : '=';
      const [piecesA, piecesB] = [scheme.explain(left, options), scheme.explain(right, options)];
      const width = Math.max(left.length, right.length);
      write(
        ctx,
        format,
        { scheme: scheme.id, a: { version: left, pieces: piecesA }, b: { version: right, pieces: piecesB }, result, relation },
        [`${scheme.id}: ${left} ${relation} ${right}`, `  ${left.padEnd(width)}  ${formatPieces(piecesA)}`, `  ${right.padEnd(width)}  ${formatPieces(piecesB)}`],
      );
      ctx.exitCode = EXIT.ok;
    });

  const satisfiesCommand = withSchemeOptions(new Command('satisfies'))
    .description("Test whether a version is inside a range written in the scheme's own syntax")
    .argument('<version>', 'the version to test')
    .argument('<range>', 'the range, e.g. "^1.0.0", ">= 1.2-1, << 2.0", "[1.0,2.0)"')
    .option('--include-prerelease', 'semver: let a pre-release satisfy any range that contains it')
    .option('--no-include-prerelease', 'pep440: refuse pre-releases (packaging prereleases=False)')
    .addHelpText('after', "\nExample: runwarden version satisfies --scheme semver 1.2.3 '^1.0.0'\n")
    .action((version: string, range: string, flags: VersionFlags) => {
      const { scheme, format, options, prepare } = resolve(flags);
      const candidate = prepare(version);
      const answer = satisfies(scheme.id, candidate, range, options);
      const versionPieces = scheme.explain(candidate, options);
      const rangePieces = scheme.ranges?.explain(range, options) ?? {};
      const width = Math.max(candidate.length, range.length);
      write(
        ctx,
        format,
        { scheme: scheme.id, version: { version: candidate, pieces: versionPieces }, range: { range, pieces: rangePieces }, satisfies: answer },
        [
          `${scheme.id}: ${candidate} ${answer ? 'satisfies' : 'does not satisfy'} ${range}`,
          `  version  ${candidate.padEnd(width)}  ${formatPieces(versionPieces)}`,
          `  range    ${range.padEnd(width)}  ${formatPieces(rangePieces)}`,
        ],
      );
      ctx.exitCode = EXIT.ok;
    });

  return command.addCommand(inherit(compare, ctx)).addCommand(inherit(satisfiesCommand, ctx));
}
