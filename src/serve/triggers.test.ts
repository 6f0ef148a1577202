/** DB-update triggers on a real vulnerability database file, updated through a second connection as `runwarden db import` would. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { importAdvisories } from '../vulndb/import.js';
import { openVulnDb } from '../vulndb/store/index.js';
import { silentLogger } from './log.js';
import { ServeMetrics } from './metrics/index.js';
import { vulnDbVersion, watchVulnDb } from './triggers.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-triggers-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('vulnerability DB update trigger', () => {
  it('fires once when another process imports into the database, and reports its age', async () => {
    const path = join(dir, 'runwarden.db');
    const writer = openVulnDb(path);
    await importAdvisories(writer, join(packageRoot(), 'demo', 'advisories', 'osv'), { workers: 0 });
    const reader = openVulnDb(path, { readonly: true });
    const first = vulnDbVersion(reader);
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const updates: string[] = [];
    const metrics = new ServeMetrics();
    const watch = watchVulnDb(reader, { intervalMs: 60_000, onUpdate: (v) => updates.push(v), metrics, log: silentLogger, now: () => new Date(Date.parse(first ?? '') + 90_000) });
    watch.check();
    expect(updates).toEqual([]);
    expect(await metrics.render()).toContain('runwarden_vulndb_age_seconds 90');
    await new Promise((r) => setTimeout(r, 5));
    await importAdvisories(writer, join(packageRoot(), 'demo', 'advisories', 'alpine-secdb'), { workers: 0 });
    watch.check();
    watch.check();
    expect(updates).toHaveLength(1);
    expect(updates[0]).not.toBe(first);
    watch.stop();
    reader.close();
    writer.close();
  });

  it('returns undefined for a database without imports', () => {
    const db = openVulnDb(':memory:');
    expect(vulnDbVersion(db)).toBeUndefined();
    db.close();
  });
});
