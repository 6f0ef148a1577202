/**
 * runwarden's library API: `import { scan, snapshotSource } from 'runwarden'`.
 * Everything exported here is covered by semver; internals are not.
 */
export * from './core/errors.js';
export * from './core/finding.js';
export * from './core/image-ref.js';
export * from './core/inventory.js';
export * from './core/issue.js';
export * from './core/report.js';
export * from './core/severity.js';
export type { InventorySource, LoadOptions, SourceResult } from './inventory/source.js';
export { buildInventory } from './inventory/build.js';
export { snapshotSource, loadSnapshot } from './inventory/sources/snapshot/index.js';
export { kubernetesSource } from './inventory/sources/kubernetes/index.js';
export { scan, scanInventory, type ScanOptions, type ScanOutcome } from './scan/index.js';
export type { Check, CheckContext, CheckResult } from './policy/check.js';
export { CHECKS } from './policy/registry.js';
export { FORMATS } from './report/registry.js';
export type { ReportFormat, RenderOptions } from './report/format.js';
export { ScanReportJson } from './report/json/schema.js';
export { toSarif } from './report/sarif/index.js';
export * from './versioning/index.js';
export { VERSION } from './version.js';
