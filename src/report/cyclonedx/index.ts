/**
 * CycloneDX 1.6 JSON with the report's vulnerability findings (https://cyclonedx.org/docs/1.6/json/#vulnerabilities):
 * a BOM-with-VEX that Dependency-Track, `cyclonedx-cli` or a supplier's tooling reads, and that runwarden's own
 * `--vex` reads back (its `analysis` are the VEX statements a scan applied).
 *
 * - Components: each image a finding is about is a `container` component (its digest as version and `pkg:oci` purl
 *   when known: a cluster scan's running images), with the vulnerable packages nested in it as `library` components
 *   (purl as bom-ref, numbered when a package is in several images). Packages of no image (a purl list) are at the
 *   top level. Nested in an image with a digest, a package's analysis is about that image only: `--vex` reads it so.
 * - Vulnerabilities: one per vulnerability, with every package and image it is found in as an `affects` ref (as
 *   Trivy writes them; the containers' finding ids and subjects are `runwarden:finding` / `runwarden:subject`
 *   properties), unless what was decided or said about them differs (a VEX statement or an exception for one
 *   workload; another rating, fix status, recommendation or description), which keeps them apart. `id` is the
 *   finding's primary id, `references` its other ids, `ratings` the severity runwarden resolved (CVSS method, score
 *   and vector, or the source's label), `recommendation` the remediation, and `affects` the package at its installed
 *   version (`affected`, `unknown` for a range runwarden could not evaluate, `unaffected` under a not_affected or
 *   fixed statement). "Why it matched" is a `runwarden:match` property per advisory.
 * - `analysis` comes from a VEX statement (`evidence.vex`): not_affected, resolved (fixed), in_triage
 *   (under_investigation), exploitable (affected); an OpenVEX or CSAF justification is mapped to CycloneDX's
 *   vocabulary, its own text kept in `detail`. A finding accepted by an exception (not VEX) has no analysis: the
 *   exception is a `runwarden:suppression` property, since accepting a risk does not say the package is unaffected.
 *
 * Other finding kinds (misconfiguration, end of life, …) have no place in this document; their count is a metadata
 * property. Validated against the official bom-1.6 schema in the tests.
 */
import { createHash } from 'node:crypto';
import { subjectPath, type Finding } from '../../core/finding.js';
import { ownEntry } from '../../core/lookup.js';
import type { ScanReport } from '../../core/report.js';
import type { Severity } from '../../core/severity.js';
import { uuidOf } from '../../sbom/export/common.js';
import { ociPurl, repositoryOf } from '../../sbom/model.js';
import type { MatchReason } from '../../vulndb/match/index.js';
import type { SeverityVerdict } from '../../vulndb/match/severity.js';
import type { VexEvidence } from '../../vulndb/vex/index.js';
import type { ReportFormat } from '../format.js';
import { jsonChunks, jsonText } from '../json-text.js';

type Property = { name: string; value: string };

interface Component {
  type: 'container' | 'library';
  'bom-ref': string;
  name: string;
  version?: string;
  purl?: string;
  hashes?: Array<{ alg: 'SHA-256'; content: string }>;
  components?: Component[];
  properties?: Property[];
}

interface Source {
  name: string;
  url?: string;
}

interface Rating {
  source?: Source;
  score?: number;
  severity: Severity;
  method: 'CVSSv2' | 'CVSSv3' | 'CVSSv31' | 'CVSSv4' | 'other';
  vector?: string;
}

interface Analysis {
  state: 'not_affected' | 'resolved' | 'in_triage' | 'exploitable';
  justification?: string;
  detail?: string;
}

interface Vulnerability {
  'bom-ref': string;
  id: string;
  source?: Source;
  references?: Array<{ id: string; source: Source }>;
  ratings?: Rating[];
  description?: string;
  recommendation?: string;
  analysis?: Analysis;
  affects: Array<{ ref: string; versions: Array<{ version: string; status: 'affected' | 'unaffected' | 'unknown' }> }>;
  properties: Property[];
}

export interface VexBom {
  $schema: string;
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    tools: { components: Array<{ type: 'application'; name: string; version: string }> };
    properties: Property[];
  };
  components: Component[];
  vulnerabilities: Vulnerability[];
}

export const cyclonedxFormat: ReportFormat = {
  id: 'cyclonedx',
  description: 'CycloneDX 1.6 JSON: the vulnerability findings as a BOM with VEX (components, vulnerabilities, analysis)',
  extension: 'cdx.json',
  mediaType: 'application/vnd.cyclonedx+json; charset=utf-8',
  findingKinds: ['vulnerability'],
  render: (report) => jsonText(toCycloneDxVex(report)),
  chunks: (report) => jsonChunks(toCycloneDxVex(report)),
};

