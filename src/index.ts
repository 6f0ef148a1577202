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
export { readPod, evaluatePod, namespacePolicy, CONTROLS, parsePolicyVersion, type PssLevel, type PolicyVersion, type Violation, type PodSpecView } from './policy/pss/index.js';
export { applyExceptions, EXEMPT_ANNOTATION, type ExceptionRule } from './policy/exceptions/index.js';
export { readManifests, type Manifests } from './manifests/index.js';
export type { PolicySettings, Mappings } from './policy/check.js';
export { analyzeNetwork, type NetworkAnalysis, type PodNetworkVerdict, type DirectionVerdict, type Reach, type Endpoint } from './policy/network/analysis.js';
export { analyzeMesh, type MeshAnalysis, type MeshVerdict, type MeshOptions } from './policy/mesh/analysis.js';
export { analyzeRbac, type RbacAnalysis, type RbacRisk, type Grant } from './policy/rbac/analysis.js';
export { matchPackages, type MatchOptions, type MatchResult } from './vulndb/match/index.js';
export { importAdvisories } from './vulndb/import.js';
export { openVulnDb } from './vulndb/store/index.js';
export { readVex, applyVex } from './vulndb/vex/index.js';
export type { Package } from './core/package.js';
export * from './core/node-runtime.js';
export { criClient, connectCri, readNodeRuntime, parseCriAddress, resolveCriAddress, listNodeContainers, cleanupRuntime, DEFAULT_CRI_SOCKETS, type CriClient, type CriClientOptions, type CriVersion, type CriStatus } from './inventory/sources/cri/index.js';
export * from './cleanup/index.js';
