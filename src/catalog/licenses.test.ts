import { describe, expect, it } from 'vitest';
import { spdxId, spdxList } from './licenses.js';

describe('licence strings → SPDX ids', () => {
  it('maps the loose spellings package databases write, and keeps what it cannot map as written', () => {
    expect(spdxId(' Apache 2.0 ')).toBe('Apache-2.0');
    expect(spdxId('BSD License')).toBe('BSD License');
    expect(spdxList('MIT BSD GPL2+')).toEqual(['MIT', 'BSD-3-Clause', 'GPL-2.0-or-later']);
    expect(spdxList('( Apache-2.0 OR MIT ) AND MPL-2.0')).toEqual(['Apache-2.0', 'MIT', 'MPL-2.0']);
    expect(spdxList('UNKNOWN')).toBeUndefined();
  });

  it('keeps a licence named like an Object property as written (a plain lookup returned Object\'s members)', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(spdxId(name)).toBe(name);
      expect(spdxList(name)).toEqual([name]);
    }
    expect(spdxList('MIT constructor')).toEqual(['MIT constructor']);
  });
});
