import { describe, expect, it } from 'vitest';
import { packageReleaseKey } from '../../vulndb/store/keys.js';
import { detectOsFromFiles, parseOsRelease, parseRedhatRelease } from './index.js';

describe('OS detection', () => {
  it('os-release: quoting, comments, ID_LIKE, codename; the release key the matcher uses', () => {
    const got = detectOsFromFiles([{ path: 'etc/os-release', content: '# comment\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\nPRETTY_NAME="Ubuntu 22.04.3 LTS"\n' }]);
    expect(got).toEqual({ os: { id: 'ubuntu', idLike: ['debian'], release: '22.04', codename: 'jammy', prettyName: 'Ubuntu 22.04.3 LTS', from: ['etc/os-release'] }, issues: [] });
    expect(packageReleaseKey('Ubuntu', got.os?.release ?? '', got.os?.codename)).toBe('22.04');
  });

  it('/etc/os-release wins over /usr/lib/os-release; release files fill what is missing (Debian testing)', () => {
    const got = detectOsFromFiles([
      { path: 'etc/os-release', content: 'ID=debian\nVERSION_CODENAME=trixie\n' },
      { path: 'usr/lib/os-release', content: 'ID=ubuntu\nVERSION_ID=20.04\n' },
      { path: 'etc/debian_version', content: 'trixie/sid\n' },
    ]);
    expect(got.os).toMatchObject({ id: 'debian', release: '', codename: 'trixie' });
    expect(got.issues).toEqual([]);
    expect(packageReleaseKey('Debian', got.os?.release ?? '', got.os?.codename)).toBe('13');
  });

  it('without os-release: alpine-release, redhat-release, debian_version', () => {
    expect(detectOsFromFiles([{ path: 'etc/alpine-release', content: '3.19.1\n' }]).os).toMatchObject({ id: 'alpine', release: '3.19.1', from: ['etc/alpine-release'] });
    expect(detectOsFromFiles([{ path: 'etc/debian_version', content: '12.5\n' }]).os).toMatchObject({ id: 'debian', release: '12.5' });
    expect(detectOsFromFiles([{ path: 'etc/redhat-release', content: 'Red Hat Enterprise Linux release 9.2 (Plow)\n' }]).os).toMatchObject({ id: 'rhel', release: '9.2', codename: 'Plow' });
    expect(parseRedhatRelease('CentOS Linux release 7.9.2009 (Core)')).toEqual({ id: 'centos', name: 'CentOS Linux', versionId: '7.9.2009', codename: 'Core' });
  });

  it('distroless os-release without a codename still gives the release', () => {
    expect(parseOsRelease('PRETTY_NAME="Distroless"\nID="debian"\nVERSION_ID="12"\n').value).toEqual({ id: 'debian', versionId: '12', prettyName: 'Distroless' });
  });

  it('bad input: empty files, syntax errors, binary data, unknown formats', () => {
    expect(detectOsFromFiles([])).toEqual({ os: undefined, issues: [] });
    expect(detectOsFromFiles([{ path: 'etc/os-release', content: '' }]).issues).toEqual([{ code: 'os-unknown', message: 'No distribution ID in "etc/os-release"', hint: 'OS packages are still listed, but distro advisories cannot be matched without the release.' }]);
    const syntax = detectOsFromFiles([{ path: 'etc/os-release', content: 'ID=alpine\nthis is not a field\nVERSION_ID=3.18.4\n' }]);
    expect(syntax.os).toMatchObject({ id: 'alpine', release: '3.18.4' });
    expect(syntax.issues).toEqual([{ code: 'os-release-syntax', message: '"etc/os-release" line 2 is not KEY=value; ignored', location: 'etc/os-release', hint: 'os-release(5): one KEY=value per line.' }]);
    expect(detectOsFromFiles([{ path: 'etc/os-release', content: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]) }]).issues[0]?.message).toBe('"etc/os-release" holds binary data, not a release file; OS not read from it');
    expect(detectOsFromFiles([{ path: 'etc/alpine-release', content: 'banana\n' }]).issues[0]?.message).toBe('"etc/alpine-release" says "banana", expected a version like 3.18.4');
    expect(detectOsFromFiles([{ path: 'etc/redhat-release', content: 'hello\n' }]).issues[0]?.message).toBe('"etc/redhat-release" says "hello", expected "<name> release <version> (<codename>)"');
    expect(detectOsFromFiles([{ path: 'etc/os-release', content: 'ID=debian\n' }]).issues).toEqual([{ code: 'os-no-release', message: 'debian: no VERSION_ID or codename in etc/os-release', location: 'etc/os-release', hint: 'Distro advisories are per release; packages of this image cannot be matched to them.' }]);
  });
});
