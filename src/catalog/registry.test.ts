import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ECOSYSTEMS } from '../core/ecosystem.js';
import { CATALOGERS } from './registry.js';
import { catalogers } from './index.js';

const dir = fileURLToPath(new URL('./catalogers/', import.meta.url));
const folders = readdirSync(dir).filter((f) => statSync(join(dir, f)).isDirectory()).sort();

describe('cataloger registry (contract)', () => {
  it('every folder is registered once, and every registered cataloger has a folder of its id', () => {
    expect(CATALOGERS.map((c) => c.id).sort()).toEqual(folders);
    expect(new Set(CATALOGERS.map((c) => c.id)).size).toBe(CATALOGERS.length);
  });

  it.each(folders)('%s: index.ts, index.test.ts, a readme naming what it reads and its limits, a testdata rootfs', (id) => {
    for (const f of ['index.ts', 'index.test.ts', 'readme.md']) expect(existsSync(join(dir, id, f)), `${id}/${f}`).toBe(true);
    const readme = readFileSync(join(dir, id, 'readme.md'), 'utf8');
    expect(readme).toMatch(new RegExp(`^# \`${id}\``));
    for (const section of ['## Reads', '## Limits']) expect(readme, `${id}/readme.md ${section}`).toContain(section);
    expect(readme).toMatch(/https:\/\//);
    expect(readdirSync(join(dir, id, 'testdata')).length).toBeGreaterThan(0);
  });

  it.each(CATALOGERS.map((c) => [c.id, c] as const))('%s: a buffer analyser with globs and a bounded maxBytes, or a stream analyser that chooses its files; a version', (_id, c) => {
    if (c.mode === 'buffer') {
      expect(c.globs?.length ?? 0).toBeGreaterThan(0);
      expect(c.maxBytes).toBeGreaterThan(0);
      expect(c.maxBytes).toBeLessThanOrEqual(256 * 1024 * 1024);
    } else {
      expect(typeof c.wants).toBe('function');
    }
    expect(c.version).toMatch(/^\d+$/);
    expect(['os', 'language']).toContain(c.kind);
  });

  it('language packages carry OSV ecosystem names the matcher knows', () => {
    const names = new Set(ECOSYSTEMS.map((e) => e.ecosystem));
    for (const eco of ['npm', 'PyPI']) expect(names.has(eco)).toBe(true);
  });

  it('catalogers() = OS detection + every cataloger, or the ones named', () => {
    expect(catalogers().map((a) => a.id)).toEqual(['os-release', ...CATALOGERS.map((c) => c.id)]);
    expect(catalogers(['npm']).map((a) => a.id)).toEqual(['os-release', 'npm']);
  });
});
