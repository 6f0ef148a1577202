import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { gemDependencies, ruby } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('ruby dependencies (gemspec runtime dependencies)', () => {
  it('add_runtime_dependency / add_dependency, not add_development_dependency', () => {
    expect(gemDependencies('s.add_runtime_dependency(%q<rack>.freeze, [">= 2"])\ns.add_dependency(%q<rack>, [">= 2"])\ns.add_dependency "thor", "~> 1"\ns.add_development_dependency(%q<rake>.freeze)\n')).toEqual(['rack', 'thor']);
  });

  it('resolved within the same gem home (default gems included); another gem home\'s gems are not used; missing ones unresolved', async () => {
    const got = await catalogDirectory(here('testdata/deps'), [ruby]);
    expect(got.issues).toEqual([]);
    const name = (i: number): string => `${got.packages[i]?.name ?? '?'}@${got.packages[i]?.version ?? '?'}`;
    expect(Object.fromEntries(got.dependencies.map((d) => [name(d.from), [d.to.map(name).sort(), d.unresolved ?? []]]))).toEqual({
      'rails@7.1.2': [['net-protocol@0.2.2', 'rack@2.2.8'], ['activesupport']],
      'rack@2.2.8': [[], []],
      'net-protocol@0.2.2': [[], ['timeout']],
      'activesupport@7.1.2': [[], ['concurrent-ruby']],
    });
  });
});
