/**
 * VEX: statements that a vulnerability does (not) affect a product, from OpenVEX
 * (https://github.com/openvex/spec, v0.2.0; v0.0.x string forms and Ubuntu's `metadata` layout accepted), CycloneDX VEX (the
 * `vulnerabilities[].analysis` of CycloneDX 1.4–1.6) and CSAF 2.0 (the `csaf_vex` profile Red Hat, SUSE and
 * Bitnami publish: `product_status` per product, justified by `flags`, `threats` and `remediations`).
 * Applied to vulnerability findings:
 * - `not_affected` and `fixed` suppress the finding — it stays in JSON/SARIF with `suppression` and
 *   `evidence.vex` (status, justification, statement), and leaves the table and `--fail-on`;
 * - `under_investigation` and `affected` only annotate `evidence.vex`.
 * A statement applies when its vulnerability is one of the finding's ids (CVE, GHSA, … any alias) and one of
 * its products names the package's purl or its source package (`arch=src`, `arch=source`: every binary built from
 * it), or names the image the finding is about (`pkg:oci/app@sha256%3A…`: every package of it, or the
 * subcomponents listed); the latest statement wins.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { z } from 'zod';
import { InputError, errorMessage } from '../../core/errors.js';
import type { Finding, Suppression } from '../../core/finding.js';
import { issue, type Issue } from '../../core/issue.js';
import { ownEntry } from '../../core/lookup.js';
import { packageKeys, productKeyOf, productMatches, productPurl, type SourcePackage } from '../inputs/purl.js';

export const VEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

/** One product of a statement and the subcomponents it names (OpenVEX); a CycloneDX `affects` ref has none. */
export interface VexScope {
  /** A package purl, or an image: `pkg:oci/…@sha256%3A…`, `name@sha256:…`, `sha256:…`. */
  product: string;
  subcomponents: string[];
}

export interface VexStatement {
  vulnerability: string;
  aliases: string[];
  /** The products, each with its subcomponents (how applyVex applies the statement); empty = every product. */
  scopes: VexScope[];
  status: VexStatus;
  justification?: string | undefined;
  impactStatement?: string | undefined;
  actionStatement?: string | undefined;
  timestamp?: string | undefined;
  /** `openvex.json statement 2`, `bom.cdx.json vulnerabilities[0]`. */
  source: string;
  format: 'openvex' | 'cyclonedx' | 'csaf';
}

export interface VexEvidence {
  status: VexStatus;
  justification?: string | undefined;
  impactStatement?: string | undefined;
  actionStatement?: string | undefined;
  statement: string;
  format: VexStatement['format'];
}

/** `vex-invalid` for an entry zod rejected: where it is, and the path and message of its first problem. */
function invalidEntry(where: string, error: z.ZodError, file: string, hint?: string): Issue {
  const first = error.issues[0];
  return issue('vex-invalid', `Skipped ${where}: ${first?.path.join('.') ?? ''} ${first?.message ?? 'invalid'}`.trim(), file, hint);
}

// -- OpenVEX ------------------------------------------------------------------------------------------------

const OpenVexProduct = z.union([
  z.string(),
  z.looseObject({
    '@id': z.string().optional(),
    identifiers: z.looseObject({ purl: z.string().optional() }).optional(),
    subcomponents: z.array(z.union([z.string(), z.looseObject({ '@id': z.string().optional(), identifiers: z.looseObject({ purl: z.string().optional() }).optional() })])).optional(),
  }),
]);
const OpenVexStatement = z.looseObject({
  vulnerability: z.union([z.string(), z.looseObject({ name: z.string().optional(), '@id': z.string().optional(), aliases: z.array(z.string()).optional() })]),
  products: z.array(OpenVexProduct).optional(),
  subcomponents: z.array(z.union([z.string(), z.looseObject({ '@id': z.string().optional() })])).optional(),
  status: z.enum(VEX_STATUSES),
  justification: z.string().optional(),
  impact_statement: z.string().optional(),
  action_statement: z.string().optional(),
  timestamp: z.string().optional(),
});
const OpenVexDocument = z.looseObject({
  '@context': z.string().regex(/openvex/),
  timestamp: z.string().optional(),
  statements: z.array(z.unknown()),
});