/** What a finding's evidence says about its package (match/index.ts packageFacts). */
interface PackageEvidence {
  ecosystem: string;
  name: string;
  version: string;
  purl?: string;
}

function packageOf(f: Finding): PackageEvidence {
  const p = f.evidence['package'] as Partial<PackageEvidence> | undefined;
  return { ecosystem: p?.ecosystem ?? '', name: p?.name ?? '', version: p?.version ?? '', ...(p?.purl === undefined ? {} : { purl: p.purl }) };
}

/**
 * The image a finding is about: its digest (`evidence.imageDigest`: a running image, `image scan`, an SBOM that
 * describes an image) and the subject's image name. `sbom match` names the SBOM file as its subject's image: not an
 * image name, so its packages are nested only in an image the SBOM itself describes.
 */
function imageOf(f: Finding, fromSbom: boolean): { key: string; name: string | undefined; digest: string | undefined } | undefined {
  const digest = typeof f.evidence['imageDigest'] === 'string' ? f.evidence['imageDigest'] : undefined;
  const name = fromSbom ? undefined : f.subject.image;
  if (digest === undefined && name === undefined) return undefined;
  return { key: digest ?? name ?? '', name, digest };
}

function imageComponent(name: string | undefined, digest: string | undefined, key: string): Component {
  const c: Component = { type: 'container', 'bom-ref': `image:${key}`, name: name === undefined ? key : repositoryOf(name) };
  if (digest !== undefined) {
    c.version = digest;
    const purl = ociPurl(digest, name);
    if (purl !== undefined) c.purl = purl;
    const hex = /^sha256:([a-f0-9]{64})$/.exec(digest);
    if (hex !== null) c.hashes = [{ alg: 'SHA-256', content: hex[1] ?? '' }];
  }
  if (name !== undefined) c.properties = [{ name: 'runwarden:image:name', value: name }];
  return c;
}

/** VEX status (evidence.vex) → CycloneDX analysis state. */
const STATE: Readonly<Record<string, Analysis['state']>> = { not_affected: 'not_affected', fixed: 'resolved', under_investigation: 'in_triage', affected: 'exploitable' };

/** CycloneDX 1.6 `impactAnalysisJustification`. */
const CDX_JUSTIFICATIONS = new Set([
  'code_not_present', 'code_not_reachable', 'requires_configuration', 'requires_dependency', 'requires_environment',
  'protected_by_compiler', 'protected_at_runtime', 'protected_at_perimeter', 'protected_by_mitigating_control',
]);

/** OpenVEX justifications (and CSAF's flag labels, the same words) in CycloneDX's vocabulary (the nearest one). */
const OPENVEX_JUSTIFICATIONS: Readonly<Record<string, string>> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
};

function analysisOf(f: Finding): Analysis | undefined {
  const vex = f.evidence['vex'] as VexEvidence | undefined;
  if (vex === undefined) return undefined;
  const state = ownEntry(STATE, vex.status);
  if (state === undefined) return undefined;
  const analysis: Analysis = { state };
  const given = vex.justification;
  const justification = given === undefined ? undefined : CDX_JUSTIFICATIONS.has(given) ? given : ownEntry(OPENVEX_JUSTIFICATIONS, given);
  if (justification !== undefined) analysis.justification = justification;
  const detail = [given !== undefined && given !== justification ? `justification: ${given}` : '', vex.impactStatement ?? '', vex.actionStatement ?? '', `statement: ${vex.statement}`].filter((s) => s !== '');
  analysis.detail = detail.join('; ');
  return analysis;
}

