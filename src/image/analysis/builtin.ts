/**
 * Analysers that belong to image access itself: `file-digests` hashes every regular file in the
 * single pass (what the malware scanner matches hash signatures against), and `none` wants nothing
 * (the cost of the pass alone: decompression, tar parsing, the index).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { StreamAnalyzer } from './analyzer.js';

export const FileDigest = z.object({ sha256: z.string().regex(/^[a-f0-9]{64}$/), size: z.number().int().nonnegative() });
export type FileDigest = z.infer<typeof FileDigest>;

/** sha256 and size of every regular file of every layer. */
export const fileDigests: StreamAnalyzer<FileDigest> = {
  id: 'file-digests',
  version: '1',
  mode: 'stream',
  schema: FileDigest,
  wants: () => true,
  open() {
    const hash = createHash('sha256');
    let size = 0;
    return {
      write(chunk) {
        size += chunk.length;
        hash.update(chunk);
      },
      end() {
        return { value: { sha256: hash.digest('hex'), size } };
      },
    };
  },
};

/** Wants no file: measures the pass itself. */
export const noFiles: StreamAnalyzer<never> = {
  id: 'none',
  version: '1',
  mode: 'stream',
  schema: z.never(),
  wants: () => false,
  open() {
    return { write: () => undefined, end: () => undefined };
  },
};
