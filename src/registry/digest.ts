/**
 * Content digests (OCI image spec descriptor.md "Digests"): parse, compute, and verify streamed
 * content. A stream that does not hash to its digest, or is longer or shorter than its descriptor
 * says, fails at the end with a RegistryError — callers must treat the data as never received.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { RegistryError } from '../core/errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

/** Parse a digest runwarden can verify; throws a RegistryError naming what was wrong. */
export function parseDigest(digest: string, where = 'digest'): ParsedDigest {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (colon <= 0 || (algorithm !== 'sha256' && algorithm !== 'sha512')) {
    throw new RegistryError('unsupported-digest', `Unsupported ${where} "${digest}": expected "sha256:<64 hex>" or "sha512:<128 hex>"`);
  }
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) {
    throw new RegistryError('invalid-digest', `Invalid ${where} "${digest}": ${algorithm} needs ${HEX_LENGTH[algorithm]} lowercase hex characters`);
  }
  return { algorithm, hex };
}

export function isDigest(value: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(value) || /^sha512:[a-f0-9]{128}$/.test(value);
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Throws `digest-mismatch` unless `data` hashes to `digest` (and has `size` bytes when given). */
export function verifyContent(data: Uint8Array, expected: { digest: string; size?: number | undefined }, what: string): void {
  const { algorithm } = parseDigest(expected.digest, `digest of ${what}`);
  if (expected.size !== undefined && data.byteLength !== expected.size) {
    throw new RegistryError('size-mismatch', `${what} has ${data.byteLength} bytes but its descriptor says ${expected.size}; the content was rejected`, {
      hint: 'The source serves different content than its manifest describes: it may be corrupt or tampered with.',
    });
  }
  const actual = digestOf(data, algorithm);
  if (actual !== expected.digest) throw mismatch(what, expected.digest, actual);
}

function mismatch(what: string, expected: string, actual: string): RegistryError {
  return new RegistryError('digest-mismatch', `${what} does not match its digest: expected ${expected}, got ${actual}; the content was rejected`, {
    hint: 'The registry or image store holds corrupt or tampered content. Re-push or re-pull the image; never trust this copy.',
  });
}

/**
 * Incremental check of content against its descriptor: `update` each chunk in order (throws as soon as
 * more than `size` bytes arrive), then `finish` (throws unless size and digest match). Shared by the
 * pass-through VerifyingStream and the file blob reader (image/file-blob.ts).
 */
export class DigestCheck {
  private readonly hash: Hash;
  private readonly algorithm: string;
  private bytes = 0;
  constructor(
    private readonly expected: { digest: string; size?: number | undefined },
    private readonly what: string,
  ) {
    this.algorithm = parseDigest(expected.digest, `digest of ${what}`).algorithm;
    this.hash = createHash(this.algorithm);
  }

  /** Bytes seen so far. */
  get received(): number {
    return this.bytes;
  }

  update(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.expected.size !== undefined && this.bytes > this.expected.size) {
      throw new RegistryError('size-mismatch', `${this.what} is longer than the ${this.expected.size} bytes its descriptor says; the content was rejected`, {
        hint: 'The source serves different content than its manifest describes: it may be corrupt or tampered with.',
      });
    }
    this.hash.update(chunk);
  }

  finish(): void {
    if (this.expected.size !== undefined && this.bytes !== this.expected.size) {
      throw new RegistryError('size-mismatch', `${this.what} ended after ${this.bytes} of the ${this.expected.size} bytes its descriptor says; the content was rejected`, {
        hint: 'The transfer was cut short or the stored blob is truncated. Retry; if it persists, re-push the image.',
      });
    }
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) throw mismatch(this.what, this.expected.digest, actual);
  }
}

/**
 * A pass-through stream that hashes what flows through it and fails at the end when the digest or
 * size differs from the descriptor (and as soon as more than `size` bytes arrive).
 */
export class VerifyingStream extends Transform {
  private readonly check: DigestCheck;
  constructor(expected: { digest: string; size?: number | undefined }, what: string) {
    super();
    this.check = new DigestCheck(expected, what);
  }

  get received(): number {
    return this.check.received;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.check.update(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.check.finish();
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null);
  }
}

/**
 * `source` through a VerifyingStream: the returned stream fails at its end unless the content matches.
 * Destroying either side destroys both (no file handle or socket is left open).
 */
export function verified(source: Readable, expected: { digest: string; size?: number | undefined }, what: string): VerifyingStream {
  const verifier = new VerifyingStream(expected, what);
  pipeline(source, verifier, (error) => {
    if (error !== undefined && error !== null && !verifier.destroyed) verifier.destroy(error);
  });
  return verifier;
}
