/**
 * Packages from documents people already have: CycloneDX JSON (1.2–1.6), SPDX JSON (2.2/2.3) and plain
 * purl lists (one purl per line, `#` comments). Every package must carry a purl to be matched; those
 * without one, and purls runwarden cannot map to an OSV ecosystem, become issues — the rest is matched.
 * OS packages are matched by source package: the purl's `upstream` qualifier (Syft, runwarden), else what
 * Trivy writes beside the purl (CycloneDX `aquasecurity:trivy:Src*` properties, SPDX `sourceInfo`).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError, errorMessage } from '../../core/errors.js';
import { issue, type Issue } from '../../core/issue.js';
import type { Distro, Package } from '../../core/package.js';
import { packageFromPurl } from './purl.js';
import { imageDigestOf } from '../vex/index.js';
import { SOURCE_NAMED } from '../match/index.js';

export type PackageInputFormat = 'cyclonedx' | 'spdx' | 'purl-list';

export interface PackageInput {
  format: PackageInputFormat;
  packages: Package[];
  issues: Issue[];
  /** The digest of the image the SBOM describes (CycloneDX `metadata.component`, SPDX CONTAINER), when it names one: VEX statements about the image apply. */
  imageDigest?: string | undefined;
}

/** The digest a container component names: its `pkg:oci` purl, a `name@sha256:…` reference, or a `sha256:…` version. */
function containerDigest(...ids: Array<string | undefined>): string | undefined {
  for (const id of ids) {
    const digest = id === undefined ? undefined : imageDigestOf(id);
    if (digest !== undefined) return digest;
  }
  return undefined;
}

const CdxComponent = z.looseObject({
  type: z.string().optional(),
  name: z.string().optional(),
  version: z.string().optional(),
  purl: z.string().optional(),
  'bom-ref': z.string().optional(),
  components: z.array(z.unknown()).optional(),
  properties: z.array(z.unknown()).optional(),
});

/** OS purl types: their packages are matched by source package (Debian, Ubuntu, the RPM rebuilds) or origin (Alpine). */
const OS_PURL = /^pkg:(deb|apk|rpm)\//i;

/**
 * The source package Trivy writes as CycloneDX properties (`aquasecurity:trivy:SrcName`, `SrcEpoch`, `SrcVersion`,
 * `SrcRelease`; apk's SrcVersion is the whole version), where Syft puts it in the purl's `upstream` qualifier.
 * Without it, Trivy's `libssl3` was looked up under its own name, and the Debian advisories (named `openssl`) missed it.
 */
function trivySource(properties: readonly unknown[] | undefined): Package['source'] {
  if (properties === undefined) return undefined;
  const value = (key: string): string | undefined => {
    for (const p of properties) {
      if (typeof p === 'object' && p !== null && (p as { name?: unknown }).name === `aquasecurity:trivy:${key}`) {
        const v = (p as { value?: unknown }).value;
        return typeof v === 'string' && v !== '' ? v : undefined;
      }
    }
    return undefined;
  };
  const name = value('SrcName');
  const version = value('SrcVersion');
  if (name === undefined) return undefined;
  if (version === undefined) return { name };
  const epoch = value('SrcEpoch');
  const release = value('SrcRelease');
  return { name, version: `${epoch === undefined || epoch === '0' ? '' : `${epoch}:`}${version}${release === undefined ? '' : `-${release}`}` };
}

/** SPDX `sourceInfo` as Trivy writes it for OS packages: "built package from: openssl 3.0.14-1~deb12u2". */
function spdxSource(sourceInfo: string | undefined): Package['source'] {
  const m = sourceInfo === undefined ? null : /^built package from: (\S+)(?: (\S+))?$/.exec(sourceInfo.trim());
  if (m === null) return undefined;
  return m[2] === undefined ? { name: m[1] ?? '' } : { name: m[1] ?? '', version: m[2] };
}
const CdxBom = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.string().optional(),
  metadata: z.looseObject({ component: z.unknown().optional() }).optional(),
  components: z.array(z.unknown()).optional(),
});

const SpdxPackage = z.looseObject({
  SPDXID: z.string().optional(),
  name: z.string().optional(),
  versionInfo: z.string().optional(),
  /** SPDX 2.3: CONTAINER for the image an SBOM describes, OPERATING_SYSTEM for its OS (Syft, Trivy, runwarden). */
  primaryPackagePurpose: z.string().optional(),
  /** Trivy: "built package from: <source> <version>" for OS packages. */
  sourceInfo: z.string().optional(),
  externalRefs: z.array(z.looseObject({ referenceCategory: z.string().optional(), referenceType: z.string(), referenceLocator: z.string() })).optional(),
});
const SpdxDocument = z.looseObject({ spdxVersion: z.string().regex(/^SPDX-2\.\d$/), packages: z.array(z.unknown()).optional() });

