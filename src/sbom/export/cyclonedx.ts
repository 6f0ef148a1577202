/**
 * CycloneDX 1.6 JSON (https://cyclonedx.org/docs/1.6/json/): the image is `metadata.component`
 * (type `container`, its manifest digest as hash and `pkg:oci` purl), the OS an `operating-system`
 * component, every package a `library` component with purl, licences and provenance. Provenance is
 * written twice: as `runwarden:*` properties (foundBy, each location's path and layer, ecosystem,
 * source package, distro) and as CycloneDX 1.6 `evidence.occurrences` (the path). `dependencies`
 * is the graph from the image: the image depends on the OS and the top-level packages (those no other
 * package depends on), each package with known dependencies lists them (names not installed are
 * `runwarden:dependency:unresolved` properties of its component).
 */
import type { Package } from '../../core/package.js';
import { classifyLicense } from '../licenses.js';
import { imagePurl, repositoryOf, subjectName, type SbomDocument } from '../model.js';
import { documentUuid, packageKey, topLevel } from './common.js';

type Property = { name: string; value: string };
type CdxLicense = { license: { id: string } | { name: string } } | { expression: string };

export interface CdxComponent {
  type: string;
  'bom-ref': string;
  name: string;
  version?: string;
  description?: string;
  purl?: string;
  hashes?: Array<{ alg: string; content: string }>;
  licenses?: CdxLicense[];
  evidence?: { occurrences: Array<{ location: string; additionalContext?: string }> };
  properties?: Property[];
}

export interface CdxBom {
  $schema: string;
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  serialNumber: string;
  version: number;
  metadata: {
    timestamp: string;
    tools: { components: Array<{ type: 'application'; name: string; version: string }> };
    component: CdxComponent;
    properties?: Property[];
  };
  components: CdxComponent[];
  dependencies: Array<{ ref: string; dependsOn: string[] }>;
}

/** CycloneDX allows one expression, or a list of ids/names; a mixed list becomes names + ids. */
export function cdxLicenses(licenses: readonly string[] | undefined): CdxLicense[] | undefined {
  if (licenses === undefined || licenses.length === 0) return undefined;
  const kinds = licenses.map(classifyLicense);
  if (kinds.length === 1 && kinds[0]?.kind === 'expression') return [{ expression: kinds[0].expression }];
  return kinds.map((k) => (k.kind === 'id' ? { license: { id: k.id } } : { license: { name: k.kind === 'expression' ? k.expression : k.name } }));
}

function packageProperties(pkg: Package): Property[] {
  const props: Property[] = [{ name: 'runwarden:package:ecosystem', value: pkg.ecosystem }];
  if (pkg.foundBy !== undefined) props.push({ name: 'runwarden:package:foundBy', value: pkg.foundBy });
  (pkg.locations ?? []).forEach((l, i) => {
    props.push({ name: `runwarden:location:${i}:path`, value: l.path });
    if (l.layer !== undefined) props.push({ name: `runwarden:location:${i}:layer`, value: l.layer });
  });
  if (pkg.source !== undefined) {
    props.push({ name: 'runwarden:package:sourceName', value: pkg.source.name });
    if (pkg.source.version !== undefined) props.push({ name: 'runwarden:package:sourceVersion', value: pkg.source.version });
  }
  if (pkg.distro !== undefined) props.push({ name: 'runwarden:package:distro', value: `${pkg.distro.id}-${pkg.distro.release}` });
  if (pkg.arch !== undefined) props.push({ name: 'runwarden:package:arch', value: pkg.arch });
  return props;
}

/** Unique bom-refs: the purl when it is unique in the document, else the purl (or key) with a counter. */
export function bomRefs(packages: readonly Package[]): string[] {
  const seen = new Map<string, number>();
  return packages.map((p) => {
    const base = p.purl ?? `runwarden:${packageKey(p)}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}#${n}`;
  });
}

