import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../core/errors.js';
import type { Issue } from '../../../core/issue.js';
import { MAX_ENTRY_BYTES } from '../../files.js';
import { importAdvisories } from '../../import.js';
import { matchPackages } from '../../match/index.js';
import type { SourceContext } from '../../source.js';
import { advisoriesById, openVulnDb, storeStatus } from '../../store/index.js';
import { unpackBatch } from '../../store/blocks.js';
import { prepareAdvisory, type PreparedAdvisory } from '../../store/prepare.js';
import { makeZip } from '../../../../test/zip.js';
import { osv } from './index.js';
import { ParsePool } from './pool.js';

const OSV = join(import.meta.dirname, '..', '..', '..', '..', 'testdata', 'upstream', 'osv');

/** A prepared advisory with its record text parsed. */
type Read = Omit<PreparedAdvisory, 'text'> & { text: unknown };

/**
 * Both ways through the source: in-thread `read` (then prepared here) and `readPrepared` on worker threads
 * (whose record texts come back packed in blocks: unpacked here, so both must be equal). A worker stores a
 * record's own compact text, the in-thread reader JSON.stringify's (escapes may differ: Go writes `<` as
 * `\u003c`): their values are compared.
 */
async function bothWays(path: string): Promise<{ inThread: { advisories: Read[]; issues: Issue[] }; workers: { advisories: Read[]; issues: Issue[] } }> {
  const ctx = (issues: Issue[]): SourceContext => ({ issue: (i) => issues.push(i), completeScope: () => undefined, incompleteScope: () => undefined, keepStored: () => undefined });
  const inThread = { advisories: [] as PreparedAdvisory[], issues: [] as Issue[] };
  for await (const parsed of osv.read({ path, display: path }, ctx(inThread.issues))) inThread.advisories.push(prepareAdvisory(parsed.record));
  const workers = { advisories: [] as PreparedAdvisory[], issues: [] as Issue[] };
  const batches = await osv.readPrepared?.({ path, display: path }, ctx(workers.issues), { workers: 1, minBytes: 0 });
  if (batches === undefined) throw new Error('expected the input to be read on workers');
  for await (const batch of batches) {
    expect(batch.slots.reduce((n, s) => n + s, 0)).toBe(batch.ids.length);
    expect(batch.block.every((b) => b >= 0 && b < batch.blocks.length)).toBe(true);
    workers.advisories.push(...unpackBatch(batch));
  }
  const values = (list: PreparedAdvisory[]): Read[] => list.map((a) => ({ ...a, text: JSON.parse(String(a.text)) as unknown }));
  return { inThread: { ...inThread, advisories: values(inThread.advisories) }, workers: { ...workers, advisories: values(workers.advisories) } };
}

describe('OSV reading on worker threads', () => {
  it('gives the same prepared records and issues as reading in-thread, in the same order', async () => {
    for (const dir of ['go-vulndb', 'schema/tools/osv-linter/testdata']) {
      const { inThread, workers } = await bothWays(join(OSV, dir));
      expect(workers.advisories.length, dir).toBe(inThread.advisories.length);
      expect(workers).toEqual(inThread);
    }
  }, 60_000);

  it('reads a zip export on workers, with an entry that does not parse reported in place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-osv-pool-'));
    const files = readdirSync(join(OSV, 'npm-ghsa')).filter((f) => f.endsWith('.json'));
    const entries = files.map((f) => ({ name: `npm/${f}`, content: readFileSync(join(OSV, 'npm-ghsa', f)) }));
    entries.splice(2, 0, { name: 'npm/broken.json', content: Buffer.from('{"id": "GHSA-') });
    writeFileSync(join(dir, 'all.zip'), makeZip(entries));
    const { inThread, workers } = await bothWays(join(dir, 'all.zip'));
    expect(workers).toEqual(inThread);
    expect(workers.issues.map((i) => [i.code, i.location])).toEqual([['osv-parse', `${join(dir, 'all.zip')}!npm/broken.json`]]);
    expect(workers.advisories.map((a) => a.id)).toContain('GHSA-35jh-r3h4-6jhm');
  }, 60_000);

  it('refuses a zip whose entry cannot be read on a worker as the in-thread reader does, naming the archive; skips an entry over the size limit in place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-osv-pool-'));
    const files = readdirSync(join(OSV, 'npm-ghsa')).filter((f) => f.endsWith('.json')).slice(0, 4);
    const entries = files.map((f) => ({ name: `npm/${f}`, content: readFileSync(join(OSV, 'npm-ghsa', f)) }));
    entries.splice(1, 0, { name: 'npm/huge.json', content: Buffer.alloc(MAX_ENTRY_BYTES + 1, 0x20) });
    writeFileSync(join(dir, 'big.zip'), makeZip(entries));
    const { inThread, workers } = await bothWays(join(dir, 'big.zip'));
    expect(workers).toEqual(inThread);
    expect(workers.issues.map((i) => [i.code, i.message])).toEqual([['osv-parse', `Skipped zip entry npm/huge.json: entry is ${MAX_ENTRY_BYTES + 1} bytes, more than the ${MAX_ENTRY_BYTES}-byte limit`]]);
    // the third entry's compressed data damaged: neither way keeps anything of the archive
    const zip = Buffer.from(makeZip(entries.filter((e) => e.name !== 'npm/huge.json')));
    const third = entries[3]?.name ?? '';
    const at = zip.indexOf(third) + third.length;
    zip.fill(0xff, at, at + 8);
    writeFileSync(join(dir, 'corrupt.zip'), zip);
    const path = join(dir, 'corrupt.zip');
    const ctx: SourceContext = { issue: () => undefined, completeScope: () => undefined, incompleteScope: () => undefined, keepStored: () => undefined };
    const read = async (): Promise<unknown> => {
      const batches = await osv.readPrepared?.({ path, display: path }, ctx, { workers: 1, minBytes: 0 });
      for await (const _ of batches ?? []) {
        // drained
      }
      return batches;
    };
    const inThreadRead = async (): Promise<void> => {
      for await (const _ of osv.read({ path, display: path }, ctx)) {
        // drained
      }
    };
    for (const attempt of [read, inThreadRead]) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error).toMatchObject({ message: expect.stringMatching(new RegExp(`^Cannot read zip archive "${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": `)), hint: 'The archive is truncated or corrupt; download it again. The database was not changed.' });
    }
  }, 60_000);

  it('reads small inputs in-thread (no workers started)', async () => {
    const none = await osv.readPrepared?.({ path: join(OSV, 'npm-ghsa'), display: 'npm-ghsa' }, { issue: () => undefined, completeScope: () => undefined, incompleteScope: () => undefined, keepStored: () => undefined }, { workers: 2 });
    expect(none).toBeUndefined();
    const noWorkers = await osv.readPrepared?.({ path: join(OSV, 'npm-ghsa'), display: 'npm-ghsa' }, { issue: () => undefined, completeScope: () => undefined, incompleteScope: () => undefined, keepStored: () => undefined }, { workers: 0, minBytes: 0 });
    expect(noWorkers).toBeUndefined();
  });
});

