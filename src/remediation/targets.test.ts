import { describe, expect, it } from 'vitest';
import type { Finding, Subject } from '../core/finding.js';
import type { Severity } from '../core/severity.js';
import { containerTargets, fixesByConstruction } from './targets.js';

const subject = (container = 'web', image = 'ghcr.io/acme/web:2.4.1'): Subject => ({ type: 'container', namespace: 'shop', workload: { kind: 'Deployment', name: 'web' }, container, image });

function vuln(id: string, pkg: string, severity: Severity, extra: Partial<Finding> & { fixStatus?: string } = {}): Finding {
  const { fixStatus, ...rest } = extra;
  return {
    id: `${id}-${pkg}`,
    rule: 'vulnerable-package',
    kind: 'vulnerability',
    severity,
    title: id,
    subject: subject(),
    evidence: { vulnerability: id, package: { name: pkg }, installedVersion: '1.0.0', fixedVersions: ['1.0.1'], fixStatus: fixStatus ?? 'fixed' },
    remediation: '',
    ...rest,
  };
}

function lifecycle(rule: string, severity: Severity, evidence: Record<string, unknown>, s: Subject = subject()): Finding {
  return { id: `${rule}-${JSON.stringify(evidence)}`, rule, kind: rule === 'end-of-life' || rule === 'vendor-end-of-life' ? 'end-of-life' : 'outdated', severity, title: `${rule} title`, subject: s, evidence, remediation: '' };
}

const newer = lifecycle('newer-tag', 'low', { current: '2.4.1', newestPatch: '2.4.3', newestMinor: '2.6.0', newestMajor: '3.0.1' });
const drift = lifecycle('digest-drift', 'medium', { tag: '2.4.1', runningDigest: 'sha256:aa', currentDigest: 'sha256:bb' });

describe('containerTargets', () => {
  it('keeps fixable vulnerabilities at or above the threshold, and knows every one the image has', () => {
    const [t] = containerTargets([vuln('CVE-1', 'lodash', 'critical'), vuln('CVE-2', 'ws', 'medium'), vuln('CVE-3', 'qs', 'high', { fixStatus: 'affected' }), vuln('CVE-4', 'ms', 'high', { suppression: { kind: 'vex', reason: 'not reachable', source: 'vex.json' } }), newer], { severity: 'high', allowMajor: false });
    expect(t?.targets.map((x) => x.key)).toEqual(['CVE-1 lodash', 'newer-tag']);
    expect([...(t?.known ?? [])].sort()).toEqual(['CVE-1 lodash', 'CVE-2 ws', 'CVE-3 qs', 'CVE-4 ms']);
    expect(containerTargets([vuln('CVE-2', 'ws', 'medium'), newer], { severity: 'medium', allowMajor: false })[0]?.targets.map((x) => x.key)).toEqual(['CVE-2 ws', 'newer-tag']);
  });

  it('orders candidates smallest first whatever the order of the findings: digest, patch, minor, next cycle, major only when allowed', () => {
    const eol = lifecycle('end-of-life', 'high', { state: 'eol', product: 'nodejs', cycle: '16', nextSupportedCycle: '22', detectedBy: ['image-reference: node:16-alpine'] }, subject('app', 'docker.io/library/node:16-alpine'));
    const nodeNewer = lifecycle('newer-tag', 'info', { current: '16-alpine', newestMinor: undefined, newestPatch: undefined }, subject('app', 'docker.io/library/node:16-alpine'));
    const [web, app] = containerTargets([newer, drift, eol, nodeNewer], { severity: 'high', allowMajor: true });
    expect(web?.candidates).toEqual([
      { change: 'digest', tag: '2.4.1', digest: 'sha256:bb' },
      { change: 'patch', tag: '2.4.3', digest: undefined },
      { change: 'minor', tag: '2.6.0', digest: undefined },
      { change: 'major', tag: '3.0.1', digest: undefined },
    ]);
    expect(app?.candidates).toEqual([{ change: 'cycle', tag: '22-alpine', digest: undefined }]);
    expect(containerTargets([newer], { severity: 'high', allowMajor: false })[0]?.candidates.map((c) => c.change)).toEqual(['patch', 'minor']);
  });

  it('end of life below the threshold (extended support, the look-ahead) is known, not a target', () => {
    const lts = lifecycle('end-of-life', 'medium', { state: 'eol', product: 'debian', cycle: '12' });
    const past = lifecycle('end-of-life', 'high', { state: 'eol', product: 'alpine', cycle: '3.20', detectedBy: ['os-release: /etc/os-release'], nextSupportedCycle: '3.22' });
    const [t] = containerTargets([lts, past, newer], { severity: 'high', allowMajor: false });
    expect(t?.targets.map((x) => x.key)).toEqual(['eol alpine', 'newer-tag']);
    expect(t?.known.has('eol debian')).toBe(true);
    // found by os-release, not the image's tag: no tag for the next cycle is made up
    expect(t?.candidates.map((c) => c.change)).toEqual(['patch', 'minor']);
  });

  it('leaves containers with nothing to fix, findings about other subjects and the newer-tag finding without a newer tag out', () => {
    const nodeFinding = { ...vuln('CVE-9', 'openssl', 'critical'), subject: { type: 'node' as const, node: 'n1' } };
    expect(containerTargets([nodeFinding, vuln('CVE-2', 'ws', 'low'), lifecycle('newer-tag', 'info', { current: '2.4.1' })], { severity: 'high', allowMajor: false })).toEqual([]);
  });
});

describe('fixesByConstruction', () => {
  it('a re-pull fixes the drift, not a newer tag; another tag fixes both; vulnerabilities need a scan', () => {
    const [t] = containerTargets([drift, newer, vuln('CVE-1', 'lodash', 'high')], { severity: 'high', allowMajor: false });
    const [repull, patch] = t?.candidates ?? [];
    const byType = (c: typeof repull) => Object.fromEntries((t?.targets ?? []).map((x) => [x.type, fixesByConstruction(x, c as NonNullable<typeof repull>)]));
    expect(byType(repull)).toEqual({ 'digest-drift': true, 'newer-tag': false, vulnerability: false });
    expect(byType(patch)).toEqual({ 'digest-drift': true, 'newer-tag': true, vulnerability: false });
  });
});
