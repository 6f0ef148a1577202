/**
 * One admission decision: the object of an AdmissionReview request → allowed, denied, or allowed with
 * warnings, and the findings behind it. Pure (no I/O): the checks `scan` and `check` run, on the
 * object's pod spec, plus the cached verdicts of its images (verdicts.ts).
 */
import { fingerprint, type Finding, type FindingKind, type Subject } from '../core/finding.js';
import type { Inventory } from '../core/inventory.js';
import { atLeast, compareSeverity, type Severity } from '../core/severity.js';
import { buildInventory } from '../inventory/build.js';
import { emptyClusterObjects, OBJECT_SCHEMAS } from '../inventory/schema.js';
import { MALWARE_RULE } from '../malware/findings.js';
import type { Check, PolicySettings } from '../policy/check.js';
import { EXEMPT_ANNOTATION, EXEMPT_REASON_ANNOTATION, type ExceptionRule } from '../policy/exceptions/index.js';
import { CHECKS } from '../policy/registry.js';
import { valueAt, workloadSpecs } from '../policy/workload-specs.js';
import { scanInventory, UNSCANNED_IMAGE_RULE } from '../scan/index.js';
import { VULNERABILITY_RULE } from '../vulndb/match/index.js';
import type { AdmissionRequest } from './review.js';
import { lookupImage, type ImageVerdict, type VerdictCache } from './verdicts.js';

