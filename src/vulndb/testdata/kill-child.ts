/** Child process for the "killed mid-import" test: imports `dir` into `db` and reports progress on stdout. */
import { importAdvisories } from '../import.js';
import { openVulnDb } from '../store/index.js';

const [dbPath = '', input = ''] = process.argv.slice(2);
const db = openVulnDb(dbPath);
await importAdvisories(db, input, {
  onProgress: (p) => {
    if (p.phase === 'import') process.stdout.write(`progress ${p.done}\n`);
  },
});
process.stdout.write('done\n');
