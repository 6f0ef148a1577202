/** Pod Security Standards (baseline, restricted), every policy version v1.0 … v1.37, as upstream. */
export { CONTROLS, CONTROL_IDS, BASELINE_CAPABILITIES, RESTRICTED_VOLUME_SOURCES, safeSysctls, type Control, type ControlLevel } from './controls.js';
export { applicableControls, evaluatePod, formatViolations, type Violation } from './evaluate.js';
export { namespacePolicy, formatLevelVersion, LABEL_PREFIX, PSS_MODES, type LevelVersion, type NamespacePolicy, type PssMode } from './namespace.js';
export { readPod, parseLenient, joinPath, VOLUME_SOURCES, type ContainerView, type FieldIssue, type PodSpecView, type VolumeView, type Container, type SecurityContext } from './schema.js';
export { PSS_LEVELS, MAX_POLICY_MINOR, LATEST, parsePolicyVersion, formatPolicyVersion, effectiveMinor, isPssLevel, compareLevels, type PolicyVersion, type PssLevel } from './version.js';