export const ACTIONS = ['deny', 'warn', 'ignore'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Checks admission does not run, and why (read after "it"): each needs objects around the one under review (policies,
 * bindings, other replicas, node caches) that an AdmissionReview does not carry. `scan` reports them.
 */
export const CLUSTER_ONLY_CHECKS: ReadonlyMap<string, string> = new Map([
  ['stale-image', "is about the nodes' image caches, not a workload"],
  ['mixed-versions', "compares a running workload's replicas"],
  ['exposed-service', 'is about Services and the policies in front of them'],
  ['network-ingress-open', "needs the namespace's NetworkPolicies"],
  ['network-egress-open', "needs the namespace's NetworkPolicies"],
  ['network-no-default-deny', "needs the namespace's NetworkPolicies"],
  ['mtls-not-strict', "needs the mesh's PeerAuthentications"],
  ['rbac-cluster-admin', 'is about RBAC bindings'],
  ['rbac-wildcard', 'is about RBAC roles'],
  ['rbac-secrets-read', 'is about RBAC roles'],
  ['rbac-pod-exec', 'is about RBAC roles'],
  ['rbac-privilege-escalation', 'is about RBAC roles'],
  ['rbac-anonymous-access', 'is about RBAC bindings'],
]);

/** The checks admission runs on the object under review, in report order. */
export const ADMISSION_CHECKS: readonly Check[] = CHECKS.filter((c) => !CLUSTER_ONLY_CHECKS.has(c.id));

/** An image the verdict cache knows nothing of (or that a kind of scan did not look at). */
export const UNSCANNED_RULE = UNSCANNED_IMAGE_RULE;
/** The lifecycle rule of an image's end of life (the vendor's own end of life is reported under it too). */
export const END_OF_LIFE_RULE = 'end-of-life';
/** Rules about the object's images, from the cached verdicts. */
export const IMAGE_RULES: readonly string[] = [MALWARE_RULE, VULNERABILITY_RULE, END_OF_LIFE_RULE, UNSCANNED_RULE];
/** Every rule admission can act on: `--deny`, `--warn`, `--ignore` and `admission.actions` take these. */
export const ADMISSION_RULES: readonly string[] = [...ADMISSION_CHECKS.map((c) => c.id), ...IMAGE_RULES];

/**
 * What a rule's finding does when nothing is configured: deny what PRODUCT.md names as refused at the
 * door (malware, critical fixable vulnerabilities, Pod Security violations, registries not allowed),
 * warn about the rest, so a first install tells users before it blocks them.
 */
export const DEFAULT_ACTIONS: Readonly<Record<string, Action>> = Object.freeze({
  ...Object.fromEntries(ADMISSION_RULES.map((r) => [r, 'warn'])),
  [MALWARE_RULE]: 'deny',
  [VULNERABILITY_RULE]: 'deny',
  'pod-security': 'deny',
  'registry-allow-list': 'deny',
});

/** The kinds admission reviews (others are allowed untouched). */
export const REVIEWED_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'] as const;
type ReviewedKind = (typeof REVIEWED_KINDS)[number];

/**
 * The built-in controllers (kube-controller-manager, with or without per-controller service accounts): what
 * they create comes from a workload that is reviewed itself, when it was created or last changed.
 */
export const CONTROLLER_USERS: ReadonlySet<string> = new Set([
  'system:kube-controller-manager',
  ...['deployment-controller', 'replicaset-controller', 'statefulset-controller', 'daemon-set-controller', 'job-controller', 'cronjob-controller', 'replication-controller'].map((c) => `system:serviceaccount:kube-system:${c}`),
]);

export interface DecideOptions {
  /**
   * Review objects a built-in controller creates from a workload (a Deployment's ReplicaSets, their pods)
   * as any other (default false: they are allowed, since their workload is reviewed; a new policy or a new
   * verdict then never stops a running workload from scaling, rescheduling or rolling out a fix).
   */
  reviewControllerObjects?: boolean | undefined;
  /** The action of each rule (DEFAULT_ACTIONS for any not given). */
  actions: Readonly<Record<string, Action>>;
  /** A vulnerability acts only at or above this severity, and only when a fix exists (default critical). */
  vulnerabilitySeverity: Severity;
  policy?: PolicySettings | undefined;
  exceptions?: readonly ExceptionRule[] | undefined;
  sandboxImages?: readonly string[] | undefined;
  /**
   * The labels and annotations of a namespace, when known (serve's latest inventory): Pod Security is then
   * evaluated at the namespace's own levels, as `scan` does; unknown namespaces get `policy.pssLevel`.
   */
  namespace?: ((name: string) => { labels: Record<string, string>; annotations: Record<string, string> } | undefined) | undefined;
  now: Date;
}

export interface Decision {
  allowed: boolean;
  /** What was reviewed, as a person names it: `Deployment shop/web`. */
  object: string;
  /** Why nothing was checked: a DELETE, a kind admission does not review, a pod spec the update did not change. */
  skipped?: string | undefined;
  /** Unsuppressed findings whose rule denies (on an update: only those the old object did not have). */
  denied: Finding[];
  /** Unsuppressed findings whose rule warns, and denying ones the old object had already. */
  warned: Finding[];
  /** Findings an exemption annotation or a configured exception accepts: neither deny nor warn. */
  suppressed: Finding[];
}

/** The pod template path of a reviewed kind (a Pod is its own spec). */
const TEMPLATE_PATH: Record<ReviewedKind, readonly string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** The object cannot be evaluated (it does not match the schema of its kind): the failure mode decides. */
export class UnevaluableObjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnevaluableObjectError';
  }
}

function isReviewed(kind: string): kind is ReviewedKind {
  return (REVIEWED_KINDS as readonly string[]).includes(kind);
}

/** The pod spec part that decides a review (a Pod's spec, a workload's pod template). */
function podPart(kind: ReviewedKind, object: unknown): string {
  const template = valueAt(object, TEMPLATE_PATH[kind]);
  return JSON.stringify(kind === 'Pod' ? valueAt(template, ['spec']) : template) ?? '';
}

export function objectLabel(request: AdmissionRequest): string {
  const meta = valueAt(request.object, ['metadata']) as { name?: unknown; generateName?: unknown } | undefined;
  const name = typeof meta?.name === 'string' && meta.name !== '' ? meta.name : request.name !== undefined && request.name !== '' ? request.name : typeof meta?.generateName === 'string' ? `${meta.generateName}…` : '(unnamed)';
  return `${request.kind.kind} ${request.namespace === undefined || request.namespace === '' ? '' : `${request.namespace}/`}${name}`;
}

