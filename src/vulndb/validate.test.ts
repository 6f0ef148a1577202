import { describe, expect, it } from 'vitest';
import { admitRecord } from './validate.js';

function withEvents(events: Array<Record<string, string>>): Record<string, unknown> {
  return { id: 'GHSA-aaaa-bbbb-cccc', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events }] }] };
}

function warnings(events: Array<Record<string, string>>): string[] {
  const admitted = admitRecord(withEvents(events), 'test.json');
  if (admitted.record === undefined) throw new Error(admitted.rejection.message);
  return admitted.warnings.map((w) => w.message);
}

describe('admitRecord: osv-linter "non-distinct events"', () => {
  const repeated = 'OSV record GHSA-aaaa-bbbb-cccc: affected[0].ranges[0] repeats a version across events (non-distinct events)';

  it('warns when two events of a range name the same version, whichever their kinds and places', () => {
    expect(warnings([{ introduced: '0' }, { fixed: '1.0.0' }, { introduced: '2.0.0' }, { fixed: '1.0.0' }])).toEqual([repeated]);
    expect(warnings([{ introduced: '1.0.0' }, { fixed: '1.0.0' }])).toEqual([repeated]);
    expect(warnings([{ introduced: '0' }, { fixed: '1.0.0' }, { introduced: '2.0.0' }, { fixed: '2.1.0' }])).toEqual([]);
  });

  it('decides long ranges the same way', () => {
    const long = Array.from({ length: 40 }, (_, i): Record<string, string> => ({ [i % 2 === 0 ? 'introduced' : 'fixed']: `${i}.0.0` }));
    expect(warnings(long)).toEqual([]);
    expect(warnings([...long, { introduced: '0.0.0' }])).toEqual([repeated]);
  });
});
