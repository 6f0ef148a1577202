/**
 * Exceptions: findings a team has accepted, with a reason. Two sources:
 * - the annotation `runwarden.io/exempt: <check-id>[,…]` with the required
 *   `runwarden.io/exempt-reason`, on the object itself (workload, pod template, bare pod, Service)
 *   or on its Namespace (then it covers every object in it);
 * - `exceptions` in the settings file: rules × namespace glob × workload glob (`Kind/name` or
 *   `name`), a required reason and an optional `expires` date.
 * A matched finding keeps its place in JSON and SARIF with a `suppression` (kind, reason, source);
 * the table only counts it and --fail-on ignores it. A broken exemption (no reason, unknown check
 * id, expired) is an issue and suppresses nothing.
 */
import { closest } from 'fastest-levenshtein';
import type { Finding, Suppression } from '../../core/finding.js';
import type { Inventory } from '../../core/inventory.js';
import { issue, type Issue } from '../../core/issue.js';
import { globToRegExp } from '../images.js';
import { workloadSpecs } from '../workload-specs.js';

export const EXEMPT_ANNOTATION = 'runwarden.io/exempt';
export const EXEMPT_REASON_ANNOTATION = 'runwarden.io/exempt-reason';

/** An exception from the settings file (config/schema.ts `Exception`). */
export interface ExceptionRule {
  rules: string[];
  namespace?: string | undefined;
  workload?: string | undefined;
  reason: string;
  expires?: string | undefined;
}

export interface ExceptionOptions {
  /** Config-file exceptions, in file order. */
  exceptions?: readonly ExceptionRule[] | undefined;
  /** Every rule id that exists (unknown ids in annotations are reported, with the closest match). */
  knownRules: readonly string[];
  now: Date;
}

interface AnnotationExemption {
  rules: Set<string>;
  reason: string;
  source: string;
}

export interface ExceptionResult {
  findings: Finding[];
  issues: Issue[];
  suppressed: number;
}

/** Marks the findings that an exemption covers. Findings are copied, never mutated. */
export function applyExceptions(findings: readonly Finding[], inventory: Inventory, options: ExceptionOptions): ExceptionResult {
  const issues: Issue[] = [];
  const known = new Set(options.knownRules);
  const byObject = annotationExemptions(inventory, known, issues);
  const config = configExceptions(options.exceptions ?? [], known, options.now, issues);
  let suppressed = 0;
  const out = findings.map((f) => {
    const suppression = matchAnnotation(f, byObject) ?? matchConfig(f, config);
    if (suppression === undefined) return f;
    suppressed++;
    return { ...f, suppression };
  });
  return { findings: out, issues, suppressed };
}

/** `; did you mean "privileged-container"?`: a check id containing the input wins over edit distance. */
export function suggestion(id: string, known: ReadonlySet<string>): string {
  if (known.size === 0) return '';
  const lower = id.toLowerCase();
  const containing = [...known].filter((k) => k.includes(lower)).sort((a, b) => a.length - b.length);
  return `; did you mean "${containing[0] ?? closest(lower, [...known])}"?`;
}

function objectKey(namespace: string | undefined, kind: string, name: string): string {
  return `${namespace ?? ''}/${kind}/${name}`;
}