/** Decide one request. Throws UnevaluableObjectError when the object cannot be read (the caller applies the failure mode). */
export function decide(request: AdmissionRequest, cache: VerdictCache, options: DecideOptions): Decision {
  const object = objectLabel(request);
  const allow = (skipped: string): Decision => ({ allowed: true, object, skipped, denied: [], warned: [], suppressed: [] });
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow(`${request.operation} is not reviewed`);
  const kind = request.kind.kind;
  if (!isReviewed(kind)) return allow(`${kind} is not a kind runwarden reviews`);
  // a subresource other than ephemeral containers (status, scale, binding, …) does not change what runs
  if (request.subResource !== undefined && request.subResource !== '' && request.subResource !== 'ephemeralcontainers') return allow(`the ${request.subResource} subresource is not reviewed`);
  const owner = controllerOwner(request.object);
  if (options.reviewControllerObjects !== true && owner !== undefined && CONTROLLER_USERS.has(request.userInfo?.username ?? '')) {
    return allow(`made by ${request.userInfo?.username ?? ''} from ${owner}, which is reviewed itself`);
  }
  if (request.operation === 'UPDATE' && request.oldObject != null && podPart(kind, request.object) === podPart(kind, request.oldObject)) {
    return allow('the update leaves the pod spec as it was');
  }
  const now = evaluate(kind, request.object, request, cache, options);
  const denied: Finding[] = [];
  const warned: Finding[] = [];
  const suppressed: Finding[] = [];
  // an update is denied only for what it brings: what the running object already has warns, so fixing one
  // problem of a workload is never blocked by another it had all along
  const before = request.operation === 'UPDATE' && request.oldObject != null ? previousFindings(kind, request, cache, options) : undefined;
  for (const f of now) {
    if (f.suppression !== undefined) {
      suppressed.push(f);
      continue;
    }
    let action = options.actions[f.rule] ?? DEFAULT_ACTIONS[f.rule] ?? 'warn';
    if (action === 'ignore') continue;
    // a namespace's audit and warn labels ask to be told, not to block: only an enforced (or unlabelled) level denies
    if (action === 'deny' && f.rule === POD_SECURITY_RULE && !deniable(f)) action = 'warn';
    if (action === 'deny' && before?.has(f.id) !== true) denied.push(f);
    else warned.push(f);
  }
  return { allowed: denied.length === 0, object, denied, warned, suppressed };
}

const POD_SECURITY_RULE = 'pod-security';

/** A Pod Security finding of the namespace's enforce label, or of the default level of an unlabelled namespace. */
function deniable(f: Finding): boolean {
  const modes = f.evidence.modes;
  return !Array.isArray(modes) || modes.includes('enforce') || modes.includes('default');
}

/** Ids of the old object's findings; an old object that cannot be read has none (every finding is new). */
function previousFindings(kind: ReviewedKind, request: AdmissionRequest, cache: VerdictCache, options: DecideOptions): Set<string> {
  try {
    return new Set(evaluate(kind, request.oldObject, request, cache, options).map((f) => f.id));
  } catch (error) {
    if (error instanceof UnevaluableObjectError) return new Set();
    throw error;
  }
}

function evaluate(kind: ReviewedKind, raw: unknown, request: AdmissionRequest, cache: VerdictCache, options: DecideOptions): Finding[] {
  const inventory = inventoryOf(kind, raw, request, options);
  const images = imageFindings(inventory, cache, options);
  const checks = ADMISSION_CHECKS.filter((c) => (options.actions[c.id] ?? DEFAULT_ACTIONS[c.id]) !== 'ignore');
  const report = scanInventory(inventory, {
    checks,
    images: { findings: images, issues: [] },
    sandboxImages: [...(options.sandboxImages ?? [])],
    now: options.now,
    policy: options.policy,
    exceptions: options.exceptions,
  });
  return report.findings;
}

