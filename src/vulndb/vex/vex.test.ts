import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { applyVex, imageDigestOf, parseVex, readVex, readVexFiles } from './index.js';

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
          // a state named like an Object property is unknown too (it once read Object's own `constructor`)
          { id: 'CVE-2020-5', analysis: { state: 'constructor' }, affects: [{ ref: 'lib-1' }] },
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
      'Skipped bom.cdx.json vulnerabilities[4]: unknown analysis.state "constructor" (expected not_affected, false_positive, resolved, resolved_with_pedigree, in_triage, exploitable)',
      'bom.cdx.json vulnerabilities[5]: affects ref "nowhere" names no component with a purl; ignored',
      'Skipped bom.cdx.json vulnerabilities[5]: no affected component could be resolved to a purl',
    ]);
    const [lodash, other] = applyVex([finding(['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm'], 'pkg:npm/lodash@4.17.15'), finding(['CVE-2021-23337'], 'pkg:npm/lodash@4.17.21')], statements);
    expect(lodash?.suppression).toEqual({ kind: 'vex', reason: 'VEX fixed (patched in our fork)', source: 'VEX bom.cdx.json vulnerabilities[1]' });
    expect(other?.suppression).toBeUndefined();
  });

  it('matches products by purl without version, and by alias', () => {
    const { statements } = parseVex({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'GHSA-35jh-r3h4-6jhm' }, products: ['pkg:npm/lodash'], status: 'not_affected', justification: 'component_not_present' }] }, 'a.json');
    const [f] = applyVex([finding(['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm'], 'pkg:npm/lodash@4.17.15')], statements);
    expect(f?.evidence['vex']).toMatchObject({ status: 'not_affected', justification: 'component_not_present' });
    // without times, the statement given last wins; a dated one wins over undated ones; ids compare in any case
    const st = (status: string, timestamp?: string): Record<string, unknown> => ({ vulnerability: { name: 'cve-2021-23337' }, products: ['pkg:npm/lodash'], status, justification: 'inline_mitigations_already_exist', ...(timestamp === undefined ? {} : { timestamp }) });
    const doc = (...statements: unknown[]): ReturnType<typeof parseVex>['statements'] => parseVex({ '@context': 'https://openvex.dev/ns/v0.2.0', statements }, 'b.json').statements;
    const statusOf = (list: ReturnType<typeof parseVex>['statements']): unknown => applyVex([finding(['CVE-2021-23337'], 'pkg:npm/lodash@4.17.15')], list)[0]?.evidence['vex'];
    expect(statusOf(doc(st('affected'), st('not_affected')))).toMatchObject({ status: 'not_affected', statement: 'b.json statement 2' });
    expect(statusOf(doc(st('not_affected', '2024-01-01T00:00:00Z'), st('affected')))).toMatchObject({ status: 'not_affected', statement: 'b.json statement 1' });
    expect(statusOf(doc(st('fixed', '2024-02-01T00:00:00Z'), st('affected', '2024-01-01T00:00:00Z')))).toMatchObject({ status: 'fixed' });
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

  describe('CSAF 2.0 VEX', () => {
    // shaped as Red Hat publishes them: a platform named by CPE, components by purl, "component of platform" relationships
    const redHat = {
      document: { category: 'csaf_vex', csaf_version: '2.0', title: 'openssl: a flaw', tracking: { id: 'CVE-2024-0727', current_release_date: '2024-03-01T00:00:00Z', status: 'final', version: '3' } },
      product_tree: {
        branches: [
          {
            category: 'vendor',
            name: 'Red Hat',
            branches: [
              { category: 'product_family', name: 'Red Hat Enterprise Linux', branches: [{ category: 'product_name', name: 'RHEL 9', product: { name: 'Red Hat Enterprise Linux 9', product_id: 'red_hat_enterprise_linux_9', product_identification_helper: { cpe: 'cpe:/o:redhat:enterprise_linux:9' } } }] },
              {
                category: 'product_version',
                name: 'openssl',
                branches: [
                  { category: 'product_version', name: 'openssl-libs', product: { name: 'openssl-libs', product_id: 'openssl-libs', product_identification_helper: { purl: 'pkg:rpm/redhat/openssl-libs?arch=x86_64' } } },
                  { category: 'product_version', name: 'openssl-perl', product: { name: 'openssl-perl', product_id: 'openssl-perl', product_identification_helper: { purl: 'pkg:rpm/redhat/openssl-perl?arch=x86_64' } } },
                  { category: 'product_version', name: 'compat-openssl10', product: { name: 'compat-openssl10', product_id: 'compat-openssl10', product_identification_helper: { purl: 'pkg:rpm/redhat/compat-openssl10@1.0.2o-4.el9?arch=x86_64' } } },
                  { category: 'product_version', name: 'shim', product: { name: 'shim', product_id: 'shim' } },
                ],
              },
            ],
          },
        ],
        relationships: [
          { category: 'default_component_of', product_reference: 'openssl-libs', relates_to_product_reference: 'red_hat_enterprise_linux_9', full_product_name: { name: 'openssl-libs as a component of RHEL 9', product_id: 'red_hat_enterprise_linux_9:openssl-libs' } },
          { category: 'default_component_of', product_reference: 'openssl-perl', relates_to_product_reference: 'red_hat_enterprise_linux_9', full_product_name: { name: 'openssl-perl as a component of RHEL 9', product_id: 'red_hat_enterprise_linux_9:openssl-perl' } },
        ],
        product_groups: [{ group_id: 'perl-bits', product_ids: ['red_hat_enterprise_linux_9:openssl-perl'] }],
      },
      vulnerabilities: [
        {
          cve: 'CVE-2024-0727',
          ids: [{ system_name: 'Red Hat Bugzilla ID', text: 'RHBZ-2259944' }],
          product_status: {
            fixed: ['compat-openssl10'],
            known_affected: ['red_hat_enterprise_linux_9:openssl-libs'],
            known_not_affected: ['red_hat_enterprise_linux_9:openssl-perl', 'red_hat_enterprise_linux_9', 'shim'],
            recommended: ['compat-openssl10'],
          },
          flags: [{ label: 'vulnerable_code_not_present', group_ids: ['perl-bits'], date: '2024-02-01T00:00:00Z' }],
          threats: [
            { category: 'impact', details: 'Low' },
            { category: 'exploit_status', details: 'none known', product_ids: ['red_hat_enterprise_linux_9:openssl-perl'] },
            { category: 'impact', details: 'the perl bindings never parse PKCS12', product_ids: ['red_hat_enterprise_linux_9:openssl-perl'] },
          ],
          remediations: [
            { category: 'vendor_fix', details: 'update to 1.0.2o-4.el9', product_ids: ['compat-openssl10'] },
            { category: 'none_available', details: 'Affected', product_ids: ['red_hat_enterprise_linux_9:openssl-libs'] },
          ],
        },
        { cve: 42 },
        { notes: [] },
      ],
    };

    it('reads product_status through the product tree, relationships and groups, with flags, impact threats and remediations', () => {
      const { statements, issues } = parseVex(redHat, 'rh.json');
      expect(statements.map((st) => [st.vulnerability, st.aliases, st.status, st.scopes, st.justification, st.impactStatement, st.actionStatement, st.timestamp, st.format])).toEqual([
        ['CVE-2024-0727', ['RHBZ-2259944'], 'fixed', [{ product: 'pkg:rpm/redhat/compat-openssl10@1.0.2o-4.el9?arch=x86_64', subcomponents: [] }], undefined, undefined, 'vendor_fix: update to 1.0.2o-4.el9', '2024-03-01T00:00:00Z', 'csaf'],
        ['CVE-2024-0727', ['RHBZ-2259944'], 'affected', [{ product: 'pkg:rpm/redhat/openssl-libs?arch=x86_64', subcomponents: [] }], undefined, undefined, 'none_available: Affected', '2024-03-01T00:00:00Z', 'csaf'],
        ['CVE-2024-0727', ['RHBZ-2259944'], 'not_affected', [{ product: 'pkg:rpm/redhat/openssl-perl?arch=x86_64', subcomponents: [] }], 'vulnerable_code_not_present', 'the perl bindings never parse PKCS12', undefined, '2024-02-01T00:00:00Z', 'csaf'],
      ]);
      expect(statements[2]?.source).toBe('rh.json vulnerabilities[0] known_not_affected red_hat_enterprise_linux_9:openssl-perl');
      expect(issues.map((i) => [i.code, i.message])).toEqual([
        ['vex-invalid', 'Skipped rh.json vulnerabilities[1]: cve Invalid input: expected string, received number'],
        ['vex-invalid', 'Skipped rh.json vulnerabilities[2]: no cve and no ids name the vulnerability'],
        ['vex-warning', 'rh.json: 2 products named in product_status have no purl in the product tree ("red_hat_enterprise_linux_9", "shim"): their statements cannot be matched to a package and are ignored'],
      ]);
      // applied: the perl bindings are suppressed with their justification, openssl-libs is annotated only
      const [perl, libs] = applyVex([finding(['CVE-2024-0727'], 'pkg:rpm/redhat/openssl-perl@3.0.7-27.el9?arch=x86_64'), finding(['CVE-2024-0727'], 'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64')], statements);
      expect([perl?.suppression?.reason, perl?.evidence['vex']]).toEqual([
        'VEX not_affected (vulnerable_code_not_present: the perl bindings never parse PKCS12)',
        { status: 'not_affected', justification: 'vulnerable_code_not_present', impactStatement: 'the perl bindings never parse PKCS12', statement: statements[2]?.source, format: 'csaf' },
      ]);
      expect([libs?.suppression, libs?.evidence['vex']]).toEqual([undefined, { status: 'affected', actionStatement: 'none_available: Affected', statement: statements[1]?.source, format: 'csaf' }]);
    });

    it('says when a known_not_affected product has neither a flag nor an impact threat, and scopes a component of an image to that image', () => {
      const A = `sha256:${'a'.repeat(64)}`;
      const image = `pkg:oci/argocd@sha256%3A${'a'.repeat(64)}`;
      const doc = {
        document: { category: 'csaf_vex', csaf_version: '2.0', tracking: { current_release_date: '2024-01-04T17:17:25+01:00' } },
        product_tree: {
          full_product_names: [
            { name: 'argocd image', product_id: 'argocd', product_identification_helper: { purl: image } },
            { name: 'x/net', product_id: 'xnet', product_identification_helper: { purl: 'pkg:golang/golang.org/x/net@v0.17.0' } },
          ],
          relationships: [{ category: 'default_component_of', product_reference: 'xnet', relates_to_product_reference: 'argocd', full_product_name: { product_id: 'argocd:xnet', name: 'x/net in argocd' } }],
        },
        // a list named like an Object property says nothing (it once read Object's own `constructor` as a status)
        vulnerabilities: [{ cve: 'CVE-2023-44487', product_status: { known_not_affected: ['argocd:xnet'], constructor: ['argocd:xnet'] } }],
      };
      const { statements, issues } = parseVex(doc, 'bitnami.json');
      expect(statements.map((st) => st.scopes)).toEqual([[{ product: image, subcomponents: ['pkg:golang/golang.org/x/net@v0.17.0'] }]]);
      expect(issues.map((i) => i.message)).toEqual(['bitnami.json vulnerabilities[0]: CVE-2023-44487 known_not_affected for "argocd:xnet" without a flag or an impact threat (the CSAF VEX profile requires one); applied anyway']);
      const inImage = (digest: string): Finding => {
        const f = finding(['CVE-2023-44487'], 'pkg:golang/golang.org/x/net@v0.17.0');
        return { ...f, evidence: { ...f.evidence, imageDigest: digest } };
      };
      expect(applyVex([inImage(A), inImage(`sha256:${'b'.repeat(64)}`)], statements).map((f) => f.suppression !== undefined)).toEqual([true, false]);
    });

    it('is told apart from the other formats, and named in the error for a file that is none of them', () => {
      expect(() => parseVex({ document: { category: 'csaf_vex' } }, 'half.json')).toThrow(/nor CSAF \("document": \{"csaf_version": …\}\)/);
      expect(parseVex({ document: { category: 'csaf_vex', csaf_version: '2.0' } }, 'empty.json')).toEqual({ statements: [], issues: [] });
    });
  });

  it('reads a folder of VEX documents (sub-folders too, in name order), skipping with an issue a .json file that is not VEX', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-vex-dir-'));
    mkdirSync(join(dir, '2024'));
    const open = (name: string, status: string): unknown => ({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name }, products: ['pkg:npm/lodash'], status, justification: 'component_not_present' }] });
    writeFileSync(join(dir, '2024', 'CVE-2024-1.json'), JSON.stringify(open('CVE-2024-1', 'not_affected')));
    writeFileSync(join(dir, 'CVE-2023-9.json'), JSON.stringify(open('CVE-2023-9', 'affected')));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ files: 2 }));
    writeFileSync(join(dir, 'README.md'), 'not read');
    const { statements, issues } = await readVexFiles([dir]);
    expect(statements.map((s) => [s.vulnerability, s.source])).toEqual([
      ['CVE-2024-1', `${join(dir, '2024', 'CVE-2024-1.json')} statement 1`],
      ['CVE-2023-9', `${join(dir, 'CVE-2023-9.json')} statement 1`],
    ]);
    expect(issues.map((i) => [i.code, i.message.split(':')[0]])).toEqual([['vex-invalid', `Skipped ${join(dir, 'index.json')} of --vex "${dir}"`]]);
    // a folder with nothing to read, and a path that is not there, are errors
    const empty = mkdtempSync(join(tmpdir(), 'rw-vex-empty-'));
    await expect(readVexFiles([empty])).rejects.toThrow(`--vex "${empty}" is a folder without .json files`);
    await expect(readVexFiles([join(dir, 'missing.json')])).rejects.toThrow(`Cannot read --vex "${join(dir, 'missing.json')}"`);
  });

  it('finds every product that names the package whatever the spelling of its purl (case, encoding, namespace segments, qualifiers)', () => {
    const pairs: Array<[string, string]> = [
      ['pkg:pypi/Zope.Interface@5.4.0', 'pkg:pypi/zope-interface@5.4.0'],
      ['pkg:npm/%40babel/core@7.0.0', 'pkg:npm/%40babel/core@7.0.0'],
      ['pkg:npm/@babel/core', 'pkg:npm/%40babel/core@7.0.0'],
      ['PKG:golang/github.com/Gin-Gonic/gin@v1.9.0', 'pkg:golang/github.com/gin-gonic/gin@v1.9.0'],
      ['pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1'],
      ['  pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64#usr/lib  ', 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12'],
      ['pkg://rpm/redhat/openssl?arch=SRC', 'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm'],
      ['pkg:deb/debian/libstdc%2B%2B6@12.2.0-14', 'pkg:deb/debian/libstdc++6@12.2.0-14?arch=amd64'],
    ];
    const statements = parseVex(
      { '@context': 'https://openvex.dev/ns/v0.2.0', statements: pairs.map(([product], i) => ({ vulnerability: { name: `CVE-2024-${1000 + i}` }, products: ['pkg:npm/other@1.0.0', product], status: 'not_affected', justification: 'component_not_present' })) },
      'spellings.json',
    ).statements;
    const applied = applyVex(pairs.map(([, purl], i) => finding([`CVE-2024-${1000 + i}`], purl)), statements);
    expect(applied.map((f) => f.suppression !== undefined)).toEqual(pairs.map(() => true));
    // one statement listing them all, looked at by every finding: scanned first, then looked up by key
    const together = parseVex({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-2024-1' }, products: ['not a purl', ...pairs.map(([product]) => product)], status: 'fixed' }] }, 'all.json').statements;
    const many = [...pairs, ...pairs].map(([, purl]) => finding(['CVE-2024-1'], purl));
    const unlisted = ['pkg:npm/lodash@4.17.15', 'pkg:deb/debian/libssl1.1@1.1.1w-0+deb11u1?arch=amd64', 'pkg:pypi/zope-interface-x@5.4.0'].map((purl) => finding(['CVE-2024-1'], purl));
    expect(applyVex([...many, ...unlisted, ...many.slice(0, 3), ...unlisted], together).map((f) => f.suppression !== undefined)).toEqual([...many.map(() => true), false, false, false, true, true, true, false, false, false]);
    // at another version, only the products that give none still name them
    const other = applyVex(pairs.map(([, purl], i) => finding([`CVE-2024-${1000 + i}`], purl.replace(/@[^?]*/, '@0.0.1'))), statements);
    expect(other.map((f) => f.suppression !== undefined)).toEqual([false, false, true, false, false, false, true, false]);
  });

  describe("distributions' own VEX", () => {
    const osFinding = (ids: string[], purl: string, source?: { name: string; version: string }): Finding => {
      const f = finding(ids, purl);
      return { ...f, evidence: { ...f.evidence, package: source === undefined ? { purl } : { purl, source } } };
    };

    it("reads Ubuntu's layout (document fields under metadata, ids as URLs, source packages with a second '?'), and covers the binaries of a source package", () => {
      // written for this test in the shape of Ubuntu's published documents (vex/cve/… in ubuntu-security-notices)
      const doc = {
        metadata: { '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://example.test/vex/cve/2024/CVE-2024-0001', author: 'Example', timestamp: '2024-12-18T16:54:46.792568', version: 2 },
        statements: [
          {
            vulnerability: { '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2024-0001', aliases: ['https://www.cve.org/CVERecord?id=CVE-2024-0001', 'https://ubuntu.com/security/notices/USN-9999-1', 'https://ubuntu.com/security/CVE-2024-0001'] },
            timestamp: '2024-10-23 18:15:00 UTC',
            products: [{ '@id': 'pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.18?arch=src?distro=ubuntu/jammy' }, { '@id': 'pkg:deb/ubuntu/libssl-doc@3.0.2-0ubuntu1.18?arch=all' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_present',
          },
        ],
      };
      const { statements, issues } = parseVex(doc, 'CVE-2024-0001.json');
      expect(issues).toEqual([]);
      expect(statements.map((st) => [st.vulnerability, st.aliases, st.timestamp, st.format])).toEqual([['CVE-2024-0001', ['USN-9999-1'], '2024-10-23 18:15:00 UTC', 'openvex']]);
      const openssl = { name: 'openssl', version: '3.0.2-0ubuntu1.18' };
      const applied = applyVex(
        [
          // libssl3 of jammy built from openssl 3.0.2-0ubuntu1.18: covered through its source package
          osFinding(['CVE-2024-0001'], 'pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.18?arch=amd64&distro=ubuntu-22.04', openssl),
          // the same binary of noble, and one built from another openssl upload: not covered
          osFinding(['CVE-2024-0001'], 'pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.18?arch=amd64&distro=ubuntu-24.04', openssl),
          osFinding(['CVE-2024-0001'], 'pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04', { name: 'openssl', version: '3.0.2-0ubuntu1.15' }),
          // a binary listed by name and architecture, whatever its release; a finding named by the USN alias
          osFinding(['CVE-2024-0001'], 'pkg:deb/ubuntu/libssl-doc@3.0.2-0ubuntu1.18?arch=all&distro=ubuntu-22.04', openssl),
          osFinding(['USN-9999-1'], 'pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.18?arch=amd64&distro=ubuntu-22.04'),
        ],
        statements,
      );
      expect(applied.map((f) => f.suppression !== undefined)).toEqual([true, false, false, true, true]);
      // the OpenVEX fields stay required: a document with neither a top-level nor a metadata context is refused
      expect(() => parseVex({ metadata: { author: 'x' }, statements: [] }, 'no-context.json')).toThrow('is neither an OpenVEX document');
    });

    it("covers the binaries of a source RPM Red Hat names for a component it has no fix for, by the binary's source RPM", () => {
      const doc = {
        document: { category: 'csaf_vex', csaf_version: '2.0', tracking: { current_release_date: '2024-06-01T00:00:00Z' } },
        product_tree: {
          branches: [
            {
              category: 'vendor',
              name: 'Red Hat',
              branches: [
                { category: 'product_name', name: 'Red Hat Enterprise Linux 9', product: { name: 'Red Hat Enterprise Linux 9', product_id: 'red_hat_enterprise_linux_9', product_identification_helper: { cpe: 'cpe:/o:redhat:enterprise_linux:9' } } },
                { category: 'product_version', name: 'libxml2', product: { name: 'libxml2', product_id: 'libxml2', product_identification_helper: { purl: 'pkg:rpm/redhat/libxml2?arch=src' } } },
              ],
            },
          ],
          relationships: [{ category: 'default_component_of', product_reference: 'libxml2', relates_to_product_reference: 'red_hat_enterprise_linux_9', full_product_name: { product_id: 'red_hat_enterprise_linux_9:libxml2', name: 'libxml2 as a component of RHEL 9' } }],
        },
        vulnerabilities: [{ cve: 'CVE-2024-0002', product_status: { known_not_affected: ['red_hat_enterprise_linux_9:libxml2'] }, flags: [{ label: 'vulnerable_code_not_present', product_ids: ['red_hat_enterprise_linux_9:libxml2'] }] }],
      };
      const { statements } = parseVex(doc, 'cve-2024-0002.json');
      const rpm = (name: string, upstream: string): Finding => finding(['CVE-2024-0002'], `pkg:rpm/redhat/${name}@2.9.13-6.el9_4?arch=x86_64&distro=redhat-9.4&upstream=${upstream}`);
      const applied = applyVex([rpm('python3-libxml2', 'libxml2-2.9.13-6.el9_4.src.rpm'), rpm('libxml2', 'libxml2-2.9.13-6.el9_4.src.rpm'), rpm('libxslt', 'libxslt-1.1.34-9.el9.src.rpm')], statements);
      expect(applied.map((f) => f.suppression?.reason)).toEqual(['VEX not_affected (vulnerable_code_not_present)', 'VEX not_affected (vulnerable_code_not_present)', undefined]);
    });
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