function idOf(value: string | { '@id'?: string | undefined; identifiers?: { purl?: string | undefined } | undefined }): string | undefined {
  if (typeof value === 'string') return value;
  return value.identifiers?.purl ?? value['@id'];
}

/**
 * Ubuntu's VEX documents put the document fields (`@context`, `timestamp`, …) under `metadata`; read as the
 * OpenVEX document they are.
 */
function openVexView(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || '@context' in value || !('metadata' in value)) return value;
  const { metadata, ...rest } = value;
  return typeof metadata === 'object' && metadata !== null ? { ...metadata, ...rest } : value;
}

/**
 * A vulnerability id given as a URL, as Ubuntu's VEX gives its aliases and `@id`s
 * (`https://www.cve.org/CVERecord?id=CVE-2025-5994`, `https://ubuntu.com/security/notices/USN-7666-1`,
 * `https://nvd.nist.gov/vuln/detail/CVE-2025-5994`): the id in it. Anything else is kept as it is.
 */
function vulnerabilityIdOf(text: string): string {
  if (!/^https?:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  const candidates = [url.searchParams.get('id') ?? '', url.pathname.split('/').filter((p) => p !== '').at(-1) ?? ''];
  return candidates.find((c) => /^[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9._:-]*$/i.test(c)) ?? text;
}

function fromOpenVex(doc: z.infer<typeof OpenVexDocument>, file: string, issues: Issue[]): VexStatement[] {
  const out: VexStatement[] = [];
  doc.statements.forEach((raw, i) => {
    const where = `${file} statement ${i + 1}`;
    const parsed = OpenVexStatement.safeParse(raw);
    if (!parsed.success) {
      issues.push(invalidEntry(where, parsed.error, file, 'Statements need vulnerability, products and a status of not_affected, affected, fixed or under_investigation.'));
      return;
    }
    const s = parsed.data;
    const vulnerability = vulnerabilityIdOf(typeof s.vulnerability === 'string' ? s.vulnerability : (s.vulnerability.name ?? s.vulnerability['@id'] ?? ''));
    if (vulnerability === '') {
      issues.push(issue('vex-invalid', `Skipped ${where}: the vulnerability has no name`, file));
      return;
    }
    const scopes: VexScope[] = [];
    // statement-level subcomponents (OpenVEX 0.0.x) belong to every product
    const shared: string[] = [];
    for (const sub of s.subcomponents ?? []) {
      const subId = idOf(sub);
      if (subId !== undefined) shared.push(subId);
    }
    for (const p of s.products ?? []) {
      const id = idOf(p);
      const subcomponents = [...shared];
      if (typeof p !== 'string') for (const sub of p.subcomponents ?? []) {
        const subId = idOf(sub);
        if (subId !== undefined) subcomponents.push(subId);
      }
      // a product without an id still names its subcomponents' packages
      if (id !== undefined) scopes.push({ product: id, subcomponents });
      else for (const sub of subcomponents) scopes.push({ product: sub, subcomponents: [] });
    }
    // subcomponents without a product: each names the packages the statement is about
    if (scopes.length === 0) for (const sub of shared) scopes.push({ product: sub, subcomponents: [] });
    if (s.status === 'not_affected' && s.justification === undefined && s.impact_statement === undefined) {
      issues.push(issue('vex-warning', `${where}: not_affected without a justification or impact_statement (OpenVEX requires one); applied anyway`, file));
    }
    out.push({
      vulnerability,
      aliases: typeof s.vulnerability === 'string' ? [] : [...new Set((s.vulnerability.aliases ?? []).map(vulnerabilityIdOf))].filter((a) => a !== vulnerability),
      scopes,
      status: s.status,
      justification: s.justification,
      impactStatement: s.impact_statement,
      actionStatement: s.action_statement,
      timestamp: s.timestamp ?? doc.timestamp,
      source: where,
      format: 'openvex',
    });
  });
  return out;
}

// -- CycloneDX VEX ------------------------------------------------------------------------------------------

const CDX_STATE: Readonly<Record<string, VexStatus>> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  in_triage: 'under_investigation',
  exploitable: 'affected',
};

