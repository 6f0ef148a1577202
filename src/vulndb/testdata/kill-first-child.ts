/**
 * Child process for the "killed during a first import" test: begins an import into `db` (which holds no
 * advisories: the import runs through a rollback journal), with a page cache of a few pages so that written
 * pages spill into the file long before a commit, and stores records until it is killed, reporting progress.
 */
import { randomBytes } from 'node:crypto';
import { beginImport, openVulnDb } from '../store/index.js';

const [dbPath = ''] = process.argv.slice(2);
const db = openVulnDb(dbPath);
const session = beginImport(db, 'osv', 'kill-first-child');
db.pragma('cache_size = 8');
for (let i = 0; ; i++) {
  session.put({
    id: `GHSA-kill-${String(i).padStart(6, '0')}`,
    modified: '2024-01-01T00:00:00Z',
    // incompressible, so the record blocks fill pages
    details: randomBytes(3000).toString('base64'),
    affected: [{ package: { ecosystem: 'npm', name: `pkg-${i}` }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }],
  });
  if (i % 500 === 499) process.stdout.write(`progress ${i + 1} ${String(db.pragma('journal_mode', { simple: true }))}\n`);
}
