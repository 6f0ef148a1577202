import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { parseGemspec, ruby } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('ruby cataloger', () => {
  it('installed gemspecs: name, version, licences, purl; a non-literal gemspec is an issue', async () => {
    const got = await catalogDirectory(here('testdata/bundle'), [ruby]);
    expect(got.packages).toEqual([{ ecosystem: 'RubyGems', name: 'rack', version: '2.2.4', foundBy: 'ruby', licenses: ['MIT'], purl: 'pkg:gem/rack@2.2.4', locations: [{ path: '/usr/local/bundle/specifications/rack-2.2.4.gemspec' }] }]);
    expect(got.issues.map((i) => i.message)).toEqual(['"usr/local/bundle/specifications/broken-1.0.gemspec" has no literal name assignment; skipped']);
  });

  it('Gem::Version.new and empty files', () => {
    expect(parseGemspec('x.gemspec', Buffer.from('s.name = "a"\ns.version = Gem::Version.new("1.2")\n')).packages[0]?.version).toBe('1.2');
    expect(parseGemspec('x.gemspec', Buffer.alloc(0)).issues?.[0]?.code).toBe('ruby-gemspec-invalid');
  });
});
