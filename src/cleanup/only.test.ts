import { describe, expect, it } from 'vitest';
import type { Judgement } from './only.js';
import { narrowPlan } from './only.js';
import type { CleanupPlan, PlanEntry } from './planner.js';

function entry(id: string, decision: PlanEntry['decision'], sizeBytes: number): PlanEntry {
  return { id, name: `img/${id}:1`, repoTags: [], repoDigests: [], targetDigests: [], sizeBytes, pinned: false, createdAt: undefined, decision, reasons: [{ code: decision === 'remove' ? 'unused' : 'in-use', message: '' }], usedBy: [] };
}

const plan: CleanupPlan = {
  node: 'n1',
  address: 'unix:///run/containerd/containerd.sock',
  runtime: 'containerd 1.7',
  sandboxImage: undefined,
  plannedAt: '2026-11-30T12:00:00.000Z',
  options: { exclusions: [], sandboxImages: [], olderThan: undefined },
  entries: [entry('a', 'remove', 300), entry('b', 'remove', 200), entry('c', 'remove', 100), entry('d', 'keep', 50)],
  candidates: 3,
  kept: 1,
  reclaimableBytes: 600,
  issues: [],
};

describe('narrowPlan', () => {
  it('keeps the candidates that do not qualify and those that could not be judged; the totals follow', () => {
    const judged = new Map<string, Judgement>([
      ['a', { qualifies: false, message: 'no vulnerability at or above high', findings: [] }],
      ['b', { qualifies: true, message: '1 vulnerability at or above high: CVE-1 (critical, x 1.0)', findings: ['CVE-1'] }],
      ['c', { error: 'cannot read it from containerd: not found' }],
    ]);
    const narrowed = narrowPlan(plan, 'vulnerable', '--only vulnerable (at or above high)', judged);
    expect(narrowed.entries.map((e) => [e.id, e.decision, e.reasons.map((r) => r.code), e.findings])).toEqual([
      ['b', 'remove', ['unused', 'vulnerable'], ['CVE-1']],
      ['a', 'keep', ['not-vulnerable'], []],
      ['c', 'keep', ['not-judged'], undefined],
      ['d', 'keep', ['in-use'], undefined],
    ]);
    expect(narrowed.entries.find((e) => e.id === 'c')?.reasons[0]?.message).toBe('--only vulnerable (at or above high): could not be judged (cannot read it from containerd: not found), so it is kept');
    expect([narrowed.candidates, narrowed.kept, narrowed.reclaimableBytes, narrowed.options.only]).toEqual([1, 3, 200, '--only vulnerable (at or above high)']);
    // a candidate missing from the judgements is never removed
    expect(narrowPlan(plan, 'eol', '--only eol', new Map()).candidates).toBe(0);
  });
});
