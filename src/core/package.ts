/**
 * A software package found in an image, an SBOM or a purl list: the input of vulnerability matching.
 * Catalogers (dpkg, apk, rpm, npm, python, go, …) produce these; `vulndb/match` consumes them. Pure types
 * and helpers, no I/O.
 *
 * Matching needs, per kind of package:
 * - language packages: `ecosystem` (an OSV ecosystem name: npm, PyPI, Go, Maven, …), `name`, `version`;
 * - OS packages: also `distro` (which release's advisories apply) and `source` — Debian and Ubuntu advisories
 *   name the *source* package (`openssl` for the binary `libssl3`), Alpine's name the *origin* (`o:` in the
 *   installed DB). Without `source`, the binary name and version are used.
 */

/** Where a package was found: the layer that introduced it and the file that lists it. */
export interface PackageLocation {
  /** Layer blob digest (sha256:…), when the package came from an image. */
  layer?: string | undefined;
  /** Path inside the image or the SBOM/purl file it was read from. */
  path: string;
}

export interface Distro {
  /** os-release ID: `debian`, `ubuntu`, `alpine`, `rhel`, … */
  id: string;
  /** os-release VERSION_ID as found: `12`, `12.4`, `22.04`, `3.18.4`. Matching reduces it to the release key. */
  release: string;
  /** VERSION_CODENAME when known: `bookworm`, `jammy`. */
  codename?: string | undefined;
}

export interface Package {
  /** OSV ecosystem name without a release suffix: `npm`, `PyPI`, `Go`, `Debian`, `Alpine`, `Ubuntu`, … */
  ecosystem: string;
  /** Name as the ecosystem writes it (binary package name for OS packages). */
  name: string;
  /** Installed version, exactly as the package database records it (`1:1.2.13.dfsg-1`, `3.1.0-r4`, `4.17.15`). */
  version: string;
  /** Package URL (https://github.com/package-url/purl-spec), when known. */
  purl?: string | undefined;
  /** OS packages: the distribution release the package belongs to. */
  distro?: Distro | undefined;
  /** OS packages: Debian/Ubuntu source package (and its version, which may differ from a binNMU'd binary), Alpine origin. */
  source?: { name: string; version?: string | undefined } | undefined;
  /** Cataloger (or input reader) that produced it: `dpkg`, `apk`, `cyclonedx`, `purl-list`, … */
  foundBy?: string | undefined;
  locations?: PackageLocation[] | undefined;
  /** Licences as SPDX ids where known (`MIT`, `GPL-2.0-only`), else as the package declares them. */
  licenses?: string[] | undefined;
  /** CPU architecture the package was built for (`amd64`, `x86_64`, `noarch`), when the database records it. */
  arch?: string | undefined;
}

/** `pkg` for messages: `npm lodash@4.17.15`, `Debian 12 libssl3@3.0.9-1 (source openssl)`. */
export function packageLabel(pkg: Package): string {
  const distro = pkg.distro === undefined ? '' : ` ${pkg.distro.release}`;
  const source = pkg.source !== undefined && pkg.source.name !== pkg.name ? ` (source ${pkg.source.name})` : '';
  return `${pkg.ecosystem}${distro} ${pkg.name}@${pkg.version}${source}`;
}
