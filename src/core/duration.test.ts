import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['90d', 90 * 86_400_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
    ['500ms', 500],
    ['2w', 2 * 604_800_000],
  ])('returns milliseconds for %s', (text, ms) => {
    expect(parseDuration(text, '--retain')).toBe(ms);
  });

  it.each(['', '90', 'd', '1.5h', '10 days', '-1h', '1h 30m'])('throws UsageError naming the flag for %j', (text) => {
    expect(() => parseDuration(text, '--interval')).toThrow(UsageError);
    expect(() => parseDuration(text, '--interval')).toThrow(`Invalid --interval "${text}": expected a duration such as 90d`);
  });

  it('throws when below the minimum, a zero duration saying so', () => {
    expect(() => parseDuration('1s', '--interval', { min: 10_000 })).toThrow('Invalid --interval "1s": must be at least 10s');
    expect(() => parseDuration('0h', '--interval', { min: 1 })).toThrow('Invalid --interval "0h": the duration must be longer than zero, e.g. 7d');
    expect(parseDuration('0h', '--grace')).toBe(0);
  });

  it('formats whole units', () => {
    expect([formatDuration(90 * 86_400_000), formatDuration(3_600_000), formatDuration(1500)]).toEqual(['90d', '1h', '1500ms']);
  });
});
