/** SBOM writers: one function per format, over the same `SbomDocument`. */
import type { SbomDocument, SbomFormat } from '../model.js';
import { toCycloneDx } from './cyclonedx.js';
import { toSpdx } from './spdx.js';

export { toCycloneDx, type CdxBom } from './cyclonedx.js';
export { toSpdx, type SpdxDocument } from './spdx.js';

/** The document as JSON text in the chosen format (two-space indented, trailing newline). */
export function renderSbom(doc: SbomDocument, format: SbomFormat): string {
  const value = format === 'cyclonedx' ? toCycloneDx(doc) : toSpdx(doc);
  return `${JSON.stringify(value, null, 2)}\n`;
}
