/** The run's own temporary directory (test/tmp-root.ts): where tests write, and how leftovers are cleaned. */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWNER, PREFIX, lastingTmpdir, mountsUnder, remove, sweep } from './tmp-root.js';

describe('the test run temporary directory', () => {
  it('is where os.tmpdir() points in every test process, owned by the live vitest process', () => {
    const root = tmpdir();
    expect(root.startsWith(join(lastingTmpdir(), PREFIX))).toBe(true);
    const owner = Number(readFileSync(join(root, OWNER), 'utf8'));
    expect(() => process.kill(owner, 0)).not.toThrow();
  });

  it('sweeps directories of runs whose process is gone, and nothing else', () => {
    const base = mkdtempSync(join(tmpdir(), 'rw-sweep-'));
    const dead = spawnSync('true').pid;
    const make = (name: string, owner: string | undefined): string => {
      const dir = join(base, name);
      mkdirSync(join(dir, 'deep', 'er'), { recursive: true });
      if (owner !== undefined) writeFileSync(join(dir, OWNER), owner);
      return dir;
    };
    const gone = make(`${PREFIX}gone`, String(dead));
    const live = make(`${PREFIX}live`, String(process.pid));
    const unowned = make(`${PREFIX}starting`, undefined);
    const other = make('someone-else', String(dead));
    const dirs = [gone, live, unowned, other];
    const kept = [false, true, true, true];
    // as root (CI), a dead run of another user (nobody) is left to them
    if (process.getuid?.() === 0) {
      const theirs = make(`${PREFIX}theirs`, String(dead));
      chownSync(theirs, 65534, 65534);
      dirs.push(theirs);
      kept.push(true);
    }
    sweep(base);
    expect(dirs.map((d) => existsSync(d))).toEqual(kept);
  });

  it('finds mount points under a directory in mountinfo (escaped spaces included), and only there', () => {
    const mountinfo = [
      '22 1 0:21 / / rw,relatime - ext4 /dev/vda rw',
      '40 22 0:40 / /tmp/rw-test-run-x/state/rootfs rw - overlay overlay rw',
      '41 22 0:41 / /tmp/rw-test-run-x/with\\040space rw - tmpfs tmpfs rw',
      '42 22 0:42 / /tmp/rw-test-run-xy rw - tmpfs tmpfs rw',
    ].join('\n');
    expect(mountsUnder('/tmp/rw-test-run-x', mountinfo)).toEqual(['/tmp/rw-test-run-x/state/rootfs', '/tmp/rw-test-run-x/with space']);
    expect(mountsUnder('/tmp/elsewhere', mountinfo)).toEqual([]);
  });

  it('removes a directory with everything in it, and is quiet about one already gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-remove-'));
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'f'), 'x');
    remove(dir);
    expect(existsSync(dir)).toBe(false);
    expect(() => remove(dir)).not.toThrow();
  });
});
