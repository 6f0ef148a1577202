/**
 * Something runwarden could not read or evaluate. Issues never stop a scan: they travel with the
 * partial result into every report, so a gap in coverage is visible instead of silently "clean".
 */
export interface Issue {
  /** Stable machine-readable code, e.g. `snapshot-parse`, `kube-forbidden`. */
  code: string;
  /** One line a person can act on. */
  message: string;
  /** Where: a file (and JSON path / YAML line), a URL, a resource. */
  location?: string | undefined;
  /** How to close the gap. */
  hint?: string | undefined;
}

export function issue(code: string, message: string, location?: string, hint?: string): Issue {
  const out: Issue = { code, message };
  if (location !== undefined) out.location = location;
  if (hint !== undefined) out.hint = hint;
  return out;
}
