/**
 * A self-contained HTML report (one file: no scripts, styles, fonts or images from anywhere else), to attach to a
 * ticket or open from CI artifacts. Rendered here, on the server side, with every value escaped, so it reads the same
 * with scripts off and prints as it shows. Findings are grouped as in the terminal table (workload, node, image),
 * worst first, each with its rule, title and remediation, and its evidence (the JSON report's, pretty-printed) folded
 * under `<details>`; suppressed findings are listed with their reason, hidden until asked for. Then the lifecycle
 * verdicts, the node caches and the issues.
 *
 * A page lists at most HTML_MAX_FINDINGS findings, the most severe (active before suppressed); a large cluster has
 * a hundred thousand vulnerability findings, ~2 KB of page each with their evidence, more than a browser opens. The
 * page says how many were left out, by severity, and where they all are (the JSON report).
 *
 * One small inline script filters the rows (severity, kind, text, suppressed) and counts what is shown; a
 * Content-Security-Policy in the page allows that script by its hash and nothing else (no other script, no network
 * request), so even a value that escaped escaping could not run.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../../core/finding.js';
import { formatBytes } from '../../core/format.js';
import type { ScanReport } from '../../core/report.js';
import { SEVERITIES, compareSeverity, severityRank } from '../../core/severity.js';
import type { RenderOptions, ReportFormat } from '../format.js';
import { countsLine, groupKey } from '../table/index.js';
import { REPORT_STYLE } from './style.js';

export const htmlFormat: ReportFormat = {
  id: 'html',
  description: 'Self-contained HTML page (one file, no external assets): findings by workload with evidence, filters',
  extension: 'html',
  mediaType: 'text/html; charset=utf-8',
  render: renderHtml,
};

/** Text as HTML text or attribute value: the five characters that can end either. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

const e = escapeHtml;

/** Filters the rows by the form above them; the page allows this script by its hash only (CSP). */
const FILTER_SCRIPT = `(() => {
  'use strict';
  const form = document.getElementById('filters');
  const rows = Array.from(document.querySelectorAll('tr.finding'));
  const groups = Array.from(document.querySelectorAll('section.group'));
  const shown = document.getElementById('shown');
  function apply() {
    const severities = new Set(Array.from(form.querySelectorAll('input[name=severity]:checked')).map((i) => i.value));
    const kind = form.elements.kind.value;
    const text = form.elements.text.value.trim().toLowerCase();
    const suppressed = form.elements.suppressed.checked;
    let n = 0;
    for (const row of rows) {
      const visible = severities.has(row.dataset.severity) && (kind === '' || row.dataset.kind === kind) && (suppressed || row.dataset.suppressed !== 'true') && (text === '' || row.textContent.toLowerCase().includes(text));
      row.hidden = !visible;
      if (visible) n++;
    }
    for (const group of groups) group.hidden = group.querySelector('tr.finding:not([hidden])') === null;
    shown.textContent = String(n);
  }
  form.addEventListener('input', apply);
  form.addEventListener('submit', (event) => event.preventDefault());
  form.hidden = false;
  apply();
})();`;

