/**
 * OS detection: which distribution and release an image is, from os-release(5) and the older
 * release files. The result keys distro advisories (Debian 12 → "Debian:12", Alpine 3.18.4 →
 * "Alpine:v3.18", see vulndb/store/keys.ts) and, later, end-of-life data.
 *
 * Precedence over the squashed view: /etc/os-release, then /usr/lib/os-release (os-release(5) says
 * the first is read first), then /etc/alpine-release, /etc/redhat-release, /etc/debian_version. A
 * release file fills in what os-release leaves out (Debian testing has no VERSION_ID).
 */
import { z } from 'zod';
import { issue, type Issue } from '../../core/issue.js';
import type { BufferAnalyzer, FinalizeInput } from '../../image/analysis/analyzer.js';

export const OS_FILES = ['etc/os-release', 'usr/lib/os-release', 'etc/alpine-release', 'etc/redhat-release', 'etc/debian_version'] as const;

export const OsFileValue = z.object({
  id: z.string().optional(),
  idLike: z.array(z.string()).optional(),
  versionId: z.string().optional(),
  codename: z.string().optional(),
  name: z.string().optional(),
  prettyName: z.string().optional(),
});
export type OsFileValue = z.infer<typeof OsFileValue>;

export interface OsInfo {
  /** os-release ID, lower case: `debian`, `ubuntu`, `alpine`, `rhel`, `azurelinux`, … */
  id: string;
  idLike: string[];
  /** VERSION_ID (or the release file's version); `` when unknown. */
  release: string;
  codename?: string | undefined;
  prettyName?: string | undefined;
  /** The file(s) it was read from, in the squashed view. */
  from: string[];
}

export interface OsDetection {
  os: OsInfo | undefined;
  issues: Issue[];
}

const MAX_BYTES = 64 * 1024;

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v.startsWith('"') || v.startsWith("'")) && v.endsWith(v[0] ?? '')) {
    return v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
  }
  return v;
}

/** os-release(5): KEY=value lines, shell-style quoting, `#` comments. */
export function parseOsRelease(text: string): { value: OsFileValue; bad: number[] } {
  const fields = new Map<string, string>();
  const bad: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) {
      bad.push(i + 1);
      return;
    }
    fields.set(m[1], unquote(m[2]));
  });
  const value: OsFileValue = {};
  const id = fields.get('ID');
  if (id !== undefined && id !== '') value.id = id.toLowerCase();
  const like = fields.get('ID_LIKE');
  if (like !== undefined && like.trim() !== '') value.idLike = like.trim().toLowerCase().split(/\s+/);
  const version = fields.get('VERSION_ID');
  if (version !== undefined && version !== '') value.versionId = version;
  const codename = fields.get('VERSION_CODENAME') ?? fields.get('UBUNTU_CODENAME');
  if (codename !== undefined && codename !== '') value.codename = codename;
  const name = fields.get('NAME');
  if (name !== undefined) value.name = name;
  const pretty = fields.get('PRETTY_NAME');
  if (pretty !== undefined) value.prettyName = pretty;
  return { value, bad };
}

/** `Red Hat Enterprise Linux release 9.2 (Plow)`, `CentOS Linux release 7.9.2009 (Core)`, `Fedora release 39 (Thirty Nine)`. */
export function parseRedhatRelease(text: string): OsFileValue | undefined {
  const m = /^(.*?)\s+release\s+(\d[\w.]*)\s*(?:\((.*)\))?/.exec(text.trim());
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  const name = m[1];
  const lower = name.toLowerCase();
  const id = lower.startsWith('red hat') ? 'rhel'
    : lower.startsWith('centos') ? 'centos'
      : lower.startsWith('fedora') ? 'fedora'
        : lower.startsWith('rocky') ? 'rocky'
          : lower.startsWith('almalinux') ? 'almalinux'
            : lower.startsWith('oracle') ? 'ol'
              : undefined;
  const out: OsFileValue = { name, versionId: m[2] };
  if (id !== undefined) out.id = id;
  if (m[3] !== undefined && m[3] !== '') out.codename = m[3];
  return out;
}

