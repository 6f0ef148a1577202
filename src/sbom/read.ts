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
  // vulndb/inputs reads CycloneDX, SPDX (skipping the image and its OS, which gives OS purls their distro) and purl lists
  const input = parsePackageInput(text, where);
  if (input.format === 'purl-list') return { ...input, dependencies: [] };
  const value = JSON.parse(text) as unknown;
  if (!isRecord(value)) return { ...input, dependencies: [] };
  return { ...input, dependencies: input.format === 'cyclonedx' ? cycloneDxDependencies(value, where, input) : spdxDependencies(value, where, input) };
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
