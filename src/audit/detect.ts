/**
 * The detection engine: audit events in, `detection` findings out. Each rule of the registry looks at one
 * event at a time; the engine decides which events are looked at, adds who did what and when to every
 * finding, and reports each (event, rule) once — the API server writes an exec twice (ResponseStarted and
 * ResponseComplete) under one auditID. A burst rule's events are counted here (AuditWindow): one detection when
 * enough of them come close together.
 */
import { fingerprint, type Finding, type Subject, type Suppression } from '../core/finding.js';
import { issue, type Issue } from '../core/issue.js';
import type { Severity } from '../core/severity.js';
import { actingUser, responseCode, succeeded, target, type AuditEvent } from './event.js';
import { WORKLOAD_KINDS } from './pods.js';
import { AUDIT_RULES } from './registry.js';
import { DEFAULT_AUDIT_SETTINGS, matchesAny, type AuditRule, type AuditSettings, type AuditWindow } from './rule.js';

export const DETECTION_KIND = 'detection';

/**
 * Stages whose events the rules see. RequestReceived is left out: its outcome is not known yet, and the same
 * request comes again at ResponseStarted (long-running: exec, attach, port-forward, watch) or ResponseComplete.
 */
const STAGES = new Set(['ResponseStarted', 'ResponseComplete']);

/** (auditID, rule) pairs remembered to report each once; only bounds memory (the stages of one request are close together). */
const REMEMBERED = 100_000;
/** Burst keys (identities, addresses) counted at once; past it the oldest is forgotten (only bounds memory). */
const BURST_KEYS = 10_000;
/** Distinct values named in a burst's evidence. */
const BURST_SHOWN = 20;

/** One key's events of a burst rule within its window: when each came (ms) and its distinct value. */
interface Burst {
  times: number[];
  values: string[];
}

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
  /** Burst rules' counts by rule and key. */
  private readonly bursts = new Map<string, Burst>();

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
      let finding: Finding | undefined;
      if (rule.window === undefined) finding = detectionFinding(rule, event, match.title, match.severity ?? rule.severity, match.evidence ?? {});
      else {
        finding = this.burst(rule, rule.window, event);
        if (finding === undefined) continue;
      }
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

  /**
   * Count `event` for its key; the detection when the key has `count` distinct values within the window (the events
   * older than the window are dropped first), then the key starts again. About the cluster: a burst spans targets.
   */
  private burst(rule: AuditRule, window: AuditWindow, event: AuditEvent): Finding | undefined {
    const parsed = Date.parse(eventTime(event) ?? '');
    const time = Number.isNaN(parsed) ? this.now().getTime() : parsed;
    const key = `${rule.id}\0${window.key(event)}`;
    let burst = this.bursts.get(key);
    if (burst === undefined) {
      if (this.bursts.size >= BURST_KEYS) {
        const oldest = this.bursts.keys().next().value;
        if (oldest !== undefined) this.bursts.delete(oldest);
      }
      burst = { times: [], values: [] };
      this.bursts.set(key, burst);
    }
    // events come nearly in time order; one older than the window's start is dropped with the others
    let drop = 0;
    while (drop < burst.times.length && (burst.times[drop] as number) < time - window.withinMs) drop++;
    if (drop > 0) {
      burst.times.splice(0, drop);
      burst.values.splice(0, drop);
    }
    const value = window.distinct(event);
    if (burst.values.includes(value)) return undefined;
    burst.times.push(time);
    burst.values.push(value);
    if (burst.values.length < window.count) return undefined;
    const first = Math.min(...burst.times);
    // the title says the window, not how long this burst took: a burst that recurs has the same title (alert repeats are told apart by it)
    const minutes = window.withinMs / 60_000;
    const evidence = { burst: { count: burst.values.length, from: new Date(first).toISOString(), to: new Date(time).toISOString(), withinMinutes: window.withinMs / 60_000, [window.label]: burst.values.slice(0, BURST_SHOWN) } };
    this.bursts.delete(key);
    const cluster: Subject = { type: 'cluster' };
    const finding = detectionFinding(rule, event, window.title(evidence.burst.count, minutes), rule.severity, evidence, false);
    return { ...finding, subject: cluster, id: fingerprint(rule.id, cluster, event.auditID) };
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

/** `sayRefused`: end the title with the refusal of a refused request (not for a burst, which says what it counted). */
function detectionFinding(rule: AuditRule, event: AuditEvent, title: string, severity: Severity, extra: Record<string, unknown>, sayRefused = true): Finding {
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
  const refused = succeeded(event) || !sayRefused ? '' : ` (refused, HTTP ${code})`;
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
