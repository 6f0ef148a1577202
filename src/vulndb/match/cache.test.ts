/** What matchPackages keeps between calls on one connection (ConnectionCache), and when it lets go. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Package } from '../../core/package.js';
import { importAdvisories } from '../import.js';
import { openVulnDb, type Db } from '../store/index.js';
import { matchPackages, type MatchReason } from './index.js';

const PKG: Package = { ecosystem: 'npm', name: 'cache-demo', version: '1.2.5' };

/** An OSV record for cache-demo, fixed in `fixed`, written as a file of its own (a real import reads it). */
function feed(dir: string, modified: string, fixed: string, versions?: string[]): string {
  const path = join(dir, `GHSA-cach-demo-${modified.slice(0, 10)}.json`);
  const affected = { package: { ecosystem: 'npm', name: 'cache-demo' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }], ...(versions === undefined ? {} : { versions }) };
  writeFileSync(path, JSON.stringify({ id: 'GHSA-cach-demo-0001', modified, summary: 'cache demo', affected: [affected] }));
  return path;
}

const fixedOf = (db: Db): Array<string | undefined> => matchPackages(db, [PKG]).findings.map((f) => (f.evidence['matches'] as MatchReason[])[0]?.fixed);

describe('matching between calls on one connection', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rw-match-cache-'));
    path = join(dir, 'rw.db');
  });

  it('sees an import made on the same connection between two calls, the package rows it kept included', async () => {
    const db = openVulnDb(path);
    try {
      await importAdvisories(db, feed(dir, '2024-01-01T00:00:00Z', '1.3.0'));
      // twice: a key read a second time has its rows kept (rowsOf)
      expect(fixedOf(db)).toEqual(['1.3.0']);
      expect(fixedOf(db)).toEqual(['1.3.0']);
      // a second advisory for the same package: new rows under a kept key
      const second = join(dir, 'second.json');
      writeFileSync(second, JSON.stringify({ id: 'GHSA-cach-demo-0003', modified: '2024-01-15T00:00:00Z', summary: 'cache demo 3', affected: [{ package: { ecosystem: 'npm', name: 'cache-demo' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.4.0' }] }] }] }));
      await importAdvisories(db, second);
      expect(fixedOf(db).sort()).toEqual(['1.3.0', '1.4.0']);
      expect(fixedOf(db).sort()).toEqual(['1.3.0', '1.4.0']);
      await importAdvisories(db, feed(dir, '2024-02-01T00:00:00Z', '1.2.1'));
      expect(fixedOf(db)).toEqual(['1.4.0']);
    } finally {
      db.close();
    }
  });

  /**
   * The case a cache keyed by entry rowid gets wrong: the only entry is dropped (its advisory withdrawn), and
   * the next new entry takes the same rowid (SQLite gives max(rowid) + 1). `reader` matches, `writer` imports.
   */
  async function rowidReused(reader: Db, writer: Db): Promise<void> {
    const entryRowids = (): number[] => writer.prepare<[], number>('SELECT rowid FROM vuln_entries ORDER BY rowid').pluck(true).all();
    await importAdvisories(writer, feed(dir, '2024-01-01T00:00:00Z', '1.3.0'));
    const [first] = entryRowids();
    // twice: the package's rows are kept as well as its entry
    expect(fixedOf(reader)).toEqual(['1.3.0']);
    expect(fixedOf(reader)).toEqual(['1.3.0']);
    const withdrawn = join(dir, 'withdrawn.json');
    writeFileSync(withdrawn, JSON.stringify({ id: 'GHSA-cach-demo-0001', modified: '2024-02-01T00:00:00Z', withdrawn: '2024-02-01T00:00:00Z', summary: 'cache demo', affected: [] }));
    await importAdvisories(writer, withdrawn);
    expect(entryRowids()).toEqual([]);
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ id: 'GHSA-cach-demo-0002', modified: '2024-03-01T00:00:00Z', summary: 'cache demo 2', affected: [{ package: { ecosystem: 'npm', name: 'cache-demo' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] }] }));
    await importAdvisories(writer, other);
    expect(entryRowids()).toEqual([first]);
    expect(fixedOf(reader)).toEqual(['2.0.0']);
  }

  it('never answers from an entry whose rowid a later import on the same connection gave to other data', async () => {
    const db = openVulnDb(path);
    try {
      await rowidReused(db, db);
    } finally {
      db.close();
    }
  });

  it('sees imports committed by another connection (another process) between two calls, a reused rowid included', async () => {
    const reader = openVulnDb(path);
    const writer = openVulnDb(path);
    try {
      await rowidReused(reader, writer);
      // the first advisory back, fixed later: both now
      await importAdvisories(writer, feed(dir, '2024-04-01T00:00:00Z', '3.0.0'));
      expect(fixedOf(reader).sort()).toEqual(['2.0.0', '3.0.0']);
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('keeps nothing read inside a transaction, which may be rolled back', async () => {
    const db = openVulnDb(path);
    try {
      await importAdvisories(db, feed(dir, '2024-01-01T00:00:00Z', '1.3.0'));
      expect(fixedOf(db)).toEqual(['1.3.0']);
      const changed = JSON.stringify({ package: 'cache-demo', ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '9.9.9' }] }] });
      const attempt = db.transaction(() => {
        db.prepare('UPDATE vuln_entries SET data = ?').run(changed);
        // read twice, so rows would be kept too
        expect(fixedOf(db)).toEqual(['9.9.9']);
        expect(fixedOf(db)).toEqual(['9.9.9']);
        throw new Error('roll back');
      });
      expect(() => attempt()).toThrow('roll back');
      expect(fixedOf(db)).toEqual(['1.3.0']);
    } finally {
      db.close();
    }
  });

  it('gives every call the same findings, its own issues, and frozen range summaries that calls share', async () => {
    const db = openVulnDb(path);
    try {
      await importAdvisories(db, feed(dir, '2024-01-01T00:00:00Z', '1.3.0', ['1.2.5', 'not-a-version']));
      const first = matchPackages(db, [PKG]);
      const second = matchPackages(db, [PKG]);
      expect(JSON.stringify(second)).toBe(JSON.stringify(first));
      // an invalid listed version is an issue of every report, not only of the first call's
      expect(second.issues.map((i) => i.code)).toEqual(['vuln-advisory-version']);
      const ranges = (second.findings[0]?.evidence['matches'] as MatchReason[])[0]?.ranges;
      expect(ranges).toBe((first.findings[0]?.evidence['matches'] as MatchReason[])[0]?.ranges);
      expect(Object.isFrozen(ranges)).toBe(true);
      expect(() => (ranges as unknown as Array<{ verdict: string }>)[0]!.verdict = 'not-affected').toThrow(TypeError);
    } finally {
      db.close();
    }
  });
});
