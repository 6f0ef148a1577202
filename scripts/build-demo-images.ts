/**
 * Builds the demo's running images as ONE OCI image layout under demo/images/ (committed; `npm start`
 * catalogs them offline with `scan --demo`, which reads them as `--image-dir demo/images`). Called by
 * scripts/generate-demo.ts, which writes the returned digests into the pods' `imageID`s so every
 * running container resolves to one of these images.
 *
 * Same offline technique as test/images.ts: tar-stream + gzip with fixed mtimes, no registry, no
 * daemon — byte-identical across runs on one Node/zlib version. The images hold no binaries, only
 * what the catalogers read: os-release, a dpkg status (or distroless status.d) or an apk installed DB,
 * node_modules package.json files and Python dist-info METADATA, with versions as the real images of
 * that era shipped them. Layers are shared the way real bases share them (one Debian 12 base layer for
 * several images), so the whole layout stays around 60 KB. Multi-platform images (Docker Hub's
 * official images) are indexes with an amd64 and an arm64 manifest, as registries serve them; the pods
 * report the index digest, as the kubelet does.
 *
 * Lifecycle cases: CBL-Mariner's busybox carries a vendor lifecycle referrer (artifact type
 * `application/vnd.microsoft.artifact.lifecycle`, as MCR attaches them per Microsoft's CSSC guidance)
 * stored the way `oras attach --oci-layout` stores it — a manifest in index.json whose `subject` is the
 * image — and the layout also holds a newer Prometheus release than the one running (v2.55.1, run by
 * no pod), so freshness finds a newer tag offline, and storefront-web 2.4.3 (run by no pod either), the
 * patch release with 2.4.1's npm advisories fixed, which `runwarden fix --demo` scans and proposes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EICAR } from '../src/malware/eicar.js';
import { layerOf, type BuiltLayer, type LayerEntry } from '../test/images.js';

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const CREATED = '2026-09-14T10:00:00Z';

// ---------------------------------------------------------------------------------------------
// Package databases

/** A dpkg status stanza: [name, version, source?, arch?]. `source` with a version in parentheses for binNMUs. */
type Deb = [string, string, string?, string?];
function dpkgStanza([name, version, source, arch]: Deb): string {
  return [`Package: ${name}`, 'Status: install ok installed', 'Priority: optional', `Architecture: ${arch ?? 'amd64'}`, ...(source === undefined ? [] : [`Source: ${source}`]), `Version: ${version}`, `Description: ${name}`, ''].join('\n');
}
const dpkgStatus = (debs: Deb[]): string => `${debs.map(dpkgStanza).join('\n')}\n`;

/** An apk installed-DB entry: [name, version, origin, licence]. */
type Apk = [string, string, string, string];
function apkEntry([name, version, origin, license]: Apk): string {
  const checksum = createHash('sha1').update(`${name}-${version}`).digest('base64');
  return [`C:Q1${checksum}`, `P:${name}`, `V:${version}`, 'A:x86_64', `L:${license}`, `o:${origin}`, ''].join('\n');
}
const apkInstalled = (apks: Apk[]): string => `${apks.map(apkEntry).join('\n')}\n`;

const dirsOf = (paths: string[]): LayerEntry[] => {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(`${parts.slice(0, i).join('/')}/`);
  }
  return [...dirs].map((path) => ({ path }));
};
function files(map: Record<string, string>): LayerEntry[] {
  const paths = Object.keys(map);
  return [...dirsOf(paths), ...paths.map((path) => ({ path, content: map[path] }))].sort((a, b) => a.path.localeCompare(b.path));
}

const osRelease = (prettyName: string, id: string, versionId: string, codename?: string): string =>
  `PRETTY_NAME="${prettyName}"\nNAME="${prettyName.replace(/ \d.*$/, '')}"\nVERSION_ID="${versionId}"\n${codename === undefined ? '' : `VERSION_CODENAME=${codename}\n`}ID=${id}\n`;
const DEBIAN_12 = osRelease('Debian GNU/Linux 12 (bookworm)', 'debian', '12', 'bookworm');

const npm = (modules: Array<[string, string, string?]>, root = 'app'): Record<string, string> =>
  Object.fromEntries(modules.map(([name, version, license]) => [`${root}/node_modules/${name}/package.json`, `${JSON.stringify({ name, version, license: license ?? 'MIT' }, null, 2)}\n`]));
