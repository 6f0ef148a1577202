import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflatePrefix } from './deflate-prefix.js';

const TEXT = Buffer.from(`{"packages":[${Array.from({ length: 200 }, (_, i) => `{"name":"crate-${i}","version":"1.${i}.0","source":"crates.io"}`).join(',')}]}`);

describe('inflatePrefix (RFC 1951 decoder for the first bytes)', () => {
  it('decodes stored, fixed-Huffman and dynamic-Huffman streams written by zlib, up to the bytes asked for', () => {
    for (const level of [0, 1, 6, 9]) {
      for (const want of [1, 11, 200, 5000]) {
        expect([level, want, inflatePrefix(deflateRawSync(TEXT, { level }), 0, want)?.toString()]).toEqual([level, want, TEXT.subarray(0, want).toString()]);
      }
    }
    // Fixed Huffman codes (zlib picks them for short inputs) with back-references.
    expect(inflatePrefix(deflateRawSync('abcabcabcabcabc'), 0, 15)?.toString()).toBe('abcabcabcabcabc');
    // Asking for more than the stream holds gives the whole stream.
    expect(inflatePrefix(deflateRawSync('short'), 0, 100)?.toString()).toBe('short');
    expect(inflatePrefix(deflateRawSync(''), 0, 10)?.length).toBe(0);
  });

  it('returns undefined for cut-off or invalid data, never throws', () => {
    const raw = deflateRawSync(TEXT, { level: 9 });
    expect(inflatePrefix(raw.subarray(0, 10), 0, 100)).toBeUndefined();
    expect(inflatePrefix(Buffer.from([0x07]), 0, 1)).toBeUndefined(); // block type 3
    expect(inflatePrefix(Buffer.from([0x01, 0x05, 0x00, 0x00, 0x00]), 0, 1)).toBeUndefined(); // stored LEN/NLEN mismatch
    expect(inflatePrefix(Buffer.alloc(0), 0, 1)).toBeUndefined();
    let seed = 1;
    for (let n = 0; n < 2000; n++) {
      const junk = Buffer.alloc(64, 0).map(() => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
      expect(() => inflatePrefix(Buffer.from(junk), 0, 11)).not.toThrow();
    }
  });
});
