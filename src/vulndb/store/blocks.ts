/**
 * Whole advisory records (the normalised OSV JSON that `db show` prints) are stored in compressed blocks
 * of up to BLOCK_RECORDS records, one record per line. Measured on the real OSV records (bench/vulndb):
 * brotli at quality 1 over a block of 64 records costs ~5 µs and ~310 bytes per record (quality 0, used
 * since session 5: ~4 µs and ~330 bytes); deflating each
 * ~1.5 KB record on its own cost ~40 µs (zlib sets up a new stream per call) and kept ~610 bytes. Only
 * `db show` reads a record back (~0.2 ms to unpack a block); matching never does.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import type { PreparedAdvisory, PreparedAffected, PreparedBatch, RecordText } from './prepare.js';

/** Records per block, and the text size at which a block is closed early (one large record fills its own). */
export const BLOCK_RECORDS = 64;
export const BLOCK_BYTES = 256 * 1024;

/** Scratch space the texts of a block are written into before compression (reused: packBlock is synchronous). */
let scratch = Buffer.allocUnsafe(0);
const SCRATCH_LIMIT = 4 * BLOCK_BYTES;

/**
 * Compress record texts (JSON.stringify output, or compact JSON bytes: never a raw newline) into one block.
 * The texts are written straight into one buffer (joining them first and encoding the joined string cost ~5
 * times more: ~30 ms per 10,000 bench/vulndb records; bytes are copied as they are), then compressed with
 * brotli at quality 0 (docs/PERFORMANCE.md, "Import (session 5)": ~15 % less CPU than quality 1 for ~20 more
 * bytes per record).
 */
export function packBlock(texts: readonly RecordText[]): Buffer {
  // at most 3 UTF-8 bytes per UTF-16 code unit, plus the newlines
  let capacity = texts.length;
  for (const text of texts) capacity += typeof text === 'string' ? text.length * 3 : text.length;
  // an unusually large block gets a buffer of its own, so the scratch space stays small
  let raw = scratch;
  if (raw.length < capacity) {
    raw = Buffer.allocUnsafe(capacity);
    if (capacity <= SCRATCH_LIMIT) scratch = raw;
  }
  let length = 0;
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) raw[length++] = 0x0a;
    const text = texts[i] ?? '';
    if (typeof text === 'string') length += raw.write(text, length, 'utf8');
    else {
      raw.set(text, length);
      length += text.length;
    }
  }
  const block = raw.subarray(0, length);
  // A 256 KiB window covers a whole block; brotli's default 4 MiB window costs more to set up than to use.
  return brotliCompressSync(block, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 0, [constants.BROTLI_PARAM_LGWIN]: 18, [constants.BROTLI_PARAM_SIZE_HINT]: length },
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
  private texts: RecordText[] = [];
  private bytes = 0;
  private released = 0;
  private id: number;
  private readonly write: (id: number, data: Buffer, slots: number, live: number) => void;

  constructor(firstId: number, write: (id: number, data: Buffer, slots: number, live: number) => void) {
    this.id = firstId;
    this.write = write;
  }

  add(text: RecordText): BlockSlot {
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
 * Packs prepared records into blocks where they were prepared (a worker thread: sources/osv/worker.ts), with
 * the same limits as BlockWriter, and lays the rest out in the columns of a PreparedBatch: the writer thread
 * then stores ready blocks instead of compressing, and the record texts never cross threads. Records are
 * added one by one and each block is compressed as soon as it is full, so a job's texts do not all stay
 * alive until its end (fewer objects for the garbage collector to copy).
 */
export class BatchPacker {
  private readonly batch: PreparedBatch = {
    ids: [], modified: [], withdrawn: [], heads: [], block: [], slot: [], aliases: [], aliasEnd: [], affectedEnd: [],
    rowEcosystem: [], rowName: [], rowRelease: [], rowEntry: [], rowData: [], strings: [], blocks: [], slots: [],
  };
  private readonly interned = new Map<string, number>();
  private texts: RecordText[] = [];
  private bytes = 0;

  private intern(value: string): number {
    let index = this.interned.get(value);
    if (index === undefined) {
      index = this.batch.strings.push(value) - 1;
      this.interned.set(value, index);
    }
    return index;
  }

  private close(): void {
    if (this.texts.length === 0) return;
    // a copy with an ArrayBuffer of its own (zlib's output may share one, or Node's buffer pool): transferable
    this.batch.blocks.push(new Uint8Array(packBlock(this.texts)));
    this.batch.slots.push(this.texts.length);
    this.texts = [];
    this.bytes = 0;
  }

  add(prepared: PreparedAdvisory): void {
    const batch = this.batch;
    if (this.texts.length >= BLOCK_RECORDS || (this.texts.length > 0 && this.bytes + prepared.text.length > BLOCK_BYTES)) this.close();
    this.texts.push(prepared.text);
    this.bytes += prepared.text.length + 1;
    batch.ids.push(prepared.id);
    batch.modified.push(prepared.modified);
    batch.withdrawn.push(prepared.withdrawn);
    batch.heads.push(prepared.head);
    batch.block.push(batch.blocks.length);
    batch.slot.push(this.texts.length - 1);
    for (const alias of prepared.aliases) batch.aliases.push(alias);
    batch.aliasEnd.push(batch.aliases.length);
    for (const [ecosystem, name, release, entry, data] of prepared.affected) {
      batch.rowEcosystem.push(this.intern(ecosystem));
      batch.rowName.push(name);
      batch.rowRelease.push(this.intern(release));
      batch.rowEntry.push(entry);
      batch.rowData.push(this.intern(data));
    }
    batch.affectedEnd.push(batch.rowName.length);
  }

  /** The batch, its last block closed. */
  finish(): PreparedBatch {
    this.close();
    return this.batch;
  }
}

/** Pack prepared records into one batch (BatchPacker). */
export function packBatch(advisories: readonly PreparedAdvisory[]): PreparedBatch {
  const packer = new BatchPacker();
  for (const prepared of advisories) packer.add(prepared);
  return packer.finish();
}

/** The inverse of packBatch (tests): the prepared records, texts unpacked. */
export function unpackBatch(batch: PreparedBatch): PreparedAdvisory[] {
  const texts = batch.blocks.map((b) => unpackBlock(Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
  const text = (index: number): string => batch.strings[index] ?? '';
  return batch.ids.map((id, i) => {
    const affected: PreparedAffected[] = [];
    for (let r = batch.affectedEnd[i - 1] ?? 0; r < (batch.affectedEnd[i] ?? 0); r++) {
      affected.push([text(batch.rowEcosystem[r] ?? -1), batch.rowName[r] ?? '', text(batch.rowRelease[r] ?? -1), batch.rowEntry[r] ?? 0, text(batch.rowData[r] ?? -1)]);
    }
    return {
      id,
      modified: batch.modified[i] ?? '',
      withdrawn: batch.withdrawn[i] ?? null,
      aliases: batch.aliases.slice(batch.aliasEnd[i - 1] ?? 0, batch.aliasEnd[i]),
      head: batch.heads[i] ?? '',
      text: texts[batch.block[i] ?? -1]?.[batch.slot[i] ?? -1] ?? '',
      affected,
    };
  });
}
