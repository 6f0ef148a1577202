/**
 * What the store writes for one validated record, computed without the database: its JSON text (kept
 * whole in a block), the `head` findings need, the aliases, and one compact matching row per
 * affected package. Pure, so the OSV source can prepare records on worker threads while the main thread
 * writes (sources/osv/pool.ts).
 */
import { createHash, hash } from 'node:crypto';
import type { OsvAffected, OsvRecord } from '../schema.js';
import { advisoryReleaseKey, nameKey, splitEcosystem } from './keys.js';

/** Fix state a distro feed states for a (package, release): Trivy's vocabulary for the same tracker statuses. */
export const DISTRO_STATUSES = ['fixed', 'affected', 'will_not_fix', 'fix_deferred', 'end_of_life', 'undetermined'] as const;
export type DistroStatus = (typeof DISTRO_STATUSES)[number];

/** What matching reads from an affected row (`vuln_entries.data`). */
export interface AffectedData {
  /** The entry's OSV ecosystem with suffix ("Debian:12") and package name as the advisory writes them. */
  ecosystem?: string;
  package?: string;
  /** OSV ranges of this affected entry. */
  ranges?: OsvAffected['ranges'];
  /** Explicit affected versions. */
  versions?: string[];
  /** Distro status (debian-tracker, alpine-secdb): see vulndb/sources/*\/readme.md. */
  status?: DistroStatus;
  /** Debian tracker urgency / source severity label. */
  urgency?: string;
  /** Free-text note the source attached (no-dsa reason, pending fix). */
  note?: string;
}

/** Facts the matcher needs per advisory, kept uncompressed next to the record (`head` column, with the summary). */
export interface AdvisoryFacts {
  aliases?: string[];
  related?: string[];
  /**
   * OSV `upstream`: the vulnerabilities the record is derived from. One id is the same vulnerability
   * (DEBIAN-CVE-2024-1 → CVE-2024-1, an RHSA for one CVE); several are a bundle (a DSA, an RHSA for five CVEs).
   */
  upstream?: string[];
  severity?: OsvRecord['severity'];
  /** database_specific.severity (GHSA's label). */
  label?: string;
  /** affected[i].severity by entry index, when entries carry their own. */
  entrySeverity?: Record<number, NonNullable<OsvAffected['severity']>>;
}

/** The `head` column: the advisory's id first (the matcher reads it from here, store/read.ts), then the facts. */
export interface StoredHead extends AdvisoryFacts {
  id: string;
  summary?: string;
}

/**
 * A record's JSON text as stored: a string, or compact UTF-8 bytes taken from the input (sources/osv/parse.ts;
 * no whitespace outside strings, so never a raw line feed, which separates records in a block).
 */
export type RecordText = string | Uint8Array;

/** One matching row: where it is indexed, which entry of the record, and its data (stored once per distinct text). */
export type PreparedAffected = [ecosystem: string, name: string, release: string, entry: number, data: string];

export interface PreparedAdvisory {
  id: string;
  modified: string;
  withdrawn: string | null;
  /** Distinct aliases and upstream ids other than the id itself (the ids `db show` finds it by). */
  aliases: string[];
  head: string;
  /** The record's JSON text: `JSON.stringify` of the validated record, or its own compact text as read (RecordText). */
  text: RecordText;
  /** Empty for a withdrawn record: it is kept for `db show` but never matches. */
  affected: PreparedAffected[];
}

/**
 * The prepared records of one worker job as they cross to the writer thread (blocks.ts packBatch): their
 * texts already packed into compressed blocks, everything else in columns (structured clone copies a few
 * long arrays much faster than one object per record, per alias and per affected row), and each distinct
 * ecosystem, release key and matching-data text once per batch (`strings`). Advisory `i` owns
 * `aliases[aliasEnd[i - 1] ?? 0 .. aliasEnd[i])` and affected rows `affectedEnd[i - 1] ?? 0 .. affectedEnd[i]`.
 */
export interface PreparedBatch {
  ids: string[];
  modified: string[];
  withdrawn: Array<string | null>;
  heads: string[];
  /** Each record's block (index in `blocks`) and slot in it. */
  block: number[];
  slot: number[];
  aliases: string[];
  aliasEnd: number[];
  affectedEnd: number[];
  /** Per affected row: ecosystem (index in `strings`), name key, release key (index in `strings`), entry index, matching data (index in `strings`). */
  rowEcosystem: number[];
  rowName: string[];
  rowRelease: number[];
  rowEntry: number[];
  rowData: number[];
  strings: string[];
  /** Compressed blocks (packBlock), in order. */
  blocks: Uint8Array[];
  /** Records per block. */
  slots: number[];
}

