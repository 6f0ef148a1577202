/**
 * The OSV record (https://ossf.github.io/osv-schema/), written from the schema's own JSON Schema
 * (`testdata/upstream/osv/schema/validation/schema.json`, ossf/osv-schema @ 51b8156). Each rule below names
 * the JSON Schema construct it mirrors; `schema.test.ts` checks that zod and the JSON Schema give the same
 * verdict on every record of the dataset. This is also runwarden's normalised advisory model: the distro
 * feeds (Debian tracker, Alpine secdb) are converted into it.
 */
import { z } from 'zod';

/** `$defs/prefix`: the home-database prefixes the schema knows, or `x_` for private ones. */
const ID_PREFIX =
  /^(x_|(ASB-A|PUB-A|ALPINE|ALSA|ALBA|ALEA|AZL|BELL|BIT|CGA|CLEANSTART|CLSA|CURL|CVE|DEBIAN|DHI|DRUPAL|DSA|DLA|ELA|DTSA|ECHO|EEF|FreeBSD|GHSA|GO|GSD|HSEC|JLSEC|KUBE|LBSEC|LSN|MAL|MINI|MGASA|OESA|OSEC|OSV|openSUSE-SU|PHSA|PSF|PYSEC|RHBA|RHEA|RHSA|RLSA|RXSA|RSEC|ROOT|RUSTSEC|SUSE-[SRFO]U|UBUNTU|USN|V8)-)/;

/** `$defs/ecosystemWithSuffix`. */
export const OSV_ECOSYSTEMS = [
  'AlmaLinux', 'Alpaquita', 'Alpine', 'Android', 'Azure Linux', 'BellSoft Hardened Containers', 'Bioconductor', 'Bitnami', 'Chainguard',
  'CleanStart', 'ConanCenter', 'CRAN', 'crates.io', 'Debian', 'Docker Hardened Images', 'Echo', 'FreeBSD', 'GHC', 'GitHub Actions', 'Go',
  'Hackage', 'Hex', 'Julia', 'Kubernetes', 'Linux', 'Mageia', 'Maven', 'MinimOS', 'npm', 'NuGet', 'opam', 'openEuler', 'openSUSE', 'OSS-Fuzz',
  'Packagist', 'Photon OS', 'Pub', 'PyPI', 'Red Hat', 'Rocky Linux', 'Root', 'RubyGems', 'SUSE', 'SwiftURL', 'TuxCare', 'Ubuntu', 'VSCode', 'Wolfi',
] as const;
const ECOSYSTEM_WITH_SUFFIX = new RegExp(`^(${[...OSV_ECOSYSTEMS, 'GIT'].map((e) => e.replace(/[.]/g, '\\.')).join('|')})(:.+)?$`);

/** `$defs/timestamp`: the pattern (unanchored, as in the schema) plus `format: date-time` (RFC 3339). */
const TIMESTAMP = /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const Timestamp = z
  .string()
  .regex(TIMESTAMP, { message: 'expected an RFC 3339 UTC time such as 2024-01-31T12:00:00Z' })
  .refine((s) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)), { message: 'not a valid RFC 3339 date-time' });

/**
 * Two shapes that make up much of a record and whose items need no zod run each (bench/vulndb records list
 * ~18 `versions` each; zod runs, allocates and copies per item): checked by one predicate, kept as given.
 * Same verdicts as the JSON Schema's `{"type": "array", "items": {"type": "string"}}` and `{"type": "object"}`.
 */
function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
function firstNonString(value: readonly unknown[]): number {
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return i;
  return -1;
}
const StringArray = z.custom<string[]>((value) => Array.isArray(value) && firstNonString(value) < 0, {
  error: (iss) => {
    const value = iss.input;
    if (!Array.isArray(value)) return `expected an array of strings, got ${kindOf(value)}`;
    const at = firstNonString(value);
    return `item [${at}] is ${kindOf(value[at])}, expected a string`;
  },
});
const FreeObject = z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
  error: (iss) => `expected an object, got ${kindOf(iss.input)}`,
});

