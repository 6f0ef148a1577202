/**
 * Package URLs → matcher packages (purl spec: https://github.com/package-url/purl-spec, PURL-TYPES.rst).
 * The purl type names the ecosystem; for OS packages the namespace names the distro, the `distro`
 * qualifier its release (`debian-12`, `alpine-3.18.4`), `epoch` the Debian/RPM epoch, and Syft's
 * `upstream` qualifier the source package (`openssl` or `openssl@3.0.9-1`).
 */
import { PackageURL } from 'packageurl-js';
import { parseSourceRpm } from '../../catalog/catalogers/rpm/index.js';
import { errorMessage } from '../../core/errors.js';
import { ownEntry } from '../../core/lookup.js';
import type { Distro, Package } from '../../core/package.js';
import { nameKey, packageReleaseKey } from '../store/keys.js';

/** purl type → OSV ecosystem, for types whose namespace does not decide it. */
const TYPE_ECOSYSTEM: Readonly<Record<string, string>> = {
  npm: 'npm', pypi: 'PyPI', golang: 'Go', maven: 'Maven', gem: 'RubyGems', cargo: 'crates.io', nuget: 'NuGet', composer: 'Packagist',
  hex: 'Hex', pub: 'Pub', hackage: 'Hackage', cran: 'CRAN', conan: 'ConanCenter', swift: 'SwiftURL', bitnami: 'Bitnami', julia: 'Julia',
};

/** purl type by OSV ecosystem (the first type that names it), for `purlOf`. */
const ECOSYSTEM_TYPE: ReadonlyMap<string, string> = new Map(Object.entries(TYPE_ECOSYSTEM).reverse().map(([type, ecosystem]) => [ecosystem, type]));

/**
 * OS purl (type, namespace) → OSV ecosystem. The namespace is the distribution's os-release ID as Syft and
 * runwarden write it, or Trivy's OS family name where it differs (`alma`, `cbl-mariner`, `sles`, `opensuse.leap`).
 */
const OS_ECOSYSTEM: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  deb: { debian: 'Debian', ubuntu: 'Ubuntu' },
  apk: { alpine: 'Alpine', wolfi: 'Wolfi', chainguard: 'Chainguard', alpaquita: 'Alpaquita' },
  rpm: {
    redhat: 'Red Hat', almalinux: 'AlmaLinux', alma: 'AlmaLinux', rocky: 'Rocky Linux', suse: 'SUSE', sles: 'SUSE', opensuse: 'openSUSE', 'opensuse.leap': 'openSUSE',
    'opensuse-leap': 'openSUSE', mariner: 'Mariner', 'cbl-mariner': 'Mariner', azurelinux: 'Azure Linux', photon: 'Photon OS', openeuler: 'openEuler',
  },
};

export type PurlResult = { ok: true; pkg: Package } | { ok: false; error: string };

/**
 * The `distro` qualifier → {id, release}: `debian-12`, `alpine-3.18.4`, `ubuntu-22.04` (Syft, runwarden), or the
 * release alone, which the namespace completes: Trivy writes `distro=3.20.3` for Alpine, and a codename
 * (`distro=bookworm`) is read as Debian's release names are.
 */
function distroQualifier(value: string | undefined, namespace: string): Distro | undefined {
  if (value === undefined || value === '') return undefined;
  // the id may hold a hyphen itself (`cbl-mariner-2.0`): the namespace, else up to a numbered release, else the first hyphen (`debian-sid`)
  if (namespace !== '' && value.toLowerCase().startsWith(`${namespace}-`)) return { id: namespace, release: value.slice(namespace.length + 1) };
  const m = /^([a-z][a-z0-9._-]*?)-(\d.*)$/.exec(value) ?? /^([a-z][a-z0-9._]*?)-(.+)$/.exec(value);
  if (m !== null) return { id: m[1] ?? '', release: m[2] ?? '' };
  return /^[a-z0-9][a-z0-9._+~]*$/i.test(value) ? { id: namespace, release: value } : undefined;
}

/**
 * One purl → a Package. `defaultDistro` comes from the document (a CycloneDX operating-system component)
 * for OS purls without a `distro` qualifier.
 */