const python = (sitePackages: string, dists: Array<[string, string, string]>): Record<string, string> =>
  Object.fromEntries(dists.map(([name, version, license]) => [`${sitePackages}/${name}-${version}.dist-info/METADATA`, `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nLicense: ${license}\n`]));

// Debian 12.7 (bookworm-slim) base, as of September 2024.
const DEBIAN_BASE: Deb[] = [
  ['base-files', '12.4+deb12u7'],
  ['bash', '5.2.15-2+b7', 'bash (5.2.15-2)'],
  ['ca-certificates', '20230311', undefined, 'all'],
  ['coreutils', '9.1-1'],
  ['debian-archive-keyring', '2023.3+deb12u1', undefined, 'all'],
  ['libc6', '2.36-9+deb12u8', 'glibc'],
  ['libgcc-s1', '12.2.0-14', 'gcc-12'],
  ['libssl3', '3.0.14-1~deb12u2', 'openssl'],
  ['libstdc++6', '12.2.0-14', 'gcc-12'],
  ['libsystemd0', '252.30-1~deb12u2', 'systemd'],
  ['libzstd1', '1.5.4+dfsg2-5', 'libzstd'],
  ['tzdata', '2024a-0+deb12u1', undefined, 'all'],
  ['zlib1g', '1:1.2.13.dfsg-1', 'zlib'],
];

// Alpine 3.20.3 base.
const ALPINE_320: Apk[] = [
  ['alpine-baselayout', '3.6.5-r0', 'alpine-baselayout', 'GPL-2.0-only'],
  ['apk-tools', '2.14.4-r0', 'apk-tools', 'GPL-2.0-only'],
  ['busybox', '1.36.1-r29', 'busybox', 'GPL-2.0-only'],
  ['ca-certificates-bundle', '20240705-r0', 'ca-certificates', 'MPL-2.0 AND MIT'],
  ['libcrypto3', '3.3.2-r0', 'openssl', 'Apache-2.0'],
  ['libssl3', '3.3.2-r0', 'openssl', 'Apache-2.0'],
  ['musl', '1.2.5-r0', 'musl', 'MIT'],
  ['zlib', '1.3.1-r1', 'zlib', 'Zlib'],
];
const ALPINE_320_RELEASE = osRelease('Alpine Linux v3.20', 'alpine', '3.20.3');

// Alpine 3.11.3 (February 2020): the base of python:3.8-alpine3.11, long out of support.
const ALPINE_311: Apk[] = [
  ['alpine-baselayout', '3.2.0-r3', 'alpine-baselayout', 'GPL-2.0-only'],
  ['apk-tools', '2.10.4-r3', 'apk-tools', 'GPL2'],
  ['busybox', '1.31.1-r9', 'busybox', 'GPL-2.0'],
  ['ca-certificates', '20191127-r0', 'ca-certificates', 'MPL-2.0 GPL-2.0-or-later'],
  ['expat', '2.2.9-r1', 'expat', 'MIT'],
  ['libcrypto1.1', '1.1.1d-r2', 'openssl', 'OpenSSL'],
  ['libssl1.1', '1.1.1d-r2', 'openssl', 'OpenSSL'],
  ['musl', '1.1.24-r0', 'musl', 'MIT'],
  ['sqlite-libs', '3.30.1-r0', 'sqlite', 'Public-Domain'],
  ['zlib', '1.2.11-r3', 'zlib', 'Zlib'],
];

/** A distroless base: one status.d file per package (gcr.io/distroless/static and base, Debian 12). */
function distroless(debs: Deb[]): Record<string, string> {
  return { 'etc/os-release': DEBIAN_12, ...Object.fromEntries(debs.map((d) => [`var/lib/dpkg/status.d/${d[0]}`, dpkgStanza(d)])) };
}
const DISTROLESS_STATIC: Deb[] = [['base-files', '12.4+deb12u7'], ['netbase', '6.4', undefined, 'all'], ['tzdata', '2024a-0+deb12u1', undefined, 'all']];

// ---------------------------------------------------------------------------------------------
// The images

interface DemoImage {
  /** The reference pods use (with a digest variant key for images whose tag moved). */
  ref: string;
  variant?: string;
  /** Layers: shared bases by key, then the image's own. */
  layers: Array<{ key: string; createdBy: string } | { entries: LayerEntry[]; createdBy: string }>;
  cmd: string[];
  /** Also build an arm64 manifest and put both under an index (Docker Hub official images). */
  multiPlatform?: boolean;
  /** Attach a vendor lifecycle referrer: the end-of-life date and when the publisher attached it. */
  lifecycle?: { endOfLife: string; created: string };
}