describe('ParsePool', () => {
  let pool: ParsePool;
  beforeAll(() => {
    pool = new ParsePool(1);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('fails the job of a file that cannot be read, naming it, and keeps serving others', async () => {
    await expect(pool.run([{ kind: 'file', path: '/nonexistent/GHSA-x.json', name: 'GHSA-x.json', location: 'GHSA-x.json' }])).rejects.toThrow(/ENOENT.*\/nonexistent\/GHSA-x\.json/);
    const ok = await pool.run([{ kind: 'file', path: join(OSV, 'npm-ghsa', 'GHSA-35jh-r3h4-6jhm.json'), name: 'a.json', location: 'a.json' }]);
    expect(ok.batch.ids).toEqual(['GHSA-35jh-r3h4-6jhm']);
  }, 30_000);
});

describe('importing on worker threads', () => {
  it('writes the same database as an in-thread import, and matches the same', async () => {
    const inThread = openVulnDb(':memory:');
    const onWorkers = openVulnDb(':memory:');
    const now = new Date('2026-01-01T00:00:00Z');
    for (const dir of ['npm-ghsa', 'pypi-pypa/vulns']) {
      const a = await importAdvisories(inThread, join(OSV, dir), { now, workers: 0 });
      const b = await importAdvisories(onWorkers, join(OSV, dir), { now, workers: 2, parallelMinBytes: 0 });
      expect(b).toEqual(a);
    }
    // again: every record unchanged both ways (the workers' packed blocks are not written)
    const blocks = (db: typeof inThread): number => db.prepare<[], number>('SELECT count(*) FROM vuln_records').pluck(true).get() ?? 0;
    const before = blocks(onWorkers);
    const again = await importAdvisories(onWorkers, join(OSV, 'npm-ghsa'), { now, workers: 2, parallelMinBytes: 0 });
    expect(again.counts).toMatchObject({ added: 0, updated: 0 });
    expect(again.counts).toEqual((await importAdvisories(inThread, join(OSV, 'npm-ghsa'), { now, workers: 0 })).counts);
    expect(blocks(onWorkers)).toBe(before);
    const status = (db: typeof inThread): unknown => ({ ...storeStatus(db), lastUpdate: null, imports: null, bySource: null });
    expect(status(onWorkers)).toEqual(status(inThread));
    expect(advisoriesById(onWorkers, 'CVE-2023-32681')).toEqual(advisoriesById(inThread, 'CVE-2023-32681'));
    const packages = [
      { ecosystem: 'PyPI', name: 'requests', version: '2.25.0' },
      { ecosystem: 'npm', name: 'lodash', version: '4.17.15' },
    ];
    expect(matchPackages(onWorkers, packages)).toEqual(matchPackages(inThread, packages));
    inThread.close();
    onWorkers.close();
  }, 60_000);
});