/** `$defs/severity` item patterns. */
const CVSS_V2 =
  /^((AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))\/)*(AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))$/;
const CVSS_V3 =
  /^CVSS:3[.][01]\/((AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])\/)*(AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])$/;
const CVSS_V4 =
  /^CVSS:4[.]0\/AV:[NALP]\/AC:[LH]\/AT:[NP]\/PR:[NLH]\/UI:[NPA]\/VC:[HLN]\/VI:[HLN]\/VA:[HLN]\/SC:[HLN]\/SI:[HLN]\/SA:[HLN](\/E:[XAPU])?(\/CR:[XHML])?(\/IR:[XHML])?(\/AR:[XHML])?(\/MAV:[XNALP])?(\/MAC:[XLH])?(\/MAT:[XNP])?(\/MPR:[XNLH])?(\/MUI:[XNPA])?(\/MVC:[XNLH])?(\/MVI:[XNLH])?(\/MVA:[XNLH])?(\/MSC:[XNLH])?(\/MSI:[XNLHS])?(\/MSA:[XNLHS])?(\/S:[XNP])?(\/AU:[XNY])?(\/R:[XAUI])?(\/V:[XDC])?(\/RE:[XLMH])?(\/U:(X|Clear|Green|Amber|Red))?$/;
const UBUNTU_PRIORITIES = ['negligible', 'low', 'medium', 'high', 'critical'] as const;

export const SEVERITY_TYPES = ['CVSS_V2', 'CVSS_V3', 'CVSS_V4', 'Ubuntu'] as const;

const SeverityItem = z
  .looseObject({ type: z.enum(SEVERITY_TYPES), score: z.string() })
  .superRefine((item, ctx) => {
    const ok =
      item.type === 'CVSS_V2' ? CVSS_V2.test(item.score)
      : item.type === 'CVSS_V3' ? CVSS_V3.test(item.score)
      : item.type === 'CVSS_V4' ? CVSS_V4.test(item.score)
      : (UBUNTU_PRIORITIES as readonly string[]).includes(item.score);
    if (!ok) ctx.addIssue({ code: 'custom', path: ['score'], message: `"${item.score.slice(0, 120)}" is not a valid ${item.type} score` });
  });
const SeverityList = z.array(SeverityItem).nullable();
export type OsvSeverity = z.infer<typeof SeverityItem>;

/** One event: `oneOf` four objects, so exactly one of the four keys (other keys may ride along). */
const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;
export type EventKind = (typeof EVENT_KEYS)[number];
const Event = z
  .looseObject({ introduced: z.string().optional(), fixed: z.string().optional(), last_affected: z.string().optional(), limit: z.string().optional() })
  .superRefine((event, ctx) => {
    // counted without allocating (one call per event); the message lists them only when it is needed
    const count = (event.introduced === undefined ? 0 : 1) + (event.fixed === undefined ? 0 : 1) + (event.last_affected === undefined ? 0 : 1) + (event.limit === undefined ? 0 : 1);
    if (count === 1) return;
    const present = EVENT_KEYS.filter((k) => event[k] !== undefined);
    ctx.addIssue({ code: 'custom', message: `an event must have exactly one of introduced, fixed, last_affected, limit (has ${present.length === 0 ? 'none' : present.join(', ')})` });
  });
export type OsvEvent = z.infer<typeof Event>;

const GIT_HASH = /^(0|[a-f0-9]{40}|[a-f0-9]{64})$/;