/** A one-object inventory of the object under review, validated as `check` validates manifests. */
function inventoryOf(kind: ReviewedKind, raw: unknown, request: AdmissionRequest, options: DecideOptions): Inventory {
  if (typeof raw !== 'object' || raw === null) throw new UnevaluableObjectError(`the request carries no ${kind} object`);
  // a copy: the name may be filled in below, and the request stays as it came
  const copy = structuredClone(raw) as { metadata?: Record<string, unknown> };
  const metadata = (copy.metadata ??= {});
  // pods of controllers are reviewed before the API server generates their name
  if (typeof metadata.name !== 'string' || metadata.name === '') {
    metadata.name = request.name !== undefined && request.name !== '' ? request.name : typeof metadata.generateName === 'string' && metadata.generateName !== '' ? `${metadata.generateName}*` : '*';
  }
  if (typeof metadata.namespace !== 'string' || metadata.namespace === '') metadata.namespace = request.namespace ?? 'default';
  // reviewed as itself: its owner is not part of the review (a Deployment's ReplicaSet, a ReplicaSet's pod), so
  // the object is its own workload and the exemption it carries — copied from the owner's pod template — applies
  delete metadata.ownerReferences;
  const parsed = OBJECT_SCHEMAS[kind].safeParse(copy);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = (first?.path ?? []).map(String).join('.');
    throw new UnevaluableObjectError(`the ${kind} does not match its schema${field === '' ? '' : ` at ${field}`}: ${(first?.message ?? 'invalid').replace(/^Invalid input: /, '')}`);
  }
  const objects = emptyClusterObjects();
  (objects[kind] as object[]).push(parsed.data);
  const namespace = metadata.namespace as string;
  const known = options.namespace?.(namespace);
  if (known !== undefined) objects.Namespace.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: known.labels, annotations: known.annotations } });
  return buildInventory({ source: { type: 'manifests', location: 'admission review' }, objects, origins: new WeakMap(), complete: [], namespaces: undefined, issues: [] });
}

/** Findings about the images of the object's containers, from the cached verdicts. */
function imageFindings(inventory: Inventory, cache: VerdictCache, options: DecideOptions): Finding[] {
  const out: Finding[] = [];
  const acts = (rule: string): boolean => (options.actions[rule] ?? DEFAULT_ACTIONS[rule]) !== 'ignore';
  for (const ws of workloadSpecs(inventory)) {
    for (const container of ws.pod.containers) {
      const image = container.spec.image;
      if (typeof image !== 'string' || image === '') continue;
      const subject: Subject = { type: 'container', namespace: ws.namespace, workload: ws.workload, container: container.name, image };
      const field = `${ws.specPrefix}${container.path.slice('spec'.length)}.image`;
      const found = lookupImage(cache, image);
      const scanned = cache.scannedAt === '' ? 'no scan has finished yet' : `last scan ${cache.scannedAt}`;
      if (found.verdict === undefined) {
        if (acts(UNSCANNED_RULE)) out.push(unscanned(subject, field, image, `${found.why} (${scanned})`));
        continue;
      }
      const { verdict } = found;
      const how = found.by === 'digest' ? `${verdict.digest}, ${scanned}` : `tag ran as ${verdict.digest} at the ${scanned}; the tag may have moved since`;
      const missing = [
        acts(VULNERABILITY_RULE) && !verdict.contributors.includes('vulnerabilities') ? 'vulnerabilities' : undefined,
        acts(MALWARE_RULE) && !verdict.contributors.includes('malware') ? 'malware' : undefined,
      ].filter((m): m is string => m !== undefined);
      if (missing.length > 0 && acts(UNSCANNED_RULE)) out.push(unscanned(subject, field, image, `the scan did not look for ${missing.join(' or ')} in it (${how})`));
      if (!verdict.complete && acts(UNSCANNED_RULE)) out.push(unscanned(subject, field, image, `the scan read it only in part, so findings may be missing (${how})`, 'partial'));
      if (acts(MALWARE_RULE) && verdict.malware.length > 0) out.push(summarise(MALWARE_RULE, 'malware', 'critical', subject, field, verdict, how, verdict.malware, `malware in image ${image}`, 'Rebuild the image from clean sources and push a new digest; never run it.'));
      if (acts(VULNERABILITY_RULE)) {
        const fixable = verdict.vulnerabilities.filter((f) => atLeast(f.severity, options.vulnerabilitySeverity) && f.evidence.fixStatus === 'fixed');
        if (fixable.length > 0) {
          const label = options.vulnerabilitySeverity === 'critical' ? 'critical' : `${options.vulnerabilitySeverity} or worse`;
          out.push(summarise(VULNERABILITY_RULE, 'vulnerability', worst(fixable), subject, field, verdict, how, fixable, `${fixable.length} ${label} vulnerabilit${fixable.length === 1 ? 'y' : 'ies'} with a fix in image ${image}`, 'Rebuild on the fixed versions the findings name and deploy the new digest.'));
        }
      }
      if (acts(END_OF_LIFE_RULE) && verdict.endOfLife.length > 0) out.push(summarise(END_OF_LIFE_RULE, 'end-of-life', worst(verdict.endOfLife), subject, field, verdict, how, verdict.endOfLife, `end of life in image ${image}`, 'Move to a supported release of the product (see each finding) and deploy the new digest.'));
    }
  }
  return out;
}

