/**
 * A host root for the node agent's `--host-root` in tests: an Alpine v3.11 os-release and Alpine's real installed
 * database (testdata/upstream/package-dbs/alpine-trivy, Trivy's fixture: 15 packages and one entry without a
 * version), plus files outside the package paths that the agent must never read.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../paths.js';

export async function makeHostRoot(dir: string): Promise<string> {
  await mkdir(join(dir, 'etc'), { recursive: true });
  await writeFile(join(dir, 'etc', 'os-release'), 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.11.6\nPRETTY_NAME="Alpine Linux v3.11"\n');
  await mkdir(join(dir, 'lib', 'apk', 'db'), { recursive: true });
  await copyFile(join(packageRoot(), 'testdata', 'upstream', 'package-dbs', 'alpine-trivy', 'installed'), join(dir, 'lib', 'apk', 'db', 'installed'));
  // not package databases: never read (a node's language packages, the kubelet's files)
  await mkdir(join(dir, 'usr', 'lib', 'node_modules', 'left-pad'), { recursive: true });
  await writeFile(join(dir, 'usr', 'lib', 'node_modules', 'left-pad', 'package.json'), '{"name":"left-pad","version":"1.0.0"}');
  await mkdir(join(dir, 'var', 'lib', 'kubelet'), { recursive: true });
  await writeFile(join(dir, 'var', 'lib', 'kubelet', 'installed'), 'P:evil\nV:1.0\n');
  return dir;
}
