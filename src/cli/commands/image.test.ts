/**
 * `runwarden image inspect` in-process, on every source kind: OCI layout, OCI archive and docker
 * archive (written by the real skopeo), a real registry (distribution 2.8, basic auth through a docker
 * config) and a real containerd.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { startContainerd, type Containerd } from '../../../test/containerd.js';
import { buildTestImages, skopeoCopy } from '../../../test/images.js';
import { REGISTRY_PASSWORD, REGISTRY_USER, startRegistry, type Registry } from '../../../test/registry.js';
import type { CliContext } from '../context.js';
import { reportError } from '../run.js';
import { imageCommand, type Inspection } from './image.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function image(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const ctx: CliContext = { stdout, stderr, env, cwd: process.cwd(), exitCode: 0 };
  const program = new Command('runwarden').exitOverride().configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  program.addCommand(imageCommand(ctx));
  let code: number;
  try {
    await program.parseAsync(['image', ...args], { from: 'user' });
    code = ctx.exitCode;
  } catch (error) {
    code = error instanceof CommanderError ? 2 : reportError(error, ctx, false);
  }
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const json = (text: string): Inspection => JSON.parse(text) as Inspection;
const skip = requireComponent('docker-registry + skopeo + containerd', ['docker-registry', 'skopeo', 'htpasswd', 'containerd', 'ctr']);

describe('runwarden image inspect', () => {
  let dir: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-cli-image-'));
    images = await buildTestImages(dir);
  });

  it('prints digest, platform, config, layers and referrers of an OCI layout as a table', async () => {
    const run = await image(['inspect', `oci:${images['debian-app'].layout}`]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 11)).toEqual([
      'Image       localhost/rw/debian-app:1  (oci-layout)',
      `Digest      ${images['debian-app'].manifestDigest}`,
      'Media type  application/vnd.oci.image.manifest.v1+json',
      'Platform    linux/amd64',
      `Image ID    ${images['debian-app'].configDigest}`,
      'Created     1970-01-01T00:00:00Z',
      'User        (not set: root)',
      'Entrypoint  (none)',
      'Cmd         ["/bin/sleep","inf"]',
      'Workdir     /',
      'Labels      org.opencontainers.image.source=runwarden/test/images.ts',
    ]);
    expect(run.stdout).toContain(`Layers (2, `);
    expect(run.stdout).toContain(`  1  ${images['debian-app'].layers[0]!.digest}`);
    expect(run.stdout).toContain('Referrers  none (layout)');
  });

  it('writes versioned JSON with --format json', async () => {
    const run = await image(['inspect', `oci:${images['alpine-app'].layout}`, '--format', 'json']);
    const out = json(run.stdout);
    expect(out).toMatchObject({
      schemaVersion: '1',
      source: 'oci-layout',
      name: 'localhost/rw/alpine-app:1',
      digest: images['alpine-app'].manifestDigest,
      platform: 'linux/amd64',
      imageId: images['alpine-app'].configDigest,
      index: null,
      config: { created: '1970-01-01T00:00:00Z', user: null, entrypoint: null, cmd: ['/bin/sleep', 'inf'], workingDir: '/', labels: { 'org.opencontainers.image.source': 'runwarden/test/images.ts' } },
      referrers: { supported: true, via: 'layout', items: [] },
      issues: [],
    });
    expect(out.layers.map((l) => l.digest)).toEqual(images['alpine-app'].layers.map((l) => l.digest));
  });

  it('exits 2 with one line for a bad --format, --platform, --insecure-registry or --registry-mirror, and 3 for a missing layout', async () => {
    const cases: Array<[string[], string]> = [
      [['--format', 'jsn'], 'runwarden: error: Unknown --format "jsn": expected one of table, json. Did you mean "json"?\n'],
      [['--platform', 'amd64'], 'runwarden: error: Invalid --platform "amd64": expected os/architecture[/variant], e.g. "linux/amd64" or "linux/arm64/v8".\n'],
      [['--insecure-registry', 'http://r:5000'], 'runwarden: error: Invalid --insecure-registry "http://r:5000": expected host[:port], e.g. registry.local:5000 (no scheme, no path).\n'],
    ];
    for (const [flags, message] of cases) {
      const run = await image(['inspect', `oci:${images.pause.layout}`, ...flags]);
      expect([run.code, run.stderr]).toEqual([2, message]);
    }
    const mirror = await image(['inspect', 'nginx:1', '--registry-mirror', 'docker.io']);
    expect([mirror.code, mirror.stderr]).toEqual([2, 'runwarden: error: Invalid --registry-mirror "docker.io": expected <registry>=<mirror host[:port]>, e.g. docker.io=mirror.internal:5000.\n']);
    const missing = await image(['inspect', 'oci:/nonexistent/rw']);
    expect([missing.code, missing.stderr]).toEqual([3, 'runwarden: error: oci folder "/nonexistent/rw" not found Hint: Give an existing folder: oci:<path>[:<reference>].\n']);
  });

  describe.skipIf(skip !== undefined)('other sources', () => {
    let registry: Registry;
    let containerd: Containerd;
    beforeAll(async () => {
      registry = await startRegistry({ auth: 'basic' });
      containerd = await startContainerd({ snapshotter: 'native' });
      await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `docker://${registry.host}/rw/debian-app:1`, ['--dest-tls-verify=false', `--dest-creds=${REGISTRY_USER}:${REGISTRY_PASSWORD}`]);
      await containerd.importImage(images['alpine-app'].layoutTar);
    });
    afterAll(async () => {
      await registry?.stop();
      await containerd?.stop();
    });

    it('inspects an OCI archive and a docker archive written by skopeo', async () => {
      const oci = join(dir, 'debian.oci.tar');
      const docker = join(dir, 'debian.docker.tar');
      await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `oci-archive:${oci}:1`);
      await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `docker-archive:${docker}:localhost/rw/debian-app:1`);
      const fromOci = json((await image(['inspect', `oci-archive:${oci}`, '-f', 'json'])).stdout);
      expect([fromOci.source, fromOci.digest]).toEqual(['oci-archive', images['debian-app'].manifestDigest]);
      const run = await image(['inspect', `docker-archive:${docker}`]);
      expect(run.stdout).toContain('Digest      none: a docker-archive stores no manifest\n');
      expect(run.stdout).toContain('Referrers  not available from a docker-archive source\n');
      expect(json((await image(['inspect', `docker-archive:${docker}`, '-f', 'json'])).stdout).imageId).toBe(images['debian-app'].configDigest);
    });

    it('inspects an image in a registry with basic auth from --docker-config, and explains a missing login', async () => {
      const config = join(dir, 'docker');
      await writeFile(join(dir, 'docker-config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64') } } }));
      const run = await image(['inspect', `${registry.host}/rw/debian-app:1`, '--insecure-registry', registry.host, '--docker-config', join(dir, 'docker-config.json'), '-f', 'json']);
      expect(run.stderr).toBe('');
      const out = json(run.stdout);
      expect([out.source, out.name, out.digest]).toEqual(['registry', `${registry.host}/rw/debian-app:1`, images['debian-app'].manifestDigest]);
      expect(out.referrers).toEqual({ supported: true, via: 'tag-schema', items: [] });
      const anonymous = await image(['inspect', `${registry.host}/rw/debian-app:1`, '--insecure-registry', registry.host], { HOME: config });
      expect(anonymous.code).toBe(3);
      expect(anonymous.stderr).toBe(`runwarden: error: Registry ${registry.host} requires authentication for manifest 1 of rw/debian-app Hint: No credentials for ${registry.host}: run "docker login ${registry.host}" (or pass --docker-config, or an imagePullSecret).\n`);
    });

    it('inspects an image in containerd by name', async () => {
      const run = await image(['inspect', 'containerd:localhost/rw/alpine-app:1', '--containerd-address', containerd.address, '-f', 'json']);
      expect(run.stderr).toBe('');
      const out = json(run.stdout);
      expect([out.source, out.digest, out.imageId]).toEqual(['containerd', images['alpine-app'].manifestDigest, images['alpine-app'].configDigest]);
      expect(out.referrers).toEqual({ supported: false, via: null, items: [] });
    });
  });
});
