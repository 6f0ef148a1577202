/**
 * Package URLs → matcher packages (purl spec: https://github.com/package-url/purl-spec, PURL-TYPES.rst).
 * The purl type names the ecosystem; for OS packages the namespace names the distro, the `distro`
 * qualifier its release (`debian-12`, `alpine-3.18.4`), `epoch` the Debian/RPM epoch, and Syft's
 * `upstream` qualifier the source package (`openssl` or `openssl@3.0.9-1`).
 */
import { PackageURL } from 'packageurl-js';
import { parseSourceRpm } from '../../catalog/catalogers/rpm/index.js';
import { errorMessage } from '../../core/errors.js';
import type { Distro, Package } from '../../core/package.js';
import { nameKey } from '../store/keys.js';

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
  const os = OS_ECOSYSTEM[p.type];
  if (os !== undefined) {
    const ecosystem = os[(p.namespace ?? '').toLowerCase()];
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
  const ecosystem = TYPE_ECOSYSTEM[p.type];
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

/**
 * Whether a VEX product purl names `pkgPurl`: same type, namespace and name, the same version when it gives one,
 * and the qualifiers it gives (with or without a version: `pkg:deb/debian/openssl?distro=debian-11` is not
 * bookworm's openssl).
 */
export function purlMatches(productPurl: string, pkgPurl: string): boolean {
  let a: PackageURL;
  let b: PackageURL;
  try {
    a = PackageURL.fromString(productPurl.trim());
    b = PackageURL.fromString(pkgPurl.trim());
  } catch {
    return false;
  }
  // PyPI names compare PEP 503-normalised, as the matcher looks them up (`zope.interface` is `zope-interface`)
  const name = (p: PackageURL): string => (p.type === 'pypi' ? nameKey('PyPI', p.name) : p.name);
  if (a.type !== b.type || (a.namespace ?? '').toLowerCase() !== (b.namespace ?? '').toLowerCase() || name(a) !== name(b)) return false;
  if (a.version !== undefined && a.version !== null && a.version !== '' && a.version !== b.version) return false;
  // Qualifiers the product names must agree (arch, distro); others the package carries do not matter.
  const qa = (a.qualifiers ?? {}) as Record<string, string>;
  const qb = (b.qualifiers ?? {}) as Record<string, string>;
  return Object.entries(qa).every(([k, v]) => qb[k] === undefined || qb[k] === v);
}
