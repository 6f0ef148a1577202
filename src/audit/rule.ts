import type { Severity } from '../core/severity.js';
import type { AuditEvent } from './event.js';

/** What the rules may be told; every field has a default (DEFAULT_AUDIT_SETTINGS). */
export interface AuditSettings {
  /**
   * Image repositories (exact, or a prefix ending in `/*` or `*`) whose pods may be privileged, use the host's
   * namespaces or sensitive mounts, or run in kube-system / kube-public without a detection.
   */
  trustedImages: readonly string[];
  /** Images trusted in kube-system and kube-public only (default: the Kubernetes project's own registry). */
  kubeNamespaceImages: readonly string[];
  /** Identities (usernames, `*` globs) allowed to read Secrets (`secret-read`). */
  secretReaders: readonly string[];
  /** When set, `unexpected-user` reports any request by a non-system user outside it. */
  allowedUsers?: readonly string[] | undefined;
  /** When set, `unexpected-namespace-created` reports a namespace created outside it. */
  allowedNamespaces?: readonly string[] | undefined;
  /** `change-trail`: an info record of each create and delete of the objects that shape a cluster. */
  activity: boolean;
  /** Rule ids turned off. */
  disabled: readonly string[];
  /** Detections accepted with a reason (AuditException); they stay in reports, marked, and are not alerted. */
  exceptions: readonly AuditException[];
}

/**
 * An accepted detection: its rules, and who (`users`: the acting identity, and for an impersonated request the
 * one impersonating it too;
 * `groups`: any of the identity's groups) and where (`namespaces`: the target's); each a list of patterns
 * (exact, or a prefix ending in `*`), and every list given must match.
 */
export interface AuditException {
  rules: readonly string[];
  users?: readonly string[] | undefined;
  groups?: readonly string[] | undefined;
  namespaces?: readonly string[] | undefined;
  reason: string;
  /** Last day it applies (YYYY-MM-DD). */
  expires?: string | undefined;
}

export const DEFAULT_AUDIT_SETTINGS: AuditSettings = {
  trustedImages: [],
  kubeNamespaceImages: ['registry.k8s.io/*'],
  secretReaders: [],
  allowedUsers: undefined,
  allowedNamespaces: undefined,
  activity: false,
  disabled: [],
  exceptions: [],
};

/** One detection of a rule in one event; the engine adds who, what and when. */
export interface RuleMatch {
  /** What happened, without the user (the engine appends "by <user>"). */
  title: string;
  /** The rule's severity unless the event makes it worse or milder. */
  severity?: Severity | undefined;
  evidence?: Record<string, unknown> | undefined;
}

/**
 * A burst: the events a rule picks (evaluate) counted per `key` (an identity, a source address); `count` distinct ones
 * (by `distinct`) within `withinMs` of each other (the events' own times, so a log read later counts the same) make
 * one detection, then counting starts again. The engine keeps the counts.
 */
export interface AuditWindow {
  key(event: AuditEvent): string;
  distinct(event: AuditEvent): string;
  count: number;
  withinMs: number;
  /** The detection's title from how many were seen and the window in minutes (the engine adds "by <user>"). */
  title(count: number, minutes: number): string;
  /** What the distinct values are called in `evidence.burst` (`secrets`, `requests`). */
  label: string;
}

/** A detection rule over single audit events (or a burst of them: `window`). Pure: no state, no I/O. */
export interface AuditRule {
  /** Stable id = folder name. */
  id: string;
  title: string;
  severity: Severity;
  /** What it detects, why that matters, and what it leaves out. */
  description: string;
  remediation: string;
  /** Falco k8saudit rules that detect the same behaviour (for users coming from Falco; the conformance test); none for a burst rule (Falco's see one event at a time). */
  falco: readonly string[];
  /** Off unless the settings turn it on (rules that need an allow-list, or the change trail). */
  enabled?: ((settings: AuditSettings) => boolean) | undefined;
  /** Also report requests the API server refused (an attempt); default: only what was carried out. */
  attempts?: boolean | undefined;
  /** Report a burst of the events evaluate() picks instead of each one (AuditWindow). */
  window?: AuditWindow | undefined;
  evaluate(event: AuditEvent, settings: AuditSettings): RuleMatch | undefined;
}

/** `value` matches a pattern: exact, or a prefix when the pattern ends in `*`. */
export function matchesPattern(value: string, pattern: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

export function matchesAny(value: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matchesPattern(value, p));
}

/** Control-plane identities: nodes, the controller manager and scheduler, the API server, kube-system's controllers. */
export function isSystemUser(username: string): boolean {
  return username.startsWith('system:') && username !== 'system:anonymous';
}

/**
 * The control plane: `system:` identities that are not service accounts (the API server, the controller
 * manager, the scheduler, nodes, add-on managers), and kube-system's service accounts. A service account of any
 * other namespace is not: a stolen token is the usual way into a cluster.
 */
export function isControlPlane(username: string): boolean {
  if (!isSystemUser(username)) return false;
  return !username.startsWith('system:serviceaccount:') || username.startsWith('system:serviceaccount:kube-system:');
}
