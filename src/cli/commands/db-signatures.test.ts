import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/cli.js';
import { tarOf } from '../../../test/images.js';
import { buildCvd } from '../../malware/formats/cvd/index.js';
import { loadSignatures } from '../../malware/load.js';
import { openDatabase } from '../../store/db.js';

const hex = (s: string): string => Buffer.from(s).toString('hex');

describe('runwarden db import / status with ClamAV signatures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-db-sigs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'rw.db');

  it('imports a CVD built from signature files and a plain .ndb, shows counts, versions and ages, and scans with them', async () => {
    const tar = await tarOf([
      { path: 'COPYING', content: 'test database\n' },
      { path: 'rwtest.hdb', content: `44d88612fea8a8f36de82e1278abb02f:68:RW.Cvd.EicarMD5\n` },
      { path: 'rwtest.ndb', content: `RW.Cvd.Body:0:*:${hex('RW-CVD-')}??${hex('-BODY')}\n` },
      { path: 'rwtest.info', content: 'ignored\n' },
    ]);
    writeFileSync(join(dir, 'rwtest.cvd'), buildCvd(gzipSync(tar), { version: 27001, signatures: 2, builtAt: new Date('2026-11-26T12:00:00Z') }));
    writeFileSync(join(dir, 'local.ndb'), `RW.Local.One:0:*:${hex('RW-LOCAL-ONE')}\nbroken line\n`);

    const cvd = await cli(['db', 'import', join(dir, 'rwtest.cvd'), '--db', db]);
    expect(cvd.code).toBe(0);
    expect(cvd.stdout).toBe('rwtest.cvd (version 27001, built 2026-11-26T12:00:00.000Z): 2 signature(s) imported: 1 hash, 1 body, 0 logical, 0 allow-list\n');
    const local = await cli(['db', 'import', join(dir, 'local.ndb'), '--db', db]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain('local.ndb: 1 signature(s) imported');
    expect(local.stderr).toContain('local.ndb line 2: expected Name:TargetType:Offset:HexSignature, got 1 field(s); signature skipped');

    const status = await cli(['db', 'status', '--db', db, '--now', '2026-11-28T12:00:00Z']);
    expect(status.stdout).toContain('Malware signatures: 3');
    expect(status.stdout).toMatch(/rwtest\.cvd\s+2\s+1\s+1\s+0\s+0\s+27001\s+2\.0 days/);
    expect(status.stdout).toMatch(/local\.ndb\s+1\s+0\s+1\s+0\s+0\s+-\s+.* \(since import\)/);
    const json = JSON.parse((await cli(['db', 'status', '--db', db, '--format', 'json'])).stdout) as { malware: Array<{ name: string; signatures: number }> };
    expect(json.malware.map((m) => [m.name, m.signatures])).toEqual([['local.ndb', 1], ['rwtest.cvd', 2]]);

    const store = openDatabase(db);
    try {
      const loaded = await loadSignatures({ db: store });
      expect(loaded.signatures).toBe(3);
      expect(loaded.engine.matchBody(Buffer.from('xx RW-CVD-#-BODY xx')).detections.map((d) => d.signature)).toEqual(['RW.Cvd.Body']);
      expect(loaded.engine.matchBody(Buffer.from('RW-LOCAL-ONE')).detections.map((d) => `${d.database}:${d.signature}`)).toEqual(['local.ndb:RW.Local.One']);
    } finally {
      store.close();
    }
  });

  it('rejects a corrupt CVD and a file with no usable signature in one line, leaving the database unchanged', async () => {
    const good = buildCvd(gzipSync(await tarOf([{ path: 'x.hdb', content: '44d88612fea8a8f36de82e1278abb02f:68:X\n' }])), { version: 1, signatures: 1, builtAt: new Date('2026-11-26T12:00:00Z') });
    const bad = Buffer.from(good);
    bad[bad.length - 5] = (bad[bad.length - 5] ?? 0) ^ 0xff;
    writeFileSync(join(dir, 'broken.cvd'), bad);
    const r = await cli(['db', 'import', join(dir, 'broken.cvd'), '--db', db]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^runwarden: error: Cannot import ".*broken\.cvd": broken\.cvd is corrupt: the MD5 of its content is [0-9a-f]{32}, the header says [0-9a-f]{32}/);
    writeFileSync(join(dir, 'empty.hdb'), 'not a signature\n');
    const e = await cli(['db', 'import', join(dir, 'empty.hdb'), '--db', db]);
    expect(e.code).toBe(3);
    expect(e.stderr).toContain('holds no signature this version reads (1 line(s) rejected)');
    const json = JSON.parse((await cli(['db', 'status', '--db', db, '--format', 'json'])).stdout) as { malware: Array<{ name: string }> };
    expect(json.malware.map((m) => m.name)).toEqual(['local.ndb', 'rwtest.cvd']);
  });
});
