/**
 * AdmissionReview `admission.k8s.io/v1` (what the API server POSTs to a validating webhook, and the
 * answer it expects), and a Decision turned into that answer: the denial's message, and warnings within
 * the limits the API server keeps.
 */
import { z } from 'zod';
import type { Finding } from '../core/finding.js';
import { exemptHint, type Decision } from './decide.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

const GroupVersionKind = z.looseObject({ group: z.string(), version: z.string(), kind: z.string().min(1) });
const GroupVersionResource = z.looseObject({ group: z.string(), version: z.string(), resource: z.string().min(1) });

export const AdmissionRequest = z.looseObject({
  uid: z.string().min(1),
  kind: GroupVersionKind,
  resource: GroupVersionResource,
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  userInfo: z.looseObject({ username: z.string().optional(), uid: z.string().optional(), groups: z.array(z.string()).nullish() }).optional(),
  /** null for a DELETE. */
  object: z.unknown().optional(),
  /** The object before an UPDATE (null for a CREATE). */
  oldObject: z.unknown().optional(),
  dryRun: z.boolean().optional(),
});
export type AdmissionRequest = z.infer<typeof AdmissionRequest>;

export const AdmissionReview = z.looseObject({
  apiVersion: z.string(),
  kind: z.literal('AdmissionReview'),
  request: AdmissionRequest,
});

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string } | undefined;
  warnings?: string[] | undefined;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** A body that is not an AdmissionReview v1: one line naming what is wrong (the HTTP answer is 400). */
export class BadReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadReviewError';
  }
}

/** Parse a request body: an AdmissionReview v1 with a request. */
export function parseReview(body: unknown): AdmissionRequest {
  if (typeof body === 'object' && body !== null && (body as { apiVersion?: unknown }).apiVersion === 'admission.k8s.io/v1beta1') {
    throw new BadReviewError('AdmissionReview admission.k8s.io/v1beta1 is not supported: set admissionReviewVersions: ["v1"] in the webhook configuration');
  }
  const parsed = AdmissionReview.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = (first?.path ?? []).map(String).join('.');
    throw new BadReviewError(`not an AdmissionReview: ${field === '' ? '' : `${field}: `}${(first?.message ?? 'invalid').replace(/^Invalid input: /, '')}`);
  }
  if (parsed.data.apiVersion !== ADMISSION_API_VERSION) throw new BadReviewError(`AdmissionReview apiVersion "${parsed.data.apiVersion}" is not supported: expected ${ADMISSION_API_VERSION}`);
  return parsed.data.request;
}

/**
 * Kubernetes asks webhooks to keep each warning short (it may truncate one over 256 characters, and
 * drops warnings past a total): a warning is cut at 256 characters, and past WARNINGS_MAX or a total of
 * WARNINGS_BYTES the rest are counted in a last one.
 */
export const WARNING_CHARS = 256;
export const WARNINGS_MAX = 10;
export const WARNINGS_BYTES = 4096;
/** Findings a denial's message names; the rest are counted. */
export const MESSAGE_FINDINGS = 8;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `[rule] title`, naming the container where the title does not (check titles say "Container app of …"). */
function line(f: Finding): string {
  const c = f.subject.container;
  return `[${f.rule}] ${f.title}${c === undefined || f.title.includes(`Container ${c} `) ? '' : ` (container ${c})`}`;
}

/** Warnings within the API server's limits. */
export function warningsOf(texts: readonly string[]): string[] {
  const out: string[] = [];
  let bytes = 0;
  for (let i = 0; i < texts.length; i++) {
    const text = cut(texts[i] as string, WARNING_CHARS);
    const size = Buffer.byteLength(text);
    if (out.length === WARNINGS_MAX - 1 && i < texts.length - 1) {
      out.push(`runwarden: ${texts.length - i} more warning(s) not shown`);
      break;
    }
    if (bytes + size > WARNINGS_BYTES - 64) {
      out.push(`runwarden: ${texts.length - i} more warning(s) not shown`);
      break;
    }
    out.push(text);
    bytes += size;
  }
  return out;
}

/** The text of a denial: what, why (the first findings), and how to accept one with a reason. */
export function denialMessage(decision: Decision, request: AdmissionRequest): string {
  const shown = decision.denied.slice(0, MESSAGE_FINDINGS).map(line);
  const more = decision.denied.length - shown.length;
  return `runwarden denied ${decision.object}: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}. ${exemptHint(decision.denied.map((f) => f.rule), request)}`;
}

/** The AdmissionReview answer for a decision. */
export function respond(request: AdmissionRequest, decision: Decision, extraWarnings: readonly string[] = []): AdmissionReviewResponse {
  const { uid } = request;
  const warnings = warningsOf([...extraWarnings, ...decision.warned.map((f) => `runwarden: ${line(f)}`)]);
  const response: AdmissionResponse = { uid, allowed: decision.allowed };
  if (!decision.allowed) response.status = { code: 403, reason: 'Forbidden', message: denialMessage(decision, request) };
  if (warnings.length > 0) response.warnings = warnings;
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

/** The answer when the object could not be judged: allowed with a warning (fail open) or denied (fail closed). */
export function respondUnjudged(uid: string, failureMode: 'open' | 'closed', object: string, why: string): AdmissionReviewResponse {
  const text = `runwarden could not review ${object}: ${why}`;
  const response: AdmissionResponse =
    failureMode === 'open'
      ? { uid, allowed: true, warnings: warningsOf([`${text}; admitted (failure mode open)`]) }
      : { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: `${text}; denied (failure mode closed)` } };
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}
