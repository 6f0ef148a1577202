import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli } from '../../../test/cli.js';
import { TRACES_DIR } from '../../../test/audit.js';
import { ScanReportJson } from '../../report/json/schema.js';
import { parseReport } from '../../report/json/read.js';

const DEMO_LOG = join(process.cwd(), 'demo', 'audit', 'audit.log');
const NOW = ['--now', '2026-11-30T12:00:00Z'];
const detect = (args: string[], stdin?: string) => cli(['audit', 'detect', ...args], stdin === undefined ? {} : { stdin });
const json = (text: string): ScanReportJson => ScanReportJson.parse(JSON.parse(text));

describe('runwarden audit detect', () => {
  it('tells the demo log\'s story: each detection once, by whom, and nothing for the routine traffic', async () => {
    const run = await detect([DEMO_LOG, '-f', 'json', ...NOW]);
    expect(run.code).toBe(0);
    const report = json(run.stdout);
    expect(report.source).toEqual({ type: 'audit-log', location: DEMO_LOG });
    expect(report.summary).toMatchObject({ events: 17, findings: 17, issues: 0 });
    expect(report.findings.map((f) => [f.evidence['time'], f.rule, f.severity, f.evidence['user']])).toEqual([
      ['2026-11-30T09:05:11.041000Z', 'pod-exec', 'medium', 'alice@acme.io'],
      ['2026-11-30T09:07:02.041000Z', 'secret-read', 'medium', 'alice@acme.io'],
      ['2026-11-30T09:10:45.041000Z', 'secret-read', 'high', 'system:serviceaccount:storefront:web'],
      ['2026-11-30T09:12:20.041000Z', 'host-namespace-pod-created', 'high', 'alice@acme.io'],
      ['2026-11-30T09:15:03.041000Z', 'cluster-admin-bound', 'high', 'mallory@contractor.example'],
      // her DaemonSet's template, then the pod its controller makes of it
      ['2026-11-30T09:16:38.041000Z', 'sensitive-mount-pod-created', 'critical', 'mallory@contractor.example'],
      ['2026-11-30T09:16:38.041000Z', 'privileged-pod-created', 'high', 'mallory@contractor.example'],
      ['2026-11-30T09:16:38.041000Z', 'host-namespace-pod-created', 'high', 'mallory@contractor.example'],
      ['2026-11-30T09:16:38.041000Z', 'kube-namespace-pod-created', 'medium', 'mallory@contractor.example'],
      ['2026-11-30T09:16:40.041000Z', 'sensitive-mount-pod-created', 'critical', 'system:serviceaccount:kube-system:daemon-set-controller'],
      ['2026-11-30T09:16:40.041000Z', 'privileged-pod-created', 'high', 'system:serviceaccount:kube-system:daemon-set-controller'],
      ['2026-11-30T09:16:40.041000Z', 'host-namespace-pod-created', 'high', 'system:serviceaccount:kube-system:daemon-set-controller'],
      ['2026-11-30T09:16:40.041000Z', 'kube-namespace-pod-created', 'medium', 'system:serviceaccount:kube-system:daemon-set-controller'],
      ['2026-11-30T09:20:31.041000Z', 'anonymous-request-allowed', 'high', 'system:anonymous'],
      ['2026-11-30T09:22:12.041000Z', 'configmap-credentials', 'medium', 'bob@acme.io'],
      ['2026-11-30T09:25:50.041000Z', 'nodeport-service-created', 'medium', 'bob@acme.io'],
      ['2026-11-30T09:30:05.041000Z', 'wildcard-role-created', 'high', 'mallory@contractor.example'],
    ]);
    // the ConfigMap's password is named by its key, never quoted
    expect(run.stdout).not.toContain('Winter2026!');
    const out = join(mkdtempSync(join(tmpdir(), 'rw-audit-')), 'report.json');
    const toFile = await detect([DEMO_LOG, '-f', 'json', '-o', out, ...NOW]);
    expect(toFile.stderr).toContain('17 events (1 at stage RequestReceived or Panic not evaluated), 17 detections, 0 issues');
    // the report reads back (convert, the admission webhook)
    expect(parseReport(run.stdout, 'r.json').summary.byKind.detection).toBe(17);
  });

  it('prints a table grouped by pod and namespace, and --fail-on decides the exit code', async () => {
    const table = await detect([DEMO_LOG, '--no-color', ...NOW]);
    expect(table.stdout).toContain('17 audit events');
    expect(table.stdout).toContain('kube-system / DaemonSet node-tuner');
    expect(table.stdout).toContain('storefront / pod web-mcwvb9ggjj-jql9v');
    expect(table.stdout).toContain('Exec into pod storefront/web-mcwvb9ggjj-jql9v (container web): sh by alice@acme.io');
    expect((await detect([DEMO_LOG, '--fail-on', 'critical', '-f', 'json', ...NOW])).code).toBe(1);
    expect((await detect([DEMO_LOG, '--fail-on', 'critical', '--trust-image', 'alpine', '-f', 'json', ...NOW])).code).toBe(0);
  });

  it('turns rules off and optional rules on, from flags and the settings file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-audit-'));
    const config = join(dir, 'runwarden.yaml');
    writeFileSync(config, 'audit:\n  secretReaders: ["alice@acme.io"]\n  disabled: [pod-exec]\n');
    const run = await detect([DEMO_LOG, '-f', 'json', '--config', config, '--disable', 'wildcard-role-created', '--activity', '--allowed-user', 'alice@acme.io', ...NOW]);
    const rules = json(run.stdout).findings.map((f) => `${f.rule}:${String(f.evidence['user'])}`);
    expect(rules).not.toContain('pod-exec:alice@acme.io');
    expect(rules).not.toContain('secret-read:alice@acme.io');
    expect(rules).toContain('secret-read:system:serviceaccount:storefront:web');
    expect(rules.filter((r) => r.startsWith('wildcard-role-created'))).toEqual([]);
    expect(rules).toContain('unexpected-user:bob@acme.io');
    expect(rules).toContain('unexpected-user:mallory@contractor.example');
    expect(rules).toContain('change-trail:mallory@contractor.example');
  });

  it('keeps detections accepted by audit.exceptions in the report, marked with the reason, out of the counts and --fail-on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-audit-'));
    const config = join(dir, 'runwarden.yaml');
    writeFileSync(
      config,
      [
        'audit:',
        '  exceptions:',
        '    - rules: [sensitive-mount-pod-created, privileged-pod-created, host-namespace-pod-created, kube-namespace-pod-created]',
        '      namespaces: [kube-system]',
        '      reason: node tuning DaemonSet, approved in OPS-77',
        '      expires: "2027-03-31"',
        '    - rules: [pod-exec]',
        '      users: [alice@acme.io]',
        '      reason: on-call',
        '      expires: "2026-01-31"',
      ].join('\n'),
    );
    const run = await detect([DEMO_LOG, '-f', 'json', '--config', config, '--fail-on', 'critical', ...NOW]);
    expect(run.code).toBe(0);
    const report = json(run.stdout);
    const accepted = report.findings.filter((f) => f.suppression !== undefined);
    expect(accepted).toHaveLength(8);
    expect(accepted[0]?.suppression).toEqual({ kind: 'config', reason: 'node tuning DaemonSet, approved in OPS-77', source: 'config audit.exceptions[0]', expires: '2027-03-31' });
    expect(report.summary.findings).toBe(9);
    // the expired one accepts nothing, and says so
    expect(report.findings.find((f) => f.rule === 'pod-exec')?.suppression).toBeUndefined();
    expect(report.issues.map((i) => i.message)).toEqual(['config audit.exceptions[1] (pod-exec: "on-call") expired on 2026-01-31; its detections are reported again']);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'audit:\n  exceptions:\n    - rules: [pod-exek]\n      reason: typo\n');
    const badRun = await detect([DEMO_LOG, '--config', bad]);
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toContain(`audit.exceptions[0].rules (config file ${bad}): unknown rule "pod-exek"; did you mean "pod-exec"?`);
    const noReason = join(dir, 'no-reason.yaml');
    writeFileSync(noReason, 'audit:\n  exceptions:\n    - rules: [pod-exec]\n');
    expect((await detect([DEMO_LOG, '--config', noReason])).stderr).toContain('reason');
  });

  it('reads stdin, gzip-rotated logs and several files, and --since leaves older events out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-audit-'));
    const gz = join(dir, 'audit-2026-11-30T09-00-00.000.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(TRACES_DIR, 'exec_pod.json'))));
    const run = await detect(['-', gz, '-f', 'json', ...NOW], readFileSync(join(TRACES_DIR, 'attach_pod.json'), 'utf8'));
    expect(json(run.stdout).findings.map((f) => f.evidence['action'])).toEqual(['exec', 'attach']);
    const out = join(dir, 'since.json');
    const since = await detect([DEMO_LOG, '-f', 'json', '-o', out, '--since', '2026-11-30T09:20:00Z', ...NOW]);
    expect(json(readFileSync(out, 'utf8')).summary.findings).toBe(4);
    expect(since.stderr).toContain('12 before --since');
    expect(json((await detect([DEMO_LOG, '-f', 'json', '--since', '2h40m', ...NOW])).stdout).summary.findings).toBe(4);
  });

  it('keeps the good events of a damaged log and lists what it skipped as issues', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-audit-'));
    const log = join(dir, 'audit.log');
    writeFileSync(log, `${readFileSync(join(TRACES_DIR, 'fal_01_003.json'), 'utf8')}\n${readFileSync(join(TRACES_DIR, 'exec_pod.json'), 'utf8').trim()}\n{"kind":"Event","audit`);
    const run = await detect([log, '-f', 'json', ...NOW]);
    expect(run.code).toBe(0);
    const report = json(run.stdout);
    expect(report.findings.map((f) => f.rule)).toEqual(['pod-exec']);
    expect(report.issues.map((i) => i.code)).toEqual(['audit-event-invalid', 'audit-line-invalid']);
    expect(report.issues[1]?.message).toBe(`${log}:3: not JSON; skipped`);
  });

  it('answers bad input with one line naming the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-audit-'));
    const missing = await detect([join(dir, 'nope.log')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/Cannot read audit log ".*nope\.log": ENOENT/);
    const folder = await detect([dir]);
    expect(folder.stderr).toContain(`"${dir}" is a directory`);
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    expect((await detect([empty])).stderr).toContain('No audit events in');
    const badRule = await detect([DEMO_LOG, '--disable', 'pod-exek']);
    expect(badRule.code).toBe(2);
    expect(badRule.stderr).toContain('--disable: unknown rule "pod-exek"');
    expect(badRule.stderr).toContain('did you mean "pod-exec"?');
    const badFormat = await detect([DEMO_LOG, '-f', 'cyclonedx']);
    expect(badFormat.stderr).toContain('Unknown --format "cyclonedx"');
    const badSince = await detect([DEMO_LOG, '--since', 'yesterday']);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('--since');
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'audit:\n  disabled: [nope]\n');
    const badConfig = await detect([DEMO_LOG, '--config', config]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain(`audit.disabled (config file ${config}): unknown rule "nope"`);
  });

  it('lists every rule in its help', async () => {
    const help = await cli(['audit', 'detect', '--help']);
    for (const rule of ['pod-exec', 'cluster-admin-bound', 'change-trail']) expect(help.stdout).toContain(rule);
  });
});
