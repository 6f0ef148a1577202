/**
 * The dashboard in real headless Chromium (Debian `chromium`, driven by playwright-core; no browser download)
 * against the service running the demo with its synthetic history: sign-in with a token, the overview with its
 * trend chart, workloads ranked by risk, a workload page, findings filters, nodes and the end-of-life page, with
 * no console errors. Screenshots are saved to $RUNWARDEN_TEST_ARTIFACTS (default: <tmp>/runwarden-test-artifacts).
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { lastingTmpdir } from '../../../test/tmp-root.js';
import { snapshotSource } from '../../inventory/sources/snapshot/index.js';
import { demoSnapshotPath } from '../../paths.js';
import { scan } from '../../scan/index.js';
import { openDatabase } from '../../store/db.js';
import { seedDemoHistory } from '../demo.js';
import { sqliteExecutor } from '../history/sqlite.js';
import { HistoryStore } from '../history/store.js';
import { startServe, type ServeHandle } from '../index.js';
import { silentLogger } from '../log.js';
import { ServeMetrics } from '../metrics/index.js';
import { hashToken, parseTokenFile } from '../server/auth.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'dashboard-test-token-41c7';
/** Screenshots for a person to look at after the run: outside the run's temporary directory (test/tmp-root.ts). */
const ARTIFACTS = process.env.RUNWARDEN_TEST_ARTIFACTS ?? join(lastingTmpdir(), 'runwarden-test-artifacts');
const skipReason = requireComponent('chromium', [CHROMIUM]);

describe.skipIf(skipReason !== undefined)(`dashboard in headless Chromium${skipReason === undefined ? '' : ` (${skipReason})`}`, () => {
  let dir = '';
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-dashboard-'));
    await mkdir(ARTIFACTS, { recursive: true });
    const source = snapshotSource({ path: demoSnapshotPath(), type: 'demo', displayRoot: 'demo/cluster' });
    const history = new HistoryStore(sqliteExecutor(openDatabase(join(dir, 'history.db')), { closeDb: true }));
    await seedDemoHistory(history, (await scan({ source })).report, new Date());
    serve = await startServe({
      scan: { source },
      history,
      host: '127.0.0.1',
      port: 0,
      tokens: parseTokenFile(`${hashToken(TOKEN)} browser\n`, 'tokens'),
      intervalMs: undefined,
      retainMs: undefined,
      metrics: new ServeMetrics(),
      log: silentLogger,
    });
    await serve.firstScan;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop(1000);
    await rm(dir, { recursive: true, force: true });
  });

  async function view(name: string): Promise<void> {
    await page.waitForSelector(`body[data-view="${name}"]`);
  }

  it('asks for a token, then shows the overview with counts and a trend chart', async () => {
    await page.goto(`${serve.url}/`);
    await view('signin');
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await view('overview');
    const cards = await page.locator('#severity-cards .card').count();
    expect(cards).toBe(5);
    const lines = page.locator('#trend-chart polyline.trend-line');
    expect(await lines.count()).toBe(4);
    const points = (await lines.first().getAttribute('points')) ?? '';
    expect(points.split(' ')).toHaveLength(15);
    const box = await page.locator('#trend-chart').boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(300);
    const shot = join(ARTIFACTS, 'dashboard-overview.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
  });

  it('ranks workloads by risk and opens a workload with containers and explained findings', async () => {
    await page.click('a[data-view=workloads]');
    await view('workloads');
    const rows = page.locator('#workloads tbody tr');
    expect(await rows.count()).toBeGreaterThan(5);
    const scores = await page.locator('#workloads tbody tr td:nth-child(2)').allTextContents();
    expect(scores.map(Number)).toEqual([...scores.map(Number)].sort((a, b) => b - a));
    await rows.first().locator('a').click();
    await view('workload');
    expect(await page.locator('#containers tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('table.findings tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('table.findings pre').first().textContent()).toMatch(/\{/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-workload.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('filters findings by severity and text', async () => {
    await page.click('a[data-view=findings]');
    await view('findings');
    const all = await page.locator('table.findings tbody tr').count();
    await page.selectOption('#filters select[name=severity]', 'critical');
    await page.click('#filters button[type=submit]');
    await page.waitForFunction("location.hash.includes('severity=critical') && document.body.dataset.view === 'findings'");
    await page.waitForSelector('table.findings');
    const severities = await page.locator('table.findings tbody tr td:first-child').allTextContents();
    expect(severities.length).toBeGreaterThan(0);
    expect(severities.length).toBeLessThan(all);
    expect(new Set(severities)).toEqual(new Set(['critical']));
    const api = (await (await fetch(`${serve.url}/api/v1/findings?severity=critical&limit=1000`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as { items: unknown[] };
    expect(severities).toHaveLength(api.items.length);
    await page.fill('#filters input[name=q]', 'kube-system');
    await page.click('#filters button[type=submit]');
    await page.waitForFunction("location.hash.includes('q=kube-system')");
    await page.waitForSelector('table.findings');
    const subjects = await page.locator('table.findings tbody tr td:nth-child(2) .muted').allTextContents();
    expect(subjects.every((s) => s.includes('kube-system'))).toBe(true);
    expect(problems).toEqual([]);
  });

  it('shows nodes with cache sizes and the end-of-life calendar', async () => {
    await page.click('a[data-view=nodes]');
    await view('nodes');
    expect(await page.locator('#nodes tbody tr').count()).toBe(serve.monitor.latest?.inventory.nodes.length);
    expect(await page.locator('#nodes tbody tr td:nth-child(6)').first().textContent()).toMatch(/\d+(\.\d)? (B|KiB|MiB|GiB)/);
    await page.click('a[data-view=eol]');
    await view('eol');
    expect(await page.locator('#eol h2').textContent()).toBe('End-of-life calendar');
    expect(problems).toEqual([]);
  });
});