/** Add the package of `purl`; `source`, the source package the document states elsewhere, when the purl names none. */
function add(out: PackageInput, purl: string, where: string, distro: Distro | undefined, foundBy: string, source?: Package['source']): void {
  const result = packageFromPurl(purl, distro, foundBy);
  if (!result.ok) {
    out.issues.push(issue('sbom-purl', `Skipped ${where}: purl "${purl.slice(0, 200)}" — ${result.error}`, where, 'Only packages with a versioned purl of a known ecosystem can be matched.'));
    return;
  }
  if (result.pkg.source === undefined && source !== undefined && source.name !== '' && OS_PURL.test(purl)) result.pkg.source = source;
  result.pkg.locations = [{ path: where }];
  out.packages.push(result.pkg);
}

function fromCycloneDx(bom: z.infer<typeof CdxBom>, file: string): PackageInput {
  const out: PackageInput = { format: 'cyclonedx', packages: [], issues: [] };
  // Trivy and Syft describe the OS as a component of type operating-system: the default distro for OS purls.
  let distro: Distro | undefined;
  const all: Array<{ c: z.infer<typeof CdxComponent>; where: string }> = [];
  const visit = (raw: unknown, where: string): void => {
    const c = CdxComponent.safeParse(raw);
    if (!c.success) {
      out.issues.push(issue('sbom-invalid', `Skipped ${where}: not a CycloneDX component`, file));
      return;
    }
    all.push({ c: c.data, where });
    (c.data.components ?? []).forEach((child, i) => visit(child, `${where}.components[${i}]`));
  };
  (bom.components ?? []).forEach((c, i) => visit(c, `${file}#components[${i}]`));
  for (const { c } of all) {
    if (c.type === 'operating-system' && c.name !== undefined && c.version !== undefined) distro = { id: c.name.toLowerCase(), release: c.version };
  }
  const described = CdxComponent.safeParse(bom.metadata?.component);
  if (described.success && described.data.type === 'container') out.imageDigest = containerDigest(described.data.purl, described.data['bom-ref'], described.data.version);
  let withoutPurl = 0;
  for (const { c, where } of all) {
    // the OS gave the distro; a container is the image itself (its purl, pkg:oci, names no package to match)
    if (c.type === 'operating-system' || c.type === 'container') continue;
    if (c.purl === undefined || c.purl === '') {
      withoutPurl++;
      continue;
    }
    add(out, c.purl, `${where} (${c.name ?? '?'})`, distro, 'cyclonedx', trivySource(c.properties));
  }
  if (withoutPurl > 0) out.issues.push(issue('sbom-no-purl', `${withoutPurl} component(s) in ${file} have no purl and were not matched`, file, 'Generate the SBOM with purls (Syft, Trivy and runwarden all write them).'));
  return out;
}

function fromSpdx(doc: z.infer<typeof SpdxDocument>, file: string): PackageInput {
  const out: PackageInput = { format: 'spdx', packages: [], issues: [] };
  let withoutPurl = 0;
  const all: Array<{ p: z.infer<typeof SpdxPackage>; where: string }> = [];
  (doc.packages ?? []).forEach((raw, i) => {
    const where = `${file}#packages[${i}]`;
    const p = SpdxPackage.safeParse(raw);
    if (!p.success) out.issues.push(issue('sbom-invalid', `Skipped ${where}: not an SPDX package`, file));
    else all.push({ p: p.data, where });
  });
  // As in CycloneDX: the OS package is the default distro of OS purls without one; it and the image itself
  // (CONTAINER: its purl, pkg:oci, names no package to match) are not matched. Trivy 0.44 writes "OPERATING-SYSTEM".
  const purpose = (p: z.infer<typeof SpdxPackage>): string | undefined => p.primaryPackagePurpose?.replace('-', '_');
  let distro: Distro | undefined;
  for (const { p } of all) {
    if (purpose(p) === 'OPERATING_SYSTEM' && p.name !== undefined && p.versionInfo !== undefined) distro = { id: p.name.toLowerCase(), release: p.versionInfo };
  }
  for (const { p } of all) {
    if (purpose(p) !== 'CONTAINER' || out.imageDigest !== undefined) continue;
    out.imageDigest = containerDigest(...(p.externalRefs ?? []).filter((r) => r.referenceType === 'purl').map((r) => r.referenceLocator), p.versionInfo);
  }
  for (const { p, where } of all) {
    if (purpose(p) === 'OPERATING_SYSTEM' || purpose(p) === 'CONTAINER') continue;
    const purls = (p.externalRefs ?? []).filter((r) => r.referenceType === 'purl');
    if (purls.length === 0) {
      // Trivy groups a language's packages under an APPLICATION package ("node-pkg", sourceInfo "Node.js")
      // that names no package of its own: not one left unmatched
      if (purpose(p) !== 'APPLICATION') withoutPurl++;
      continue;
    }
    for (const ref of purls) add(out, ref.referenceLocator, `${where} (${p.name ?? '?'})`, distro, 'spdx', spdxSource(p.sourceInfo));
  }
  if (withoutPurl > 0) out.issues.push(issue('sbom-no-purl', `${withoutPurl} package(s) in ${file} have no purl external reference and were not matched`, file));
  return out;
}

