/**
 * Whole advisory records (the normalised OSV JSON that `db show` prints) are stored in compressed blocks
 * of up to BLOCK_RECORDS records, one record per line. Measured on the real OSV records (bench/vulndb):
 * brotli at quality 1 over a block of 64 records costs ~5 µs and ~310 bytes per record; deflating each
 * ~1.5 KB record on its own cost ~40 µs (zlib sets up a new stream per call) and kept ~610 bytes. Only
 * `db show` reads a record back (~0.2 ms to unpack a block); matching never does.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import type { PreparedAdvisory, PreparedBatch } from './prepare.js';

/** Records per block, and the text size at which a block is closed early (one large record fills its own). */
export const BLOCK_RECORDS = 64;
export const BLOCK_BYTES = 256 * 1024;

/** Compress record texts (JSON.stringify output: never a raw newline) into one block. */
export function packBlock(texts: readonly string[]): Buffer {
  const text = Buffer.from(texts.join('\n'));
  // A 256 KiB window covers a whole block; brotli's default 4 MiB window costs more to set up than to use.
  return brotliCompressSync(text, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_LGWIN]: 18, [constants.BROTLI_PARAM_SIZE_HINT]: text.length },
  });
}

/** The record texts of a block, by slot. */
export function unpackBlock(data: Buffer): string[] {
  return brotliDecompressSync(data).toString('utf8').split('\n');
}

/** Where a record went: block rowid and slot (line) in it. */
export interface BlockSlot {
  block: number;
  slot: number;
}

/**
 * Collects records into the next block and writes it when full. Block ids are handed out up front (the
 * writer runs inside the import's write transaction, so nobody else allocates them).
 */
export class BlockWriter {
  private texts: string[] = [];
  private bytes = 0;
  private released = 0;
  private id: number;
  private readonly write: (id: number, data: Buffer, slots: number, live: number) => void;

  constructor(firstId: number, write: (id: number, data: Buffer, slots: number, live: number) => void) {
    this.id = firstId;
    this.write = write;
  }

  add(text: string): BlockSlot {
    if (this.texts.length >= BLOCK_RECORDS || (this.texts.length > 0 && this.bytes + text.length > BLOCK_BYTES)) this.flush();
    this.texts.push(text);
    this.bytes += text.length + 1;
    return { block: this.id, slot: this.texts.length - 1 };
  }

  /** Whether `block` is the one still being filled (not in the table yet). */
  isPending(block: number): boolean {
    return block === this.id && this.texts.length > 0;
  }

  /** A record of the pending block was replaced before the block was written. */
  release(): void {
    this.released++;
  }

  /** Write the pending block (if any) and take the next block id for a block packed elsewhere (putBatch). */
  reserve(): number {
    this.flush();
    return this.id++;
  }

  /** The text of a slot of the pending block. */
  pendingText(slot: number): string | undefined {
    return this.texts[slot];
  }

  flush(): void {
    if (this.texts.length === 0) return;
    this.write(this.id, packBlock(this.texts), this.texts.length, this.texts.length - this.released);
    this.id++;
    this.texts = [];
    this.bytes = 0;
    this.released = 0;
  }
}

/**
 * Pack prepared records into blocks where they were prepared (a worker thread: sources/osv/worker.ts), with
 * the same limits as BlockWriter: the writer thread then stores ready blocks instead of compressing, and the
 * record texts never cross threads. Each record's `text` is emptied and `packed` says its block and slot.
 */
export function packBatch(advisories: PreparedAdvisory[]): PreparedBatch {
  const blocks: Uint8Array[] = [];
  const slots: number[] = [];
  let texts: string[] = [];
  let bytes = 0;
  const close = (): void => {
    if (texts.length === 0) return;
    // a copy with an ArrayBuffer of its own (zlib's output may share one, or Node's buffer pool): transferable
    blocks.push(new Uint8Array(packBlock(texts)));
    slots.push(texts.length);
    texts = [];
    bytes = 0;
  };
  for (const prepared of advisories) {
    if (texts.length >= BLOCK_RECORDS || (texts.length > 0 && bytes + prepared.text.length > BLOCK_BYTES)) close();
    texts.push(prepared.text);
    bytes += prepared.text.length + 1;
    prepared.packed = [blocks.length, texts.length - 1];
    prepared.text = '';
  }
  close();
  return { advisories, blocks, slots };
}

/** The inverse of packBatch (tests): every record's text back in place, `packed` removed. */
export function unpackBatch(batch: PreparedBatch): PreparedAdvisory[] {
  const texts = batch.blocks.map((b) => unpackBlock(Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
  return batch.advisories.map((a) => {
    const { packed, ...rest } = a;
    return packed === undefined ? rest : { ...rest, text: texts[packed[0]]?.[packed[1]] ?? '' };
  });
}
