/**
 * Builds tiny, reproducible OCI test images offline (tar-stream + zlib, fixed mtimes), as OCI image
 * layouts and layout tarballs that `ctr images import` names `localhost/rw/<name>:1`.
 *
 *   pause       busybox only, CMD ["/bin/sleep","inf"]  (sandbox image for containerd tests)
 *   debian-app  busybox layer + Debian 12 os-release, dpkg status (5 packages), lodash, requests
 *   alpine-app  busybox layer + Alpine 3.18 os-release and apk db (3 packages)
 *
 * All three share the busybox layer blob. `buildImage` builds any other image from file maps, for
 * tests that need special layers (whiteouts, hostile paths, many tags).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

export interface LayerEntry {
  path: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: Buffer | string;
  linkname?: string;
  mode?: number;
}

export interface BuiltLayer {
  digest: string;
  diffId: string;
  size: number;
  blob: Buffer;
}

export interface BuiltImage {
  name: string;
  reference: string;
  layout: string;
  layoutTar: string;
  manifestDigest: string;
  configDigest: string;
  layers: BuiltLayer[];
}

const MTIME = new Date(0);
const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tar built in memory from entries, in the given order. */
export async function tarOf(entries: LayerEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? (e.content !== undefined ? 'file' : 'directory');
    const header: Partial<Header> & Pick<Header, 'name'> = { name: e.path, type, mtime: MTIME, uid: 0, gid: 0, uname: '', gname: '', mode: e.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644) };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (type === 'file') {
      const body = typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
      await new Promise<void>((resolve, reject) => p.entry({ ...header, size: body.length }, body, (err) => (err ? reject(err) : resolve())));
    } else {
      await new Promise<void>((resolve, reject) => p.entry(header, (err) => (err ? reject(err) : resolve())));
    }
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function layerOf(entries: LayerEntry[]): Promise<BuiltLayer> {
  const tar = await tarOf(entries);
  const blob = gzipSync(tar, { level: 9 });
  return { digest: sha256(blob), diffId: sha256(tar), size: blob.length, blob };
}

export function busyboxEntries(): LayerEntry[] {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (busybox === undefined) throw new Error('busybox-static is not installed (apt-get install busybox-static)');
  const entries: LayerEntry[] = ['bin/', 'dev/', 'etc/', 'proc/', 'root/', 'sys/', 'tmp/', 'var/', 'var/lib/'].map((path) => ({ path, type: 'directory' as const }));
  entries.splice(1, 0, { path: 'bin/busybox', content: readFileSync(busybox), mode: 0o755 });
  for (const applet of ['cat', 'echo', 'env', 'false', 'id', 'ls', 'ps', 'sh', 'sleep', 'true']) entries.splice(2, 0, { path: `bin/${applet}`, type: 'symlink', linkname: 'busybox' });
  entries.push({ path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' }, { path: 'etc/group', content: 'root:x:0:\n' });
  return entries.sort((a, b) => a.path.localeCompare(b.path));
}

export const DPKG_STATUS = `Package: base-files
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 341
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u1
Description: Debian base system miscellaneous files

Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6152
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.9-1
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit - shared libraries

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Provides: libz1
Depends: libc6 (>= 2.14)
Description: compression library - runtime

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12987
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u1
Description: GNU C Library: Shared libraries

Package: bash
Essential: yes
Status: install ok installed
Priority: required
Section: shells
Installed-Size: 7163
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b2
Description: GNU Bourne Again SHell

`;

export const APK_INSTALLED = `C:Q1abcdefabcdefabcdefabcdefabcdefabcd=
P:musl
V:1.2.4-r0
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
t:1683034327

C:Q1bcdefabcdefabcdefabcdefabcdefabcde=
P:libcrypto3
V:3.1.0-r4
A:x86_64
S:1709583
I:4231168
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
t:1683034327

C:Q1cdefabcdefabcdefabcdefabcdefabcdef=
P:zlib
V:1.2.13-r1
A:x86_64
S:53726
I:110592
T:A compression/decompression Library
U:https://zlib.net/
L:Zlib
o:zlib
t:1683034327

`;

export function debianEntries(): LayerEntry[] {
  return [
    { path: 'app/' },
    { path: 'app/node_modules/' },
    { path: 'app/node_modules/lodash/' },
    { path: 'app/node_modules/lodash/package.json', content: '{\n  "name": "lodash",\n  "version": "4.17.15",\n  "license": "MIT"\n}\n' },
    { path: 'app/package.json', content: '{\n  "name": "demo-app",\n  "version": "1.0.0",\n  "dependencies": {"lodash": "4.17.15"}\n}\n' },
    { path: 'etc/' },
    { path: 'etc/debian_version', content: '12.1\n' },
    { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    { path: 'usr/' },
    { path: 'usr/lib/' },
    { path: 'usr/lib/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n' },
    { path: 'usr/local/' },
    { path: 'usr/local/lib/' },
    { path: 'usr/local/lib/python3.11/' },
    { path: 'usr/local/lib/python3.11/site-packages/' },
    { path: 'usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/' },
    { path: 'usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\nLicense: Apache 2.0\n' },
    { path: 'var/' },
    { path: 'var/lib/' },
    { path: 'var/lib/dpkg/' },
    { path: 'var/lib/dpkg/status', content: DPKG_STATUS },
  ];
}

export function alpineEntries(): LayerEntry[] {
  return [
    { path: 'etc/' },
    { path: 'etc/alpine-release', content: '3.18.0\n' },
    { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.0\nPRETTY_NAME="Alpine Linux v3.18"\n' },
    { path: 'lib/' },
    { path: 'lib/apk/' },
    { path: 'lib/apk/db/' },
    { path: 'lib/apk/db/installed', content: APK_INSTALLED },
  ];
}

export interface ImageSpec {
  name: string;
  /** Full reference written into the layout's `io.containerd.image.name`; default `localhost/rw/<name>:1`. */
  reference?: string;
  layers: BuiltLayer[];
  cmd?: string[];
  labels?: Record<string, string>;
  architecture?: string;
}

/** An OCI image manifest's bytes: the config blob and the gzip layers. */
export function manifestOf(configDigest: string, configSize: number, layers: readonly BuiltLayer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: configSize },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    }),
  );
}

