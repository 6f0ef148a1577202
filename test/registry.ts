/**
 * Debian's docker-registry (distribution 2.8) on loopback with storage under a temp dir, for tests.
 * `auth: 'basic'` adds htpasswd basic auth (user `rw`, password `rw-pass`, bcrypt).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REGISTRY_USER = 'rw';
export const REGISTRY_PASSWORD = 'rw-pass';

export interface Registry {
  dir: string;
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  /** Filesystem root of the registry's storage (for tampering tests). */
  storage: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startRegistry(options: { auth?: 'none' | 'basic'; extraConfig?: string } = {}): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'rw-reg-'));
  const storage = join(dir, 'data');
  await mkdir(storage, { recursive: true });
  const port = await freePort();
  let auth = '';
  if (options.auth === 'basic') {
    await run('htpasswd', ['-Bbc', join(dir, 'htpasswd'), REGISTRY_USER, REGISTRY_PASSWORD]);
    auth = `auth:\n  htpasswd:\n    realm: rw-registry\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  await writeFile(
    join(dir, 'config.yml'),
    `version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: runwarden-test-not-a-secret
${auth}${options.extraConfig ?? ''}`,
  );
  const log = openSync(join(dir, 'registry.log'), 'a');
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error(`docker-registry exited at start; see ${join(dir, 'registry.log')}`);
    const status = await fetch(`${url}/v2/`).then((r) => r.status).catch(() => 0);
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline) throw new Error(`docker-registry did not come up in 10 s; see ${join(dir, 'registry.log')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    dir,
    host: `127.0.0.1:${port}`,
    url,
    storage,
    stop: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
