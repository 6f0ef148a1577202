import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { linkRecords } from '../../links.js';
import { auditPackages, rust } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('rust dependencies (cargo-auditable dependencies indexes)', () => {
  it('the fixture binary: hello → serde, regex (build-time serde_derive is no target); serde → itoa; regex → memchr', async () => {
    const got = await catalogDirectory(here('testdata/auditable'), [rust]);
    const name = (i: number): string => got.packages[i]?.name ?? '?';
    expect(got.dependencies.map((d) => [name(d.from), d.to.map(name), d.unresolved ?? []])).toEqual([
      ['hello', ['serde', 'regex'], []],
      ['serde', ['itoa'], []],
      ['regex', ['memchr'], []],
      ['itoa', [], []],
      ['memchr', [], []],
    ]);
  });

  it('bad input: an index outside the list is unresolved (#index), a cycle and a self-reference are fine', () => {
    const records = auditPackages({ packages: [
      { name: 'app', version: '1.0.0', source: 'local', root: true, dependencies: [1, 9, 0] },
      { name: 'a', version: '1.0.0', source: 'crates.io', dependencies: [2] },
      { name: 'b', version: '2.0.0', source: 'crates.io', dependencies: [1] },
    ] });
    const links = linkRecords(rust.link ?? (() => () => []), records.map((record) => ({ record, path: 'usr/bin/app' })));
    expect(links).toEqual([
      { from: 0, to: [1, 0], unresolved: ['#9'] },
      { from: 1, to: [2], unresolved: [] },
      { from: 2, to: [1], unresolved: [] },
    ]);
  });
});