const Range = z
  .looseObject({
    type: z.enum(['GIT', 'SEMVER', 'ECOSYSTEM']),
    repo: z.string().optional(),
    events: z.array(Event).min(1),
    database_specific: FreeObject.optional(),
  })
  .superRefine((range, ctx) => {
    // "events must contain an introduced object"
    if (!range.events.some((e) => e.introduced !== undefined)) ctx.addIssue({ code: 'custom', path: ['events'], message: "missing 'introduced' object in events" });
    if (range.type === 'GIT') {
      if (range.repo === undefined) ctx.addIssue({ code: 'custom', path: ['repo'], message: 'GIT ranges require a repo' });
      range.events.forEach((e, i) => {
        const value = e.introduced ?? e.fixed ?? e.last_affected ?? e.limit;
        if (value !== undefined && !GIT_HASH.test(value)) ctx.addIssue({ code: 'custom', path: ['events', i], message: 'GIT ranges must use full-length commit hashes' });
      });
    }
    if (range.events.some((e) => e.last_affected !== undefined) && range.events.some((e) => e.fixed !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['events'], message: 'last_affected and fixed events are mutually exclusive' });
    }
  });
export type OsvRange = z.infer<typeof Range>;

const Affected = z.looseObject({
  package: z
    .looseObject({
      ecosystem: z.string().regex(ECOSYSTEM_WITH_SUFFIX, { message: 'not an OSV ecosystem name (case-sensitive, e.g. "PyPI", "Debian:12")' }),
      name: z.string(),
      purl: z.string().optional(),
    })
    .optional(),
  severity: SeverityList.optional(),
  ranges: z.array(Range).optional(),
  versions: StringArray.optional(),
  ecosystem_specific: FreeObject.optional(),
  database_specific: FreeObject.optional(),
});
export type OsvAffected = z.infer<typeof Affected>;

const REFERENCE_TYPES = ['ADVISORY', 'ARTICLE', 'DETECTION', 'DISCUSSION', 'REPORT', 'FIX', 'INTRODUCED', 'GIT', 'PACKAGE', 'EVIDENCE', 'WEB'] as const;
const Reference = z.looseObject({
  type: z.enum(REFERENCE_TYPES),
  url: z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/, { message: 'not a URI' }),
});

const Credit = z.looseObject({
  name: z.string(),
  contact: StringArray.optional(),
  type: z.enum(['FINDER', 'REPORTER', 'ANALYST', 'COORDINATOR', 'REMEDIATION_DEVELOPER', 'REMEDIATION_REVIEWER', 'REMEDIATION_VERIFIER', 'TOOL', 'SPONSOR', 'OTHER']).optional(),
});

/** The whole record (`additionalProperties: false` at the top level). */
export const OsvRecord = z
  .strictObject({
    schema_version: z.string().optional(),
    id: z.string().regex(ID_PREFIX, { message: 'unknown ID prefix: expected a home database prefix such as CVE-, GHSA-, PYSEC-, GO-, DSA- (or x_ for a private one)' }),
    modified: Timestamp,
    published: Timestamp.optional(),
    withdrawn: Timestamp.optional(),
    aliases: StringArray.nullable().optional(),
    related: StringArray.optional(),
    upstream: StringArray.optional(),
    summary: z.string().optional(),
    details: z.string().optional(),
    severity: SeverityList.optional(),
    affected: z.array(Affected).nullable().optional(),
    references: z.array(Reference).nullable().optional(),
    credits: z.array(Credit).optional(),
    database_specific: FreeObject.optional(),
  })
  .superRefine((record, ctx) => {
    // allOf[0]: with a top-level severity, affected[].severity must be null (or absent)
    if (record.severity !== undefined) {
      record.affected?.forEach((a, i) => {
        if (a.severity !== undefined && a.severity !== null) ctx.addIssue({ code: 'custom', path: ['affected', i, 'severity'], message: 'a record with a top-level severity cannot also set affected[].severity' });
      });
    }
  });
export type OsvRecord = z.infer<typeof OsvRecord>;

/** A zod error as one line: the first problem with its JSON path (`affected[0].ranges[0].events: …`). */
export function describeZodError(error: z.ZodError): string {
  const first = error.issues[0];
  if (first === undefined) return 'invalid';
  const path = first.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : '';
  return `${path === '' ? '' : `${path}: `}${first.message}${more}`;
}
