import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeZip } from '../../test/zip.js';
import { MAX_ENTRY_BYTES, asciiJson, jsonRecordTexts, parseBytes, parseText, readZipEntry, zipEntries, zipEntryRefs, type ZipEntryRef } from './files.js';

const bytesOf = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('parseBytes', () => {
  it('gives the values of JSON.parse over the UTF-8 text, non-ASCII characters included', () => {
    const value = { id: 'GHSA-x', details: 'café — naïve 💥 日本語 \u2028 line', list: ['ü', 'plain', '\\é', 'tab\t'], n: 1.5e-7 };
    const bytes = bytesOf(JSON.stringify(value));
    expect(parseBytes(bytes, 'a.json')).toEqual({ ok: true, value });
    const text = asciiJson(bytes);
    expect(text).toMatch(/^[\x20-\x7e]*$/);
  });

  it('keeps a multi-byte character whole wherever the halving cuts the bytes', () => {
    for (let offset = 0; offset < 600; offset += 7) {
      const value = [`${'a'.repeat(offset)}€🙂${'b'.repeat(900 - offset)}`, 'é'];
      expect(parseBytes(bytesOf(JSON.stringify(value)), 'a.json')).toEqual({ ok: true, value });
    }
  });

  it('decodes broken UTF-8 as the plain decoder does (U+FFFD)', () => {
    const bytes = Buffer.concat([bytesOf('{"a":"x'), Buffer.from([0xff, 0xc3]), bytesOf('y","b":"'), Buffer.from([0xe2, 0x82]), bytesOf('"}')]);
    expect(parseBytes(bytes, 'a.json')).toEqual(parseText(bytes.toString('utf8'), 'a.json'));
    expect(parseBytes(bytes, 'a.json')).toMatchObject({ ok: true, value: { a: 'x\ufffd\ufffdy', b: '\ufffd' } });
  });

  it('rejects what JSON.parse rejects, with the same message', () => {
    const cases = [
      '{"a": "\\é"}', // an invalid escape: must not become the valid "\\u00e9"
      '{"a": "x"} é', // a non-ASCII character outside a string
      '{"a": "é", "b": }',
      '\ufeff{"a": "é"}', // a byte order mark
    ];
    for (const text of cases) {
      const bytes = bytesOf(text);
      const fast = parseBytes(bytes, 'a.json');
      expect(fast.ok, text).toBe(false);
      expect(fast).toEqual(parseText(bytes.toString('utf8'), 'a.json'));
    }
  });

  it('leaves YAML to the YAML parser', () => {
    expect(parseBytes(bytesOf('id: GHSA-x\nsummary: café\n'), 'a.yaml')).toEqual({ ok: true, value: { id: 'GHSA-x', summary: 'café' } });
  });

  it('gives up on text that is mostly non-ASCII (the plain decode is as fast there)', () => {
    expect(asciiJson(bytesOf(JSON.stringify('日本語 '.repeat(2000))))).toBeUndefined();
    expect(parseBytes(bytesOf(JSON.stringify('日本語 '.repeat(2000))), 'a.json')).toEqual({ ok: true, value: '日本語 '.repeat(2000) });
    expect(asciiJson(bytesOf('{"a": "plain"}'))).toBe('{"a": "plain"}');
  });
});

describe('jsonRecordTexts', () => {
  const texts = (text: string): string[] | undefined => jsonRecordTexts(bytesOf(text))?.map((t) => Buffer.from(t).toString('utf8'));

  it('gives each element of a top-level array, or the top-level object, as its own compact text', () => {
    const records = [
      { id: 'A', details: 'braces } ] { [ and "quotes", commas, a backslash \\ and \\"', list: [1, -2.5e3, true, false, null, [], {}, [[{}]]] },
      { id: 'B', summary: 'café 💥 <script>', nested: { a: { b: { c: ['x', 'y'] } } } },
      'a string',
      42,
      null,
      [],
    ];
    for (const text of [JSON.stringify(records), JSON.stringify(records, null, 2), JSON.stringify(records, null, '\t').replace(/\n/g, '\r\n')]) {
      const got = texts(text);
      expect(got?.map((t) => JSON.parse(t) as unknown)).toEqual(records);
      // compact: no whitespace outside strings, so never a raw line feed (which separates records in a block)
      expect(got).toEqual(records.map((r) => JSON.stringify(r)));
    }
    expect(texts(`  \n${JSON.stringify(records[0], null, 4)}\n`)).toEqual([JSON.stringify(records[0])]);
    expect(texts('[]')).toEqual([]);
    expect(texts(' [ ] ')).toEqual([]);
  });

  it('keeps each text as the file wrote it: escapes and number forms unchanged', () => {
    const text = '[{"d":"\\u003cb\\u003e \\/ \\" \\\\","n":1.50,"e":1E+2}, {"x" : "y" }]';
    expect(texts(text)).toEqual(['{"d":"\\u003cb\\u003e \\/ \\" \\\\","n":1.50,"e":1E+2}', '{"x":"y"}']);
    expect(texts(text)?.map((t) => JSON.parse(t) as unknown)).toEqual(JSON.parse(text));
  });

  it('views a minified file\'s bytes and copies only what it compacts', () => {
    const minified = bytesOf('[{"a":1},{"b":2}]');
    const views = jsonRecordTexts(minified) ?? [];
    expect(views.map((v) => v.buffer)).toEqual([minified.buffer, minified.buffer]);
    const pretty = bytesOf('[{"a": 1}]');
    expect(jsonRecordTexts(pretty)?.[0]?.buffer).not.toBe(pretty.buffer);
    // a file that is one record: the same, without a scan for its end
    const one = bytesOf(' {"a":"x y","b":"\\" }"}\n');
    expect(jsonRecordTexts(one)?.map((v) => [v.buffer === one.buffer, Buffer.from(v).toString()])).toEqual([[true, '{"a":"x y","b":"\\" }"}']]);
    const spaced = bytesOf('{\r\n\t"a" : "x y",\n  "b": [ "\\" ]", {} ]\n}\n\n');
    expect(jsonRecordTexts(spaced)?.map((v) => [v.buffer === spaced.buffer, Buffer.from(v).toString()])).toEqual([[false, '{"a":"x y","b":["\\" ]",{}]}']]);
  });

  it('gives nothing for a top level that is not an array or an object', () => {
    expect(jsonRecordTexts(bytesOf('"x"'))).toBeUndefined();
    expect(jsonRecordTexts(bytesOf('12'))).toBeUndefined();
  });
});

