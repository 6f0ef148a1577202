import { describe, expect, it } from 'vitest';
import { sortedIndexOf } from './sorted.js';

describe('sortedIndexOf', () => {
  it('finds every member of a sorted list where indexOf does, and nothing else', () => {
    const list = [2, 3, 5, 8, 13, 21, 34];
    for (let v = 0; v <= 40; v++) expect(sortedIndexOf(list, v), String(v)).toBe(list.indexOf(v));
    expect(sortedIndexOf([], 1)).toBe(-1);
    expect(sortedIndexOf(new Float64Array([1.5, 2.5]), 2.5)).toBe(1);
  });
});
