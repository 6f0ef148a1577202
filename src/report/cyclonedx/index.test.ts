/**
 * `--format cyclonedx`: the demo scan's vulnerability findings as CycloneDX 1.6 with VEX, validated against the
 * OFFICIAL bom-1.6 schema (testdata/upstream, ajv), and read back by runwarden's own `--vex` (the round trip keeps
 * what a statement said and which image it was about).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../../test/cli.js';
import { cycloneDxErrors } from '../../../test/sbom-schemas.js';
import type { Finding } from '../../core/finding.js';
import type { ScanReport } from '../../core/report.js';
import { applyVex, parseVex } from '../../vulndb/vex/index.js';
import { toCycloneDxVex, type VexBom } from './index.js';

const NOW = ['--now', '2026-11-28T12:00:00Z'];
/** The demo's storefront-web image (Deployment web); the cart image (Deployment cart) carries the same lodash. */
const WEB = 'sha256:00b5974ccd0c722eac4aaa27a0b27d019fcc53b60e2b2f3423916ba016ac5246';

interface JsonFinding {
  id: string;
  kind: string;
  evidence: { ids?: string[]; imageDigest?: string; vex?: { status: string; justification?: string; format: string } };
  suppression?: { kind: string; reason: string };
}

function refsOf(bom: VexBom): Map<string, { purl?: string; image?: string }> {
  const refs = new Map<string, { purl?: string; image?: string }>();
  for (const c of bom.components) {
    refs.set(c['bom-ref'], { ...(c.purl === undefined ? {} : { purl: c.purl }) });
    for (const p of c.components ?? []) refs.set(p['bom-ref'], { ...(p.purl === undefined ? {} : { purl: p.purl }), image: c.version });
  }
  return refs;
}