describe('zip entries read by reference (the reader threads\' way)', () => {
  const zipOf = (entries: Array<{ name: string; content: string }>): string => {
    const path = join(mkdtempSync(join(tmpdir(), 'rw-zip-')), 'all.zip');
    writeFileSync(path, makeZip(entries));
    return path;
  };
  const refsOf = async (path: string): Promise<Array<ZipEntryRef & { tooLarge?: string }>> => {
    const refs: Array<ZipEntryRef & { tooLarge?: string }> = [];
    for await (const ref of zipEntryRefs(path, 'all.zip')) refs.push(ref);
    return refs;
  };
  const withFd = <T>(path: string, use: (fd: number) => T): T => {
    const fd = openSync(path, 'r');
    try {
      return use(fd);
    } finally {
      closeSync(fd);
    }
  };

  it('lists the file entries (no folders) and reads each as the in-thread reader does', async () => {
    const path = zipOf([{ name: 'npm/', content: '' }, { name: 'npm/a.json', content: '{"id":"A"}' }, { name: 'npm/b.json', content: 'x'.repeat(5000) }]);
    const refs = await refsOf(path);
    expect(refs.map((r) => [r.name, r.size, r.method, r.encrypted])).toEqual([['npm/a.json', 10, 8, false], ['npm/b.json', 5000, 8, false]]);
    const inThread: string[] = [];
    for await (const entry of zipEntries(path, 'all.zip')) inThread.push(String(await entry.read()));
    expect(withFd(path, (fd) => refs.map((r) => String(readZipEntry(fd, r))))).toEqual(inThread);
  });

  it('finds the data where the local header says when its lengths differ from the central directory\'s', async () => {
    const path = zipOf([{ name: 'a.json', content: '{"id":"A"}' }]);
    const [ref] = await refsOf(path);
    if (ref === undefined) throw new Error('no entry');
    expect(withFd(path, (fd) => [String(readZipEntry(fd, { ...ref, headerBytes: ref.headerBytes + 7 })), String(readZipEntry(fd, { ...ref, headerBytes: 0 }))])).toEqual(['{"id":"A"}', '{"id":"A"}']);
  });

  it('refuses what yauzl refuses: encryption, other methods, a size that lies, a broken header or data', async () => {
    const path = zipOf([{ name: 'a.json', content: '{"id":"A"}'.repeat(20) }]);
    const [ref] = await refsOf(path);
    if (ref === undefined) throw new Error('no entry');
    withFd(path, (fd) => {
      expect(() => readZipEntry(fd, { ...ref, encrypted: true })).toThrow('a.json: the entry is encrypted');
      expect(() => readZipEntry(fd, { ...ref, method: 12 })).toThrow('a.json: unsupported compression method 12');
      expect(() => readZipEntry(fd, { ...ref, size: ref.size - 1 })).toThrow(/^a\.json: /);
      expect(() => readZipEntry(fd, { ...ref, size: ref.size + 1 })).toThrow(`a.json: expected ${ref.size + 1} bytes, got ${ref.size}`);
      expect(() => readZipEntry(fd, { ...ref, offset: ref.offset + 1 })).toThrow(`a.json: invalid local file header signature at offset ${ref.offset + 1}`);
      expect(() => readZipEntry(fd, { ...ref, compressedSize: ref.compressedSize - 3 })).toThrow(/^a\.json: /);
    });
  });

  it('marks an entry over the size limit instead of reading it', async () => {
    const path = zipOf([{ name: 'huge.json', content: ' '.repeat(MAX_ENTRY_BYTES + 1) }]);
    expect((await refsOf(path)).map((r) => r.tooLarge)).toEqual([`entry is ${MAX_ENTRY_BYTES + 1} bytes, more than the ${MAX_ENTRY_BYTES}-byte limit`]);
  });
});
