import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { chainCredentials, dockerConfigCredentials, hostOfKey, pullSecretCredentials, staticCredentials } from './credentials.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function configFile(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rw-dcfg-'));
  await writeFile(join(dir, 'config.json'), content);
  return dir;
}

function secret(name: string, config: object, type = 'kubernetes.io/dockerconfigjson'): object {
  const key = type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop' }, type, data: { [key]: b64(JSON.stringify(config)) } };
}

describe('docker config.json credentials', () => {
  it('reads auths by host, in every key form docker writes (scheme, path, Docker Hub aliases)', async () => {
    const dir = await configFile(JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:hubpass') }, 'registry.example.com:5000': { username: 'u', password: 'p' }, 'https://ghcr.io': { identitytoken: 'refresh-me' } } }));
    const { store, path } = await dockerConfigCredentials({ path: dir });
    expect(path).toBe(join(dir, 'config.json'));
    expect(await store.lookup('docker.io', 'library/nginx')).toEqual({ username: 'hub', password: 'hubpass', source: `docker config ${path}` });
    expect(await store.lookup('registry.example.com:5000', 'a')).toMatchObject({ username: 'u', password: 'p' });
    expect(await store.lookup('ghcr.io', 'a')).toMatchObject({ identityToken: 'refresh-me' });
    expect(await store.lookup('quay.io', 'a')).toBeUndefined();
    expect(hostOfKey('http://Registry.Example.com/v2/')).toBe('registry.example.com');
  });

  it('finds the file through DOCKER_CONFIG, and means "no credentials" when the default file is absent', async () => {
    const dir = await configFile(JSON.stringify({ auths: { 'r.example': { auth: b64('a:b') } } }));
    expect(await (await dockerConfigCredentials({ env: { DOCKER_CONFIG: dir } })).store.lookup('r.example', 'x')).toMatchObject({ username: 'a' });
    const none = await dockerConfigCredentials({ env: { HOME: await mkdtemp(join(tmpdir(), 'rw-home-')) } });
    expect(await none.store.lookup('r.example', 'x')).toBeUndefined();
  });

  it('throws ConfigError naming the file for a missing --docker-config, invalid JSON, or a wrong shape', async () => {
    await expect(dockerConfigCredentials({ path: '/nonexistent/rw/config.json' })).rejects.toThrow(ConfigError);
    await expect(dockerConfigCredentials({ path: '/nonexistent/rw/config.json' })).rejects.toThrow('Cannot read --docker-config "/nonexistent/rw/config.json": ENOENT');
    const bad = await configFile('{"auths": ');
    await expect(dockerConfigCredentials({ path: bad })).rejects.toThrow(new RegExp(`^Docker config "${join(bad, 'config.json')}" is not valid JSON`));
    const wrong = await configFile('{"auths": {"r": {"auth": 5}}}');
    await expect(dockerConfigCredentials({ path: wrong })).rejects.toThrow(`Docker config "${join(wrong, 'config.json')}" is invalid at auths.r.auth: Invalid input: expected string, received number`);
  });

  it('turns an "auth" that is not base64 user:password into an issue and keeps the other entries', async () => {
    const dir = await configFile(JSON.stringify({ auths: { bad: { auth: b64('nocolon') }, good: { auth: b64('x:y') } } }));
    const { store, issues } = await dockerConfigCredentials({ path: dir });
    expect(issues.map((i) => i.message)).toEqual([`The "auth" value for bad in docker config ${join(dir, 'config.json')} is not base64 of "user:password"; it was ignored`]);
    expect(await store.lookup('good', 'r')).toMatchObject({ username: 'x', password: 'y' });
  });

  it('does not run credential helpers unless asked, and says so; runs docker-credential-<name> when asked', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'rw-helper-'));
    await mkdir(bin, { recursive: true });
    const helper = join(bin, 'docker-credential-rwtest');
    await writeFile(helper, '#!/bin/sh\nread server\nif [ "$server" = "helped.example" ]; then echo \'{"ServerURL":"helped.example","Username":"from-helper","Secret":"s3cret"}\'; else echo "credentials not found in native keychain"; exit 1; fi\n');
    await chmod(helper, 0o755);
    const dir = await configFile(JSON.stringify({ credHelpers: { 'helped.example': 'rwtest', 'other.example': 'rwtest' } }));
    const off = await dockerConfigCredentials({ path: dir });
    expect(await off.store.lookup('helped.example', 'r')).toBeUndefined();
    expect(off.store.skipped?.('helped.example')).toBe(`${join(dir, 'config.json')} names the credential helper "docker-credential-rwtest" for helped.example; helpers are off — pass --credential-helpers to run it`);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path ?? ''}`;
    try {
      const on = await dockerConfigCredentials({ path: dir, credentialHelpers: true });
      expect(await on.store.lookup('helped.example', 'r')).toEqual({ username: 'from-helper', password: 's3cret', source: 'credential helper docker-credential-rwtest' });
      expect(await on.store.lookup('other.example', 'r')).toBeUndefined();
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('Kubernetes imagePullSecrets', () => {
  it('matches the most specific key: glob hosts, ports and repository path prefixes (kubelet keyring rules)', async () => {
    const { store, issues } = pullSecretCredentials([
      secret('wild', { auths: { '*.azurecr.io': { auth: b64('wild:1') } } }),
      secret('team', { auths: { 'acme.azurecr.io/team': { auth: b64('team:2') } } }),
      secret('port', { auths: { 'registry.local:5000': { username: 'port', password: '3' } } }),
      secret('hub', { 'https://index.docker.io/v1/': { auth: b64('hub:4') } }, 'kubernetes.io/dockercfg'),
    ]);
    expect(issues).toEqual([]);
    expect(await store.lookup('acme.azurecr.io', 'team/app')).toMatchObject({ username: 'team', source: 'pull secret shop/team' });
    expect(await store.lookup('acme.azurecr.io', 'other/app')).toMatchObject({ username: 'wild' });
    expect(await store.lookup('a.b.azurecr.io', 'x')).toBeUndefined();
    expect(await store.lookup('registry.local:5000', 'x')).toMatchObject({ username: 'port' });
    expect(await store.lookup('registry.local', 'x')).toBeUndefined();
    expect(await store.lookup('docker.io', 'library/nginx')).toMatchObject({ username: 'hub', source: 'pull secret shop/hub' });
  });

  it('reports each unusable secret as an issue and keeps the good ones', async () => {
    const { store, issues } = pullSecretCredentials([
      'not an object',
      { kind: 'Secret', metadata: { name: 'empty' }, type: 'Opaque', data: {} },
      { kind: 'Secret', metadata: { name: 'garbage', namespace: 'ns' }, data: { '.dockerconfigjson': b64('{not json') } },
      secret('ok', { auths: { 'r.example': { auth: b64('ok:pw') } } }),
    ]);
    expect(issues.map((i) => i.message)).toEqual([
      'Pull secret #1 is not a Secret object; it was ignored',
      'Pull secret default/empty (type Opaque) has no .dockerconfigjson or .dockercfg key; it was ignored',
      'Pull secret ns/garbage: .dockerconfigjson is not base64-encoded JSON; it was ignored',
    ]);
    expect(await store.lookup('r.example', 'x')).toMatchObject({ username: 'ok' });
  });

  it('chains stores: pull secrets before the docker config', async () => {
    const chained = chainCredentials(staticCredentials({ 'a.example': { username: 'first' } }), staticCredentials({ 'a.example': { username: 'second' }, 'b.example': { username: 'b' } }));
    expect(await chained.lookup('a.example', 'r')).toMatchObject({ username: 'first' });
    expect(await chained.lookup('b.example', 'r')).toMatchObject({ username: 'b' });
  });
});