describe('--format cyclonedx (CycloneDX 1.6 with VEX)', () => {
  it('writes the demo scan\'s vulnerabilities as a valid bom-1.6 document: images with their vulnerable packages, ids, ratings, why it matched', async () => {
    const run = await cli(['scan', '--demo', '-f', 'cyclonedx', ...NOW]);
    expect(run.code).toBe(0);
    const bom = JSON.parse(run.stdout) as VexBom;
    expect(cycloneDxErrors(bom)).toEqual([]);
    const json = JSON.parse((await cli(['scan', '--demo', '-f', 'json', ...NOW])).stdout) as { findings: JsonFinding[] };
    const vulnerable = json.findings.filter((f) => f.kind === 'vulnerability');
    // every finding is in the document once (the demo runs each vulnerable image in one workload container)
    expect(bom.vulnerabilities.flatMap((v) => v.properties.filter((p) => p.name === 'runwarden:finding').map((p) => p.value)).sort()).toEqual(vulnerable.map((f) => f.id).sort());
    // every affects ref is a package nested in an image one of the entry's findings is about, and each finding's is there
    const refs = refsOf(bom);
    for (const v of bom.vulnerabilities) {
      const found = v.properties.filter((p) => p.name === 'runwarden:finding').map((p) => vulnerable.find((f) => f.id === p.value));
      const targets = v.affects.map((a) => refs.get(a.ref));
      for (const t of targets) expect(t?.purl).toBeDefined();
      expect(new Set(targets.map((t) => t?.image))).toEqual(new Set(found.map((f) => f?.evidence.imageDigest)));
    }
    // one entry per vulnerability: lodash's CVE-2021-23337 in both images that have it (two versions)
    expect(bom.vulnerabilities.filter((v) => v.id === 'CVE-2021-23337').map((v) => v.affects)).toEqual([
      [
        { ref: 'pkg:npm/lodash@4.17.20', versions: [{ version: '4.17.20', status: 'affected' }] },
        { ref: 'pkg:npm/lodash@4.17.15', versions: [{ version: '4.17.15', status: 'affected' }] },
      ],
    ]);
    const web = bom.components.find((c) => c.version === WEB);
    expect(web).toMatchObject({ type: 'container', name: 'ghcr.io/acme/storefront-web', purl: `pkg:oci/storefront-web@sha256%3A${WEB.slice(7)}?repository_url=ghcr.io/acme/storefront-web`, hashes: [{ alg: 'SHA-256', content: WEB.slice(7) }] });
    // lodash in two images, at two versions: a component in each
    expect(bom.components.flatMap((c) => (c.components ?? []).filter((p) => p.name === 'lodash').map((p) => [c.name, p['bom-ref']]))).toEqual([
      ['ghcr.io/acme/storefront-web', 'pkg:npm/lodash@4.17.15'],
      ['ghcr.io/acme/cart', 'pkg:npm/lodash@4.17.20'],
    ]);
    const minimist = bom.vulnerabilities.find((v) => v.id === 'CVE-2021-44906');
    expect(minimist).toMatchObject({
      source: { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44906' },
      references: [{ id: 'GHSA-xvch-5gv4-984h', source: { name: 'GitHub', url: 'https://github.com/advisories/GHSA-xvch-5gv4-984h' } }],
      ratings: [{ severity: 'critical', method: 'CVSSv31', score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', source: { name: 'GitHub' } }],
      description: 'Prototype Pollution in minimist',
      recommendation: 'Upgrade minimist to 1.2.6 or later.',
      affects: [{ ref: 'pkg:npm/minimist@1.2.5', versions: [{ version: '1.2.5', status: 'affected' }] }],
    });
    expect(minimist?.properties).toEqual(
      expect.arrayContaining([
        { name: 'runwarden:fixedVersion', value: '1.2.6' },
        { name: 'runwarden:match', value: 'GHSA-xvch-5gv4-984h (osv, npm minimist): affected by range, semver: introduced 1.0.0, fixed 1.2.6' },
        { name: 'runwarden:subject', value: 'storefront/Deployment/web/container/web/ghcr.io/acme/storefront-web:2.4.1' },
      ]),
    );
    expect(bom.metadata.properties).toContainEqual({ name: 'runwarden:report:findingsNotIncluded', value: '198 (end-of-life, malware, misconfiguration, node, outdated, stale-image: not vulnerabilities; see --format json or sarif)' });
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // the same report gives the same document
    expect((await cli(['scan', '--demo', '-f', 'cyclonedx', ...NOW])).stdout).toBe(run.stdout);
  });

  it('carries the VEX statements a scan applied, and --vex reads them back to the same suppressions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-cdx-vex-'));
    const openvex = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [
        { vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': `pkg:oci/storefront-web@${WEB.replace(':', '%3A')}` }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
        { vulnerability: { name: 'CVE-2021-44906' }, products: ['pkg:npm/minimist@1.2.5'], status: 'under_investigation' },
      ],
    };
    writeFileSync(join(dir, 'openvex.json'), JSON.stringify(openvex));
    const first = await cli(['scan', '--demo', '-f', 'cyclonedx', '--vex', join(dir, 'openvex.json'), ...NOW]);
    const bom = JSON.parse(first.stdout) as VexBom;
    expect(cycloneDxErrors(bom)).toEqual([]);
    const lodash = bom.vulnerabilities.filter((v) => v.id === 'CVE-2021-23337');
    expect(lodash.map((v) => [v.affects[0]?.ref, v.analysis?.state, v.analysis?.justification, v.affects[0]?.versions[0]?.status])).toEqual([
      ['pkg:npm/lodash@4.17.20', undefined, undefined, 'affected'],
      ['pkg:npm/lodash@4.17.15', 'not_affected', 'code_not_reachable', 'unaffected'],
    ]);
    expect(lodash[1]?.analysis?.detail).toMatch(/^justification: vulnerable_code_not_in_execute_path; statement: .*openvex\.json statement 1$/);
    expect(bom.vulnerabilities.find((v) => v.id === 'CVE-2021-44906')?.analysis?.state).toBe('in_triage');

    writeFileSync(join(dir, 'cdx.json'), first.stdout);
    const viaOpenVex = JSON.parse((await cli(['scan', '--demo', '-f', 'json', '--vex', join(dir, 'openvex.json'), ...NOW])).stdout) as { findings: JsonFinding[] };
    const viaCdx = JSON.parse((await cli(['scan', '--demo', '-f', 'json', '--vex', join(dir, 'cdx.json'), ...NOW])).stdout) as { findings: JsonFinding[] };
    const decided = (r: { findings: JsonFinding[] }): Array<[string, string | undefined, boolean]> => r.findings.filter((f) => f.evidence.vex !== undefined).map((f) => [f.id, f.evidence.vex?.status, f.suppression !== undefined]);
    expect(decided(viaCdx)).toEqual(decided(viaOpenVex));
    expect(decided(viaCdx)).toHaveLength(2);
    expect(viaCdx.findings.filter((f) => f.evidence.ids?.includes('CVE-2021-23337') === true).map((f) => [f.evidence.imageDigest === WEB, f.suppression !== undefined])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(viaCdx.findings.find((f) => f.evidence.vex?.status === 'not_affected')?.evidence.vex).toMatchObject({ format: 'cyclonedx', justification: 'code_not_reachable' });
  });

  it('offers the format where findings can be vulnerabilities, not to "check" (manifests)', async () => {
    const check = await cli(['check', '-f', 'cyclonedx', 'demo/cluster']);
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/^runwarden: error: Unknown --format "cyclonedx": expected one of table, json, sarif, html\./);
    expect((await cli(['scan', '--help'])).stdout.replace(/\s+/g, ' ')).toContain('report format: table, json, sarif, cyclonedx, html (default: table)');
  });
});

