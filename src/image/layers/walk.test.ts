/**
 * One pass over a layer, including hostile layers built with test/images.ts (path traversal,
 * symlink and hard-link escapes, a whiteout of a parent folder, a tar bomb whose header declares
 * more than it holds, a decompression bomb, truncated and corrupt streams): each yields a clear
 * issue, the entries before the damage stay, and nothing is ever written outside (or anywhere).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { layerOf, layerWith, tarOf, type LayerEntry } from '../../../test/images.js';
import { RegistryError } from '../../core/errors.js';
import { VerifyingStream, digestOf } from '../../registry/digest.js';
import { readLayer, type FileSink } from './walk.js';

/** The blob as a source hands it out: a stream verified against its digest. */
function blobStream(blob: Buffer, digest = digestOf(blob), chunk = 4096): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < blob.length; i += chunk) parts.push(blob.subarray(i, i + chunk));
  return Readable.from(parts).pipe(new VerifyingStream({ digest, size: blob.length }, 'test blob'));
}

function collecting(into: Map<string, string>): (entry: { path: string }) => FileSink {
  return (entry) => {
    const chunks: Buffer[] = [];
    return {
      write: (c) => {
        chunks.push(c);
      },
      end: () => {
        into.set(entry.path, Buffer.concat(chunks).toString('utf8'));
      },
      abort: () => {
        into.set(entry.path, '<aborted>');
      },
    };
  };
}

const files: LayerEntry[] = [
  { path: 'etc/' },
  { path: 'etc/hostname', content: 'box\n' },
  { path: 'usr/bin/tool', content: 'binary', mode: 0o4755 },
  { path: 'usr/bin/tool-link', type: 'link', linkname: 'usr/bin/tool' },
  { path: 'usr/bin/sh', type: 'symlink', linkname: '/bin/busybox' },
];

