/**
 * Licence strings as packages declare them → what SBOM formats accept: an SPDX licence id, an SPDX
 * licence expression (validated with spdx-expression-parse against the SPDX list), or a plain name
 * that is neither (CycloneDX `license.name`, SPDX `LicenseRef-…` with the text kept).
 */
import parseSpdx from 'spdx-expression-parse';

export type LicenseKind = { kind: 'id'; id: string } | { kind: 'expression'; expression: string } | { kind: 'name'; name: string };

export function classifyLicense(text: string): LicenseKind {
  const t = text.trim();
  // Bounded: package databases rarely exceed a few hundred characters; longer text is a licence body.
  if (t !== '' && t.length <= 512) {
    try {
      const parsed = parseSpdx(t);
      if ('license' in parsed && parsed.exception === undefined && parsed.plus !== true && !parsed.license.startsWith('LicenseRef-') && !parsed.license.startsWith('DocumentRef-')) return { kind: 'id', id: parsed.license };
      return { kind: 'expression', expression: t };
    } catch {
      // not SPDX: kept as written
    }
  }
  return { kind: 'name', name: t };
}

/** `LicenseRef-` id for a non-SPDX licence name (SPDX 2.3 §10.1: letters, digits, "." and "-"). */
export function licenseRef(name: string): string {
  const slug = name.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  return `LicenseRef-${slug === '' ? 'unknown' : slug}`;
}
