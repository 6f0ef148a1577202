/**
 * A blob stored as a file (OCI layout, containerd content store), read and verified against its
 * descriptor (digest and size) in one stream: fs.read + sha256 + push, without the ReadStream →
 * VerifyingStream pipe of two streams.
 *
 * The layer pass (layers/walk.ts) does not read it as a stream: it calls `pooledChunks()`, which reads
 * the file into one reused buffer. A layer's compressed bytes go only to the hash and to the
 * decompressor, which is done with each chunk when its write callback runs, so ~200 MB of short-lived
 * 1 MiB read buffers per image are never allocated. Those buffers were what made V8 run a full
 * mark-compact every ~20 MB of layer (array-buffer memory grown since the last full GC counts against
 * the old-generation limit; bench/catalog, docs/PERFORMANCE.md).
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DigestCheck } from '../registry/digest.js';

const CHUNK = 1024 * 1024;

export class FileBlobStream extends Readable {
  private readonly check: DigestCheck;
  private started = false;
  private readonly onAbort: () => void;

  constructor(
    private readonly fh: FileHandle,
    expected: { digest: string; size?: number | undefined },
    private readonly what: string,
    private readonly signal?: AbortSignal,
  ) {
    super({ highWaterMark: CHUNK });
    this.check = new DigestCheck(expected, what);
    this.onAbort = () => this.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted === true) queueMicrotask(this.onAbort);
  }

  /** Bytes read so far. */
  get received(): number {
    return this.check.received;
  }

  override _read(): void {
    this.started = true;
    const buf = Buffer.allocUnsafe(CHUNK);
    this.fh.read(buf, 0, CHUNK, this.check.received).then(
      ({ bytesRead }) => {
        if (this.destroyed) return;
        try {
          const chunk = this.account(buf, bytesRead);
          this.push(chunk ?? null);
        } catch (error) {
          this.destroy(error as Error);
        }
      },
      (error: unknown) => this.destroy(error as Error),
    );
  }

  /**
   * The content into one reused buffer: each chunk is valid only until the next iteration (copy
   * what must outlive it). Throws at the end unless the content matches the descriptor. Only on a
   * stream that was never read; closes the file when done.
   */
  async *pooledChunks(): AsyncGenerator<Buffer, void, undefined> {
    if (this.started) throw new Error(`${this.what}: pooledChunks() on a stream already read`);
    this.started = true;
    const buf = Buffer.allocUnsafe(CHUNK);
    try {
      for (;;) {
        if (this.signal?.aborted === true) throw this.signal.reason instanceof Error ? this.signal.reason : new Error('aborted');
        if (this.destroyed) throw new Error(`${this.what}: the blob stream was closed`);
        const { bytesRead } = await this.fh.read(buf, 0, CHUNK, this.check.received);
        const chunk = this.account(buf, bytesRead);
        if (chunk === undefined) return;
        yield chunk;
      }
    } finally {
      this.destroy();
    }
  }

  /** Account for `n` bytes read into `buf`; undefined at the (verified) end. */
  private account(buf: Buffer, n: number): Buffer | undefined {
    if (n === 0) {
      this.check.finish();
      return undefined;
    }
    const chunk = n === buf.length ? buf : buf.subarray(0, n);
    this.check.update(chunk);
    return chunk;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.fh.close().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
