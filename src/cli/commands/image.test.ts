/**
 * `runwarden image inspect` in-process, on every source kind: OCI layout, OCI archive and docker
 * archive (written by the real skopeo), a real registry (distribution 2.8, basic auth through a docker
 * config) and a real containerd.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { startContainerd, type Containerd } from '../../../test/containerd.js';
import { buildTestImages, skopeoCopy } from '../../../test/images.js';
import { REGISTRY_PASSWORD, REGISTRY_USER, startRegistry, type Registry } from '../../../test/registry.js';
import { cli } from '../../../test/cli.js';
import type { Inspection } from './image.js';

const image = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(['image', ...args], { env });

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
    expect([missing.code, missing.stderr]).toEqual([3, 'runwarden: error: oci folder "/nonexistent/rw" not found. Hint: Give an existing folder: oci:<path>[:<reference>].\n']);
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
      expect(anonymous.stderr).toBe(`runwarden: error: Registry ${registry.host} requires authentication for manifest 1 of rw/debian-app. Hint: No credentials for ${registry.host}: run "docker login ${registry.host}" (or pass --docker-config, or an imagePullSecret).\n`);
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

describe('runwarden image scan', () => {
  let dir: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  let db: string;
  const NOW = ['--now', '2026-11-28T12:00:00Z'];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-cli-image-scan-'));
    images = await buildTestImages(dir);
    db = join(dir, 'rw.db');
    expect((await cli(['db', 'import', join(process.cwd(), 'demo', 'advisories', 'osv'), '--db', db])).code).toBe(0);
  });

  it('prints the OS, the packages and each vulnerability with the layer that introduced it, as a table', async () => {
    const run = await image(['scan', `oci:${images['debian-app'].layout}`, '--db', db, ...NOW]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const upper = images['debian-app'].layers[1]!.digest;
    expect(run.stdout.split('\n').slice(0, 5)).toEqual([
      'Image     localhost/rw/debian-app:1  (oci-layout)',
      `Digest    ${images['debian-app'].manifestDigest}`,
      expect.stringMatching(/^Platform {2}linux\/amd64, 2 layers, [\d.]+ (KiB|MiB)$/),
      'OS        debian 12 (bookworm)',
      'Packages  7 (Debian 5, npm 1, PyPI 1)',
    ]);
    expect(run.stdout).toContain(`runwarden ${(await import('../../version.js')).VERSION} — image oci:${images['debian-app'].layout}\n`);
    expect(run.stdout).toContain('HIGH     vulnerable-package  CVE-2021-23337: Command Injection in lodash (lodash 4.17.15)\n');
    expect(run.stdout).toContain(`at /app/node_modules/lodash/package.json (layer 2/2 ${upper.slice(0, 19)})\n`);
    // vulnerabilities plus the lifecycle verdict of the OS (Debian 12 is past its regular end of life at NOW)
    expect(run.stdout).toMatch(/Findings: 3 \(1 high, 1 medium, 1 unknown\)/);
    expect(run.stdout).toMatch(/end-of-life +Debian 12/);
  });

  it('writes the scan report formats: JSON that validates, and SARIF; --fail-on sets the exit code', async () => {
    const { ScanReportJson } = await import('../../report/json/schema.js');
    const run = await image(['scan', `oci:${images['debian-app'].layout}`, '--db', db, '-f', 'json', ...NOW]);
    const report = ScanReportJson.parse(JSON.parse(run.stdout));
    expect(report.source).toEqual({ type: 'image', location: `oci:${images['debian-app'].layout}` });
    expect(report.findings.filter((f) => f.rule === 'vulnerable-package').map((f) => [f.subject, f.evidence.vulnerability])).toEqual([
      [{ type: 'image', image: 'localhost/rw/debian-app:1' }, 'CVE-2021-23337'],
      [{ type: 'image', image: 'localhost/rw/debian-app:1' }, 'CVE-2023-32681'],
    ]);
    const sarif = JSON.parse((await image(['scan', `oci:${images['debian-app'].layout}`, '--db', db, '-f', 'sarif', ...NOW])).stdout) as { version: string; runs: Array<{ results: unknown[] }> };
    expect([sarif.version, sarif.runs[0]?.results.length]).toEqual(['2.1.0', report.findings.length]);
    // each finding names the image's digest; CycloneDX nests the vulnerable packages in the image by it
    expect(new Set(report.findings.map((f) => f.evidence.imageDigest))).toEqual(new Set([images['debian-app'].manifestDigest]));
    const { cycloneDxErrors } = await import('../../../test/sbom-schemas.js');
    const bom = JSON.parse((await image(['scan', `oci:${images['debian-app'].layout}`, '--db', db, '-f', 'cyclonedx', ...NOW])).stdout) as { components: Array<{ name: string; version?: string; components?: Array<{ purl?: string }> }>; vulnerabilities: unknown[] };
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(bom.components.map((c) => [c.name, c.version, c.components?.map((p) => p.purl)])).toEqual([['localhost/rw/debian-app', images['debian-app'].manifestDigest, ['pkg:npm/lodash@4.17.15', 'pkg:pypi/requests@2.25.0']]]);
    expect(bom.vulnerabilities).toHaveLength(2);
    // a week later, the same data is stale, and the report says so
    const later = await image(['scan', `oci:${images['debian-app'].layout}`, '--db', db, '-f', 'json', '--now', new Date(Date.now() + 7 * 24 * 3_600_000).toISOString()]);
    expect(ScanReportJson.parse(JSON.parse(later.stdout)).issues.map((i) => i.code)).toContain('vuln-db-stale');
    expect(report.issues.map((i) => i.code)).not.toContain('vuln-db-stale');
    expect((await image(['scan', `oci:${images['debian-app'].layout}`, '--db', db, '--fail-on', 'high'])).code).toBe(1);
    expect((await image(['scan', `oci:${images['debian-app'].layout}`, '--db', db, '--fail-on', 'critical'])).code).toBe(0);
    const out = join(dir, 'report.json');
    const toFile = await image(['scan', `oci:${images['alpine-app'].layout}`, '--db', db, '-f', 'json', '-o', out]);
    // the test DB has no Alpine 3.18 advisories (the one issue says so); its end of life is the one finding
    expect(toFile.stderr).toBe(`runwarden: wrote json report to ${out} (1 findings, 1 issues)\n`);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { issues: Array<{ code: string; location: string }> }).issues).toMatchObject([{ code: 'vuln-no-advisories', location: 'Alpine:v3.18' }]);
  });

  it('applies --vex statements about this image by its digest, and not those about another image', async () => {
    const digest = images['debian-app'].manifestDigest;
    const statement = (image: string): unknown => ({ vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': `pkg:oci/debian-app@${image.replace(':', '%3A')}`, subcomponents: [{ '@id': 'pkg:npm/lodash' }] }], status: 'not_affected', justification: 'inline_mitigations_already_exist' });
    const vexFile = (name: string, image: string): string => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [statement(image)] }));
      return file;
    };
    const suppressed = async (file: string): Promise<unknown> => {
      const run = await image(['scan', `oci:${images['debian-app'].layout}`, '--db', db, '-f', 'json', '--vex', file, ...NOW]);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as { findings: Array<{ evidence: { vulnerability?: string }; suppression?: { reason: string } }> };
      return report.findings.filter((f) => f.evidence.vulnerability !== undefined).map((f) => [f.evidence.vulnerability, f.suppression?.reason]);
    };
    expect(await suppressed(vexFile('this.json', digest))).toEqual([
      ['CVE-2021-23337', 'VEX not_affected (inline_mitigations_already_exist)'],
      ['CVE-2023-32681', undefined],
    ]);
    expect(await suppressed(vexFile('other.json', images['alpine-app'].manifestDigest))).toEqual([
      ['CVE-2021-23337', undefined],
      ['CVE-2023-32681', undefined],
    ]);
    const unreadable = await image(['scan', `oci:${images['debian-app'].layout}`, '--db', db, '--vex', join(dir, 'none.json')]);
    expect(unreadable.code).not.toBe(0);
    expect(unreadable.stderr).toContain('none.json');
  });

  it('names the missing database and a bad --fail-on or --format in one line', async () => {
    const missing = await image(['scan', `oci:${images.pause.layout}`, '--db', join(dir, 'none.db')]);
    expect([missing.code, missing.stderr]).toEqual([3, `runwarden: error: No vulnerability database at "${join(dir, 'none.db')}". Hint: Run "runwarden db update" (or "runwarden db import <path|url>"), or pass --db PATH.\n`]);
    const failOn = await image(['scan', `oci:${images.pause.layout}`, '--db', db, '--fail-on', 'hgh']);
    expect([failOn.code, failOn.stderr]).toEqual([2, 'runwarden: error: Unknown --fail-on "hgh": expected one of critical, high, medium, low, info, unknown, none. Did you mean "high"?\n']);
    const format = await image(['scan', `oci:${images.pause.layout}`, '--db', db, '-f', 'spdx']);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/^runwarden: error: Unknown --format "spdx": expected one of table, json, sarif, cyclonedx/);
  });

  describe.skipIf(skip !== undefined)('from a registry and containerd', () => {
    let registry: Registry;
    let containerd: Containerd;
    beforeAll(async () => {
      registry = await startRegistry({ auth: 'basic' });
      containerd = await startContainerd({ snapshotter: 'native' });
      await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `docker://${registry.host}/rw/debian-app:1`, ['--dest-tls-verify=false', `--dest-creds=${REGISTRY_USER}:${REGISTRY_PASSWORD}`]);
      await writeFile(join(dir, 'docker-config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64') } } }));
      await containerd.importImage(images['alpine-app'].layoutTar);
    });
    afterAll(async () => {
      await registry?.stop();
      await containerd?.stop();
    });

    it('scans an image in a registry with basic auth, reading the layers from the cache the second time', async () => {
      const args = ['scan', `${registry.host}/rw/debian-app:1`, '--insecure-registry', registry.host, '--docker-config', join(dir, 'docker-config.json'), '--db', db, '-f', 'json', ...NOW];
      const first = await image(args);
      expect(first.stderr).toBe('');
      const report = JSON.parse(first.stdout) as { source: unknown; findings: Array<{ subject: unknown; evidence: { vulnerability: string; layer: { digest: string } } }> };
      expect(report.source).toEqual({ type: 'image', location: `${registry.host}/rw/debian-app:1` });
      expect(report.findings.filter((f) => f.evidence.vulnerability !== undefined).map((f) => [f.subject, f.evidence.vulnerability, f.evidence.layer.digest])).toEqual([
        [{ type: 'image', image: `${registry.host}/rw/debian-app:1` }, 'CVE-2021-23337', images['debian-app'].layers[1]!.digest],
        [{ type: 'image', image: `${registry.host}/rw/debian-app:1` }, 'CVE-2023-32681', images['debian-app'].layers[1]!.digest],
      ]);
      // the layer cache lives in the same database: the second scan reads no blob and says the same
      const { LayerCache } = await import('../../image/analysis/cache.js');
      const cache = LayerCache.open(db);
      expect(cache.stats().layers).toBeGreaterThanOrEqual(2);
      cache.close();
      expect((await image(args)).stdout).toBe(first.stdout);
    });

    it('uses an SBOM attached to the image with --trust-attached-sbom instead of cataloging it', async () => {
      const { RegistryClient } = await import('../../registry/client.js');
      const { staticCredentials } = await import('../../registry/credentials.js');
      const { attachSbom } = await import('../../sbom/attached.js');
      const client = new RegistryClient({ hosts: { insecure: [registry.host] }, credentials: staticCredentials({ [registry.host]: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } }) });
      const sbom = Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library', name: 'minimist', purl: 'pkg:npm/minimist@1.2.5' }] }));
      await attachSbom(client, { registry: registry.host, repository: 'rw/debian-app' }, images['debian-app'].manifestDigest, sbom, 'application/vnd.cyclonedx+json', { created: '2026-11-01T00:00:00Z' });
      const run = await image(['scan', `${registry.host}/rw/debian-app:1`, '--insecure-registry', registry.host, '--docker-config', join(dir, 'docker-config.json'), '--db', db, '--trust-attached-sbom', '--no-layer-cache', ...NOW]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(new RegExp(`^Packages  1 \\(npm 1\\), from ${registry.host.replace(/\./g, '\\.')}/rw/debian-app@sha256:[a-f0-9]{64} \\(application/vnd\\.cyclonedx\\+json referrer of ${images['debian-app'].manifestDigest}, via tag-schema\\)$`, 'm'));
      expect(run.stdout).toContain('CVE-2021-44906: Prototype Pollution in minimist (minimist 1.2.5)');
      expect(run.stdout).not.toContain('lodash');
    });

    it('scans an image in the node\'s containerd', async () => {
      const run = await image(['scan', 'containerd:localhost/rw/alpine-app:1', '--containerd-address', containerd.address, '--db', db, ...NOW]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('Image     localhost/rw/alpine-app:1  (containerd)\n');
      expect(run.stdout).toContain('OS        alpine 3.18.0\n');
      expect(run.stdout).toContain('Packages  3 (Alpine 3)\n');
      expect(run.stdout).not.toContain('vulnerable-package');
      expect(run.stdout).toMatch(/end-of-life +Alpine Linux 3\.18/);
    });
  });
});
