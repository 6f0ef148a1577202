import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { ALL_LIFECYCLE_RULES } from '../../lifecycle/scan.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../../test/cli.js';
import { CHECKS } from '../../policy/registry.js';

const UPSTREAM = join(process.cwd(), 'testdata', 'upstream', 'cluster-state');
const NOW = ['--now', '2026-11-28T12:00:00Z'];

describe('runwarden scan', () => {
  it('prints a plain table grouped by workload when stdout is not a terminal', async () => {
    const run = await cli(['scan', '--demo', ...NOW]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\x1b[');
    expect(run.stdout).toContain('storefront / Deployment cart\n');
    expect(run.stdout).toMatch(/MEDIUM +mixed-versions +2 different digests of ghcr\.io\/acme\/cart:latest/);
    expect(run.stdout).toContain('Findings: 219 (9 critical, 39 high, 113 medium, 43 low, 1 info, 14 unknown)');
    expect(run.stdout).toContain('Suppressed: 5 finding(s) accepted by exceptions');
  });

  it('colours the table on a terminal unless NO_COLOR or --no-color', async () => {
    expect((await cli(['scan', '--demo', ...NOW], { tty: true })).stdout).toContain('\x1b[');
    expect((await cli(['scan', '--demo', ...NOW], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\x1b[');
    expect((await cli(['scan', '--demo', '--no-color', ...NOW], { tty: true })).stdout).not.toContain('\x1b[');
  });

  it('scans the upstream cluster-state dumps with --snapshot --format json', async () => {
    const run = await cli(['scan', '--snapshot', UPSTREAM, '--format', 'json', ...NOW]);
    const report = JSON.parse(run.stdout) as { summary: { nodes: number; pods: number; byRule: Record<string, number> }; findings: Array<{ rule: string; subject: { container?: string } }> };
    expect(run.code).toBe(0);
    expect(report.summary.nodes).toBe(8);
    expect(report.summary.pods).toBe(3);
    expect(report.summary.byRule['stale-image']).toBeGreaterThan(100);
    // the nginx pod uses the short name "nginx" → :latest; the apiserver pod's ephemeral busybox debugger too
    expect(report.findings.filter((f) => f.rule === 'unpinned-image').map((f) => f.subject.container).sort()).toEqual(['debugger', 'nginx']);
  });

  it('writes SARIF 2.1.0 with one rule per check and one result per finding', async () => {
    const run = await cli(['scan', '--demo', '--format', 'sarif', ...NOW]);
    const sarif = JSON.parse(run.stdout) as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; level: string; partialFingerprints: Record<string, string> }> }> };
    expect(sarif.version).toBe('2.1.0');
    const runOut = sarif.runs[0]!;
    expect(runOut.tool.driver.rules.map((r) => r.id).sort()).toEqual([...new Set([...CHECKS.map((c) => c.id), ...runOut.results.map((r) => r.ruleId)])].sort());
    expect(runOut.tool.driver.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['vulnerable-package', 'malware', 'end-of-life', 'node-kubelet-eol']));
    // every finding, suppressed ones included (as SARIF suppressions)
    expect(runOut.results).toHaveLength(224);
    expect(runOut.results.filter((r) => r.level === 'error')).toHaveLength(9 + 39 + 2);
    expect(runOut.results.every((r) => /^[a-f0-9]{16}$/.test(r.partialFingerprints['runwarden/v1'] ?? ''))).toBe(true);
  });

  it('applies --vex to the running images\' vulnerabilities: a statement about one image leaves the same package in another image alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-vex-'));
    // the demo's storefront-web image (Deployment web) and cart image (Deployment cart) both carry lodash with CVE-2021-23337
    const web = 'sha256:00b5974ccd0c722eac4aaa27a0b27d019fcc53b60e2b2f3423916ba016ac5246';
    const vex = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [
        { vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': `pkg:oci/storefront-web@${web.replace(':', '%3A')}` }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
        { vulnerability: { name: 'CVE-2021-23337' }, products: ['pkg:npm/lodash'], status: 'sideways' },
      ],
    };
    writeFileSync(join(dir, 'vex.json'), JSON.stringify(vex));
    const run = await cli(['scan', '--demo', '-f', 'json', '--vex', join(dir, 'vex.json'), ...NOW]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { summary: { findings: number; issues: number }; findings: Array<{ evidence: { ids?: string[]; imageDigest?: string; vex?: { status: string } }; suppression?: { reason: string } }>; issues: Array<{ code: string; message: string }> };
    const lodash = report.findings.filter((f) => f.evidence.ids?.includes('CVE-2021-23337') === true);
    expect(lodash.map((f) => [f.evidence.imageDigest === web, f.suppression?.reason])).toEqual([
      [false, undefined],
      [true, 'VEX not_affected (vulnerable_code_not_in_execute_path)'],
    ]);
    // one finding fewer in the counts; the bad statement is an issue, the others apply
    expect(report.summary.findings).toBe(218);
    const table = await cli(['scan', '--demo', '--vex', join(dir, 'vex.json'), ...NOW]);
    expect(table.stdout).toContain('Suppressed: 6 finding(s) accepted by exceptions (5) or VEX statements (1)');
    expect(report.issues.filter((i) => i.code === 'vex-invalid')).toHaveLength(1);
    // --vex without anything that matches the running images is a usage error
    const alone = await cli(['scan', '--snapshot', UPSTREAM, '--vex', join(dir, 'vex.json'), ...NOW]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^runwarden: error: --vex applies to the vulnerabilities of the running images: add --db/);
  });

  it('writes the report to --output and says so on stderr', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rw-out-')), 'report.json');
    const run = await cli(['scan', '--demo', '-f', 'json', '-o', out, ...NOW]);
    expect(run.stdout).toBe('');
    // the two issues: the demo's advisories hold no Debian 12 nor Alpine v3.20 (test/demo.test.ts)
    expect(run.stderr).toBe(`runwarden: wrote json report to ${out} (219 findings, 2 issues)\n`);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { findings: unknown[] }).findings).toHaveLength(224);
  });

  it('exits 1 when a finding is at or above --fail-on, 0 below it', async () => {
    expect((await cli(['scan', '--demo', '--fail-on', 'critical', ...NOW])).code).toBe(1);
    expect((await cli(['scan', '--demo', '--rules', 'stale-image,mixed-versions', '--fail-on', 'medium', ...NOW])).code).toBe(1);
    expect((await cli(['scan', '--demo', '--rules', 'stale-image,mixed-versions', '--fail-on', 'high', ...NOW])).code).toBe(0);
    expect((await cli(['scan', '--demo', '--fail-on', 'none', ...NOW])).code).toBe(0);
  });

  it('limits the scan to --namespace and says why stale-image was skipped', async () => {
    const run = await cli(['scan', '--demo', '-n', 'storefront,payments', '-f', 'json', ...NOW]);
    const report = JSON.parse(run.stdout) as { summary: { pods: number }; issues: Array<{ code: string; location?: string }>; findings: Array<{ subject: { namespace?: string } }> };
    expect(report.summary.pods).toBe(10);
    // cluster-level findings (a group allowed to exec anywhere) have no namespace and stay
    expect(report.findings.every((f) => f.subject.namespace === undefined || ['storefront', 'payments'].includes(f.subject.namespace))).toBe(true);
    expect(report.findings.some((f) => f.subject.namespace === 'batch')).toBe(false);
    expect(report.issues.map((i) => [i.code, i.code === 'vuln-no-advisories' ? i.location : ''])).toEqual([['stale-image-skipped', ''], ['vuln-no-advisories', 'Debian:12']]);
  });

  it('takes settings from RUNWARDEN_* variables and a --config file, flags winning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-cfg-'));
    writeFileSync(join(dir, 'rw.yaml'), 'format: sarif\nfailOn: low\n');
    const fromFile = await cli(['scan', '--demo', '--config', join(dir, 'rw.yaml'), ...NOW]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stdout).toContain('"version": "2.1.0"');
    const fromEnv = await cli(['scan', '--demo', '--config', join(dir, 'rw.yaml'), ...NOW], { env: { RUNWARDEN_FORMAT: 'json' } });
    expect(fromEnv.stdout).toContain('"schemaVersion": "1.0"');
    const fromFlag = await cli(['scan', '--demo', '--config', join(dir, 'rw.yaml'), '--format', 'table', '--fail-on', 'none', ...NOW], { env: { RUNWARDEN_FORMAT: 'json' } });
    expect(fromFlag.stdout).toContain('Findings: 219');
    expect(fromFlag.code).toBe(0);
  });
});

