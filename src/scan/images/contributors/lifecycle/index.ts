/**
 * End of life of what is inside an image (OS, runtimes, servers, the publisher's lifecycle
 * referrer). The logic is src/lifecycle (contribution.ts); this is the contributor entry.
 */
import { IMAGE_LIFECYCLE_ANALYZERS, IMAGE_LIFECYCLE_RULES, imageLifecycleFindings } from '../../../../lifecycle/contribution.js';
import type { ContributorResult, ImageContext, ImageContributor } from '../../contributor.js';

export const lifecycle: ImageContributor = {
  id: 'lifecycle',
  description: 'end of life of the OS, runtimes and servers inside the image (endoflife.date) and the publisher\'s lifecycle referrer',
  rules: IMAGE_LIFECYCLE_RULES,
  analyzers: IMAGE_LIFECYCLE_ANALYZERS,
  needsImage: false,
  contribute: (ctx: ImageContext): Promise<ContributorResult> => imageLifecycleFindings(ctx),
};
