import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../core/errors.js';
import { VerifyingStream, digestOf, parseDigest, verifyContent } from './digest.js';

async function drain(data: Buffer[], expected: { digest: string; size?: number }): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of Readable.from(data).pipe(new VerifyingStream(expected, 'blob x'))) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('digests', () => {
  const data = Buffer.from('hello layer');
  const digest = digestOf(data);

  it('passes content that matches its digest and size through unchanged', async () => {
    expect(await drain([data.subarray(0, 3), data.subarray(3)], { digest, size: data.length })).toEqual(data);
    expect(digestOf(data, 'sha512')).toMatch(/^sha512:[a-f0-9]{128}$/);
  });

  it('fails at the end of a stream whose content does not match', async () => {
    const error = await drain([Buffer.from('hello lAyer')], { digest }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('digest-mismatch');
    expect((error as RegistryError).message).toBe(`blob x does not match its digest: expected ${digest}, got ${digestOf('hello lAyer')}; the content was rejected`);
  });

  it('fails as soon as a stream is longer than its descriptor, and when it is shorter', async () => {
    await expect(drain([data, data], { digest, size: data.length })).rejects.toThrow(`blob x is longer than the ${data.length} bytes its descriptor says`);
    await expect(drain([data.subarray(0, 4)], { digest, size: data.length })).rejects.toThrow(`blob x ended after 4 of the ${data.length} bytes its descriptor says`);
  });

  it('verifies buffers, and rejects unsupported or malformed digests with the expected form', () => {
    expect(() => verifyContent(data, { digest }, 'config')).not.toThrow();
    expect(() => verifyContent(Buffer.from('x'), { digest }, 'config')).toThrow(/config does not match its digest/);
    expect(() => parseDigest('md5:abc')).toThrow('Unsupported digest "md5:abc": expected "sha256:<64 hex>" or "sha512:<128 hex>"');
    expect(() => parseDigest('sha256:ABC')).toThrow('Invalid digest "sha256:ABC": sha256 needs 64 lowercase hex characters');
    expect(() => parseDigest('')).toThrow(RegistryError);
  });
});
