import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { parseInstalledJson, php } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('php cataloger', () => {
  it('Composer 2 installed.json: packages without dev ones and branches; v prefix dropped; purl with vendor namespace', async () => {
    const got = await catalogDirectory(here('testdata/app'), [php]);
    expect(got.issues).toEqual([]);
    expect(got.packages.map((p) => `${p.ecosystem} ${p.name}@${p.version} ${p.purl ?? ''} ${p.licenses?.join(',') ?? ''}`)).toEqual([
      'Packagist guzzlehttp/guzzle@7.4.5 pkg:composer/guzzlehttp/guzzle@7.4.5 MIT',
      'Packagist symfony/http-kernel@5.4.0 pkg:composer/symfony/http-kernel@5.4.0 MIT',
    ]);
  });

  it('Composer 1 (a bare array) and bad input', () => {
    expect(parseInstalledJson('installed.json', Buffer.from('[{"name":"a/b","version":"1.0.0"}]')).packages.map((p) => p.name)).toEqual(['a/b']);
    expect(parseInstalledJson('installed.json', Buffer.from('{"packages": 3}')).issues?.[0]?.message).toBe('"installed.json" is neither Composer 2 ({"packages": [...]}) nor Composer 1 ([...]) installed.json; skipped');
    expect(parseInstalledJson('installed.json', Buffer.alloc(0)).issues?.[0]?.code).toBe('php-installed-invalid');
  });
});
