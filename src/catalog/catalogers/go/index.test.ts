import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { catalogDirectory } from '../../directory.js';
import { go, stdlibVersion } from './index.js';

const run = promisify(execFile);
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

function scanInChunks(path: string, content: Buffer, size: number): ReturnType<typeof go.parse> {
  const s = go.scan(path);
  for (let i = 0; i < content.length; i += size) s.write(content.subarray(i, i + size));
  return s.end();
}

describe('go cataloger', () => {
  it('a crafted ELF with build info: stdlib, main module, deps with the => replacement applied, purls', async () => {
    const got = await catalogDirectory(here('testdata/crafted'), [go]);
    expect(got.issues).toEqual([]);
    expect(got.packages.map((p) => `${p.name}@${p.version} ${p.purl ?? ''}`)).toEqual([
      'stdlib@v1.21.5 pkg:golang/stdlib@v1.21.5',
      'example.com/svc@v0.4.0 pkg:golang/example.com/svc@v0.4.0',
      'github.com/google/uuid@v1.3.0 pkg:golang/github.com/google/uuid@v1.3.0',
      'golang.org/x/net@v0.17.0 pkg:golang/golang.org/x/net@v0.17.0',
    ]);
    expect(got.packages.every((p) => p.ecosystem === 'Go' && p.foundBy === 'go')).toBe(true);
  });

  it('finds the build info whatever the chunk boundaries (magic split across chunks)', async () => {
    const bytes = await readFile(here('testdata/crafted/usr/local/bin/app'));
    const whole = go.parse('app', bytes);
    for (const size of [1, 7, 13, 2050, 4096]) expect(scanInChunks('app', bytes, size)).toEqual(whole);
  });

  it('malformed ELF: damaged build info is an issue with the path; non-ELF and ELF without build info are silent', async () => {
    const bytes = Buffer.from(await readFile(here('testdata/crafted/usr/local/bin/app')));
    const at = bytes.indexOf('\xff Go buildinf:', 0, 'latin1');
    const badPtr = Buffer.from(bytes);
    badPtr[at + 14] = 3;
    expect(go.parse('usr/bin/x', badPtr)).toEqual({ packages: [], issues: [{ code: 'go-buildinfo-invalid', message: '"usr/bin/x" has a Go build info header that cannot be read (pointer size 3 in the build info header is neither 4 nor 8); its modules are not listed', hint: 'The binary may be damaged or built by Go < 1.18 (pointer format).' }] });
    const cut = go.parse('usr/bin/x', bytes.subarray(0, at + 60));
    expect(cut.issues?.[0]?.message).toMatch(/^"usr\/bin\/x" has a Go build info header that cannot be read \(the module list claims \d+ bytes, past the end of the data\); its modules are not listed$/);
    const old = Buffer.from(bytes);
    old[at + 15] = 0;
    expect(go.parse('usr/bin/x', old).issues?.[0]?.message).toContain('pre-Go 1.18 pointer format');
    expect(go.parse('script.sh', Buffer.from('#!/bin/sh\necho \xff Go buildinf:\n'))).toEqual({ packages: [] });
    expect(go.parse('usr/bin/c', Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(8192)]))).toEqual({ packages: [], issues: [] });
    expect(go.parse('empty', Buffer.alloc(0))).toEqual({ packages: [] });
  });

  it('wants executables only', () => {
    expect(go.wants?.({ path: 'usr/bin/app', size: 10_000_000, mode: 0o755, uid: 0, gid: 0 })).toBe(true);
    expect(go.wants?.({ path: 'etc/passwd', size: 10_000, mode: 0o644, uid: 0, gid: 0 })).toBe(false);
    expect(go.wants?.({ path: 'usr/bin/tiny', size: 100, mode: 0o755, uid: 0, gid: 0 })).toBe(false);
  });

  it('stdlib versions', () => {
    expect(['go1.21.5', 'go1.22', 'go1.20.1 X:boringcrypto', 'go1.22rc1', 'devel +abc'].map(stdlibVersion)).toEqual(['v1.21.5', 'v1.22.0', 'v1.20.1', 'v1.22.0-rc1', undefined]);
  });

  const goMissing = requireComponent('golang', ['go']);
  describe.skipIf(goMissing !== undefined)('a binary built by the real Go toolchain (go build), compared with go version -m', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rw-go-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('the same toolchain, main module and dependencies as go version -m', async () => {
      await mkdir(join(dir, 'vendor/example.com/dep'), { recursive: true });
      await writeFile(join(dir, 'go.mod'), 'module example.com/app\n\ngo 1.19\n\nrequire example.com/dep v1.2.3\n');
      await writeFile(join(dir, 'main.go'), 'package main\n\nimport "example.com/dep"\n\nfunc main() { println(dep.Hello()) }\n');
      await writeFile(join(dir, 'vendor/example.com/dep/dep.go'), 'package dep\n\nfunc Hello() string { return "hi" }\n');
      await writeFile(join(dir, 'vendor/modules.txt'), '# example.com/dep v1.2.3\n## explicit\nexample.com/dep\n');
      const env = { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=vendor', GOCACHE: join(dir, '.cache'), GOPATH: join(dir, '.gopath'), CGO_ENABLED: '0' };
      await run('go', ['build', '-o', 'app', '.'], { cwd: dir, env });
      const { stdout } = await run('go', ['version', '-m', 'app'], { cwd: dir, env });
      const lines = stdout.split('\n');
      const toolchain = /: (go\S+)/.exec(lines[0] ?? '')?.[1] ?? '';
      const deps = lines.filter((l) => l.trim().startsWith('dep\t')).map((l) => l.trim().split('\t')).map((f) => `${f[1] ?? ''}@${f[2] ?? ''}`);
      const bytes = await readFile(join(dir, 'app'));
      const got = scanInChunks('app', bytes, 64 * 1024);
      expect(got.issues ?? []).toEqual([]);
      // The main module says (devel) when built from a checkout: not a version, so not listed.
      expect(got.packages.map((p) => `${p.name}@${p.version}`)).toEqual([`stdlib@${stdlibVersion(toolchain) ?? ''}`, ...deps]);
      expect(deps).toEqual(['example.com/dep@v1.2.3']);
    }, 60_000);
  });
});