function fromPurlList(text: string, file: string): PackageInput {
  const out: PackageInput = { format: 'purl-list', packages: [], issues: [] };
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    add(out, t, `${file}:${i + 1}`, undefined, 'purl-list');
  });
  return out;
}

/**
 * What `sbom match` and `scan --sbom-dir` say about an input before matching it (not every reader: `sbom diff`
 * matches nothing). `sbom-empty`: it lists no package and no other issue says why — "no findings" of an empty
 * SBOM must not read as a clean one. `sbom-no-source`: none of its packages of an ecosystem whose advisories
 * are filed by source package (Debian, Ubuntu, Alpine, …) names its source, as in a purl list or from an SBOM
 * tool that drops them; they are looked up under their own names, which finds `curl` but not `libssl3` (filed
 * under `openssl`). One document that names a source for any of them records sources (Syft writes `upstream`
 * only where it differs from the name).
 */
export function matchingIssues(input: PackageInput, file: string): Issue[] {
  if (input.packages.length === 0) {
    if (input.issues.length > 0) return [];
    return [issue('sbom-empty', `${file} lists no packages: nothing was matched`, file, 'Check that the SBOM was generated from the image or project with its packages (e.g. "runwarden sbom export <image>" or "syft <image> -o cyclonedx-json"), or that the purl list has "pkg:type/name@version" lines.')];
  }
  const counts = new Map<string, number>();
  for (const p of input.packages) {
    if (!SOURCE_NAMED.has(p.ecosystem)) continue;
    if (p.source !== undefined) return [];
    counts.set(p.ecosystem, (counts.get(p.ecosystem) ?? 0) + 1);
  }
  return [...counts].map(([ecosystem, n]) =>
    issue(
      'sbom-no-source',
      n === 1
        ? `The ${ecosystem} package in ${file} names no source package: it is matched under its own name, so advisories filed under another source package (libssl3 → openssl) would miss it`
        : `None of the ${n} ${ecosystem} packages in ${file} names its source package: they are matched under their own names, so advisories filed under another source package (libssl3 → openssl) miss them`,
      file,
      'Use an SBOM that records source packages (runwarden sbom export, Syft, Trivy), or add "upstream=<source>" to the purls.',
    ),
  );
}

/** Parse a CycloneDX/SPDX JSON document or a purl list; throws InputError when it is none of them. */
export function parsePackageInput(text: string, file: string): PackageInput {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError(file, `"${file}" is not valid JSON: ${errorMessage(error)}`, { hint: 'Pass a CycloneDX or SPDX JSON SBOM, or a text file with one purl per line.' });
    }
    const cdx = CdxBom.safeParse(value);
    if (cdx.success) return fromCycloneDx(cdx.data, file);
    const spdx = SpdxDocument.safeParse(value);
    if (spdx.success) return fromSpdx(spdx.data, file);
    throw new InputError(file, `"${file}" is JSON but neither CycloneDX ("bomFormat": "CycloneDX") nor SPDX 2.x ("spdxVersion": "SPDX-2.3")`, { hint: 'Pass a CycloneDX or SPDX JSON SBOM, or a text file with one purl per line.' });
  }
  if (trimmed === '' || /^(#[^\n]*\n\s*)*pkg:/.test(trimmed)) return fromPurlList(text, file);
  throw new InputError(file, `"${file}" is not an SBOM: expected CycloneDX/SPDX JSON or lines of "pkg:type/name@version"`, { hint: 'Check the file; e.g. "pkg:npm/lodash@4.17.15".' });
}

export async function readPackageInput(file: string): Promise<PackageInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(file, `Cannot read "${file}": ${errorMessage(error)}`, { hint: 'Check the path to the SBOM or purl list.' });
  }
  return parsePackageInput(text, file);
}