export function packageFromPurl(purl: string, defaultDistro?: Distro, foundBy = 'purl'): PurlResult {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl.trim());
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
  const version = p.version ?? undefined;
  if (version === undefined || version === '') return { ok: false, error: 'no version (a purl needs "@version" to be matched)' };
  const qualifiers = (p.qualifiers ?? {}) as Record<string, string | undefined>;
  const os = ownEntry(OS_ECOSYSTEM, p.type);
  if (os !== undefined) {
    const ecosystem = ownEntry(os, (p.namespace ?? '').toLowerCase());
    if (ecosystem === undefined) return { ok: false, error: `unknown ${p.type} namespace "${p.namespace ?? ''}": expected one of ${Object.keys(os).join(', ')}` };
    const epoch = qualifiers['epoch'];
    const fullVersion = epoch !== undefined && epoch !== '' && epoch !== '0' && !version.includes(':') ? `${epoch}:${version}` : version;
    const distro = distroQualifier(qualifiers['distro'], (p.namespace ?? '').toLowerCase()) ?? defaultDistro;
    const pkg: Package = { ecosystem, name: p.name, version: fullVersion, purl: purl.trim(), foundBy };
    if (distro !== undefined) pkg.distro = distro;
    const upstream = qualifiers['upstream'] ?? qualifiers['origin'];
    if (upstream !== undefined && upstream !== '') {
      // rpm: the source RPM's file name (syft, and runwarden's own SBOMs: "openssl-3.0.7-24.el9.src.rpm"); its
      // version takes the binary's epoch, as the rpm cataloger gives it
      const rpm = p.type === 'rpm' ? parseSourceRpm(upstream) : undefined;
      const at = upstream.indexOf('@');
      if (rpm !== undefined) pkg.source = { name: rpm.name, version: fullVersion.includes(':') ? `${fullVersion.slice(0, fullVersion.indexOf(':'))}:${rpm.version}` : rpm.version };
      else pkg.source = at < 0 ? { name: upstream } : { name: upstream.slice(0, at), version: upstream.slice(at + 1) };
    }
    return { ok: true, pkg };
  }
  const ecosystem = ownEntry(TYPE_ECOSYSTEM, p.type);
  if (ecosystem === undefined) return { ok: false, error: `purl type "${p.type}" has no OSV ecosystem runwarden matches` };
  const ns = p.namespace ?? '';
  let name = p.name;
  if (ecosystem === 'Maven') name = `${ns}:${p.name}`;
  else if (ns !== '') name = `${ns}/${p.name}`;
  return { ok: true, pkg: { ecosystem, name, version, purl: purl.trim(), foundBy } };
}

/** A purl for a package that has none (matcher output, VEX matching). */
export function purlOf(pkg: Package): string | undefined {
  if (pkg.purl !== undefined) return pkg.purl;
  const type = ECOSYSTEM_TYPE.get(pkg.ecosystem);
  if (type === undefined) return undefined;
  try {
    if (type === 'maven') {
      const [group, artifact] = pkg.name.split(':');
      return new PackageURL(type, group, artifact ?? '', pkg.version, undefined, undefined).toString();
    }
    const slash = pkg.name.lastIndexOf('/');
    const ns = slash > 0 ? pkg.name.slice(0, slash) : undefined;
    const name = slash > 0 ? pkg.name.slice(slash + 1) : pkg.name;
    return new PackageURL(type, ns, name, pkg.version, undefined, undefined).toString();
  } catch {
    return undefined;
  }
}

/** The source package a binary package was built from, as a finding's evidence gives it (`evidence.package.source`). */
export interface SourcePackage {
  name: string;
  version?: string | undefined;
}

/** Ubuntu release numbers by codename, for VEX `distro` qualifiers that give the codename (`distro=jammy`, `esm-infra/focal`). */
const UBUNTU_CODENAMES: Readonly<Record<string, string>> = {
  warty: '4.10', hoary: '5.04', breezy: '5.10', dapper: '6.06', edgy: '6.10', feisty: '7.04', gutsy: '7.10', hardy: '8.04', intrepid: '8.10', jaunty: '9.04',
  karmic: '9.10', lucid: '10.04', maverick: '10.10', natty: '11.04', oneiric: '11.10', precise: '12.04', quantal: '12.10', raring: '13.04', saucy: '13.10',
  trusty: '14.04', utopic: '14.10', vivid: '15.04', wily: '15.10', xenial: '16.04', yakkety: '16.10', zesty: '17.04', artful: '17.10', bionic: '18.04',
  cosmic: '18.10', disco: '19.04', eoan: '19.10', focal: '20.04', groovy: '20.10', hirsute: '21.04', impish: '21.10', jammy: '22.04', kinetic: '22.10',
  lunar: '23.04', mantic: '23.10', noble: '24.04', oracular: '24.10', plucky: '25.04', questing: '25.10', resolute: '26.04',
};

/** Ecosystems whose `distro` qualifiers are compared by release (a codename or a point release names the same one); others compare as text. */
const RELEASE_COMPARED = new Set(['Debian', 'Ubuntu', 'Alpine']);

/** `arch` values that make a purl name a source package (Red Hat `src`, Debian and Ubuntu `source`). */
const SOURCE_ARCHES = new Set(['src', 'source']);

