import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../core/issue.js';
import { parseRecords, type Located } from './parse.js';

const rec = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  modified: '2024-01-01T00:00:00Z',
  affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, versions: ['1.0'] }],
  ...extra,
});

function read(content: string | Buffer, name: string): { located: Located[]; issues: Issue[] } {
  const issues: Issue[] = [];
  return { located: [...parseRecords(content, name, name, (i) => issues.push(i))], issues };
}

describe('parseRecords: record texts', () => {
  it('gives each record read from JSON bytes its own compact text, lined up past a rejected record', () => {
    const records = [rec('PYSEC-1', { details: 'café <b> "quoted" \\ done' }), { id: 'PYSEC-2' }, rec('PYSEC-3', { aliases: ['CVE-1'] })];
    for (const text of [JSON.stringify(records), JSON.stringify(records, null, 2)]) {
      const { located, issues } = read(Buffer.from(text), 'many.json');
      expect(issues.map((i) => [i.code, i.location])).toEqual([['osv-schema', 'many.json[1]']]);
      expect(located.map((l) => l.record.id)).toEqual(['PYSEC-1', 'PYSEC-3']);
      for (const l of located) {
        expect(l.text, l.record.id).toBeDefined();
        const stored = Buffer.from(l.text ?? new Uint8Array()).toString('utf8');
        expect(JSON.parse(stored)).toEqual(l.record);
        expect(stored).not.toMatch(/\n/);
      }
    }
  });

  it('gives a single-record file its text too', () => {
    const { located } = read(Buffer.from(JSON.stringify(rec('PYSEC-4'), null, 2)), 'PYSEC-4.json');
    expect(Buffer.from(located[0]?.text ?? new Uint8Array()).toString('utf8')).toBe(JSON.stringify(rec('PYSEC-4')));
  });

  it('gives no text for a record zod admitted as a copy (stored as serialised from that copy)', () => {
    // an own "__proto__" key (JSON.parse makes one) in an affected entry is left to zod, whose result is a new object
    const { located } = read(Buffer.from('[{"id":"PYSEC-7","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1.0"],"__proto__":{"a":1}}]}]'), 'a.json');
    expect(located.map((l) => [l.record.id, l.text])).toEqual([['PYSEC-7', undefined]]);
  });

  it('gives no text for YAML or for text already decoded (the store serialises those records)', () => {
    const yaml = read(Buffer.from('id: PYSEC-5\nmodified: 2024-01-01T00:00:00Z\naffected:\n- package: {ecosystem: PyPI, name: x}\n  versions: ["1.0"]\n'), 'a.yaml');
    expect(yaml.located.map((l) => [l.record.id, l.text])).toEqual([['PYSEC-5', undefined]]);
    const decoded = read(JSON.stringify(rec('PYSEC-6')), 'a.json');
    expect(decoded.located.map((l) => [l.record.id, l.text])).toEqual([['PYSEC-6', undefined]]);
  });
});
