/**
 * Blob files read through one reused buffer (file-blob.ts) by the layer pass: every sink still gets
 * exactly the file's bytes, also when it keeps the chunks it was given and the layer spans many
 * read buffers (gzip, zstd with the real zstd CLI, plain tar), and a blob that does not match its
 * digest or size rejects the layer. As a plain Readable the stream verifies the same way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { requireComponent } from '../../test/components.js';
import { layerWith, tarOf, type LayerEntry } from '../../test/images.js';
import { RegistryError } from '../core/errors.js';
import { digestOf } from '../registry/digest.js';
import { FileBlobStream } from './file-blob.js';
import { readLayer, type FileSink } from './layers/walk.js';
import { folderStore } from './store.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A layout holding `blob` under its digest, with `stored` as the file's bytes (tampered when they differ). */
async function storeWith(blob: Buffer, stored = blob): Promise<{ open: (size?: number) => Promise<FileBlobStream>; digest: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rw-file-blob-'));
  dirs.push(dir);
  const digest = digestOf(blob);
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), stored);
  const store = folderStore(dir, 'test layout');
  return {
    digest,
    open: async (size = blob.length) => {
      const s = await store.open({ digest, size });
      expect(s).toBeInstanceOf(FileBlobStream);
      return s as FileBlobStream;
    },
  };
}

/** Sinks that keep the very chunks they are given (no copy), hashed only at the end. */
function keeping(into: Map<string, string>): (entry: { path: string }) => FileSink {
  return (entry) => {
    const chunks: Buffer[] = [];
    return {
      write: (c) => {
        chunks.push(c);
      },
      end: () => {
        into.set(entry.path, createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
      },
      abort: () => into.set(entry.path, '<aborted>'),
    };
  };
}

/** Files of random bytes (incompressible: the layer spans several 1 MiB read buffers). */
function bigFiles(): Array<LayerEntry & { content: Buffer }> {
  return Array.from({ length: 6 }, (_, i) => ({ path: `data/f${i}`, content: randomBytes(700_000 + i * 131_071) }));
}

describe('layer blobs read into a reused buffer', () => {
  const files = bigFiles();
  const want = new Map(files.map((f) => [f.path, createHash('sha256').update(f.content).digest('hex')]));

  it('gives every sink exactly its bytes, even when it keeps the chunks (gzip, zstd, plain tar)', async () => {
    const tar = await tarOf(files);
    const blobs: Array<[string, Buffer]> = [
      ['gzip', gzipSync(tar)],
      ['none', tar],
    ];
    if (requireComponent('zstd', ['zstd']) === undefined) blobs.push(['zstd', (await layerWith(files, 'zstd')).blob]);
    for (const [compression, blob] of blobs) {
      expect(blob.length).toBeGreaterThan(2 * 1024 * 1024);
      const { open, digest } = await storeWith(blob);
      const seen = new Map<string, string>();
      const index = await readLayer(await open(), digest, { onFile: keeping(seen) });
      expect(index.compression).toBe(compression);
      expect(index.complete).toBe(true);
      expect(seen).toEqual(want);
    }
  });

  it('rejects the layer when the file does not match its digest or its size', async () => {
    const blob = gzipSync(await tarOf(files));
    const tampered = Buffer.from(blob);
    tampered[tampered.length >> 1] = (tampered[tampered.length >> 1] ?? 0) ^ 0x55;
    const bad = await storeWith(blob, tampered);
    await expect(readLayer(await bad.open(), bad.digest, {})).rejects.toThrow(/does not match its digest/);
    const { open, digest } = await storeWith(blob);
    await expect(readLayer(await open(blob.length - 1), digest, {})).rejects.toThrow(RegistryError);
    await expect(readLayer(await open(blob.length + 1), digest, {})).rejects.toThrow(/ended after/);
  });

  it('reads and verifies as a plain stream too', async () => {
    const blob = gzipSync(await tarOf(files));
    const { open } = await storeWith(blob);
    const parts: Buffer[] = [];
    for await (const c of await open()) parts.push(c as Buffer);
    expect(Buffer.concat(parts).equals(blob)).toBe(true);
    const bad = await (await storeWith(blob, Buffer.concat([blob.subarray(0, 100), Buffer.alloc(blob.length - 100)]))).open();
    await expect(async () => {
      for await (const c of bad) void c;
    }).rejects.toThrow(/does not match its digest/);
  });
});
