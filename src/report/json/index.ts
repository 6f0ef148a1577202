import type { ReportFormat } from '../format.js';
import { jsonChunks, jsonText } from '../json-text.js';

export const jsonFormat: ReportFormat = {
  id: 'json',
  description: 'Stable, versioned JSON (schemaVersion 1.x; see docs/REPORT.md)',
  extension: 'json',
  mediaType: 'application/json; charset=utf-8',
  render: (report) => jsonText(report),
  chunks: (report) => jsonChunks(report),
};
