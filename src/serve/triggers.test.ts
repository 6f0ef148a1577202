/** DB-update triggers on a real vulnerability database file, updated through a second connection as `runwarden db import` would. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { importAdvisories } from '../vulndb/import.js';
import { markChecked, openVulnDb, recordMirrors } from '../vulndb/store/index.js';
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

  it('reports the age of each mirror of the last db update, and counts a "not modified" update as current', async () => {
    const path = join(dir, 'feeds.db');
    const writer = openVulnDb(path);
    const osv = join(packageRoot(), 'demo', 'advisories', 'osv');
    const secdb = join(packageRoot(), 'demo', 'advisories', 'alpine-secdb');
    await importAdvisories(writer, osv, { workers: 0 });
    await importAdvisories(writer, secdb, { workers: 0 });
    const reader = openVulnDb(path, { readonly: true });
    const imported = Date.parse(vulnDbVersion(reader) ?? '');
    const metrics = new ServeMetrics();
    const at = imported + 10 * 3_600_000;
    const watch = watchVulnDb(reader, { intervalMs: 60_000, onUpdate: () => undefined, metrics, log: silentLogger, now: () => new Date(at) });
    // no `db update` yet: no mirror to report
    expect(await metrics.render()).not.toContain('runwarden_vulndb_feed_age_seconds{');
    // the osv mirror answered "not modified" an hour ago; the secdb one has not given data since its import
    recordMirrors(writer, [{ url: osv, name: 'OSV demo' }, { url: secdb, name: 'secdb demo' }, { url: 'https://mirror.example/never.zip', name: 'never' }]);
    markChecked(writer, new Date(at - 3_600_000), osv);
    watch.check();
    const text = await metrics.render();
    expect(text).toContain(`runwarden_vulndb_feed_age_seconds{feed="OSV demo",url="${osv}"} 3600`);
    expect(text).toMatch(new RegExp(`runwarden_vulndb_feed_age_seconds\\{feed="secdb demo",url="${secdb.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\} 3600\\d`));
    expect(text).not.toContain('feed="never"');
    // the database itself is as current as its newest word from a feed
    expect(text).toContain('runwarden_vulndb_age_seconds 3600\n');
    // a mirror dropped from the config disappears
    recordMirrors(writer, [{ url: osv, name: 'OSV demo' }]);
    watch.check();
    expect(await metrics.render()).not.toContain('feed="secdb demo"');
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
