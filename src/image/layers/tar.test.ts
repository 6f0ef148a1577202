/**
 * The push tar parser (tar.ts) on archives written by GNU tar (pax and GNU formats, long names,
 * big files) and tar-stream, fed in every chunking, plus the hostile cases where it follows Go's
 * archive/tar (the runtime's reader) rather than the bytes' face value.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { tarOf } from '../../../test/images.js';
import { TarError, TarParser, type TarHeader } from './tar.js';

interface Seen {
  header: TarHeader;
  body: string;
}

/** Parse `tar` fed in pieces of `step` bytes; optionally make every body chunk wait a tick. */
async function parse(tar: Buffer, step = tar.length, wait = false): Promise<Seen[]> {
  const seen: Seen[] = [];
  let body: Buffer[] = [];
  const parser = new TarParser({
    header: (h) => {
      body = [];
      seen.push({ header: h, body: '' });
    },
    data: (chunk) => {
      body.push(Buffer.from(chunk));
      return wait ? new Promise<void>((ok) => setImmediate(ok)) : undefined;
    },
    end: () => {
      const last = seen.at(-1);
      if (last !== undefined) last.body = Buffer.concat(body).toString('latin1');
    },
  });
  for (let i = 0; i < tar.length; i += step) await parser.write(tar.subarray(i, i + step));
  parser.end();
  return seen;
}

