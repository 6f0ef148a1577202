import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSnapshotVersion } from './version.js';

async function snapshotWith(content: string | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rw-snapshot-version-'));
  if (content !== undefined) await writeFile(join(dir, 'version.json'), content);
  return dir;
}

// `kubectl version -o json` as kubectl 1.29 prints it against a v1.29.4 server.
const KUBECTL = JSON.stringify({
  clientVersion: { major: '1', minor: '29', gitVersion: 'v1.29.2', gitCommit: '4b8e819355d791d96b7e9d9efe4cbafae2311c88', gitTreeState: 'clean', buildDate: '2024-02-14T10:40:49Z', goVersion: 'go1.21.7', compiler: 'gc', platform: 'linux/amd64' },
  kustomizeVersion: 'v5.0.4-0.20230601165947-6ce0bf390ce3',
  serverVersion: { major: '1', minor: '29', gitVersion: 'v1.29.4', gitCommit: '55019c83b0fd51ef4ced8c29eec2c4847f896e74', gitTreeState: 'clean', buildDate: '2024-04-16T15:03:22Z', goVersion: 'go1.21.9', compiler: 'gc', platform: 'linux/amd64' },
});

describe('snapshot version.json (control-plane version)', () => {
  it('reads kubectl version -o json and GET /version output; a snapshot without one says nothing', async () => {
    expect(await readSnapshotVersion(await snapshotWith(KUBECTL), 'snap')).toEqual({ gitVersion: 'v1.29.4', location: 'snap/version.json' });
    expect(await readSnapshotVersion(await snapshotWith('{"major":"1","minor":"30+","gitVersion":"v1.30.4-eks-a737599"}'), 'snap')).toEqual({ gitVersion: 'v1.30.4-eks-a737599', location: 'snap/version.json' });
    expect(await readSnapshotVersion(await snapshotWith(undefined), 'snap')).toBeUndefined();
  });

  it('makes a bad file an issue, never a version', async () => {
    const clientOnly = await readSnapshotVersion(await snapshotWith(JSON.stringify({ clientVersion: { gitVersion: 'v1.29.2' } })), 'snap');
    expect(clientOnly?.gitVersion).toBeUndefined();
    expect(clientOnly?.issue?.message).toBe('snap/version.json: has a clientVersion but no serverVersion (kubectl could not reach the cluster when it was saved); control-plane end of life and kubelet skew are unknown');
    const broken = await readSnapshotVersion(await snapshotWith('{"gitVersion": '), 'snap');
    expect(broken?.issue?.code).toBe('snapshot-version-invalid');
    expect(broken?.issue?.message).toMatch(/^snap\/version\.json: not readable JSON \(/);
    const other = await readSnapshotVersion(await snapshotWith('{"gitVersion": "latest"}'), 'snap');
    expect(other?.issue?.message).toBe('snap/version.json: holds neither "gitVersion" (GET /version) nor "serverVersion.gitVersion" (kubectl version -o json); control-plane end of life and kubelet skew are unknown');
  });
});
