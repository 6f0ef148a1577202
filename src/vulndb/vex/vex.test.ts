import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { applyVex, imageDigestOf, parseVex, readVex } from './index.js';

const finding = (ids: string[], purl: string): Finding => ({
  id: '0123456789abcdef',
  rule: 'vulnerable-package',
  kind: 'vulnerability',
  severity: 'high',
  title: ids[0] ?? '',
  subject: { type: 'image' },
  evidence: { ids, package: { purl } },
  remediation: '',
});

describe('VEX', () => {
  it('reads CycloneDX VEX: analysis states, bom-ref and purl refs, and applies the latest statement', () => {
    const { statements, issues } = parseVex(
      {
        bomFormat: 'CycloneDX',
        specVersion: '1.5',
        components: [{ 'bom-ref': 'lib-1', purl: 'pkg:npm/lodash@4.17.15' }],
        vulnerabilities: [
          { id: 'CVE-2021-23337', analysis: { state: 'in_triage' }, affects: [{ ref: 'lib-1' }], updated: '2024-01-01T00:00:00Z' },
          { id: 'CVE-2021-23337', analysis: { state: 'resolved', detail: 'patched in our fork' }, affects: [{ ref: 'urn:cdx:abc/1#lib-1' }], updated: '2024-02-01T00:00:00Z' },
          { id: 'CVE-2020-1', analysis: { state: 'false_positive', justification: 'code_not_present' }, affects: [{ ref: 'pkg:pypi/requests@2.25.0' }] },
          { id: 'CVE-2020-2', analysis: { state: 'maybe' }, affects: [{ ref: 'lib-1' }] },
          { id: 'CVE-2020-3', analysis: { state: 'exploitable' }, affects: [{ ref: 'nowhere' }] },
          { id: 'CVE-2020-4' },
        ],
      },
      'bom.cdx.json',
    );
    const lodashScope = [{ product: 'pkg:npm/lodash@4.17.15', subcomponents: [] }];
    expect(statements.map((s) => [s.vulnerability, s.status, s.scopes])).toEqual([
      ['CVE-2021-23337', 'under_investigation', lodashScope],
      ['CVE-2021-23337', 'fixed', lodashScope],
      ['CVE-2020-1', 'not_affected', [{ product: 'pkg:pypi/requests@2.25.0', subcomponents: [] }]],
    ]);
    expect(issues.map((i) => i.message)).toEqual([
      'Skipped bom.cdx.json vulnerabilities[3]: unknown analysis.state "maybe" (expected not_affected, false_positive, resolved, resolved_with_pedigree, in_triage, exploitable)',
      'bom.cdx.json vulnerabilities[4]: affects ref "nowhere" names no component with a purl; ignored',
      'Skipped bom.cdx.json vulnerabilities[4]: no affected component could be resolved to a purl',
    ]);
    const [lodash, other] = applyVex([finding(['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm'], 'pkg:npm/lodash@4.17.15'), finding(['CVE-2021-23337'], 'pkg:npm/lodash@4.17.21')], statements);
    expect(lodash?.suppression).toEqual({ kind: 'vex', reason: 'VEX fixed (patched in our fork)', source: 'VEX bom.cdx.json vulnerabilities[1]' });
    expect(other?.suppression).toBeUndefined();
  });

  it('matches products by purl without version, and by alias', () => {
    const { statements } = parseVex({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'GHSA-35jh-r3h4-6jhm' }, products: ['pkg:npm/lodash'], status: 'not_affected', justification: 'component_not_present' }] }, 'a.json');
    const [f] = applyVex([finding(['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm'], 'pkg:npm/lodash@4.17.15')], statements);
    expect(f?.evidence['vex']).toMatchObject({ status: 'not_affected', justification: 'component_not_present' });
  });

  it('refuses a file that is not VEX, and reports a bad statement while keeping the others', async () => {
    expect(() => parseVex({ hello: 1 }, 'x.json')).toThrow('--vex "x.json" is neither an OpenVEX document');
    const { statements, issues } = parseVex({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: 'CVE-1', products: ['pkg:npm/a@1'], status: 'broken' }, { vulnerability: 'CVE-2', products: ['pkg:npm/a@1'], status: 'not_affected' }] }, 'v.json');
    expect(statements.map((s) => s.vulnerability)).toEqual(['CVE-2']);
    expect(issues.map((i) => i.code)).toEqual(['vex-invalid', 'vex-warning']);
    const dir = mkdtempSync(join(tmpdir(), 'rw-vex-'));
    writeFileSync(join(dir, 'bad.json'), '{');
    await expect(readVex(join(dir, 'bad.json'))).rejects.toThrow(`--vex "${join(dir, 'bad.json')}" is not valid JSON`);
    await expect(readVex(join(dir, 'missing.json'))).rejects.toThrow(`Cannot read --vex "${join(dir, 'missing.json')}"`);
  });

  describe('statements about an image (pkg:oci) and its subcomponents', () => {
    const A = `sha256:${'a'.repeat(64)}`;
    const B = `sha256:${'b'.repeat(64)}`;
    const LODASH = 'pkg:npm/lodash@4.17.15';
    const WS = 'pkg:npm/ws@8.17.0';
    const running = (purl: string, digest: string, others: string[] = []): Finding => {
      const f = finding(['CVE-2021-23337'], purl);
      return { ...f, evidence: { ...f.evidence, imageDigest: digest, ...(others.length > 0 ? { otherImageDigests: others } : {}) } };
    };
    const doc = (product: unknown): ReturnType<typeof parseVex>['statements'] =>
      parseVex({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-2021-23337' }, products: [product], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }] }, 'img.json').statements;
    const suppressed = (fs: Finding[]): boolean[] => fs.map((f) => f.suppression !== undefined);

    it('reads the image digest of vexctl\'s pkg:oci form, of a reference with a digest, and of a bare digest', () => {
      expect(imageDigestOf(`pkg:oci/app@sha256%3A${'a'.repeat(64)}?repository_url=ghcr.io/acme/app`)).toBe(A);
      expect(imageDigestOf(`ghcr.io/acme/app@${A}`)).toBe(A);
      expect(imageDigestOf(A)).toBe(A);
      expect([imageDigestOf(LODASH), imageDigestOf('pkg:oci/app:1.0'), imageDigestOf('pkg:oci/app@sha256%3Aabc')]).toEqual([undefined, undefined, undefined]);
    });

    it('covers every package of the image it names, and no other image', () => {
      const statements = doc(`pkg:oci/app@sha256%3A${'a'.repeat(64)}`);
      expect(suppressed(applyVex([running(LODASH, A), running(WS, A), running(LODASH, B)], statements))).toEqual([true, true, false]);
      // image scan: the digest comes from the scanned image
      expect(suppressed(applyVex([finding(['CVE-2021-23337'], LODASH)], statements, { imageDigest: A }))).toEqual([true]);
      expect(suppressed(applyVex([finding(['CVE-2021-23337'], LODASH)], statements, { imageDigest: B }))).toEqual([false]);
      // a finding that names two digests of a moved tag is covered only when both are
      expect(suppressed(applyVex([running(LODASH, A, [B])], statements))).toEqual([false]);
    });

    it('covers only the subcomponents it lists in that image; without an image they are matched as packages', () => {
      const statements = doc({ '@id': `ghcr.io/acme/app@${A}`, subcomponents: [{ '@id': 'pkg:npm/lodash' }] });
      expect(suppressed(applyVex([running(LODASH, A), running(WS, A), running(LODASH, B)], statements))).toEqual([true, false, false]);
      // sbom match: no image to compare, the subcomponent names the package
      expect(suppressed(applyVex([finding(['CVE-2021-23337'], LODASH), finding(['CVE-2021-23337'], WS)], statements))).toEqual([true, false]);
      // a product without an id still names the packages of its subcomponents, in any image
      const idless = doc({ subcomponents: [{ '@id': 'pkg:npm/lodash' }] });
      expect(idless.map((st) => st.scopes)).toEqual([[{ product: 'pkg:npm/lodash', subcomponents: [] }]]);
      expect(suppressed(applyVex([running(LODASH, A), running(WS, B)], idless))).toEqual([true, false]);
    });
  });
});
