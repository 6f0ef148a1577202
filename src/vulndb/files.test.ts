import { describe, expect, it } from 'vitest';
import { asciiJson, parseBytes, parseText } from './files.js';

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
