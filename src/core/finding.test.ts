import { describe, expect, it } from 'vitest';
import { countFindings, fingerprint, type Finding, type FindingKind, type Subject } from './finding.js';
import type { Severity } from './severity.js';

function finding(kind: FindingKind, severity: Severity, subject: Subject, key: string): Finding {
  return { id: fingerprint('r', subject, key), rule: 'r', kind, severity, title: key, subject, evidence: {}, remediation: '' };
}

describe('countFindings', () => {
  it('counts by kind, severity and namespace (none: ""), in first-seen order, as a joined key would', () => {
    const shop: Subject = { type: 'workload', namespace: 'shop', workload: { kind: 'Deployment', name: 'web' } };
    const pay: Subject = { type: 'container', namespace: 'pay', workload: { kind: 'Deployment', name: 'api' }, container: 'c' };
    const node: Subject = { type: 'node', node: 'n1' };
    const findings = [
      finding('vulnerability', 'high', shop, 'a'),
      finding('vulnerability', 'high', pay, 'b'),
      finding('vulnerability', 'high', { ...shop }, 'c'),
      finding('misconfiguration', 'high', shop, 'd'),
      finding('vulnerability', 'low', shop, 'e'),
      finding('node', 'medium', node, 'f'),
      finding('node', 'medium', node, 'g'),
    ];
    expect(countFindings(findings).map((c) => [c.kind, c.severity, c.namespace, c.count])).toEqual([
      ['vulnerability', 'high', 'shop', 2],
      ['vulnerability', 'high', 'pay', 1],
      ['misconfiguration', 'high', 'shop', 1],
      ['vulnerability', 'low', 'shop', 1],
      ['node', 'medium', '', 2],
    ]);
    expect(countFindings([])).toEqual([]);
    // only those `include` takes
    expect(countFindings(findings, (f) => f.severity !== 'high').map((c) => [c.kind, c.severity, c.namespace, c.count])).toEqual([
      ['vulnerability', 'low', 'shop', 1],
      ['node', 'medium', '', 2],
    ]);
  });
});