describe('toCycloneDxVex', () => {
  const at = '2026-11-28T12:00:00.000Z';
  function finding(id: string, over: { subject?: Finding['subject']; evidence?: Record<string, unknown>; suppression?: Finding['suppression']; severity?: Finding['severity'] } = {}): Finding {
    return {
      id,
      rule: 'vulnerable-package',
      kind: 'vulnerability',
      severity: over.severity ?? 'high',
      title: 't',
      subject: over.subject ?? { type: 'container', namespace: 'ns', workload: { kind: 'Deployment', name: 'a' }, container: 'c', image: 'reg.example/app:1' },
      evidence: {
        state: 'affected',
        vulnerability: 'CVE-2024-1',
        ids: ['CVE-2024-1', 'PYSEC-2024-1', 'ALPINE-CVE-2024-1@v3.18/main', 'DEBIAN-TEMP-0000000-1F1D06'],
        package: { ecosystem: 'PyPI', name: 'req', version: '1.0', purl: 'pkg:pypi/req@1.0' },
        installedVersion: '1.0',
        fixedVersions: [],
        fixStatus: 'unfixed',
        severity: { severity: 'high', basis: 'label', label: 'HIGH', from: 'PYSEC-2024-1' },
        matches: [],
        imageDigest: `sha256:${'a'.repeat(64)}`,
        ...over.evidence,
      },
      remediation: 'r',
      ...(over.suppression === undefined ? {} : { suppression: over.suppression }),
    };
  }
  function report(findings: Finding[]): ScanReport {
    return { schemaVersion: '1.0', tool: { name: 'runwarden', version: '0.0.0' }, generatedAt: at, source: { type: 'demo', location: 'x' }, summary: {} as ScanReport['summary'], findings, issues: [] };
  }

  it('shares one entry among the containers of one image, and keeps apart what was decided differently', () => {
    const other = { type: 'container' as const, namespace: 'ns', workload: { kind: 'Deployment', name: 'b' }, container: 'c', image: 'reg.example/app:1' };
    const bom = toCycloneDxVex(
      report([
        finding('f1'),
        finding('f2', { subject: other }),
        finding('f3', { subject: { ...other, workload: { kind: 'Deployment', name: 'c' } }, suppression: { kind: 'config', reason: 'accepted until the rewrite', source: 'config exceptions[0]' } }),
      ]),
    );
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(bom.vulnerabilities.map((v) => v.properties.filter((p) => p.name === 'runwarden:finding').map((p) => p.value))).toEqual([['f1', 'f2'], ['f3']]);
    // an exception is not a VEX statement: no analysis, the acceptance as a property
    expect(bom.vulnerabilities[1]?.analysis).toBeUndefined();
    expect(bom.vulnerabilities[1]?.properties).toContainEqual({ name: 'runwarden:suppression', value: 'accepted until the rewrite (config exceptions[0])' });
    expect(bom.components).toHaveLength(1);
    expect(bom.components[0]?.components?.map((c) => c['bom-ref'])).toEqual(['pkg:pypi/req@1.0']);
  });

  it('writes one entry for a vulnerability in several images, every package an affects ref; a statement read back covers them all', () => {
    const second = `sha256:${'b'.repeat(64)}`;
    const other = { type: 'container' as const, namespace: 'ns', workload: { kind: 'Deployment', name: 'b' }, container: 'c', image: 'reg.example/other:2' };
    const vex = { vex: { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', statement: 'v.json statements[0]', format: 'openvex' } };
    const suppression = { kind: 'vex' as const, reason: 'VEX not_affected', source: 'VEX v.json statements[0]' };
    const findings = [
      finding('f1', { evidence: { ...vex, matches: [{ advisory: 'PYSEC-2024-1', source: 'osv', ecosystem: 'PyPI', package: 'req', verdict: 'affected', matchedBy: 'versions', ranges: [] }] }, suppression }),
      finding('f2', { subject: other, evidence: { ...vex, imageDigest: second, installedVersion: '1.1', package: { ecosystem: 'PyPI', name: 'req', version: '1.1', purl: 'pkg:pypi/req@1.1' } }, suppression }),
      // said differently (another recommendation): an entry of its own
      { ...finding('f3', { subject: { ...other, workload: { kind: 'Deployment', name: 'c' } }, evidence: { imageDigest: second } }), remediation: 'r2' },
    ];
    const bom = toCycloneDxVex(report(findings));
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(bom.vulnerabilities.map((v) => [v.id, v.affects.map((a) => [a.ref, a.versions[0]?.version, a.versions[0]?.status])])).toEqual([
      ['CVE-2024-1', [['pkg:pypi/req@1.0', '1.0', 'unaffected'], ['pkg:pypi/req@1.1', '1.1', 'unaffected']]],
      ['CVE-2024-1', [['pkg:pypi/req@1.0#1', '1.0', 'affected']]],
    ]);
    expect(bom.vulnerabilities[0]?.properties.filter((p) => p.name === 'runwarden:finding' || p.name === 'runwarden:match').map((p) => p.value)).toEqual(['f1', 'PYSEC-2024-1 (osv, PyPI req): affected by versions', 'f2']);
    const read = parseVex(JSON.parse(JSON.stringify(bom)) as unknown, 'cdx.json');
    expect(read.issues).toEqual([]);
    const bare = findings.map((f) => ({ ...f, evidence: { ...f.evidence, vex: undefined }, suppression: undefined }));
    expect(applyVex(bare, read.statements).map((f) => [f.id, f.suppression === undefined ? undefined : f.suppression.reason.split(' (')[0]])).toEqual([
      ['f1', 'VEX not_affected'],
      ['f2', 'VEX not_affected'],
      ['f3', undefined],
    ]);
  });

  it('nests a package in each image it is in, and an analysis read back by --vex covers that image\'s package only', () => {
    const second = `sha256:${'b'.repeat(64)}`;
    const other = { type: 'container' as const, namespace: 'ns', workload: { kind: 'Deployment', name: 'b' }, container: 'c', image: 'reg.example/other:2' };
    const findings = [
      finding('f1', { evidence: { vex: { status: 'not_affected', justification: 'component_not_present', statement: 'v.json statements[0]', format: 'openvex' } }, suppression: { kind: 'vex', reason: 'VEX not_affected', source: 'VEX v.json statements[0]' } }),
      finding('f2', { subject: other, evidence: { imageDigest: second } }),
    ];
    const bom = toCycloneDxVex(report(findings));
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(bom.components.map((c) => [c.name, c.components?.map((p) => p['bom-ref'])])).toEqual([
      ['reg.example/app', ['pkg:pypi/req@1.0']],
      ['reg.example/other', ['pkg:pypi/req@1.0#1']],
    ]);
    expect(bom.vulnerabilities[0]?.analysis).toEqual({ state: 'not_affected', justification: 'code_not_present', detail: 'justification: component_not_present; statement: v.json statements[0]' });
    const read = parseVex(JSON.parse(JSON.stringify(bom)) as unknown, 'cdx.json');
    expect(read.issues).toEqual([]);
    const bare = findings.map((f) => ({ ...f, evidence: { ...f.evidence, vex: undefined }, suppression: undefined }));
    expect(applyVex(bare, read.statements).map((f) => [f.id, f.suppression?.reason])).toEqual([
      ['f1', 'VEX not_affected (code_not_present: justification: component_not_present; statement: v.json statements[0])'],
      ['f2', undefined],
    ]);
  });

  it('maps severities, states and statements to CycloneDX; ids published nowhere stay properties', () => {
    const bom = toCycloneDxVex(
      report([
        finding('f1', { evidence: { state: 'unknown' }, severity: 'unknown' }),
        finding('f2', { evidence: { vulnerability: 'CVE-2024-2', ids: ['CVE-2024-2'], vex: { status: 'affected', actionStatement: 'update to 2.0', statement: 'v.json statements[0]', format: 'openvex' }, severity: { severity: 'medium', basis: 'cvss-4.0', score: 5.3, vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N', from: 'CVE-2024-2' } }, severity: 'medium' }),
        finding('f3', { evidence: { vulnerability: 'CVE-2024-3', ids: ['CVE-2024-3'], vex: { status: 'fixed', statement: 'v.json statements[1]', format: 'csaf' }, severity: { basis: 'none' } } }),
        finding('f4', { evidence: { vulnerability: 'CVE-2024-4', ids: ['CVE-2024-4'], imageDigest: undefined, package: { ecosystem: 'npm', name: 'x', version: '1' } }, subject: { type: 'image' } }),
      ]),
    );
    expect(cycloneDxErrors(bom)).toEqual([]);
    const [unknown, affected, fixed, loose] = bom.vulnerabilities;
    expect(unknown?.affects[0]?.versions).toEqual([{ version: '1.0', status: 'unknown' }]);
    expect(unknown?.ratings).toEqual([{ severity: 'unknown', method: 'other', source: { name: 'OSV', url: 'https://osv.dev/vulnerability/PYSEC-2024-1' } }]);
    expect(unknown?.references).toEqual([{ id: 'PYSEC-2024-1', source: { name: 'OSV', url: 'https://osv.dev/vulnerability/PYSEC-2024-1' } }]);
    expect(unknown?.properties.filter((p) => p.name === 'runwarden:alias').map((p) => p.value)).toEqual(['ALPINE-CVE-2024-1@v3.18/main', 'DEBIAN-TEMP-0000000-1F1D06']);
    expect(affected?.analysis).toEqual({ state: 'exploitable', detail: 'update to 2.0; statement: v.json statements[0]' });
    expect(affected?.ratings).toEqual([{ severity: 'medium', method: 'CVSSv4', score: 5.3, vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N', source: { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-2' } }]);
    expect([fixed?.analysis?.state, fixed?.affects[0]?.versions[0]?.status, fixed?.ratings]).toEqual(['resolved', 'unaffected', undefined]);
    // a package of no image (an SBOM's purl list) is a top-level component; one without a purl gets a runwarden ref
    expect(loose?.affects[0]?.ref).toBe('runwarden:npm/x@1');
    expect(bom.components.map((c) => [c.type, c['bom-ref']])).toEqual([
      ['container', `image:sha256:${'a'.repeat(64)}`],
      ['library', 'runwarden:npm/x@1'],
    ]);
  });
});
