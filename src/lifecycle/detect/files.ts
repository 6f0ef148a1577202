/**
 * Runtimes and servers from well-known paths and binaries (`runtime-files.ts`, read in the single
 * layer pass): `/usr/local/bin/node` with its `node.js/v20.11.1` marker, `/opt/java/openjdk/release`,
 * `/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.1/`, … Files of one product and cycle become
 * one detection; the version read from content wins over a version read from a path (`3.12.1` from
 * patchlevel.h over `3.12` from the binary's name), and path-only evidence is listed only when no
 * content said more. A file that names a product without a readable version is an issue only when no
 * other detector found that product; a JDK from a vendor the data does not track is an issue.
 */
import { issue, type Issue } from '../../core/issue.js';
import { findCycle } from '../data/cycles.js';
import { detection } from './common.js';
import type { Detection, Detector, DetectorResult, RuntimeFileFacts } from './types.js';

const fromContent = (f: RuntimeFileFacts): boolean => !f.marker.startsWith('path');

export const filesDetector: Detector = {
  id: 'file',
  detect(facts, data): DetectorResult {
    const issues: Issue[] = [];
    const unversioned: NonNullable<DetectorResult['unversioned']> = [];
    const groups = new Map<string, RuntimeFileFacts[]>();
    for (const f of facts.files ?? []) {
      if (f.untracked !== undefined) {
        issues.push(issue('lifecycle-untracked-product', `/${f.path}: ${f.untracked} is not in the lifecycle data (${f.marker}); its end of life is not checked`, `/${f.path}`, 'endoflife.date tracks Temurin, Corretto, the Microsoft and Red Hat builds of OpenJDK; check this vendor\'s support dates yourself.'));
        continue;
      }
      if (f.product === undefined) continue;
      if (f.version === undefined) {
        unversioned.push({ product: f.product, issue: issue('lifecycle-file-no-version', `/${f.path} looks like ${data.products.get(f.product)?.title ?? f.product}, but its version could not be read (${f.marker}); its end of life is not checked`, `/${f.path}`, 'Record the version in the image (an env variable such as NODE_VERSION, or a package) or install it from a package.') });
        continue;
      }
      const p = data.products.get(f.product);
      const cycle = p === undefined ? undefined : findCycle(p, f.version)?.cycle;
      const key = `${f.product}\0${cycle ?? `?${f.version}`}`;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    const detections: Detection[] = [];
    for (const files of groups.values()) {
      const content = files.filter(fromContent);
      const shown = content.length > 0 ? content : files;
      // The most precise version text: from content first, then the longest.
      const best = [...shown].sort((a, b) => (b.version?.length ?? 0) - (a.version?.length ?? 0))[0];
      if (best?.product === undefined || best.version === undefined) continue;
      const r = detection(data, best.product, best.version, 'file', `file /${best.path} (${best.marker})`);
      if (r.issue !== undefined) issues.push(r.issue);
      if (r.detection === undefined) continue;
      for (const f of shown) if (f !== best) r.detection.how.push({ method: 'file', evidence: `file /${f.path} (${f.marker})` });
      detections.push(r.detection);
    }
    return { detections, issues, unversioned };
  },
};
