/**
 * The detection engine: audit events in, `detection` findings out. Each rule of the registry looks at one
 * event at a time; the engine decides which events are looked at, adds who did what and when to every
 * finding, and reports each (event, rule) once — the API server writes an exec twice (ResponseStarted and
 * ResponseComplete) under one auditID.
 */
import { fingerprint, type Finding, type Subject } from '../core/finding.js';
import type { Severity } from '../core/severity.js';
import { actingUser, responseCode, succeeded, target, type AuditEvent } from './event.js';
import { WORKLOAD_KINDS } from './pods.js';
import { AUDIT_RULES } from './registry.js';
import { DEFAULT_AUDIT_SETTINGS, type AuditRule, type AuditSettings } from './rule.js';

export const DETECTION_KIND = 'detection';

/**
 * Stages whose events the rules see. RequestReceived is left out: its outcome is not known yet, and the same
 * request comes again at ResponseStarted (long-running: exec, attach, port-forward, watch) or ResponseComplete.
 */
const STAGES = new Set(['ResponseStarted', 'ResponseComplete']);

/** (auditID, rule) pairs remembered to report each once; only bounds memory (the stages of one request are close together). */
const REMEMBERED = 100_000;

export interface DetectorStats {
  /** Events given to push(). */
  events: number;
  /** Events at a stage the rules do not look at (RequestReceived, Panic). */
  skipped: number;
  detections: number;
}

export class Detector {
  readonly settings: AuditSettings;
  readonly rules: readonly AuditRule[];
  readonly stats: DetectorStats = { events: 0, skipped: 0, detections: 0 };
  private readonly seen = new Map<string, true>();

  constructor(settings: Partial<AuditSettings> = {}, rules: readonly AuditRule[] = AUDIT_RULES) {
    this.settings = { ...DEFAULT_AUDIT_SETTINGS, ...settings };
    this.rules = rules.filter((r) => !this.settings.disabled.includes(r.id) && (r.enabled === undefined || r.enabled(this.settings)));
  }

  /** The detections of one event (none for an event already reported, or at a stage not looked at). */
  push(event: AuditEvent): Finding[] {
    this.stats.events++;
    // the older captures have no stage; they were written at the end of a request
    if (event.stage !== undefined && !STAGES.has(event.stage)) {
      this.stats.skipped++;
      return [];
    }
    const ok = succeeded(event);
    const out: Finding[] = [];
    for (const rule of this.rules) {
      if (!ok && rule.attempts !== true) continue;
      const match = rule.evaluate(event, this.settings);
      if (match === undefined) continue;
      const key = `${event.auditID}\0${rule.id}`;
      if (this.seen.has(key)) continue;
      this.remember(key);
      out.push(detectionFinding(rule, event, match.title, match.severity ?? rule.severity, match.evidence ?? {}));
    }
    this.stats.detections += out.length;
    return out;
  }

  private remember(key: string): void {
    if (this.seen.size >= REMEMBERED) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.set(key, true);
  }
}

/** What a detection is about: the pod, the workload, the namespace of another namespaced object, or the cluster. */
function subjectOf(event: AuditEvent): Subject {
  const t = target(event);
  if (t.resource === 'pods' && t.namespace !== '' && t.name !== '') return { type: 'pod', namespace: t.namespace, pod: t.name };
  const kind = WORKLOAD_KINDS[t.resource];
  if (kind !== undefined && t.namespace !== '' && t.name !== '' && t.subresource === '') return { type: 'workload', namespace: t.namespace, workload: { kind, name: t.name } };
  if (t.resource === 'namespaces' && t.name !== '') return { type: 'namespace', namespace: t.name };
  if (t.namespace !== '') return { type: 'namespace', namespace: t.namespace };
  return { type: 'cluster' };
}

/** `kind namespace/name` of the target, as a person reads it: `pods/exec default/web-1`, `clusterroles admin`. */
export function targetLabel(event: AuditEvent): string {
  const t = target(event);
  const what = t.subresource === '' ? t.resource : `${t.resource}/${t.subresource}`;
  const name = t.name === '' ? '' : t.namespace === '' ? t.name : `${t.namespace}/${t.name}`;
  return name === '' ? (t.namespace === '' ? what : `${what} in ${t.namespace}`) : `${what} ${name}`;
}

/** When it happened: the stage's time, else when the request was received (older captures: `timestamp`). */
export function eventTime(event: AuditEvent): string | undefined {
  return event.stageTimestamp ?? event.requestReceivedTimestamp ?? event.timestamp;
}

function detectionFinding(rule: AuditRule, event: AuditEvent, title: string, severity: Severity, extra: Record<string, unknown>): Finding {
  const acting = actingUser(event);
  const t = target(event);
  const code = responseCode(event);
  const decision = event.annotations?.['authorization.k8s.io/decision'];
  const reason = event.annotations?.['authorization.k8s.io/reason'];
  const evidence: Record<string, unknown> = {
    auditID: event.auditID,
    time: eventTime(event),
    stage: event.stage,
    verb: event.verb,
    user: acting.username,
    groups: acting.groups,
    ...(event.impersonatedUser ? { impersonatedBy: event.user.username ?? '' } : {}),
    sourceIPs: event.sourceIPs ?? [],
    ...(event.userAgent === undefined ? {} : { userAgent: event.userAgent }),
    requestURI: event.requestURI,
    target: { resource: t.resource, ...(t.subresource === '' ? {} : { subresource: t.subresource }), ...(t.apiGroup === '' ? {} : { apiGroup: t.apiGroup }), ...(t.namespace === '' ? {} : { namespace: t.namespace }), ...(t.name === '' ? {} : { name: t.name }) },
    responseCode: code === 0 ? undefined : code,
    outcome: succeeded(event) ? 'allowed' : 'refused',
    ...(decision === undefined ? {} : { decision }),
    ...(reason === undefined || reason === '' ? {} : { authorizationReason: reason }),
    ...extra,
  };
  const subject = subjectOf(event);
  const refused = succeeded(event) ? '' : ` (refused, HTTP ${code})`;
  return {
    id: fingerprint(rule.id, subject, event.auditID),
    rule: rule.id,
    kind: DETECTION_KIND,
    severity,
    title: `${title} by ${acting.username || 'an unknown user'}${refused}`,
    subject,
    evidence,
    remediation: rule.remediation,
  };
}