/** Patch the size field of the header at `offset` (octal, 11 digits) and fix its checksum. */
function patchSize(tar: Buffer, offset: number, size: number): Buffer {
  const out = Buffer.from(tar);
  out.write(`${size.toString(8).padStart(11, '0')}\0`, offset + 124, 'ascii');
  out.fill(0x20, offset + 148, offset + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += out[offset + i] ?? 0;
  out.write(`${sum.toString(8).padStart(6, '0')}\0 `, offset + 148, 'ascii');
  return out;
}

describe('readLayer', () => {
  it('indexes every entry and hands each file to its sink once, in tar order', async () => {
    const layer = await layerOf(files);
    const seen = new Map<string, string>();
    const hardlinks: string[] = [];
    const index = await readLayer(blobStream(layer.blob), layer.digest, { onFile: collecting(seen), onHardlink: (e) => hardlinks.push(`${e.path}→${e.linkname ?? ''}`) });
    expect(index.complete).toBe(true);
    expect(index.compression).toBe('gzip');
    expect(index.entries.map((e) => [e.path, e.type])).toEqual([['etc', 'dir'], ['etc/hostname', 'file'], ['usr/bin/tool', 'file'], ['usr/bin/tool-link', 'hardlink'], ['usr/bin/sh', 'symlink']]);
    expect(index.entries[2]?.mode).toBe(0o4755);
    expect(index.entries[4]?.linkname).toBe('/bin/busybox');
    expect([...seen]).toEqual([['etc/hostname', 'box\n'], ['usr/bin/tool', 'binary']]);
    expect(hardlinks).toEqual(['usr/bin/tool-link→usr/bin/tool']);
    expect(index.stats).toEqual({ entries: 5, bytes: (await tarOf(files)).length, fileBytes: 10 });
    expect(index.issues).toEqual([]);
  });

  it('records whiteouts and opaque folders, ignores AUFS bookkeeping', async () => {
    const layer = await layerOf([{ path: 'etc/.wh.hostname', content: '' }, { path: 'var/cache/.wh..wh..opq', content: '' }, { path: '.wh..wh.plnk/', type: 'directory' }, { path: '.wh.tmp', content: '' }]);
    const index = await readLayer(blobStream(layer.blob), layer.digest);
    expect(index.whiteouts).toEqual(['etc/hostname', 'tmp']);
    expect(index.opaques).toEqual(['var/cache']);
    expect(index.entries).toEqual([]);
  });

  it('reads zstd (with the real zstd CLI) and uncompressed layers, sniffing the content', async () => {
    const reason = requireComponent('zstd', ['zstd']);
    for (const compression of reason === undefined ? (['zstd', 'none'] as const) : (['none'] as const)) {
      const layer = await layerWith(files, compression);
      const seen = new Map<string, string>();
      const index = await readLayer(blobStream(layer.blob), layer.digest, { onFile: collecting(seen) });
      expect(index.compression).toBe(compression);
      expect(index.complete).toBe(true);
      expect(seen.get('etc/hostname')).toBe('box\n');
    }
  });

  it('gives every byte to sinks that make the pass wait, gzip or uncompressed, in small pieces', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ path: `f${i}`, content: Buffer.alloc(10_000 + i * 997, i) }));
    const tar = await tarOf(many);
    for (const blob of [tar, gzipSync(tar)]) {
      const got = new Map<string, number>();
      const index = await readLayer(blobStream(blob, digestOf(blob), 3000), digestOf(blob), {
        onFile: (e) => {
          let n = 0;
          const tick = (): Promise<void> => new Promise<void>((ok) => setImmediate(ok));
          return {
            write: (c) => {
              n += c.length;
              return tick();
            },
            end: async () => {
              await tick();
              got.set(e.path, n);
            },
            abort: () => undefined,
          };
        },
      });
      expect(index.complete).toBe(true);
      expect([...got]).toEqual(many.map((f) => [f.path, f.content.length]));
    }
  });

  it('rejects the whole layer when the blob does not match its digest (the data is never used)', async () => {
    const layer = await layerOf(files);
    const error = await readLayer(blobStream(layer.blob, digestOf('something else')), layer.digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('digest-mismatch');
  });

  describe('hostile layers', () => {
    it('skips a "../" path traversal with an issue and writes nothing outside', async () => {
      const target = `tmp/rw-escape-${randomUUID()}`;
      const layer = await layerOf([{ path: `../../../../../../${target}/pwned`, content: 'x' }, { path: 'ok', content: 'fine' }]);
      const seen = new Map<string, string>();
      const index = await readLayer(blobStream(layer.blob), layer.digest, { label: 'layer 1/1', onFile: collecting(seen) });
      expect(index.entries.map((e) => e.path)).toEqual(['ok']);
      expect([...seen.keys()]).toEqual(['ok']);
      expect(index.issues).toEqual([
        { code: 'layer-path-traversal', message: `layer 1/1: entry "../../../../../../${target}/pwned" climbs out of the image root with ".."; skipped`, location: 'layer 1/1', hint: 'A layer built to write outside the root is hostile: do not run this image.' },
      ]);
      expect(existsSync(`/${target}`)).toBe(false);
    });

    it('reads absolute names relative to the root and says so once', async () => {
      const layer = await layerOf([{ path: '/etc/passwd', content: 'root:x:0:0::/:/bin/sh\n' }, { path: '/etc/group', content: 'root:x:0:\n' }]);
      const index = await readLayer(blobStream(layer.blob), layer.digest, { label: 'L' });
      expect(index.entries.map((e) => e.path)).toEqual(['etc/passwd', 'etc/group']);
      expect(index.issues.map((i) => i.message)).toEqual(['L: 2 entries have absolute names; read relative to the image root']);
    });

    it('records a symlink that climbs out of the root, and skips a hard link that does', async () => {
      const layer = await layerOf([
        { path: 'evil', type: 'symlink', linkname: '../../../../../../etc' },
        { path: 'hl', type: 'link', linkname: '../../etc/shadow' },
        { path: 'self', type: 'link', linkname: 'self' },
      ]);
      const index = await readLayer(blobStream(layer.blob), layer.digest, { label: 'L' });
      expect(index.entries.map((e) => e.path)).toEqual(['evil']);
      expect(index.issues.map((i) => [i.code, i.message])).toEqual([
        ['layer-link-escape', 'L: symlink "evil" → "../../../../../../etc" climbs out of the image root; it is resolved inside the root, never outside'],
        ['layer-link-escape', 'L: hard link "hl" → "../../etc/shadow" points outside the image root; skipped, never followed'],
        ['layer-link-invalid', 'L: hard link "self" links to itself; skipped'],
      ]);
    });

    it('ignores a whiteout that names its own or a parent folder ("usr/.wh...", "usr/.wh..")', async () => {
      const layer = await layerOf([{ path: 'usr/.wh...', content: '' }, { path: 'usr/.wh..', content: '' }, { path: '.wh.', content: '' }]);
      const index = await readLayer(blobStream(layer.blob), layer.digest, { label: 'L' });
      expect(index.whiteouts).toEqual([]);
      expect(index.issues.map((i) => i.message)).toEqual([
        'L: whiteout "usr/.wh..." names "..", which would delete a parent folder; ignored',
        'L: whiteout "usr/.wh.." names ".", which would delete a parent folder; ignored',
        'L: whiteout ".wh." names "", which would delete a parent folder; ignored',
      ]);
    });

    it('stops at a tar bomb whose header declares far more than the layer holds, keeping earlier entries', async () => {
      const tar = await tarOf([{ path: 'first', content: 'kept' }, { path: 'bomb', content: 'A'.repeat(1024) }]);
      const bomb = patchSize(tar, 1024, 1024 ** 3); // the second header: 512 header + 512 data of "first"
      const blob = gzipSync(bomb);
      const seen = new Map<string, string>();
      const index = await readLayer(blobStream(blob), digestOf(blob), { label: 'L', onFile: collecting(seen) });
      expect(index.complete).toBe(false);
      expect(seen.get('first')).toBe('kept');
      expect(seen.get('bomb')).toBe('<aborted>');
      expect(index.issues.map((i) => i.code)).toEqual(['layer-truncated']);
      expect(index.issues[0]?.message).toBe(`L is truncated: the gzip stream ends early inside "bomb" (its header declares ${1024 ** 3} bytes, ${bomb.length - 1536} arrived); files after that point are missing`);
    });

    it('refuses an entry declared larger than the layer limit before reading it', async () => {
      const tar = patchSize(await tarOf([{ path: 'huge', content: 'x' }]), 0, 8 * 1024 ** 3);
      const blob = gzipSync(tar);
      const index = await readLayer(blobStream(blob), digestOf(blob), { label: 'L', limits: { maxLayerBytes: 1024 ** 3 } });
      expect(index.issues.map((i) => i.message)).toEqual([`L: entry "huge" declares ${8 * 1024 ** 3} bytes, more than the ${1024 ** 3}-byte layer limit; the rest of the layer was not read`]);
    });

    it('stops a decompression bomb at the layer size limit', async () => {
      const blob = gzipSync(await tarOf(Array.from({ length: 16 }, (_, i) => ({ path: `zeros-${i}`, content: Buffer.alloc(512 * 1024) }))));
      expect(blob.length).toBeLessThan(64 * 1024);
      const index = await readLayer(blobStream(blob), digestOf(blob), { label: 'L', limits: { maxLayerBytes: 1024 * 1024 } });
      expect(index.complete).toBe(false);
      expect(index.issues.map((i) => i.message)).toEqual([`L decompresses to more than ${1024 * 1024} bytes; the rest was not read`]);
    });

    it('reports a truncated gzip stream, still verifying the blob digest', async () => {
      const full = await layerOf([{ path: 'a', content: 'A'.repeat(50_000) }, { path: 'b', content: randomUUID().repeat(2000) }]);
      const cut = full.blob.subarray(0, Math.floor(full.blob.length / 2));
      const seen = new Map<string, string>();
      const index = await readLayer(blobStream(cut), digestOf(cut), { label: 'L', onFile: collecting(seen) });
      expect(index.complete).toBe(false);
      expect(index.issues.map((i) => i.code)).toEqual(['layer-truncated']);
      expect(index.issues[0]?.message).toMatch(/^L is truncated: the gzip stream ends early inside "b" \(its header declares 72000 bytes, \d+ arrived\); files after that point are missing$/);
      expect(seen.get('a')).toBe('A'.repeat(50_000));
      expect(seen.get('b')).toBe('<aborted>');
      // A truncated copy of a blob never passes as the real one.
      await expect(readLayer(blobStream(cut, full.digest), full.digest)).rejects.toThrow(/does not match its digest|ended after/);
    });

    it('reports a corrupt gzip stream and an empty blob', async () => {
      const garbage = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(100, 0x41)]);
      const corrupt = await readLayer(blobStream(garbage), digestOf(garbage), { label: 'L' });
      expect(corrupt.issues.map((i) => i.code)).toEqual(['layer-corrupt']);
      expect(corrupt.issues[0]?.message).toMatch(/^L cannot be decompressed \(gzip\): /);
      const empty = await readLayer(blobStream(Buffer.alloc(0)), digestOf(''), { label: 'L' });
      expect(empty.issues.map((i) => i.message)).toEqual(['L is empty (0 bytes): not a tar']);
    });

    it('reports plain text that is not a tar', async () => {
      const text = Buffer.from('this is not a tar archive at all, just text '.repeat(20));
      const index = await readLayer(blobStream(text), digestOf(text), { label: 'L' });
      expect(index.complete).toBe(false);
      expect(index.issues[0]?.code).toBe('layer-corrupt');
      expect(index.issues[0]?.message).toMatch(/^L is not a valid tar after 0 entries: /);
    });
  });
});