/**
 * A VEX product purl. Ubuntu's VEX writes a second qualifier after a second `?`
 * (`pkg:deb/ubuntu/gcc-4.4@4.4.7-8ubuntu1?arch=src?distro=ubuntu/trusty`), which is read as `&`.
 */
export function productPurl(text: string): PackageURL | undefined {
  let t = text.trim();
  const q = t.indexOf('?');
  if (q >= 0) {
    const hash = t.indexOf('#', q);
    const end = hash < 0 ? t.length : hash;
    t = t.slice(0, q + 1) + t.slice(q + 1, end).replaceAll('?', '&') + t.slice(end);
  }
  try {
    return PackageURL.fromString(t);
  } catch {
    return undefined;
  }
}

function qualifiersOf(p: PackageURL): Record<string, string> {
  return p.qualifiers ?? {};
}

/**
 * An OS package version with its epoch made explicit (`1:4.4.7-8ubuntu1`, `0:3.0.7-27.el9`): a deb purl keeps the
 * epoch in the version, an rpm purl in the `epoch` qualifier, and either may leave out an epoch of 0.
 */
function epochVersion(version: string, epoch: string | undefined): string {
  if (/^\d+:/.test(version)) return version;
  return `${epoch === undefined || epoch === '' ? '0' : epoch}:${version}`;
}

/** The release a `distro` qualifier names (`debian-12`, `bookworm`, `ubuntu-22.04`, `jammy`, `esm-infra/focal`, `alpine-3.18.4`), as advisories key it. */
function distroRelease(ecosystem: string, namespace: string, value: string): string | undefined {
  const d = distroQualifier(value.slice(value.lastIndexOf('/') + 1), namespace);
  if (d === undefined || (d.id !== namespace && d.id !== '')) return undefined;
  const release = ecosystem === 'Ubuntu' ? (ownEntry(UBUNTU_CODENAMES, d.release.toLowerCase()) ?? d.release) : d.release;
  return packageReleaseKey(ecosystem, release);
}

/**
 * Whether the qualifiers a product gives agree with the package's (others the package carries do not matter):
 * `distro` by the release it names for Debian, Ubuntu and Alpine, the rest as text; `epoch` is part of the
 * version, and `skip` (a source product's `arch`) is not the package's.
 */
function qualifiersAgree(product: PackageURL, pkg: PackageURL, skip?: string): boolean {
  const qa = qualifiersOf(product);
  const qb = qualifiersOf(pkg);
  const types = ownEntry(OS_ECOSYSTEM, pkg.type);
  const ecosystem = types === undefined ? undefined : ownEntry(types, (pkg.namespace ?? '').toLowerCase());
  return Object.entries(qa).every(([k, v]) => {
    const own = qb[k];
    if (k === 'epoch' || k === skip || own === undefined || own === v) return true;
    if (k !== 'distro' || ecosystem === undefined || !RELEASE_COMPARED.has(ecosystem)) return false;
    const namespace = (pkg.namespace ?? '').toLowerCase();
    const release = distroRelease(ecosystem, namespace, v);
    return release !== undefined && release === distroRelease(ecosystem, namespace, own);
  });
}

/** The source package of the package `pkg` names: the finding's, else the purl's `upstream` (a source RPM file name for rpm), else the package itself. */
function sourceOf(pkg: PackageURL, given: SourcePackage | undefined): SourcePackage {
  if (given !== undefined && given.name !== '') return given;
  const upstream = qualifiersOf(pkg)['upstream'];
  if (upstream !== undefined && upstream !== '') {
    if (pkg.type === 'rpm') {
      const rpm = parseSourceRpm(upstream);
      if (rpm !== undefined) return { name: rpm.name, version: epochVersion(rpm.version, qualifiersOf(pkg)['epoch']) };
    } else {
      const at = upstream.indexOf('@');
      return at < 0 ? { name: upstream } : { name: upstream.slice(0, at), version: upstream.slice(at + 1) };
    }
  }
  return { name: pkg.name, version: pkg.version ?? undefined };
}

/**
 * Whether VEX product `a` (read by `productPurl`) names package `b`: same type, namespace and name, the same version when it gives one,
 * and the qualifiers it gives (with or without a version: `pkg:deb/debian/openssl?distro=debian-11` is not
 * bookworm's openssl). OS package versions compare with their epochs.
 *
 * A product that is a source package (`arch=src`, `arch=source`: how Red Hat names a component it has no fix for,
 * and Ubuntu every source package) names every binary package built from it: it is compared with the package's
 * source (`source`, the finding's `evidence.package.source`; else the purl's `upstream`; else the package itself).
 */
