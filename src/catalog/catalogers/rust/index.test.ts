import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { catalogDirectory } from '../../directory.js';
import { rust } from './index.js';

const run = promisify(execFile);
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const FIXTURE = here('testdata/auditable/usr/local/bin/hello');

function scanInChunks(content: Buffer, size: number): ReturnType<typeof rust.parse> {
  const s = rust.scan('usr/local/bin/hello');
  for (let i = 0; i < content.length; i += size) s.write(content.subarray(i, i + size));
  return s.end();
}

const names = (r: ReturnType<typeof rust.parse>): string[] => r.packages.map((p) => `${p.name}@${p.version}`);
const EXPECTED = ['hello@0.1.0', 'serde@1.0.197', 'regex@1.10.3', 'itoa@1.0.10', 'memchr@2.7.1'];

describe('rust cataloger (cargo-auditable .dep-v0)', () => {
  it('lists the runtime crates of a rustc-built ELF with a .dep-v0 section (build-time serde_derive skipped), as pkg:cargo purls', async () => {
    const got = await catalogDirectory(here('testdata/auditable'), [rust]);
    expect(got.issues).toEqual([]);
    expect(got.packages.map((p) => [p.ecosystem, p.name, p.version, p.purl, p.foundBy, p.locations])).toEqual(
      EXPECTED.map((nv) => {
        const [name, version] = nv.split('@') as [string, string];
        return ['crates.io', name, version, `pkg:cargo/${name}@${version}`, 'rust', [{ path: '/usr/local/bin/hello' }]];
      }),
    );
  });

  it('finds the section whatever the chunk boundaries (zlib header or section table split across chunks)', async () => {
    const bytes = await readFile(FIXTURE);
    for (const size of [1, 7, 100, 1023, 1024, 1500, 2048, 4096, 65536]) expect([size, names(scanInChunks(bytes, size))]).toEqual([size, EXPECTED]);
  });

  it('bad input: a damaged section or a file cut inside it is an issue with the path; no .dep-v0 section, non-ELF and empty files are silent', async () => {
    const bytes = await readFile(FIXTURE);
    const at = bytes.indexOf(Buffer.from([0x78, 0xda]));
    expect(at).toBeGreaterThan(0);
    const stream = deflateSync(inflateSync(bytes.subarray(at)), { level: 7 });
    // Flip the Adler-32 checksum: the stream no longer inflates.
    const damaged = Buffer.from(bytes);
    damaged[at + stream.length - 1] = (damaged[at + stream.length - 1] ?? 0) ^ 0xff;
    expect(rust.parse('usr/bin/x', damaged)).toEqual({ packages: [], issues: [{ code: 'rust-audit-invalid', message: '"usr/bin/x" has a cargo-auditable .dep-v0 section that cannot be read (it does not inflate: incorrect data check); its crates are not listed', hint: 'The binary may be damaged or truncated; rebuild it with "cargo auditable build".' }] });
    const cut = rust.parse('usr/bin/x', bytes.subarray(0, at + stream.length - 10));
    expect(cut.issues?.map((i) => i.message)).toEqual(['"usr/bin/x" has a cargo-auditable .dep-v0 section that cannot be read (its compressed data is cut off); its crates are not listed']);
    const renamed = Buffer.from(bytes);
    const name = renamed.indexOf('.dep-v0\0', 0, 'latin1');
    renamed.write('.dep-v9', name, 'latin1');
    expect(rust.parse('usr/bin/x', renamed)).toEqual({ packages: [] });
    expect(rust.parse('script.sh', Buffer.from('#!/bin/sh\necho {"packages":[]}\n'))).toEqual({ packages: [] });
    expect(rust.parse('empty', Buffer.alloc(0))).toEqual({ packages: [] });
    expect(rust.parse('usr/bin/c', Buffer.concat([Buffer.from('\x7fELF\x02\x01'), Buffer.alloc(8192)]))).toEqual({ packages: [] });
  });

  it('JSON that is not cargo-auditable data is an issue naming the field; a stripped section table keeps the data unverified', async () => {
    const bytes = await readFile(FIXTURE);
    const at = bytes.indexOf(Buffer.from([0x78, 0xda]));
    const original = deflateSync(inflateSync(bytes.subarray(at)), { level: 7 });
    const bad = deflateSync(JSON.stringify({ packages: [{ name: 'x', version: 1 }] }), { level: 7 });
    expect(bad.length).toBeLessThan(original.length);
    const withBad = Buffer.from(bytes);
    bad.copy(withBad, at);
    expect(rust.parse('usr/bin/x', withBad).issues?.[0]?.message).toBe('"usr/bin/x" has a cargo-auditable .dep-v0 section that cannot be read (its JSON is not cargo-auditable data at packages.0.version: Invalid input: expected string, received number); its crates are not listed');
    // e_shoff = 0: no section table (as after sstrip).
    const stripped = Buffer.from(bytes);
    stripped.writeBigUInt64LE(0n, 0x28);
    expect(names(rust.parse('usr/bin/x', stripped))).toEqual(EXPECTED);
  });

  it('wants executables only', () => {
    expect(rust.wants?.({ path: 'usr/bin/app', size: 10_000_000, mode: 0o755, uid: 0, gid: 0 })).toBe(true);
    expect(rust.wants?.({ path: 'etc/passwd', size: 10_000, mode: 0o644, uid: 0, gid: 0 })).toBe(false);
    expect(rust.wants?.({ path: 'usr/bin/tiny', size: 100, mode: 0o755, uid: 0, gid: 0 })).toBe(false);
  });

  const missing = requireComponent('rustc + objcopy', ['rustc', 'objcopy']);
  describe.skipIf(missing !== undefined)('a static binary built by the real rustc, with .dep-v0 added by objcopy', () => {
    it('lists 5000 crates from a section larger than a read chunk (64 KiB), the same as objcopy --dump-section reads', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rw-rust-'));
      await writeFile(join(dir, 'main.rs'), 'fn main() { println!("runwarden"); }\n');
      await run('rustc', ['-C', 'opt-level=1', join(dir, 'main.rs'), '-o', join(dir, 'app')], { cwd: dir });
      expect((await run(join(dir, 'app'), [])).stdout).toBe('runwarden\n');
      const packages = [{ name: 'app', version: '1.0.0', source: 'local', root: true, dependencies: Array.from({ length: 5000 }, (_, i) => i + 1) }];
      for (let i = 0; i < 5000; i++) packages.push({ name: `c-${createHash('sha256').update(String(i)).digest('hex').slice(0, 24)}`, version: `${i}.${(i * 7) % 13}.${(i * 31) % 97}`, source: 'crates.io', root: false, dependencies: [] });
      const section = deflateSync(JSON.stringify({ packages }), { level: 7 });
      expect(section.length).toBeGreaterThan(64 * 1024);
      await writeFile(join(dir, 'dep-v0'), section);
      await mkdir(join(dir, 'root', 'usr', 'bin'), { recursive: true });
      await run('objcopy', ['--add-section', `.dep-v0=${join(dir, 'dep-v0')}`, '--set-section-flags', '.dep-v0=readonly,data', join(dir, 'app'), join(dir, 'root', 'usr', 'bin', 'app')]);
      expect((await run(join(dir, 'root', 'usr', 'bin', 'app'), [])).stdout).toBe('runwarden\n');
      const dumped = await run('objcopy', ['--dump-section', `.dep-v0=${join(dir, 'dumped')}`, join(dir, 'root', 'usr', 'bin', 'app'), join(dir, 'copy')]);
      expect(dumped.stderr).toBe('');
      const truth = (JSON.parse(inflateSync(await readFile(join(dir, 'dumped'))).toString()) as { packages: Array<{ name: string; version: string }> }).packages.map((p) => `${p.name}@${p.version}`);
      const got = await catalogDirectory(join(dir, 'root'), [rust]);
      expect(got.issues).toEqual([]);
      expect(got.packages.map((p) => `${p.name}@${p.version}`)).toEqual(truth);
      expect(got.packages).toHaveLength(5001);
    });
  });
});
