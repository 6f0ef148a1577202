import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { CATALOGERS } from '../../catalog/registry.js';
import { compileGlobs } from './globs.js';

const PATHS = [
  '', 'var/lib/dpkg/status', 'var/lib/dpkg/status.d/base', 'var/lib/dpkg/status.d/base.md5sums', 'lib/apk/db/installed',
  'var/lib/rpm/rpmdb.sqlite', 'var/lib/rpm/Packages', 'usr/lib/sysimage/rpm/rpmdb.sqlite', 'var/lib/rpmmanifest/container-manifest-2',
  'app/node_modules/lodash/package.json', 'app/node_modules/@scope/pkg/package.json', 'app/package.json', 'app/package-lock.json',
  'srv/app/node_modules/.package-lock.json', 'usr/lib/python3/dist-packages/Jinja2-3.1.2.dist-info/METADATA',
  'usr/lib/python3/dist-packages/PyYAML-6.0.1.egg-info/PKG-INFO', 'opt/x.egg-info', 'usr/local/tomcat/webapps/app.war', 'a/b.jar',
  'A/B.JAR', 'usr/local/bundle/specifications/rack-2.2.4.gemspec', 'app/web.deps.json', 'var/www/vendor/composer/installed.json',
  '.hidden/package.json', 'x/.node_modules/y/package.json', 'etc/os-release', 'usr/lib/os-release', 'etc/debian_version',
  'etc/alpine-release', 'etc/redhat-release', 'usr/bin/app', 'weird name/with space/package.json', 'ünïcode/node_modules/ü/package.json',
];

describe('compileGlobs', () => {
  it('answers exactly as picomatch for every cataloger\'s globs over typical and odd paths', () => {
    const lists = CATALOGERS.map((c) => c.globs ?? []).filter((g) => g.length > 0);
    lists.push(['**/*.{jar,war,ear}', 'var/lib/dpkg/status', '**/node_modules/*/package.json'], ['*'], ['**'], ['a/b.jar']);
    let matched = 0;
    for (const globs of lists) {
      const ours = compileGlobs(globs);
      const theirs = picomatch([...globs], { dot: true });
      for (const p of PATHS) {
        expect([globs.join(' '), p, ours(p)]).toEqual([globs.join(' '), p, theirs(p)]);
        if (ours(p)) matched++;
      }
    }
    // Both ways are exercised: many paths match some list, most lists reject most paths.
    expect(matched).toBeGreaterThan(20);
    expect(matched).toBeLessThan(lists.length * PATHS.length / 2);
  });

  it('matches a path equal to the glob text (picomatch\'s exact-string shortcut)', () => {
    expect(compileGlobs(['weird[name].json'])('weird[name].json')).toBe(true);
    expect(picomatch('weird[name].json', { dot: true })('weird[name].json')).toBe(true);
  });
});
