import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sampleReport } from '../../../test/report.js';
import { DbError } from '../../store/db.js';
import { packDetail, unpackDetail } from './packed.js';

/** A finding's JSON as runwarden 0.1 packed it with detail-dictionary-1.txt (a stored row must stay readable). */
const STORED_V1 = {
  json: JSON.stringify({
    id: '0123456789abcdef',
    rule: 'vulnerable-package',
    kind: 'vulnerability',
    severity: 'high',
    title: 'CVE-2024-0001: a bug (openssl 3.0.1-1)',
    subject: { type: 'container', namespace: 'shop', workload: { kind: 'Deployment', name: 'web' }, container: 'app', image: 'ghcr.io/acme/web:1.2' },
    evidence: {
      state: 'affected',
      vulnerability: 'CVE-2024-0001',
      ids: ['CVE-2024-0001', 'DEBIAN-CVE-2024-0001'],
      package: { ecosystem: 'Debian', name: 'openssl', version: '3.0.1-1' },
      installedVersion: '3.0.1-1',
      fixedVersions: ['3.0.1-2'],
      fixStatus: 'fixed',
    },
    remediation: 'Upgrade openssl to 3.0.1-2 or later. ünïcödé',
  }),
  packed: 'eLu0EqAtg9bABoZGxiamZuYWlolJySmpaTTq8pvogmYZrRQSFZJK0xU0oCGoYKxnoGeoa0jiSHhGfgFFY+CJBQW4qlzQwLehHsY2GOL7+RCPYnTz4cIurk6ejn66qMK4a1hITwzhG2ylIDQQlbBXHzBZLJUHRMoIe9WBM2vA4q4kHxp9Roj2pcLhPXmH1ycf3pZyeKVSLQDQ4ME3',
};

describe('packed finding details', () => {
  it('reads a detail packed with the first dictionary, as stored rows hold it', () => {
    expect(unpackDetail(Buffer.from(STORED_V1.packed, 'base64'), 'x')).toBe(STORED_V1.json);
    // a Uint8Array that is not a Buffer (a driver may hand one over) reads the same
    const bytes = Buffer.from(STORED_V1.packed, 'base64');
    expect(unpackDetail(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'x')).toBe(STORED_V1.json);
  });

  it('packs every sample finding to under half of its JSON, and back to the same text', () => {
    let raw = 0;
    let packed = 0;
    for (const f of sampleReport().findings) {
      const json = JSON.stringify(f);
      const bytes = packDetail(json);
      expect(unpackDetail(bytes, 'x')).toBe(json);
      raw += Buffer.byteLength(json);
      packed += bytes.length;
    }
    expect(packed).toBeLessThan(raw / 2);
    // the dictionary is what makes the difference for text this short
    const alone = sampleReport().findings.reduce((n, f) => n + deflateSync(JSON.stringify(f), { level: 6 }).length, 0);
    expect(packed).toBeLessThan(alone * 0.8);
  });

  it('reads a detail deflated without a dictionary', () => {
    expect(unpackDetail(deflateSync('{"id":"a"}'), 'x')).toBe('{"id":"a"}');
  });

  it('refuses, in one line, a detail packed with a dictionary it does not have, and a damaged one', () => {
    const other = deflateSync(STORED_V1.json, { dictionary: Buffer.from('{"id":"another dictionary","rule":"x"}') });
    const unknown = (() => {
      try {
        return unpackDetail(other, 'The stored finding f1');
      } catch (error) {
        return error;
      }
    })() as DbError;
    expect(unknown).toBeInstanceOf(DbError);
    expect(unknown.message).toMatch(/^The stored finding f1 was written with a compression dictionary this runwarden does not have \(id [0-9a-f]+\)$/);
    expect(unknown.hint).toMatch(/newer runwarden/);
    const damaged = Buffer.from(STORED_V1.packed, 'base64');
    damaged[damaged.length - 8] = (damaged[damaged.length - 8] as number) ^ 0xff;
    expect(() => unpackDetail(damaged, 'The stored finding f2')).toThrow(/^The stored finding f2 is damaged: /);
    expect(() => unpackDetail(Buffer.from('not zlib'), 'The stored finding f3')).toThrow(/^The stored finding f3 is damaged: /);
  });
});
