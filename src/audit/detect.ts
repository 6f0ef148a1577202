/**
 * The detection engine: audit events in, `detection` findings out. Each rule of the registry looks at one
 * event at a time; the engine decides which events are looked at, adds who did what and when to every
 * finding, and reports each (event, rule) once — the API server writes an exec twice (ResponseStarted and
 * ResponseComplete) under one auditID.
 */
import { fingerprint, type Finding, type Subject, type Suppression } from '../core/finding.js';
import { issue, type Issue } from '../core/issue.js';
import type { Severity } from '../core/severity.js';
import { actingUser, responseCode, succeeded, target, type AuditEvent } from './event.js';
import { WORKLOAD_KINDS } from './pods.js';
import { AUDIT_RULES } from './registry.js';
import { DEFAULT_AUDIT_SETTINGS, matchesAny, type AuditRule, type AuditSettings } from './rule.js';

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

  private readonly now: () => Date;

  constructor(settings: Partial<AuditSettings> = {}, rules: readonly AuditRule[] = AUDIT_RULES, now: () => Date = () => new Date()) {
    this.settings = { ...DEFAULT_AUDIT_SETTINGS, ...settings };
    this.now = now;
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
      const finding = detectionFinding(rule, event, match.title, match.severity ?? rule.severity, match.evidence ?? {});
      const suppression = this.exception(rule.id, event);
      out.push(suppression === undefined ? finding : { ...finding, suppression });
    }
    this.stats.detections += out.length;
    return out;
  }

  /** The first exception of the settings that accepts this rule's detection of `event` (expired ones accept nothing). */
  private exception(rule: string, event: AuditEvent): Suppression | undefined {
    const { exceptions } = this.settings;
    if (exceptions.length === 0) return undefined;
    const today = this.now().toISOString().slice(0, 10);
    const acting = actingUser(event);
    const who = event.impersonatedUser ? [acting.username, event.user.username ?? ''] : [acting.username];
    const namespace = target(event).namespace;
    for (const [index, e] of exceptions.entries()) {
      if (!e.rules.includes(rule) || (e.expires !== undefined && e.expires < today)) continue;
      // an impersonated request: the person behind it must be accepted as well as the identity it borrowed
      if (e.users !== undefined && !who.every((u) => matchesAny(u, e.users ?? []))) continue;
      if (e.groups !== undefined && !acting.groups.some((g) => matchesAny(g, e.groups ?? []))) continue;
      if (e.namespaces !== undefined && !matchesAny(namespace, e.namespaces)) continue;
      return { kind: 'config', reason: e.reason, source: `config audit.exceptions[${index}]`, ...(e.expires === undefined ? {} : { expires: e.expires }) };
    }
    return undefined;
  }

  private remember(key: string): void {
    if (this.seen.size >= REMEMBERED) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.set(key, true);
  }
}

/** Issues for the exceptions of `settings` that expired before `now`: they accept nothing any more. */
export function expiredExceptions(settings: Pick<AuditSettings, 'exceptions'>, now: Date): Issue[] {
  const today = now.toISOString().slice(0, 10);
  const out: Issue[] = [];
  settings.exceptions.forEach((e, i) => {
    if (e.expires === undefined || e.expires >= today) return;
    const where = `config audit.exceptions[${i}]`;
    out.push(issue('exception-expired', `${where} (${e.rules.join(', ')}: "${e.reason}") expired on ${e.expires}; its detections are reported again`, where, 'Renew it with a new expires date and reason, or remove it.'));
  });
  return out;
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
