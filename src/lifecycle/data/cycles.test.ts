import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../paths.js';
import { addDays, daysBetween, eolStatus, findCycle, nextSupportedCycle } from './cycles.js';
import type { LifecycleData, Product } from './schema.js';
import { loadLifecycle } from './store.js';

let data: LifecycleData;
const product = (name: string): Product => {
  const p = data.products.get(name);
  if (p === undefined) throw new Error(`no ${name}`);
  return p;
};
const cycle = (name: string, version: string): string | undefined => findCycle(product(name), version)?.cycle;

beforeAll(async () => {
  data = (await loadLifecycle(undefined)).data;
});

describe('findCycle', () => {
  it.each([
    ['debian', '12', '12'],
    ['debian', '12.7', '12'],
    ['debian', 'bookworm', '12'],
    ['debian', 'trixie', '13'],
    ['ubuntu', '22.04', '22.04'],
    ['alpine-linux', '3.18.4', '3.18'],
    ['alpine-linux', '3.20', '3.20'],
    ['nodejs', '16.20.2', '16'],
    ['nodejs', '22', '22'],
    ['kubernetes', '1.31.2', '1.31'],
    ['python', '3.12.1', '3.12'],
    ['python', '3.1', '3.1'],
    ['rhel', '9.4', '9'],
    ['amazon-linux', '2023', '2023'],
    ['amazon-linux', '2', '2'],
    ['go', 'v1.21.5', '1.21'],
    ['containerd', '1.7.13', '1.7'],
    ['sles', '15.5', '15.5'],
  ])('%s %s is cycle %s', (name, version, expected) => {
    expect(cycle(name, version)).toBe(expected);
  });

  it('returns undefined for a version no cycle covers', () => {
    expect(cycle('nodejs', '99.1.0')).toBeUndefined();
    expect(cycle('alpine-linux', 'edge')).toBeUndefined();
    expect(cycle('debian', 'not-a-codename')).toBeUndefined();
  });

  it('prefers the longest dotted prefix (python 3.10 is not 3.1)', () => {
    expect(cycle('python', '3.10.14')).toBe('3.10');
  });
});

describe('eolStatus', () => {
  it('reports Debian 12 past end of life on 2026-11-28 with LTS until 2028-06-30', () => {
    const r = findCycle(product('debian'), '12');
    expect(r?.codename).toBe('Bookworm');
    expect(r === undefined ? undefined : eolStatus(r, '2026-11-28', 90)).toEqual({ state: 'eol', eolDate: '2026-07-11', extendedUntil: '2028-06-30', extendedActive: true, days: -140 });
  });

  it('reports end of life within the look-ahead as eol-soon, and supported beyond it', () => {
    const k = findCycle(product('kubernetes'), '1.35');
    expect(k?.eol).toBe('2027-02-28');
    if (k === undefined) return;
    expect(eolStatus(k, '2026-12-28', 90).state).toBe('eol-soon');
    expect(eolStatus(k, '2026-11-28', 90).state).toBe('supported');
    expect(eolStatus(k, '2027-02-28', 90).state).toBe('eol');
  });

  it('reads eol: true as ended without a date and eol: false as supported', () => {
    const base = { cycle: 'x', codename: undefined, releaseLabel: undefined, releaseDate: undefined, eoes: undefined, extendedSupport: undefined, latest: undefined, latestReleaseDate: undefined };
    expect(eolStatus({ ...base, eol: true }, '2026-01-01', 90)).toEqual({ state: 'eol', eolDate: undefined, extendedUntil: undefined, extendedActive: false, days: undefined });
    expect(eolStatus({ ...base, eol: false }, '2026-01-01', 90).state).toBe('supported');
  });
});

describe('nextSupportedCycle', () => {
  it('moves Node.js 16 to the oldest LTS still supported past the look-ahead (22 on 2026-11-28)', () => {
    const n16 = findCycle(product('nodejs'), '16');
    expect(n16 === undefined ? undefined : nextSupportedCycle(product('nodejs'), n16, '2026-11-28', 90)?.cycle).toBe('22');
  });

  it('moves Alpine 3.18 to the oldest supported release', () => {
    const a = findCycle(product('alpine-linux'), '3.18');
    // 3.21 ends 2026-11-01 and 3.22 on 2027-05-01: 3.22 is the first beyond the 90-day window.
    expect(a === undefined ? undefined : nextSupportedCycle(product('alpine-linux'), a, '2026-11-28', 90)?.cycle).toBe('3.22');
  });

  it('moves Debian 11 to 13 (12 is past its end of life)', () => {
    const d = findCycle(product('debian'), '11');
    expect(d === undefined ? undefined : nextSupportedCycle(product('debian'), d, '2026-11-28', 90)?.cycle).toBe('13');
  });
});

describe('day arithmetic', () => {
  it('counts whole UTC days', () => {
    expect(daysBetween('2026-11-28', '2027-02-26')).toBe(90);
    expect(addDays('2026-11-28', 90)).toBe('2027-02-26');
  });
});

/** Debian's distro-info-data, the independent source for Debian and Ubuntu release dates. */
function distroInfo(file: string): Map<string, Record<string, string>> {
  const [head, ...rows] = readFileSync(join(packageRoot(), 'testdata/upstream/endoflife/distro-info', file), 'utf8').trim().split('\n');
  const cols = (head ?? '').split(',');
  return new Map(rows.map((r) => {
    const v = r.split(',');
    const rec = Object.fromEntries(cols.map((c, i) => [c, v[i] ?? '']));
    return [(rec.version ?? '').replace(' LTS', ''), rec];
  }));
}

describe('cross-check with distro-info-data', () => {
  it('agrees on the end of life and LTS end of Debian 10 to 13', () => {
    const info = distroInfo('debian.csv');
    for (const c of ['10', '11', '12', '13']) {
      const r = findCycle(product('debian'), c);
      expect([r?.eol, r?.eoes]).toEqual([info.get(c)?.eol, info.get(c)?.['eol-lts']]);
    }
  });

  it('agrees within two months on every Ubuntu LTS since 14.04 (exactly on 18.04 and 24.04)', () => {
    const info = distroInfo('ubuntu.csv');
    for (const c of ['14.04', '16.04', '18.04', '20.04', '22.04', '24.04']) {
      const eol = findCycle(product('ubuntu'), c)?.eol;
      const other = info.get(c)?.eol;
      expect(typeof eol === 'string' && other !== undefined ? Math.abs(daysBetween(eol, other)) : undefined).toBeLessThanOrEqual(61);
    }
    expect(findCycle(product('ubuntu'), '24.04')?.eol).toBe(info.get('24.04')?.eol);
    expect(findCycle(product('ubuntu'), '18.04')?.eol).toBe(info.get('18.04')?.eol);
  });
});
