import { describe, expect, it } from 'vitest';
import type { OsInfo } from './os/index.js';
import { packageFromPurl } from '../vulndb/inputs/purl.js';
import { toPackage } from './to-package.js';

const at = { index: 0, digest: 'sha256:aa' };
const os = (id: string, release: string, idLike: string[] = [], codename?: string): OsInfo => ({ id, release, idLike, from: ['etc/os-release'], ...(codename === undefined ? {} : { codename }) });

describe('toPackage', () => {
  it('rpm: epoch as a purl qualifier, version without it; distro from the OS', () => {
    const pkg = toPackage({ record: { name: 'vim', version: '2:9.0-1.el9', type: 'rpm', epoch: 2, arch: 'x86_64', qualifiers: { upstream: 'vim-9.0-1.el9.src.rpm' } }, path: 'var/lib/rpm/rpmdb.sqlite', layer: at }, 'rpm', os('rhel', '9.2', ['fedora']));
    expect(pkg).toMatchObject({ ecosystem: 'Red Hat', version: '2:9.0-1.el9', distro: { id: 'rhel', release: '9.2' }, purl: 'pkg:rpm/redhat/vim@9.0-1.el9?arch=x86_64&distro=rhel-9.2&epoch=2&upstream=vim-9.0-1.el9.src.rpm', locations: [{ layer: 'sha256:aa', path: '/var/lib/rpm/rpmdb.sqlite' }] });
    // the SBOM's purl gives back what matching reads: ecosystem, epoch version, distro, source package (sbom match)
    const back = packageFromPurl(pkg.purl ?? '');
    expect(back).toMatchObject({ ok: true, pkg: { ecosystem: 'Red Hat', version: '2:9.0-1.el9', distro: { id: 'rhel', release: '9.2' }, source: { name: 'vim', version: '2:9.0-1.el9' } } });
  });

  it('a distribution without an advisory source (Fedora): no distro, never a guessed one', () => {
    const pkg = toPackage({ record: { name: 'bash', version: '5.2-1.fc39', type: 'rpm' }, path: 'var/lib/rpm/rpmdb.sqlite', layer: at }, 'rpm', os('fedora', '39'));
    expect(pkg.distro).toBeUndefined();
    expect(pkg.purl).toBe('pkg:rpm/redhat/bash@5.2-1.fc39');
  });

  it('Debian testing (codename only) and a deb on a non-Debian OS', () => {
    expect(toPackage({ record: { name: 'bash', version: '5.2.21-2', type: 'deb' }, path: 'var/lib/dpkg/status', layer: at }, 'dpkg', os('debian', '', [], 'trixie')).distro).toEqual({ id: 'debian', release: 'trixie', codename: 'trixie' });
    expect(toPackage({ record: { name: 'x', version: '1', type: 'deb' }, path: 'var/lib/dpkg/status', layer: at }, 'dpkg', os('alpine', '3.19.1')).distro).toBeUndefined();
  });

  it('Ubuntu via ID_LIKE family: Ubuntu ecosystem and namespace', () => {
    expect(toPackage({ record: { name: 'libc6', version: '2.35-0ubuntu3.6', type: 'deb', arch: 'amd64' }, path: 'var/lib/dpkg/status', layer: at }, 'dpkg', os('ubuntu', '22.04', ['debian'], 'jammy'))).toMatchObject({ ecosystem: 'Ubuntu', purl: 'pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6?arch=amd64&distro=ubuntu-22.04' });
  });

  it('SUSE Linux Enterprise products (SLES for SAP, HPC, Desktop, SLE Micro): the SUSE ecosystem, their own id in the distro and purl', () => {
    for (const [id, release] of [['sles', '15.5'], ['sles_sap', '15.5'], ['sle_hpc', '15.5'], ['sled', '15.5'], ['sle-micro', '5.5'], ['sl-micro', '6.0']] as const) {
      const pkg = toPackage({ record: { name: 'libopenssl3', version: '3.0.8-150500.5.3.1', type: 'rpm', arch: 'x86_64' }, path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', layer: at }, 'rpm', os(id, release, ['suse']));
      expect(pkg, id).toMatchObject({ ecosystem: 'SUSE', distro: { id, release }, purl: `pkg:rpm/suse/libopenssl3@3.0.8-150500.5.3.1?arch=x86_64&distro=${id}-${release}` });
      expect(packageFromPurl(pkg.purl ?? ''), id).toMatchObject({ ok: true, pkg: { ecosystem: 'SUSE', distro: { id, release } } });
    }
  });

  it('an os-release ID that names an object property (`constructor`) is an unknown distribution, not a broken package', () => {
    const pkg = toPackage({ record: { name: 'bash', version: '5.2-1', type: 'rpm' }, path: 'var/lib/rpm/rpmdb.sqlite', layer: at }, 'rpm', os('constructor', '1', ['suse']));
    expect(pkg).toMatchObject({ ecosystem: 'Red Hat', purl: 'pkg:rpm/redhat/bash@5.2-1' });
    expect(pkg.distro).toBeUndefined();
  });

  it('inner locations (lock-file entries, nested archives) are joined with "!"', () => {
    expect(toPackage({ record: { name: 'a', version: '1.0.0', type: 'npm', ecosystem: 'npm', inner: 'node_modules/a' }, path: 'app/package-lock.json', layer: at }, 'npm', undefined).locations).toEqual([{ layer: 'sha256:aa', path: '/app/package-lock.json!node_modules/a' }]);
  });
});
