/**
 * The dashboard: one self-contained page (no external scripts, styles, fonts or images), served at `/` and
 * driven by the REST API of the same origin. Hash routes: overview, workloads (ranked by risk), one workload,
 * findings (filters), nodes, end-of-life calendar. Data is inserted with textContent only (never as HTML).
 * When the API asks for a token (401), the page asks for it and keeps it in sessionStorage.
 */
import { REPORT_STYLE as STYLE } from '../../report/html/style.js';

const SCRIPT = String.raw`
(() => {
  'use strict';
  const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info', 'unknown'];
  const KINDS = ['vulnerability', 'malware', 'end-of-life', 'outdated', 'stale-image', 'misconfiguration', 'node'];
  const COLORS = { critical: '#8b1a1a', high: '#d9480f', medium: '#e8a317', low: '#2b8a3e', info: '#5c7cfa', unknown: '#868e96' };
  const main = document.querySelector('main');

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, String(v));
    }
    for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  }
  const svgNs = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  }
  const sev = (x) => h('span', { class: 'sev ' + x }, x);
  const bytes = (n) => { const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return (i === 0 ? n : n.toFixed(1)) + ' ' + u[i]; };
  const when = (t) => t ? new Date(t).toISOString().replace('T', ' ').slice(0, 16) + 'Z' : '';
  const duration = (sec) => sec >= 86400 ? (sec / 86400).toFixed(1) + ' d' : sec >= 3600 ? (sec / 3600).toFixed(1) + ' h' : Math.round(sec / 60) + ' min';

  class Unauthorized extends Error {}
  async function api(path) {
    const token = sessionStorage.getItem('runwarden.token');
    const res = await fetch('/api/v1/' + path, { headers: token ? { Authorization: 'Bearer ' + token } : {} });
    if (res.status === 401) throw new Unauthorized('token required');
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }

  function tokenForm() {
    const input = h('input', { type: 'password', id: 'token', placeholder: 'API token', autocomplete: 'off' });
    return h('section', {}, h('h2', {}, 'Sign in'), h('p', { class: 'muted' }, 'This API needs a bearer token.'),
      h('form', { onsubmit: (e) => { e.preventDefault(); sessionStorage.setItem('runwarden.token', input.value); route(); } }, input, ' ', h('button', { type: 'submit' }, 'Use token')));
  }

  function findingsTable(items, opts) {
    const rows = items.map((f) => h('tr', { 'data-fingerprint': f.fingerprint },
      h('td', {}, sev(f.severity)),
      h('td', {}, h('div', {}, f.title), h('div', { class: 'muted' }, f.subject), opts && opts.explain ? [h('pre', {}, JSON.stringify(f.evidence, null, 1)), h('div', {}, 'Fix: ', f.remediation)] : null),
      h('td', {}, f.kind), h('td', {}, f.rule),
      h('td', {}, when(f.openedAt), f.fixedAt ? h('div', { class: 'muted' }, 'fixed ' + when(f.fixedAt)) : null)));
    return h('table', { class: 'findings' }, h('thead', {}, h('tr', {}, ['Severity', 'Finding', 'Kind', 'Rule', 'Opened'].map((t) => h('th', {}, t)))), h('tbody', {}, rows));
  }

  function trendChart(points) {
    const W = 760, H = 220, P = 34;
    const shown = ['critical', 'high', 'medium', 'low'];
    const max = Math.max(1, ...points.map((p) => Math.max(...shown.map((k) => p.bySeverity[k]))));
    const x = (i) => P + (points.length === 1 ? (W - 2 * P) / 2 : (i * (W - 2 * P)) / (points.length - 1));
    const y = (v) => H - P - (v * (H - 2 * P)) / max;
    const svg = s('svg', { id: 'trend-chart', viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img', 'aria-label': 'Open findings per scan by severity' });
    svg.append(s('line', { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: '#aab' }), s('line', { x1: P, y1: P, x2: P, y2: H - P, stroke: '#aab' }));
    svg.append(s('text', { x: 4, y: P + 4, 'font-size': 11 }, max), s('text', { x: 4, y: H - P, 'font-size': 11 }, 0));
    if (points.length > 0) {
      svg.append(s('text', { x: P, y: H - 10, 'font-size': 11 }, when(points[0].at).slice(0, 10)));
      svg.append(s('text', { x: W - P - 70, y: H - 10, 'font-size': 11 }, when(points[points.length - 1].at).slice(0, 10)));
    }
    for (const k of shown) {
      const d = points.map((p, i) => x(i).toFixed(1) + ',' + y(p.bySeverity[k]).toFixed(1)).join(' ');
      svg.append(s('polyline', { class: 'trend-line', 'data-severity': k, points: d, fill: 'none', stroke: COLORS[k], 'stroke-width': 2 }));
    }
    const legend = h('div', { class: 'legend' }, shown.map((k) => h('span', { style: 'color:' + COLORS[k] }, '\u25A0 ' + k)));
    return h('div', {}, svg, legend);
  }

  const views = {
    async overview() {
      const [summary, trends, ttf] = await Promise.all([api('summary'), api('trends'), api('time-to-fix')]);
      const sm = summary.summary;
      const out = [];
      out.push(h('p', { class: 'muted' }, summary.scan ? 'Latest scan ' + when(summary.scan.finishedAt) + ' (' + summary.scan.reason + ')' : 'No scan yet.'));
      if (summary.lastError) out.push(h('p', { class: 'error' }, 'Last scan failed: ' + summary.lastError));
      if (sm) {
        out.push(h('div', { class: 'cards', id: 'severity-cards' }, SEVERITIES.filter((k) => k !== 'info').map((k) => h('div', { class: 'card' }, h('div', { class: 'n' }, sm.bySeverity[k]), h('div', { class: 'l' }, sev(k))))));
        out.push(h('div', { class: 'cards' }, [['nodes', sm.nodes], ['workloads', sm.workloads], ['pods', sm.pods], ['images', sm.images], ['reclaimable', bytes(sm.reclaimableBytes)]].map(([l, n]) => h('div', { class: 'card' }, h('div', { class: 'n' }, n), h('div', { class: 'l' }, l)))));
        out.push(h('section', {}, h('h2', {}, 'Findings by kind'), h('table', { id: 'kinds' }, h('tbody', {}, KINDS.map((k) => h('tr', {}, h('td', {}, k), h('td', {}, sm.byKind[k] || 0)))))));
      }
      out.push(h('section', {}, h('h2', {}, 'Trend'), trendChart(trends.items)));
      out.push(h('section', {}, h('h2', {}, 'Time to fix'), ttf.items.length === 0 ? h('p', { class: 'muted' }, 'Nothing fixed yet.') :
        h('table', {}, h('thead', {}, h('tr', {}, ['Severity', 'Fixed', 'Median', 'Mean', 'Max'].map((t) => h('th', {}, t)))),
          h('tbody', {}, ttf.items.map((r) => h('tr', {}, h('td', {}, sev(r.severity)), h('td', {}, r.fixed), h('td', {}, duration(r.medianSeconds)), h('td', {}, duration(r.meanSeconds)), h('td', {}, duration(r.maxSeconds))))))));
      return out;
    },
    async workloads() {
      const { items } = await api('workloads');
      const max = Math.max(1, ...items.map((w) => w.score));
      return h('section', {}, h('h2', {}, 'Workloads by risk'), h('table', { id: 'workloads' },
        h('thead', {}, h('tr', {}, ['Workload', 'Risk', 'Findings', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, items.map((w) => h('tr', {},
          h('td', {}, h('a', { href: '#/workload/' + w.workload.split('/').map(encodeURIComponent).join('/') }, w.workload)),
          h('td', {}, w.score), h('td', {}, SEVERITIES.filter((k) => w.bySeverity[k]).map((k) => [sev(k), ' ' + w.bySeverity[k] + ' '])),
          h('td', { style: 'width:30%' }, h('div', { class: 'bar', style: 'width:' + Math.round((100 * w.score) / max) + '%' })))))));
    },
    async workload(...parts) {
      const w = await api('workloads/' + parts.map(encodeURIComponent).join('/'));
      return [h('h2', {}, w.namespace + ' / ' + w.kind + ' / ' + w.name),
        h('section', {}, h('h2', {}, 'Containers'), h('table', { id: 'containers' }, h('thead', {}, h('tr', {}, ['Container', 'Image', 'Running digests', 'Pods'].map((t) => h('th', {}, t)))),
          h('tbody', {}, w.containers.map((c) => h('tr', {}, h('td', {}, c.name, c.type === 'regular' ? '' : ' (' + c.type + ')'), h('td', {}, c.image), h('td', {}, c.digests.map((d) => h('div', {}, d.slice(0, 19) + '\u2026'))), h('td', {}, c.pods)))))),
        h('section', {}, h('h2', {}, 'Open findings (' + w.findings.length + ')'), findingsTable(w.findings, { explain: true }))];
    },
    async findings() {
      const params = new URLSearchParams(location.hash.split('?')[1] || '');
      const form = h('form', { class: 'filters', id: 'filters', onsubmit: (e) => {
        e.preventDefault();
        const q = new URLSearchParams();
        for (const el of form.elements) if (el.name && el.value) q.set(el.name, el.value);
        location.hash = '#/findings?' + q.toString();
      } },
        h('select', { name: 'state' }, ['open', 'fixed', 'all'].map((v) => h('option', { value: v, selected: params.get('state') === v }, v))),
        h('select', { name: 'severity' }, h('option', { value: '' }, 'any severity'), SEVERITIES.map((v) => h('option', { value: v, selected: params.get('severity') === v }, '\u2265 ' + v))),
        h('select', { name: 'kind' }, h('option', { value: '' }, 'any kind'), KINDS.map((v) => h('option', { value: v, selected: params.get('kind') === v }, v))),
        h('input', { name: 'namespace', placeholder: 'namespace', value: params.get('namespace') || '' }),
        h('input', { name: 'q', placeholder: 'search', value: params.get('q') || '' }),
        h('button', { type: 'submit' }, 'Filter'));
      params.set('limit', '100');
      const page = await api('findings?' + params.toString());
      const holder = h('div', {}, findingsTable(page.items));
      const more = h('button', { id: 'more', onclick: async () => {
        params.set('cursor', next);
        const p = await api('findings?' + params.toString());
        holder.querySelector('tbody').append(...findingsTable(p.items).querySelector('tbody').children);
        next = p.next; if (!next) more.remove();
      } }, 'More');
      let next = page.next;
      return h('section', {}, h('h2', {}, 'Findings'), form, h('p', { class: 'muted', id: 'count' }, page.items.length + (next ? '+' : '') + ' findings'), holder, next ? more : null);
    },
    async nodes() {
      const { items } = await api('nodes');
      return h('section', {}, h('h2', {}, 'Nodes'), h('table', { id: 'nodes' }, h('thead', {}, h('tr', {}, ['Node', 'Kubelet', 'Runtime', 'Pods', 'Cached images', 'Cache size', 'Stale images', 'Reclaimable', 'Findings'].map((t) => h('th', {}, t)))),
        h('tbody', {}, items.map((n) => h('tr', {}, h('td', {}, n.name), h('td', {}, n.kubeletVersion || ''), h('td', {}, n.containerRuntimeVersion || ''), h('td', {}, n.pods), h('td', {}, n.cachedImages), h('td', {}, bytes(n.cachedBytes)), h('td', {}, n.staleImages), h('td', {}, bytes(n.reclaimableBytes)), h('td', {}, n.findings))))));
    },
    async eol() {
      const { items } = await api('end-of-life');
      const byMonth = new Map();
      for (const f of items) { const m = f.date ? f.date.slice(0, 7) : 'date unknown'; if (!byMonth.has(m)) byMonth.set(m, []); byMonth.get(m).push(f); }
      return h('section', { id: 'eol' }, h('h2', {}, 'End-of-life calendar'), items.length === 0 ? h('p', { class: 'muted' }, 'No container runs end-of-life software.') :
        [...byMonth].map(([m, list]) => h('div', {}, h('h3', {}, m), findingsTable(list))));
    },
  };

  async function route() {
    // The server says whether the API wants a token; ask before the first request instead of provoking a 401.
    if (document.querySelector('meta[name="runwarden-auth"]').content === 'bearer' && !sessionStorage.getItem('runwarden.token')) {
      main.replaceChildren(tokenForm());
      document.body.dataset.view = 'signin';
      return;
    }
    const [path] = (location.hash.slice(1) || '/').split('?');
    const [name, ...args] = path.split('/').filter(Boolean).map(decodeURIComponent);
    const view = views[name || 'overview'] ? name || 'overview' : 'overview';
    for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.dataset.view === view);
    main.replaceChildren(h('p', { class: 'muted' }, 'Loading\u2026'));
    try {
      const content = await views[view](...args);
      main.replaceChildren(...[content].flat());
      document.body.dataset.view = view;
    } catch (e) {
      if (e instanceof Unauthorized) sessionStorage.removeItem('runwarden.token');
      main.replaceChildren(e instanceof Unauthorized ? tokenForm() : h('p', { class: 'error' }, String(e.message || e)));
      document.body.dataset.view = e instanceof Unauthorized ? 'signin' : 'error';
    }
  }
  addEventListener('hashchange', route);
  route();
})();
`;

/** The page; `auth` tells the script the API wants a bearer token (it asks for one before any request). */
export function dashboardHtml(options: { auth: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runwarden</title>
<meta name="runwarden-auth" content="${options.auth ? 'bearer' : 'none'}">
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>runwarden</h1><nav>
<a href="#/" data-view="overview">Overview</a><a href="#/workloads" data-view="workloads">Workloads</a><a href="#/findings" data-view="findings">Findings</a><a href="#/nodes" data-view="nodes">Nodes</a><a href="#/eol" data-view="eol">End of life</a>
</nav></header>
<main></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