/** Where an id is published: NVD, GitHub, the Go database; osv.dev for the other database prefixes it serves. */
function sourceOf(id: string): Source | undefined {
  if (id.startsWith('CVE-')) return { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` };
  if (id.startsWith('GHSA-')) return { name: 'GitHub', url: `https://github.com/advisories/${id}` };
  if (id.startsWith('GO-')) return { name: 'Go Vulnerability Database', url: `https://pkg.go.dev/vuln/${id}` };
  // ids runwarden's distribution converters make up (e.g. "ALPINE-CVE-…@v3.18/main", a tracker's "DEBIAN-TEMP-…") are published nowhere
  if (/^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*-[A-Za-z0-9:._-]+$/.test(id) && !id.includes('@') && !id.includes('TEMP-')) return { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` };
  return undefined;
}

const METHOD: Readonly<Record<string, Rating['method']>> = { 'cvss-4.0': 'CVSSv4', 'cvss-3.1': 'CVSSv31', 'cvss-3.0': 'CVSSv3', 'cvss-2.0': 'CVSSv2', label: 'other' };

function ratingsOf(f: Finding): Rating[] | undefined {
  const s = f.evidence['severity'] as SeverityVerdict | undefined;
  const method = s === undefined ? undefined : ownEntry(METHOD, s.basis);
  if (s === undefined || method === undefined) return undefined;
  const rating: Rating = { severity: f.severity, method };
  if (s.from !== undefined) rating.source = sourceOf(s.from) ?? { name: s.from };
  if (s.score !== undefined) rating.score = s.score;
  if (s.vector !== undefined) rating.vector = s.vector;
  return [rating];
}

/** "Why it matched", one line per advisory: `GHSA-… (osv, npm minimist): affected by range, semver: introduced 1.0.0, fixed 1.2.6`. */
function matchLines(f: Finding): string[] {
  const matches = (f.evidence['matches'] as MatchReason[] | undefined) ?? [];
  return matches.map((m) => {
    const ranges = m.ranges.filter((r) => r.verdict !== 'not-affected').map((r) => r.range).filter((r) => r !== '');
    const how = [m.matchedBy, m.scheme, m.status].filter((x): x is string => x !== undefined && x !== '').join(', ');
    return `${m.advisory} (${m.source}, ${m.ecosystem} ${m.package}): ${m.verdict} by ${how}${ranges.length > 0 ? `: ${ranges.join('; ')}` : ''}`;
  });
}

function statusOf(f: Finding, analysis: Analysis | undefined): 'affected' | 'unaffected' | 'unknown' {
  if (analysis?.state === 'not_affected' || analysis?.state === 'resolved') return 'unaffected';
  return f.evidence['state'] === 'unknown' ? 'unknown' : 'affected';
}

/** A vulnerability's fields in the order of the CycloneDX specification (they are filled as they are known). */
function ordered(v: Vulnerability): Vulnerability {
  const { 'bom-ref': ref, id, source, references, ratings, description, recommendation, analysis, affects, properties } = v;
  return {
    'bom-ref': ref,
    id,
    ...(source === undefined ? {} : { source }),
    ...(references === undefined ? {} : { references }),
    ...(ratings === undefined ? {} : { ratings }),
    ...(description === undefined ? {} : { description }),
    ...(recommendation === undefined ? {} : { recommendation }),
    ...(analysis === undefined ? {} : { analysis }),
    affects,
    properties,
  };
}

/** RFC 4122 version-4-shaped UUID from the report's time and findings: the same report gives the same serial number. */
function reportUuid(report: ScanReport, findings: readonly Finding[]): string {
  const h = createHash('sha256');
  h.update(`${report.generatedAt}\u0000${report.source.type}\u0000${report.source.location}\u0000`);
  for (const f of findings) h.update(`${f.id}\u0000`);
  return uuidOf(h.digest());
}

export function toCycloneDxVex(report: ScanReport): VexBom {
  const findings = report.findings.filter((f) => f.kind === 'vulnerability');
  const images = new Map<string, Component>();
  const loose: Component[] = [];
  /** Package component by (image key, package identity); bom-refs numbered when one purl is in several images. */
  const packages = new Map<string, Component>();
  const refCounts = new Map<string, number>();
  const fromSbom = report.source.type === 'sbom';
  const packageRef = (f: Finding): string => {
    const image = imageOf(f, fromSbom);
    const pkg = packageOf(f);
    const identity = `${image?.key ?? ''}\u0000${pkg.purl ?? ''}\u0000${pkg.ecosystem}\u0000${pkg.name}\u0000${pkg.version}`;
    const known = packages.get(identity);
    if (known !== undefined) return known['bom-ref'];
    const base = pkg.purl ?? `runwarden:${pkg.ecosystem}/${pkg.name}@${pkg.version}`;
    const n = refCounts.get(base) ?? 0;
    refCounts.set(base, n + 1);
    const c: Component = { type: 'library', 'bom-ref': n === 0 ? base : `${base}#${n}`, name: pkg.name, version: pkg.version };
    if (pkg.purl !== undefined) c.purl = pkg.purl;
    c.properties = [{ name: 'runwarden:package:ecosystem', value: pkg.ecosystem }];
    packages.set(identity, c);
    if (image === undefined) loose.push(c);
    else {
      let parent = images.get(image.key);
      if (parent === undefined) {
        parent = imageComponent(image.name, image.digest, image.key);
        images.set(image.key, parent);
      }
      (parent.components ??= []).push(c);
    }
    return c['bom-ref'];
  };

  const vulnerabilities: Vulnerability[] = [];
  /** Per entry: the affects refs and the property lines it has, looked up in sets (a base image's CVE has thousands). */
  const byGroup = new Map<string, { v: Vulnerability; refs: Set<string>; lines: Set<string> }>();
  for (const f of findings) {
    const ref = packageRef(f);
    const analysis = analysisOf(f);
    const suppression = f.suppression !== undefined && f.suppression.kind !== 'vex' ? `${f.suppression.reason} (${f.suppression.source})` : undefined;
    const id = typeof f.evidence['vulnerability'] === 'string' ? f.evidence['vulnerability'] : f.id;
    const others = ((f.evidence['ids'] as string[] | undefined) ?? []).filter((other) => other !== id);
    const references = others.flatMap((other) => {
      const s = sourceOf(other);
      return s === undefined ? [] : [{ id: other, source: s }];
    });
    const ratings = ratingsOf(f);
    const description = typeof f.evidence['summary'] === 'string' && f.evidence['summary'] !== '' ? f.evidence['summary'] : undefined;
    const state = f.evidence['state'] === 'unknown' ? 'unknown' : 'affected';
    const fixStatus = typeof f.evidence['fixStatus'] === 'string' ? f.evidence['fixStatus'] : undefined;
    const installed = f.evidence['installedVersion'];
    const affected = { ref, versions: [{ version: typeof installed === 'string' ? installed : packageOf(f).version, status: statusOf(f, analysis) }] };
    const lines = [
      ...((f.evidence['fixedVersions'] as string[] | undefined) ?? []).map((fixed) => ({ name: 'runwarden:fixedVersion', value: fixed })),
      ...matchLines(f).map((line) => ({ name: 'runwarden:match', value: line })),
    ];
    // One entry per vulnerability, whatever packages and images it is in (each an `affects` ref), unless what its
    // single-valued fields say differs: a VEX statement or an exception for one workload, another rating, fix or text.
    const group = JSON.stringify([id, others, analysis ?? null, suppression ?? null, f.severity, ratings ?? null, description ?? null, f.remediation, state, fixStatus ?? null]);
    const known = byGroup.get(group);
    if (known !== undefined) {
      if (!known.refs.has(ref)) {
        known.refs.add(ref);
        known.v.affects.push(affected);
      }
      known.v.properties.push({ name: 'runwarden:finding', value: f.id }, { name: 'runwarden:subject', value: subjectPath(f.subject) });
      for (const line of lines) {
        const key = `${line.name}\0${line.value}`;
        if (known.lines.has(key)) continue;
        known.lines.add(key);
        known.v.properties.push(line);
      }
      continue;
    }
    const v: Vulnerability = { 'bom-ref': `finding:${f.id}`, id, affects: [affected], properties: [] };
    const source = sourceOf(id);
    if (source !== undefined) v.source = source;
    if (references.length > 0) v.references = references;
    if (ratings !== undefined) v.ratings = ratings;
    if (description !== undefined) v.description = description;
    v.recommendation = f.remediation;
    if (analysis !== undefined) v.analysis = analysis;
    v.properties.push({ name: 'runwarden:finding', value: f.id }, { name: 'runwarden:subject', value: subjectPath(f.subject) });
    v.properties.push({ name: 'runwarden:state', value: state });
    if (fixStatus !== undefined) v.properties.push({ name: 'runwarden:fixStatus', value: fixStatus });
    v.properties.push(...lines);
    for (const other of others) if (!references.some((r) => r.id === other)) v.properties.push({ name: 'runwarden:alias', value: other });
    if (suppression !== undefined) v.properties.push({ name: 'runwarden:suppression', value: suppression });
    byGroup.set(group, { v, refs: new Set([ref]), lines: new Set(lines.map((l) => `${l.name}\0${l.value}`)) });
    vulnerabilities.push(v);
  }

  const metaProps: Property[] = [{ name: 'runwarden:report:source', value: `${report.source.type} ${report.source.location}`.trim() }];
  const otherKinds = report.findings.length - findings.length;
  if (otherKinds > 0) {
    const kinds = [...new Set(report.findings.filter((f) => f.kind !== 'vulnerability').map((f) => f.kind))].sort();
    metaProps.push({ name: 'runwarden:report:findingsNotIncluded', value: `${otherKinds} (${kinds.join(', ')}: not vulnerabilities; see --format json or sarif)` });
  }
  report.issues.forEach((is, i) => metaProps.push({ name: `runwarden:issue:${i}`, value: `${is.code}: ${is.message}${is.location === undefined ? '' : ` (${is.location})`}` }));

  const bom: VexBom = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${reportUuid(report, findings)}`,
    version: 1,
    metadata: {
      timestamp: report.generatedAt,
      tools: { components: [{ type: 'application', name: report.tool.name, version: report.tool.version }] },
      properties: metaProps,
    },
    components: [],
    vulnerabilities: vulnerabilities.map(ordered),
  };
  bom.components = [...images.values(), ...loose];
  return bom;
}