export function headOf(record: OsvRecord): string {
  const head: StoredHead = { id: record.id };
  if (record.summary !== undefined) head.summary = record.summary;
  if (record.aliases !== undefined && record.aliases !== null && record.aliases.length > 0) head.aliases = record.aliases;
  if (record.related !== undefined && record.related.length > 0) head.related = record.related;
  if (record.upstream !== undefined && record.upstream.length > 0) head.upstream = record.upstream;
  if (record.severity !== undefined && record.severity !== null && record.severity.length > 0) head.severity = record.severity;
  const label = record.database_specific?.['severity'];
  if (typeof label === 'string') head.label = label;
  const affected = record.affected ?? [];
  for (let i = 0; i < affected.length; i++) {
    const severity = affected[i]?.severity;
    if (severity !== undefined && severity !== null && severity.length > 0) (head.entrySeverity ??= {})[i] = severity;
  }
  return JSON.stringify(head);
}

/**
 * The matching data of one affected entry: only what range evaluation needs. The ecosystem and package
 * name are left out when the row's own columns already say them (no release suffix, name as written);
 * `expandData` puts them back.
 */
export function affectedData(entry: OsvAffected, ecosystemColumn: string, nameColumn: string): string {
  const data: AffectedData = {};
  if (entry.package !== undefined) {
    if (entry.package.ecosystem !== ecosystemColumn) data.ecosystem = entry.package.ecosystem;
    if (entry.package.name !== nameColumn) data.package = entry.package.name;
  }
  if (entry.ranges !== undefined && entry.ranges.length > 0) {
    // built key by key (type, events, repo): a spread per range cost more than the rest of this function
    data.ranges = entry.ranges.map((r) => {
      const range: NonNullable<AffectedData['ranges']>[number] = { type: r.type, events: r.events };
      if (r.repo !== undefined) range.repo = r.repo;
      return range;
    });
  }
  if (entry.versions !== undefined && entry.versions.length > 0) data.versions = entry.versions;
  const ds = entry.database_specific;
  if (ds !== undefined) {
    const status = ds['runwarden_status'];
    if (typeof status === 'string' && (DISTRO_STATUSES as readonly string[]).includes(status)) data.status = status as DistroStatus;
    const urgency = ds['urgency'];
    if (typeof urgency === 'string') data.urgency = urgency;
    const note = ds['note'];
    if (typeof note === 'string') data.note = note;
  }
  // osv.dev's Debian records carry the tracker's urgency per release here ("low", "unimportant", "not yet assigned")
  const es = entry.ecosystem_specific;
  if (es !== undefined && data.urgency === undefined) {
    const urgency = es['urgency'];
    if (typeof urgency === 'string') data.urgency = urgency;
  }
  return JSON.stringify(data);
}

/**
 * `vuln_entries.digest`: SHA-256 of the data text (base64url, first 96 bits). Identical entries (a GHSA and
 * a PYSEC record listing the same versions, a status repeated across Debian releases) share a digest, so
 * they are stored once, and the matcher parses and prepares each distinct entry once. Computed by the store
 * only for a text it has not stored in this import (a few hundred times for 200,000 records), not per row.
 */
export function dataDigest(data: string): string {
  // crypto.hash (Node >= 20.12) is the one-shot form, twice as fast as createHash for short inputs
  const full = typeof hash === 'function' ? hash('sha256', data, 'base64url') : createHash('sha256').update(data).digest('base64url');
  return full.slice(0, 16);
}

/** Stored matching data as the whole AffectedData (ecosystem and package first, as `db query` prints it). */
export function expandData(data: string, ecosystemColumn: string, nameColumn: string): AffectedData {
  const parsed = JSON.parse(data) as AffectedData;
  return { ecosystem: parsed.ecosystem ?? ecosystemColumn, package: parsed.package ?? nameColumn, ...parsed };
}

/** `text`: the record's own compact JSON when the reader has it (sources/osv/parse.ts), else it is serialised here. */
export function prepareAdvisory(record: OsvRecord, text?: Uint8Array): PreparedAdvisory {
  const aliases: string[] = [];
  const listed = record.aliases ?? [];
  if (listed.length <= 16) {
    // the usual few: deduplicated in place (a Set per record cost more)
    for (const alias of listed) if (alias !== record.id && !aliases.includes(alias)) aliases.push(alias);
  } else for (const alias of new Set(listed)) if (alias !== record.id) aliases.push(alias);
  // `db show CVE-…` also finds the records derived from it (DEBIAN-CVE-…, a DSA that fixes it)
  const upstream = record.upstream;
  if (upstream !== undefined) for (const id of upstream) if (id !== record.id && !aliases.includes(id)) aliases.push(id);
  const affected: PreparedAffected[] = [];
  if (record.withdrawn === undefined) {
    const entries = record.affected ?? [];
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index];
      if (entry?.package === undefined) continue;
      const { ecosystem, suffix } = splitEcosystem(entry.package.ecosystem);
      const name = nameKey(ecosystem, entry.package.name);
      const data = affectedData(entry, ecosystem, name);
      affected.push([ecosystem, name, advisoryReleaseKey(ecosystem, suffix), index, data]);
    }
  }
  return { id: record.id, modified: record.modified, withdrawn: record.withdrawn ?? null, aliases, head: headOf(record), text: text ?? JSON.stringify(record), affected };
}
