import { createHash, hash } from 'node:crypto';
import type { Severity } from './severity.js';

export const FINDING_KINDS = ['vulnerability', 'malware', 'end-of-life', 'outdated', 'stale-image', 'misconfiguration', 'node', 'detection'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const SUBJECT_TYPES = ['cluster', 'namespace', 'workload', 'pod', 'container', 'node', 'image'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** What a finding is about. Fields narrow from the cluster down; unused ones are omitted. */
export interface Subject {
  type: SubjectType;
  namespace?: string | undefined;
  workload?: { kind: string; name: string } | undefined;
  pod?: string | undefined;
  container?: string | undefined;
  node?: string | undefined;
  image?: string | undefined;
}

/** Why a finding is accepted: an exemption annotation on the object, an exception in the settings file, or a VEX statement. */
export interface Suppression {
  kind: 'annotation' | 'config' | 'vex';
  /** The required justification (`runwarden.io/exempt-reason`, or `reason` of the config exception). */
  reason: string;
  /** Where the exemption was declared: `annotation runwarden.io/exempt on Deployment shop/web`, `config exceptions[2]`. */
  source: string;
  /** Last day the exception applies (config exceptions with `expires`). */
  expires?: string | undefined;
}

/** Where in a file the finding points (manifests checked with `runwarden check`). */
export interface FindingLocation {
  /** File path as given (or `<stdin>`). */
  file: string;
  /** 1-based line of the offending field (or of the object when the field is absent). */
  line?: number | undefined;
  column?: number | undefined;
  /** The object-relative field path the line belongs to. */
  field?: string | undefined;
}

export interface Finding {
  /** Stable fingerprint: the same problem on the same subject has the same id across scans. */
  id: string;
  /** Stable rule id, e.g. `stale-image`. */
  rule: string;
  kind: FindingKind;
  severity: Severity;
  title: string;
  subject: Subject;
  /** Facts that make the finding true, for a person to verify. */
  evidence: Record<string, unknown>;
  remediation: string;
  /** Set when an exception accepts the finding: it stays in JSON/SARIF, leaves the table and --fail-on. */
  suppression?: Suppression | undefined;
  location?: FindingLocation | undefined;
}

/** The human path of a subject: `ns/Deployment/web/container nginx`, `node worker-1`. */
export function subjectPath(subject: Subject): string {
  const parts: string[] = [];
  if (subject.node !== undefined && subject.type === 'node') parts.push(`node/${subject.node}`);
  if (subject.namespace !== undefined) parts.push(subject.namespace);
  if (subject.workload !== undefined) parts.push(`${subject.workload.kind}/${subject.workload.name}`);
  if (subject.pod !== undefined) parts.push(`pod/${subject.pod}`);
  if (subject.container !== undefined) parts.push(`container/${subject.container}`);
  if (subject.type === 'image' && subject.node !== undefined) parts.push(`node/${subject.node}`);
  if (subject.image !== undefined) parts.push(subject.image);
  return parts.length > 0 ? parts.join('/') : 'cluster';
}

/** Fingerprint from the rule, the subject and a key that separates two findings of one rule on one subject. */
export function fingerprint(rule: string, subject: Subject, key = ''): string {
  return fingerprints(rule, subject)(key);
}

/** `fingerprint(rule, subject, key)` for many keys of one rule and subject: the subject's path is built once. */
export function fingerprints(rule: string, subject: Subject): (key: string) => string {
  const prefix = `${rule}\0${subjectPath(subject)}\0`;
  return (key) => first16(sha256Hex(prefix + key));
}

/**
 * The first 16 characters as a string of their own: `slice` would keep the whole 64-character digest alive
 * behind each fingerprint (a sliced string), ~80 bytes per finding for as long as a report lives.
 */
function first16(hex: string): string {
  const c = (i: number): number => hex.charCodeAt(i);
  return String.fromCharCode(c(0), c(1), c(2), c(3), c(4), c(5), c(6), c(7), c(8), c(9), c(10), c(11), c(12), c(13), c(14), c(15));
}

/**
 * One-shot SHA-256 (`crypto.hash`, Node ≥ 20.12: no Hash object per call, 1.5–3× faster for short inputs;
 * scans fingerprint tens of thousands of findings), else `createHash`. Same digest either way.
 */
function sha256Hex(text: string): string {
  return typeof hash === 'function' ? hash('sha256', text, 'hex') : createHash('sha256').update(text).digest('hex');
}

/** How many findings of each kind, severity and namespace ('' for none): the history's and the metrics' counts. */
export interface FindingCount {
  kind: string;
  severity: string;
  namespace: string;
  count: number;
}

/**
 * Findings counted by kind, severity and namespace, in first-seen order. Nested maps, not a joined key: a service
 * counts its 700,000 findings after every rescan, and a key string per finding was most of the time it took.
 */
export function countFindings(findings: Iterable<Finding>, include?: (f: Finding) => boolean): FindingCount[] {
  const byKind = new Map<string, Map<string, Map<string, FindingCount>>>();
  const out: FindingCount[] = [];
  for (const f of findings) {
    if (include !== undefined && !include(f)) continue;
    let bySeverity = byKind.get(f.kind);
    if (bySeverity === undefined) byKind.set(f.kind, (bySeverity = new Map<string, Map<string, FindingCount>>()));
    let byNamespace = bySeverity.get(f.severity);
    if (byNamespace === undefined) bySeverity.set(f.severity, (byNamespace = new Map<string, FindingCount>()));
    const namespace = f.subject.namespace ?? '';
    const row = byNamespace.get(namespace);
    if (row === undefined) {
      const first: FindingCount = { kind: f.kind, severity: f.severity, namespace, count: 1 };
      byNamespace.set(namespace, first);
      out.push(first);
    } else row.count++;
  }
  return out;
}
