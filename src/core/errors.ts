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
