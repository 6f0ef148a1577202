/**
 * A cataloged record → `Package`: the OS decides the ecosystem of OS packages (Debian vs Ubuntu),
 * the purl namespace and the `distro` qualifier (purl-spec PURL-TYPES: deb, apk, rpm).
 */
import { PackageURL } from 'packageurl-js';
import { ownEntry } from '../core/lookup.js';
import type { Distro, Package } from '../core/package.js';
import type { FoundRecord } from './cataloger.js';
import type { OsInfo } from './os/index.js';
import type { PackageRecord, PurlType } from './schema.js';

/**
 * OS id → the OSV ecosystem of its advisories and the purl namespace. A distribution not listed has no
 * advisory source in runwarden: its OS packages are listed without a `distro`, and an issue says so.
 */
export const DISTROS: Record<string, { ecosystem: string; namespace: string }> = {
  debian: { ecosystem: 'Debian', namespace: 'debian' },
  ubuntu: { ecosystem: 'Ubuntu', namespace: 'ubuntu' },
  alpine: { ecosystem: 'Alpine', namespace: 'alpine' },
  wolfi: { ecosystem: 'Wolfi', namespace: 'wolfi' },
  chainguard: { ecosystem: 'Chainguard', namespace: 'chainguard' },
  rhel: { ecosystem: 'Red Hat', namespace: 'redhat' },
  almalinux: { ecosystem: 'AlmaLinux', namespace: 'almalinux' },
  rocky: { ecosystem: 'Rocky Linux', namespace: 'rocky' },
  // SUSE Linux Enterprise: SLES and its BCI images, and the same code base as SLES for SAP, HPC and Desktop
  // (advisories keyed by service pack: vulndb/store/keys.ts); SLE Micro and SL Micro are products of their own
  sles: { ecosystem: 'SUSE', namespace: 'suse' },
  sles_sap: { ecosystem: 'SUSE', namespace: 'suse' },
  sle_hpc: { ecosystem: 'SUSE', namespace: 'suse' },
  sled: { ecosystem: 'SUSE', namespace: 'suse' },
  'sle-micro': { ecosystem: 'SUSE', namespace: 'suse' },
  'sl-micro': { ecosystem: 'SUSE', namespace: 'suse' },
  'opensuse-leap': { ecosystem: 'openSUSE', namespace: 'opensuse' },
  'opensuse-tumbleweed': { ecosystem: 'openSUSE', namespace: 'opensuse' },
  mariner: { ecosystem: 'Mariner', namespace: 'mariner' },
  azurelinux: { ecosystem: 'Azure Linux', namespace: 'azurelinux' },
  photon: { ecosystem: 'Photon OS', namespace: 'photon' },
  openeuler: { ecosystem: 'openEuler', namespace: 'openeuler' },
};

/** What an OS package type means when the OS is unknown or has no advisory source. */
const TYPE_DEFAULT: Partial<Record<PurlType, { ecosystem: string; namespace: string }>> = {
  deb: { ecosystem: 'Debian', namespace: 'debian' },
  apk: { ecosystem: 'Alpine', namespace: 'alpine' },
  rpm: { ecosystem: 'Red Hat', namespace: 'redhat' },
};

/** The distro a package type belongs to on this OS (a deb on Alpine is not an Alpine package). */
function distroFor(type: PurlType, os: OsInfo | undefined): { ecosystem: string; namespace: string; distro?: Distro } | undefined {
  const fallback = TYPE_DEFAULT[type];
  if (fallback === undefined) return undefined;
  // own keys only: an image's os-release ID is its author's text (`constructor` is no distribution)
  const known = os === undefined ? undefined : ownEntry(DISTROS, os.id);
  if (os === undefined || known === undefined || TYPE_DEFAULT[type]?.ecosystem !== defaultFamily(os)) return fallback;
  const distro: Distro = { id: os.id, release: os.release === '' ? (os.codename ?? '') : os.release };
  if (os.codename !== undefined) distro.codename = os.codename;
  return { ...known, distro };
}

