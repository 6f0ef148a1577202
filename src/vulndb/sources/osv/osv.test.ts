import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../core/issue.js';
import type { ParsedAdvisory } from '../../source.js';
import { osv } from './index.js';

async function readAll(path: string): Promise<{ records: ParsedAdvisory[]; issues: Issue[] }> {
  const issues: Issue[] = [];
  const records: ParsedAdvisory[] = [];
  for await (const r of osv.read({ path, display: path }, { issue: (i) => issues.push(i), completeScope: () => undefined, incompleteScope: () => undefined, keepStored: () => undefined })) records.push(r);
  return { records, issues };
}

const rec = (id: string): Record<string, unknown> => ({ id, modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, versions: ['1.0'] }] });

describe('osv source', () => {
  it('reads nested directories of JSON and YAML records and JSON arrays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-osv-'));
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'one.json'), JSON.stringify(rec('PYSEC-2024-1')));
    writeFileSync(join(dir, 'a', 'b', 'two.yaml'), 'id: PYSEC-2024-2\nmodified: 2024-01-01T00:00:00Z\naffected:\n- package: {ecosystem: PyPI, name: x}\n  versions: ["1.0"]\n');
    writeFileSync(join(dir, 'many.json'), JSON.stringify([rec('PYSEC-2024-3'), { id: 'PYSEC-2024-4' }]));
    writeFileSync(join(dir, 'notes.md'), '# not a record');
    const { records, issues } = await readAll(dir);
    expect(records.map((r) => r.record.id).sort()).toEqual(['PYSEC-2024-1', 'PYSEC-2024-2', 'PYSEC-2024-3']);
    expect(issues.map((i) => [i.code, i.location])).toEqual([['osv-schema', join(dir, 'many.json[1]')]]);
  });

  it('reads nothing from an empty directory, and reports an empty or corrupt file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-osv-'));
    expect(await readAll(dir)).toEqual({ records: [], issues: [] });
    writeFileSync(join(dir, 'empty.json'), '');
    writeFileSync(join(dir, 'binary.json'), Buffer.from([0, 159, 146, 150]));
    const { records, issues } = await readAll(dir);
    expect(records).toEqual([]);
    expect(issues.map((i) => i.code)).toEqual(['osv-parse', 'osv-parse']);
  });

  it('refuses a missing file with the path in the message', async () => {
    await expect(readAll('/nonexistent/osv.json')).rejects.toThrow('Cannot read OSV input "/nonexistent/osv.json"');
  });
});
