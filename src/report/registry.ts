import type { FindingKind } from '../core/finding.js';
import { cyclonedxFormat } from './cyclonedx/index.js';
import type { ReportFormat } from './format.js';
import { htmlFormat } from './html/index.js';
import { jsonFormat } from './json/index.js';
import { sarifFormat } from './sarif/index.js';
import { tableFormat } from './table/index.js';

/** Every report format; `--format` takes one of these ids. */
export const FORMATS: readonly ReportFormat[] = [tableFormat, jsonFormat, sarifFormat, cyclonedxFormat, htmlFormat];

/** The formats that can hold findings of `kind` (`check` offers only those that can hold misconfigurations). */
export function formatsFor(kind: FindingKind): ReportFormat[] {
  return FORMATS.filter((f) => f.findingKinds === undefined || f.findingKinds.includes(kind));
}

export function findFormat(id: string): ReportFormat | undefined {
  return FORMATS.find((f) => f.id === id);
}
