/**
 * Alpine secdb source: https://secdb.alpinelinux.org/<release>/<repo>.json (and the legacy YAML of the
 * alpine-secdb repository, and vuln-list's one-package-per-file JSON). Each package (an apk *origin*) maps
 * a fixed version to the vulnerabilities it fixes; the key `0` means "never affected". Every fixed version
 * becomes an `introduced 0 → fixed` range in "Alpine:<release>".
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError, errorMessage } from '../../../core/errors.js';
import { issue } from '../../../core/issue.js';
import { compareVersions } from '../../../versioning/index.js';
import { distroRecord, distroRecordId, type DistroStatement } from '../../distro-record.js';
import { head, isDirectory, parseText, walk } from '../../files.js';
import type { ParsedAdvisory, SourceContext, SourceInput, VulnSource } from '../../source.js';
import { admitRecord } from '../../validate.js';

const Secfixes = z.record(z.string(), z.array(z.union([z.string(), z.number()]).transform(String)).nullable());
const PackageEntry = z.looseObject({ pkg: z.looseObject({ name: z.string().min(1), secfixes: Secfixes.nullish() }) });
/** secdb file: one release + repository. */
export const SecdbFile = z.looseObject({
  distroversion: z.string().min(1),
  reponame: z.string().min(1),
  packages: z.array(z.unknown()),
});
/** vuln-list/alpine/<pkg>.json: one package. */
export const VulnListPackage = z.looseObject({
  name: z.string().min(1),
  distroversion: z.string().min(1),
  reponame: z.string().optional(),
  secfixes: Secfixes.nullish(),
});

/** A vulnerability id as secdb writes it: "CVE-2019-14904", "GHSA-h5c8-rqwp-cp95", "XSA-123". */
const ID = /^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|[A-Z][A-Z0-9]*-\d[\w.-]*)$/;

/** "CVE-2024-22195 GHSA-h5c8-rqwp-cp95" → both ids (one vulnerability); "CVE-2017-2616 (+ regression fix)" → the id. */
export function parseSecfix(line: string): string[] {
  const withoutNotes = line.replace(/\([^)]*\)/g, ' ');
  return withoutNotes.split(/\s+/).filter((token) => ID.test(token));
}

