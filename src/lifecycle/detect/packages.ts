/**
 * Runtimes and servers from the cataloged packages: a package whose purl (without version and
 * qualifiers) is one of a product's endoflife.date identifiers (`pkg:deb/debian/nginx`,
 * `pkg:nuget/Microsoft.NETCore.App`, `pkg:deb/ubuntu/python3.12`), plus the few well-known packages
 * the data does not list (Go's standard library from binaries' build info, Node.js and Python as
 * distributions package them). Distribution packages are versioned upstream (`1:1.22.1-9` → `1.22.1`).
 * A distribution may keep patching a runtime after upstream's end of life; the evidence says
 * "distribution package" so a reader can weigh that.
 */
import type { Issue } from '../../core/issue.js';
import type { Package } from '../../core/package.js';
import type { LifecycleData } from '../data/schema.js';
import { detection, upstreamVersion } from './common.js';
import type { Detection, Detector } from './types.js';

/** Package identities (purl without version) the data does not list → product. */
export const EXTRA_PACKAGES: Readonly<Record<string, string>> = {
  'pkg:golang/stdlib': 'go',
  'pkg:deb/debian/nodejs': 'nodejs',
  'pkg:deb/ubuntu/nodejs': 'nodejs',
  'pkg:apk/alpine/nodejs': 'nodejs',
  'pkg:apk/alpine/nodejs-current': 'nodejs',
  'pkg:apk/alpine/python3': 'python',
  'pkg:apk/alpine/redis': 'redis',
  'pkg:apk/alpine/postgresql': 'postgresql',
  'pkg:apk/alpine/ruby': 'ruby',
  'pkg:rpm/redhat/nginx': 'nginx',
};

const OS_TYPES = new Set(['deb', 'apk', 'rpm']);

/** `pkg:deb/debian/nginx@1.22.1-9?arch=amd64` → `pkg:deb/debian/nginx` (lower-cased except nuget/golang paths). */
export function purlIdentity(purl: string): string | undefined {
  const m = /^pkg:([a-z0-9.+-]+)\/([^@?#]+)/i.exec(purl);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  const type = m[1].toLowerCase();
  const path = decodeURIComponent(m[2]);
  return `pkg:${type}/${type === 'nuget' || type === 'golang' || type === 'maven' ? path : path.toLowerCase()}`;
}

const INDEX = new WeakMap<LifecycleData, Map<string, string>>();

function packageIndex(data: LifecycleData): Map<string, string> {
  let index = INDEX.get(data);
  if (index === undefined) {
    index = new Map(Object.entries(EXTRA_PACKAGES));
    for (const p of data.products.values()) {
      for (const purl of p.purls) {
        if (purl.startsWith('pkg:docker/') || purl.startsWith('pkg:oci/') || purl.startsWith('pkg:github/')) continue;
        const id = purlIdentity(purl);
        if (id !== undefined && !index.has(id)) index.set(id, p.name);
      }
    }
    INDEX.set(data, index);
  }
  return index;
}

function identityOf(pkg: Package): string | undefined {
  if (pkg.purl !== undefined) return purlIdentity(pkg.purl);
  if (pkg.ecosystem === 'Go' && pkg.name === 'stdlib') return 'pkg:golang/stdlib';
  return undefined;
}

export const packagesDetector: Detector = {
  id: 'package',
  detect(facts, data) {
    const detections: Detection[] = [];
    const issues: Issue[] = [];
    const index = packageIndex(data);
    for (const pkg of facts.packages ?? []) {
      const id = identityOf(pkg);
      const product = id === undefined ? undefined : index.get(id);
      if (id === undefined || product === undefined) continue;
      const type = id.slice(4, id.indexOf('/'));
      const os = OS_TYPES.has(type);
      const version = os ? upstreamVersion(pkg.version) : pkg.version.replace(/^v/, '');
      const where = pkg.locations?.[0]?.path;
      const evidence = `${os ? 'distribution package' : 'package'} ${pkg.name}@${pkg.version}${where === undefined ? '' : ` (${where})`}`;
      const r = detection(data, product, version, 'package', evidence);
      if (r.detection !== undefined) detections.push(r.detection);
      if (r.issue !== undefined) issues.push(r.issue);
    }
    return { detections, issues };
  },
};
