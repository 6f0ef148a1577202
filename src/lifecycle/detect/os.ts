/**
 * The distribution from os-release(5): `ID` → endoflife.date product, `VERSION_ID` (or the
 * codename) → cycle. UBI images say `ID=rhel`, so they are RHEL cycles. Distributions that
 * endoflife.date does not track (Azure Linux / CBL-Mariner, Wolfi, distroless' own name) become an
 * issue, never a guess.
 */
import { issue, type Issue } from '../../core/issue.js';
import { ownEntry } from '../../core/lookup.js';
import { detection } from './common.js';
import type { Detection, Detector } from './types.js';

/** os-release `ID` → endoflife.date product. */
export const OS_PRODUCTS: Readonly<Record<string, string>> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine-linux',
  rhel: 'rhel',
  centos: 'centos',
  rocky: 'rocky-linux',
  almalinux: 'almalinux',
  ol: 'oracle-linux',
  fedora: 'fedora',
  sles: 'sles',
  amzn: 'amazon-linux',
};

/** Distributions known to have no endoflife.date page (an issue explains; nothing is guessed). */
const UNTRACKED: Readonly<Record<string, string>> = {
  azurelinux: 'Azure Linux',
  mariner: 'CBL-Mariner',
  wolfi: 'Wolfi (rolling, no releases)',
  chainguard: 'Chainguard OS (rolling, no releases)',
};

export const osDetector: Detector = {
  id: 'os-release',
  detect(facts, data) {
    const os = facts.os;
    if (os === undefined) return { detections: [], issues: [] };
    const file = os.from?.[0] ?? 'etc/os-release';
    const version = os.release !== '' ? os.release : (os.codename ?? '');
    const evidence = `${file} ID=${os.id}${os.release === '' ? '' : ` VERSION_ID=${os.release}`}${os.codename === undefined ? '' : ` (${os.codename})`}`;
    const product = ownEntry(OS_PRODUCTS, os.id);
    const issues: Issue[] = [];
    const detections: Detection[] = [];
    if (product === undefined) {
      const name = ownEntry(UNTRACKED, os.id) ?? os.prettyName ?? os.id;
      issues.push(issue('lifecycle-os-untracked', `${name} ${os.release}: endoflife.date has no lifecycle data for this distribution; its end of life is not checked`, file, 'Check the vendor\'s lifecycle page; a vendor lifecycle referrer on the image is read when present.'));
      return { detections, issues };
    }
    if (version === '') return { detections, issues: [issue('lifecycle-os-no-version', `${os.id}: os-release has no VERSION_ID or codename; end of life not checked`, file)] };
    const r = detection(data, product, version, 'os-release', evidence);
    if (r.detection !== undefined) detections.push(r.detection);
    if (r.issue !== undefined) issues.push({ ...r.issue, location: file });
    return { detections, issues };
  },
};
