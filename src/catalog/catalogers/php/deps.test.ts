import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { isPlatformPackage, php } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('php dependencies (installed.json require)', () => {
  it('platform requirements are not packages', () => {
    expect(['php', 'php-64bit', 'ext-json', 'lib-icu', 'composer-plugin-api', 'composer', 'psr/log', 'phpx/y'].map(isPlatformPackage)).toEqual([true, true, true, true, true, true, false, false]);
  });

  it('require resolved within installed.json (names without case, replace/provide as virtual names); dev packages neither targets nor missing; missing ones unresolved', async () => {
    const got = await catalogDirectory(here('testdata/deps'), [php]);
    expect(got.issues).toEqual([]);
    const name = (i: number): string => got.packages[i]?.name ?? '?';
    expect(got.dependencies.map((d) => [name(d.from), d.to.map(name), d.unresolved ?? []])).toEqual([
      ['monolog/monolog', ['psr/log', 'symfony/polyfill-php80'], ['missing/lib']],
      ['psr/log', [], []],
      ['symfony/polyfill-php80', [], []],
      ['app/logger', ['monolog/monolog'], []],
    ]);
  });
});
