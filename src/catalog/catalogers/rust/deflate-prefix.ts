/**
 * The first few bytes a raw DEFLATE stream (RFC 1951) decodes to — to test, cheaply, whether a zlib
 * header found in a binary starts the cargo-auditable JSON. node:zlib costs ~250 µs per call (it sets up
 * a 32 KiB window each time) and a 100 MB binary holds thousands of byte pairs that look like zlib
 * headers; this decoder stops after `want` bytes, allocates a few small tables, and returns undefined for
 * anything invalid or cut short. The data that matches is then inflated by node:zlib. Structure after
 * Mark Adler's puff.c (the zlib distribution's reference decoder).
 */

const LBASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEXT = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DBASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DEXT = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

class Short extends Error {}

interface Huffman { count: Uint16Array; symbol: Uint16Array }

/** Canonical Huffman code from code lengths; undefined when over-subscribed. */
function construct(lengths: Uint8Array, n: number): Huffman | undefined {
  const count = new Uint16Array(16);
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) {
    const l = lengths[s] ?? 0;
    count[l] = (count[l] ?? 0) + 1;
  }
  if (count[0] === n) return { count, symbol };
  let left = 1;
  for (let len = 1; len < 16; len++) {
    left = (left << 1) - (count[len] ?? 0);
    if (left < 0) return undefined;
  }
  const offs = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offs[len + 1] = (offs[len] ?? 0) + (count[len] ?? 0);
  for (let s = 0; s < n; s++) {
    const l = lengths[s] ?? 0;
    if (l !== 0) {
      const o = offs[l] ?? 0;
      symbol[o] = s;
      offs[l] = o + 1;
    }
  }
  return { count, symbol };
}

let fixed: { lit: Huffman; dist: Huffman } | undefined;
function fixedCodes(): { lit: Huffman; dist: Huffman } {
  if (fixed !== undefined) return fixed;
  const l = new Uint8Array(288);
  l.fill(8, 0, 144);
  l.fill(9, 144, 256);
  l.fill(7, 256, 280);
  l.fill(8, 280, 288);
  const d = new Uint8Array(30).fill(5);
  fixed = { lit: construct(l, 288) ?? { count: new Uint16Array(16), symbol: new Uint16Array(0) }, dist: construct(d, 30) ?? { count: new Uint16Array(16), symbol: new Uint16Array(0) } };
  return fixed;
}

/** Up to `want` decoded bytes of the raw DEFLATE data in `data` from `start`; undefined when invalid or too short. */
export function inflatePrefix(data: Buffer, start: number, want: number): Buffer | undefined {
  let pos = start;
  let bitbuf = 0;
  let bitcnt = 0;
  const out = Buffer.alloc(want);
  let outLen = 0;
  const bits = (need: number): number => {
    let val = bitbuf;
    while (bitcnt < need) {
      if (pos >= data.length) throw new Short();
      val |= (data[pos++] ?? 0) << bitcnt;
      bitcnt += 8;
    }
    bitbuf = val >>> need;
    bitcnt -= need;
    return val & ((1 << need) - 1);
  };
  const decode = (h: Huffman): number => {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= bits(1);
      const count = h.count[len] ?? 0;
      if (code - count < first) return h.symbol[index + (code - first)] ?? -1;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    return -1;
  };
  try {
    for (;;) {
      const last = bits(1);
      const type = bits(2);
      if (type === 0) {
        bitbuf = 0;
        bitcnt = 0;
        if (pos + 4 > data.length) return undefined;
        const len = (data[pos] ?? 0) | ((data[pos + 1] ?? 0) << 8);
        const nlen = (data[pos + 2] ?? 0) | ((data[pos + 3] ?? 0) << 8);
        if (len !== (~nlen & 0xffff)) return undefined;
        pos += 4;
        for (let i = 0; i < len && outLen < want; i++) {
          if (pos >= data.length) return undefined;
          out[outLen++] = data[pos++] ?? 0;
        }
      } else if (type === 1 || type === 2) {
        let lit: Huffman;
        let dist: Huffman;
        if (type === 1) ({ lit, dist } = fixedCodes());
        else {
          const nlen = bits(5) + 257;
          const ndist = bits(5) + 1;
          const ncode = bits(4) + 4;
          if (nlen > 286 || ndist > 30) return undefined;
          const lengths = new Uint8Array(320);
          for (let i = 0; i < ncode; i++) lengths[ORDER[i] ?? 0] = bits(3);
          const lencode = construct(lengths, 19);
          if (lencode === undefined) return undefined;
          lengths.fill(0);
          for (let i = 0; i < nlen + ndist;) {
            const sym = decode(lencode);
            if (sym < 0) return undefined;
            if (sym < 16) lengths[i++] = sym;
            else {
              let len = 0;
              let rep: number;
              if (sym === 16) {
                if (i === 0) return undefined;
                len = lengths[i - 1] ?? 0;
                rep = 3 + bits(2);
              } else rep = sym === 17 ? 3 + bits(3) : 11 + bits(7);
              if (i + rep > nlen + ndist) return undefined;
              while (rep-- > 0) lengths[i++] = len;
            }
          }
          if ((lengths[256] ?? 0) === 0) return undefined;
          const l = construct(lengths.subarray(0, nlen), nlen);
          const d = construct(lengths.subarray(nlen, nlen + ndist), ndist);
          if (l === undefined || d === undefined) return undefined;
          lit = l;
          dist = d;
        }
        for (;;) {
          const sym = decode(lit);
          if (sym < 0) return undefined;
          if (sym < 256) {
            out[outLen++] = sym;
            if (outLen >= want) return out;
          } else if (sym === 256) break;
          else {
            const li = sym - 257;
            if (li >= 29) return undefined;
            const len = (LBASE[li] ?? 0) + bits(LEXT[li] ?? 0);
            const ds = decode(dist);
            if (ds < 0 || ds >= 30) return undefined;
            const d = (DBASE[ds] ?? 0) + bits(DEXT[ds] ?? 0);
            if (d > outLen) return undefined;
            for (let i = 0; i < len; i++) {
              out[outLen] = out[outLen - d] ?? 0;
              outLen++;
              if (outLen >= want) return out;
            }
          }
        }
      } else return undefined;
      if (outLen >= want) return out;
      if (last === 1) return out.subarray(0, outLen);
    }
  } catch (error) {
    if (error instanceof Short) return undefined;
    throw error;
  }
}
