import { describe, expect, it } from 'vitest';
import { EOL_ANNOTATION, LIFECYCLE_ARTIFACT_TYPE, parseLifecycleDate, vendorLifecycle } from './index.js';

const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const ref = (n: number, value: string | undefined, created?: string, artifactType = LIFECYCLE_ARTIFACT_TYPE): { digest: string; artifactType: string; annotations: Record<string, string> } => {
  const annotations: Record<string, string> = {};
  if (value !== undefined) annotations[EOL_ANNOTATION] = value;
  if (created !== undefined) annotations['org.opencontainers.image.created'] = created;
  return { digest: d(n), artifactType, annotations };
};

describe('parseLifecycleDate', () => {
  it.each([
    ['2026-01-31', '2026-01-31T00:00:00.000Z'],
    ['2026-01-31T00:00:00Z', '2026-01-31T00:00:00.000Z'],
    ['2026-01-31T10:00:00+02:00', '2026-01-31T08:00:00.000Z'],
    ['2026-01-31T10:00:00.5-01:30', '2026-01-31T11:30:00.500Z'],
  ])('reads %s', (value, iso) => {
    expect(parseLifecycleDate(value)?.toISOString()).toBe(iso);
  });

  it.each(['31/01/2026', '2026-02-30', '2026-13-01', '2026-01-31T25:00:00Z', '2026-01-31T10:00:00', 'soon', ''])('rejects %s', (value) => {
    expect(parseLifecycleDate(value)).toBeUndefined();
  });
});

describe('vendorLifecycle', () => {
  it('returns nothing when no referrer is a lifecycle artifact', () => {
    expect(vendorLifecycle([ref(1, '2020-01-01', undefined, 'application/spdx+json')])).toEqual({ lifecycle: undefined, issues: [] });
  });

  it('lets the newest referrer win, by its created annotation, whatever the dates say', () => {
    const r = vendorLifecycle([ref(1, '2027-06-30', '2025-01-01T00:00:00Z'), ref(2, '2026-03-31T00:00:00Z', '2026-02-01T00:00:00Z')]);
    expect(r.lifecycle).toMatchObject({ value: '2026-03-31T00:00:00Z', referrer: d(2), count: 2 });
    expect(r.lifecycle?.endOfLife.toISOString()).toBe('2026-03-31T00:00:00.000Z');
  });

  it('takes the latest date when no referrer says when it was created', () => {
    const r = vendorLifecycle([ref(1, '2026-03-31'), ref(2, '2027-06-30T12:00:00Z')]);
    expect(r.lifecycle?.referrer).toBe(d(2));
  });

  it('ignores a referrer with an unreadable or missing date, with an issue, and keeps the others', () => {
    const r = vendorLifecycle([ref(1, '31.03.2026'), ref(2, undefined), ref(3, '2026-03-31')], 'x');
    expect(r.lifecycle?.referrer).toBe(d(3));
    expect(r.issues.map((i) => i.message)).toEqual([
      `Lifecycle referrer ${d(1)} says end of life "31.03.2026", which is neither yyyy-MM-dd nor an RFC 3339 date-time; ignored`,
      `Lifecycle referrer ${d(2)} has no "${EOL_ANNOTATION}" annotation; ignored`,
    ]);
  });
});
