/**
 * Settings of the vulnerability database: which feeds `db update` fetches (mirrors are configuration: an
 * air-gapped site points them at its own HTTP server) and when `db status` calls the data stale.
 * Read from `--config FILE` or `$RUNWARDEN_VULNDB_CONFIG` (YAML or JSON; the settings may also sit under a
 * top-level `vulndb:` key of a shared settings file). Defaults point at the public feeds.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, errorMessage } from '../core/errors.js';
import { DEFAULT_STALE_AFTER_HOURS } from './freshness.js';
import { describeZodError } from './schema.js';
import { SOURCE_IDS } from './store/index.js';

/** osv.dev's per-ecosystem exports (https://google.github.io/osv.dev/data/#data-dumps). */
export const OSV_EXPORT = 'https://osv-vulnerabilities.storage.googleapis.com';
/**
 * The OSV exports `db update` fetches by default: every ecosystem the catalogers give packages of and the matcher
 * reads correctly (Composer packages are Packagist; AlmaLinux and Rocky Linux by major release; Wolfi and
 * Chainguard by origin). Not by default: Red Hat (its export is large, and an image is matched against the main
 * streams of its major release only: `db import` it where RHEL/UBI images run), openSUSE (`db import` it where
 * its images run) and SUSE (releases named as products, which runwarden does not read yet).
 */
export const DEFAULT_OSV_ECOSYSTEMS = ['Debian', 'Ubuntu', 'Alpine', 'AlmaLinux', 'Rocky Linux', 'Wolfi', 'Chainguard', 'npm', 'PyPI', 'Go', 'Maven', 'crates.io', 'RubyGems', 'NuGet', 'Packagist'] as const;
/**
 * The Alpine releases whose secdb `db update` fetches by default: those released by endoflife.date's data of
 * 2026-08 (testdata/upstream/endoflife: 3.24 on 2026-06-09), the supported ones (3.22–3.24) and the recent
 * end-of-life ones images still run (their secdb stays published). osv.dev's Alpine export, also a default,
 * covers every release; the secdb adds Alpine's own word on each.
 */
export const DEFAULT_ALPINE_RELEASES = ['v3.18', 'v3.19', 'v3.20', 'v3.21', 'v3.22', 'v3.23', 'v3.24'] as const;

export const Mirror = z.strictObject({
  source: z.enum(SOURCE_IDS),
  url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
  /** Shown in progress and status; defaults to the URL. */
  name: z.string().min(1).optional(),
});
export type Mirror = z.infer<typeof Mirror>;

export function defaultMirrors(): Mirror[] {
  return [
    ...DEFAULT_OSV_ECOSYSTEMS.map((e) => ({ source: 'osv' as const, url: `${OSV_EXPORT}/${encodeURIComponent(e)}/all.zip`, name: `OSV ${e}` })),
    { source: 'debian-tracker', url: 'https://security-tracker.debian.org/tracker/data/json', name: 'Debian Security Tracker' },
    ...DEFAULT_ALPINE_RELEASES.flatMap((r) => (['main', 'community'] as const).map((repo) => ({ source: 'alpine-secdb' as const, url: `https://secdb.alpinelinux.org/${r}/${repo}.json`, name: `Alpine ${r} ${repo}` }))),
  ];
}

export const VulnDbConfig = z.strictObject({
  mirrors: z.array(Mirror).min(1, { message: 'list at least one mirror' }).optional(),
  /** `db status` warns when the newest import is older than this. */
  staleAfterHours: z.number().positive().default(DEFAULT_STALE_AFTER_HOURS),
});
export type VulnDbConfig = { mirrors: Mirror[]; staleAfterHours: number };

/** Load the config file (or the defaults when `file` is undefined); throws ConfigError naming the file and field. */
export async function loadVulnDbConfig(file: string | undefined): Promise<VulnDbConfig> {
  if (file === undefined) return { mirrors: defaultMirrors(), staleAfterHours: DEFAULT_STALE_AFTER_HOURS };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read vulndb config "${file}": ${errorMessage(error)}`, { hint: 'Check the --config path (or $RUNWARDEN_VULNDB_CONFIG).' });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Vulndb config "${file}" is not valid YAML/JSON: ${errorMessage(error).split('\n')[0] ?? ''}`);
  }
  if (typeof raw === 'object' && raw !== null && 'vulndb' in raw) raw = (raw).vulndb;
  const parsed = VulnDbConfig.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ConfigError(`Invalid vulndb config "${file}": ${describeZodError(parsed.error)}`, {
      hint: 'Expected e.g. "mirrors: [{source: osv, url: https://mirror.example/npm/all.zip}]" with source one of osv, debian-tracker, alpine-secdb.',
    });
  }
  return { mirrors: parsed.data.mirrors ?? defaultMirrors(), staleAfterHours: parsed.data.staleAfterHours };
}

/** `staleAfterHours` of the vulndb config in $RUNWARDEN_VULNDB_CONFIG (the reports' staleness warning), else the default. */
export async function staleAfterHoursOf(env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const file = env.RUNWARDEN_VULNDB_CONFIG;
  return (await loadVulnDbConfig(file === undefined || file === '' ? undefined : file)).staleAfterHours;
}