export function toCycloneDx(doc: SbomDocument): CdxBom {
  const s = doc.subject;
  const imageRef = `image:${s.digest ?? s.configDigest}`;
  const digest = s.digest ?? s.configDigest;
  const image: CdxComponent = {
    type: 'container',
    'bom-ref': imageRef,
    name: s.name === undefined ? subjectName(s) : repositoryOf(s.name),
    version: digest,
  };
  const purl = imagePurl(s);
  if (purl !== undefined) image.purl = purl;
  const hex = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (hex !== null) image.hashes = [{ alg: 'SHA-256', content: hex[1] ?? '' }];
  image.properties = [
    { name: 'runwarden:image:input', value: s.input },
    { name: 'runwarden:image:source', value: s.source },
    { name: 'runwarden:image:configDigest', value: s.configDigest },
    { name: 'runwarden:image:platform', value: s.platform },
    ...(s.name === undefined ? [] : [{ name: 'runwarden:image:name', value: s.name }]),
    ...s.layers.map((l, i) => ({ name: `runwarden:image:layer:${i}`, value: l })),
  ];

  const components: CdxComponent[] = [];
  const roots: string[] = [];
  if (doc.os !== undefined) {
    const os: CdxComponent = { type: 'operating-system', 'bom-ref': `os:${doc.os.id}-${doc.os.release}`, name: doc.os.id, version: doc.os.release };
    if (doc.os.prettyName !== undefined) os.description = doc.os.prettyName;
    os.properties = doc.os.from.map((f, i) => ({ name: `runwarden:location:${i}:path`, value: f }));
    if (doc.os.codename !== undefined) os.properties.push({ name: 'runwarden:os:codename', value: doc.os.codename });
    components.push(os);
    roots.push(os['bom-ref']);
  }
  const refs = bomRefs(doc.packages);
  const unresolved = new Map(doc.dependencies.map((d) => [d.from, d.unresolved ?? []]));
  doc.packages.forEach((p, i) => {
    const ref = refs[i] ?? '';
    const c: CdxComponent = { type: 'library', 'bom-ref': ref, name: p.name, version: p.version };
    if (p.purl !== undefined) c.purl = p.purl;
    const licenses = cdxLicenses(p.licenses);
    if (licenses !== undefined) c.licenses = licenses;
    const locations = p.locations ?? [];
    if (locations.length > 0) c.evidence = { occurrences: locations.map((l) => (l.layer === undefined ? { location: l.path } : { location: l.path, additionalContext: `layer ${l.layer}` })) };
    c.properties = packageProperties(p);
    for (const name of unresolved.get(i) ?? []) c.properties.push({ name: 'runwarden:dependency:unresolved', value: name });
    components.push(c);
  });
  // The image depends on the OS and on the packages nothing else depends on; each package whose
  // dependencies are known has its own entry (empty when it has none); unknown ones have none
  // (CycloneDX 1.6: "components that do not have their own dependencies MUST be declared as empty
  // elements"; components not represented "MAY have unknown dependencies").
  for (const i of topLevel(doc.packages.length, doc.dependencies)) roots.push(refs[i] ?? '');
  const dependencies = [{ ref: imageRef, dependsOn: roots }];
  const listed = new Set<string>();
  for (const d of [...doc.dependencies].sort((a, b) => a.from - b.from)) {
    const from = refs[d.from];
    if (from === undefined || listed.has(from)) continue;
    listed.add(from);
    dependencies.push({ ref: from, dependsOn: [...new Set(d.to.map((t) => refs[t]).filter((r): r is string => r !== undefined && r !== from))] });
  }
  const metaProps: Property[] = [{ name: 'runwarden:complete', value: String(doc.complete) }];
  doc.issues.forEach((is, i) => metaProps.push({ name: `runwarden:issue:${i}`, value: `${is.code}: ${is.message}${is.location === undefined ? '' : ` (${is.location})`}` }));
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${documentUuid(doc)}`,
    version: 1,
    metadata: {
      timestamp: doc.created.toISOString(),
      tools: { components: [{ type: 'application', name: doc.tool.name, version: doc.tool.version }] },
      component: image,
      properties: metaProps,
    },
    components,
    dependencies,
  };
}
