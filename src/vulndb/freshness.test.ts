import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importAdvisories } from './import.js';
import { ageText, feedsBehind, staleDatabaseIssue } from './freshness.js';
import { feedUpdates, lastUpdated, markChecked, openVulnDb, recordMirrors, trackedMirrors, writeMeta } from './store/index.js';

const NPM = join(import.meta.dirname, '..', '..', 'testdata', 'upstream', 'osv', 'npm-ghsa');
const GO = join(import.meta.dirname, '..', '..', 'testdata', 'upstream', 'osv', 'go-vulndb');
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

  it('checks each mirror of the last db update on its own: one failing for days is said while the others keep the data recent', async () => {
    const db = openVulnDb(':memory:');
    await importAdvisories(db, NPM);
    await importAdvisories(db, GO);
    const go = Date.parse(feedUpdates(db).get(GO) ?? '');
    const npm = Date.parse(feedUpdates(db).get(NPM) ?? '');
    // data only ever imported by hand (no `db update`): judged by its newest import, as before
    expect(trackedMirrors(db)).toEqual([]);
    const later = new Date(go + 10 * 24 * HOUR);
    markChecked(db, new Date(go + 10 * 24 * HOUR - HOUR), NPM);
    expect(staleDatabaseIssue(db, later)).toBeUndefined();
    // the mirrors of a `db update`: npm answered "not modified" an hour ago, go has given nothing for 10 days
    // (its imports fail), and a third never gave data (db update reports that one on every run)
    recordMirrors(db, [
      { url: NPM, name: 'OSV npm' },
      { url: GO, name: 'OSV Go' },
      { url: 'https://mirror.example/never/all.zip', name: 'never' },
    ]);
    expect(feedsBehind(db, later)).toEqual({ behind: [{ url: GO, name: 'OSV Go', lastUpdate: new Date(go).toISOString(), ageHours: expect.closeTo(240, 1) as number }], tracked: 2 });
    const stale = staleDatabaseIssue(db, later);
    expect([stale?.code, stale?.message]).toEqual(['vuln-db-stale', '1 of 2 vulnerability feeds was last updated more than 24 h ago (OSV Go 10.0 days ago): their advisories published since are not matched']);
    expect(stale?.hint).toContain('see why those mirrors fail');
    // within the threshold, or once it answers again, nothing
    expect(staleDatabaseIssue(db, later, 300)).toBeUndefined();
    markChecked(db, new Date(go + 10 * 24 * HOUR - 2 * HOUR), GO);
    expect(staleDatabaseIssue(db, later)).toBeUndefined();
    // when everything is old, the whole data is named (not per feed)
    expect(staleDatabaseIssue(db, new Date(npm + 40 * 24 * HOUR))?.message).toMatch(/^The vulnerability data was last updated 30\.0 days ago/);
    // several behind: oldest first, the rest counted
    const names = ['a', 'b', 'c', 'd'].map((n, i) => ({ url: `https://m.example/${n}`, name: `feed ${n}` , at: new Date(go - (i + 2) * 24 * HOUR) }));
    for (const n of names) markChecked(db, n.at, n.url);
    recordMirrors(db, [{ url: NPM, name: 'OSV npm' }, ...names]);
    expect(staleDatabaseIssue(db, later)?.message).toBe(
      '4 of 5 vulnerability feeds were last updated more than 24 h ago (feed d 15.0 days ago, feed c 14.0 days ago, feed b 13.0 days ago and 1 more): their advisories published since are not matched',
    );
    // a mirror list this build cannot read tracks nothing
    writeMeta(db, 'vulndb.update.mirrors', '{"not": "a list"}');
    expect([trackedMirrors(db), staleDatabaseIssue(db, later)]).toEqual([[], undefined]);
    db.close();
  });

  it('does not count an import that held nothing of a part of the feed the database holds as bringing that feed up to date', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-fresh-'));
    const secdb = (repo: string, packages: unknown[]): void => {
      writeFileSync(join(dir, `${repo}.json`), JSON.stringify({ distroversion: 'v3.19', reponame: repo, packages }));
      utimesSync(join(dir, `${repo}.json`), 1_700_000_000, 1_700_000_000);
    };
    const curl = [{ pkg: { name: 'curl', secfixes: { '8.5.0-r0': ['CVE-2023-46218'] } } }];
    secdb('main', [{ pkg: { name: 'openssl', secfixes: { '3.1.4-r1': ['CVE-2023-5678'] } } }]);
    secdb('community', curl);
    const db = openVulnDb(':memory:');
    await importAdvisories(db, dir);
    const complete = feedUpdates(db).get(dir);
    const backdate = db.prepare<[string]>("UPDATE vuln_imports SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)");
    backdate.run('-3 days');
    const before = feedUpdates(db).get(dir);
    recordMirrors(db, [{ url: dir, name: 'alpine v3.19' }]);
    // community.json is now empty (a broken mirror): main is imported, community kept, and the feed is not current
    secdb('community', []);
    const partial = await importAdvisories(db, dir);
    expect(partial.issues.map((i) => i.code)).toEqual(['feed-scope-empty']);
    expect([complete !== undefined, feedUpdates(db).get(dir)]).toEqual([true, before]);
    expect(staleDatabaseIssue(db, new Date())?.message).toMatch(/^1 of 1 vulnerability feeds was last updated more than 24 h ago \(alpine v3\.19 3\.0 days ago\)/);
    // again: still the last complete copy
    await importAdvisories(db, dir);
    expect(feedUpdates(db).get(dir)).toBe(before);
    // whole again: current
    secdb('community', curl);
    await importAdvisories(db, dir);
    expect(staleDatabaseIssue(db, new Date())).toBeUndefined();
    expect(Date.parse(feedUpdates(db).get(dir) ?? '')).toBeGreaterThan(Date.now() - HOUR);
    // a "not modified" answer (the ETag kept is a complete copy's) also ends it: the complete copy was fetched three
    // days ago, the partial one two hours ago, and a check finds the feed as it was (even one dated before both)
    secdb('community', []);
    await importAdvisories(db, dir);
    backdate.run('-3 days');
    db.prepare("UPDATE vuln_imports SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 hours') WHERE rowid = (SELECT max(rowid) FROM vuln_imports)").run();
    expect(staleDatabaseIssue(db, new Date())?.message).toMatch(/\(alpine v3\.19 3\.0 days ago\)/);
    markChecked(db, new Date(Date.now() - 5 * 24 * HOUR), dir);
    expect(staleDatabaseIssue(db, new Date())).toBeUndefined();
    db.close();
  });

  it('writes ages a person reads at a glance', () => {
    expect([ageText(0.25), ageText(5.5), ageText(47.9), ageText(295.2)]).toEqual(['15 min', '5.5 h', '47.9 h', '12.3 days']);
  });
});