export function productMatches(a: PackageURL, b: PackageURL, source?: SourcePackage): boolean {
  if (a.type !== b.type || (a.namespace ?? '').toLowerCase() !== (b.namespace ?? '').toLowerCase()) return false;
  const os = ownEntry(OS_ECOSYSTEM, a.type) !== undefined;
  const wanted = a.version ?? '';
  if (isSourceProduct(a)) {
    const src = sourceOf(b, source);
    if (a.name !== src.name) return false;
    if (wanted !== '' && (src.version === undefined || epochVersion(wanted, qualifiersOf(a)['epoch']) !== epochVersion(src.version, undefined))) return false;
    return qualifiersAgree(a, b, 'arch');
  }
  if (nameOf(a) !== nameOf(b)) return false;
  if (wanted !== '') {
    const own = b.version ?? '';
    if (os ? epochVersion(wanted, qualifiersOf(a)['epoch']) !== epochVersion(own, qualifiersOf(b)['epoch']) : wanted !== own) return false;
  }
  return qualifiersAgree(a, b);
}

/** An OS package product that names a source package (`arch=src`, `arch=source`). */
function isSourceProduct(a: PackageURL): boolean {
  const arch = qualifiersOf(a)['arch'];
  return ownEntry(OS_ECOSYSTEM, a.type) !== undefined && arch !== undefined && SOURCE_ARCHES.has(arch.toLowerCase());
}

/** PyPI names compare PEP 503-normalised, as the matcher looks them up (`zope.interface` is `zope-interface`). */
function nameOf(p: PackageURL): string {
  return p.type === 'pypi' ? nameKey('PyPI', p.name) : p.name;
}

/** The lookup key of a package name: lower-case, PyPI's PEP 503-normalised (a key may gather more than one name: productMatches decides). */
function keyName(type: string, name: string): string {
  const lower = name.toLowerCase();
  return type === 'pypi' ? lower.replace(/[-_.]+/g, '-') : lower;
}

/**
 * Where a product is filed for lookup, read from its text without parsing it whole (VEX documents list
 * thousands of products, and most are never compared): type, namespace and name, lower-case, and `src:` for a
 * source package product. Only the products filed under one of `packageKeys(pkg)` can match that package
 * (productMatches decides). A text this does not read is parsed whole; undefined: not a purl (it names no package).
 */
export function productKeyOf(text: string): string | undefined {
  const key = quickKey(text);
  if (key !== undefined) return key;
  const p = productPurl(text);
  return p === undefined ? undefined : `${isSourceProduct(p) ? 'src:' : ''}${p.type.toLowerCase()}/${(p.namespace ?? '').toLowerCase()}/${keyName(p.type, p.name)}`;
}

function quickKey(text: string): string | undefined {
  const t = text.trim();
  if (t.length < 5 || t.slice(0, 4).toLowerCase() !== 'pkg:') return undefined;
  let from = 4;
  while (t.charCodeAt(from) === 0x2f) from++;
  const hash = t.indexOf('#', from);
  const end = hash < 0 ? t.length : hash;
  const q = t.indexOf('?', from);
  const pathEnd = q >= 0 && q < end ? q : end;
  const typeEnd = t.indexOf('/', from);
  if (typeEnd < 0 || typeEnd >= pathEnd) return undefined;
  const lastSlash = t.lastIndexOf('/', pathEnd - 1);
  const at = t.lastIndexOf('@', pathEnd - 1);
  const type = t.slice(from, typeEnd).toLowerCase();
  let namespace = lastSlash > typeEnd ? t.slice(typeEnd + 1, lastSlash) : '';
  let name = t.slice(lastSlash + 1, at > lastSlash ? at : pathEnd);
  try {
    if (namespace.includes('%')) namespace = decodeURIComponent(namespace);
    if (name.includes('%')) name = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  // Ubuntu's VEX writes a second qualifier after a second "?"
  const source = OS_ECOSYSTEM[type] !== undefined && pathEnd < end && /(?:^|[&?])arch=(?:src|source)(?:$|[&?])/i.test(t.slice(pathEnd + 1, end));
  return `${source ? 'src:' : ''}${type}/${namespace.toLowerCase()}/${keyName(type, name)}`;
}

/** The keys (productKeyOf) under which the products that can match package `b` (built from `source`) are filed. */
export function packageKeys(b: PackageURL, source?: SourcePackage): string[] {
  const at = `${b.type.toLowerCase()}/${(b.namespace ?? '').toLowerCase()}/`;
  const keys = [`${at}${keyName(b.type, b.name)}`];
  if (ownEntry(OS_ECOSYSTEM, b.type) !== undefined) keys.push(`src:${at}${keyName(b.type, sourceOf(b, source).name)}`);
  return keys;
}
