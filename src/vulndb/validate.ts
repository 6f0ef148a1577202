/**
 * Admission of one OSV record: the JSON Schema (schema.ts), then the osv-linter rules a matcher cannot live
 * with (ossf/osv-schema tools/osv-linter): a record that affects nothing is rejected, since it could only
 * ever look like "not affected". Rules that leave the record usable become warnings.
 */
import { issue, type Issue } from '../core/issue.js';
import { identityCheck } from '../inventory/identity.js';
import { OsvRecord, describeZodError, type OsvEvent } from './schema.js';

/**
 * zod's verdict without zod's copy: true only when OsvRecord.safeParse would accept the record and return an
 * equal value (inventory/identity.ts), so the record is kept as parsed, in the feed's own key order; otherwise
 * zod decides and names the problem. bench/vulndb: ~19 % less CPU importing in-thread, ~8 % with reader threads.
 */
const isOsvRecord = identityCheck(OsvRecord);

export type Admission = { record: OsvRecord; warnings: Issue[] } | { record: undefined; rejection: Issue };

function idOf(raw: unknown): string {
  if (typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string') return raw.id.slice(0, 80);
  return '(no id)';
}

/** The version an event names (exactly one of its four keys, per the schema). */
function eventVersion(e: OsvEvent): string | undefined {
  return e.introduced ?? e.fixed ?? e.last_affected ?? e.limit;
}

/**
 * Whether two events of a range name the same version (osv-linter "non-distinct events"). Pairwise for the
 * usual handful of events (no list and Set per range: this runs for every range of every imported record).
 */
function repeatsVersion(events: readonly OsvEvent[]): boolean {
  if (events.length > 32) return new Set(events.map(eventVersion)).size !== events.length;
  for (let a = 1; a < events.length; a++) {
    const version = eventVersion(events[a] as OsvEvent);
    for (let b = 0; b < a; b++) if (eventVersion(events[b] as OsvEvent) === version) return true;
  }
  return false;
}

/** Validate a parsed JSON/YAML value as an OSV record; `location` is the file (and entry) it came from. */
export function admitRecord(raw: unknown, location: string): Admission {
  const parsed = isOsvRecord(raw) ? { success: true as const, data: raw as OsvRecord } : OsvRecord.safeParse(raw);
  const id = idOf(raw);
  if (!parsed.success) {
    return {
      record: undefined,
      rejection: issue('osv-schema', `OSV record ${id} fails the OSV schema: ${describeZodError(parsed.error)}`, location, 'Fix the record at its source, or drop the file; the rest of the import went on.'),
    };
  }
  const record = parsed.data;
  const warnings: Issue[] = [];
  if (record.withdrawn === undefined && (record.affected === undefined || record.affected === null || record.affected.length === 0)) {
    return {
      record: undefined,
      rejection: issue('osv-lint', `OSV record ${record.id} rejected: Invalid Affected: affected field cannot be null or empty`, location, 'A record must list the packages it affects (osv-linter rule "has affected").'),
    };
  }
  (record.affected ?? []).forEach((entry, i) => {
    if (entry.package === undefined && record.withdrawn === undefined) {
      warnings.push(issue('osv-lint-warning', `OSV record ${record.id}: affected[${i}] names no package; it cannot match anything`, location));
    }
    (entry.ranges ?? []).forEach((range, j) => {
      if (repeatsVersion(range.events)) {
        warnings.push(issue('osv-lint-warning', `OSV record ${record.id}: affected[${i}].ranges[${j}] repeats a version across events (non-distinct events)`, location));
      }
    });
  });
  return { record, warnings };
}
