import { describe, expect, it } from 'vitest';
import { sampleReport } from '../../../test/report.js';
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
    expect(run.tool.driver.rules.map((r) => [r.id, r.defaultConfiguration.level, r.properties['security-severity']])).toEqual([
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
