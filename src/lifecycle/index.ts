/**
 * Lifecycle and freshness (PRODUCT.md C6, C8): end-of-life data (endoflife.date, stored in the
 * runwarden database), product detection per image, vendor lifecycle referrers, digest drift and
 * newer tags, one verdict per container, and node hygiene.
 */
export { LIFECYCLE_MIGRATION } from './data/migration.js';
export type { LifecycleData, Product, ReleaseCycle } from './data/schema.js';
export { bundledSnapshotPath, lifecycleData, loadLifecycle, parseSnapshot, readLifecycle, writeProducts } from './data/store.js';
export { DEFAULT_LIFECYCLE_URL, updateLifecycle, type UpdateOptions, type UpdateResult } from './data/update.js';
export { eolStatus, findCycle, nextSupportedCycle, type EolStatus } from './data/cycles.js';
export { detectProducts, type Detection, type ImageFacts, type OsFacts, type ReferrerFacts } from './detect/index.js';
export { EOL_ANNOTATION, LIFECYCLE_ARTIFACT_TYPE, parseLifecycleDate, vendorLifecycle, type VendorLifecycle } from './referrers/index.js';
export { newerTags, observeFreshness, parseTagVersion, RegistryProbe, type Freshness, type NewerTags, type ProbeClient } from './freshness/index.js';
export { layoutProbeClient } from './freshness/layout-client.js';
export { DEFAULT_EOL_LOOKAHEAD_DAYS, imageLifecycle, type ImageLifecycle, type LifecycleSettings } from './verdict/image.js';
export { LIFECYCLE_RULES, lifecycleFindings, verdictOf, type ContainerVerdict, type Verdict } from './verdict/findings.js';
export { containerLifecycle, type ContainerLifecycleOptions, type ContainerLifecycleResult } from './containers.js';
export { DEFAULT_MAX_NODE_AGE_DAYS, NODE_RULES, nodeHygiene, type NodeHygieneOptions } from './node/index.js';
export { IMAGE_LIFECYCLE_RULES, imageLifecycleFindings, lifecycleDataFor, type ImageLifecycleContext } from './contribution.js';
export { ALL_LIFECYCLE_RULES, LIFECYCLE_SECTION_VERSION, LifecycleSectionJson, lifecycleScan, lifecycleTableLines, type LifecycleScanOptions, type LifecycleSection } from './scan.js';
