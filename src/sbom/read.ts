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
import type { PackageDependencies } from '../catalog/index.js';
import { dependencyGraph } from '../catalog/links.js';
import { parsePackageInput, type PackageInput } from '../vulndb/inputs/index.js';

/** Packages read from an SBOM, with the dependency edges between them that the document states. */
export interface SbomInput extends PackageInput {
  /** As `SbomDocument.dependencies`: indexes into `packages`; empty for purl lists and SBOMs without a graph. */
  dependencies: PackageDependencies[];
}

const SUBJECT_PURPOSES = new Set(['CONTAINER', 'OPERATING_SYSTEM']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Package index by the document element it was read from (`file#components[3]`, `file#packages[5]`). */
function byElement(input: PackageInput): Map<string, number[]> {
  const out = new Map<string, number[]>();
  input.packages.forEach((p, i) => {
    for (const l of p.locations ?? []) {
      const cut = l.path.indexOf(' (');
      const k = cut === -1 ? l.path : l.path.slice(0, cut);
      out.set(k, [...(out.get(k) ?? []), i]);
    }
  });
  return out;
}

const UNRESOLVED_PROPERTY = 'runwarden:dependency:unresolved';
const UNRESOLVED_COMMENT = /(?:^|; )depends on, not installed: ([^;]*)/;

/**
 * CycloneDX `dependencies` (ref → dependsOn) back to package edges: a `ref` entry means its component's
 * dependencies are known (empty: none). Refs of components that are not packages (the image, the OS,
 * components without purl) are left out; runwarden's unresolved-name properties are read back.
 */
function cycloneDxDependencies(value: Record<string, unknown>, where: string, input: PackageInput): PackageDependencies[] {
  const element = byElement(input);
  const refs = new Map<string, number[]>();
  const unresolved = new Map<number, string[]>();
  const visit = (raw: unknown, at: string): void => {
    if (!isRecord(raw)) return;
    const got = element.get(at) ?? [];
    if (typeof raw['bom-ref'] === 'string' && got.length > 0) refs.set(raw['bom-ref'], got);
    if (Array.isArray(raw.properties)) {
      const names = raw.properties.filter((p): p is Record<string, unknown> => isRecord(p) && p.name === UNRESOLVED_PROPERTY && typeof p.value === 'string').map((p) => String(p.value));
      if (names.length > 0) for (const i of got) unresolved.set(i, names);
    }
    if (Array.isArray(raw.components)) raw.components.forEach((c, i) => visit(c, `${at}.components[${i}]`));
  };
  if (Array.isArray(value.components)) value.components.forEach((c, i) => visit(c, `${where}#components[${i}]`));
  const graph = dependencyGraph();
  for (const d of Array.isArray(value.dependencies) ? value.dependencies : []) {
    if (!isRecord(d) || typeof d.ref !== 'string') continue;
    const to = (Array.isArray(d.dependsOn) ? d.dependsOn : []).flatMap((r) => (typeof r === 'string' ? (refs.get(r) ?? []) : []));
    for (const from of refs.get(d.ref) ?? []) graph.add(from, to, unresolved.get(from) ?? []);
  }
  return graph.edges();
}

/** SPDX `DEPENDS_ON` (and `DEPENDENCY_OF`, reversed) relationships between packages back to edges. */
function spdxDependencies(value: Record<string, unknown>, where: string, input: PackageInput): PackageDependencies[] {
  const element = byElement(input);
  const ids = new Map<string, number[]>();
  const graph = dependencyGraph();
  (Array.isArray(value.packages) ? value.packages : []).forEach((p, i) => {
    if (!isRecord(p) || typeof p.SPDXID !== 'string') return;
    const got = element.get(`${where}#packages[${i}]`) ?? [];
    ids.set(p.SPDXID, got);
    const missing = typeof p.comment === 'string' ? UNRESOLVED_COMMENT.exec(p.comment)?.[1] : undefined;
    if (missing !== undefined) for (const k of got) graph.add(k, [], missing.split(', ').filter((n) => n !== ''));
  });
  for (const r of Array.isArray(value.relationships) ? value.relationships : []) {
    if (!isRecord(r) || typeof r.spdxElementId !== 'string' || typeof r.relatedSpdxElement !== 'string') continue;
    const [a, b] = r.relationshipType === 'DEPENDS_ON' ? [r.spdxElementId, r.relatedSpdxElement] : r.relationshipType === 'DEPENDENCY_OF' ? [r.relatedSpdxElement, r.spdxElementId] : [];
    if (a === undefined || b === undefined) continue;
    for (const from of ids.get(a) ?? []) graph.add(from, ids.get(b) ?? [], []);
  }
  return graph.edges();
}

/** Parse SBOM text (CycloneDX/SPDX JSON or a purl list) into packages and their dependency edges; `where` names it in issues. */
export function readSbomText(text: string, where: string): SbomInput {
  const input = readPackages(text, where);
  if (input.format === 'purl-list') return { ...input, dependencies: [] };
  const value = JSON.parse(text) as unknown;
  if (!isRecord(value)) return { ...input, dependencies: [] };
  return { ...input, dependencies: input.format === 'cyclonedx' ? cycloneDxDependencies(value, where, input) : spdxDependencies(value, where, input) };
}

function readPackages(text: string, where: string): PackageInput {
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

export async function readSbomFile(file: string): Promise<SbomInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(file, `Cannot read "${file}": ${errorMessage(error)}`, { hint: 'Check the path to the SBOM or purl list.' });
  }
  return readSbomText(text, file);
}
