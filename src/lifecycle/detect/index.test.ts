import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectOsFromFiles } from '../../catalog/os/index.js';
import { parseImageReference } from '../../core/image-ref.js';
import type { Package } from '../../core/package.js';
import type { LifecycleData } from '../data/schema.js';
import { loadLifecycle } from '../data/store.js';
import { detectProducts } from './index.js';
import { purlImageName, tagVersion } from './reference.js';
import { purlIdentity } from './packages.js';
import { upstreamVersion } from './common.js';

let data: LifecycleData;
beforeAll(async () => {
  data = (await loadLifecycle(undefined)).data;
});

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'testdata', 'os-release');

function osOf(name: string): NonNullable<ReturnType<typeof detectOsFromFiles>['os']> {
  const d = detectOsFromFiles([{ path: 'etc/os-release', content: readFileSync(join(fixtures, name)) }]);
  if (d.os === undefined) throw new Error(`no OS in ${name}`);
  return d.os;
}

describe('OS detection from os-release files of real distributions', () => {
  it.each([
    ['debian-11', 'debian', '11'],
    ['debian-12', 'debian', '12'],
    ['ubuntu-22.04', 'ubuntu', '22.04'],
    ['ubuntu-24.04', 'ubuntu', '24.04'],
    ['alpine-3.18', 'alpine-linux', '3.18'],
    ['alpine-3.19', 'alpine-linux', '3.19'],
    ['alpine-3.20', 'alpine-linux', '3.20'],
    ['ubi-9', 'rhel', '9'],
  ])('%s is %s cycle %s, detected from os-release', (file, product, cycle) => {
    const r = detectProducts({ reference: undefined, os: osOf(file) }, data);
    expect(r.issues).toEqual([]);
    expect(r.detections.map((d) => [d.product, d.cycle?.cycle, d.how[0]?.method])).toEqual([[product, cycle, 'os-release']]);
  });

  it('says how: the file and the fields read', () => {
    const r = detectProducts({ reference: undefined, os: osOf('debian-12') }, data);
    expect(r.detections[0]?.how).toEqual([{ method: 'os-release', evidence: 'etc/os-release ID=debian VERSION_ID=12 (bookworm)' }]);
  });

  it.each([
    ['azurelinux-3.0', 'Azure Linux 3.0'],
    ['mariner-2.0', 'CBL-Mariner 2.0'],
  ])('reports %s as not tracked instead of guessing', (file, name) => {
    const r = detectProducts({ reference: undefined, os: osOf(file) }, data);
    expect(r.detections).toEqual([]);
    expect(r.issues.map((i) => [i.code, i.message])).toEqual([['lifecycle-os-untracked', `${name}: endoflife.date has no lifecycle data for this distribution; its end of life is not checked`]]);
  });

  it('reports an os-release ID named like an Object property as not tracked (a plain lookup took Object\'s constructor for a product)', () => {
    for (const id of ['constructor', '__proto__']) {
      const d = detectOsFromFiles([{ path: 'etc/os-release', content: Buffer.from(`ID=${id}\nVERSION_ID=1\n`) }]);
      const r = detectProducts({ reference: undefined, os: d.os }, data);
      expect(r.detections).toEqual([]);
      expect(r.issues.map((i) => [i.code, i.message])).toEqual([['lifecycle-os-untracked', `${id} 1: endoflife.date has no lifecycle data for this distribution; its end of life is not checked`]]);
    }
  });
});

describe('detection from the image reference (endoflife.date pkg:docker identifiers)', () => {
  const detect = (image: string): Array<[string, string | undefined]> => detectProducts({ reference: parseImageReference(image) }, data).detections.map((d) => [d.product, d.cycle?.cycle]);

  it.each([
    ['node:16-alpine', 'nodejs', '16'],
    ['node:22.11.0-bookworm-slim', 'nodejs', '22'],
    ['python:3.12-slim-bookworm', 'python', '3.12'],
    ['golang:1.21.5', 'go', '1.21'],
    ['postgres:13.4', 'postgresql', '13'],
    ['redis:7.2-alpine', 'redis', '7.2'],
    ['amazonlinux:2', 'amazon-linux', '2'],
    ['bitnami/redis:7.4.1', 'redis', '7.4'],
    ['nginx:1.25.3-alpine3.19', 'nginx', '1.25'],
    ['debian:bookworm-slim', 'debian', '12'],
    ['ubuntu:22.04', 'ubuntu', '22.04'],
    ['mcr.microsoft.com/dotnet/aspnet:6.0', 'dotnet', '6'],
  ])('%s → %s %s', (image, product, cycle) => {
    expect(detect(image)).toEqual([[product, cycle]]);
  });

  it('detects nothing from tags without a version or for unknown images', () => {
    expect(detect('node:lts-alpine')).toEqual([]);
    expect(detect('node:latest')).toEqual([]);
    expect(detect('nginx:mainline')).toEqual([]);
    expect(detect('ghcr.io/acme/shop:1.2.3')).toEqual([]);
    expect(detect('node@sha256:' + 'a'.repeat(64))).toEqual([]);
  });

  it('reports a version that no cycle covers', () => {
    const r = detectProducts({ reference: parseImageReference('node:99-alpine') }, data);
    expect(r.detections.map((d) => [d.product, d.cycle])).toEqual([['nodejs', undefined]]);
    expect(r.issues.map((i) => i.code)).toEqual(['lifecycle-no-cycle']);
  });

  it('maps purls to image names', () => {
    expect(purlImageName('pkg:docker/library/node')).toBe('docker.io/library/node');
    expect(purlImageName('pkg:docker/bitnami/redis')).toBe('docker.io/bitnami/redis');
    expect(purlImageName('pkg:oci/oraclelinux?repository_url=ghcr.io/oracle')).toBe('ghcr.io/oracle/oraclelinux');
    expect(purlImageName('pkg:oci/etcd?repository_url=gcr.io/etcd-development')).toBe('gcr.io/etcd-development/etcd');
    expect(purlImageName('pkg:deb/debian/nginx')).toBeUndefined();
  });

  it.each([['16-alpine', '16'], ['v1.31.2', '1.31.2'], ['bookworm-slim', 'bookworm'], ['3.12-slim-bookworm', '3.12'], ['latest', undefined], ['alpine', undefined], ['lts', undefined]])('tag %s starts with version %s', (tag, v) => {
    expect(tagVersion(tag)).toBe(v);
  });
});

