/**
 * Real components for tests (containerd, registry, clamd, PostgreSQL, Chromium, …).
 * A test that needs one calls `requireComponent`. When the component is absent the test is skipped
 * with a one-line reason — except when RUNWARDEN_REQUIRE_COMPONENTS=1 (set by `.ci/run`), where a
 * missing component fails the suite: CI must run every real-component test, never skip it.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function requireComponentsInCi(): boolean {
  return process.env.RUNWARDEN_REQUIRE_COMPONENTS === '1';
}

/** Absolute path of an executable on PATH (or at an absolute path), or undefined. */
export function findExecutable(name: string): string | undefined {
  if (name.startsWith('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/usr/local/bin']) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns `undefined` when every executable is present, else the skip reason.
 * Throws (failing the test file) when components are required, as in CI.
 */
export function requireComponent(component: string, executables: string[]): string | undefined {
  const missing = executables.filter((e) => findExecutable(e) === undefined);
  if (missing.length === 0) return undefined;
  const reason = `skipped: ${component} not installed (missing ${missing.join(', ')})`;
  if (requireComponentsInCi()) {
    throw new Error(`${reason} — RUNWARDEN_REQUIRE_COMPONENTS=1 requires it; install it (see .ci/run)`);
  }
  return reason;
}
