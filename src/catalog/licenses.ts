/**
 * Licence strings → SPDX ids where the mapping is unambiguous (https://spdx.org/licenses/). Package
 * databases write licences loosely (`GPL2`, `Apache 2.0`, `BSD License`); a string we cannot map is
 * kept as written rather than guessed. A table, not code: add rows as catalogers meet new spellings.
 */
import { ownEntry } from '../core/lookup.js';

const TABLE: Record<string, string> = {
  mit: 'MIT',
  'mit license': 'MIT',
  isc: 'ISC',
  zlib: 'Zlib',
  'apache-2.0': 'Apache-2.0',
  'apache 2.0': 'Apache-2.0',
  'apache2': 'Apache-2.0',
  'apache-2': 'Apache-2.0',
  'apache license 2.0': 'Apache-2.0',
  'apache license, version 2.0': 'Apache-2.0',
  'apache software license': 'Apache-2.0',
  'asl 2.0': 'Apache-2.0',
  gpl2: 'GPL-2.0-only',
  'gpl-2': 'GPL-2.0-only',
  'gpl-2.0': 'GPL-2.0-only',
  'gplv2': 'GPL-2.0-only',
  'gpl2+': 'GPL-2.0-or-later',
  'gpl-2+': 'GPL-2.0-or-later',
  'gpl-2.0+': 'GPL-2.0-or-later',
  'gplv2+': 'GPL-2.0-or-later',
  'gpl-2.0-or-later': 'GPL-2.0-or-later',
  'gpl-2.0-only': 'GPL-2.0-only',
  gpl3: 'GPL-3.0-only',
  'gpl-3': 'GPL-3.0-only',
  'gpl-3.0': 'GPL-3.0-only',
  'gpl3+': 'GPL-3.0-or-later',
  'gpl-3.0+': 'GPL-3.0-or-later',
  'gplv3+': 'GPL-3.0-or-later',
  'lgpl2.1': 'LGPL-2.1-only',
  'lgpl-2.1': 'LGPL-2.1-only',
  'lgpl2.1+': 'LGPL-2.1-or-later',
  'lgpl-2.1+': 'LGPL-2.1-or-later',
  'lgplv2+': 'LGPL-2.0-or-later',
  'lgpl-2.0+': 'LGPL-2.0-or-later',
  'bsd-2-clause': 'BSD-2-Clause',
  'bsd-3-clause': 'BSD-3-Clause',
  'mpl-2.0': 'MPL-2.0',
  'mpl 2.0': 'MPL-2.0',
  openssl: 'OpenSSL',
  'public domain': 'LicenseRef-public-domain',
  'psf-2.0': 'PSF-2.0',
  'python software foundation license': 'PSF-2.0',
  // As Trivy normalises them (documented in the apk readme): a bare name means the usual variant.
  gpl: 'GPL-2.0-or-later',
  bsd: 'BSD-3-Clause',
  'public-domain': 'Public-Domain',
};

/** One licence string → its SPDX id, or the string trimmed as written. */
export function spdxId(value: string): string {
  const trimmed = value.trim();
  return ownEntry(TABLE, trimmed.toLowerCase()) ?? trimmed;
}

const OPERATORS = /^(?:and|or|with)$/i;
const KNOWN_IDS = new Set(Object.values(TABLE));

/**
 * A licence field that may list several licences (apk `L:MIT BSD GPL2+`, `( Apache-2.0 OR MIT ) AND MPL-2.0`).
 * Split into ids only where every part is a known licence; otherwise the whole field is one licence
 * (`BSD License` stays as written).
 */
export function spdxList(field: string | undefined): string[] | undefined {
  const trimmed = field?.trim() ?? '';
  if (trimmed === '' || trimmed.toUpperCase() === 'UNKNOWN') return undefined;
  const whole = ownEntry(TABLE, trimmed.toLowerCase());
  if (whole !== undefined) return [whole];
  const parts = trimmed.replace(/[()]/g, ' ').split(/\s+/).filter((p) => p !== '' && !OPERATORS.test(p));
  if (parts.length > 1 && parts.every((p) => ownEntry(TABLE, p.toLowerCase()) !== undefined || KNOWN_IDS.has(p))) return [...new Set(parts.map(spdxId))];
  return [trimmed];
}
