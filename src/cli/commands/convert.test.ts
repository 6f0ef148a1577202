import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/cli.js';
import { FORMATS } from '../../report/registry.js';

const NOW = ['--now', '2026-11-28T12:00:00Z'];

describe('runwarden convert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-convert-'));
  const report = join(dir, 'report.json');
  beforeAll(async () => {
    expect((await cli(['scan', '--demo', '-f', 'json', '-o', report, ...NOW])).code).toBe(0);
  });

  it('writes every format exactly as the scan itself writes it', async () => {
    for (const format of FORMATS.map((f) => f.id)) {
      const direct = await cli(['scan', '--demo', '-f', format, ...NOW]);
      const converted = await cli(['convert', report, '-f', format]);
      expect([format, converted.code, converted.stderr]).toEqual([format, 0, '']);
      expect(converted.stdout).toBe(direct.stdout);
    }
  });

  it('reads "-" from stdin, writes --output, and gates with --fail-on', async () => {
    const text = readFileSync(report, 'utf8');
    const out = join(dir, 'report.sarif');
    const piped = await cli(['convert', '-', '-f', 'sarif', '-o', out, '--fail-on', 'critical'], { stdin: text });
    expect([piped.code, piped.stdout, piped.stderr]).toEqual([1, '', `runwarden: wrote sarif report to ${out} (219 findings, 2 issues)\n`]);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { version: string }).version).toBe('2.1.0');
    expect((await cli(['convert', report, '-f', 'json', '--fail-on', 'none'])).code).toBe(0);
  });

  it('refuses what is not a report of this schema in one line, and a bad flag naming the flag', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    writeFileSync(join(dir, 'sbom.json'), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6' }));
    const broken = JSON.parse(readFileSync(report, 'utf8')) as { findings: Array<{ severity: string }> };
    (broken.findings[3] as { severity: string }).severity = 'severe';
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(broken));
    writeFileSync(join(dir, 'v2.json'), JSON.stringify({ ...broken, schemaVersion: '2.0' }));
    const cases: Array<[string[], number, string]> = [
      [['convert', join(dir, 'notes.txt')], 3, `runwarden: error: "${join(dir, 'notes.txt')}" is not JSON: Unexpected token 'h', "hello" is not valid JSON.`],
      [['convert', join(dir, 'sbom.json')], 3, `runwarden: error: "${join(dir, 'sbom.json')}" is not a runwarden JSON report (schema 1.x): `],
      [['convert', join(dir, 'broken.json')], 3, `runwarden: error: "${join(dir, 'broken.json')}" is not a runwarden JSON report (schema 1.x): findings.3.severity: `],
      [['convert', join(dir, 'v2.json')], 3, `runwarden: error: "${join(dir, 'v2.json')}" is a report of schema version 2.0; this runwarden reads 1.x. Hint: Convert it with the runwarden that wrote it, or a newer one.\n`],
      [['convert', join(dir, 'missing.json')], 3, `runwarden: error: Cannot read "${join(dir, 'missing.json')}": ENOENT`],
      // no "Did you mean" for a value that is not a likely typo of any
      [['convert', report, '-f', 'pdf'], 2, 'runwarden: error: Unknown --format "pdf": expected one of table, json, sarif, cyclonedx, html.\n'],
      [['convert', report, '-f', 'htm'], 2, 'runwarden: error: Unknown --format "htm": expected one of table, json, sarif, cyclonedx, html. Did you mean "html"?\n'],
      [['convert', report, '--fail-on', 'hgh'], 2, 'runwarden: error: Unknown --fail-on "hgh": expected one of critical, high, medium, low, info, unknown, none. Did you mean "high"?\n'],
    ];
    // a report of manifests: not in a format that holds vulnerabilities only, as "check" itself refuses it
    const manifests = join(dir, 'check.json');
    await cli(['check', 'demo/cluster', '-f', 'json', '-o', manifests, ...NOW]);
    cases.push([['convert', manifests, '-f', 'cyclonedx'], 2, `runwarden: error: --format cyclonedx holds vulnerability findings; "${manifests}" is a report of manifests (runwarden check), whose findings are misconfigurations. Hint: Use one of table, json, sarif, html.\n`]);
    expect((await cli(['convert', manifests, '-f', 'html'])).code).toBe(0);
    for (const [args, code, start] of cases) {
      const run = await cli(args);
      expect([args.join(' '), run.code]).toEqual([args.join(' '), code]);
      expect(run.stderr.startsWith(start)).toBe(true);
      // one line: the message and its hint
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
