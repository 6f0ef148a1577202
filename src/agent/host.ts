/**
 * The node's own OS packages (PRODUCT.md C8: "node OS package CVEs where the agent can read the host's package
 * DB"): the agent reads the host's os-release and package databases under `--host-root` (read-only hostPath
 * mounts of just those paths: deploy/node-agent/optional/host-packages-dpkg.yaml, -rpm.yaml), with the image
 * catalogers (dpkg, apk, rpm), and publishes one purl per package in its node report; the cluster scan matches
 * them against its vulnerability database (scan/host-packages.ts). Nothing else of the host is read.
 */
import { PackageURL } from 'packageurl-js';
import { catalogDirectory } from '../catalog/directory.js';
import { OS_FILES } from '../catalog/os/index.js';
import { CATALOGERS } from '../catalog/registry.js';
import type { Subject } from '../core/finding.js';
import { issue, type Issue } from '../core/issue.js';
import type { Package } from '../core/package.js';
import { packageFromPurl, purlOf } from '../vulndb/inputs/purl.js';
import { MAX_HOST_PACKAGES, type NodeReport, type NodeReportHost } from './schema.js';

/**
 * Where hosts keep their package databases, relative to the host's root: Debian and Ubuntu (dpkg), Alpine (apk),
 * the RPM family (`var/lib/rpm`, and `usr/lib/sysimage/rpm` where RHEL 9, Fedora, SUSE and Azure Linux keep it).
 */
const HOST_DATABASES = ['var/lib/dpkg/status', 'lib/apk/db/installed', 'var/lib/rpm', 'usr/lib/sysimage/rpm'] as const;
/** What the agent reads of a host: the OS release files the catalogers read (catalog/os OS_FILES) and the databases. Only these. */
export const HOST_PACKAGE_PATHS: readonly string[] = [...OS_FILES, ...HOST_DATABASES];

/** The OS catalogers: a node's language packages are not what the node runs for its pods. */
const OS_CATALOGERS = CATALOGERS.filter((c) => c.id === 'dpkg' || c.id === 'apk' || c.id === 'rpm');

/**
 * The package's purl as matching reads it back (vulndb/inputs/purl.ts packageFromPurl): its `distro`, and its source
 * package as `upstream` (`openssl`, or `openssl@1.1.1w-0+deb11u1` when the versions differ) so a binary package is
 * matched on its source as in an image; `arch` and the rest left out (the node report is bounded).
 */
function hostPurl(pkg: Package): string | undefined {
  const text = pkg.purl ?? purlOf(pkg);
  if (text === undefined) return undefined;
  try {
    const purl = PackageURL.fromString(text);
    const qualifiers: Record<string, string> = {};
    const distro = purl.qualifiers?.['distro'];
    if (distro !== undefined) qualifiers['distro'] = distro;
    const source = pkg.source;
    if (source !== undefined && source.name !== '' && (source.name !== pkg.name || (source.version !== undefined && source.version !== pkg.version))) {
      qualifiers['upstream'] = source.version === undefined || source.version === pkg.version ? source.name : `${source.name}@${source.version}`;
    }
    return new PackageURL(purl.type, purl.namespace, purl.name, purl.version, Object.keys(qualifiers).length === 0 ? undefined : qualifiers, undefined).toString();
  } catch {
    return undefined;
  }
}

/** Read the host's packages under `root` (the `--host-root` mount). Issues say what could not be read. */
export async function readHostPackages(root: string, signal?: AbortSignal): Promise<{ host: NodeReportHost; issues: Issue[] }> {
  const result = await catalogDirectory(root, OS_CATALOGERS, { signal, paths: HOST_PACKAGE_PATHS });
  const issues = [...result.issues];
  const purls = [...new Set(result.packages.map(hostPurl).filter((p): p is string => p !== undefined))].sort();
  const databases = [...new Set(result.packages.flatMap((p) => (p.locations ?? []).map((l) => l.path)))].sort();
  if (result.os === undefined) issues.push(issue('host-os-unknown', `No os-release under ${root}: the host's packages cannot be matched to a distribution release`, root, 'Mount the host\'s /etc/os-release (or /usr/lib/os-release) read-only under --host-root.'));
  if (databases.length === 0) issues.push(issue('host-packages-none', `No package database under ${root} (${HOST_DATABASES.join(', ')})`, root, 'Mount the host\'s package database read-only under --host-root (deploy/node-agent/optional/host-packages-dpkg.yaml or -rpm.yaml); image-based OSes (Bottlerocket, COS, Talos) have none.'));
  const listed = purls.slice(0, MAX_HOST_PACKAGES);
  return {
    host: {
      os: result.os === undefined ? null : { id: result.os.id, versionId: result.os.release === '' ? null : result.os.release, prettyName: result.os.prettyName ?? null },
      purls: listed,
      purlsOmitted: purls.length - listed.length,
      databases,
    },
    issues,
  };
}

/** The host packages of a node report as packages to match (each with its purl); unreadable purls are issues. */
export function hostPackagesOf(report: NodeReport, where: string): { packages: Package[]; issues: Issue[] } {
  const packages: Package[] = [];
  const issues: Issue[] = [];
  const host = report.host;
  if (host === undefined) return { packages, issues };
  for (const purl of host.purls) {
    const read = packageFromPurl(purl, undefined, 'node-agent');
    // no location: the findings' subject names the node (and nodes with the same packages share their match)
    if (read.ok) packages.push({ ...read.pkg, purl });
    else issues.push(issue('host-package-invalid', `Node ${report.node}: host package "${purl}" cannot be read: ${read.error}`, where));
  }
  if (host.purlsOmitted > 0) {
    issues.push(issue('host-packages-omitted', `Node ${report.node}: ${host.purlsOmitted} of its ${host.purls.length + host.purlsOmitted} host packages were not published (the node report's size cap), so they were not checked for vulnerabilities`, where, 'Run runwarden scan on the node itself (image scan of its root) for the full list.'));
  }
  return { packages, issues };
}

/** What the host findings of a node are about. */
export function hostSubject(node: string): Subject {
  return { type: 'node', node };
}
