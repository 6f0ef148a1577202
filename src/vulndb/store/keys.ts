/**
 * How advisories and packages meet in the index: (ecosystem, name key, release key). Both sides go through
 * these functions, so an OSV record's "Alpine:v3.18" and an image's os-release "3.18.4" land on the same
 * row, and a PyPI record's "PyYAML" and a wheel's "pyyaml" too. Pure; no I/O.
 */
import { ownEntry } from '../../core/lookup.js';

/**
 * Ecosystems whose advisories are per distribution release (the OSV ":<RELEASE>" suffix selects which
 * release's packages are meant). For every other ecosystem the suffix is a registry or product qualifier
 * (`Maven:https://maven.google.com`) that does not scope matching.
 */
export const RELEASE_SCOPED = new Set([
  'Debian', 'Ubuntu', 'Alpine', 'AlmaLinux', 'Rocky Linux', 'Red Hat', 'SUSE', 'openSUSE', 'Mageia', 'Photon OS', 'openEuler', 'Azure Linux',
  'Mariner', 'Alpaquita', 'BellSoft Hardened Containers', 'TuxCare', 'Echo',
]);

/**
 * Release-scoped ecosystems whose OSV records name the major release only ("AlmaLinux:9", "Rocky Linux:8",
 * "Azure Linux:3"), while an image's os-release says "9.4", "8.10", "3.0": both sides are keyed by the major
 * number, or a Rocky 8.10 image would meet none of the advisories of its release. Red Hat's images too; its
 * advisories' key is the major release of a main stream (RED_HAT_MAIN_STREAM).
 */
export const MAJOR_RELEASE_ONLY = new Set(['AlmaLinux', 'Rocky Linux', 'Azure Linux', 'Red Hat']);

/**
 * Red Hat's advisories name a product stream by CPE ("Red Hat:enterprise_linux:9::appstream", "…:9::baseos",
 * "Red Hat:rhel_eus:9.2::baseos"). An image says only its release (UBI 9.4's os-release: "9.4"), not which
 * repositories its packages came from, so it is matched against the main streams of its major release
 * (enterprise_linux:9, every repository), which is what a UBI image tracks; the extended-support streams
 * (rhel_eus, rhel_aus, rhel_e4s, rhel_tus: fixes for an old minor release) and other products keep their own key.
 */
const RED_HAT_MAIN_STREAM = /^enterprise_linux:(\d+)(?:\.\d+)?::[a-z0-9_]+$/;

/**
 * openSUSE's advisories name the distribution as its os-release PRETTY_NAME does, without the vendor word
 * ("openSUSE:Leap 15.5", "openSUSE:Tumbleweed"); an image says VERSION_ID "15.5" (Leap) or a date (Tumbleweed),
 * a purl "opensuse-leap-15.5" (SUSE Linux Enterprise: suseRelease).
 */
function openSuseRelease(release: string): string | undefined {
  if (release === '') return undefined;
  if (/tumbleweed/i.test(release) || /^\d{8}$/.test(release)) return 'Tumbleweed';
  const m = /^(?:leap[- ])?(\d+\.\d+)$/i.exec(release);
  return m === null ? release : `Leap ${m[1] ?? ''}`;
}

/**
 * SUSE's advisories name the product of a service pack by marketing name ("SUSE:Linux Enterprise Server 15 SP5",
 * "…Server 15 SP4-LTSS"), and file base packages under the module that ships them ("…Module for Basesystem 15
 * SP7"); an SLES or SLE BCI image says VERSION_ID "15.5" and not which module a package came from. Every
 * "Linux Enterprise … <N> SP<n>" product, LTSS included, is one code base keyed "<N>.<n>" ("<N>" without a service
 * pack), as the image's release is; other SUSE products (Micro, Manager, suffixes other than -LTSS) keep their name.
 */
const SUSE_SERVICE_PACK = /^(?:SUSE )?Linux Enterprise (?!Micro )[A-Za-z0-9 -]*? (\d+)(?: SP(\d+))?(?:-LTSS)?$/;

function suseRelease(release: string): string {
  const m = SUSE_SERVICE_PACK.exec(release) ?? /^(\d+)(?:[.-](?:SP)?(\d+))?$/i.exec(release);
  if (m === null) return release;
  return m[2] === undefined || m[2] === '0' ? (m[1] ?? release) : `${m[1] ?? ''}.${m[2]}`;
}

