/**
 * Reading SBOMs back into packages, for `sbom diff` and attached SBOMs: the vulndb reader
 * (vulndb/inputs: CycloneDX, SPDX, purl lists) after one adjustment — an SPDX document's package for
 * the image itself (purpose CONTAINER, as runwarden, Trivy and Syft write it) and for the OS
 * (OPERATING_SYSTEM) are descriptions of the subject, not packages in it; the OS package's name and
 * version become the default distro of OS purls without a `distro` qualifier, as CycloneDX's
 * operating-system component does.
 */
import { InputError, errorMessage } from '../core/errors.js';
import { readFile } from 'node:fs/promises';
import { parsePackageInput, type PackageInput } from '../vulndb/inputs/index.js';

const SUBJECT_PURPOSES = new Set(['CONTAINER', 'OPERATING_SYSTEM']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse SBOM text (CycloneDX/SPDX JSON or a purl list) into packages; `where` names it in issues. */
export function readSbomText(text: string, where: string): PackageInput {
  if (!text.trimStart().startsWith('{')) return parsePackageInput(text, where);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(where, `"${where}" is not valid JSON: ${errorMessage(error)}`, { hint: 'Pass a CycloneDX or SPDX JSON SBOM, or a text file with one purl per line.' });
  }
  if (!isRecord(value) || typeof value.spdxVersion !== 'string' || !Array.isArray(value.packages)) return parsePackageInput(text, where);
  const packages = value.packages as unknown[];
  const kept = packages.filter((p) => !(isRecord(p) && typeof p.primaryPackagePurpose === 'string' && SUBJECT_PURPOSES.has(p.primaryPackagePurpose)));
  if (kept.length === packages.length) return parsePackageInput(text, where);
  const os = packages.find((p): p is Record<string, unknown> => isRecord(p) && p.primaryPackagePurpose === 'OPERATING_SYSTEM');
  const input = parsePackageInput(JSON.stringify({ ...value, packages: kept }), where);
  // Locations name packages by their index in the document as written.
  const original = kept.map((p) => packages.indexOf(p));
  const prefix = `${where}#packages[`;
  for (const p of input.packages) {
    for (const l of p.locations ?? []) {
      if (!l.path.startsWith(prefix)) continue;
      const close = l.path.indexOf(']', prefix.length);
      const k = Number(l.path.slice(prefix.length, close));
      l.path = `${prefix}${original[k] ?? k}${l.path.slice(close)}`;
    }
  }
  if (os !== undefined && typeof os.name === 'string' && typeof os.versionInfo === 'string') {
    const distro = { id: os.name.toLowerCase(), release: os.versionInfo };
    for (const p of input.packages) if (p.distro === undefined && /^pkg:(deb|apk|rpm)\//.test(p.purl ?? '')) p.distro = distro;
  }
  return input;
}

export async function readSbomFile(file: string): Promise<PackageInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(file, `Cannot read "${file}": ${errorMessage(error)}`, { hint: 'Check the path to the SBOM or purl list.' });
  }
  return readSbomText(text, file);
}
