/**
 * The legacy rpmdb `Packages` file: a Berkeley DB hash database whose values are header blobs.
 * We read only what rpm writes there: the meta page (magic, page size, last page), hash pages
 * (type 13, or 2 unsorted) with key/value item pairs, and overflow page chains (type 7) holding the
 * values (https://github.com/berkeleydb/libdb/blob/master/src/dbinc/db_page.h). Every offset is
 * bounds-checked; loops are bounded by the page count.
 */

const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HEADER = 26;

export class BdbError extends Error {}

export interface BdbValues {
  values: Buffer[];
  /** Damaged items: the others are still returned. */
  errors: string[];
}

export function isBerkeleyHash(file: Buffer): boolean {
  return file.length >= 24 && (file.readUInt32LE(12) === HASH_MAGIC || file.readUInt32BE(12) === HASH_MAGIC);
}

export function readHashValues(file: Buffer): BdbValues {
  if (file.length < 512) throw new BdbError(`${file.length} bytes is too short for a Berkeley DB file`);
  const le = file.readUInt32LE(12) === HASH_MAGIC;
  if (!le && file.readUInt32BE(12) !== HASH_MAGIC) throw new BdbError(`not a Berkeley DB hash database (magic 0x${file.readUInt32LE(12).toString(16)}, expected 0x${HASH_MAGIC.toString(16)})`);
  const u32 = (at: number): number => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const u16 = (at: number): number => (le ? file.readUInt16LE(at) : file.readUInt16BE(at));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw new BdbError(`page size ${pageSize} is not a power of two between 512 and 65536`);
  const pages = Math.floor(file.length / pageSize);
  const lastPage = Math.min(u32(32), pages - 1);
  const values: Buffer[] = [];
  const errors: string[] = [];
  if (u32(32) > pages - 1) errors.push(`the file is truncated: it holds ${pages} of its ${u32(32) + 1} pages, packages on the missing pages are lost`);

  const overflow = (first: number, total: number): Buffer => {
    const parts: Buffer[] = [];
    let got = 0;
    let pgno = first;
    for (let hops = 0; pgno !== 0 && hops <= pages; hops++) {
      if (pgno > lastPage) throw new BdbError(`overflow chain points at page ${pgno}, past the last page ${lastPage}`);
      const base = pgno * pageSize;
      if (file[base + 25] !== P_OVERFLOW) throw new BdbError(`page ${pgno} in an overflow chain is of type ${file[base + 25] ?? '?'}, not overflow`);
      const used = u16(base + 22);
      if (PAGE_HEADER + used > pageSize) throw new BdbError(`overflow page ${pgno} claims ${used} bytes`);
      parts.push(file.subarray(base + PAGE_HEADER, base + PAGE_HEADER + used));
      got += used;
      pgno = u32(base + 16);
    }
    if (got !== total) throw new BdbError(`overflow chain from page ${first} holds ${got} bytes, its item says ${total}`);
    return Buffer.concat(parts, got);
  };

  for (let pgno = 1; pgno <= lastPage; pgno++) {
    const base = pgno * pageSize;
    const type = file[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) {
      errors.push(`hash page ${pgno} claims ${entries} items`);
      continue;
    }
    const offset = (i: number): number => u16(base + PAGE_HEADER + i * 2);
    // Items alternate key, value; values are at odd indices. Data grows down from the page end.
    for (let i = 1; i < entries; i += 2) {
      try {
        const at = offset(i);
        if (at < PAGE_HEADER || at >= pageSize) throw new BdbError(`item ${i} of page ${pgno} at offset ${at}`);
        const kind = file[base + at];
        if (kind === H_OFFPAGE) {
          if (at + 12 > pageSize) throw new BdbError(`off-page item ${i} of page ${pgno} is cut`);
          values.push(overflow(u32(base + at + 4), u32(base + at + 8)));
        } else if (kind === H_KEYDATA) {
          const end = i === 0 ? pageSize : offset(i - 1);
          if (end <= at || end > pageSize) throw new BdbError(`inline item ${i} of page ${pgno} has no length`);
          // rpm's record 0 holds a 4-byte counter, not a header; real headers are far longer.
          if (end - at - 1 >= 16) values.push(file.subarray(base + at + 1, base + end));
        }
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  }
  return { values, errors };
}