const CdxComponent: z.ZodType<{ type?: string | undefined; 'bom-ref'?: string | undefined; purl?: string | undefined; components?: unknown[] | undefined }> = z.looseObject({
  type: z.string().optional(),
  'bom-ref': z.string().optional(),
  purl: z.string().optional(),
  components: z.array(z.unknown()).optional(),
});
const CdxVulnerability = z.looseObject({
  id: z.string(),
  references: z.array(z.looseObject({ id: z.string() })).optional(),
  analysis: z.looseObject({ state: z.string().optional(), justification: z.string().optional(), detail: z.string().optional(), response: z.array(z.string()).optional() }).optional(),
  affects: z.array(z.looseObject({ ref: z.string() })).optional(),
  updated: z.string().optional(),
  published: z.string().optional(),
});
const CdxDocument = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  components: z.array(z.unknown()).optional(),
  metadata: z.looseObject({ component: z.unknown().optional(), timestamp: z.string().optional() }).optional(),
  vulnerabilities: z.array(z.unknown()).optional(),
});

/** A component an `affects` ref names: its purl, and the image (`pkg:oci` purl with a digest) it is nested in, if any. */
interface CdxRef {
  purl: string;
  image: string | undefined;
}

/**
 * Components by bom-ref. A component nested in a `container` component whose purl names an image digest is that
 * image's (as runwarden's `--format cyclonedx` writes them): a statement about it covers the package in that image
 * only, not the same package elsewhere.
 */
function bomRefs(doc: z.infer<typeof CdxDocument>): Map<string, CdxRef> {
  const refs = new Map<string, CdxRef>();
  const visit = (raw: unknown, image: string | undefined): void => {
    const c = CdxComponent.safeParse(raw);
    if (!c.success) return;
    const purl = c.data.purl;
    if (c.data['bom-ref'] !== undefined && purl !== undefined) refs.set(c.data['bom-ref'], { purl, image });
    const inner = c.data.type === 'container' && purl !== undefined && imageDigestOf(purl) !== undefined ? purl : image;
    for (const child of c.data.components ?? []) visit(child, inner);
  };
  for (const c of doc.components ?? []) visit(c, undefined);
  if (doc.metadata?.component !== undefined) visit(doc.metadata.component, undefined);
  return refs;
}

function fromCycloneDx(doc: z.infer<typeof CdxDocument>, file: string, issues: Issue[]): VexStatement[] {
  const refs = bomRefs(doc);
  const out: VexStatement[] = [];
  (doc.vulnerabilities ?? []).forEach((raw, i) => {
    const where = `${file} vulnerabilities[${i}]`;
    const parsed = CdxVulnerability.safeParse(raw);
    if (!parsed.success) {
      issues.push(invalidEntry(where, parsed.error, file));
      return;
    }
    const v = parsed.data;
    const state = v.analysis?.state;
    if (state === undefined) return; // a vulnerability listing without an analysis is not a VEX statement
    const status = ownEntry(CDX_STATE, state);
    if (status === undefined) {
      issues.push(issue('vex-invalid', `Skipped ${where}: unknown analysis.state "${state}" (expected ${Object.keys(CDX_STATE).join(', ')})`, file));
      return;
    }
    const scopes: VexStatement['scopes'] = [];
    for (const a of v.affects ?? []) {
      const fragment = a.ref.includes('#') ? a.ref.slice(a.ref.indexOf('#') + 1) : a.ref;
      const named = refs.get(a.ref) ?? refs.get(fragment);
      const purl = named?.purl ?? (a.ref.startsWith('pkg:') ? a.ref : fragment.startsWith('pkg:') ? fragment : undefined);
      if (purl === undefined) issues.push(issue('vex-warning', `${where}: affects ref "${a.ref}" names no component with a purl; ignored`, file));
      else scopes.push(named?.image === undefined ? { product: purl, subcomponents: [] } : { product: named.image, subcomponents: [purl] });
    }
    if (scopes.length === 0) {
      issues.push(issue('vex-invalid', `Skipped ${where}: no affected component could be resolved to a purl`, file));
      return;
    }
    out.push({
      vulnerability: v.id,
      aliases: (v.references ?? []).map((r) => r.id),
      scopes,
      status,
      justification: v.analysis?.justification,
      impactStatement: v.analysis?.detail,
      actionStatement: v.analysis?.response?.join(', '),
      timestamp: v.updated ?? v.published ?? doc.metadata?.timestamp,
      source: where,
      format: 'cyclonedx',
    });
  });
  return out;
}