/** "9.4" → "9"; a release that does not start with a number stays as it is. */
function majorOf(release: string): string {
  const m = /^(\d+)(?:\.\d+)*$/.exec(release);
  return m?.[1] ?? release;
}

/** The order release keys are listed in: by version where they are numbers ("8" before "10"), else as text. */
export function byRelease(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Debian codenames → release numbers (debian.csv of distro-info-data); `sid` stays `sid`. */
export const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  buzz: '1.1', rex: '1.2', bo: '1.3', hamm: '2.0', slink: '2.1', potato: '2.2', woody: '3.0', sarge: '3.1', etch: '4.0', lenny: '5.0',
  squeeze: '6.0', wheezy: '7', jessie: '8', stretch: '9', buster: '10', bullseye: '11', bookworm: '12', trixie: '13', forky: '14', duke: '15',
  sid: 'sid', unstable: 'sid',
};

/** Split an OSV ecosystem string into its name and suffix: "Ubuntu:Pro:22.04:LTS" → ["Ubuntu", "Pro:22.04:LTS"]. */
export function splitEcosystem(value: string): { ecosystem: string; suffix: string } {
  const colon = value.indexOf(':');
  return colon < 0 ? { ecosystem: value, suffix: '' } : { ecosystem: value.slice(0, colon), suffix: value.slice(colon + 1) };
}

/** The release key of an advisory's ecosystem suffix ("" when the ecosystem is not release-scoped). */
export function advisoryReleaseKey(ecosystem: string, suffix: string): string {
  if (!RELEASE_SCOPED.has(ecosystem) || suffix === '') return '';
  if (ecosystem === 'Ubuntu') return suffix.replace(/:LTS$/, '');
  if (ecosystem === 'Debian') return ownEntry(DEBIAN_CODENAMES, suffix) ?? suffix;
  if (ecosystem === 'Red Hat') return RED_HAT_MAIN_STREAM.exec(suffix)?.[1] ?? suffix;
  if (ecosystem === 'SUSE') return suseRelease(suffix);
  if (MAJOR_RELEASE_ONLY.has(ecosystem)) return majorOf(suffix);
  return suffix;
}

/**
 * SUSE's immutable host OS names its product apart from the service packs of SUSE Linux Enterprise, and its
 * advisories say so ("SUSE:Linux Enterprise Micro 5.5", "SUSE:Linux Micro 6.0"; suseRelease leaves them as they
 * are): by os-release ID, the product name its release is keyed under.
 */
const SUSE_MICRO: Readonly<Record<string, string>> = { 'sle-micro': 'Linux Enterprise Micro', 'sl-micro': 'Linux Micro' };

/**
 * The release key of an installed package's distro: Debian "12.4"/"bookworm" → "12", Ubuntu "22.04" →
 * "22.04", Alpine "3.18.4" → "v3.18", Rocky Linux "8.10" → "8". undefined when the release cannot be read.
 * `id`: the os-release ID (or a purl's `distro` id), which tells SUSE's products apart.
 */
export function packageReleaseKey(ecosystem: string, release: string, codename?: string, id?: string): string | undefined {
  const r = release.trim();
  if (ecosystem === 'Debian') {
    if (/^\d+(\.\d+)*$/.test(r)) return r.split('.')[0];
    const byName = ownEntry(DEBIAN_CODENAMES, (codename ?? r).toLowerCase());
    return byName;
  }
  if (ecosystem === 'Ubuntu') {
    const m = /^(\d{2}\.\d{2})/.exec(r);
    return m?.[1];
  }
  if (ecosystem === 'Alpine') {
    if (r === 'edge') return 'edge';
    const m = /^v?(\d+)\.(\d+)/.exec(r);
    return m === null ? undefined : `v${m[1]}.${m[2]}`;
  }
  if (ecosystem === 'openSUSE') return openSuseRelease(r);
  if (ecosystem === 'SUSE') {
    if (r === '') return undefined;
    const micro = id === undefined ? undefined : ownEntry(SUSE_MICRO, id.toLowerCase());
    return micro === undefined ? suseRelease(r) : `${micro} ${r}`;
  }
  if (MAJOR_RELEASE_ONLY.has(ecosystem)) return r === '' ? undefined : majorOf(r);
  return r === '' ? undefined : r;
}

/** PEP 503 normalisation for PyPI names; every other ecosystem compares names exactly. */
export function nameKey(ecosystem: string, name: string): string {
  if (ecosystem === 'PyPI') return name.toLowerCase().replace(/[-_.]+/g, '-');
  return name;
}