/** Write an OCI image layout (and a tar of it) for the given layers. Byte-identical across runs. */
export async function buildImage(outDir: string, spec: ImageSpec): Promise<BuiltImage> {
  const reference = spec.reference ?? `localhost/rw/${spec.name}:1`;
  const layout = join(outDir, 'oci', spec.name);
  const blobs = join(layout, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (data: Buffer): Promise<string> => {
    const digest = sha256(data);
    await writeFile(join(blobs, digest.slice('sha256:'.length)), data);
    return digest;
  };
  for (const l of spec.layers) await put(l.blob);
  const config = Buffer.from(
    JSON.stringify({
      architecture: spec.architecture ?? 'amd64',
      config: { Cmd: spec.cmd ?? ['/bin/sleep', 'inf'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Labels: { 'org.opencontainers.image.source': 'runwarden/test/images.ts', ...spec.labels }, WorkingDir: '/' },
      created: '1970-01-01T00:00:00Z',
      history: spec.layers.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: 'test/images.ts' })),
      os: 'linux',
      rootfs: { diff_ids: spec.layers.map((l) => l.diffId), type: 'layers' },
    }),
  );
  const configDigest = await put(config);
  const manifest = manifestOf(configDigest, config.length, spec.layers);
  const manifestDigest = await put(manifest);
  const tag = reference.slice(reference.lastIndexOf(':') + 1);
  await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, platform: { architecture: spec.architecture ?? 'amd64', os: 'linux' }, annotations: { 'org.opencontainers.image.ref.name': tag, 'io.containerd.image.name': reference } }],
    }),
  );
  // A plain tar of the layout: `ctr images import` keeps the io.containerd.image.name annotation.
  const files: LayerEntry[] = [
    { path: 'blobs/' },
    { path: 'blobs/sha256/' },
    ...[...new Set([...spec.layers.map((l) => l.digest), configDigest, manifestDigest])].sort().map((d) => ({ path: `blobs/sha256/${d.slice(7)}`, content: readFileSync(join(blobs, d.slice(7))) })),
    { path: 'index.json', content: readFileSync(join(layout, 'index.json')) },
    { path: 'oci-layout', content: readFileSync(join(layout, 'oci-layout')) },
  ];
  const layoutTar = join(outDir, `${spec.name}.layout.tar`);
  await writeFile(layoutTar, await tarOf(files));
  return { name: spec.name, reference, layout, layoutTar, manifestDigest, configDigest, layers: spec.layers };
}

/** The three standard test images; they share the busybox layer. */
export async function buildTestImages(outDir: string): Promise<Record<'pause' | 'debian-app' | 'alpine-app', BuiltImage>> {
  const busybox = await layerOf(busyboxEntries());
  return {
    pause: await buildImage(outDir, { name: 'pause', layers: [busybox] }),
    'debian-app': await buildImage(outDir, { name: 'debian-app', layers: [busybox, await layerOf(debianEntries())] }),
    'alpine-app': await buildImage(outDir, { name: 'alpine-app', layers: [busybox, await layerOf(alpineEntries())] }),
  };
}

// ---------------------------------------------------------------------------------------------
// Image-access helpers (issue 5): other compressions and skopeo copies.

/** A layer compressed with zstd (the real `zstd` CLI; package zstd) or left uncompressed. */
export async function layerWith(entries: LayerEntry[], compression: 'zstd' | 'none'): Promise<BuiltLayer> {
  const tar = await tarOf(entries);
  let blob = tar;
  if (compression === 'zstd') {
    const { execFileSync } = await import('node:child_process');
    blob = execFileSync('zstd', ['-q', '-c', '-19'], { input: tar, maxBuffer: 256 * 1024 * 1024 });
  }
  return { digest: sha256(blob), diffId: sha256(tar), size: blob.length, blob };
}

/** `skopeo --insecure-policy copy FROM TO` with plain-HTTP registries allowed (`--dest-tls-verify=false`). */
export async function skopeoCopy(from: string, to: string, extra: string[] = []): Promise<void> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  await promisify(execFile)('skopeo', ['--insecure-policy', 'copy', '--quiet', ...extra, from, to], { maxBuffer: 64 * 1024 * 1024 });
}
