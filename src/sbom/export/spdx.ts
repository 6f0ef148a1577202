/**
 * SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/): the document DESCRIBES the image (a package
 * with purpose CONTAINER, its digest as SHA256 checksum and `pkg:oci` purl), which CONTAINS the OS
 * (purpose OPERATING_SYSTEM) and every package; package edges a cataloger knows are DEPENDS_ON. Each
 * package carries its purl as a PACKAGE-MANAGER external reference, its declared licence as an SPDX
 * expression (names that are not SPDX ids become `LicenseRef-…` with the text in
 * `hasExtractedLicensingInfos`), and its provenance (foundBy, path and layer) in `sourceInfo`.
 */
import type { Package } from '../../core/package.js';
import { classifyLicense, licenseRef } from '../licenses.js';
import { imagePurl, repositoryOf, subjectName, type SbomDocument } from '../model.js';
import { documentUuid, provenance, utcSeconds } from './common.js';

const NOASSERTION = 'NOASSERTION';

interface ExternalRef { referenceCategory: string; referenceType: string; referenceLocator: string }

export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: string;
  filesAnalyzed: false;
  primaryPackagePurpose?: string;
  checksums?: Array<{ algorithm: string; checksumValue: string }>;
  externalRefs?: ExternalRef[];
  licenseConcluded: string;
  licenseDeclared: string;
  copyrightText: string;
  sourceInfo?: string;
  description?: string;
  comment?: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[]; comment?: string };
  comment?: string;
  packages: SpdxPackage[];
  relationships: Array<{ spdxElementId: string; relatedSpdxElement: string; relationshipType: string }>;
  hasExtractedLicensingInfos?: Array<{ licenseId: string; extractedText: string; name: string }>;
}

/** SPDX ids allow letters, digits, "." and "-" only. */
function idPart(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
}

export function toSpdx(doc: SbomDocument): SpdxDocument {
  const s = doc.subject;
  const uuid = documentUuid(doc);
  const digest = s.digest ?? s.configDigest;
  const extracted = new Map<string, { licenseId: string; extractedText: string; name: string }>();

  /** One declared-licence expression for a package's licences (AND: a package under several licences is under all of them as declared). */
  const declared = (licenses: readonly string[] | undefined): string => {
    if (licenses === undefined || licenses.length === 0) return NOASSERTION;
    const parts = licenses.map((l) => {
      const k = classifyLicense(l);
      if (k.kind === 'id') return k.id;
      if (k.kind === 'expression') return licenses.length > 1 ? `(${k.expression})` : k.expression;
      const id = licenseRef(k.name);
      extracted.set(id, { licenseId: id, extractedText: k.name === '' ? 'empty licence field' : k.name, name: k.name === '' ? id : k.name });
      return id;
    });
    return [...new Set(parts)].join(' AND ');
  };

  const imageId = `SPDXRef-Image-${idPart(digest)}`;
  const image: SpdxPackage = {
    SPDXID: imageId,
    name: s.name === undefined ? subjectName(s) : repositoryOf(s.name),
    versionInfo: digest,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'CONTAINER',
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    comment: `runwarden image: input ${s.input}, source ${s.source}, platform ${s.platform}, image ID ${s.configDigest}, layers ${s.layers.join(' ')}`,
  };
  const hex = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (hex !== null) image.checksums = [{ algorithm: 'SHA256', checksumValue: hex[1] ?? '' }];
  const purl = imagePurl(s);
  if (purl !== undefined) image.externalRefs = [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl }];

  const packages: SpdxPackage[] = [image];
  const relationships: SpdxDocument['relationships'] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relatedSpdxElement: imageId, relationshipType: 'DESCRIBES' }];
  if (doc.os !== undefined) {
    const osId = `SPDXRef-OperatingSystem-${idPart(`${doc.os.id}-${doc.os.release}`)}`;
    const os: SpdxPackage = { SPDXID: osId, name: doc.os.id, versionInfo: doc.os.release, downloadLocation: NOASSERTION, filesAnalyzed: false, primaryPackagePurpose: 'OPERATING_SYSTEM', licenseConcluded: NOASSERTION, licenseDeclared: NOASSERTION, copyrightText: NOASSERTION, sourceInfo: `found by os-release in ${doc.os.from.join(', ')}` };
    if (doc.os.prettyName !== undefined) os.description = doc.os.prettyName;
    packages.push(os);
    relationships.push({ spdxElementId: imageId, relatedSpdxElement: osId, relationshipType: 'CONTAINS' });
  }
  const ids = doc.packages.map((p, i) => `SPDXRef-Package-${idPart(p.ecosystem)}-${idPart(p.name)}-${i}`);
  const unresolved = new Map(doc.dependencies.map((d) => [d.from, d.unresolved ?? []]));
  doc.packages.forEach((p: Package, i) => {
    const id = ids[i] ?? '';
    const sp: SpdxPackage = { SPDXID: id, name: p.name, versionInfo: p.version, downloadLocation: NOASSERTION, filesAnalyzed: false, primaryPackagePurpose: 'LIBRARY', licenseConcluded: NOASSERTION, licenseDeclared: declared(p.licenses), copyrightText: NOASSERTION, sourceInfo: provenance(p) };
    if (p.purl !== undefined) sp.externalRefs = [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }];
    const notes = [`ecosystem ${p.ecosystem}`];
    if (p.source !== undefined) notes.push(`source package ${p.source.name}${p.source.version === undefined ? '' : ` ${p.source.version}`}`);
    if (p.distro !== undefined) notes.push(`distro ${p.distro.id}-${p.distro.release}`);
    if (p.arch !== undefined) notes.push(`arch ${p.arch}`);
    const missing = unresolved.get(i) ?? [];
    if (missing.length > 0) notes.push(`depends on, not installed: ${missing.join(', ')}`);
    sp.comment = notes.join('; ');
    packages.push(sp);
    relationships.push({ spdxElementId: imageId, relatedSpdxElement: id, relationshipType: 'CONTAINS' });
  });
  for (const d of doc.dependencies) {
    const from = ids[d.from];
    if (from === undefined) continue;
    for (const t of new Set(d.to)) {
      const to = ids[t];
      if (to !== undefined && t !== d.from) relationships.push({ spdxElementId: from, relatedSpdxElement: to, relationshipType: 'DEPENDS_ON' });
    }
  }
  const out: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: subjectName(s),
    documentNamespace: `https://spdx.org/spdxdocs/runwarden/${encodeURIComponent(idPart(subjectName(s)))}-${uuid}`,
    creationInfo: { created: utcSeconds(doc.created), creators: [`Tool: ${doc.tool.name}-${doc.tool.version}`] },
    packages,
    relationships,
  };
  const issues = doc.issues.map((is) => `${is.code}: ${is.message}${is.location === undefined ? '' : ` (${is.location})`}`);
  if (!doc.complete || issues.length > 0) out.comment = `${doc.complete ? '' : 'INCOMPLETE: a layer could not be read whole, packages may be missing. '}${issues.length === 0 ? '' : `Issues: ${issues.join(' | ')}`}`.trim();
  if (extracted.size > 0) out.hasExtractedLicensingInfos = [...extracted.values()];
  return out;
}