/** The worst severity of the findings, ranked as everywhere in runwarden (core/severity.ts). */
function worst(findings: readonly Finding[]): Severity {
  return findings.reduce<Severity>((w, f) => (compareSeverity(f.severity, w) < 0 ? f.severity : w), 'info');
}

/** Titles a summary quotes; the rest are counted. */
const QUOTED = 3;

function summarise(rule: string, kind: FindingKind, severity: Severity, subject: Subject, field: string, verdict: ImageVerdict, how: string, findings: readonly Finding[], lead: string, remediation: string): Finding {
  const titles = findings.map((f) => f.title);
  const quoted = titles.slice(0, QUOTED).join('; ') + (titles.length > QUOTED ? `; and ${titles.length - QUOTED} more` : '');
  return {
    id: fingerprint(rule, subject, verdict.digest),
    rule,
    kind,
    severity,
    title: `${lead}: ${quoted}`,
    subject,
    evidence: { fields: [field], image: subject.image, imageDigest: verdict.digest, verdictOf: how, findings: findings.map((f) => ({ id: f.id, rule: f.rule, severity: f.severity, title: f.title })) },
    remediation,
  };
}

function unscanned(subject: Subject, field: string, image: string, why: string, key = 'unscanned'): Finding {
  return {
    id: fingerprint(UNSCANNED_RULE, subject, `${key}\0${image}`),
    rule: UNSCANNED_RULE,
    kind: 'vulnerability',
    severity: 'unknown',
    title: `image ${image} has no complete verdict: ${why}`,
    subject,
    evidence: { fields: [field], image },
    remediation: 'Let the next scan see the image (runwarden serve rescans on change), or pin a digest that was scanned.',
  };
}

/** `ReplicaSet web-7d9f`: the controller owner of an object, if any. */
function controllerOwner(object: unknown): string | undefined {
  const owners = valueAt(object, ['metadata', 'ownerReferences']);
  if (!Array.isArray(owners)) return undefined;
  const owner = (owners as Array<{ kind?: unknown; name?: unknown; controller?: unknown }>).find((o) => o.controller === true);
  return owner === undefined ? undefined : `${String(owner.kind)} ${String(owner.name)}`;
}

/**
 * How a user accepts a finding: said in every denial. On the pod template of a workload, where the annotation
 * reaches the ReplicaSets, Jobs and pods made from it (each reviewed on its own); on a controller's pod, on the
 * template it came from.
 */
export function exemptHint(rules: readonly string[], request: AdmissionRequest): string {
  const what = `${EXEMPT_ANNOTATION}=${[...new Set(rules)].join(',')} and ${EXEMPT_REASON_ANNOTATION}="<why>"`;
  const owner = controllerOwner(request.object);
  const where =
    owner !== undefined
      ? `the pod template of the workload that made it (${owner} or its owner)`
      : request.kind.kind === 'Pod'
        ? 'the pod'
        : `the pod template (${TEMPLATE_PATH[request.kind.kind as ReviewedKind]?.join('.') ?? 'spec.template'}.metadata.annotations), so the pods made from it carry it too`;
  return `To accept a finding with a reason instead of fixing it, annotate ${where}: ${what}`;
}
