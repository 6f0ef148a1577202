import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { catalogDirectory } from '../../directory.js';
import { java, LIMITS, manifest, parseJavaArchive } from './index.js';

const run = promisify(execFile);
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('java cataloger', () => {
  it('a WAR in a rootfs: nested JARs, Maven coordinates from pom.properties, manifest-only JAR, purls', async () => {
    const got = await catalogDirectory(here('testdata/webapp'), [java]);
    expect(got.issues).toEqual([]);
    expect(got.packages.map((p) => `${p.name}@${p.version} ${p.purl ?? ''} ${p.locations?.[0]?.path ?? ''}`)).toEqual([
      'org.apache.commons:commons-lang3@3.12.0 pkg:maven/org.apache.commons/commons-lang3@3.12.0 /usr/local/tomcat/webapps/app.war!WEB-INF/lib/commons-lang3-3.12.0.jar!/META-INF/maven/org.apache.commons/commons-lang3/pom.properties',
      'com.example:tiny@0.9.1 pkg:maven/com.example/tiny@0.9.1 /usr/local/tomcat/webapps/app.war!WEB-INF/lib/tiny-0.9.1.jar',
    ]);
    expect(got.packages.every((p) => p.ecosystem === 'Maven' && p.foundBy === 'java')).toBe(true);
  });

  it('MANIFEST.MF continuation lines', () => {
    expect(manifest('Manifest-Version: 1.0\nImplementation-Title: a very long\n  title\nBundle-Version: 1\n\nName: x\nY: z\n')).toEqual(new Map([['Manifest-Version', '1.0'], ['Implementation-Title', 'a very long title'], ['Bundle-Version', '1']]));
  });

  it('bad archives: not a zip, truncated, empty: an issue, no crash', async () => {
    expect((await parseJavaArchive('x.jar', Buffer.from('not a zip at all'))).issues?.[0]?.message).toMatch(/^"x.jar" is not a readable zip archive \(.+\); no packages read from it$/);
    const war = await readFile(here('testdata/webapp/usr/local/tomcat/webapps/app.war'));
    const cut = await parseJavaArchive('app.war', war.subarray(0, war.length - 40));
    expect(cut.packages).toEqual([]);
    expect(cut.issues?.[0]?.code).toBe('java-archive-invalid');
    expect((await parseJavaArchive('e.jar', Buffer.alloc(0))).issues?.[0]?.code).toBe('java-archive-invalid');
  });

  const jdkMissing = requireComponent('jdk', ['jar']);
  describe.skipIf(jdkMissing !== undefined)('archives built by the JDK jar tool', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rw-java-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    async function jarOf(name: string, files: Record<string, string | Buffer>, store = false): Promise<string> {
      const src = join(dir, `${name}.d`);
      for (const [p, content] of Object.entries(files)) {
        await mkdir(join(src, p, '..'), { recursive: true });
        await writeFile(join(src, p), content);
      }
      const out = join(dir, name);
      await run('jar', [store ? 'c0f' : 'cf', out, '-C', src, '.']);
      return out;
    }
    const pom = (g: string, a: string, v: string): Record<string, string> => ({ [`META-INF/maven/${g}/${a}/pom.properties`]: `groupId=${g}\nartifactId=${a}\nversion=${v}\n` });

    it('a zip bomb inside a JAR is recorded, not inflated; the other packages are kept', async () => {
      // Stored (not compressed) 24 MB of zeros: the outer JAR deflates it ~1000:1.
      const bomb = await jarOf('bomb.jar', { 'zeros.bin': Buffer.alloc(24 * 1024 * 1024) }, true);
      const log4j = await jarOf('log4j-core-2.14.1.jar', pom('org.apache.logging.log4j', 'log4j-core', '2.14.1'));
      const outer = await jarOf('app.jar', { ...pom('com.example', 'app', '1.0.0'), 'BOOT-INF/lib/bomb.jar': await readFile(bomb), 'BOOT-INF/lib/log4j-core-2.14.1.jar': await readFile(log4j) });
      const before = process.memoryUsage().rss;
      const got = await java.parse('app/app.jar', await readFile(outer));
      expect(process.memoryUsage().rss - before).toBeLessThan(20 * 1024 * 1024);
      expect(got.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['com.example:app@1.0.0', 'org.apache.logging.log4j:log4j-core@2.14.1']);
      expect(got.issues).toEqual([expect.objectContaining({ code: 'java-zip-bomb', message: expect.stringMatching(/^"app\/app.jar!\/BOOT-INF\/lib\/bomb.jar" inflates \d+ bytes to \d+ \(ratio \d+:1\): a zip bomb; not followed$/) as unknown })]);
    });

    it(`archives nested deeper than ${LIMITS.depth} are an issue`, async () => {
      let inner = await readFile(await jarOf('l0.jar', pom('g', 'deepest', '1')));
      for (let i = 1; i <= LIMITS.depth; i++) inner = await readFile(await jarOf(`l${i}.jar`, { ...pom('g', `level${i}`, '1'), [`lib/l${i - 1}.jar`]: inner }));
      const got = await java.parse('top.jar', inner);
      expect(got.packages.map((p) => p.name)).toEqual([`g:level${LIMITS.depth}`, `g:level${LIMITS.depth - 1}`, `g:level${LIMITS.depth - 2}`, `g:level${LIMITS.depth - 3}`]);
      expect(got.issues?.map((i) => i.code)).toEqual(['java-archive-too-deep']);
    });
  });
});
