import type { FindingKind } from '../core/finding.js';
import type { ScanReport } from '../core/report.js';

export interface RenderOptions {
  /** ANSI colours (a TTY without NO_COLOR). */
  color: boolean;
  /** Terminal width for the table; undefined = no wrapping. */
  width?: number | undefined;
  /** Findings an HTML page lists at most (html/index.ts HTML_MAX_FINDINGS by default). */
  maxFindings?: number | undefined;
}

/** A report format: one folder under `report/`, one line in `report/registry.ts`. */
export interface ReportFormat {
  id: string;
  description: string;
  /** File extension suggested for --output. */
  extension: string;
  /** The HTTP media type of the rendered text (`runwarden serve`'s /api/v1/report). */
  mediaType: string;
  /** The finding kinds the format can hold; absent: all. A command whose findings are of none of them does not offer it. */
  findingKinds?: readonly FindingKind[];
  render(report: ScanReport, options: RenderOptions): string;
  /**
   * The same text in pieces, for formats whose text grows with the findings without a cap (the JSON formats:
   * json-text.ts). Writers use `renderChunks`; `render` stays for callers that need one string.
   */
  chunks?(report: ScanReport, options: RenderOptions): Iterable<string>;
}

/** A format's text in pieces when it offers them, else its one string. */
export function renderChunks(format: ReportFormat, report: ScanReport, options: RenderOptions): Iterable<string> {
  return format.chunks?.(report, options) ?? [format.render(report, options)];
}