describe('runwarden scan on bad input (exit 2, one line, no stack)', () => {
  const cases: Array<[string, string[], string]> = [
    ['an unknown format', ['--format', 'jsn'], 'runwarden: error: Unknown --format "jsn": expected one of table, json, sarif, cyclonedx, html. Did you mean "json"?\n'],
    ['an unknown --fail-on', ['--fail-on', 'hihg'], 'runwarden: error: Unknown --fail-on "hihg": expected one of critical, high, medium, low, info, unknown, none. Did you mean "high"?\n'],
    ['an invalid namespace', ['-n', 'Kube_System'], 'runwarden: error: Invalid --namespace "Kube_System" (flag): must be a DNS-1123 label (lowercase letters, digits, "-"), e.g. "kube-system".\n'],
    ['an unknown rule', ['--rules', 'stale-images'], `runwarden: error: Unknown --rules "stale-images": expected one of ${[...CHECKS.map((c) => c.id), 'vulnerable-package', 'malware', ...ALL_LIFECYCLE_RULES].join(', ')}. Did you mean "stale-image"?\n`],
    ['two sources', ['--snapshot', 'x'], 'runwarden: error: --demo and --snapshot cannot be combined: pick one source.\n'],
    ['a bad --now', ['--now', 'yesterday'], 'runwarden: error: Invalid --now "yesterday": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".\n'],
  ];
  it.each(cases)('names the flag and the fix for %s', async (_name, args, message) => {
    const run = await cli(['scan', '--demo', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(message);
    expect(run.stdout).toBe('');
  });

  it('suggests the closest option for a mistyped flag', async () => {
    const run = await cli(['scan', '--fromat', 'json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: unknown option '--fromat'");
    expect(run.stderr).toContain('(Did you mean --format?)');
  });

  it('suggests the closest command for a mistyped command', async () => {
    const run = await cli(['scna']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('(Did you mean scan?)');
  });

  it('names a missing snapshot path with a hint', async () => {
    const run = await cli(['scan', '--snapshot', '/nonexistent/dump.json']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('runwarden: error: Cannot read snapshot "/nonexistent/dump.json": ENOENT: no such file or directory, stat \'/nonexistent/dump.json\'. Hint: Pass a directory or file of "kubectl get … -o json|yaml" output to --snapshot.\n');
  });

  it('names the config variable that is wrong', async () => {
    const run = await cli(['scan', '--demo'], { env: { RUNWARDEN_FAIL_ON: 'severe' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^runwarden: error: Invalid RUNWARDEN_FAIL_ON \(environment\): "severe" — /);
  });

  it('names an unknown key in a config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-cfg-'));
    writeFileSync(join(dir, 'rw.yaml'), 'formt: json\n');
    const run = await cli(['scan', '--demo', '--config', join(dir, 'rw.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^runwarden: error: Unknown setting\(s\) "formt" in config file .*rw\.yaml\. Hint: Known settings: format, output/);
  });

  it('prints the stack only with --debug', async () => {
    const plain = await cli(['scan', '--snapshot', '/nonexistent']);
    expect(plain.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    const debug = await cli(['scan', '--debug', '--snapshot', '/nonexistent']);
    expect(debug.stderr).toContain('    at ');
  });
});

describe('runwarden scan --sbom-dir', () => {
  it('names the missing vulnerability database with the command that creates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-sbom-'));
    const run = await cli(['scan', '--demo', '--sbom-dir', dir, '--db', join(dir, 'none.db')]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^runwarden: error: Cannot open database ".*none\.db": .* Hint: Pass a writable path with --db, or set RUNWARDEN_DB\.\n$/);
  });

  it('refuses --db on a snapshot without a way to read the images', async () => {
    const run = await cli(['scan', '--snapshot', join(process.cwd(), 'demo', 'cluster'), '--db', join(mkdtempSync(join(tmpdir(), 'rw-scan-db-')), 'x.db')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('runwarden: error: --db needs a way to read the running images: --image-dir DIR (OCI layouts), --pull-images (registries), --containerd-root/--containerd-address (on a node), or --sbom-dir DIR.\n');
  });

  it('reports SBOM files that are not named after an image digest, and still matches the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-sbom-'));
    writeFileSync(join(dir, 'web.cdx.json'), '{}');
    const dbFile = join(dir, 'vuln.db');
    const imported = await cli(['db', 'import', join(process.cwd(), 'demo', 'advisories', 'osv'), '--db', dbFile]);
    expect(imported.code).toBe(0);
    const run = await cli(['scan', '--demo', '--sbom-dir', dir, '--db', dbFile, '-f', 'json', ...NOW]);
    const report = JSON.parse(run.stdout) as { issues: Array<{ code: string; message: string }> };
    // the user's folder replaces demo/sboms, so fraud-scorer (not in demo/images) is unresolved
    expect(report.issues.map((i) => i.code).filter((c) => c !== 'vuln-no-advisories')).toEqual(['sbom-name', 'image-unresolved']);
    expect(report.issues[0]?.message).toContain('SBOM files are named after the image digest, e.g. sha256-<64 hex>.cdx.json');
    expect(report.issues.map((i) => i.code)).not.toContain('vuln-db-stale');
    // three days later: the running images were matched against old data, which the report says (the
    // vulndb config's staleAfterHours decides how old is too old)
    const config = join(dir, 'vulndb.yaml');
    const later = ['--now', new Date(Date.now() + 72 * 3_600_000).toISOString()];
    const codes = async (hours: number): Promise<string[]> => {
      writeFileSync(config, `staleAfterHours: ${hours}\n`);
      const r = await cli(['scan', '--demo', '--sbom-dir', dir, '--db', dbFile, '-f', 'json', ...later], { env: { RUNWARDEN_VULNDB_CONFIG: config } });
      return (JSON.parse(r.stdout) as { issues: Array<{ code: string }> }).issues.map((i) => i.code);
    };
    expect(await codes(48)).toContain('vuln-db-stale');
    expect(await codes(100)).not.toContain('vuln-db-stale');
  });
});

describe('runwarden scan --image-dir (running images read from OCI layouts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-scan-images-'));
  const dbFile = join(dir, 'vuln.db');
  const snapshot = join(process.cwd(), 'demo', 'cluster');
  const images = join(process.cwd(), 'demo', 'images');
  let imported: Promise<void> | undefined;
  const withDb = (): Promise<void> =>
    (imported ??= (async () => {
      for (const feed of ['osv', 'alpine-secdb']) expect((await cli(['db', 'import', join(process.cwd(), 'demo', 'advisories', feed), '--db', dbFile])).code).toBe(0);
    })());

  it('catalogs each running digest once, reports vulnerabilities per workload container, and turns the image it cannot read into one issue', async () => {
    await withDb();
    const run = await cli(['scan', '--snapshot', snapshot, '--image-dir', images, '--db', dbFile, '--rules', 'vulnerable-package', '-f', 'json', ...NOW]);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { findings: Array<{ subject: { workload?: { name: string } }; evidence: Record<string, unknown> }>; issues: Array<{ code: string; message: string; hint?: string }> };
    expect(new Set(report.findings.map((f) => f.subject.workload?.name))).toEqual(new Set(['web', 'cart', 'payments-api', 'nightly-report']));
    // fraud-scorer's image is not in demo/images (the demo has its SBOM instead): one issue with the fix;
    // and one per release the demo advisories do not cover, naming its images
    expect(report.issues.map((i) => [i.code, i.message.replace(/ \(.*\)/, '')]).slice(1)).toEqual([
      ['vuln-no-advisories', 'The database holds no advisories for Alpine v3.20: the Alpine v3.20 packages of 4 images were not checked for vulnerabilities'],
      ['vuln-no-advisories', 'The database holds no advisories for Debian 12: the Debian 12 packages of 9 images were not checked for vulnerabilities'],
    ]);
    expect(report.issues.slice(0, 1)).toEqual([
      {
        code: 'image-unresolved',
        message: expect.stringMatching(/^Image registry\.acme\.io\/payments\/fraud-scorer@sha256:[a-f0-9]{64} \(linux\/amd64\), run by payments\/fraud-scorer, could not be read, so it was not checked for vulnerabilities — image-dir: not in .*demo\/images$/),
        location: expect.stringMatching(/^registry\.acme\.io\/payments\/fraud-scorer@sha256:/),
        hint: `To scan it: add its OCI layout to ${images} (skopeo copy docker://<repo>@<digest> oci:${images}/<name>).`,
      },
    ]);
  });

  it('reads every layer once: a second scan finds them all in the layer cache of the same database', async () => {
    await withDb();
    const cacheDb = join(dir, 'cache.db');
    expect((await cli(['db', 'import', join(process.cwd(), 'demo', 'advisories', 'osv'), '--db', cacheDb])).code).toBe(0);
    const first = await cli(['scan', '--snapshot', snapshot, '--image-dir', images, '--db', cacheDb, '-f', 'json', ...NOW]);
    const { LayerCache } = await import('../../image/analysis/cache.js');
    const cache = LayerCache.open(cacheDb);
    const layers = cache.stats().layers;
    cache.close();
    expect(layers).toBeGreaterThan(10);
    const second = await cli(['scan', '--snapshot', snapshot, '--image-dir', images, '--db', cacheDb, '-f', 'json', ...NOW]);
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout));
  });

  it('reports an image directory that cannot be read as an issue, and every image as unresolved', async () => {
    await withDb();
    const run = await cli(['scan', '--snapshot', snapshot, '--image-dir', join(dir, 'missing'), '--db', dbFile, '--rules', 'vulnerable-package', '-f', 'json', ...NOW]);
    const report = JSON.parse(run.stdout) as { findings: unknown[]; issues: Array<{ code: string }> };
    expect(run.code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.issues[0]?.code).toBe('image-dir');
    expect(report.issues.filter((i) => i.code === 'image-unresolved')).toHaveLength(19);
  });

  it('scans only the images of pods on --image-node', async () => {
    await withDb();
    const run = await cli(['scan', '--snapshot', snapshot, '--image-dir', images, '--db', dbFile, '--rules', 'vulnerable-package', '--image-node', 'aks-system-31415926-vmss000000', '-f', 'json', ...NOW]);
    const report = JSON.parse(run.stdout) as { findings: unknown[]; issues: unknown[] };
    // the system node runs kube-proxy, coredns, metrics-server, node-exporter, prometheus and grafana: no CVE in the
    // demo data, whose advisories do not cover their Debian 12 and Alpine v3.20 packages (and say so)
    expect([run.code, report.findings, (report.issues as Array<{ location: string }>).map((i) => i.location)]).toEqual([0, [], ['Alpine:v3.20', 'Debian:12']]);
  });

  it('exits 1 with --fail-on when a running image has a vulnerability at or above it', async () => {
    await withDb();
    const critical = await cli(['scan', '--snapshot', snapshot, '--image-dir', images, '--db', dbFile, '--rules', 'vulnerable-package', '--fail-on', 'critical', ...NOW]);
    expect(critical.code).toBe(1);
    expect(critical.stdout).toContain('CVE-2021-44906: Prototype Pollution in minimist (minimist 1.2.5)');
    expect(critical.stdout).toMatch(/at \/app\/node_modules\/minimist\/package\.json \(layer 2\/2 sha256:[a-f0-9]{12}\)/);
  });
});
