import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { IMAGE_SOURCES, parseImageInput } from './registry.js';
import { IMAGE_SOURCE_IDS } from './types.js';

const dir = join(import.meta.dirname, 'sources');
const folders = readdirSync(dir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('image source registry (contract)', () => {
  it('lists exactly one source per folder, with id = folder name, and every id of the type', () => {
    expect(IMAGE_SOURCES.map((s) => s.id).sort()).toEqual(folders);
    expect([...IMAGE_SOURCE_IDS].sort()).toEqual(folders);
  });

  it.each(folders)('%s has index.ts, a readme and tests', (folder) => {
    for (const file of ['index.ts', 'readme.md', 'index.test.ts']) expect(existsSync(join(dir, folder, file)), `${folder}/${file}`).toBe(true);
  });

  it('has unique prefixes, a syntax and a description per source', () => {
    const prefixes = IMAGE_SOURCES.flatMap((s) => s.prefixes);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const s of IMAGE_SOURCES) {
      expect(s.syntax.length).toBeGreaterThan(5);
      expect(s.description.length).toBeGreaterThan(15);
    }
  });
});

describe('parseImageInput', () => {
  it.each([
    ['nginx:1.27', 'registry', 'nginx:1.27'],
    ['localhost:5000/team/app:1', 'registry', 'localhost:5000/team/app:1'],
    ['ghcr.io/acme/app@sha256:' + 'a'.repeat(64), 'registry', 'ghcr.io/acme/app@sha256:' + 'a'.repeat(64)],
    ['docker://ghcr.io/acme/app:1', 'registry', 'ghcr.io/acme/app:1'],
    ['registry:nginx', 'registry', 'nginx'],
    ['oci:/images/app:1', 'oci-layout', '/images/app:1'],
    ['oci-layout:./app', 'oci-layout', './app'],
    ['oci-archive:/images/app.tar', 'oci-archive', '/images/app.tar'],
    ['docker-archive:/images/app.tar:nginx:1', 'docker-archive', '/images/app.tar:nginx:1'],
    ['containerd:docker.io/library/nginx:1.27', 'containerd', 'docker.io/library/nginx:1.27'],
  ])('%s → %s', (input, id, target) => {
    const parsed = parseImageInput(input);
    expect([parsed.source.id, parsed.target]).toEqual([id, target]);
  });

  it('throws a UsageError naming the known prefixes for a mistyped one, and for nothing', () => {
    expect(() => parseImageInput('ocix:/tmp/app')).toThrow(UsageError);
    expect(() => parseImageInput('ocix:/tmp/app')).toThrow('Unknown image source "ocix:" in "ocix:/tmp/app": expected a registry reference or one of registry:, docker://, oci:, oci-layout:, oci-archive:, docker-archive:, containerd:.');
    expect(() => parseImageInput('  ')).toThrow('Missing image: give a reference (nginx:1.27) or oci:<dir>, oci-archive:<file>, docker-archive:<file>, containerd:<name>.');
  });

  it('says which prefix reads a local OCI layout or file given without one, and leaves a reference that only names a plain folder alone', () => {
    const root = mkdtempSync(join(tmpdir(), 'rw-input-'));
    try {
      const layout = join(root, 'images');
      mkdirSync(layout);
      writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      const rel = relative(process.cwd(), layout);
      expect(() => parseImageInput(rel)).toThrow(UsageError);
      expect(() => parseImageInput(rel)).toThrow(`"${rel}" is a local OCI image layout, not a registry reference: write oci:${rel} (oci:${rel}:<ref> for one image of several).`);
      const archive = join(root, 'app.tar');
      writeFileSync(archive, '');
      expect(() => parseImageInput(archive)).toThrow(`"${archive}" is a local file, not a registry reference: write docker-archive:${archive} for a "docker save" archive, or oci-archive:${archive} for an OCI layout in a tar.`);
      const plain = join(root, 'nginx');
      mkdirSync(plain);
      expect(parseImageInput(relative(process.cwd(), plain)).source.id).toBe('registry');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
