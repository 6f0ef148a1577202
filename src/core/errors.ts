/**
 * One error hierarchy for the whole tool (STYLE.md "Errors a person can act on").
 * Every error carries a stable `code`, a one-line message that names the value, where it came
 * from and what was expected, and a `hint` that says how to fix it. External errors are
 * translated into these once, at the adapter that met them.
 */

export const EXIT = {
  ok: 0,
  findings: 1,
  usage: 2,
  runtime: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface AppErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /** Exit code the CLI maps this error to. */
  readonly exitCode: ExitCode = EXIT.runtime;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Wrong flag, argument or command: exit 2. */
export class UsageError extends AppError {
  override readonly exitCode = EXIT.usage;
  constructor(message: string, options: AppErrorOptions = {}) {
    super('usage', message, options);
  }
}

/** A configuration file, environment variable or setting is invalid: exit 2. */
export class ConfigError extends AppError {
  override readonly exitCode = EXIT.usage;
  constructor(message: string, options: AppErrorOptions = {}) {
    super('config', message, options);
  }
}

/** An input file (snapshot, manifest) cannot be read or parsed at all. */
export class InputError extends AppError {
  readonly file: string;
  constructor(file: string, message: string, options: AppErrorOptions = {}) {
    super('input', message, options);
    this.file = file;
  }
}

/** The Kubernetes API answered with an error or could not be reached. */
export class KubeApiError extends AppError {
  readonly status: number | undefined;
  constructor(message: string, options: AppErrorOptions & { status?: number | undefined } = {}) {
    super('kube-api', message, options);
    this.status = options.status;
  }
}

/** An image reference does not follow the distribution reference grammar. */
export class InvalidReferenceError extends AppError {
  readonly reference: string;
  constructor(reference: string, reason: string, options: AppErrorOptions = {}) {
    super('invalid-reference', `Invalid image reference "${reference}": ${reason}`, options);
    this.reference = reference;
  }
}

/** A version string is not valid in the named scheme. Never treat it as "greater". */
export class InvalidVersionError extends AppError {
  // A bad version reaching the CLI came from the user; inside a scan it becomes an issue instead.
  override readonly exitCode = EXIT.usage;
  readonly scheme: string;
  readonly input: string;
  constructor(scheme: string, input: string, reason: string, options: AppErrorOptions = {}) {
    super('invalid-version', `Invalid ${scheme} version "${input}": ${reason}`, options);
    this.scheme = scheme;
    this.input = input;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The message of any thrown value, without stack. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}

/**
 * A version range or constraint is not valid in the named scheme. It is an InvalidVersionError so callers
 * handle both alike: a range that cannot be evaluated makes a finding "unknown", never "not affected".
 */
export class InvalidRangeError extends InvalidVersionError {
  constructor(scheme: string, input: string, reason: string, options: AppErrorOptions = {}) {
    super(scheme, input, reason, options);
    this.message = `Invalid ${scheme} range "${input}": ${reason}`;
  }
}

/** An ecosystem or version scheme runwarden has no comparator for. An issue, never a fallback comparator. */
export class UnknownSchemeError extends AppError {
  override readonly exitCode = EXIT.usage;
  readonly kind: 'scheme' | 'ecosystem';
  readonly input: string;
  readonly known: readonly string[];
  readonly closest: string | undefined;
  constructor(
    kind: 'scheme' | 'ecosystem',
    input: string,
    message: string,
    options: AppErrorOptions & { known: readonly string[]; closest?: string | undefined },
  ) {
    super('unknown-scheme', message, options);
    this.kind = kind;
    this.input = input;
    this.known = options.known;
    this.closest = options.closest;
  }
}

/**
 * The container runtime's CRI endpoint (a node's unix socket) is missing, refuses us, is not CRI,
 * speaks only the deprecated v1alpha2 API, timed out, or answered an error.
 * `reason` is stable for programs; `method` is the CRI call that failed, when one did.
 */
export class CriError extends AppError {
  readonly address: string;
  readonly reason: 'missing-socket' | 'permission-denied' | 'connection-refused' | 'not-cri' | 'v1alpha2-only' | 'timeout' | 'unavailable' | 'invalid-reply' | 'runtime-error';
  readonly method: string | undefined;
  /** The gRPC status code, when the runtime answered one. */
  readonly grpcCode: number | undefined;
  constructor(
    reason: CriError['reason'],
    address: string,
    message: string,
    options: AppErrorOptions & { method?: string | undefined; grpcCode?: number | undefined } = {},
  ) {
    super('cri', message, options);
    this.reason = reason;
    this.address = address;
    this.method = options.method;
    this.grpcCode = options.grpcCode;
  }
}

/**
 * A registry or image source failed: unreachable host, refused credentials, a missing manifest or
 * blob, content whose digest does not match, or a reply that breaks the OCI distribution spec.
 * `status` is the HTTP status when there was one; `registry` the host it came from.
 */
export class RegistryError extends AppError {
  readonly status: number | undefined;
  readonly registry: string | undefined;
  constructor(code: string, message: string, options: AppErrorOptions & { status?: number | undefined; registry?: string | undefined } = {}) {
    super(code, message, options);
    this.status = options.status;
    this.registry = options.registry;
  }
}