/** `namespace/Kind/name` (and `namespace` for Namespace-wide ones) → exemptions. */
function annotationExemptions(inventory: Inventory, known: Set<string>, issues: Issue[]): Map<string, AnnotationExemption[]> {
  const out = new Map<string, AnnotationExemption[]>();
  const read = (key: string, where: string, location: string | undefined, annotations: Record<string, string>): void => {
    const value = annotations[EXEMPT_ANNOTATION];
    if (value === undefined) return;
    const reason = (annotations[EXEMPT_REASON_ANNOTATION] ?? '').trim();
    if (reason === '') {
      issues.push(issue('exemption-without-reason', `${where} has annotation ${EXEMPT_ANNOTATION}: "${value}" but no ${EXEMPT_REASON_ANNOTATION}; the exemption is ignored`, location, `Add the annotation ${EXEMPT_REASON_ANNOTATION}: "<why this is accepted, and until when>".`));
      return;
    }
    const rules = new Set<string>();
    for (const id of value.split(',').map((r) => r.trim()).filter((r) => r !== '')) {
      if (known.has(id)) rules.add(id);
      else issues.push(issue('exemption-unknown-rule', `${where}: ${EXEMPT_ANNOTATION} names unknown check "${id}"${suggestion(id, known)}`, location, 'Use check ids as listed by "runwarden scan --help" (--rules).'));
    }
    if (rules.size === 0) return;
    const list = out.get(key) ?? [];
    list.push({ rules, reason, source: `annotation ${EXEMPT_ANNOTATION} on ${where}` });
    out.set(key, list);
  };
  for (const ns of inventory.namespaces) read(ns.name, `Namespace ${ns.name}`, `namespace/${ns.name}`, ns.annotations);
  for (const ws of workloadSpecs(inventory)) {
    const key = objectKey(ws.namespace, ws.workload.kind, ws.workload.name);
    const label = `${ws.workload.kind} ${ws.namespace}/${ws.workload.name}`;
    read(key, label, ws.origin, ws.annotations);
    // Pod template annotations reach every pod, so an exemption there counts too.
    if (ws.from === 'template') read(key, `${label} (pod template)`, ws.origin, ws.pod.annotations);
  }
  for (const svc of inventory.services) {
    const annotations = (svc.raw as { metadata?: { annotations?: Record<string, unknown> | null } } | undefined)?.metadata?.annotations ?? {};
    const strings = Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'));
    read(objectKey(svc.namespace, 'Service', svc.name), `Service ${svc.namespace}/${svc.name}`, undefined, strings);
  }
  return out;
}

function matchAnnotation(f: Finding, byObject: Map<string, AnnotationExemption[]>): Suppression | undefined {
  const s = f.subject;
  const candidates: AnnotationExemption[] = [];
  if (s.workload !== undefined) candidates.push(...(byObject.get(objectKey(s.namespace, s.workload.kind, s.workload.name)) ?? []));
  if (s.namespace !== undefined) candidates.push(...(byObject.get(s.namespace) ?? []));
  const hit = candidates.find((e) => e.rules.has(f.rule));
  return hit === undefined ? undefined : { kind: 'annotation', reason: hit.reason, source: hit.source };
}

interface CompiledException {
  index: number;
  rule: ExceptionRule;
  namespace: RegExp | undefined;
  workloadKind: RegExp | undefined;
  workloadName: RegExp | undefined;
}

function configExceptions(exceptions: readonly ExceptionRule[], known: Set<string>, now: Date, issues: Issue[]): CompiledException[] {
  const out: CompiledException[] = [];
  const today = now.toISOString().slice(0, 10);
  exceptions.forEach((rule, index) => {
    const where = `config exceptions[${index}]`;
    const unknown = rule.rules.filter((r) => !known.has(r));
    for (const id of unknown) issues.push(issue('exception-unknown-rule', `${where} names unknown check "${id}"${suggestion(id, known)}`, where, 'Use check ids as listed by "runwarden scan --help" (--rules).'));
    if (rule.expires !== undefined && rule.expires < today) {
      issues.push(issue('exception-expired', `${where} (${rule.rules.join(', ')}: "${rule.reason}") expired on ${rule.expires}; its findings are reported again`, where, 'Fix the findings, or renew the exception with a new expires date and reason.'));
      return;
    }
    let workloadKind: RegExp | undefined;
    let workloadName: RegExp | undefined;
    if (rule.workload !== undefined) {
      const slash = rule.workload.indexOf('/');
      if (slash >= 0) {
        workloadKind = globToRegExp(rule.workload.slice(0, slash));
        workloadName = globToRegExp(rule.workload.slice(slash + 1));
      } else workloadName = globToRegExp(rule.workload);
    }
    out.push({ index, rule, namespace: rule.namespace === undefined ? undefined : globToRegExp(rule.namespace), workloadKind, workloadName });
  });
  return out;
}

function matchConfig(f: Finding, exceptions: CompiledException[]): Suppression | undefined {
  const s = f.subject;
  for (const e of exceptions) {
    if (!e.rule.rules.includes(f.rule)) continue;
    if (e.namespace !== undefined && (s.namespace === undefined || !e.namespace.test(s.namespace))) continue;
    if (e.workloadName !== undefined) {
      if (s.workload === undefined || !e.workloadName.test(s.workload.name)) continue;
      if (e.workloadKind !== undefined && !e.workloadKind.test(s.workload.kind)) continue;
    }
    return { kind: 'config', reason: e.rule.reason, source: `config exceptions[${e.index}]`, ...(e.rule.expires === undefined ? {} : { expires: e.rule.expires }) };
  }
  return undefined;
}
