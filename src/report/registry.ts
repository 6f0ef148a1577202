import type { ReportFormat } from './format.js';
import { jsonFormat } from './json/index.js';
import { sarifFormat } from './sarif/index.js';
import { tableFormat } from './table/index.js';

/** Every report format; `--format` takes one of these ids. */
export const FORMATS: readonly ReportFormat[] = [tableFormat, jsonFormat, sarifFormat];

export function findFormat(id: string): ReportFormat | undefined {
  return FORMATS.find((f) => f.id === id);
}