function parseFile(path: string, content: Buffer): { value?: OsFileValue; issues?: Issue[] } {
  const text = content.toString('utf8');
  if (content.includes(0)) return { issues: [issue('os-release-corrupt', `"${path}" holds binary data, not a release file; OS not read from it`)] };
  if (path.endsWith('os-release')) {
    const { value, bad } = parseOsRelease(text);
    const issues = bad.length === 0 ? undefined : [issue('os-release-syntax', `"${path}" line${bad.length > 1 ? 's' : ''} ${bad.slice(0, 5).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not KEY=value; ignored`, undefined, 'os-release(5): one KEY=value per line.')];
    return { value, issues };
  }
  const first = text.split(/\r?\n/)[0]?.trim() ?? '';
  if (path.endsWith('alpine-release')) return /^\d+\.\d+/.test(first) || first === 'edge' ? { value: { id: 'alpine', versionId: first } } : { issues: [issue('os-release-syntax', `"${path}" says "${first.slice(0, 40)}", expected a version like 3.18.4`)] };
  if (path.endsWith('debian_version')) {
    // "12.4" on a stable release, "trixie/sid" on testing.
    if (/^\d+(\.\d+)*$/.test(first)) return { value: { id: 'debian', versionId: first } };
    if (/^[a-z]+\/sid$/.test(first)) return { value: { id: 'debian', codename: first.split('/')[0] ?? '' } };
    return { issues: [issue('os-release-syntax', `"${path}" says "${first.slice(0, 40)}", expected a version like 12.4 or a codename like trixie/sid`)] };
  }
  const rh = parseRedhatRelease(first);
  return rh === undefined ? { issues: [issue('os-release-syntax', `"${path}" says "${first.slice(0, 60)}", expected "<name> release <version> (<codename>)"`)] } : { value: rh };
}

/** Combine the release files the container sees into one answer. */
export function detectOs(files: ReadonlyArray<{ path: string; value: OsFileValue }>): OsDetection {
  const by = new Map(files.map((f) => [f.path, f.value]));
  const primary = ['etc/os-release', 'usr/lib/os-release'].map((p) => ({ p, v: by.get(p) })).find((x) => x.v?.id !== undefined);
  const fallbacks = ['etc/alpine-release', 'etc/redhat-release', 'etc/debian_version'].map((p) => ({ p, v: by.get(p) })).filter((x) => x.v?.id !== undefined);
  const base = primary ?? fallbacks[0];
  if (base?.v?.id === undefined) return { os: undefined, issues: files.length === 0 ? [] : [issue('os-unknown', `No distribution ID in ${files.map((f) => `"${f.path}"`).join(', ')}`, undefined, 'OS packages are still listed, but distro advisories cannot be matched without the release.')] };
  const v = base.v;
  const os: OsInfo = { id: v.id ?? '', idLike: v.idLike ?? [], release: v.versionId ?? '', from: [base.p] };
  if (v.codename !== undefined) os.codename = v.codename;
  if (v.prettyName !== undefined) os.prettyName = v.prettyName;
  // Fill gaps from a release file of the same distribution (Debian testing: codename only in os-release, "trixie/sid").
  for (const f of fallbacks) {
    if (f.p === base.p || f.v?.id !== os.id) continue;
    if (os.release === '' && f.v.versionId !== undefined) {
      os.release = f.v.versionId;
      os.from.push(f.p);
    }
    if (os.codename === undefined && f.v.codename !== undefined) os.codename = f.v.codename;
  }
  const issues: Issue[] = [];
  if (os.release === '' && os.codename === undefined) issues.push(issue('os-no-release', `${os.id}: no VERSION_ID or codename in ${os.from.join(', ')}`, os.from[0], 'Distro advisories are per release; packages of this image cannot be matched to them.'));
  return { os, issues };
}

/** The OS detection analyser: reads the release files in the single pass, decides over the squashed view. */
export const osRelease: BufferAnalyzer<OsFileValue, OsDetection> = {
  id: 'os-release',
  version: '1',
  mode: 'buffer',
  maxBytes: MAX_BYTES,
  schema: OsFileValue,
  globs: OS_FILES,
  analyze: (file, content) => parseFile(file.path, content),
  finalize({ results }: FinalizeInput<OsFileValue>): OsDetection {
    const files: Array<{ path: string; value: OsFileValue }> = [];
    for (const path of OS_FILES) {
      const found = results.get(path);
      if (found !== undefined) files.push({ path, value: found.value });
    }
    return detectOs(files);
  },
};

/** For tests and directory scans: detect from file contents by path. */
export function detectOsFromFiles(contents: ReadonlyArray<{ path: string; content: Buffer | string }>): OsDetection {
  const issues: Issue[] = [];
  const files: Array<{ path: string; value: OsFileValue }> = [];
  for (const { path, content } of contents) {
    const r = parseFile(path, typeof content === 'string' ? Buffer.from(content) : content);
    issues.push(...(r.issues ?? []).map((i) => ({ ...i, location: i.location ?? path })));
    if (r.value !== undefined) files.push({ path, value: r.value });
  }
  const d = detectOs(files);
  return { os: d.os, issues: [...issues, ...d.issues] };
}