// -- CSAF 2.0 VEX ---------------------------------------------------------------------------------------------

/** CSAF `product_status` lists → VEX status (CSAF 2.0 §3.2.3.9; `recommended` says nothing about being affected). */
const CSAF_STATUS: Readonly<Record<string, VexStatus>> = {
  known_not_affected: 'not_affected',
  fixed: 'fixed',
  first_fixed: 'fixed',
  known_affected: 'affected',
  first_affected: 'affected',
  last_affected: 'affected',
  under_investigation: 'under_investigation',
};

const CsafProduct = z.looseObject({
  product_id: z.string(),
  name: z.string().optional(),
  product_identification_helper: z.looseObject({ purl: z.string().optional(), cpe: z.string().optional() }).optional(),
});
const CsafBranch = z.looseObject({ product: z.unknown().optional(), branches: z.array(z.unknown()).optional() });
const CsafRelationship = z.looseObject({ category: z.string(), product_reference: z.string(), relates_to_product_reference: z.string(), full_product_name: CsafProduct });
const CsafProductTree = z.looseObject({
  branches: z.array(z.unknown()).optional(),
  full_product_names: z.array(z.unknown()).optional(),
  relationships: z.array(z.unknown()).optional(),
  product_groups: z.array(z.looseObject({ group_id: z.string(), product_ids: z.array(z.string()) })).optional(),
});
/** A flag, threat or remediation: about the products it lists and those of the groups it lists. */
const CsafProductNote = z.looseObject({
  product_ids: z.array(z.string()).optional(),
  group_ids: z.array(z.string()).optional(),
  date: z.string().optional(),
});
const CsafVulnerability = z.looseObject({
  cve: z.string().optional(),
  ids: z.array(z.looseObject({ system_name: z.string(), text: z.string() })).optional(),
  product_status: z.record(z.string(), z.array(z.string())).optional(),
  flags: z.array(CsafProductNote.extend({ label: z.string() })).optional(),
  threats: z.array(CsafProductNote.extend({ category: z.string(), details: z.string() })).optional(),
  remediations: z.array(CsafProductNote.extend({ category: z.string(), details: z.string() })).optional(),
});
const CsafDocument = z.looseObject({
  document: z.looseObject({
    category: z.string(),
    csaf_version: z.string(),
    tracking: z.looseObject({ current_release_date: z.string().optional() }).optional(),
  }),
  product_tree: z.unknown().optional(),
  vulnerabilities: z.array(z.unknown()).optional(),
});

/** What a product id stands for: its purl, or for a relationship (a component of a product) both purls. */
interface CsafProductRef {
  purl?: string | undefined;
  component?: string | undefined;
  parent?: string | undefined;
}

function csafProducts(tree: unknown): { products: Map<string, CsafProductRef>; groups: Map<string, string[]> } {
  const products = new Map<string, CsafProductRef>();
  const groups = new Map<string, string[]>();
  const parsed = CsafProductTree.safeParse(tree ?? {});
  if (!parsed.success) return { products, groups };
  const add = (raw: unknown): void => {
    const p = CsafProduct.safeParse(raw);
    if (p.success) products.set(p.data.product_id, { purl: p.data.product_identification_helper?.purl });
  };
  const visit = (raw: unknown, depth: number): void => {
    const b = CsafBranch.safeParse(raw);
    // the schema nests branches 30 deep at most
    if (!b.success || depth > 30) return;
    if (b.data.product !== undefined) add(b.data.product);
    for (const child of b.data.branches ?? []) visit(child, depth + 1);
  };
  for (const b of parsed.data.branches ?? []) visit(b, 0);
  for (const p of parsed.data.full_product_names ?? []) add(p);
  // relationships after the products they combine: "component X as part of product Y"
  for (const raw of parsed.data.relationships ?? []) {
    const r = CsafRelationship.safeParse(raw);
    if (!r.success) continue;
    products.set(r.data.full_product_name.product_id, { component: products.get(r.data.product_reference)?.purl, parent: products.get(r.data.relates_to_product_reference)?.purl });
  }
  for (const g of parsed.data.product_groups ?? []) groups.set(g.group_id, g.product_ids);
  return { products, groups };
}

