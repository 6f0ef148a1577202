/**
 * Layer decompression, chosen by content (magic bytes) — media types lie more often than bytes do:
 * gzip (node:zlib on libuv's thread pool, 1 MiB output chunks: a quarter of the thread-pool round trips,
 * callbacks and Buffers of 256 KiB chunks, which the tar parser hands on as sub-arrays anyway), zstd
 * (fzstd: node:zlib has no zstd before Node 22.15), or a plain tar (fed to the parser as it is read).
 */
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import type { Compression } from '../../registry/media-types.js';

export type { Compression };

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

/** Compression of a blob from its first bytes; `none` when it is neither gzip nor zstd. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === GZIP[0] && head[1] === GZIP[1]) return 'gzip';
  if (ZSTD.every((b, i) => head[i] === b)) return 'zstd';
  return 'none';
}

/** A zstd decompressor stream on fzstd (pure JS, streaming). */
export class ZstdDecompressStream extends Transform {
  private readonly decoder: Decompress;
  constructor() {
    super();
    // fzstd hands out blocks it may reuse: copy each one.
    this.decoder = new Decompress((data) => {
      if (data.length > 0) this.push(Buffer.from(data));
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      callback();
    } catch (error) {
      callback(zstdError(error));
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      callback();
    } catch (error) {
      callback(zstdError(error));
    }
  }
}

function zstdError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`zstd: ${message}`);
}

/** Output chunk size of the gzip decompressor. */
export const GZIP_CHUNK = 1024 * 1024;

export function decompressor(kind: Compression): Transform {
  if (kind === 'gzip') return createGunzip({ chunkSize: GZIP_CHUNK });
  if (kind === 'zstd') return new ZstdDecompressStream();
  return new PassThrough({ highWaterMark: 256 * 1024 });
}
