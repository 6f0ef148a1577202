import { describe, expect, it } from 'vitest';
import { reportOf } from '../../../test/report.js';
import { parseReport } from './read.js';

describe('parseReport', () => {
  it('reads a 1.x report written before a finding kind existed (no byKind.detection) as 0 of it', () => {
    const old = JSON.parse(JSON.stringify(reportOf())) as { summary: { byKind: Record<string, number> } };
    delete old.summary.byKind['detection'];
    const report = parseReport(JSON.stringify(old), 'old.json');
    expect(report.summary.byKind.detection).toBe(0);
    expect(report.summary.byKind.vulnerability).toBe(0);
  });

  it('refuses an unknown kind in byKind, naming the path', () => {
    const bad = JSON.parse(JSON.stringify(reportOf())) as { summary: { byKind: Record<string, number> } };
    bad.summary.byKind['telepathy'] = 1;
    expect(() => parseReport(JSON.stringify(bad), 'bad.json')).toThrow(/summary\.byKind/);
  });
});
