/**
 * planRemediation without candidates to scan: what the plan says about a container it cannot propose a change for.
 * (Candidates scanned from a real registry and the demo's layout: src/cli/commands/fix.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { inventoryOf, node, object, pod } from '../../test/k8s.js';
import type { Finding } from '../core/finding.js';
import type { ScanReport } from '../core/report.js';
import { planRemediation } from './index.js';

const D = `sha256:${'c'.repeat(64)}`;

function report(image: string, lifecycle: ScanReport['lifecycle']): { inventory: ReturnType<typeof inventoryOf>; report: ScanReport } {
  const deployment = object('Deployment', 'api', 'shop', { spec: { template: { spec: { containers: [{ name: 'api', image }] } } } });
  const inventory = inventoryOf([node('n1', []), deployment, object('ReplicaSet', 'api-1', 'shop', { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: 'uid-api', controller: true }] } }), pod('api-1-x', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'api-1'], containers: [{ name: 'api', image, imageID: `ghcr.io/acme/api@${D}` }] })]);
  const finding: Finding = {
    id: '0123456789abcdef',
    rule: 'vulnerable-package',
    kind: 'vulnerability',
    severity: 'critical',
    title: 'CVE-2021-44906',
    subject: { type: 'container', namespace: 'shop', workload: { kind: 'Deployment', name: 'api' }, container: 'api', image },
    evidence: { vulnerability: 'CVE-2021-44906', package: { name: 'minimist' }, installedVersion: '1.2.5', fixedVersions: ['1.2.6'], fixStatus: 'fixed' },
    remediation: '',
  };
  return { inventory, report: { schemaVersion: '1.0', tool: { name: 'runwarden', version: '0' }, generatedAt: '2026-11-30T12:00:00.000Z', source: { type: 'snapshot', location: 'test' }, summary: {} as ScanReport['summary'], findings: [finding], issues: [], lifecycle } };
}

const lifecycle = (registry: 'consulted' | 'not-consulted', verdict: 'fresh' | 'unknown', reasons: string[]): ScanReport['lifecycle'] =>
  ({ schemaVersion: 1, data: {}, eolLookaheadDays: 90, registry, verdicts: {}, containers: [{ namespace: 'shop', pod: 'api-1-x', workload: { kind: 'Deployment', name: 'api' }, container: 'api', image: 'ghcr.io/acme/api:1.0', verdict, reasons }] }) as unknown as ScanReport['lifecycle'];

describe('planRemediation: a container without a candidate says why', () => {
  it.each([
    ['the registry has nothing newer: a rebuild', 'ghcr.io/acme/api:1.0', lifecycle('consulted', 'fresh', []), 'no newer build or tag of ghcr.io/acme/api:1.0 was found: the fix needs the image rebuilt with the fixed package versions'],
    ['the registry was not asked', 'ghcr.io/acme/api:1.0', lifecycle('not-consulted', 'unknown', ['registry not consulted (offline scan)']), 'the registry was not consulted (offline), so newer builds and tags are unknown: give --pull-images or --image-dir'],
    ['the registry did not answer', 'ghcr.io/acme/api:1.0', lifecycle('consulted', 'unknown', ['ghcr.io: 401 Unauthorized']), 'newer builds and tags are unknown: ghcr.io: 401 Unauthorized'],
    ['freshness was off', 'ghcr.io/acme/api:1.0', undefined, 'newer builds and tags were not looked for (end-of-life and freshness checks were off)'],
    ['pinned by digest alone', `ghcr.io/acme/api@${D}`, lifecycle('consulted', 'fresh', []), `ghcr.io/acme/api@${D} is pinned by digest without a tag: no tag says which newer image is the same line; write the tag with the digest (name:tag@sha256:…)`],
  ])('%s', async (_name, image, lc, note) => {
    const { inventory, report: r } = report(image, lc);
    const plan = await planRemediation(inventory, r);
    expect(plan.workloads[0]?.containers[0]).toMatchObject({ outcome: 'unresolved', note, remaining: [{ type: 'vulnerability', what: 'CVE-2021-44906 (minimist 1.2.5 → 1.2.6)', severity: 'critical' }] });
    expect(plan.workloads[0]?.patch).toBeUndefined();
    // nothing could check a candidate: the plan says so once
    expect(plan.issues.map((i) => i.code)).toEqual(['remediation-unverified']);
  });
});
