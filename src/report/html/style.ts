/**
 * The stylesheet of runwarden's pages: the HTML report (`--format html`) and the service's dashboard
 * (serve/dashboard), so both look alike. Inline in each page (no external assets).
 */
export const REPORT_STYLE = `
:root { --bg:#f6f7f9; --fg:#1d2330; --muted:#5d6678; --card:#fff; --line:#dde1e8; --critical:#8b1a1a; --high:#d9480f; --medium:#e8a317; --low:#2b8a3e; --info:#5c7cfa; --unknown:#868e96; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; align-items:center; gap:24px; padding:10px 20px; background:#1d2330; color:#fff; }
header h1 { font-size:16px; margin:0; }
header nav a { color:#cfd6e4; margin-right:14px; text-decoration:none; }
header nav a.active { color:#fff; font-weight:600; }
main { padding:20px; max-width:1200px; }
.cards { display:flex; gap:12px; flex-wrap:wrap; margin-bottom:16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:12px 16px; min-width:120px; }
.card .n { font-size:24px; font-weight:600; }
.card .l { color:var(--muted); }
section { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:14px 16px; margin-bottom:16px; }
section h2 { font-size:15px; margin:0 0 10px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; }
.sev { display:inline-block; padding:0 6px; border-radius:3px; color:#fff; font-size:12px; }
.sev.critical { background:var(--critical); } .sev.high { background:var(--high); } .sev.medium { background:var(--medium); color:#222; }
.sev.low { background:var(--low); } .sev.info { background:var(--info); } .sev.unknown { background:var(--unknown); }
.bar { height:10px; background:var(--high); border-radius:2px; }
.muted { color:var(--muted); }
form.filters { display:flex; gap:8px; flex-wrap:wrap; margin-bottom:10px; }
input, select, button { font:inherit; padding:4px 6px; }
pre { white-space:pre-wrap; margin:4px 0; font-size:12px; color:var(--muted); }
.legend span { margin-right:12px; }
.error { color:var(--critical); }
header span { color:#cfd6e4; }
header .muted { color:#9aa4b5; }
.fix { color:var(--muted); }
.suppressed { color:var(--muted); font-style:italic; }
.notice { background:#fff4e0; border:1px solid var(--medium); border-radius:6px; padding:10px 14px; }
details summary { cursor:pointer; color:var(--muted); font-size:12px; }
code { font-size:12px; white-space:nowrap; }
@media print { form.filters { display:none; } }
`;
