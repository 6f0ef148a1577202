import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importAdvisories } from './import.js';
import { ageText, staleDatabaseIssue } from './freshness.js';
import { lastUpdated, markChecked, openVulnDb } from './store/index.js';

const NPM = join(import.meta.dirname, '..', '..', 'testdata', 'upstream', 'osv', 'npm-ghsa');
const HOUR = 3_600_000;

describe('how current the advisory data is', () => {
  it('is stale once the last update is older than the threshold, and says by how much', async () => {
    const db = openVulnDb(':memory:');
    // an empty database is not "stale": matching reports that nothing covers the packages (vuln-no-advisories)
    expect([lastUpdated(db), staleDatabaseIssue(db, new Date())]).toEqual([null, undefined]);
    await importAdvisories(db, NPM);
    const updated = Date.parse(lastUpdated(db) ?? '');
    expect(staleDatabaseIssue(db, new Date(updated + 23 * HOUR))).toBeUndefined();
    const stale = staleDatabaseIssue(db, new Date(updated + 12.3 * 24 * HOUR));
    expect([stale?.code, stale?.message, stale?.location]).toEqual(['vuln-db-stale', 'The vulnerability data was last updated 12.3 days ago (more than 24 h): advisories published since are not matched', ':memory:']);
    expect(staleDatabaseIssue(db, new Date(updated + 30 * HOUR), 48)).toBeUndefined();
    // a `db update` whose feeds all answered "not modified" brings it up to date too
    markChecked(db, new Date(updated + 12 * 24 * HOUR));
    expect(staleDatabaseIssue(db, new Date(updated + 12.3 * 24 * HOUR))).toBeUndefined();
    // an older check never moves it back
    markChecked(db, new Date(updated - HOUR));
    expect(lastUpdated(db)).toBe(new Date(updated + 12 * 24 * HOUR).toISOString());
    db.close();
  });

  it('writes ages a person reads at a glance', () => {
    expect([ageText(0.25), ageText(5.5), ageText(47.9), ageText(295.2)]).toEqual(['15 min', '5.5 h', '47.9 h', '12.3 days']);
  });
});
