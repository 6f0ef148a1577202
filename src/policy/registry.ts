import type { Check } from './check.js';
import { mixedVersions } from './checks/mixed-versions/index.js';
import { staleImage } from './checks/stale-image/index.js';
import { unpinnedImage } from './checks/unpinned-image/index.js';

/** Every check, in report order. One line per check; the id is the folder name (contract-tested). */
export const CHECKS: readonly Check[] = [staleImage, unpinnedImage, mixedVersions];