function defaultFamily(os: OsInfo): string | undefined {
  const ids = [os.id, ...os.idLike];
  if (ids.some((i) => i === 'debian' || i === 'ubuntu')) return 'Debian';
  if (ids.some((i) => i === 'alpine' || i === 'wolfi' || i === 'chainguard')) return 'Alpine';
  if (ids.some((i) => ['rhel', 'fedora', 'centos', 'suse', 'opensuse', 'mariner', 'azurelinux', 'photon', 'openeuler', 'almalinux', 'rocky'].includes(i) || ownEntry(DISTROS, i)?.ecosystem === 'SUSE')) return 'Red Hat';
  return undefined;
}

function purlOf(r: PackageRecord, namespace: string | undefined, distro: Distro | undefined): string | undefined {
  const q: Record<string, string> = {};
  if (r.arch !== undefined) q.arch = r.arch;
  if (r.type === 'rpm' && r.epoch !== undefined) q.epoch = String(r.epoch);
  if (distro !== undefined) q.distro = `${distro.id}-${distro.release}`;
  if (r.qualifiers !== undefined) Object.assign(q, r.qualifiers);
  try {
    // Package names are whole (`@babel/core`, `github.com/x/y`, `org.group:artifact`); the purl splits off the namespace.
    const name = r.namespace !== undefined && (r.name.startsWith(`${r.namespace}/`) || r.name.startsWith(`${r.namespace}:`)) ? r.name.slice(r.namespace.length + 1) : r.name;
    // rpm: the epoch is a qualifier, the version is version-release (purl-spec PURL-TYPES "rpm").
    const version = r.type === 'rpm' ? r.version.replace(/^\d+:/, '') : r.version;
    return new PackageURL(r.type, namespace ?? r.namespace, name, version, Object.keys(q).length > 0 ? q : undefined).toString();
  } catch {
    return undefined;
  }
}

/** One record found in the image → a Package for matching and SBOMs. */
export function toPackage(found: FoundRecord, foundBy: string, os: OsInfo | undefined): Package {
  const r = found.record;
  const os_ = distroFor(r.type, os);
  const pkg: Package = {
    ecosystem: r.ecosystem ?? os_?.ecosystem ?? r.type,
    name: r.name,
    version: r.version,
    foundBy,
    locations: [{ layer: found.layer.digest, path: r.inner === undefined ? `/${found.path}` : `/${found.path}!${r.inner}` }],
  };
  const purl = purlOf(r, os_?.namespace, os_?.distro);
  if (purl !== undefined) pkg.purl = purl;
  if (os_?.distro !== undefined) pkg.distro = os_.distro;
  if (r.source !== undefined) pkg.source = r.source;
  if (r.licenses !== undefined) pkg.licenses = r.licenses;
  if (r.arch !== undefined) pkg.arch = r.arch;
  return pkg;
}


/**
 * Where two records of the same package are the same install: an npm app is its folder (its lock file
 * and its node_modules list the same packages); anything else is the file it was read from.
 */
function groupOf(found: FoundRecord): string {
  const path = `/${found.path}`;
  if (found.record.type !== 'npm') return path;
  const nm = path.indexOf('/node_modules/');
  return nm !== -1 ? path.slice(0, nm) : path.slice(0, path.lastIndexOf('/'));
}

/** Collects packages, merging the same package listed twice in one install (node_modules and the app's lock file) into one with both locations. `add` returns the package's index. */
export function packageMerger(): { add(pkg: Package, found: FoundRecord): number; packages(): Package[] } {
  const byKey = new Map<string, number>();
  const list: Package[] = [];
  return {
    add(pkg, found) {
      const k = [pkg.ecosystem, pkg.name, pkg.version, pkg.arch ?? '', groupOf(found)].join('\u0000');
      const at = byKey.get(k);
      const seen = at === undefined ? undefined : list[at];
      if (at === undefined || seen === undefined) {
        byKey.set(k, list.length);
        list.push(pkg);
        return list.length - 1;
      }
      seen.locations = [...(seen.locations ?? []), ...(pkg.locations ?? [])];
      // A lock file may not record the licence its package.json declares.
      if (seen.licenses === undefined && pkg.licenses !== undefined) seen.licenses = pkg.licenses;
      return at;
    },
    packages: () => list,
  };
}
