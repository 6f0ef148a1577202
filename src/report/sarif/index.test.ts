import { describe, expect, it } from 'vitest';
import { foundationReport as sampleReport, hardeningReport } from '../../../test/policy-report.js';
import { CHECKS } from '../../policy/registry.js';
import { toSarif } from './index.js';

interface SarifRun {
  tool: { driver: { name: string; rules: Array<{ id: string; properties: Record<string, unknown>; defaultConfiguration: { level: string } }> } };
  results: Array<{ ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: Array<{ logicalLocations: Array<{ fullyQualifiedName: string }> }> }>;
  invocations: Array<{ toolExecutionNotifications: Array<{ message: { text: string } }> }>;
}

describe('sarif report', () => {
  const sarif = toSarif(sampleReport()) as { version: string; $schema: string; runs: SarifRun[] };
  const run = sarif.runs[0]!;

  it('is SARIF 2.1.0 with one rule per check', () => {
    expect(sarif.version).toBe('2.1.0');
    expect(run.tool.driver.name).toBe('runwarden');
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(CHECKS.map((c) => c.id));
    expect(run.tool.driver.rules.slice(0, 3).map((r) => [r.id, r.defaultConfiguration.level, r.properties['security-severity']])).toEqual([
      ['stale-image', 'note', '3.0'],
      ['unpinned-image', 'warning', '5.5'],
      ['mixed-versions', 'warning', '5.5'],
    ]);
  });

  it('maps each finding to a result pointing at its rule and Kubernetes subject', () => {
    expect(run.results.map((r) => [r.ruleId, r.ruleIndex, r.level, r.locations[0]?.logicalLocations[0]?.fullyQualifiedName])).toEqual([
      ['mixed-versions', 2, 'warning', 'shop/Deployment/cart/container/cart/ghcr.io/acme/cart:latest'],
      ['unpinned-image', 1, 'warning', 'shop/Deployment/cart/container/cart/ghcr.io/acme/cart:latest'],
      ['stale-image', 0, 'note', 'node/n1/ghcr.io/acme/old:1'],
    ]);
  });

  it('carries scan issues as tool notifications', () => {
    expect(run.invocations[0]?.toolExecutionNotifications.map((n) => n.message.text)).toEqual(['Forbidden: list services cluster-wide']);
  });
});

describe('sarif report: mappings, physical locations and suppressions', () => {
  const sarif = toSarif(hardeningReport()) as { runs: Array<{ tool: { driver: { rules: Array<{ id: string; help: { markdown: string }; properties: { tags: string[]; mappings: Record<string, string[]> } }> } }; results: Array<{ ruleId: string; suppressions?: unknown[]; locations: Array<{ physicalLocation?: unknown }> }> }> };
  const run = sarif.runs[0]!;

  it('puts CIS / NSA-CISA / PSS mappings in rule properties, tags and help', () => {
    const rule = run.tool.driver.rules.find((r) => r.id === 'privileged-container')!;
    expect(rule.properties.mappings).toEqual({ cis: ['5.2.2', '5.2.11'], nsa: ['Pod security: hardening container environments', 'Pod security: pod security enforcement'], pss: ['privileged', 'windowsHostProcess'] });
    expect(rule.properties.tags).toEqual(['security', 'misconfiguration', 'CIS-5.2.2', 'CIS-5.2.11', 'PSS-privileged', 'PSS-windowsHostProcess']);
    expect(rule.help.markdown).toContain('**CIS Kubernetes Benchmark v1.9.0:** 5.2.2, 5.2.11');
  });

  it('points a located finding at file and startLine, and marks suppressed findings', () => {
    const hostPath = run.results.find((r) => r.ruleId === 'host-path')!;
    expect(hostPath.locations[0]?.physicalLocation).toEqual({ artifactLocation: { uri: 'k8s/logs.yaml' }, region: { startLine: 12, startColumn: 9 } });
    expect(hostPath.suppressions).toBeUndefined();
    const agent = run.results.find((r) => r.ruleId === 'privileged-container')!;
    expect(agent.suppressions).toEqual([{ kind: 'inSource', status: 'accepted', justification: 'node agent, reviewed SEC-142 (annotation runwarden.io/exempt on Deployment shop/agent)' }]);
  });
});
