/** Stale-image cleanup (PRODUCT.md C9): plan (pure), execute over CRI, audit. See readme.md. */
export { DEFAULT_SANDBOX_GLOBS, compileRules, evaluateImage, formatAge, planCleanup } from './planner.js';
export type { CleanupPlan, Decision, ExclusionRule, PlanEntry, PlanOptions, Reason, ReasonCode, Rules } from './planner.js';
export { DEFAULT_STOP_AFTER_FAILURES, executePlan } from './executor.js';
export type { CleanupRuntime, ExecuteOptions, ExecutionEvent, ExecutionResult, RemovalOutcome, RemovalResult } from './executor.js';
export { auditRecord, openAuditLog, planRecords } from './audit.js';
export type { AuditContext, AuditLog } from './audit.js';
export { buildCleanupReport, renderCleanupJson, renderCleanupTable } from './report.js';
export { AuditRecord, CLEANUP_SCHEMA_VERSION, CleanupReport } from './schema.js';
export { ONLY_FILTERS, durationOption, parseExclusionFile } from './options.js';
