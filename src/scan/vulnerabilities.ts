/**
 * SBOMs of the images that run (PRODUCT.md C3: "import SBOMs attached to images … and use them when
 * present"), from a directory: one CycloneDX or SPDX JSON file per image, named after the image's
 * manifest digest the way OCI's referrers tag schema names it: `sha256-<hex>.cdx.json` or
 * `sha256-<hex>.spdx.json`. The running-image scan (images/running.ts) uses an SBOM's packages instead
 * of reading the image for that digest, so one image is never reported twice.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { issue, type Issue } from '../core/issue.js';
import { matchingIssues, readPackageInput } from '../vulndb/inputs/index.js';
import type { ImagePackages } from './images/contributor.js';

const SBOM_FILE = /^(sha256)-([a-f0-9]{64})\.(cdx|spdx)\.json$/;

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
      byDigest.set(`${m[1]}:${m[2]}`, { packages: input.packages, kind: 'sbom', origin: file });
      issues.push(...input.issues, ...matchingIssues(input, file));
    } catch (error) {
      issues.push(issue('sbom-read', `Cannot read SBOM ${file}: ${errorMessage(error)}`, file));
    }
  }
  return { byDigest, issues };
}
