import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { reportOf, sampleReport } from '../../test/report.js';
import type { Finding } from '../core/finding.js';
import { renderChunks } from './format.js';
import { compactJsonChunks, jsonChunks, jsonText, utf8Batches, writePieces } from './json-text.js';
import { FORMATS } from './registry.js';

const joined = (value: unknown): string => [...jsonChunks(value)].join('');

/** A report of `n` findings: the sample's, repeated with new ids, subjects and one vulnerability across many images. */
function largeReport(n: number): ReturnType<typeof reportOf> {
  const base = sampleReport().findings;
  const findings: Finding[] = [];
  for (let i = 0; i < n; i++) {
    const f = base[i % base.length] as Finding;
    findings.push({ ...f, id: `${f.id}-${i}`, subject: { ...f.subject, namespace: `ns-${i % 37}` }, title: `${f.title} #${i}\nsecond line "quoted" ünïcödé` });
  }
  // a vulnerability finding per image: one CycloneDX entry that affects them all
  for (let i = 0; i < 300; i++) {
    findings.push({
      id: `vuln-${i}`,
      rule: 'vulnerable-package',
      kind: 'vulnerability',
      severity: 'high',
      title: 'CVE-2024-0001 (openssl 3.0.1)',
      subject: { type: 'container', namespace: 'shop', workload: { kind: 'Deployment', name: `app-${i}` }, container: 'app', image: `ghcr.io/acme/app-${i}:1` },
      evidence: { state: 'affected', vulnerability: 'CVE-2024-0001', ids: ['CVE-2024-0001'], package: { ecosystem: 'Debian', name: 'openssl', version: '3.0.1', purl: 'pkg:deb/debian/openssl@3.0.1' }, installedVersion: '3.0.1', fixedVersions: ['3.0.2'], fixStatus: 'fixed', severity: { basis: 'none' }, matches: [], imageDigest: `sha256:${String(i).padStart(64, '0')}` },
      remediation: 'Upgrade openssl to 3.0.2 or later.',
    });
  }
  return reportOf({ findings });
}

/** Values JSON has edge cases for: toJSON, undefined, functions, symbols, NaN, nesting, empty containers. */
function edgeCases(): unknown[] {
  const many = Array.from({ length: 200 }, (_, i) => ({ i, skip: undefined, fn: () => i, text: `line ${i}\nnext` }));
  const cases: unknown[] = [
    { findings: many, empty: [], none: {}, deep: { a: { b: { c: many } } }, gone: undefined, when: new Date('2026-11-30T00:00:00Z'), n: Number.NaN, inf: Number.POSITIVE_INFINITY, neg: -0 },
    // undefined, functions and symbols are null inside an array, left out of an object
    Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? undefined : i % 3 === 1 ? () => i : { i, s: Symbol('x') })),
    // a big object whose first members are left out
    { a: undefined, b: () => 1, c: many },
    // big arrays nested in items of a big array, and an empty big object
    Array.from({ length: 70 }, (_, i) => ({ i, inner: Array.from({ length: i }, (_v, j) => [j, { j }]) })),
    [[], {}, [[]], [{}]],
    'text',
    42,
    null,
  ];
  return cases;
}

describe('jsonChunks: JSON.stringify(value, null, 2) in pieces', () => {
  it('gives the very text of JSON.stringify for the values JSON has edge cases for', () => {
    for (const value of edgeCases()) expect(joined(value)).toBe(jsonText(value));
    expect(joined(undefined)).toBe(jsonText(undefined));
  });

  it('compactJsonChunks: the very text of JSON.stringify(value), nothing where it gives undefined', () => {
    for (const value of edgeCases()) expect([...compactJsonChunks(value)].join('')).toBe(JSON.stringify(value));
    expect([...compactJsonChunks(undefined)]).toEqual([]);
    // a big array in compact text is written item by item too
    const items = Array.from({ length: 5000 }, (_, i) => ({ id: `f-${i}`, text: 'x'.repeat(50) }));
    const pieces = [...compactJsonChunks({ findings: items })];
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(100);
    expect(pieces.join('')).toBe(JSON.stringify({ findings: items }));
    const large = largeReport(2000);
    expect([...compactJsonChunks(large)].join('')).toBe(JSON.stringify(large));
  });

  it('writes a big array item by item: no piece holds more than one item', () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({ id: `f-${i}`, evidence: { list: [1, 2, 3], text: 'x'.repeat(50) } }));
    const pieces = [...jsonChunks({ schemaVersion: '1', runs: [{ tool: {}, results: items }] })];
    const longest = Math.max(...pieces.map((p) => p.length));
    expect(longest).toBeLessThan(300);
    expect(pieces.join('')).toBe(jsonText({ schemaVersion: '1', runs: [{ tool: {}, results: items }] }));
  });

  it.each(FORMATS.filter((f) => f.chunks !== undefined).map((f) => f.id))('%s: the pieces are its rendered text, for a small and a large report', (id) => {
    const format = FORMATS.find((f) => f.id === id);
    if (format === undefined) throw new Error(id);
    for (const report of [sampleReport(), largeReport(2000)]) {
      const pieces = [...renderChunks(format, report, { color: false })];
      expect(pieces.join('')).toBe(format.render(report, { color: false }));
      // the large one comes in many pieces, none of them the whole
      if (report.findings.length > 1000) expect(pieces.length).toBeGreaterThan(500);
    }
  });

  it('encodes pieces into buffers of at most the size asked (a longer piece alone), the same bytes; reused only when asked', () => {
    const pieces = Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? `ünïcödé ${i} €;` : `piece ${i};`));
    pieces.push('x'.repeat(5000), 'tail');
    const copies = [...utf8Batches(pieces, 1000)].map((b) => Buffer.from(b));
    expect(Buffer.concat(copies).toString('utf8')).toBe(pieces.join(''));
    expect(copies.filter((b) => b.length > 1000).map((b) => b.length)).toEqual([5000]);
    expect(copies.length).toBeGreaterThan(10);
    // reused: the same memory each time, so a consumer copies (or writes) before asking for the next
    const seen = new Set<ArrayBufferLike>();
    const reused: Buffer[] = [];
    for (const b of utf8Batches(pieces, 1000, true)) {
      if (b.length <= 1000) seen.add(b.buffer);
      reused.push(Buffer.from(b));
    }
    expect(Buffer.concat(reused).toString('utf8')).toBe(pieces.join(''));
    expect(seen.size).toBe(1);
    expect([...utf8Batches([], 10)]).toEqual([]);
  });

  it('writes to a slow reader at its pace, and stops rendering for a reader that has gone', async () => {
    const received: string[] = [];
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        writes++;
        received.push(chunk.toString('utf8'));
        setTimeout(callback, 1);
      },
    });
    const text = jsonText(largeReport(3000));
    await writePieces(slow, jsonChunks(largeReport(3000)));
    expect(received.join('')).toBe(text);
    expect(writes).toBeGreaterThan(2);

    let rendered = 0;
    function* counted(): Generator<string> {
      for (let i = 0; i < 10_000; i++) {
        rendered++;
        yield 'x'.repeat(1000);
      }
    }
    const gone = new Writable({
      highWaterMark: 1024,
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    gone.on('error', () => undefined);
    await writePieces(gone, counted());
    // the first batch (~1 MiB) was rendered and refused; nothing after it
    expect(rendered).toBeLessThan(2000);
  });
});