/**
 * The scope of one product id: a package purl; a component of an image (`pkg:oci/…@sha256%3A…`): the image with
 * that subcomponent; a component of any other product (a distribution release, named by CPE): the component's
 * package wherever it is (the platform cannot be told from a package). Undefined: no purl to match.
 */
function csafScope(ref: CsafProductRef | undefined): VexScope | undefined {
  if (ref === undefined) return undefined;
  if (ref.purl !== undefined) return { product: ref.purl, subcomponents: [] };
  if (ref.component === undefined) return undefined;
  if (ref.parent !== undefined && imageDigestOf(ref.parent) !== undefined) return { product: ref.parent, subcomponents: [ref.component] };
  return { product: ref.component, subcomponents: [] };
}

function fromCsaf(doc: z.infer<typeof CsafDocument>, file: string, issues: Issue[]): VexStatement[] {
  const { products, groups } = csafProducts(doc.product_tree);
  const out: VexStatement[] = [];
  const unmatchable = new Set<string>();
  /** The first note (flag label, threat or remediation details) about `id`, directly or through a product group. */
  const noteFor = <T extends { product_ids?: string[] | undefined; group_ids?: string[] | undefined }>(notes: readonly T[] | undefined, id: string): T | undefined =>
    notes?.find((n) => n.product_ids?.includes(id) === true || n.group_ids?.some((g) => groups.get(g)?.includes(id) === true) === true);
  (doc.vulnerabilities ?? []).forEach((raw, i) => {
    const where = `${file} vulnerabilities[${i}]`;
    const parsed = CsafVulnerability.safeParse(raw);
    if (!parsed.success) {
      issues.push(invalidEntry(where, parsed.error, file));
      return;
    }
    const v = parsed.data;
    const ids = [...(v.cve === undefined ? [] : [v.cve]), ...(v.ids ?? []).map((x) => x.text)];
    const vulnerability = ids[0];
    if (vulnerability === undefined) {
      issues.push(issue('vex-invalid', `Skipped ${where}: no cve and no ids name the vulnerability`, file));
      return;
    }
    for (const [list, productIds] of Object.entries(v.product_status ?? {})) {
      const status = ownEntry(CSAF_STATUS, list);
      if (status === undefined) continue;
      for (const id of productIds) {
        const scope = csafScope(products.get(id));
        if (scope === undefined) {
          unmatchable.add(id);
          continue;
        }
        const flag = noteFor(v.flags, id);
        const impact = noteFor(v.threats?.filter((t) => t.category === 'impact'), id);
        const remediation = noteFor(v.remediations, id);
        if (status === 'not_affected' && flag === undefined && impact === undefined) {
          issues.push(issue('vex-warning', `${where}: ${vulnerability} known_not_affected for "${id}" without a flag or an impact threat (the CSAF VEX profile requires one); applied anyway`, file));
        }
        out.push({
          vulnerability,
          aliases: ids.slice(1),
          scopes: [scope],
          status,
          justification: flag?.label,
          impactStatement: impact?.details,
          actionStatement: remediation === undefined ? undefined : `${remediation.category}: ${remediation.details}`,
          timestamp: flag?.date ?? impact?.date ?? doc.document.tracking?.current_release_date,
          source: `${where} ${list} ${id}`,
          format: 'csaf',
        });
      }
    }
  });
  if (unmatchable.size > 0) {
    const first = [...unmatchable].slice(0, 3).map((id) => `"${id}"`).join(', ');
    issues.push(
      issue(
        'vex-warning',
        `${file}: ${unmatchable.size} product${unmatchable.size === 1 ? '' : 's'} named in product_status ${unmatchable.size === 1 ? 'has' : 'have'} no purl in the product tree (${first}${unmatchable.size > 3 ? ', …' : ''}): their statements cannot be matched to a package and are ignored`,
        file,
        'CSAF products are matched by product_identification_helper.purl (directly or through a relationship); a product named only by CPE or name matches nothing.',
      ),
    );
  }
  return out;
}

