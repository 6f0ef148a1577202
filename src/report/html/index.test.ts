/**
 * `--format html`: the page's text (escaping, the CSP that admits its one script by hash), then the demo scan's page
 * in real headless Chromium (Debian `chromium`, driven by playwright-core; no browser download) opened from the file:
 * counts, the filters, no request beyond the file, no console error, and a hostile report whose strings run nothing.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/cli.js';
import { requireComponent } from '../../../test/components.js';
import type { Finding } from '../../core/finding.js';
import type { ScanReport } from '../../core/report.js';
import { SEVERITIES, type Severity } from '../../core/severity.js';
import { escapeHtml, HTML_MAX_FINDINGS, renderHtml } from './index.js';

const NOW = ['--now', '2026-11-28T12:00:00Z'];
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const HOSTILE = '<img src=x onerror="window.pwned=1"></script><script>window.pwned=2</script>';

function hostileReport(): ScanReport {
  const finding: Finding = {
    id: 'aaaaaaaaaaaaaaaa',
    rule: 'vulnerable-package',
    kind: 'vulnerability',
    severity: 'critical',
    title: `CVE-2024-1: ${HOSTILE}`,
    subject: { type: 'container', namespace: 'ns', workload: { kind: 'Deployment', name: `web${HOSTILE}` }, container: 'c', image: 'reg.example/app:1' },
    evidence: { summary: HOSTILE, package: { name: '"><script>window.pwned=3</script>' } },
    remediation: `Upgrade ${HOSTILE}`,
  };
  const bySeverity = { critical: 1, high: 0, medium: 0, low: 0, info: 0, unknown: 0 };
  return {
    schemaVersion: '1.0',
    tool: { name: 'runwarden', version: '0.0.0' },
    generatedAt: '2026-11-28T12:00:00.000Z',
    source: { type: 'demo', location: `dir${HOSTILE}` },
    summary: { nodes: 0, namespaces: 1, workloads: 1, pods: 1, containers: 1, images: 1, findings: 1, bySeverity, byKind: { vulnerability: 1 } as ScanReport['summary']['byKind'], byRule: { 'vulnerable-package': 1 }, reclaimableBytes: 0, nodeCaches: [], issues: 1 },
    findings: [finding],
    issues: [{ code: 'x', message: HOSTILE, hint: HOSTILE }],
  };
}

describe('the HTML report\'s text', () => {
  it('escapes every value it writes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    const html = renderHtml(hostileReport());
    // the one script is the page's own, and no tag of the report's strings survives
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).not.toContain('<img');
    expect(html).toContain('CVE-2024-1: &lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;');
  });

  it('admits its script by hash in the Content-Security-Policy, and nothing else', () => {
    const html = renderHtml(hostileReport());
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toMatch(/^default-src 'none'; /);
  });

  it('lists at most maxFindings, the most severe and active first, and says what it left out and where it all is', () => {
    const report = manyFindings(['low', 'critical', 'medium', 'high', 'low', 'critical', 'unknown', 'high'], [1]);
    const html = renderHtml(report, { maxFindings: 4 });
    const titles = [...html.matchAll(/<tr class="finding"[^>]*><td><span class="sev (\w+)">[\s\S]*?<div>(CVE-[0-9-]+)/g)].map((m) => `${m[1]} ${m[2]}`);
    // the two critical ones (CVE-1 is suppressed, so it is left out), both high, then the first medium: in groups by workload
    expect(titles.sort()).toEqual(['critical CVE-2024-5', 'high CVE-2024-3', 'high CVE-2024-7', 'medium CVE-2024-2'].sort());
    expect(html).toContain('<p class="notice">This page lists the 4 most severe of 8 findings; 4 are left out (2 low, 1 unknown, 1 suppressed). The JSON report has every finding: <code>runwarden scan --format json</code>');
    // the cards still count every finding
    expect(html).toContain('<div class="n" id="total">8</div>');
    expect(renderHtml(report, { maxFindings: 8 })).not.toContain('class="notice"');
  });

  it('keeps a page of 30,000 findings to the default cap (HTML_MAX_FINDINGS), a size a browser opens', () => {
    const report = manyFindings(Array.from({ length: 30_000 }, (_, i) => SEVERITIES[i % SEVERITIES.length] as Severity), []);
    const html = renderHtml(report);
    expect(html.match(/<tr class="finding"/g)).toHaveLength(HTML_MAX_FINDINGS);
    expect(html.length).toBeLessThan(HTML_MAX_FINDINGS * 2500);
    expect(html).toContain(`This page lists the ${HTML_MAX_FINDINGS} most severe of 30000 findings; 25000 are left out (`);
  });
});

/** A report of one vulnerability finding per severity given (CVE-2024-<index>), over three workloads; `suppressed` by index. */
function manyFindings(severities: readonly Severity[], suppressed: readonly number[]): ScanReport {
  const findings: Finding[] = severities.map((severity, i) => ({
    id: `f${i}`.padStart(16, '0'),
    rule: 'vulnerable-package',
    kind: 'vulnerability',
    severity,
    title: `CVE-2024-${i} (lodash 4.17.${i})`,
    subject: { type: 'container', namespace: 'shop', workload: { kind: 'Deployment', name: `app-${i % 3}` }, container: 'c', image: 'reg.example/app:1' },
    evidence: { state: 'affected', vulnerability: `CVE-2024-${i}`, package: { ecosystem: 'npm', name: 'lodash', version: `4.17.${i}` }, fixedVersions: ['4.17.21'] },
    remediation: 'Upgrade lodash to 4.17.21 or later.',
    ...(suppressed.includes(i) ? { suppression: { kind: 'vex' as const, reason: 'not reachable', source: 'vex.json' } } : {}),
  }));
  const bySeverity = Object.fromEntries(SEVERITIES.map((sev) => [sev, findings.filter((f) => f.severity === sev && f.suppression === undefined).length])) as ScanReport['summary']['bySeverity'];
  const report = hostileReport();
  return { ...report, source: { type: 'demo', location: 'demo' }, findings, issues: [], summary: { ...report.summary, findings: findings.length, bySeverity, issues: 0 } };
}