function modifiedOf(mtimeMs: number): string {
  return new Date(Math.floor(mtimeMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

interface Fix {
  ids: string[];
  packages: Map<string, { fixed: string; ecosystem: string }>;
}

function apkGreater(a: string, b: string): boolean | undefined {
  try {
    return compareVersions('apk', a, b) > 0;
  } catch {
    return undefined;
  }
}

/** Collect (id → package → fixed version) from one release file's packages; `damaged`: ids a skipped line named. */
function collect(fixes: Map<string, Fix>, damaged: Set<string>, scope: string, release: string, name: string, secfixes: z.infer<typeof Secfixes> | null | undefined, location: string, ctx: SourceContext): void {
  for (const [version, lines] of Object.entries(secfixes ?? {})) {
    const notAffected = version === '0';
    for (const line of lines ?? []) {
      const ids = parseSecfix(line);
      const primary = ids[0];
      if (primary === undefined) {
        ctx.issue(issue('alpine-secdb-parse', `Skipped secfix "${line.slice(0, 80)}" of ${name} ${version}: no vulnerability id`, location));
        // which stored advisory it was is unknown: none of this file's is retired this time
        ctx.incompleteScope(scope);
        continue;
      }
      if (notAffected) continue; // "0": the package was never affected in this release
      try {
        compareVersions('apk', version, version);
      } catch (error) {
        ctx.issue(issue('alpine-secdb-parse', `Skipped ${primary} for ${name}: fixed version "${version}" is not an apk version (${errorMessage(error)})`, location));
        damaged.add(primary);
        continue;
      }
      const fix: Fix = fixes.get(primary) ?? { ids: [], packages: new Map() };
      for (const id of ids) if (!fix.ids.includes(id)) fix.ids.push(id);
      const key = `${release}\0${name}`;
      const old = fix.packages.get(key);
      // Listed under two versions (a regression fix): the later fix is the one that closes it.
      if (old === undefined || apkGreater(version, old.fixed) === true) fix.packages.set(key, { fixed: version, ecosystem: `Alpine:${release}` });
      fixes.set(primary, fix);
    }
  }
}

async function* readFileRecords(path: string, display: string, ctx: SourceContext): AsyncGenerator<ParsedAdvisory> {
  let text: string;
  let modified: string;
  try {
    text = await readFile(path, 'utf8');
    modified = modifiedOf((await stat(path)).mtimeMs);
  } catch (error) {
    throw new InputError(display, `Cannot read Alpine secdb "${display}": ${errorMessage(error)}`, { cause: error });
  }
  const parsed = parseText(text, path);
  if (!parsed.ok) {
    ctx.issue(issue('alpine-secdb-parse', `Cannot parse ${display}: ${parsed.error}`, display, 'The file is not valid JSON/YAML; the rest of the import went on.'));
    return;
  }
  const fixes = new Map<string, Fix>();
  /** Vulnerability ids a skipped line named: their records are partial (a stored copy is kept). */
  const damaged = new Set<string>();
  let scope: string;
  const file = SecdbFile.safeParse(parsed.value);
  if (file.success) {
    scope = `${file.data.distroversion}/${file.data.reponame}`;
    const fileScope = scope;
    (file.data.packages ?? []).forEach((raw, i) => {
      const entry = PackageEntry.safeParse(raw);
      if (!entry.success) {
        ctx.issue(issue('alpine-secdb-parse', `Skipped packages[${i}]: expected {pkg: {name, secfixes}}`, `${display}#packages[${i}]`));
        // the advisories it held are unknown: none of this file's is retired this time
        ctx.incompleteScope(fileScope);
        return;
      }
      collect(fixes, damaged, fileScope, file.data.distroversion, entry.data.pkg.name, entry.data.pkg.secfixes, `${display}#${entry.data.pkg.name}`, ctx);
    });
  } else {
    const one = VulnListPackage.safeParse(parsed.value);
    if (!one.success) {
      ctx.issue(issue('alpine-secdb-parse', `Skipped ${display}: neither a secdb file ({distroversion, reponame, packages}) nor a vuln-list package ({name, distroversion, secfixes})`, display));
      return;
    }
    scope = `${one.data.distroversion}/${one.data.reponame ?? ''}/${one.data.name}`;
    collect(fixes, damaged, scope, one.data.distroversion, one.data.name, one.data.secfixes, display, ctx);
  }
  ctx.completeScope(scope);
  // One record per vulnerability and file: the id carries the release so two releases never overwrite each other.
  const release = scope.split('/').slice(0, 2).join('/');
  const recordId = (primary: string): string => {
    const id = distroRecordId(primary, 'ALPINE');
    return `${id.startsWith('ALPINE-') ? '' : 'ALPINE-'}${id}@${release}`;
  };
  // named only by skipped lines: the stored copy stays
  for (const primary of damaged) if (!fixes.has(primary)) ctx.keepStored(recordId(primary), scope);
  for (const [primary, fix] of fixes) {
    const statements: DistroStatement[] = [...fix.packages].map(([key, p]) => ({ ecosystem: p.ecosystem, package: key.split('\0')[1] ?? '', status: 'fixed', fixed: p.fixed }));
    const record = distroRecord({
      id: primary,
      home: 'ALPINE',
      aliases: fix.ids.slice(1),
      modified,
      statements,
      references: /^CVE-/.test(primary) ? [{ type: 'ADVISORY', url: `https://security.alpinelinux.org/vuln/${primary}` }] : undefined,
    });
    record.id = recordId(primary);
    if (!(record.aliases ?? []).includes(primary)) record.aliases = [primary, ...(record.aliases ?? [])];
    const admitted = admitRecord(record, `${display}#${primary}`);
    if (admitted.record === undefined) {
      ctx.issue(admitted.rejection);
      ctx.keepStored(record.id, scope);
      continue;
    }
    yield { record: admitted.record, location: `${display}#${primary}`, scope, partial: damaged.has(primary) };
  }
}

async function* readSecdb(input: SourceInput, ctx: SourceContext): AsyncGenerator<ParsedAdvisory> {
  if (await isDirectory(input.path)) {
    for (const file of await walk(input.path, ['.json', '.yaml', '.yml'], ctx.signal)) {
      yield* readFileRecords(join(input.path, file), join(input.display, file), ctx);
    }
    return;
  }
  yield* readFileRecords(input.path, input.display, ctx);
}

export const alpineSecdb: VulnSource = {
  id: 'alpine-secdb',
  title: 'Alpine secdb',
  formats: ['a secdb file (https://secdb.alpinelinux.org/<release>/<repo>.json, or the legacy .yaml)', 'a vuln-list "alpine" package file or directory'],
  async detect(path) {
    if (await isDirectory(path)) {
      const files = await walk(path, ['.json', '.yaml', '.yml']);
      const first = files[0];
      return first !== undefined && /secfixes|distroversion/.test(await head(join(path, first), 2048));
    }
    const start = await head(path, 2048);
    return /"?(distroversion|secfixes)"?\s*:/.test(start) && !/"affected"\s*:/.test(start);
  },
  read: readSecdb,
};
