/**
 * Durations on the command line, for every command: `90d`, `1h`, `30m`, `45s`, `500ms`, `2w`, or a sum like
 * `1h30m` (units ms, s, m, h, d, w). One parser, so a duration a flag of one command takes, every other takes too.
 */
import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d{1,9})(ms|s|m|h|d|w)/y;

/** Milliseconds of `value`, given to `flag`; `min`: the least accepted (a zero duration is refused with min ≥ 1). */
export function parseDuration(value: string, flag: string, options: { min?: number } = {}): number {
  const text = value.trim();
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (m === null) {
      PART.lastIndex = start;
      matched = -1;
      break;
    }
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    matched++;
  }
  if (matched <= 0) throw new UsageError(`Invalid ${flag} "${value}": expected a duration such as 90d, 12h, 30m, 45s or 1h30m`);
  if (options.min !== undefined && total < options.min) {
    throw new UsageError(total === 0 ? `Invalid ${flag} "${value}": the duration must be longer than zero, e.g. 7d` : `Invalid ${flag} "${value}": must be at least ${formatDuration(options.min)}`);
  }
  return total;
}

export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