const skipReason = requireComponent('chromium', [CHROMIUM]);

describe.skipIf(skipReason !== undefined)(`the HTML report in headless Chromium${skipReason === undefined ? '' : ` (${skipReason})`}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-html-'));
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('request', (r) => requests.push(r.url()));
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the demo scan: counts, groups worst first, filters by severity, kind, text and suppressed', async () => {
    const file = join(dir, 'demo.html');
    const run = await cli(['scan', '--demo', '-f', 'html', '-o', file, ...NOW]);
    expect(run.stderr).toBe(`runwarden: wrote html report to ${file} (219 findings, 2 issues)\n`);
    await page.goto(pathToFileURL(file).href);
    expect(await page.title()).toBe('runwarden report: demo demo/cluster');
    expect(await page.textContent('#total')).toBe('219');
    // the script ran (the CSP admitted it): the form is shown and counts the active findings
    expect(await page.isVisible('#filters')).toBe(true);
    expect(await page.textContent('#shown')).toBe('219');
    expect(await page.locator('tr.finding:visible').count()).toBe(219);
    // the first group holds a critical finding
    expect(await page.locator('section.group').first().locator('.sev.critical').count()).toBeGreaterThan(0);

    for (const severity of ['high', 'medium', 'low', 'info', 'unknown']) await page.uncheck(`input[name=severity][value=${severity}]`);
    expect(await page.textContent('#shown')).toBe('9');
    // the demo's 5 suppressed findings are 2 high and 3 medium
    await page.check('input[name=severity][value=high]');
    expect(await page.textContent('#shown')).toBe('48');
    await page.check('input[name=suppressed]');
    expect(await page.textContent('#shown')).toBe('50');
    await page.uncheck('input[name=suppressed]');
    for (const severity of ['high', 'medium', 'low', 'info', 'unknown']) await page.check(`input[name=severity][value=${severity}]`);
    await page.selectOption('select[name=kind]', 'vulnerability');
    expect(await page.textContent('#shown')).toBe('26');
    await page.fill('input[name=text]', 'minimist');
    expect(await page.textContent('#shown')).toBe('1');
    expect(await page.locator('section.group:visible').count()).toBe(1);
    // the evidence unfolds
    const row = page.locator('tr.finding:visible');
    await row.locator('summary').click();
    expect(await row.locator('pre').textContent()).toContain('"vulnerability": "CVE-2021-44906"');

    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(problems).toEqual([]);
  });

  it('runs nothing a report\'s strings say, and shows them as text', async () => {
    const file = join(dir, 'hostile.html');
    writeFileSync(file, renderHtml(hostileReport()));
    await page.goto(pathToFileURL(file).href);
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.textContent('tr.finding')).toContain(`CVE-2024-1: ${HOSTILE}`);
    expect(await page.textContent('#shown')).toBe('1');
    expect(problems).toEqual([]);
  });
});