/** A ustar header block with a valid checksum. */
function header(name: string, options: { type?: string; size?: number; linkname?: string; sizeField?: Buffer } = {}): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 'utf8');
  b.write('0000644\0', 100, 'latin1');
  b.write('0000000\0', 108, 'latin1');
  b.write('0000000\0', 116, 'latin1');
  if (options.sizeField !== undefined) options.sizeField.copy(b, 124);
  else b.write(`${(options.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  b.write('14000000000\0', 136, 'latin1');
  b.write(options.type ?? '0', 156, 'latin1');
  if (options.linkname !== undefined) b.write(options.linkname, 157, 'utf8');
  b.write('ustar\x0000', 257, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

const pad = (data: string): Buffer => {
  const b = Buffer.from(data, 'latin1');
  return Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
};
const END = Buffer.alloc(1024);

describe('TarParser', () => {
  it('reads what GNU tar writes (pax and gnu formats: long names and link targets, symlinks, folders) in any chunking', async () => {
    const reason = requireComponent('tar', ['tar']);
    if (reason !== undefined) return;
    const dir = mkdtempSync(join(tmpdir(), 'rw-tar-'));
    const long = `${'deep/'.repeat(40)}file-with-a-name-longer-than-one-hundred-bytes.txt`;
    mkdirSync(join(dir, 'root', ...long.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(dir, 'root', long), 'long');
    writeFileSync(join(dir, 'root', 'small'), 'x'.repeat(1000));
    symlinkSync(`../${long}`, join(dir, 'root', 'deep', 'link'));
    for (const format of ['pax', 'gnu']) {
      const tar = execFileSync('tar', ['-C', join(dir, 'root'), `--format=${format}`, '--sort=name', '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
      const expected = await parse(tar);
      expect(expected.find((e) => e.header.name === `./${long}`)?.body).toBe('long');
      expect(expected.find((e) => e.header.name === './small')?.body).toBe('x'.repeat(1000));
      expect(expected.find((e) => e.header.name === './deep/link')?.header).toMatchObject({ flag: '2', linkname: `../${long}`, size: 0 });
      expect(expected.find((e) => e.header.name === './deep/')?.header.flag).toBe('5');
      for (const step of [1, 7, 511, 512, 513, 4096]) expect(await parse(tar, step)).toEqual(expected);
      expect(await parse(tar, 100, true)).toEqual(expected);
    }
  });

  it('reads tar-stream output, and numbers in GNU base-256 (files over 8 GiB)', async () => {
    const tar = await tarOf([{ path: 'etc/' }, { path: 'etc/hostname', content: 'box\n' }, { path: 'hl', type: 'link', linkname: 'etc/hostname' }]);
    expect((await parse(tar, 3)).map((e) => [e.header.name, e.header.flag, e.body])).toEqual([['etc/', '5', ''], ['etc/hostname', '0', 'box\n'], ['hl', '1', '']]);
    const big = Buffer.alloc(12);
    big[0] = 0x80;
    big.writeUIntBE(9 * 1024 ** 3, 6, 6);
    const seen: TarHeader[] = [];
    const parser = new TarParser({ header: (h) => seen.push(h), data: () => undefined, end: () => undefined });
    void parser.write(header('huge', { sizeField: big }));
    expect(seen[0]?.size).toBe(9 * 1024 ** 3);
    expect(() => parser.end()).toThrow(TarError);
  });

  it('gives links, symlinks and folders no body whatever their size field says (as Go reads them)', async () => {
    const tar = Buffer.concat([header('s', { type: '2', linkname: 't', size: 512 }), header('hidden'), header('d/', { type: '5', size: 512 }), header('after'), END]);
    // Were the size honoured, "hidden" and "after" would be swallowed as bodies.
    expect((await parse(tar)).map((e) => e.header.name)).toEqual(['s', 'hidden', 'd/', 'after']);
  });

  it('applies pax path/linkpath/size/uid/gid/mtime to the next entry only and ignores global headers', async () => {
    const rec = (k: string, v: string): string => {
      const body = ` ${k}=${v}\n`;
      let n = body.length + 1;
      if (`${n}${body}`.length !== n) n = `${n}${body}`.length;
      return `${n}${body}`;
    };
    const pax = rec('path', 'pax/name') + rec('uid', '70000') + rec('mtime', '1700000000.5') + rec('size', '3');
    const global = rec('path', 'global/should-not-apply');
    const tar = Buffer.concat([
      header('g', { type: 'g', size: global.length }), pad(global),
      header('x', { type: 'x', size: pax.length }), pad(pax),
      header('short', { size: 99 }), pad('abc'),
      header('plain', { size: 1 }), pad('z'), END,
    ]);
    const seen = await parse(tar, 5);
    expect(seen.map((e) => [e.header.name, e.header.uid, e.header.mtime, e.body])).toEqual([['pax/name', 70000, 1700000000, 'abc'], ['plain', 0, 0o14000000000, 'z']]);
  });

  it('reads GNU L/K long names', async () => {
    const name = `${'n'.repeat(300)}`;
    const target = `${'t'.repeat(200)}`;
    const tar = Buffer.concat([header('././@LongLink', { type: 'L', size: name.length + 1 }), pad(`${name}\0`), header('././@LongLink', { type: 'K', size: target.length + 1 }), pad(`${target}\0`), header('cut', { type: '2', linkname: 'cut' }), END]);
    expect((await parse(tar)).map((e) => [e.header.name, e.header.linkname])).toEqual([[name, target]]);
  });

  it('stops at the end marker (what follows is not parsed) and refuses a lone zero block followed by a header', async () => {
    const afterEnd = Buffer.concat([header('a', { size: 1 }), pad('a'), END, header('ghost', { size: 1 }), pad('g'), Buffer.from('garbage')]);
    expect((await parse(afterEnd)).map((e) => e.header.name)).toEqual(['a']);
    const lone = Buffer.concat([header('a'), Buffer.alloc(512), header('smuggled'), END]);
    await expect(parse(lone)).rejects.toThrow(/single zero block is followed by more headers/);
    // No end marker at all: accepted at a header boundary, truncation inside a header or body.
    expect((await parse(Buffer.concat([header('a', { size: 1 }), pad('a')]))).map((e) => e.body)).toEqual(['a']);
    await expect(parse(Buffer.concat([header('a', { size: 1 }), pad('a'), header('b').subarray(0, 100)]))).rejects.toMatchObject({ kind: 'truncated' });
    await expect(parse(Buffer.concat([header('a', { size: 1000 }), Buffer.alloc(600)]))).rejects.toMatchObject({ kind: 'truncated' });
  });

  it('refuses a bad checksum, an unknown format, a non-numeric size and an oversized extended header', async () => {
    const bad = header('a');
    bad[0] = 0x62;
    await expect(parse(bad)).rejects.toThrow(/bad checksum/);
    const v7 = header('a');
    v7.fill(0, 257, 265);
    v7.fill(0x20, 148, 156);
    let sum = 0;
    for (const x of v7) sum += x;
    v7.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await expect(parse(v7)).rejects.toThrow(/unknown format/);
    await expect(parse(header('a', { sizeField: Buffer.from('12x45\0') }))).rejects.toThrow(/size field/);
    await expect(parse(header('x', { type: 'x', size: 2 * 1024 * 1024 }))).rejects.toThrow(/Header exceeds max size/);
  });
});