const BASES: Record<string, () => LayerEntry[]> = {
  debian12: () => files({ 'etc/os-release': DEBIAN_12, 'etc/debian_version': '12.7\n', 'var/lib/dpkg/status': dpkgStatus(DEBIAN_BASE) }),
  alpine320: () => files({ 'etc/alpine-release': '3.20.3\n', 'etc/os-release': ALPINE_320_RELEASE, 'lib/apk/db/installed': apkInstalled(ALPINE_320) }),
  alpine311: () => files({ 'etc/alpine-release': '3.11.3\n', 'etc/os-release': osRelease('Alpine Linux v3.11', 'alpine', '3.11.3'), 'lib/apk/db/installed': apkInstalled(ALPINE_311) }),
  'distroless-static': () => files(distroless(DISTROLESS_STATIC)),
  busybox: () => files({ 'bin/.busybox-version': '1.36.1 (glibc)\n', 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' }),
};
const base = (key: keyof typeof BASES, createdBy: string): { key: string; createdBy: string } => ({ key, createdBy });
const own = (map: Record<string, string>, createdBy: string): { entries: LayerEntry[]; createdBy: string } => ({ entries: files(map), createdBy });

const EXPRESS_4_19: Array<[string, string, string?]> = [['express', '4.19.2'], ['path-to-regexp', '0.1.7'], ['body-parser', '1.20.2'], ['cookie', '0.6.0'], ['qs', '6.11.0', 'BSD-3-Clause']];
const EXPRESS_4_21: Array<[string, string, string?]> = [['express', '4.21.0'], ['path-to-regexp', '0.1.10'], ['body-parser', '1.20.3'], ['cookie', '0.6.0'], ['qs', '6.13.0', 'BSD-3-Clause']];

export const DEMO_IMAGES: DemoImage[] = [
  {
    ref: 'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.30.4',
    layers: [own(distroless([...DISTROLESS_STATIC, ['libc6', '2.36-9+deb12u8', 'glibc'], ['iptables', '1.8.9-2'], ['libmnl0', '1.0.4-3', 'libmnl'], ['libnftnl11', '1.2.4-2', 'libnftnl'], ['libxtables12', '1.8.9-2', 'iptables'], ['conntrack', '1:1.4.7-1+b2', 'conntrack-tools (1:1.4.7-1)']]), 'COPY distroless-iptables rootfs')],
    cmd: ['/usr/local/bin/kube-proxy'],
  },
  { ref: 'mcr.microsoft.com/oss/kubernetes/coredns:v1.11.3-1', layers: [base('distroless-static', 'COPY distroless/static rootfs'), own({ 'etc/coredns/Corefile': '.:53 {\n    forward . /etc/resolv.conf\n}\n' }, 'COPY Corefile /etc/coredns/')], cmd: ['/coredns'] },
  { ref: 'mcr.microsoft.com/oss/kubernetes/metrics-server:v0.7.2', layers: [base('distroless-static', 'COPY distroless/static rootfs')], cmd: ['/metrics-server'] },
  {
    ref: 'registry.k8s.io/ingress-nginx/controller:v1.11.2',
    layers: [base('alpine320', 'ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /'), own({ 'lib/apk/db/installed': apkInstalled([...ALPINE_320, ['pcre', '8.45-r3', 'pcre', 'BSD-3-Clause'], ['libcurl', '8.9.1-r1', 'curl', 'curl'], ['yajl', '2.1.0-r9', 'yajl', 'ISC'], ['lua5.1-libs', '5.1.5-r13', 'lua5.1', 'MIT']]), 'etc/nginx/nginx.conf': 'events {}\n' }, 'RUN apk add --no-cache pcre libcurl yajl lua5.1-libs && build nginx')],
    cmd: ['/nginx-ingress-controller'],
  },
  {
    ref: 'ghcr.io/acme/storefront-web:2.4.1',
    layers: [
      base('debian12', 'ADD rootfs.tar.xz / # debian:bookworm-slim'),
      own({ 'app/package.json': '{\n  "name": "storefront-web",\n  "version": "2.4.1",\n  "private": true\n}\n', ...npm([...EXPRESS_4_19, ['lodash', '4.17.15'], ['ws', '8.17.0'], ['semver', '7.5.1', 'ISC'], ['minimist', '1.2.5']]) }, 'RUN npm ci --omit=dev # buildkit'),
    ],
    cmd: ['node', '/app/server.js'],
  },
  // The patch release that fixes 2.4.1's npm advisories, run by no pod: `runwarden fix --demo` finds and scans it.
  {
    ref: 'ghcr.io/acme/storefront-web:2.4.3',
    layers: [
      base('debian12', 'ADD rootfs.tar.xz / # debian:bookworm-slim'),
      own({ 'app/package.json': '{\n  "name": "storefront-web",\n  "version": "2.4.3",\n  "private": true\n}\n', ...npm([...EXPRESS_4_21, ['lodash', '4.17.21'], ['ws', '8.17.1'], ['semver', '7.5.2', 'ISC'], ['minimist', '1.2.6']]) }, 'RUN npm ci --omit=dev # buildkit'),
    ],
    cmd: ['node', '/app/server.js'],
  },
  {
    ref: 'ghcr.io/acme/cart:latest',
    layers: [base('debian12', 'ADD rootfs.tar.xz / # debian:bookworm-slim'), own({ 'app/package.json': '{\n  "name": "cart",\n  "version": "3.2.0",\n  "private": true\n}\n', ...npm([...EXPRESS_4_21, ['lodash', '4.17.21'], ['semver', '7.6.3', 'ISC']]) }, 'RUN npm ci --omit=dev # buildkit')],
    cmd: ['node', '/app/index.js'],
  },
  {
    // last week's build, still running on one replica after the tag moved
    ref: 'ghcr.io/acme/cart:latest',
    variant: 'previous',
    layers: [base('debian12', 'ADD rootfs.tar.xz / # debian:bookworm-slim'), own({ 'app/package.json': '{\n  "name": "cart",\n  "version": "3.1.4",\n  "private": true\n}\n', ...npm([...EXPRESS_4_19, ['lodash', '4.17.20'], ['semver', '7.5.1', 'ISC']]) }, 'RUN npm ci --omit=dev # buildkit')],
    cmd: ['node', '/app/index.js'],
  },
  {
    ref: 'registry.acme.io/payments/api:1.8.0',
    layers: [
      base('debian12', 'ADD rootfs.tar.xz / # debian:bookworm-slim'),
      own(python('usr/local/lib/python3.12/site-packages', [['flask', '3.0.0', 'BSD-3-Clause'], ['werkzeug', '2.2.2', 'BSD-3-Clause'], ['jinja2', '3.1.4', 'BSD-3-Clause'], ['requests', '2.31.0', 'Apache-2.0'], ['urllib3', '1.26.17', 'MIT'], ['idna', '3.7', 'BSD-3-Clause']]), 'RUN pip install --no-cache-dir -r requirements.txt'),
    ],
    cmd: ['gunicorn', 'api:app'],
  },
  {
    ref: 'redis:7.2.5',
    layers: [base('debian12', 'ADD rootfs.tar.xz / # debian:bookworm-slim'), own({ 'usr/local/bin/.redis-version': '7.2.5\n' }, 'RUN build redis 7.2.5 from source')],
    cmd: ['redis-server'],
    multiPlatform: true,
  },
  {
    ref: 'postgres:16.4-bookworm',
    layers: [
      base('debian12', 'ADD rootfs.tar.xz / # debian:bookworm-slim'),
      own({ 'var/lib/dpkg/status': dpkgStatus([...DEBIAN_BASE, ['libpq5', '16.4-1.pgdg120+1', 'postgresql-16'], ['locales', '2.36-9+deb12u8', 'glibc', 'all'], ['postgresql-16', '16.4-1.pgdg120+1'], ['postgresql-common', '262.pgdg120+1', undefined, 'all']]) }, 'RUN apt-get install -y postgresql-16=16.4-1.pgdg120+1'),
    ],
    cmd: ['postgres'],
    multiPlatform: true,
  },
  { ref: 'quay.io/prometheus/node-exporter:v1.8.2', layers: [base('busybox', 'ADD busybox rootfs (quay.io/prometheus/busybox)')], cmd: ['/bin/node_exporter'] },
  { ref: 'quay.io/prometheus/prometheus:v2.54.1', layers: [base('busybox', 'ADD busybox rootfs (quay.io/prometheus/busybox)'), own({ 'etc/prometheus/prometheus.yml': 'global:\n  scrape_interval: 15s\n' }, 'COPY prometheus.yml /etc/prometheus/')], cmd: ['/bin/prometheus'] },
  // A newer minor release in the same repository, run by no pod: the running v2.54.1 has a newer tag.
  { ref: 'quay.io/prometheus/prometheus:v2.55.1', layers: [base('busybox', 'ADD busybox rootfs (quay.io/prometheus/busybox)'), own({ 'etc/prometheus/prometheus.yml': 'global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n' }, 'COPY prometheus.yml /etc/prometheus/')], cmd: ['/bin/prometheus'] },
  {
    ref: 'grafana/grafana:latest',
    layers: [base('alpine320', 'ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /'), own({ 'lib/apk/db/installed': apkInstalled([...ALPINE_320, ['bash', '5.2.26-r0', 'bash', 'GPL-3.0-or-later'], ['tzdata', '2024b-r0', 'tzdata', 'Public-Domain']]) }, 'RUN apk add --no-cache bash tzdata')],
    cmd: ['/run.sh'],
  },
  { ref: 'busybox:latest', layers: [base('busybox', 'ADD busybox rootfs')], cmd: ['sh'], multiPlatform: true },
  {
    ref: 'ghcr.io/acme/reports:1.2.0',
    layers: [
      base('alpine311', 'ADD alpine-minirootfs-3.11.3-x86_64.tar.gz /'),
      own(python('usr/local/lib/python3.8/site-packages', [['requests', '2.22.0', 'Apache 2.0'], ['urllib3', '1.25.7', 'MIT'], ['idna', '2.8', 'BSD-like'], ['certifi', '2019.11.28', 'MPL-2.0'], ['chardet', '3.0.4', 'LGPL'], ['Jinja2', '2.10.3', 'BSD-3-Clause'], ['MarkupSafe', '1.1.1', 'BSD-3-Clause'], ['PyYAML', '5.1.2', 'MIT']]), 'RUN pip install -r requirements.txt # python:3.8-alpine3.11'),
      // malware demo: the EICAR test file (harmless, the anti-malware test string) added by one build
      // step and deleted by the next — gone from the running filesystem, still in the image's layers
      own({ 'tmp/vendor-sdk/install.com': EICAR.toString('latin1') }, 'ADD https://vendor.example/sdk.tar /tmp/vendor-sdk/'),
      { entries: [{ path: 'tmp/' }, { path: 'tmp/vendor-sdk/' }, { path: 'tmp/vendor-sdk/.wh.install.com', content: '' }], createdBy: 'RUN rm /tmp/vendor-sdk/install.com' },
    ],
    cmd: ['python', '-m', 'reports'],
  },
  {
    ref: 'nicolaka/netshoot',
    layers: [base('alpine320', 'ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /'), own({ 'lib/apk/db/installed': apkInstalled([...ALPINE_320, ['bind-tools', '9.18.27-r0', 'bind', 'MPL-2.0'], ['curl', '8.9.1-r1', 'curl', 'curl'], ['iproute2', '6.9.0-r0', 'iproute2', 'GPL-2.0-or-later'], ['tcpdump', '4.99.4-r1', 'tcpdump', 'BSD-3-Clause']]) }, 'RUN apk add --no-cache bind-tools curl iproute2 tcpdump'),
      // malware demo: a coin-miner pool configuration left in the debug image, matched by the bundled
      // demo signature (demo/signatures/demo.ndb)
      own({ 'root/.config/xmrig/config.json': '{\n  "pools": [{ "url": "stratum+tcp://pool.example.net:3333", "user": "4A..." }],\n  "cpu": { "max-threads-hint": 100 }\n}\n' }, 'COPY .config /root/.config')],
    cmd: ['zsh'],
  },
  // CBL-Mariner 2.0 reached end of life in July 2025; its images say so in a lifecycle referrer.
  { ref: 'mcr.microsoft.com/cbl-mariner/busybox:2.0', layers: [base('busybox', 'ADD busybox rootfs')], cmd: ['sh'], lifecycle: { endOfLife: '2025-07-31', created: '2025-06-02T00:00:00Z' } },
  {
    ref: 'moby/buildkit:v0.16.0',
    layers: [base('alpine320', 'ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /'), own({ 'lib/apk/db/installed': apkInstalled([...ALPINE_320, ['git', '2.45.2-r0', 'git', 'GPL-2.0-or-later'], ['openssh-client-default', '9.7_p1-r4', 'openssh', 'SSH-OpenSSH'], ['pigz', '2.8-r0', 'pigz', 'Zlib']]) }, 'RUN apk add --no-cache git openssh-client pigz')],
    cmd: ['buildkitd'],
  },
];

/** `ref#variant` → the digest pods report in `imageID` (the index digest of a multi-platform image). */
export type DemoDigests = Map<string, string>;
export const demoImageKey = (ref: string, variant = ''): string => `${ref}#${variant}`;

/** Write demo/images (an OCI image layout holding every demo image) and return the digests. */
export async function buildDemoImages(outDir: string): Promise<DemoDigests> {
  rmSync(outDir, { recursive: true, force: true });
  const blobs = join(outDir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer): { digest: string; size: number } => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest.slice('sha256:'.length)), data);
    return { digest, size: data.length };
  };
  const bases = new Map<string, BuiltLayer>();
  const digests: DemoDigests = new Map();
  const index: Array<Record<string, unknown>> = [];
  for (const image of DEMO_IMAGES) {
    const layers: Array<{ layer: BuiltLayer; createdBy: string }> = [];
    for (const l of image.layers) {
      if ('key' in l) {
        let built = bases.get(l.key);
        if (built === undefined) {
          const make = BASES[l.key];
          if (make === undefined) throw new Error(`no base ${l.key}`);
          built = await layerOf(make());
          bases.set(l.key, built);
        }
        layers.push({ layer: built, createdBy: l.createdBy });
      } else {
        layers.push({ layer: await layerOf(l.entries), createdBy: l.createdBy });
      }
    }
    for (const { layer } of layers) put(layer.blob);
    const manifestFor = (architecture: string): { digest: string; size: number } => {
      const config = put(Buffer.from(JSON.stringify({
        architecture,
        ...(architecture === 'arm64' ? { variant: 'v8' } : {}),
        os: 'linux',
        created: CREATED,
        config: { Cmd: image.cmd, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Labels: { 'org.opencontainers.image.source': `https://${image.ref.split(':')[0] ?? ''}`, 'org.opencontainers.image.version': `${image.ref.split(':').pop() ?? ''}${image.variant === undefined ? '' : `-${image.variant}`}` } },
        history: layers.map((l) => ({ created: CREATED, created_by: l.createdBy })),
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.layer.diffId) },
      })));
      return put(Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.layer.digest, size: l.layer.size })),
      })));
    };
    const name = image.variant === undefined ? image.ref : `${image.ref}-${image.variant}`;
    const annotations = { 'org.opencontainers.image.ref.name': name, 'io.containerd.image.name': name };
    const amd64 = manifestFor('amd64');
    if (image.multiPlatform === true) {
      const arm64 = manifestFor('arm64');
      const idx = put(Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...arm64, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
        ],
      })));
      index.push({ mediaType: 'application/vnd.oci.image.index.v1+json', ...idx, annotations });
      digests.set(demoImageKey(image.ref, image.variant), idx.digest);
    } else {
      index.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...amd64, platform: { architecture: 'amd64', os: 'linux' }, annotations });
      digests.set(demoImageKey(image.ref, image.variant), amd64.digest);
    }
    if (image.lifecycle !== undefined) {
      // The referrer as `oras attach --artifact-type application/vnd.microsoft.artifact.lifecycle --annotation
      // vnd.microsoft.artifact.lifecycle.end-of-life.date=… --oci-layout` writes it: an empty-config artifact
      // manifest whose subject is the running manifest, listed in index.json without a ref name.
      const empty = put(Buffer.from('{}'));
      const emptyDescriptor = { mediaType: 'application/vnd.oci.empty.v1+json', ...empty };
      const subject = image.multiPlatform === true ? undefined : amd64;
      if (subject === undefined) throw new Error(`${image.ref}: lifecycle referrers are attached to single-platform demo images only`);
      const referrer = put(Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.microsoft.artifact.lifecycle',
        config: emptyDescriptor,
        layers: [emptyDescriptor],
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...subject },
        annotations: { 'vnd.microsoft.artifact.lifecycle.end-of-life.date': image.lifecycle.endOfLife, 'org.opencontainers.image.created': image.lifecycle.created },
      })));
      index.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...referrer, artifactType: 'application/vnd.microsoft.artifact.lifecycle' });
    }
  }
  writeFileSync(join(outDir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}\n');
  writeFileSync(join(outDir, 'index.json'), `${JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index }, null, 2)}\n`);
  return digests;
}
