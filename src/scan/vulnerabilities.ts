/**
 * Vulnerabilities of the images that run, from SBOMs attached to them (PRODUCT.md C3: "import SBOMs
 * attached to images … and use them when present"), matched against the local advisory database.
 *
 * An SBOM directory holds one CycloneDX or SPDX JSON file per image, named after the image's
 * manifest digest the way OCI's referrers tag schema names it: `sha256-<hex>.cdx.json` or
 * `sha256-<hex>.spdx.json`. Each running container whose repo digest has an SBOM is matched once per
 * workload container; the findings say which container of which workload runs the package.
 * (Reading packages straight out of the image layers comes with the catalogers; it will feed the
 * same `packagesByDigest` map.)
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import type { Finding, Subject } from '../core/finding.js';
import { formatImageReference } from '../core/image-ref.js';
import type { Inventory } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import type { Package } from '../core/package.js';
import { readPackageInput } from '../vulndb/inputs/index.js';
import { matchPackages } from '../vulndb/match/index.js';
import type { Db } from '../vulndb/store/index.js';

const SBOM_FILE = /^(sha256)-([a-f0-9]{64})\.(cdx|spdx)\.json$/;

export interface ImagePackages {
  packages: Package[];
  /** Where they came from (the SBOM file). */
  origin: string;
}

/** Read every `sha256-<hex>.{cdx,spdx}.json` of a directory: digest → packages. Bad files become issues. */
export async function readSbomDir(dir: string): Promise<{ byDigest: Map<string, ImagePackages>; issues: Issue[] }> {
  const byDigest = new Map<string, ImagePackages>();
  const issues: Issue[] = [];
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (error) {
    issues.push(issue('sbom-dir', `Cannot read the SBOM directory "${dir}": ${errorMessage(error)}`, dir, 'Pass a directory of sha256-<hex>.cdx.json / .spdx.json files with --sbom-dir.'));
    return { byDigest, issues };
  }
  for (const name of names) {
    const m = SBOM_FILE.exec(name);
    if (m === null) {
      if (name.endsWith('.json')) issues.push(issue('sbom-name', `Ignored ${join(dir, name)}: SBOM files are named after the image digest, e.g. sha256-<64 hex>.cdx.json`, join(dir, name)));
      continue;
    }
    const file = join(dir, name);
    try {
      const input = await readPackageInput(file);
      byDigest.set(`${m[1]}:${m[2]}`, { packages: input.packages, origin: file });
      issues.push(...input.issues);
    } catch (error) {
      issues.push(issue('sbom-read', `Cannot read SBOM ${file}: ${errorMessage(error)}`, file));
    }
  }
  return { byDigest, issues };
}

/** Match the packages of every running image with a known package list. Pure apart from DB reads. */
export function vulnerabilityFindings(inventory: Inventory, db: Db, packagesByDigest: ReadonlyMap<string, ImagePackages>): { findings: Finding[]; issues: Issue[] } {
  const findings: Finding[] = [];
  const issues: Issue[] = [];
  const done = new Set<string>();
  for (const pod of inventory.pods) {
    for (const c of pod.containers) {
      if (c.running?.kind !== 'repo-digest') continue;
      const image = packagesByDigest.get(c.running.digest);
      if (image === undefined) continue;
      const key = `${pod.namespace}\0${pod.workload.kind}\0${pod.workload.name}\0${c.name}\0${c.running.digest}`;
      if (done.has(key)) continue;
      done.add(key);
      const subject: Subject = {
        type: 'container',
        namespace: pod.namespace,
        workload: { kind: pod.workload.kind, name: pod.workload.name },
        container: c.name,
        image: c.ref === undefined ? c.image : formatImageReference(c.ref),
      };
      const result = matchPackages(db, image.packages, { subject });
      for (const f of result.findings) {
        f.evidence.imageDigest = c.running.digest;
        f.evidence.packagesFrom = image.origin;
        findings.push(f);
      }
      issues.push(...result.issues);
    }
  }
  return { findings, issues };
}
