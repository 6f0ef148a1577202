/**
 * Cataloging: which packages an image holds, with provenance. `catalogers()` gives the analysers to
 * hand to the image runner (src/image/analysis/run.ts) together with anything else that reads the
 * image in the same pass; `catalogImage(analysis)` turns their results into `Package`s once the OS is
 * known (it decides Debian vs Ubuntu advisories, the purl namespace and the `distro` qualifier).
 */
import { issue, type Issue } from '../core/issue.js';
import { ownEntry } from '../core/lookup.js';
import type { Package } from '../core/package.js';
import type { Analyzer } from '../image/analysis/analyzer.js';
import type { ImageAnalysis } from '../image/analysis/run.js';
import type { Cataloger } from './cataloger.js';
import { osRelease, type OsInfo } from './os/index.js';
import { dependencyGraph, linkRecords, type LinkNode, type PackageDependencies } from './links.js';
import { CATALOGERS } from './registry.js';
import { DISTROS, packageMerger, toPackage } from './to-package.js';

export type { Cataloger } from './cataloger.js';
export type { OsInfo, OsDetection } from './os/index.js';
export { osRelease, detectOsFromFiles, parseOsRelease } from './os/index.js';
export { CATALOGERS } from './registry.js';
export { toPackage } from './to-package.js';
export { catalogDirectory, type DirectoryCatalog } from './directory.js';
export type { PackageDependencies } from './links.js';

/** The analysers cataloging needs: OS detection and every cataloger (or the ones named). */
export function catalogers(ids?: readonly string[]): Analyzer[] {
  const chosen = ids === undefined ? CATALOGERS : CATALOGERS.filter((c) => ids.includes(c.id));
  return [osRelease, ...chosen];
}

export interface CatalogResult {
  os: OsInfo | undefined;
  packages: Package[];
  /**
   * Package → package edges (indexes into `packages`), one entry per package whose database says what
   * it depends on; resolved within the image only, unresolved names kept (src/catalog/links.ts).
   */
  dependencies: PackageDependencies[];
  /** OS detection and cataloger issues (layer issues are in `analysis.issues`). */
  issues: Issue[];
}

/** Cataloging results of an analysis that ran `catalogers()`: OS, packages (deduplicated), issues. */
export function catalogImage(analysis: ImageAnalysis, list: readonly Cataloger[] = CATALOGERS): CatalogResult {
  const detection = analysis.of(osRelease);
  const os = detection.output?.os;
  const issues: Issue[] = [...detection.issues, ...(detection.output?.issues ?? [])];
  const merger = packageMerger();
  const graph = dependencyGraph();
  let osPackages = 0;
  for (const c of list) {
    const outcome = analysis.of(c);
    issues.push(...outcome.issues);
    const records = outcome.output?.records ?? [];
    const index = records.map((found) => {
      if (c.kind === 'os') osPackages++;
      return merger.add(toPackage(found, c.id, os), found);
    });
    if (c.link !== undefined) {
      const nodes: LinkNode[] = records.map((f) => ({ record: f.record, path: f.path }));
      for (const l of linkRecords(c.link, nodes)) graph.add(index[l.from] ?? -1, l.to.map((t) => index[t] ?? -1), l.unresolved);
    }
  }
  if (osPackages > 0 && (os === undefined || ownEntry(DISTROS, os.id) === undefined)) {
    issues.push(issue('catalog-distro-unsupported', os === undefined
      ? `${osPackages} OS packages found but the distribution is unknown (no os-release): they cannot be matched to distro advisories`
      : `${osPackages} OS packages found on ${os.id} ${os.release}, which has no advisory source in runwarden: they are listed but not matched`, os?.from[0], 'Distro advisories are per distribution and release; nothing else is guessed.'));
  }
  return { os, packages: merger.packages(), dependencies: graph.edges(), issues };
}