describe('detection from packages and the config environment', () => {
  const pkg = (purl: string, version: string, name = purl.split('/').pop()?.split('@')[0] ?? ''): Package => ({ ecosystem: 'x', name, version, purl, locations: [{ path: 'var/lib/dpkg/status' }] });

  it('finds runtimes and servers by their purl identities', () => {
    const r = detectProducts({
      reference: undefined,
      packages: [
        pkg('pkg:deb/debian/nginx@1.22.1-9?arch=amd64&distro=debian-12', '1.22.1-9'),
        pkg('pkg:deb/debian/python3.11@3.11.2-6?arch=amd64', '3.11.2-6'),
        pkg('pkg:golang/stdlib@v1.21.5', 'v1.21.5', 'stdlib'),
        pkg('pkg:nuget/Microsoft.NETCore.App@6.0.25', '6.0.25', 'Microsoft.NETCore.App'),
        pkg('pkg:apk/alpine/nodejs@18.20.1-r0?arch=x86_64', '18.20.1-r0'),
        pkg('pkg:deb/debian/libc6@2.36-9', '2.36-9'),
      ],
    }, data);
    expect(r.issues).toEqual([]);
    expect(r.detections.map((d) => [d.product, d.cycle?.cycle, d.how[0]?.evidence])).toEqual([
      ['nginx', '1.22', 'distribution package nginx@1.22.1-9 (var/lib/dpkg/status)'],
      ['python', '3.11', 'distribution package python3.11@3.11.2-6 (var/lib/dpkg/status)'],
      ['go', '1.21', 'package stdlib@v1.21.5 (var/lib/dpkg/status)'],
      ['dotnet', '6', 'package Microsoft.NETCore.App@6.0.25 (var/lib/dpkg/status)'],
      ['nodejs', '18', 'distribution package nodejs@18.20.1-r0 (var/lib/dpkg/status)'],
    ]);
  });

  it('finds runtimes installed by official images from their env variables', () => {
    const r = detectProducts({ reference: undefined, env: ['PATH=/usr/local/bin', 'NODE_VERSION=16.20.2', 'YARN_VERSION=1.22.19', 'JAVA_VERSION=jdk-17.0.9+9', 'PG_MAJOR=13', 'PG_VERSION=13.13-1.pgdg120+1', 'PYTHON_VERSION=3.13.0rc2'] }, data);
    expect(r.detections.map((d) => [d.product, d.cycle?.cycle, d.how[0]?.evidence])).toEqual([
      ['nodejs', '16', 'config env NODE_VERSION=16.20.2'],
      ['python', '3.13', 'config env PYTHON_VERSION=3.13.0rc2'],
      ['eclipse-temurin', '17', 'config env JAVA_VERSION=jdk-17.0.9+9'],
      ['postgresql', '13', 'config env PG_VERSION=13.13-1.pgdg120+1'],
    ]);
  });

  it('merges one product and cycle found several ways, listing each way', () => {
    const r = detectProducts({ reference: parseImageReference('node:16-alpine'), env: ['NODE_VERSION=16.20.2'], os: osOf('alpine-3.18') }, data);
    expect(r.detections.map((d) => [d.product, d.cycle?.cycle, d.how.map((h) => h.method)])).toEqual([
      ['alpine-linux', '3.18', ['os-release']],
      ['nodejs', '16', ['env', 'image-reference']],
    ]);
  });

  it('reads upstream versions and purl identities', () => {
    expect(['1:1.22.1-9+deb12u1', '3.11.6-r0', '2.36-9', '1.0'].map(upstreamVersion)).toEqual(['1.22.1', '3.11.6', '2.36', '1.0']);
    expect(purlIdentity('pkg:deb/debian/nginx@1.22.1-9?arch=amd64')).toBe('pkg:deb/debian/nginx');
    expect(purlIdentity('pkg:nuget/Microsoft.NETCore.App@6.0.25')).toBe('pkg:nuget/Microsoft.NETCore.App');
    expect(purlIdentity('not a purl')).toBeUndefined();
  });
});
