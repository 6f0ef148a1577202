import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { environmentOf, python, requiresDist } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('python dependencies', () => {
  it('Requires-Dist: PEP 508 names PEP 503-normalised; under a marker (extras, python_version) optional', () => {
    expect(requiresDist(['charset_normalizer (<4,>=2)', 'idna<4,>=2.5', 'PySocks!=1.5.7,>=1.5.6; extra == "socks"', 'requests[socks]; python_version < "2"', 'Zope.Interface', 'zope-interface; os_name == "nt"', '(bad'])).toEqual([
      'charset-normalizer', 'idna', '?pysocks', '?requests', 'zope-interface',
    ]);
    expect(environmentOf('usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA')).toBe('usr/lib/python3/dist-packages');
    expect(environmentOf('usr/lib/python3/dist-packages/x-1.0.egg-info')).toBe('usr/lib/python3/dist-packages');
    expect(environmentOf('x-1.0.egg-info/PKG-INFO')).toBe('');
  });

  it('requirements resolve within the same site-packages: installed extras kept, another environment\'s copy never used, missing ones unresolved; egg PKG-INFO has unknown dependencies', async () => {
    const got = await catalogDirectory(here('testdata/deps'), [python]);
    expect(got.issues).toEqual([]);
    const name = (i: number): string => got.packages[i]?.name ?? '?';
    expect(Object.fromEntries(got.dependencies.map((d) => [name(d.from), [d.to.map(name).sort(), d.unresolved ?? []]]))).toEqual({
      requests: [['charset-normalizer', 'pysocks', 'urllib3'], ['certifi', 'idna']],
      urllib3: [['pysocks'], []],
      'charset-normalizer': [[], []],
      pysocks: [[], []],
      idna: [[], []],
    });
  });
});
