/**
 * Distro feeds (Debian tracker, Alpine secdb) state, per (vulnerability, release, source package), a fixed
 * version or a status. This turns those statements into the normalised OSV model: one record per
 * vulnerability, one affected entry per (release, package) with an ECOSYSTEM range `introduced 0` →
 * `fixed` (or open-ended when no fix exists) and the status in `database_specific.runwarden_status`.
 */
import type { OsvAffected, OsvRecord } from './schema.js';
import type { DistroStatus } from './store/index.js';

export interface DistroStatement {
  /** OSV ecosystem with release suffix: "Debian:11", "Alpine:v3.19". */
  ecosystem: string;
  package: string;
  status: DistroStatus;
  fixed?: string | undefined;
  urgency?: string | undefined;
  note?: string | undefined;
  vendorIds?: string[] | undefined;
}

/** IDs the OSV schema accepts as-is; anything else (Debian TEMP-…, Alpine XSA-…) gets a DEBIAN-/ALPINE- prefix. */
const OSV_PREFIXED = /^(CVE|GHSA|DSA|DLA|PYSEC|GO|RUSTSEC|OSV|ALPINE|DEBIAN|USN|UBUNTU)-/;

export function distroRecordId(id: string, home: 'DEBIAN' | 'ALPINE'): string {
  return OSV_PREFIXED.test(id) ? id : `${home}-${id}`;
}

export function distroRecord(options: {
  id: string;
  home: 'DEBIAN' | 'ALPINE';
  aliases?: string[] | undefined;
  related?: string[] | undefined;
  summary?: string | undefined;
  details?: string | undefined;
  modified: string;
  statements: DistroStatement[];
  references?: Array<{ type: 'ADVISORY' | 'WEB'; url: string }> | undefined;
}): OsvRecord {
  const id = distroRecordId(options.id, options.home);
  const aliases = [...new Set([...(id === options.id ? [] : [options.id]), ...(options.aliases ?? [])])].filter((a) => a !== id);
  const affected: OsvAffected[] = options.statements.map((s) => {
    const events: Array<{ introduced: string } | { fixed: string }> = [{ introduced: '0' }];
    if (s.fixed !== undefined && s.fixed !== '') events.push({ fixed: s.fixed });
    const database_specific: Record<string, unknown> = { runwarden_status: s.status };
    if (s.urgency !== undefined && s.urgency !== '') database_specific.urgency = s.urgency;
    if (s.note !== undefined && s.note !== '') database_specific.note = s.note;
    if (s.vendorIds !== undefined && s.vendorIds.length > 0) database_specific.vendor_ids = s.vendorIds;
    return { package: { ecosystem: s.ecosystem, name: s.package }, ranges: [{ type: 'ECOSYSTEM', events }], database_specific };
  });
  const record: OsvRecord = { schema_version: '1.6.0', id, modified: options.modified, affected };
  if (aliases.length > 0) record.aliases = aliases;
  if (options.related !== undefined && options.related.length > 0) record.related = options.related;
  if (options.summary !== undefined && options.summary !== '') record.summary = options.summary;
  if (options.details !== undefined && options.details !== '') record.details = options.details;
  if (options.references !== undefined && options.references.length > 0) record.references = options.references;
  return record;
}