/** Parse one VEX document already read (`file` for messages). Throws InputError when it is none of the formats. */
export function parseVex(value: unknown, file: string): { statements: VexStatement[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const open = OpenVexDocument.safeParse(openVexView(value));
  if (open.success) return { statements: fromOpenVex(open.data, file, issues), issues };
  const cdx = CdxDocument.safeParse(value);
  if (cdx.success) return { statements: fromCycloneDx(cdx.data, file, issues), issues };
  const csaf = CsafDocument.safeParse(value);
  if (csaf.success) return { statements: fromCsaf(csaf.data, file, issues), issues };
  throw new InputError(file, `--vex "${file}" is neither an OpenVEX document ("@context" …openvex…, "statements"), CycloneDX ("bomFormat": "CycloneDX", "vulnerabilities") nor CSAF ("document": {"csaf_version": …})`, {
    hint: 'Pass an OpenVEX JSON document, a CycloneDX VEX/BOM JSON file or a CSAF 2.0 VEX document.',
  });
}

/** Read and parse a VEX file. */
export async function readVex(file: string): Promise<{ statements: VexStatement[]; issues: Issue[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(file, `Cannot read --vex "${file}": ${errorMessage(error)}`, { hint: 'Check the path.' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(file, `--vex "${file}" is not valid JSON: ${errorMessage(error)}`, { hint: 'VEX documents are JSON (OpenVEX, CycloneDX or CSAF).' });
  }
  return parseVex(value, file);
}

function timeOf(t: string | undefined): number {
  const n = t === undefined ? Number.NaN : Date.parse(t);
  return Number.isNaN(n) ? Number.NEGATIVE_INFINITY : n;
}

/** `VEX` suppressions use the report's `external` kind ("config") until the finding model names VEX itself. */
const VEX_SUPPRESSION_KIND: Suppression['kind'] = 'vex';

/** The image digest a product names: `pkg:oci/app@sha256%3A…` (vexctl's form), `registry/app@sha256:…`, `sha256:…`; undefined for a package. */
export function imageDigestOf(product: string): string | undefined {
  let text = product;
  if (text.startsWith('pkg:')) {
    if (!text.startsWith('pkg:oci/')) return undefined;
    const at = text.indexOf('@');
    if (at < 0) return undefined;
    text = decodeURIComponent(text.slice(at + 1).split(/[?#]/)[0] ?? '');
  }
  const m = /(?:^|@)(sha256:[0-9a-f]{64})$/.exec(text);
  return m?.[1];
}

/**
 * The image digests a finding is about: a running image's (`evidence.imageDigest`, and the other digests of a tag
 * that moved between replicas), else the scanned image's (`context`).
 */
function digestsOf(f: Finding, context: VexContext): string[] {
  const own = f.evidence['imageDigest'];
  if (typeof own === 'string') return [own, ...((f.evidence['otherImageDigests'] as string[] | undefined) ?? [])];
  return context.imageDigest === undefined ? [] : [context.imageDigest];
}

/** What applyVex knows besides the findings: the digest of the image they are about (`image scan`). */
export interface VexContext {
  imageDigest?: string | undefined;
}

/**
 * Whether a statement covers the finding of package `pkg` in images `digests`: a product that is the package or
 * its source package (`productMatches`), or a package product's subcomponent; or a product that is the image, for
 * every package of it, or only for the subcomponents it names. A finding about several digests is covered only
 * when the product names them all. Without an image (`sbom match`), an image product's subcomponents are matched
 * as packages. `scopes` reads each statement's products once for all findings.
 */
function covers(s: VexStatement, pkg: PackagePurl | undefined, digests: readonly string[], scopes: StatementScopes): boolean {
  if (s.scopes.length === 0) return true;
  const { packages, images } = scopes.of(s);
  if (pkg !== undefined && scopes.matchesAny(packages, pkg)) return true;
  return images.some(({ digest, subcomponents }) => {
    if (digests.length === 0) return pkg !== undefined && scopes.matchesAny(subcomponents, pkg);
    return digests.every((d) => d === digest) && (subcomponents.texts.length === 0 || (pkg !== undefined && scopes.matchesAny(subcomponents, pkg)));
  });
}

/** A finding's package as VEX matching reads it: its purl, its source, and the keys of the products that can name it. */
interface PackagePurl {
  purl: PackageURL;
  source: SourcePackage | undefined;
  keys: string[];
}

/**
 * A statement's product purls and their productKeyOf keys, each read when a finding first gets to it (`NO_PURL`: a
 * text that is not a purl, which names no package). A finding compares keys first, which costs a string
 * comparison, and parses only a product whose key it shares.
 */
interface ProductList {
  keys: Array<string | undefined>;
  texts: readonly string[];
  /**
   * Products compared so far: once findings have scanned as many as the list holds, every product is keyed and
   * the list is looked up by key from then on (a cost paid only where scanning has cost as much already).
   */
  scanned: number;
  byKey?: Map<string, number[]>;
}
const NO_PURL = '';

function listOf(texts: readonly string[]): ProductList {
  return { keys: new Array<string | undefined>(texts.length).fill(undefined), texts, scanned: 0 };
}

function positionsByKey(keys: ReadonlyArray<string | undefined>): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  keys.forEach((key = NO_PURL, i) => {
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [i]);
    else list.push(i);
  });
  return byKey;
}

/** Each statement's products keyed once, when a finding first needs them, and each product purl parsed once, when first compared. */
class StatementScopes {
  private readonly keyed = new Map<VexStatement, { packages: ProductList; images: Array<{ digest: string; subcomponents: ProductList }> }>();
  private readonly parsed = new Map<string, PackageURL | undefined>();

  of(s: VexStatement): { packages: ProductList; images: Array<{ digest: string; subcomponents: ProductList }> } {
    let out = this.keyed.get(s);
    if (out === undefined) {
      const packages: string[] = [];
      const images: Array<{ digest: string; subcomponents: ProductList }> = [];
      for (const { product, subcomponents } of s.scopes) {
        const digest = imageDigestOf(product);
        if (digest === undefined) packages.push(product, ...subcomponents);
        else images.push({ digest, subcomponents: listOf(subcomponents) });
      }
      out = { packages: listOf(packages), images };
      this.keyed.set(s, out);
    }
    return out;
  }

  /** Whether a product of `list` names package `pkg`. */
  matchesAny(list: ProductList, pkg: PackagePurl): boolean {
    const { keys, texts } = list;
    if (list.byKey === undefined && list.scanned >= texts.length) {
      for (let i = 0; i < texts.length; i++) keys[i] ??= productKeyOf(texts[i] as string) ?? NO_PURL;
      list.byKey = positionsByKey(keys);
    }
    const { byKey } = list;
    if (byKey !== undefined) {
      for (const key of pkg.keys) for (const i of byKey.get(key) ?? []) if (this.names(texts[i] as string, pkg)) return true;
      return false;
    }
    for (let i = 0; i < texts.length; i++) {
      list.scanned++;
      const text = texts[i] as string;
      const key = (keys[i] ??= productKeyOf(text) ?? NO_PURL);
      if (pkg.keys.includes(key) && this.names(text, pkg)) return true;
    }
    return false;
  }

  /** Whether product `text` names package `pkg` (its purl parsed once). */
  private names(text: string, pkg: PackagePurl): boolean {
    let product = this.parsed.get(text);
    if (product === undefined && !this.parsed.has(text)) {
      product = productPurl(text);
      this.parsed.set(text, product);
    }
    // not a purl: names no package
    return product !== undefined && productMatches(product, pkg.purl, pkg.source);
  }

}

/** Statement positions by upper-cased vulnerability id and alias: a finding looks at the statements that name one of its ids only. */
function statementsById(statements: readonly VexStatement[]): Map<string, number[]> {
  const byId = new Map<string, number[]>();
  statements.forEach((s, index) => {
    for (const id of new Set([s.vulnerability, ...s.aliases].map((x) => x.toUpperCase()))) {
      const list = byId.get(id);
      if (list === undefined) byId.set(id, [index]);
      else list.push(index);
    }
  });
  return byId;
}

function packageOf(f: Finding): PackagePurl | undefined {
  const pkg = f.evidence['package'] as { purl?: string; source?: SourcePackage } | undefined;
  if (pkg?.purl === undefined) return undefined;
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(pkg.purl.trim());
  } catch {
    return undefined;
  }
  return { purl, source: pkg.source, keys: packageKeys(purl, pkg.source) };
}

/**
 * Apply statements to vulnerability findings (`evidence.ids`, `evidence.package.purl`, the image digests). Returns
 * new findings; non-vulnerability findings pass through unchanged.
 */
export function applyVex(findings: readonly Finding[], statements: readonly VexStatement[], context: VexContext = {}): Finding[] {
  if (statements.length === 0) return [...findings];
  const byId = statementsById(statements);
  const scopes = new StatementScopes();
  return findings.map((f) => {
    if (f.kind !== 'vulnerability') return f;
    const named = new Set<number>();
    for (const id of (f.evidence['ids'] as string[] | undefined) ?? []) for (const index of byId.get(id.toUpperCase()) ?? []) named.add(index);
    if (named.size === 0) return f;
    const pkg = packageOf(f);
    const digests = digestsOf(f, context);
    // The most recent statement wins (OpenVEX); on equal or missing times, the one given last.
    let chosen: VexStatement | undefined;
    for (const index of [...named].sort((a, b) => a - b)) {
      const s = statements[index] as VexStatement;
      if (!covers(s, pkg, digests, scopes)) continue;
      if (chosen === undefined || timeOf(s.timestamp) >= timeOf(chosen.timestamp)) chosen = s;
    }
    if (chosen === undefined) return f;
    const vex: VexEvidence = { status: chosen.status, statement: chosen.source, format: chosen.format };
    if (chosen.justification !== undefined) vex.justification = chosen.justification;
    if (chosen.impactStatement !== undefined) vex.impactStatement = chosen.impactStatement;
    if (chosen.actionStatement !== undefined) vex.actionStatement = chosen.actionStatement;
    const out: Finding = { ...f, evidence: { ...f.evidence, vex } };
    if (chosen.status === 'not_affected' || chosen.status === 'fixed') {
      const detail = [chosen.justification, chosen.impactStatement].filter((x) => x !== undefined && x !== '').join(': ');
      out.suppression = { kind: VEX_SUPPRESSION_KIND, reason: `VEX ${chosen.status}${detail === '' ? '' : ` (${detail})`}`, source: `VEX ${chosen.source}` };
    }
    return out;
  });
}

/**
 * The statements and issues of every `--vex` path, in the order given (`sbom match`, `scan`, `image scan`). A folder
 * gives its `.json` files, sub-folders included, in name order (a distribution's per-CVE VEX files, unpacked): one
 * that is not VEX is skipped with an issue, where a file named on its own is an error.
 */
export async function readVexFiles(paths: readonly string[]): Promise<{ statements: VexStatement[]; issues: Issue[] }> {
  const statements: VexStatement[] = [];
  const issues: Issue[] = [];
  for (const path of paths) {
    let folder: boolean;
    try {
      folder = (await stat(path)).isDirectory();
    } catch (error) {
      throw new InputError(path, `Cannot read --vex "${path}": ${errorMessage(error)}`, { hint: 'Check the path.' });
    }
    if (!folder) {
      const vex = await readVex(path);
      statements.push(...vex.statements);
      issues.push(...vex.issues);
      continue;
    }
    const files = (await readdir(path, { recursive: true }))
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => join(path, name));
    if (files.length === 0) throw new InputError(path, `--vex "${path}" is a folder without .json files`, { hint: 'Pass VEX documents (.json), or a folder that holds them.' });
    for (const file of files) {
      try {
        const vex = await readVex(file);
        statements.push(...vex.statements);
        issues.push(...vex.issues);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        issues.push(issue('vex-invalid', `Skipped ${file} of --vex "${path}": ${error.message}`, file));
      }
    }
  }
  return { statements, issues };
}
