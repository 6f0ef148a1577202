/**
 * One temporary directory per test run (vitest `globalSetup`, see vitest.config.ts): every test, harness
 * and product code under test that asks `os.tmpdir()` gets this run's directory (TMPDIR is set before the
 * test processes start), and the whole directory is removed when the run ends. Tests therefore never leave
 * scratch files behind, even those that do not clean up after themselves (a containerd state directory, a
 * built agent image: ~240 MB a run before this existed).
 *
 * - Set RUNWARDEN_KEEP_TEST_TMP=1 to keep the directory for a look after the run (its path is printed).
 * - A run that was killed cannot clean up; the next run removes directories of runs whose process is gone.
 * - What must outlive a run (scripts/helm-template.sh's compiled renderer, screenshots for a person to
 *   look at) goes under `lastingTmpdir()`, the machine's temporary directory.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../src/core/errors.js';

export const PREFIX = 'rw-test-run-';
/** The file in a run's directory that names the process that owns it. */
export const OWNER = '.owner-pid';
/** Where the machine's own temporary directory is passed to the test processes. */
const LASTING = 'RUNWARDEN_TEST_LASTING_TMPDIR';

/** The machine's temporary directory (not the run's): for caches and artifacts that outlive a run. */
export function lastingTmpdir(): string {
  return process.env[LASTING] ?? tmpdir();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const MOUNTINFO = '/proc/self/mountinfo';

/** Mount points at or under `dir` (`mountinfo`: Linux's /proc/self/mountinfo; none elsewhere): a removal must not descend into them. */
export function mountsUnder(dir: string, mountinfo = existsSync(MOUNTINFO) ? readFileSync(MOUNTINFO, 'utf8') : ''): string[] {
  const unescape = (path: string): string => path.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return mountinfo
    .split('\n')
    .map((line) => unescape(line.split(' ')[4] ?? ''))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/**
 * Remove a run's directory, unless something is still mounted in it (a container's root file system or
 * bind mount that a test failed to undo: descending into it could delete what the mount shows). Problems
 * are printed, never thrown: a leftover directory must not fail a run whose tests passed.
 */
export function remove(dir: string): void {
  if (!existsSync(dir)) return;
  const mounts = mountsUnder(realpathSync(dir));
  if (mounts.length > 0) {
    process.stderr.write(`runwarden tests: left ${dir} in place: still mounted there: ${mounts.join(', ')} (unmount, then remove it)\n`);
    return;
  }
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    process.stderr.write(`runwarden tests: could not remove ${dir}: ${errorMessage(error)}\n`);
  }
}

/** Remove this user's directories of earlier runs whose process is gone (killed before their teardown). */
export function sweep(base: string): void {
  const uid = process.getuid?.();
  for (const name of readdirSync(base)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(base, name);
    // another user's run (a shared /tmp) is theirs to clean
    if (uid !== undefined && statSync(dir, { throwIfNoEntry: false })?.uid !== uid) continue;
    let pid: number;
    try {
      pid = Number(readFileSync(join(dir, OWNER), 'utf8'));
    } catch {
      continue; // not ours to judge: no owner file (being created, or not a run directory)
    }
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) remove(dir);
  }
}

export default function setup(): () => void {
  const base = tmpdir();
  sweep(base);
  const root = mkdtempSync(join(base, PREFIX));
  // others may pass through (not list): tests that connect as another user (nobody) to a socket in a
  // directory of their own, which they open up themselves, must reach it through this one
  chmodSync(root, 0o711);
  writeFileSync(join(root, OWNER), String(process.pid));
  process.env[LASTING] = base;
  process.env.TMPDIR = root;
  return () => {
    process.env.TMPDIR = base;
    if (process.env.RUNWARDEN_KEEP_TEST_TMP === '1') {
      process.stderr.write(`runwarden tests: kept the run's temporary directory ${root} (RUNWARDEN_KEEP_TEST_TMP=1)\n`);
      return;
    }
    remove(root);
  };
}
