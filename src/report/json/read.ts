/** Reading runwarden's own JSON report back (`convert`, the admission webhook's verdicts). */
import { errorMessage, InputError } from '../../core/errors.js';
import { FINDING_KINDS } from '../../core/finding.js';
import type { ScanReport } from '../../core/report.js';
import { ScanReportJson } from './schema.js';

const WRITE_ONE = 'Write one with --format json (runwarden scan, image scan, sbom match or check).';

/** The report in `text` (from `file`), checked against the JSON report's schema: one line naming what is wrong. */
export function parseReport(text: string, file: string): ScanReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(file, `"${file}" is not JSON: ${errorMessage(error)}`, { hint: `A runwarden JSON report is expected here. ${WRITE_ONE}` });
  }
  return reportFromJson(value, file);
}

/** A report already parsed from JSON (`file` names where it came from), checked against the JSON report's schema. */
export function reportFromJson(value: unknown, file: string): ScanReport {
  const version = typeof value === 'object' && value !== null && 'schemaVersion' in value ? value.schemaVersion : undefined;
  if (typeof version === 'string' && /^\d+\.\d+$/.test(version) && !version.startsWith('1.')) {
    throw new InputError(file, `"${file}" is a report of schema version ${version}; this runwarden reads 1.x`, { hint: 'Convert it with the runwarden that wrote it, or a newer one.' });
  }
  const parsed = ScanReportJson.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first === undefined || first.path.length === 0 ? '' : `${first.path.join('.')}: `;
    throw new InputError(file, `"${file}" is not a runwarden JSON report (schema 1.x): ${where}${first?.message ?? 'invalid'}`, { hint: WRITE_ONE });
  }
  // the schema is the JSON of a ScanReport (report/json): what the formats render
  const report = parsed.data as unknown as ScanReport;
  // a report written before a kind existed (1.x additive) has none of it
  for (const kind of FINDING_KINDS) report.summary.byKind[kind] ??= 0;
  return report;
}