const SCRIPT_HASH = createHash('sha256').update(FILTER_SCRIPT).digest('base64');
/** The page's policy (also sent as the header where runwarden serves the page). */
export const HTML_CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'none'`;

function badge(severity: string): string {
  return `<span class="sev ${e(severity)}">${e(severity)}</span>`;
}

function findingRows(f: Finding): string {
  const location = f.location === undefined ? '' : `<div class="muted">at ${e(f.location.file)}${f.location.line === undefined ? '' : `:${f.location.line}`}${f.location.field === undefined ? '' : ` (${e(f.location.field)})`}</div>`;
  const suppressed = f.suppression === undefined ? '' : `<div class="suppressed">suppressed: ${e(f.suppression.reason)} <span class="muted">(${e(f.suppression.source)})</span></div>`;
  const evidence = JSON.stringify({ id: f.id, subject: f.subject, evidence: f.evidence, ...(f.location === undefined ? {} : { location: f.location }) }, null, 2);
  return (
    `<tr class="finding" data-severity="${e(f.severity)}" data-kind="${e(f.kind)}" data-suppressed="${f.suppression === undefined ? 'false' : 'true'}"${f.suppression === undefined ? '' : ' hidden'}>` +
    `<td>${badge(f.severity)}</td><td><code>${e(f.rule)}</code></td>` +
    `<td><div>${e(f.title)}</div>${location}<div class="fix">→ ${e(f.remediation)}</div>${suppressed}<details><summary>evidence</summary><pre>${e(evidence)}</pre></details></td></tr>`
  );
}

/** Findings a page lists at most: ~10 MB of page with their evidence, which a browser opens and filters at once. */
export const HTML_MAX_FINDINGS = 5000;

/** The findings a page lists: all of them up to `max`, else the `max` most severe, active ones before suppressed. */
function listedFindings(findings: readonly Finding[], max: number): { listed: readonly Finding[]; left: Finding[] } {
  if (findings.length <= max) return { listed: findings, left: [] };
  const rank = (f: Finding): number => (f.suppression === undefined ? severityRank(f.severity) : -1);
  // a stable sort: findings of one rank keep the report's order
  const order = [...findings].sort((a, b) => rank(b) - rank(a));
  return { listed: order.slice(0, max), left: order.slice(max) };
}

/** What a capped page says about the findings it leaves out, and where they all are. */
function leftOutNotice(total: number, left: readonly Finding[]): string {
  if (left.length === 0) return '';
  const suppressed = left.filter((f) => f.suppression !== undefined).length;
  const counts = SEVERITIES.map((sev) => [sev, left.filter((f) => f.suppression === undefined && f.severity === sev).length] as const)
    .filter(([, n]) => n > 0)
    .map(([sev, n]) => `${n} ${sev}`);
  if (suppressed > 0) counts.push(`${suppressed} suppressed`);
  return `<p class="notice">This page lists the ${total - left.length} most severe of ${total} findings; ${left.length} are left out (${e(counts.join(', '))}). The JSON report has every finding: <code>runwarden scan --format json</code>, or <code>/api/v1/report?format=json</code> of runwarden serve.</p>`;
}

function groupSections(report: ScanReport, listed: readonly Finding[]): string[] {
  const groups = new Map<string, Finding[]>();
  for (const f of listed) {
    const key = groupKey(report, f);
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  const worst = (list: Finding[]): number => Math.max(...list.map((f) => (f.suppression === undefined ? severityRank(f.severity) : -1)));
  return [...groups.entries()]
    .sort((a, b) => worst(b[1]) - worst(a[1]) || a[0].localeCompare(b[0]))
    .map(([group, findings]) => {
      findings.sort((a, b) => compareSeverity(a.severity, b.severity) || a.rule.localeCompare(b.rule) || a.title.localeCompare(b.title));
      const hidden = findings.every((f) => f.suppression !== undefined) ? ' hidden' : '';
      return `<section class="group"${hidden}><h2>${e(group)}</h2><table><tbody>${findings.map(findingRows).join('')}</tbody></table></section>`;
    });
}

function summaryCards(report: ScanReport): string {
  const s = report.summary;
  const cards = SEVERITIES.map((sev) => `<div class="card"><div class="n">${s.bySeverity[sev]}</div><div class="l">${badge(sev)}</div></div>`);
  const suppressed = report.findings.filter((f) => f.suppression !== undefined).length;
  cards.unshift(`<div class="card"><div class="n" id="total">${s.findings}</div><div class="l">findings</div></div>`);
  if (suppressed > 0) cards.push(`<div class="card"><div class="n">${suppressed}</div><div class="l">suppressed</div></div>`);
  if (s.reclaimableBytes > 0) cards.push(`<div class="card"><div class="n">${e(formatBytes(s.reclaimableBytes))}</div><div class="l">reclaimable in unused images</div></div>`);
  cards.push(`<div class="card"><div class="n">${report.issues.length}</div><div class="l">issues</div></div>`);
  return `<div class="cards">${cards.join('')}</div>`;
}

function filterForm(report: ScanReport): string {
  const kinds = [...new Set(report.findings.map((f) => f.kind))].sort();
  const severities = SEVERITIES.map((s) => `<label><input type="checkbox" name="severity" value="${s}" checked> ${s}</label>`).join(' ');
  const options = ['<option value="">every kind</option>', ...kinds.map((k) => `<option value="${e(k)}">${e(k)}</option>`)].join('');
  // shown only when the script runs (it unhides the form): without scripts every active finding is listed
  return `<form id="filters" class="filters" hidden>${severities} <select name="kind">${options}</select> <input type="search" name="text" placeholder="text, e.g. CVE-2024-" aria-label="text"> <label><input type="checkbox" name="suppressed"> suppressed</label> <span class="muted"><span id="shown"></span> shown</span></form>`;
}

function lifecycleSection(report: ScanReport): string {
  const l = report.lifecycle;
  if (l === undefined) return '';
  const rows = l.containers
    .filter((c) => c.verdict !== 'fresh')
    .map((c) => `<tr><td>${e(c.verdict)}</td><td>${e(`${c.namespace}/${c.pod}/${c.container}`)}</td><td>${e(c.image)}</td><td>${e(c.reasons.join('; '))}</td><td>${e(c.fix ?? '')}</td></tr>`);
  const v = l.verdicts;
  return `<section><h2>Lifecycle</h2><p class="muted">${v['end-of-life']} end-of-life, ${v.outdated} outdated, ${v.unknown} unknown, ${v.fresh} fresh container(s)</p>${rows.length === 0 ? '' : `<table><thead><tr><th>verdict</th><th>container</th><th>image</th><th>why</th><th>fix</th></tr></thead><tbody>${rows.join('')}</tbody></table>`}</section>`;
}

function nodeSection(report: ScanReport): string {
  const nodes = report.summary.nodeCaches.filter((n) => n.cachedImages > 0);
  if (nodes.length === 0) return '';
  const rows = nodes.map((n) => `<tr><td>${e(n.name)}</td><td>${n.cachedImages}</td><td>${e(formatBytes(n.cachedBytes))}</td><td>${n.staleImages}</td><td>${e(formatBytes(n.reclaimableBytes))}</td></tr>`);
  return `<section><h2>Node image caches</h2><table><thead><tr><th>node</th><th>images</th><th>cached</th><th>unused</th><th>reclaimable</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function issuesSection(report: ScanReport): string {
  if (report.issues.length === 0) return '';
  const items = report.issues.map((i) => `<li><code>${e(i.code)}</code> ${e(i.message)}${i.location === undefined ? '' : ` <span class="muted">(${e(i.location)})</span>`}${i.hint === undefined ? '' : `<div class="muted">${e(i.hint)}</div>`}</li>`);
  return `<section><h2>Issues</h2><p class="muted">Parts of the inventory that could not be read or evaluated.</p><ul>${items.join('')}</ul></section>`;
}

export function renderHtml(report: ScanReport, options: Pick<RenderOptions, 'maxFindings'> = {}): string {
  const { listed, left } = listedFindings(report.findings, options.maxFindings ?? HTML_MAX_FINDINGS);
  const source = `${report.source.type} ${report.source.location}${report.source.context === undefined ? '' : ` (context ${report.source.context})`}`;
  const none = report.findings.every((f) => f.suppression !== undefined) ? '<p>No findings.</p>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="runwarden ${e(report.tool.version)}">
<title>runwarden report: ${e(source)}</title>
<link rel="icon" href="data:,">
<style>${REPORT_STYLE}</style>
</head>
<body>
<header><h1>runwarden</h1><span>${e(source)}</span><span class="muted">${e(report.generatedAt)} · ${e(countsLine(report))} · runwarden ${e(report.tool.version)}</span></header>
<main>
${summaryCards(report)}
${filterForm(report)}
${leftOutNotice(report.findings.length, left)}${none}${groupSections(report, listed).join('\n')}
${lifecycleSection(report)}
${nodeSection(report)}
${issuesSection(report)}
</main>
<script>${FILTER_SCRIPT}</script>
</body>
</html>
`;
}
